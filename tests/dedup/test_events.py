"""transforms.dedup.events and GroupEvents: rewrites and independent reports share an event, other events stay apart."""
import datetime as dt

import apache_beam as beam
import numpy as np
from apache_beam.testing.util import assert_that, equal_to
import pytest
import simplemma

from tests.beam_helpers import local_pipeline
from transforms.dedup.events import (_order_by, EventConfig, TermSplits, articles_event_terms, cosine, event_id_for,
                                     event_keys, event_roles, event_terms, date_slots, pack_terms, packed_cosine,
                                     packed_event_keys, split_event, summed_terms, summed_vectors, term_weights,
                                     unpack_terms, event_key_hashes, window_buckets, within_window)
from transforms.dedup.group_events import GroupEvents
from transforms.dedup.records import utc_micros

QUAKE = ("A magnitude 6.4 earthquake struck near Petrinja in central Croatia on Tuesday, killing at least seven "
         "people and collapsing buildings, officials in Zagreb said. Rescuers searched the rubble in Sisak.")
QUAKE_REWRITE = ("Seven people died in Croatia when a 6.4 quake hit the town of Petrinja, with rescue teams digging "
                 "through collapsed homes in Sisak and Zagreb reporting damage, according to officials.")
ELECTION = ("Voters in Portugal returned the Socialist prime minister Antonio Costa to power on Sunday, with his party "
            "winning 108 seats in Lisbon's parliament after a campaign dominated by housing costs.")
UTC = dt.timezone.utc


def terms(text):
    return event_terms(text, None, "en")


def test_terms_are_rare_words_and_numbers_without_common_words():
    t = dict(terms(QUAKE))
    assert "petrinja" in t and "6" not in t
    assert not {"the", "in", "on", "said", "people"} & set(t)
    assert abs(sum(w * w for w in t.values()) - 1.0) < 0.01


def test_rewrite_scores_above_threshold_and_other_event_below():
    cfg = EventConfig()
    assert cosine(terms(QUAKE), terms(QUAKE_REWRITE)) >= cfg.threshold
    assert cosine(terms(QUAKE), terms(ELECTION)) < 0.1


LAYOFFS = ("WeWork began laying off 2,400 employees on Thursday, WeWork chairman Marcelo Claure told staff, as "
           "WeWork cuts costs after its failed listing. WeWork said the layoffs would not affect its members.")
INQUIRY = ("The New York attorney general is investigating WeWork and its ousted chief Adam Neumann over WeWork's "
           "dealings with him, WeWork confirmed, days after WeWork's investors questioned its accounts.")


def test_one_shared_name_does_not_make_two_stories_one_event():
    # A company's layoffs and an inquiry into it: the company's name, in every sentence, was the heaviest
    # term of both and carried their cosine. It weighs no more than each one's next term.
    for text in (LAYOFFS, INQUIRY):
        weights = [w for _, w in terms(text)]
        assert terms(text)[0][0] == "wework" and weights[0] == weights[1]
    assert cosine(terms(LAYOFFS), terms(INQUIRY)) < EventConfig().threshold
    assert cosine(terms(QUAKE), terms(QUAKE_REWRITE)) >= EventConfig().threshold


def test_a_number_written_in_groups_of_three_digits_is_one_term():
    # "12,000" was "12" and "000", and "000" became a heavy term of every text with round numbers in it.
    text = "WeWork will cut 12,000 jobs, 1.200.000 dollars and 12 000 desks in 2019 200 offices."
    t = dict(terms(text))
    # ... at the end of a text or title as well.
    assert {"12000", "3500"} <= dict(event_terms("WeWork cuts 3,500 desks and 12,000", "WeWork cuts 12,000", "en")).keys()
    assert {"12000", "1200000", "2019", "200"} <= set(t)
    assert not {"000", "12"} & set(t)
    assert t["12000"] > t["1200000"]
    # A group's number is a text's own: the next text's lead does not continue the last one's.
    first, second = (dict(unpack_terms(p)) for p in articles_event_terms(
        [{"text": "Salaries rose by 12", "language": "en"}, {"text": "000 agents", "language": "en"}]))
    assert "12" in first and "000" in second and "12000" not in first
    # Only a number of one to three digits starts one: after a word, a group stays itself.
    t = dict(terms("Gate B 000 sold 4,500 seats, gate B 000 said."))
    assert {"000", "4500"} <= set(t) and "500" not in set(t)
    # A number whose first group has three digits is one term too ("250,000" was "250" and "000"), when the
    # text writes it as one: "400 737 Max jets" are two numbers.
    t = dict(terms("Acme will cut 250,000 jobs and 600.000 desks in 2019 200 offices; its 400 737 Max jets stay."))
    assert {"250000", "600000", "2019", "200", "400", "737"} <= set(t)
    assert not {"000", "250", "600", "400737"} & set(t)
    assert "190000" in dict(event_terms("Acme sold them.", "Acme cuts 190,000 jobs", "en"))
    # Digits of any script, as str.isdigit reads them.
    t = dict(event_terms("Acme will cut ١٢,٠٠٠ jobs and ٢٥٠,٠٠٠ desks in ٢٠١٩ ٢٠٠ offices", None, "ar"))
    assert {"١٢٠٠٠", "٢٥٠٠٠٠", "٢٠١٩", "٢٠٠"} <= set(t) and not {"٠٠٠", "١٢", "٢٥٠"} & set(t)


def test_two_stories_sharing_only_round_numbers_are_not_one_event():
    a = "Acme will cut 3,000 jobs and close 2,000 stores, Acme said, ending its 40,000 square-foot depot."
    b = "Globex bought 5,000 trucks and 7,000 vans, Globex said, for a fleet of 90,000 vehicles."
    assert cosine(terms(a), terms(b)) < 0.1


def test_pack_round_trip_and_keys_are_pairs_of_top_terms():
    t = terms(QUAKE)
    assert unpack_terms(pack_terms(t)) == t
    assert len(event_keys(t, 6)) == 15
    assert set(event_keys(terms(QUAKE), 6)) & set(event_keys(terms(QUAKE_REWRITE), 6))


