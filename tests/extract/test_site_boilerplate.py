"""DropSiteBoilerplate: a paragraph a site prints under many stories leaves their text; a story's own text stays."""
import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from tests.beam_helpers import local_pipeline
from transforms.extract.paragraphs import PARAGRAPH_INDEX, story_words
from transforms.extract.site_boilerplate import (HEAD, DropSiteBoilerplate, _indexed, boilerplate_head, boilerplate_keys,
                                                boilerplate_paragraphs, paragraph_index, paragraph_keys, strip_article,
                                                strip_paragraphs, text_keys)
from transforms.tokens import content_hash, count_words, words

ABOUT = ("About Acme: Acme Corporation is a global provider of communication solutions for hospitals, "
         "care homes and emergency services, with offices in forty countries.")


def story(aid, site, title, body):
    text = f"{body}\n{ABOUT}"
    return {"article_id": aid, "site": site, "title": title, "text": text, "n_words": len(text.split()),
            "content_hash": content_hash(text)}


BODIES = {
    "a": "Acme opened a new factory in Ohio on Monday, adding two hundred jobs to the local economy this year.",
    "b": "The board named a new chief financial officer after the previous one retired at the end of June.",
    "c": "Acme shares rose five percent after quarterly revenue beat the forecasts of most analysts in the market.",
}


def test_paragraph_keys_skip_short_lines_and_fall_back_to_the_folder():
    art = story("a", "acme.com", "Factory", BODIES["a"] + "\nShare this")
    assert len([k for (_, k), _ in paragraph_keys(art) if not k.startswith(HEAD)]) == 2
    assert {site for (site, _), _ in paragraph_keys({**art, "site": None, "source": "dumps/x/1.txt"})} == {"dumps/x"}


def test_boilerplate_needs_different_stories():
    assert boilerplate_keys([("x", ("b1",)), ("y", ("b2",)), ("z", ("b3",))], 3)
    assert not boilerplate_keys([("x", ("b1",)), ("x", ("b2",)), ("x", ("b3",)), ("y", ("b4",))], 3)  # one title
    # Copies of one story (re-headlined, some with a local intro) share body paragraphs: one story.
    assert not boilerplate_keys([("x", ("b1", "b2")), ("y", ("b0", "b1")), ("z", ("b2",)), ("w", ("b9",))], 3)
    # ...and a story holding half of the paragraph's articles keeps it.
    assert not boilerplate_keys([("x", ("b1",)), ("y", ("b1",)), ("z", ("b3",)), ("w", ("b4",))], 3)


def test_strip_keeps_an_article_that_would_lose_most_of_its_text():
    keys = frozenset(k for (_, k), _ in paragraph_keys(story("a", "s", "t", BODIES["a"])))
    text = f"{BODIES['a']}\n{ABOUT}"
    assert strip_paragraphs(text, keys, 1 / 3) == (text, False)  # every paragraph is "boilerplate"
    about_only = frozenset(k for (_, k), _ in paragraph_keys({"site": "s", "title": "t", "text": ABOUT}))
    assert strip_paragraphs(text, about_only, 1 / 3) == (BODIES["a"], True)
    # the text's own keys, made once upstream, give the same
    assert strip_paragraphs(text, about_only, 1 / 3, text_keys(text)) == (BODIES["a"], True)
    assert strip_paragraphs(text, keys, 1 / 3, text_keys(text)) == (text, False)
    # An article stripped carries the words and content hash of what is left; one left too short stays whole.
    article = story("a", "s", "t", BODIES["a"])
    stripped = strip_article(article, about_only, paragraph_index(article), 1 / 3, 5)
    assert stripped["text"] == BODIES["a"] and stripped["n_words"] == count_words(BODIES["a"])
    assert stripped["content_hash"] == content_hash(BODIES["a"])
    assert strip_article(article, about_only, paragraph_index(article), 1 / 3, 10_000) is article
    assert strip_article(article, keys, paragraph_index(article), 1 / 3, 5) is article


def test_text_keys_are_one_per_line_and_feed_paragraph_keys():
    art = story("a", "s", "t", BODIES["a"])
    keys = text_keys(f"{art['text']}\nshort line")
    assert len(keys) == art["text"].count("\n") + 2 and keys[-1] == ""
    assert paragraph_keys(art, text_keys(art["text"])) == paragraph_keys(art)


