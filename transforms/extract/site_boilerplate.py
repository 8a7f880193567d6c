"""``DropSiteBoilerplate``: paragraphs a site prints under many different stories leave the article text.

An "About the company" paragraph under every press release, an author bio box or
a standing editor's note survives single-page extraction: on one page it reads
like the article. Two different stories of that site then share a hundred words,
and for a short story that is most of its text: its Jaccard with every other
story of the site passes the LSH threshold, and one cluster swallows them all.
(The real-page benchmark found exactly that: 24 documents of 9 events in one
cluster, held together by one 120-word paragraph.)

Seen across a run, such a paragraph repeats under different stories of one
site. ``DropSiteBoilerplate`` keys every paragraph of 8 or more words by (site,
normalised paragraph) for its last ``TAIL_PARAGRAPHS`` paragraphs (where
boilerplate sits), and a paragraph found in articles with at least
``min_titles`` different stories is boilerplate, and so are the paragraphs above
it that two of those stories, text dumps, both end in (``_shared_block``): a
template can close with a block longer than that tail (a rail of a dozen quotes,
a comment thread). An article whose title came
with its page (not one a text dump's cleaner guessed) also offers every
paragraph that shares no two words of its title: a rail of teasers or a
caption above a short article, which the tail never sees; such an article's
own story is told by the paragraphs that do share them, and those are never
stripped from it. An article none of whose paragraphs its title ties (a text
dump's title is the cleaner's guess) offers its first paragraph as well, told
apart by the words of the text below it (``boilerplate_head``): a template's
standing block above the article, a fact check's quoted claim over every story
put on its page, is in no tail. Articles that share another paragraph are one story
(copies, re-headlined or with a local intro), and no story may hold half of
the paragraph's articles, so a syndicated story's closing paragraph is never
taken for boilerplate (a text dump's paragraphs in their order tell more:
``_story_relation``). The site is the
article's site, else the folder its file came from (a folder of dumps is one
site, as for ``FindRepeatedLines``). It is removed from each article
that holds it unless that would leave less than ``min_kept`` of the article's
words (a series of updates to one story shares most of its text: that is the
story, not boilerplate), and the article's word count and content hash follow.

The text dumps' own cleaner does the same per line before extraction
(``FindRepeatedLines``); this step sees what extraction kept, HTML included.
"""
from __future__ import annotations

import collections
import posixpath
from typing import Iterable, NamedTuple, Optional

import apache_beam as beam

from transforms import counters
from transforms.dedup import lsh
from transforms.dedup.pairs import shard_by_first
from transforms.extract.paragraphs import PARAGRAPH_INDEX, paragraph_index, text_keys
from transforms.tokens import content_hash, count_words, words

__all__ = ["DropSiteBoilerplate", "text_keys", "paragraph_index", "paragraph_keys", "paragraph_key_groups",
           "group_boilerplate", "boilerplate_paragraphs", "boilerplate_keys", "boilerplate_head", "strip_paragraphs",
           "strip_article"]