def test_weights_are_read_as_the_floats_they_spell_packed_or_hand_written():
    # Weights are looked up by their spelling (a table of what packing writes), not parsed: every weight
    # packing can write, and any other spelling an older or hand-made list holds, reads as float() reads it.
    import random
    rng = random.Random(11)
    written = [k / 1e4 for k in range(10001)] + [rng.random() for _ in range(300)] + [1e-05, 2.5e-07, 1.5, 12.0]
    for start in range(0, len(written), 40):
        chunk = written[start:start + 40]
        packed = "\t".join(f"t{i} {w:g}" if i % 3 else f"t{i} {w!r}" for i, w in enumerate(chunk))
        expected = [(f"t{i}", float(f"{w:g}" if i % 3 else repr(w))) for i, w in enumerate(chunk)]
        assert unpack_terms(packed) == expected
        assert list(term_weights(packed).items()) == expected
        assert list(summed_vectors([[packed]])[0]) == [w for _, w in expected]
        assert packed_cosine(packed, packed) == sum(w * w for _, w in expected)
    with pytest.raises(ValueError):
        unpack_terms("budget x")


def test_roles_original_is_earliest_cluster_canonical():
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    members = [
        {"article_id": "a", "cluster_id": "c1", "is_canonical": True, "published": t0 + dt.timedelta(hours=2)},
        {"article_id": "b", "cluster_id": "c1", "is_canonical": False, "published": t0 + dt.timedelta(hours=3)},
        {"article_id": "c", "cluster_id": "c2", "is_canonical": True, "published": t0},
    ]
    assert event_roles(members) == {"a": "related", "b": "copy", "c": "original"}


def test_roles_of_other_clusters_follow_the_sources_they_credit():
    # The original's cluster credits AP through a copy (its canonical's page dropped the dateline).
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)

    def member(aid, cid, hours, credit=None, canonical=True):
        return {"article_id": aid, "cluster_id": cid, "is_canonical": canonical,
                "published": t0 + dt.timedelta(hours=hours), "credited_source": credit}

    members = [member("o", "c1", 0), member("o2", "c1", 1, "AP", canonical=False),
               member("r", "c2", 2, "AP"),                               # the wire story in other words
               member("r2", "c3", 3), member("r3", "c3", 4, "ap", canonical=False),
               member("i", "c4", 2, "Reuters"),                          # another agency's report
               member("u", "c5", 2)]                                     # credits nothing: not guessed
    assert event_roles(members) == {"o": "original", "o2": "copy", "r": "rewrite", "r2": "rewrite", "r3": "copy",
                                    "i": "independent", "u": "related"}
    # An original that credits nothing tells nothing about the others.
    uncredited = [dict(m, credited_source=None) if m["cluster_id"] == "c1" else m for m in members]
    assert set(event_roles(uncredited).values()) == {"original", "copy", "related"}
    # A source's name is one name: "AP" is not in "Japan Times".
    japan = [members[0], members[1], member("j", "c6", 2, "Japan Times")]
    assert event_roles(japan)["j"] == "independent"


def _row(aid, cid, text, published=None, canonical=True):
    return {"article_id": aid, "cluster_id": cid, "is_canonical": canonical, "published": published,
            "event_terms": pack_terms(terms(text))}


def test_group_events_links_rewrites_and_keeps_other_events_apart():
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    rows = [_row("q1", "c1", QUAKE, t0), _row("q2", "c2", QUAKE_REWRITE, t0 + dt.timedelta(hours=5)),
            _row("q3", "c1", QUAKE, t0 + dt.timedelta(hours=1), canonical=False),
            _row("e1", "c3", ELECTION, t0),
            # Same words, a week later: another event.
            _row("q4", "c4", QUAKE_REWRITE, t0 + dt.timedelta(days=9))]
    with local_pipeline() as p:
        out = {"articles": p | "Rows" >> beam.Create(rows),
               "index": p | "Index" >> beam.Create([{"article_id": r["article_id"]} for r in rows]),
               "history": p | "History" >> beam.Create([])} | GroupEvents(EventConfig())
        quake = event_id_for("q1")
        assert_that(out["articles"] | beam.Map(lambda r: (r["article_id"], r["event_id"], r["event_role"])),
                    equal_to([("q1", quake, "original"), ("q2", quake, "related"), ("q3", quake, "copy"),
                              ("e1", event_id_for("e1"), "original"), ("q4", event_id_for("q4"), "original")]),
                    label="Articles")
        assert_that(out["index"] | beam.Map(lambda r: (r["article_id"], r["event_id"])),
                    equal_to([("q1", quake), ("q2", quake), ("q3", quake), ("e1", event_id_for("e1")),
                              ("q4", event_id_for("q4"))]), label="Index")


def test_group_events_joins_an_event_of_a_past_run():
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    past = {**_row("old", "c9", QUAKE, t0), "event_id": "e-past", "is_canonical": None}  # as the index stores it
    with local_pipeline() as p:
        out = {"articles": p | "Rows" >> beam.Create([_row("new", "c2", QUAKE_REWRITE, t0 + dt.timedelta(hours=3))]),
               "index": p | "Index" >> beam.Create([]),
               "history": p | "History" >> beam.Create([past])} | GroupEvents(EventConfig())
        assert_that(out["articles"] | beam.Map(lambda r: (r["article_id"], r["event_id"], r["event_role"])),
                    equal_to([("new", "e-past", "related")]))


def test_a_rewrite_crediting_the_past_originals_source_is_a_rewrite():
    # The index keeps each past article's credit: a later run tells a rewrite of a past wire story.
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    past = {**_row("old", "c9", QUAKE, t0), "event_id": "e-past", "is_canonical": None, "credited_source": "Reuters"}
    rows = [{**_row("new", "c2", QUAKE_REWRITE, t0 + dt.timedelta(hours=3)), "credited_source": "Reuters"},
            {**_row("other", "c3", QUAKE_REWRITE + " Rescuers searched the rubble.", t0 + dt.timedelta(hours=4)),
             "credited_source": "AFP"}]
    with local_pipeline() as p:
        out = {"articles": p | "Rows" >> beam.Create(rows),
               "index": p | "Index" >> beam.Create([]),
               "history": p | "History" >> beam.Create([past])} | GroupEvents(EventConfig())
        assert_that(out["articles"] | beam.Map(lambda r: (r["article_id"], r["event_id"], r["event_role"])),
                    equal_to([("new", "e-past", "rewrite"), ("other", "e-past", "independent")]))