def test_drop_site_boilerplate_on_the_runner():
    arts = [story("a", "acme.com", "Factory opens", BODIES["a"]),
            story("b", "acme.com", "New CFO", BODIES["b"]),
            story("c", "acme.com", "Shares rise", BODIES["c"]),
            # Another site quoting the paragraph once keeps it: the rule is per site.
            story("d", "news.example", "Acme in the news", BODIES["a"])]
    with local_pipeline() as p:
        out = p | beam.Create(arts) | DropSiteBoilerplate()
        assert_that(out | beam.Map(lambda a: (a["article_id"], a["text"], a["content_hash"] == content_hash(a["text"]))),
                    equal_to([("a", BODIES["a"], True), ("b", BODIES["b"], True), ("c", BODIES["c"], True),
                              ("d", f"{BODIES['a']}\n{ABOUT}", True)]))


def test_two_reposts_of_one_story_keep_their_shared_text():
    arts = [story("a", "acme.com", "Factory opens", BODIES["a"]), story("a2", "acme.com", "Factory opens", BODIES["a"]),
            story("b", "acme.com", "New CFO", BODIES["b"])]
    with local_pipeline() as p:
        out = p | beam.Create(arts) | DropSiteBoilerplate()
        assert_that(out | beam.Map(lambda a: a["text"].endswith(ABOUT)), equal_to([True, True, True]))


def test_reheadlined_copies_of_one_story_keep_their_text():
    text = f"{BODIES['a']}\n{BODIES['b']}\n{BODIES['c']}"
    arts = [{"article_id": aid, "site": None, "source": f"dumps/{aid}.txt", "title": title, "text": text,
             "n_words": 50, "content_hash": content_hash(text)}
            for aid, title in (("x", "Acme grows"), ("y", "Acme expands in Ohio"), ("z", "Big day for Acme"))]
    with local_pipeline() as p:
        out = p | beam.Create(arts) | DropSiteBoilerplate()
        assert_that(out | beam.Map(lambda a: a["text"] == text), equal_to([True, True, True]))


BIO = ("Jane Roe is a corporate media reporter for the Daily Example, covering the business of television and "
       "digital disruption in the entertainment industry. She previously wrote for the Herald.")
TEASERS = ["Women and people of color directed a greater share of television shows in the last season, a study says.",
           "Southern California locations play a key role in a new racing film starring two famous actors."]


def test_two_stories_under_one_closing_block_lose_it():
    # Two briefs of different stories on one site, each extracted with the page's author bio and two
    # teasers after it: the bio and the teasers are boilerplate, the briefs stay (before, a third story
    # was needed, and the shared teasers, read as body, made the two briefs one story).
    briefs = {"a": BODIES["a"] + "\n" + BODIES["b"], "c": BODIES["c"] + "\n" + BODIES["b"].replace("June", "May")}
    arts = []
    for aid, body in briefs.items():
        text = "\n".join([body, BIO] + TEASERS)
        arts.append({"article_id": aid, "site": "example.com", "title": f"Story {aid}", "text": text,
                     "n_words": len(text.split()), "content_hash": content_hash(text)})
    with local_pipeline() as p:
        out = p | beam.Create(arts) | DropSiteBoilerplate()
        assert_that(out | beam.Map(lambda a: (a["article_id"], a["text"])), equal_to(list(briefs.items())))


RAIL = ["Indian-origin man pleads guilty to a fraud scheme in New York, admitting theft and embezzlement of bank funds.",
        "United Nations regrets the new position of the administration on the legality of settlements in the region.",
        "All schools and colleges are open again in the valley, and attendance has reached 98 percent, officials say."]


def _page(aid, title, body, extractor="trafilatura"):
    text = "\n".join(RAIL + body)
    return {"article_id": aid, "site": "example.com", "title": title, "text": text, "n_words": len(text.split()),
            "content_hash": content_hash(text), "extractor": extractor}