#: Only an article's last paragraphs are candidates.
TAIL_PARAGRAPHS = 3
#: Keys of an article's own paragraphs sampled as its body.
BODY_SAMPLE = 3
#: Keys of the paragraphs above its last ones an article without own paragraphs gives as its body.
BODY_KEYS = 32
#: Paragraph entries of one site and paragraph held at once: a paragraph on more pages than this is
#: boilerplate anyway.
MAX_GROUP = 1000
#: ``DropSiteBoilerplate``'s defaults (its docstring says why).
MIN_TITLES = 2
MIN_KEPT = 0.1
#: Marks the key of an article's first paragraph offered as a head (``paragraph_keys``): judged by
#: ``boilerplate_head``, not ``boilerplate_keys``. Keys are hex digests, so it is never one's first letter.
HEAD = "^"
#: Story words an article needs below a head to be judged by them: with fewer, the head is most of the
#: article (a brief of a story's lead).
REST_MIN_WORDS = 5
#: Share of the smaller of two texts' story words the other must hold for both to be one story. On
#: the real-page corpora two stories under one template's head shared up to 0.30 of them (the
#: template's lines below it), and a brief, its template's newsletter lines after it, 0.47 of its
#: copy's.
SAME_STORY = 0.4
#: Share of the fewer paragraphs above such a block two texts must share to be one story (``_story_relation``).
REST_SHARED = 0.2
#: Words above such a block that make a story of their own (a brief has 40 or more; a local intro, fewer).
STORY_WORDS = 40
#: Texts above such a block whose word counts differ by no more than this are one text, its lines broken
#: elsewhere (two words glued where a line ended): one story (``_story_relation``). At 2% two different
#: stories' texts of ~600 words under one template were taken for one.
SAME_LENGTH = 1
#: Articles of one head, or text dumps of one paragraph, judged at most (pairwise): a head or a paragraph
#: on more pages than this is boilerplate anyway.
MAX_HEADS = 200
#: Paragraph keys go in records per shard of the paragraph, for batches of this many articles (as the event
#: keys go): 10,000 generated articles sent 39,921 key elements, each costing a local run microseconds at
#: every step of its shuffle, where this sends 2,560 records. A group holds 1/``PARAGRAPH_SHARDS`` of the keys.
PARAGRAPH_SHARDS = 256
PARAGRAPH_BATCH = 1024


def site_of_article(article: dict) -> str:
    """The site an article's boilerplate is judged in: its site, else its file's folder."""
    return article.get("site") or posixpath.dirname(article.get("source") or "") or "."


def paragraph_keys(article: dict, keys: list = None, own: list = None, below: str = None) -> list:
    """((site, paragraph key), (title, body)) for each paragraph of 8+ words that may be boilerplate.

    Those are an article's last paragraphs and, when its page's title ties some paragraphs to it
    (``paragraph_index``), every paragraph that is not its own. The body tells the article's story
    from others': with own paragraphs, a tuple of the smallest ``BODY_SAMPLE`` keys of them (copies
    of one story share them, articles that only share boilerplate do not); without, the keys of its
    paragraphs above its last ones (of its other paragraphs, when it has no more), the last
    ``BODY_KEYS`` of them in their order, each with its words ("key.words"), as one string
    (``boilerplate_keys`` reads where two texts stop sharing them). An article none of whose
    paragraphs is its own also offers its first one, keyed after ``HEAD`` with the story words below
    it (``boilerplate_head``). ``keys``, ``own``, ``below``: ``paragraph_index`` of the article, when
    known.
    """
    site = site_of_article(article)
    title = " ".join(words(article.get("title") or article.get("article_id") or ""))
    if keys is None or own is None:
        keys, own, below = paragraph_index(article)
    mine = sorted({k for k, o in zip(keys, own) if k and o})
    if not mine:
        # Each paragraph's words, counted by its spaces: a body tells a brief from a local intro by them.
        sizes = {k: line.count(" ") + 1 for k, line in zip(keys, (article.get("text") or "").split("\n")) if k}
    keys = [k for k in keys if k]
    # Boilerplate closes a page (about the company, author bio, disclaimer); a paragraph two stories
    # share in their middle is quoted text, which clustering must see, unless the page's title says
    # it is not this article's.
    tail = keys[-TAIL_PARAGRAPHS:]
    candidates = set(tail) | (set(keys) - set(mine) if mine else set())
    above = keys[:-TAIL_PARAGRAPHS]
    out = []
    for k in sorted(candidates):
        if mine:
            body = tuple([o for o in mine if o != k][:BODY_SAMPLE])
        else:
            body = " ".join(f"{o}.{sizes[o]}" for o in (above or [o for o in keys if o != k])[-BODY_KEYS:])
        out.append(((site, k), (title, body)))
    if below is not None:
        # A template's standing block above its article (a fact check's quoted claim, ~100 words, over
        # every story put on its page) is in no tail, and a text dump's guessed title, the template's
        # headline, ties nothing to any story: two short texts under it shared more of the claim than
        # of anything else and were one cluster. The text below tells them apart, by its words rather
        # than its paragraphs: an edited repost shares its original's lead and changes a word in eight
        # of the rest, so none of its paragraphs is its original's.
        out.append(((site, HEAD + keys[0]), below))
    return out