def test_terms_do_not_depend_on_the_documents_seen_before():
    # Each language learns its tokens as they come; a language code of its own starts a fresh lexicon.
    alone = event_terms(QUAKE_REWRITE, "Quake in Croatia", "x-alone")
    event_terms(ELECTION + " " + QUAKE, None, "x-after")
    assert event_terms(QUAKE_REWRITE, "Quake in Croatia", "x-after") == alone
    assert alone == event_terms(QUAKE_REWRITE, "Quake in Croatia", "x-alone")


def test_a_tie_at_the_cut_is_settled_by_the_term():
    numbers = [str(n) for n in range(99, 10, -1)]  # every number weighs the same
    got = [t for t, _ in event_terms(" ".join(numbers), None, "en", top=40)]
    assert got == sorted(numbers)[:40]


def test_ties_inside_a_list_are_ordered_by_the_term_in_every_text_of_a_batch():
    # Numbers weigh alike for a count: the ones said twice first, each tie in the order of its terms.
    packed = articles_event_terms([{"text": "14 13 12 12 11 11", "language": "en"},
                                   {"text": "31 30 30 29", "language": "en"}])
    assert [[t for t, _ in unpack_terms(p)] for p in packed] == [["11", "12", "13", "14"], ["30", "29", "31"]]


def test_tied_terms_that_share_their_first_bytes_or_leave_ascii_are_in_the_order_of_their_strings():
    # Made-up words weigh alike (the rarest). Ties are ordered by each term's first 8 UTF-8 bytes, then whole
    # where those are equal ("zorblaxq..."); UTF-8's byte order is the code points' ("ü" after "z").
    made_up = ["zorblaxqwefin", "zorblaxqwaaaa", "zorblaxq", "zorblax", "ümlautzorb", "ulmzorbax", "ωmegazorb",
               "quaxzorbtwo", "quaxzorbone"]
    for order in (made_up, made_up[::-1], sorted(made_up, key=len)):
        got = [t for t, _ in event_terms(" ".join(order), None, "en")]
        assert got == sorted(got) and set(got) == set(made_up)
        weights = {w for _, w in event_terms(" ".join(order), None, "en")}
        assert len(weights) == 1


def test_a_batchs_terms_are_sorted_by_document_weight_and_prefix_as_lexsort_sorts_them():
    # Many rows tie on one column or two (a document's terms of one weight, terms of one prefix); rows equal
    # in all three may come in any order (the batch orders those by the whole term).
    rng = np.random.default_rng(3)
    doc = np.sort(rng.integers(0, 40, 3_000))
    minus = -rng.choice([0.5, 1.25, 3.0, 6.5, 6.5000001], 3_000)
    prefix = rng.choice(np.array([0, 7, 2**63, 2**64 - 1], dtype=np.uint64), 3_000)
    want = np.lexsort((prefix, minus, doc))
    for huge in (False, True):
        # ``huge``: ranks too many for one int64 key, lexsorted instead.
        first = doc * (2**56) if huge else doc
        got = _order_by(first, minus, prefix)
        assert sorted(got.tolist()) == list(range(3_000))
        for column in (first, minus, prefix):
            assert np.array_equal(column[got], column[want])
    assert _order_by(*(np.zeros(0),) * 3).size == 0


def test_a_word_whose_lemma_the_word_list_does_not_know_stands_for_itself():
    # simplemma lemmatises "growing" to "growe", which wordfreq has never seen: weighed as the rarest
    # of words it was the heaviest term of any text that says "growing".
    t = dict(event_terms("Prices are growing in Lisbon, where the tram network is old.", None, "en"))
    assert "growe" not in t and t["growing"] < t["Lisbon"] and t["growing"] < t["tram"]


def test_tokens_of_one_lemma_add_up_to_one_term():
    t = dict(event_terms("The senators voted. A senator objected to the vote of senators.", None, "en"))
    assert "senator" in t and "senators" not in t
    assert t["senator"] > t["object"]


def test_an_undated_copy_is_as_old_as_its_cluster():
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    rows = [_row("q1", "c1", QUAKE, t0), _row("q3", "c1", QUAKE, None, canonical=False),
            # The same words nine days later: without its cluster's date, the undated copy bridged them.
            _row("q4", "c4", QUAKE_REWRITE, t0 + dt.timedelta(days=9))]
    with local_pipeline() as p:
        out = {"articles": p | "Rows" >> beam.Create(rows),
               "index": p | "Index" >> beam.Create([]),
               "history": p | "History" >> beam.Create([])} | GroupEvents(EventConfig())
        assert_that(out["articles"] | beam.Map(lambda r: (r["article_id"], r["event_id"])),
                    equal_to([("q1", event_id_for("q1")), ("q3", event_id_for("q1")),
                              ("q4", event_id_for("q4"))]))


def test_window_uses_any_of_the_dates():
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    day = dt.timedelta(days=1)
    assert within_window(_us(t0), [], 3)
    assert within_window(_us(t0, t0 + 30 * day), _us(t0 + 32 * day), 3)
    assert not within_window(_us(t0), _us(t0 + 4 * day), 3)


def _member(aid, cid, text):
    return {"article_id": aid, "cluster_id": cid, "event_terms": pack_terms(terms(text))}


def test_split_event_leaves_a_bridge_with_its_cluster():
    # c1's second member carries both stories (a copy inside another page's teaser text): it
    # links the election to the quake, but the quake cluster as a whole is far from the election.
    members = [_member("q1", "c1", QUAKE), _member("q2", "c1", QUAKE + " " + ELECTION),
               _member("q5", "c1", QUAKE), _member("e1", "c2", ELECTION)]
    assert cosine(terms(QUAKE + " " + ELECTION), terms(ELECTION)) >= EventConfig().threshold
    events = split_event(members, EventConfig().merge_threshold)
    assert sorted(sorted(m["article_id"] for m in e) for e in events) == [["e1"], ["q1", "q2", "q5"]]