def test_a_rail_above_two_briefs_leaves_them_and_the_story_it_quotes_keeps_its_lead():
    # Two briefs of different stories on one site, each page with the same rail of teasers ABOVE it: the tail
    # never saw the rail, and the rail (most of each text) made the two briefs one story. The paragraphs that
    # share two words of their page's title are each article's own; the rail shares none.
    briefs = {
        "doobie": ("Doobie Brothers to reunite with Michael McDonald for Blossom show",
                   ["The Doobie Brothers will ride a potential Hall of Fame induction into a 50th anniversary tour, "
                    "and the band will do it with singer Michael McDonald.",
                    "Rolling Stone reported that the reunion tour stops at Blossom Music Center on July 22."]),
        "trek": ("Star Trek 4 eyes Noah Hawley to direct",
                 ["After three years of silence there is news of the fourth Star Trek film: Noah Hawley, who created "
                  "two television series, is in final talks to write and direct it.",
                  "The most recent Star Trek film was Star Trek Beyond, released in 2016."]),
    }
    arts = [_page(aid, title, body) for aid, (title, body) in briefs.items()]
    # The site's own report of the first teaser's story: that paragraph is its lead, tied to its title.
    fraud = _page("fraud", "Indian-origin man pleads guilty to fraud scheme",
                  ["He faces up to thirty years in prison when he is sentenced in March, prosecutors said."])
    fraud["text"] = "\n".join([RAIL[0], "He faces up to thirty years in prison when he is sentenced in March."])
    with local_pipeline() as p:
        out = p | beam.Create(arts + [fraud]) | DropSiteBoilerplate()
        assert_that(out | beam.Map(lambda a: (a["article_id"], a["text"])),
                    equal_to([(aid, "\n".join(body)) for aid, (_, body) in briefs.items()]
                             + [("fraud", fraud["text"])]))


def test_a_guessed_title_ties_no_paragraph():
    # A text dump's title is the cleaner's guess (often the template's headline): only the tail is offered.
    art = _page("x", "Indian-origin man pleads guilty to fraud", ["A brief of its own story, with words enough."],
                extractor="textclean")
    keys, own, below = paragraph_index(art)
    assert not any(own)
    assert below.split() == story_words(words("\n".join(art["text"].split("\n")[1:])))
    assert {k for (_, k), _ in paragraph_keys(art, keys, own, below)} == {k for k in keys[-3:] if k} | {HEAD + keys[0]}
    titled = {**art, "extractor": "trafilatura"}
    keys, own, below = paragraph_index(titled)
    assert own == [True, False, False, False] and below is None
    assert {k for (_, k), _ in paragraph_keys(titled, keys, own, below)} == set(keys[1:])


def test_an_index_made_upstream_is_used_and_taken_off_the_record():
    titled = _page("x", "Indian-origin man pleads guilty to fraud", ["A brief of its own story, with words enough."],
                   extractor="trafilatura")
    lines = [words(line) for line in titled["text"].split("\n")]
    assert paragraph_index(titled, lines) == paragraph_index(titled)
    # An extraction worker's index (here one that calls every paragraph the article's own) is the one
    # DropSiteBoilerplate goes by, and no record leaves it with the index.
    keys, own, below = paragraph_index(titled)
    made = {**titled, PARAGRAPH_INDEX: (keys, [True] * len(own), None)}
    assert _indexed(made) == (titled, (keys, [True] * len(own), None))
    assert _indexed(titled) == (titled, (keys, own, below))
    with local_pipeline() as p:
        out = p | beam.Create([made]) | DropSiteBoilerplate()
        assert_that(out, equal_to([titled]))


CLAIM = ("“A cause for serious concern is the situation in the south, where armed groups controlled from abroad "
         "continue to prevent the evacuation of civilians from the camp, and the plan has failed,” the ministry said.")
STORIES = {
    "teachers": ["Thousands of teachers converged on the Statehouse on Tuesday to demand higher pay and more respect "
                 "from lawmakers, forcing half of the state's school districts to cancel classes.",
                 "Union leaders asked the legislature to spend part of the cash reserve on schools and salaries."],
    "banking": ["Regulators approved the merger of two regional banks after a review of their lending practices in "
                "rural counties, clearing the way for the largest deal in the sector this decade.",
                "The combined lender will keep both headquarters open until the systems are joined next spring."],
}