def boilerplate_head(seen: Iterable[str], min_titles: int) -> bool:
    """Whether the first paragraph of these articles (each given by the story words below it,
    ``paragraph_index``) is boilerplate: they are at least ``min_titles`` different stories and none
    holds half of them, as ``boilerplate_keys`` judges a paragraph.

    Two articles are one story when the smaller's words are at least ``SAME_STORY`` in the other's
    (a brief's are all in its original's, an edited repost's most; two stories share a tenth to a
    third, the most of it their template's lines). An article that is (nearly) the paragraph alone
    makes it a story's own: a brief of the lead.
    """
    rests = []
    for below in seen:
        rest = frozenset(below.split())
        if len(rest) < REST_MIN_WORDS:
            return False
        rests.append(rest)
        if len(rests) >= MAX_HEADS:
            break
    if len(rests) < min_titles:
        return False
    uf = lsh.UnionFind()
    for i, a in enumerate(rests):
        uf.find(i)
        for j in range(i):
            b = rests[j]
            if len(a & b) >= SAME_STORY * min(len(a), len(b)):
                uf.union(i, j)
    return _different_stories(list(collections.Counter(uf.components().values()).values()), min_titles)


def boilerplate_keys(seen: Iterable[tuple], min_titles: int) -> bool:
    """Whether a paragraph seen in these articles' (title, body) is boilerplate (``paragraph_keys``).

    The articles holding it must be at least ``min_titles`` different stories: groups of articles
    linked by a shared body paragraph (copies of one story, with or without a local intro) count
    once, and no group may hold half of the articles unless each is one article. A story's closing
    paragraph is held by its copies, which share the rest of the story too. Two bodies given in their
    order are one story as ``_story_relation`` tells.
    """
    return _judged(seen, min_titles) is not None


class _Body(NamedTuple):
    """A text dump's body as ``paragraph_keys`` gives it, read once for all the pairs it is judged in."""
    keys: list
    key_set: frozenset
    #: The smallest ``BODY_SAMPLE`` keys.
    sample: frozenset


def _parsed(body: str, sizes: dict) -> _Body:
    """A body's "key.words" entries as a ``_Body``; each key's words go into ``sizes``."""
    keys = []
    for entry in body.split():
        key, _, size = entry.partition(".")
        keys.append(key)
        sizes[key] = int(size or 0)
    key_set = frozenset(keys)
    return _Body(keys, key_set, frozenset(sorted(key_set)[:BODY_SAMPLE]))


def _judged(seen: Iterable[tuple], min_titles: int) -> Optional[set]:
    """``boilerplate_keys``: None when the paragraph is not boilerplate, else the paragraphs of the block
    it closes (``_shared_block``)."""
    uf, titles, ordered, sampled, sizes, n = lsh.UnionFind(), set(), [], set(), {}, 0
    for n, (title, body) in enumerate(seen, 1):
        titles.add(title)
        node = ("a", n)
        ordered_body = isinstance(body, str)
        # Bodies in their order are judged two by two: a group larger than that is judged on its first ones.
        if ordered_body and len(ordered) >= MAX_HEADS:
            continue
        uf.find(node)
        if ordered_body:
            ordered.append((node, _parsed(body, sizes)))
        else:
            sampled.update(body)
            for k in body:
                uf.union(node, ("p", k))
        if n >= MAX_GROUP:
            break
    if len(titles) < min_titles:
        return None
    within: dict = collections.defaultdict(list)
    runs = []
    for i, (a, body_a) in enumerate(ordered):
        for k in sampled.intersection(body_a.key_set):
            uf.union(a, ("p", k))
        for b, body_b in ordered[:i]:
            relation, run = _story_relation(body_a, body_b, sizes)
            if relation == ONE_STORY:
                uf.union(a, b)
                continue
            if relation == FIRST_WITHIN:
                within[a].append(b)
            elif relation == SECOND_WITHIN:
                within[b].append(a)
            if run:
                runs.append((a, b, run))
    # A text all of whose paragraphs another holds is that story's (a copy, a brief of its lead), unless
    # it is all in two stories: then it is nothing but their template's lines (its own text lost), and
    # as either's copy it made them one.
    for a, holders in within.items():
        if len({uf.find(b) for b in holders}) == 1:
            uf.union(a, holders[0])
    story = uf.components()
    stories = collections.Counter(label for node, label in story.items() if node[0] == "a")
    if not _different_stories(list(stories.values()), min_titles):
        return None
    return _shared_block(runs, story, min_titles)