def test_split_event_keeps_rewrites_together():
    members = [_member("q1", "c1", QUAKE), _member("q2", "c2", QUAKE_REWRITE), _member("q3", "c1", QUAKE)]
    assert [sorted(m["article_id"] for m in e) for e in split_event(members, EventConfig().merge_threshold)] == [
        ["q1", "q2", "q3"]]


def test_split_event_of_two_clusters_lists_them_in_cluster_order():
    # Members in cluster id order, each cluster's in the order given, as the merge loop lists them for more.
    threshold = EventConfig().merge_threshold
    members = [_member("q2", "c2", QUAKE_REWRITE), _member("q3", "c1", QUAKE), _member("q1", "c1", QUAKE)]
    assert [[m["article_id"] for m in e] for e in split_event(members, threshold)] == [["q3", "q1", "q2"]]
    members = [_member("e1", "c2", ELECTION), _member("q3", "c1", QUAKE), _member("q1", "c1", QUAKE)]
    assert [[m["article_id"] for m in e] for e in split_event(members, threshold)] == [["q3", "q1"], ["e1"]]


def test_rarity_matches_wordfreq_for_words_and_capitalised_lemmas():
    from wordfreq import zipf_frequency

    from transforms.dedup.events import _zipf
    for lang, word in (("en", "earthquake"), ("en", "Georgia"), ("de", "Erdbeben"), ("pt", "alfabetização"),
                       ("ru", "землетрясение"), ("en", "the")):
        assert _zipf(word, lang) == zipf_frequency(word, lang)


def test_a_language_without_its_tokenizer_is_tried_once_not_per_word(monkeypatch):
    from transforms.dedup import events
    calls = []

    def no_tokenizer(word, lang):
        calls.append(word)
        raise ImportError("the tokenizer for this language is not installed")

    monkeypatch.setattr(events, "zipf_frequency", no_tokenizer)
    monkeypatch.setattr(events, "_NO_FREQUENCIES", set())
    events._zipf.cache_clear()
    # A language wordfreq would look up through its own tokenizer (no plain table).
    terms = event_terms("Petrinja Sisak Zagreb Glina Kutina Novska", language="xx-test")
    events._zipf.cache_clear()
    assert len(calls) == 1  # each failed import took ~0.3 ms a word before
    assert [t for t, _ in terms] and all(w > 0 for _, w in terms)  # every term counts as rare


def test_roundup_member_emits_no_event_keys():
    from transforms.dedup.group_events import _member, event_key_groups
    terms = pack_terms(event_terms(QUAKE))
    row = {"article_id": "a", "cluster_id": "c", "event_terms": terms, "role": "roundup"}
    assert event_key_groups([{**_member(row, False), "dates": []}], 6, 3.0) == []
    assert event_key_groups([{**_member({**row, "role": "original"}, False), "dates": []}], 6, 3.0)


@pytest.mark.parametrize("key_terms", [3, 6])
def test_hashed_event_keys_are_shared_as_the_string_keys_are(key_terms):
    import random
    rng = random.Random(3)
    # Two terms as long as each other and alike in their first 16 characters.
    vocab = [f"term{i}" for i in range(12)] + ["internationalisation_a", "internationalisation_b"]
    packed = [pack_terms([(t, 1.0 - k / 10) for k, t in enumerate(rng.sample(vocab, rng.randint(0, 8)))])
              for _ in range(80)] + [None, "", "solo 1"]
    keys, owner = event_key_hashes(packed, key_terms)
    strings = [packed_event_keys(p, key_terms) for p in packed]
    # In the order of the lists and of each list's keys.
    assert owner.tolist() == [i for i, ks in enumerate(strings) for _ in ks]
    flat = [k for ks in strings for k in ks]
    assert any("_a" in k for k in flat) and any("_b" in k for k in flat)
    # One number per key, another for every other key.
    number = {}
    for key, n in zip(flat, keys.tolist()):
        assert number.setdefault(key, n) == n
    assert len(set(number.values())) == len(number) > 30


def test_batched_event_keys_give_the_pairs_of_one_bucket_per_key():
    import collections
    import random
    from transforms.dedup.group_events import PairEventGroupFn, _key_holder, _member, event_key_groups
    from transforms.dedup.pairs import PairBucketFn
    rng = random.Random(5)
    vocab = [f"term{i}" for i in range(14)]
    # Some articles share a story cluster: they are in one event already, so never a candidate pair.
    rows = [{"article_id": f"a{i:02d}", "cluster_id": f"c{i // 3 if i < 30 else i}", "role": "original",
             "event_terms": pack_terms([(t, 1.0 - k / 10) for k, t in enumerate(rng.sample(vocab, 8))])}
            for i in range(60)]
    # Undated: each key's holders are one bucket, whatever their slots would be.
    members = [{**_member(r, old=i % 4 == 0), "dates": []} for i, r in enumerate(rows)]
    cluster_of = {r["article_id"]: r["cluster_id"] for r in rows}
    # One bucket per key, as a GroupByKey on every key would make them (a cap of 5 caps some).
    buckets = collections.defaultdict(list)
    for m in members:
        for key in packed_event_keys(m["event_terms"], 6):
            buckets[key].append(_key_holder(m, 3.0)[0])
    one = PairBucketFn(5)
    every = {pair for values in buckets.values() for pair in one.bucket_candidates(values)}
    expected = {(a, b) for a, b in every if cluster_of[a] != cluster_of[b]}
    assert expected and max(len(v) for v in buckets.values()) > 5 and len(expected) < len(every)
    # Batches of 16 members, 8 shards: grouped by shard, each group's pairs leave in pair-shard batches.
    groups = collections.defaultdict(list)
    for k in range(0, len(members), 16):
        for shard, records in event_key_groups(members[k:k + 16], 6, 3.0, shards=8):
            groups[shard].append(records)
    assert len(groups) > 1
    fn = PairEventGroupFn(5, pair_shards=4)
    got = [pair for shard, records in groups.items() for _, batch in fn.process((shard, records)) for pair in batch]
    assert set(got) == expected