def _dump(aid, lines):
    text = "\n".join(lines)
    return {"article_id": aid, "site": None, "source": f"dumps/{aid}.txt", "title": "The ministries said",
            "text": text, "n_words": len(text.split()), "content_hash": content_hash(text), "extractor": "textclean"}


def test_a_templates_block_above_two_stories_leaves_them():
    # Two text dumps of one template, each a different story under the template's quoted claim: the claim
    # opens both, is in neither's tail, and their guessed titles are the template's one headline.
    arts = [_dump(aid, [CLAIM] + body) for aid, body in STORIES.items()]
    with local_pipeline() as p:
        out = p | beam.Create(arts) | DropSiteBoilerplate()
        assert_that(out | beam.Map(lambda a: (a["article_id"], a["text"], a["content_hash"] == content_hash(a["text"]))),
                    equal_to([(aid, "\n".join(body), True) for aid, body in STORIES.items()]))


def test_a_lead_shared_by_a_story_its_brief_and_an_edited_repost_stays():
    lead, rest = STORIES["teachers"][0], STORIES["teachers"][1]
    edited = rest.replace("asked", "urged").replace("salaries", "wages")
    texts = {"original": [lead, rest, BODIES["a"]], "brief": [lead, rest], "edited": [lead, edited, BODIES["a"]],
             "other": [CLAIM] + STORIES["banking"]}
    arts = [_dump(aid, lines) for aid, lines in texts.items()]
    with local_pipeline() as p:
        out = p | beam.Create(arts) | DropSiteBoilerplate()
        assert_that(out | beam.Map(lambda a: (a["article_id"], a["text"])),
                    equal_to([(aid, "\n".join(lines)) for aid, lines in texts.items()]))


def test_a_head_is_boilerplate_only_under_different_stories():
    teachers, banking = (" ".join(story_words(words(" ".join(STORIES[s])))) for s in ("teachers", "banking"))
    assert boilerplate_head([teachers, banking], 2)
    assert not boilerplate_head([teachers, teachers.replace("union", ""), banking], 2)  # one story holds half
    assert not boilerplate_head([teachers, banking, "said"], 2)  # a text that is the paragraph alone
    assert not boilerplate_head([teachers], 2)


def _ordered(*bodies):
    """``paragraph_keys``' entries of text dumps: each body's paragraphs in order, each of ``words`` words."""
    return [(f"title {n}", " ".join(f"{key}.{words}" for key, words in body)) for n, body in enumerate(bodies)]


def _paragraphs(spec, words=30):
    return [(key, words) for key in spec.split()]


def test_bodies_in_their_order_tell_stories_from_their_template_block():
    p = _paragraphs
    # Text dumps give their paragraphs above the tail in order; the run both end in is their template's.
    assert boilerplate_keys(_ordered(p("a1 a2") + p("t1 t2"), p("b1 b2", 45) + p("t1 t2")), 2)
    # Copies of one story on two templates (different closing lines) are one story...
    assert not boilerplate_keys(_ordered(p("a1 a2 a3 f1"), p("a1 a2 a3 g1")), 2)
    # ...and so is a brief of a story's lead under the same block as the story...
    assert not boilerplate_keys(_ordered(p("a1 a2 t1 t2"), p("a1 a2 a3 a4 t1 t2")), 2)
    # ...and a copy under a local intro, which ends in all of the story (the story, in its last paragraphs)...
    assert not boilerplate_keys(_ordered(p("i1 a1 a2 a3"), p("a1 a2 a3 a4 a5")), 2)
    # ...and two copies under local intros of a sentence each; two briefs of 40 words or more are two stories.
    assert not boilerplate_keys(_ordered(p("i1", 20) + p("a1 a2 a3"), p("j1", 20) + p("a1 a2 a3")), 2)
    assert boilerplate_keys(_ordered(p("i1", 45) + p("a1 a2 a3"), p("j1", 60) + p("a1 a2 a3")), 2)
    # A copy whose opening lines a renderer joined into one shares none of them, and has as many words there.
    assert not boilerplate_keys(_ordered([("j1", 42), ("t1", 44), ("t2", 9)],
                                         [("a1", 15), ("a2", 27), ("t1", 44), ("t2", 9)]), 2)
    # Edited copies keep a fifth of their paragraphs whole above the block.
    assert not boilerplate_keys(_ordered(p("a1 a2 a3 a4 a5") + p("t1 t2"), p("a1 e2 e3 e4", 30) + p("e5", 45)
                                         + p("t1 t2")), 2)
    # A text that is nothing but the block (its own text lost) does not make two stories one.
    assert boilerplate_keys(_ordered(p("a1 a2") + p("t1 t2"), p("b1 b2", 45) + p("t1 t2"), p("t1 t2")), 2)
    assert not boilerplate_keys(_ordered(p("a1 a2 t1 t2"), p("a1 a2 t1 t2"), p("t1 t2")), 2)