def _shared_block(runs: list, story: dict, min_titles: int) -> set:
    """The paragraphs above a boilerplate paragraph that close the bodies of different stories: the run of
    shared paragraphs two bodies of different stories end in, ``(a, b, the run's keys)`` each, when the
    bodies ending in a run that holds a paragraph are ``min_titles`` stories or more, none of them half
    (as a paragraph itself is judged).

    Only a page's last paragraphs are judged one by one, and a template's closing block (a rail of a
    dozen quotes, teasers with their summaries) can be longer: the stories under it kept the rest of
    it, shared it, and were one cluster. A run is two bodies' own: edited copies of one story, each
    a story of its own by its paragraphs, share a few of them, and together they held all of them.
    """
    holders: dict = collections.defaultdict(set)
    for a, b, run in runs:
        if story[a] != story[b]:
            for k in run:
                holders[k].update((a, b))
    return {k for k, nodes in holders.items()
            if _different_stories(list(collections.Counter(story[n] for n in nodes).values()), min_titles)}


#: ``_story_relation``'s answers.
OTHER_STORY, ONE_STORY, FIRST_WITHIN, SECOND_WITHIN = range(4)


def _story_relation(a: _Body, b: _Body, sizes: dict) -> tuple:
    """How two articles' paragraph keys, in their order, stand to each other's story, and the run of
    shared paragraphs they both end in: ``(relation, the run's keys)``. ``sizes``: each key's words.

    When both end in shared paragraphs, those may be a template's closing block, and what is above
    them tells: ``FIRST_WITHIN`` / ``SECOND_WITHIN`` when only that one has nothing above them (a copy,
    a brief of the lead), ``ONE_STORY`` when neither has, or they share ``REST_SHARED`` of the fewer
    paragraphs there (edited copies keep a fifth of theirs whole), or their words there are as many
    (``SAME_LENGTH``: one text whose lines a renderer broke elsewhere shares none of them), else
    ``OTHER_STORY``: when both have ``STORY_WORDS`` there. Fewer words above them are a local intro as
    often as a brief; then, and when they do not both end in shared paragraphs, they are ``ONE_STORY``
    when their samples share a key, as articles with own paragraphs are judged, and no run is given.

    Two stories put on one template end in the template's closing block, and it can be longer than the
    last paragraphs judged (a rail of a dozen quotes under a brief); read as body, its paragraphs made
    every story under it one story, and the block stayed in all of them.
    """
    shared = a.key_set & b.key_set
    if not shared:
        return OTHER_STORY, ()
    # The run both end in: the paragraphs of each one's closing run of shared paragraphs that are in the
    # other's too (a copy under a local intro ends in all of the story; the story, in its last ones).
    run = set(a.keys[_run_start(a.keys, shared):]).intersection(b.keys[_run_start(b.keys, shared):])
    if not run:
        return (ONE_STORY if a.sample & b.sample else OTHER_STORY), ()
    rest_a, rest_b = a.key_set - run, b.key_set - run
    if not rest_a:
        return (ONE_STORY if not rest_b else FIRST_WITHIN), run
    if not rest_b:
        return SECOND_WITHIN, run
    words_a, words_b = sum(sizes.get(k, 0) for k in rest_a), sum(sizes.get(k, 0) for k in rest_b)
    if min(words_a, words_b) < STORY_WORDS:
        # So few words above the run are a local intro or a caption as often as a story: the samples judge,
        # and the run is no block.
        return (ONE_STORY if a.sample & b.sample else OTHER_STORY), ()
    if (abs(words_a - words_b) <= SAME_LENGTH
            or len(rest_a & rest_b) >= REST_SHARED * min(len(rest_a), len(rest_b))):
        return ONE_STORY, run
    return OTHER_STORY, run