def test_a_common_pair_of_top_terms_pairs_its_holders_with_one_of_them_only():
    # 25 texts of different stories share their two heaviest terms: all pairs would be 300 cosines for
    # one common pair of words; at the default cap each meets the key's first holder only.
    from transforms.dedup.group_events import _member
    rows = [{"article_id": f"a{i:02d}", "cluster_id": f"c{i}", "role": "original",
             "event_terms": pack_terms([("police", 0.6), ("storm", 0.5)] + [(f"own{i}x{k}", 0.3) for k in range(4)])}
            for i in range(25)]
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    same_day = [{**_member(r, old=False), "dates": _us(t0)} for r in rows]
    assert EventConfig().bucket_cap < 25
    assert _event_candidates(same_day) == {("a00", f"a{i:02d}") for i in range(1, 25)}


def _event_candidates(members, cap=None, window=3.0):
    from transforms.dedup.group_events import PairEventGroupFn, event_key_groups
    groups = event_key_groups(members, 6, window, shards=1)
    fn = PairEventGroupFn(cap or EventConfig().bucket_cap, pair_shards=1)
    return {pair for shard, records in groups for _, batch in fn.process((shard, [records])) for pair in batch}


def test_holders_of_a_key_a_week_apart_are_no_candidates():
    # The same 25 texts, one a week: no date window allows any pair. Without date slots the key paired
    # them (24 cosines, each then refused by the window).
    from transforms.dedup.group_events import _member
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    members = [{**_member({"article_id": f"a{i:02d}", "cluster_id": f"c{i}", "role": "original",
                           "event_terms": pack_terms([("police", 0.6), ("storm", 0.5)])}, old=False),
                "dates": _us(t0 + dt.timedelta(days=7 * i))} for i in range(25)]
    assert _event_candidates(members) == set()
    # Two days apart, in two slots: a pair.
    members[1]["dates"] = _us(t0 + dt.timedelta(days=2))
    assert _event_candidates(members) == {("a00", "a01")}
    # An undated holder may be in an event with anyone: its key is paired as one bucket, as without slots
    # (past the cap, with its first holder).
    members[5]["dates"] = []
    assert _event_candidates(members) == {("a00", f"a{i:02d}") for i in range(1, 25)}


def test_date_slots_are_shared_by_every_pair_the_window_allows():
    import random
    rng = random.Random(11)
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    for window in (0.5, 3.0, 7.0):
        for _ in range(3000):
            a = _us(*(t0 + dt.timedelta(minutes=rng.randrange(24 * 60 * 60)) for _ in range(rng.randint(1, 3))))
            b = _us(*(t0 + dt.timedelta(minutes=rng.randrange(24 * 60 * 60)) for _ in range(rng.randint(1, 3))))
            shared = set(date_slots(a, window)) & set(date_slots(b, window))
            # A member of one date takes a shortcut: the same slots as any other way of giving it.
            assert date_slots(a, window) == date_slots(iter(a), window)
            if within_window(a, b, window):
                assert shared
            if shared:  # and no pair further apart than two windows
                assert within_window(a, b, 2 * window)
    assert date_slots([], 3.0) == ()


def _us(*dates):
    return [utc_micros(d) for d in dates]


def test_window_buckets_hold_each_holder_in_each_of_its_slots():
    slots = {"a": (1, 2), "b": (2, 3), "c": (5, 6), "d": (), "e": (6, 7), "f": (9, 10), "g": (2, 3)}
    def of(*keys, cap=20):
        return sorted(map(list, window_buckets([list(k) for k in keys], slots, cap)))
    assert of("abcef") == [["a", "b"], ["c", "e"]]
    # A key of two holders is one pair, of one none; holders sharing a slot stay one bucket ...
    assert of("ab", "af", "c") == [["a", "b"], ["a", "f"]]
    assert of("abg") == [["a", "b", "g"]]
    # ... unless the cap would cut its pairs, which its slots' buckets may keep.
    assert of("abg", cap=2) == [["a", "b", "g"], ["b", "g"]]
    # An undated holder: one bucket.
    assert of("abcdef") == [list("abcdef")]


def test_window_buckets_leave_out_a_bucket_all_of_one_story_cluster():
    slots = {"a": (1, 2), "b": (2, 3), "c": (5, 6), "d": (), "e": (6, 7), "g": (2, 3)}
    cluster = {"a": 1, "b": 1, "g": 1, "c": 2, "e": 3, "d": 1}
    def of(*keys):
        return sorted(map(list, window_buckets([list(k) for k in keys], slots, 20, cluster)))
    # Pairs of one cluster are no candidates: a bucket of only those is not paired at all ...
    assert of("ab", "abg", "abd") == []
    # ... nor is one date slot's bucket of one cluster, while another slot's mixes two.
    assert of("abgce") == [["c", "e"]]
    assert of("ac", "abc") == [["a", "c"]] and of("abgd", "ae") == [["a", "e"]]
    assert of("abcd") == [list("abcd")]
    # Buckets split by cluster already (lsh.split_mixed_buckets) are taken as they come; their slots' buckets
    # are still checked.
    def of_mixed(*keys):
        return sorted(map(list, window_buckets([list(k) for k in keys], slots, 20, cluster, mixed_only=True)))
    assert of_mixed("abgce") == [["c", "e"]] and of_mixed("abcd") == [list("abcd")]
    assert of_mixed("ab", "abg") == [["a", "b"], ["a", "b", "g"]]