QUOTES = [f"Quote number {n} of the site's rail: hope, courage and patience bring the good that waits ahead of us."
          for n in range(8)]


def test_a_closing_block_longer_than_the_tail_leaves_every_story_under_it():
    # A quotes site's template ends in a rail of eight quotes under whatever it holds. Only the last three
    # paragraphs are judged one by one; read as body, the other five made the stories under it one story.
    # (Stories of one length above one block may be one text, its lines broken elsewhere: they differ here.)
    stories = {**STORIES, "banking": STORIES["banking"] + ["Analysts expect the first branch closures in the "
                                                            "smaller towns, where the two banks overlap most."]}
    arts = [{**_dump(aid, lines + QUOTES), "title": aid} for aid, lines in stories.items()]
    last = text_keys(arts[0]["text"])[-1]
    # The group of the last quote finds it and the five above the three judged one by one.
    seen = [value for art in arts for (_, key), value in paragraph_keys(art) if key == last]
    assert set(boilerplate_paragraphs(last, seen, 2)) == set(text_keys("\n".join(QUOTES[-1:] + QUOTES[:-3])))
    with local_pipeline() as p:
        out = p | beam.Create(arts) | DropSiteBoilerplate()
        assert_that(out | beam.Map(lambda a: (a["article_id"], a["text"])),
                    equal_to([(aid, "\n".join(lines)) for aid, lines in stories.items()]))


def test_paragraph_keys_sent_in_shard_batches_find_what_a_group_per_paragraph_finds(monkeypatch):
    import collections
    from transforms.extract import site_boilerplate as sb
    arts = []
    for s in range(6):
        about = ABOUT.replace("Acme", f"Site{s}")
        for i, (k, body) in enumerate(BODIES.items()):
            # Some stories twice (copies, re-headlined); every site's stories close with its own about line.
            for copy in range(1 + (s + i) % 2 * (s % 3 == 0)):
                text = f"{body} Reported for site {s}.\n{about}"
                arts.append({"article_id": f"{s}{k}{copy}", "site": f"site{s}.com", "title": f"{k} news {copy}",
                             "text": text, "n_words": count_words(text), "content_hash": content_hash(text)})
    indexed = [(a, paragraph_index(a)) for a in arts]
    groups = collections.defaultdict(list)
    for a, index in indexed:
        for key, value in paragraph_keys(a, *index):
            groups[key].append(value)
    expected = {(site, p) for (site, key), seen in groups.items() for p in boilerplate_paragraphs(key, seen, 2)}
    assert len({site for site, _ in expected}) >= 3

    def found(max_group=sb.MAX_GROUP):
        sizes = []
        judge = sb.boilerplate_paragraphs
        monkeypatch.setattr(sb, "MAX_GROUP", max_group)
        monkeypatch.setattr(sb, "boilerplate_paragraphs", lambda *a: sizes.append(len(a[1])) or judge(*a))
        shards = collections.defaultdict(list)
        for k in range(0, len(indexed), 5):  # batches of 5 articles, 4 shards
            for shard, batch in sb.paragraph_key_groups(indexed[k:k + 5], shards=4):
                shards[shard].append(batch)
        assert len(shards) > 1
        got = {(site, p) for batches in shards.values() for site, ps in sb.group_boilerplate(batches, 2) for p in ps}
        monkeypatch.undo()
        return got, sizes

    got, sizes = found()
    assert got == expected
    # Only a paragraph of two or more articles is judged; at most MAX_GROUP of its entries are kept.
    assert min(sizes) == 2 and len(sizes) < len(groups)
    got, sizes = found(max_group=3)
    assert got and max(sizes) == 3