def _run_start(keys: list, shared: set) -> int:
    """Where the run of ``shared`` keys that ``keys`` ends in starts."""
    end = len(keys)
    while end and keys[end - 1] in shared:
        end -= 1
    return end


def _different_stories(sizes: list, min_titles: int) -> bool:
    """Whether articles holding one paragraph, in stories of these sizes, make it boilerplate: at least
    ``min_titles`` stories, none holding half of the articles unless every article is a story of its own
    (no story's own paragraph to protect: two briefs under one bio)."""
    n = sum(sizes)
    return len(sizes) >= min_titles and (len(sizes) == n or max(sizes) < 0.5 * n)


def boilerplate_paragraphs(key: str, seen: Iterable, min_titles: int) -> list:
    """The paragraph keys a group of ``paragraph_keys``' entries finds boilerplate: its own key, or none;
    a head (``HEAD`` + key) judged by ``boilerplate_head``, any other paragraph by ``boilerplate_keys``,
    with the rest of the closing block it is part of (``_shared_block``)."""
    if key.startswith(HEAD):
        return [key[len(HEAD):]] if boilerplate_head(seen, min_titles) else []
    block = _judged(seen, min_titles)
    return [] if block is None else [key, *sorted(block - {key})]


def strip_paragraphs(text: str, keys: frozenset, min_kept: float, own_keys: list = None,
                     own: list = None) -> tuple:
    """(text without the paragraphs whose key is in ``keys``, removed?) - unchanged when too little is left.

    ``own_keys``: ``text_keys(text)``, when known; ``own``: which paragraphs are the article's own by
    its title (``paragraph_index``): those stay (the story a rail elsewhere quotes keeps its lead).
    """
    out, n_kept = _stripped(text, keys, min_kept, own_keys, own)
    return out, n_kept is not None


def _stripped(text: str, keys: frozenset, min_kept: float, own_keys: list = None, own: list = None) -> tuple:
    """``strip_paragraphs``, with the words of what is left (None when nothing is removed): counted once,
    for the ``min_kept`` check and for the stripped article's word count."""
    kept, removed = [], False
    paragraphs = text.split("\n")
    keys_of = own_keys if own_keys is not None else text_keys(text)
    for paragraph, key, mine in zip(paragraphs, keys_of, own or [False] * len(paragraphs)):
        if key in keys and not mine:
            removed = True
        else:
            kept.append(paragraph)
    if not removed:
        return text, None
    out = "\n".join(kept).strip()
    n_kept = count_words(out)
    if n_kept < min_kept * count_words(text):
        return text, None
    return out, n_kept


def strip_article(article: dict, keys: frozenset, index: tuple, min_kept: float, min_words: int) -> dict:
    """``article`` without the paragraphs whose key is in ``keys`` (``strip_paragraphs``), its word count and
    content hash following; the article itself when nothing is removed or fewer than ``min_words`` are left.

    ``index``: ``paragraph_index(article)``.
    """
    own_keys, own = index[:2]
    text, n = _stripped(article["text"], keys, min_kept, own_keys, own)
    if n is not None and n >= min_words:
        return {**article, "text": text, "n_words": n, "content_hash": content_hash(text)}
    return article


def paragraph_key_groups(batch: Iterable[tuple], shards: int = PARAGRAPH_SHARDS) -> list:
    """A batch of ``(article, paragraph_index(article))`` -> its ``paragraph_keys`` entries, one record per shard
    of the paragraph: ``[(shard, [((site, key), (title, body)), ...])]`` (``pairs.shard_by_first``: the same
    shard in every process), so every entry of one site's paragraph meets in one group."""
    return shard_by_first((entry for article, index in batch for entry in paragraph_keys(article, *index)),
                          _paragraph_of, shards)


def _paragraph_of(entry: tuple) -> str:
    return entry[0][1]