def test_key_pairs_are_every_pair_in_the_window_and_none_far_outside_it():
    # Holders of shared keys over 180 days, two undated, a cap no slot reaches: every pair of different
    # clusters, not both past, that shares a key and the window is a candidate; no candidate is more
    # than two windows apart unless it shares a key with an undated holder.
    import random
    from transforms.dedup.group_events import _member
    rng = random.Random(7)
    vocab = [f"term{i}" for i in range(16)]
    t0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
    members = []
    for i in range(120):
        m = _member({"article_id": f"a{i:03d}", "cluster_id": f"c{i // 2}", "role": "original",
                     "event_terms": pack_terms([(t, 1.0 - k / 10) for k, t in enumerate(rng.sample(vocab, 6))])},
                    old=i % 5 == 0)
        members.append({**m, "dates": [] if i in (7, 50) else
                        _us(*(t0 + dt.timedelta(hours=rng.randrange(24 * 180)) for _ in range(rng.randint(1, 2))))})
    got = _event_candidates(members, cap=1000)
    keys = {m["article_id"]: set(packed_event_keys(m["event_terms"], 6)) for m in members}
    undated_keys = keys["a007"] | keys["a050"]
    by_id = {m["article_id"]: m for m in members}
    expected = {(a["article_id"], b["article_id"]) for a in members for b in members
                if a["article_id"] < b["article_id"] and a["cluster_id"] != b["cluster_id"]
                and not (a["old"] and b["old"]) and keys[a["article_id"]] & keys[b["article_id"]]
                and within_window(a["dates"], b["dates"], 3.0)}
    assert expected and expected <= got
    assert all(within_window(by_id[a]["dates"], by_id[b]["dates"], 6.0) or keys[a] & keys[b] & undated_keys
               for a, b in got)
    # Of the pairs that share only keys without an undated holder, slots leave a few.
    dated_only = {(a, b) for a in keys for b in keys
                  if a < b and keys[a] & keys[b] and not keys[a] & keys[b] & undated_keys}
    assert 0 < len(got & dated_only) < len(dated_only) / 4


def test_summed_terms_adds_each_terms_weights_across_lists_and_skips_empty_ones():
    a = pack_terms([("council", 0.8), ("budget", 0.6)])
    b = pack_terms([("budget", 0.6), ("mayor", 0.8)])
    total = summed_terms([a, None, b])
    assert total.keys() == {"council", "budget", "mayor"}
    assert total["budget"] == pytest.approx(1.2) and total["council"] == pytest.approx(0.8)
    assert summed_terms([]) == {}


def test_summed_vectors_hold_summed_terms_exactly_in_first_seen_order():
    import random
    import numpy as np
    rng = random.Random(3)
    vocab = [f"t{i}" for i in range(50)]
    for _ in range(300):
        groups = [[rng.choice([None, ""]) if rng.random() < 0.1 else
                   pack_terms([(t, round(rng.random(), 4)) for t in rng.sample(vocab, rng.randint(0, 15))])
                   for _ in range(rng.randint(0, 6))] for _ in range(rng.randint(1, 5))]
        vectors = summed_vectors(groups)
        order = list(dict.fromkeys(t for g in groups for p in g for t, _ in unpack_terms(p)))
        assert vectors.shape == (len(groups), max(1, len(order)))
        for row, group in zip(vectors, groups):
            total = summed_terms(group)
            assert [row[order.index(t)] for t in total] == list(total.values())  # the same floats, not close ones
            assert np.count_nonzero(row) == sum(1 for w in total.values() if w)


def test_packed_helpers_give_what_unpacking_gives():
    texts = ["The Riverside council approved a 40 million bond for the Harbour bridge on Tuesday.",
             "Harbour bridge bond of 40 million approved by Riverside council, mayor Okafor said.",
             "A storm closed the Harbour bridge and flooded Riverside streets.", ""]
    packed = [pack_terms(event_terms(t, language="en")) for t in texts] + [None, "solo 1"]
    for p in packed:
        assert packed_event_keys(p, 3) == event_keys(unpack_terms(p), 3)
        for q in packed:
            assert packed_cosine(p, q) == cosine(unpack_terms(p), unpack_terms(q))
            # The second list read once for all its pairs: the same sum, in the same order.
            assert packed_cosine(p, q, term_weights(q)) == packed_cosine(p, q)
    assert packed_cosine(packed[0], packed[1]) > 0 and packed_cosine(packed[0], packed[3]) == 0
    # The first list kept split by its id, in a cache that fills and starts again: the same sums.
    splits = TermSplits(max_entries=2)
    for _ in range(3):
        for i, p in enumerate(packed):
            for q in packed:
                assert packed_cosine(p, q, term_weights(q), splits.get(i, p)) == packed_cosine(p, q)


def test_a_batch_gets_the_terms_each_of_its_texts_gets_alone():
    # Counted and cut together, spelled from a table of 10^-4 steps: each text's packed terms are
    # pack_terms(event_terms(...)) of its own, whatever else is in its batch (languages, titles, empty texts).
    import math
    import random
    from transforms.extract.text import EXTRACTOR
    rng = random.Random(7)
    vocab = ("Petrinja Sisak Zagreb quake council bond Harbour Okafor Riverside storm bridge flood 6.4 2020 "
             "Lisbon Costa seats housing minister rescue rubble Glina Kutina budget the said of").split()
    texts = [QUAKE, QUAKE_REWRITE, ELECTION, "", "Petrinja", "Petrinja Petrinja Sisak", "the of said"]
    texts += [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 600))) for _ in range(60)]
    articles = [{"text": t, "title": rng.choice([None, "Quake in Croatia", "Petrinja", "Election night"]),
                 "language": rng.choice(["en", "en", "de", None]), "extractor": rng.choice(["trafilatura", EXTRACTOR])}
                for t in texts]
    expected = [pack_terms(event_terms(a["text"], None if a["extractor"] == EXTRACTOR else a["title"], a["language"]))
                for a in articles]
    assert articles_event_terms(articles) == expected
    assert [articles_event_terms([a])[0] for a in articles] == expected
    assert articles_event_terms([]) == []
    for a in articles:
        listed = event_terms(a["text"], a["title"], a["language"])
        if listed:
            assert all(0 < w <= 1 and w == round(w, 4) for _, w in listed)
            assert abs(math.sqrt(sum(w * w for _, w in listed)) - 1.0) < 0.01