def group_boilerplate(batches: Iterable[list], min_titles: int) -> list:
    """``paragraph_key_groups`` records of one shard -> ``[(site, [paragraph key, ...])]``: for each site's
    paragraph found to be boilerplate there, its key and its block's (``boilerplate_paragraphs``).

    A paragraph of one article is not judged: it cannot be under ``min_titles`` (two or more) stories. A
    paragraph's entries past ``MAX_GROUP`` are not kept, as judging reads no more of them.
    """
    if min_titles < 2:
        raise ValueError("min_titles must be >= 2")
    groups: dict = {}
    for batch in batches:
        for key, value in batch:
            seen = groups.get(key)
            if seen is None:
                groups[key] = [value]
            elif len(seen) < MAX_GROUP:
                seen.append(value)
    judged = ((site, boilerplate_paragraphs(key, seen, min_titles))
              for (site, key), seen in groups.items() if len(seen) > 1)
    return [(site, found) for site, found in judged if found]


def _indexed(article: dict) -> tuple:
    """(article, its ``paragraph_index``): the one its extraction worker made, when it did (taken off the
    record), else made here."""
    index = article.get(PARAGRAPH_INDEX)
    if index is None:
        return article, paragraph_index(article)
    return {key: value for key, value in article.items() if key != PARAGRAPH_INDEX}, index


class _BoilerplateFn(beam.DoFn):
    def __init__(self, min_titles: int):
        self._min_titles = min_titles
        self._found = counters.counter("site_boilerplate_paragraphs")

    def process(self, element):
        _, batches = element
        found = group_boilerplate(batches, self._min_titles)
        self._found.inc(len(found))
        for site, paragraphs in found:
            for paragraph in paragraphs:
                yield site, paragraph


class _StripFn(beam.DoFn):
    def __init__(self, min_kept: float, min_words: int):
        self._min_kept, self._min_words = min_kept, min_words
        self._stripped = counters.counter(counters.SITE_BOILERPLATE_STRIPPED)

    def process(self, element, boilerplate):
        article, index = element
        keys = boilerplate.get(site_of_article(article))
        if keys:
            stripped = strip_article(article, keys, index, self._min_kept, self._min_words)
            if stripped is not article:
                self._stripped.inc()
            article = stripped
        yield article


class DropSiteBoilerplate(beam.PTransform):
    """Article records -> the same records, site boilerplate paragraphs removed (see module docstring).

    Args:
        min_titles: Different stories of one site a paragraph must appear under. Two: a scheduled run
            holds a few articles per site, and one author's bio under two briefs of different stories
            made them one story (on the real-page benchmark).
        min_kept: An article keeps at least this share of its words, or is left as it was (a brief
            in a page's closing block of bio and teasers is a fifth to a third of what was extracted; a
            brief over a rail of a dozen quotes, a seventh).
        min_words: ...and at least this many words.
    """

    def __init__(self, min_titles: int = MIN_TITLES, min_kept: float = MIN_KEPT, min_words: int = 0):
        super().__init__()
        if min_titles < 2 or not 0.0 < min_kept <= 1.0:
            raise ValueError("min_titles must be >= 2 and min_kept in (0, 1]")
        self._min_titles, self._min_kept, self._min_words = min_titles, min_kept, min_words

    def expand(self, articles):
        # Each paragraph is normalised and hashed once, for finding boilerplate and for stripping it.
        keyed = articles | "KeyEachParagraph" >> beam.Map(_indexed)
        boilerplate = beam.pvalue.AsDict(
            keyed
            | "BatchArticles" >> beam.BatchElements(min_batch_size=PARAGRAPH_BATCH, max_batch_size=PARAGRAPH_BATCH)
            | "KeyParagraphs" >> beam.FlatMap(paragraph_key_groups)
            | "GroupParagraphs" >> beam.GroupByKey()
            | "KeepBoilerplate" >> beam.ParDo(_BoilerplateFn(self._min_titles))
            | "GroupBySite" >> beam.GroupByKey()
            | "AsKeySets" >> beam.MapTuple(lambda site, keys: (site, frozenset(keys))))
        return (
            keyed
            # Its own stage: a side input computed from the PCollection its consumer reads in the
            # same fused stage stalls the local runner.
            | "SeparateFromParagraphs" >> beam.Reshuffle()
            | "StripBoilerplate" >> beam.ParDo(_StripFn(self._min_kept, self._min_words), boilerplate)
        )