def test_lemma_looks_dictionary_words_up_as_simplemma_does():
    from transforms.dedup.events import _lemma_table, _lemmas
    words_ = ["said", "Said", "announced", "Okafor", "children", "Children", "megacorporations", "COVID", "don't",
              "e\u0301te\u0301", "１２", "x2", "Häuser", "häuser", "Wachstums", "Istanbul'da", "İstanbul"]
    for lang in ("en", "de", "fr", "tr", "ru", "pt", "hy"):
        for w in words_:
            assert _lemmas([w], lang) == [simplemma.lemmatize(w, lang=lang)], (lang, w)
    assert _lemma_table("en") is not None and _lemma_table("tr") is None  # Turkish: apostrophe rule first


def test_a_batch_of_new_words_is_learnt_as_each_word_alone():
    # A worker learns its new words in batches (one search of each table for all of them): each word's lemma,
    # rarity and term are what it gets alone, whatever else is in the batch.
    from transforms.dedup.events import _lemmas, _terms, _zipf, _zipfs
    batch = ["said", "Said", "earthquakes", "Okafor", "x2", "12", "7", "a", "the", "growing", "Häuser", "COVID",
             "e\u0301te\u0301", "１２", "qwxzvbnm", "don't", "Wachstums", "İstanbul", "землетрясения"]
    for lang in ("en", "de", "ru", "tr", "ja"):
        if lang != "ja":  # no lemmas for Japanese
            assert _lemmas(batch, lang) == [simplemma.lemmatize(w, lang=lang) for w in batch], lang
        assert _zipfs(batch, lang) == [_zipf(w, lang) for w in batch], lang
        assert _terms(batch, lang) == [_terms([w], lang)[0] for w in batch], lang
        assert _terms(batch[::-1], lang) == _terms(batch, lang)[::-1], lang


def test_terms_come_from_the_title_and_the_lead():
    from transforms.dedup.events import LEAD_WORDS
    from transforms.tokens import words
    lead = " ".join([QUAKE] * (LEAD_WORDS // len(words(QUAKE)) + 1))
    assert len(words(lead)) >= LEAD_WORDS
    # Background past the lead (another event the topic recalls) does not move the terms.
    assert event_terms(lead + " " + ELECTION, "Quake in Croatia", "en") == event_terms(lead, "Quake in Croatia", "en")
    # A text shorter than the lead is read whole.
    assert "Portugal" not in dict(event_terms(lead + " " + ELECTION, None, "en"))
    assert "Lisbon" in dict(terms(QUAKE + " " + ELECTION))


def test_the_headline_counts_when_it_is_the_articles():
    plain = dict(terms(QUAKE))
    headed = dict(event_terms(QUAKE, "Kutina and Petrinja hit by quake", "en"))
    assert headed["petrinja"] > plain["petrinja"] and "kutina" in headed
    # A title sharing no term with the text is the page's (a template's headline on a text dump): left out.
    assert event_terms(QUAKE, "Election in Portugal", "en") == terms(QUAKE)
    assert event_terms(QUAKE, "엘제이-류화영 진흙탕 싸움", "en") == terms(QUAKE)


def test_a_titles_tag_and_site_name_are_not_its_headline():
    from transforms.dedup.events import headline
    assert headline("[The Palace: Tale of Jang Noksu] More Reviews from KLOOK Visitors! - Jeongdong Theater") == \
        "More Reviews from KLOOK Visitors!"
    assert headline("Home Depot sales miss, shares plunge | Fox Business") == "Home Depot sales miss, shares plunge"
    # A headline with a dash in it, a short one, and one that is nothing but a tag stay as they are.
    for title in ("Brexit - what happens next", "Quake - Croatia", "[Video]",
                  "Albania earthquake: death toll rises to 21 as rescuers search rubble"):
        assert headline(title) == title
    # The page's labels weigh nothing: a series tag and a site name on the title of a post about the quake.
    tagged = "[Our Croatia Diary] Kutina and Petrinja hit by quake - Zagreb Morning Post Online"
    assert event_terms(QUAKE, tagged, "en") == event_terms(QUAKE, "Kutina and Petrinja hit by quake", "en")


def test_a_lexicon_starts_afresh_past_its_cap_with_the_same_terms(monkeypatch):
    from transforms.dedup import events
    texts = [f"Officials in Town{i} said reporter Name{i * 7} counted {1000 + i} votes on Tuesday in Region{i % 5}"
             for i in range(60)]
    monkeypatch.setattr(events, "_LEXICONS", {})
    expected = [event_terms(t, language="en") for t in texts]
    grown = len(events._LEXICONS["en"].number)
    monkeypatch.setattr(events, "_LEXICONS", {})
    monkeypatch.setattr(events, "MAX_LEXICON_TOKENS", 40, raising=False)
    seen = []
    for t in texts:
        assert event_terms(t, language="en") == expected[len(seen)]
        seen.append(len(events._LEXICONS["en"].number))
    # A streaming job's lexicon grew with every new name and number it met; it now stays near its cap.
    assert grown > 150 and max(seen) <= 40 + 20 and seen.count(max(seen)) < len(seen)


def test_terms_looked_up_by_word_hashes_are_those_looked_up_by_words(monkeypatch):
    # Signing hashes every word (hash_words: the first 16 characters and the length). Words of at most 16
    # characters are found by their hash; longer ones by themselves, as two of them share a hash when they
    # share their first 16 characters and their length ("...gericht" and "...richter" here).
    from transforms.dedup import events
    from transforms.dedup.shingles import WORD_WIDTH, hash_words
    from transforms.tokens import words
    court, judge = "Bundesverfassungsgericht", "Bundesverfassungsrichter"
    assert len(court) == len(judge) > WORD_WIDTH and hash_words([court])[0] == hash_words([judge])[0]
    texts = [f"The {court} ruled on Tuesday that the {judge} Name{i} and {1000 + i:,} voters in Region{i % 7} "
             f"paid 250,000 euros; {judge} {judge} met Town{i * 13} officials" for i in range(700)]
    texts += [f"{judge} spoke in Town{i * 13} after the {court} heard {i} cases" for i in range(700)]
    articles = [{"text": t, "language": "en"} for t in texts]
    tokens = [words(t) for t in texts]
    hashes = [hash_words(t) for t in tokens]

    def batches(hashed):
        return [p for k in range(0, len(articles), 100)
                for p in articles_event_terms(articles[k:k + 100], tokens[k:k + 100],
                                              hashes[k:k + 100] if hashed else None)]

    monkeypatch.setattr(events, "_LEXICONS", {})
    expected = batches(hashed=False)
    # Learnt through the hashed lookups, in a table that grows from 4,096 slots past 2,000 distinct words,
    # and read again once known; then the same after a lexicon learnt by words alone.
    monkeypatch.setattr(events, "_LEXICONS", {})
    assert batches(hashed=True) == expected
    assert len(events._LEXICONS["en"].number) > 2_100 and events._LEXICONS["en"]._hashed[0].size > 4_096
    assert batches(hashed=True) == expected
    monkeypatch.setattr(events, "_LEXICONS", {})
    batches(hashed=False)
    assert batches(hashed=True) == expected
    weights = dict(unpack_terms(expected[0]))
    assert court.lower() in weights or court in weights
    assert (judge.lower() in weights or judge in weights) and "250000" in weights


def test_lead_tokens_read_where_they_lie_are_the_leads_one_after_another():
    # With word hashes, a batch's lead tokens are not copied into one list: new words and a number's parts are
    # read by their position in it, a number's parts as a slice.
    from transforms.dedup.events import _Leads
    docs = [["a", "b", "c"], [], ["d", "e"], ["f", "g", "h", "i"]]
    leads = [3, 0, 2, 3]  # the last document's lead cut short, as LEAD_WORDS cuts a long text's
    flat = ["a", "b", "c", "d", "e", "f", "g", "h"]
    lead = _Leads(docs, leads)
    assert len(lead) == len(flat) and list(lead) == flat
    assert [lead[i] for i in range(-len(flat), len(flat))] == flat + flat
    assert lead[2:6] == flat[2:6] and lead[4:5] == ["e"] and lead[6:100] == ["g", "h"] and lead[5:5] == []
    assert lead[3:5] == ["d", "e"] and lead[::3] == flat[::3] and lead[-3:] == ["f", "g", "h"]
    assert lead.take(np.array([7, 0, 3, 2, 5])) == ["h", "a", "d", "c", "f"]
    # Spans, a number's parts: each within one document read off its list, one across documents token by token.
    assert lead.spans(np.array([1, 3, 5, 0, 2]), np.array([3, 5, 8, 1, 4])) == [
        ["b", "c"], ["d", "e"], ["f", "g", "h"], ["a"], ["c", "d"]]
    for outside in (len(flat), -len(flat) - 1):
        with pytest.raises(IndexError):
            lead[outside]


def test_terms_learnt_thousands_at_once_weigh_as_when_learnt_few_at_a_time(monkeypatch):
    # A worker's first batch brings thousands of new terms at once: the lexicon's arrays grow several times
    # over in one step, and every term keeps its own weight and name (learnt in the other order, one text at
    # a time, every term has another number).
    from transforms.dedup import events
    letters = "bcdfgklmnprstvz"
    made_up = [f"{a}{b}o{c}{d}ix" for a in letters for b in letters for c in letters[:4] for d in letters[:4]]
    real = ["senator", "plague", "rabbit", "quarantine", "Tuesday", "officials", "harbour", "council", "vote"]
    texts = [" ".join(made_up[k:k + 30] + real[i % 5:i % 5 + 4]) + f" in Town{k}"
             for i, k in enumerate(range(0, 3600, 30))]
    monkeypatch.setattr(events, "_LEXICONS", {})
    one_by_one = [event_terms(t, language="en") for t in reversed(texts)][::-1]
    monkeypatch.setattr(events, "_LEXICONS", {})
    together = [unpack_terms(p) for p in articles_event_terms([{"text": t, "language": "en"} for t in texts])]
    assert events._LEXICONS["en"].term_count > 3 * 1024
    assert together == one_by_one and all(len(terms) == 35 for terms in together)
    assert len({w for terms in together for _, w in terms}) > 3


def test_a_candidate_whose_cluster_already_has_an_edge_to_the_text_is_not_verified():
    from transforms.dedup.events import verify_event_pairs
    cfg = EventConfig()
    quake, rewrite, election = (pack_terms(event_terms(t, language="en")) for t in (QUAKE, QUAKE_REWRITE, ELECTION))
    assert packed_cosine(rewrite, quake) >= cfg.threshold > packed_cosine(election, quake)
    day = _us(dt.datetime(2024, 1, 1, tzinfo=UTC))
    later = _us(dt.datetime(2024, 2, 1, tzinfo=UTC))
    pairs = [("a1", (rewrite, day, "cx")), ("a2", (rewrite, day, "cx")),  # one cluster: its first edge is enough
             ("a3", (election, day, "cy")), ("a4", (rewrite, day, "cy")),  # a failed cosine joins nothing
             ("a5", (rewrite, later, "cz")), ("a6", (rewrite, day, "cz")), ("a7", (rewrite, [], "cw"))]
    edges, unverified = verify_event_pairs((quake, day, "cb"), pairs, cfg, TermSplits())
    assert edges == ["a1", "a4", "a6", "a7"] and unverified == 1
    # Every candidate of its own cluster is verified.
    assert verify_event_pairs((quake, day, "cb"), [(f"a{i}", (rewrite, day, f"c{i}")) for i in range(3)], cfg,
                              TermSplits())[0] == ["a0", "a1", "a2"]


def test_a_token_as_long_as_a_line_is_a_key_term_like_any_other():
    # A page's line with no space in it (a data blob in a text dump) is one token, and a rare one: a key term.
    terms = event_terms("A " + "q" * 100_000 + " earthquake struck Petrinja in Croatia on Tuesday, killing seven.",
                        language="en")
    assert any(len(term) == 100_000 for term, _ in terms[:6])
    keys, owner = event_key_hashes([pack_terms(terms), pack_terms(terms)])
    assert len(keys) == 30 and np.array_equal(keys[:15], keys[15:]) and owner.tolist() == [0] * 15 + [1] * 15
