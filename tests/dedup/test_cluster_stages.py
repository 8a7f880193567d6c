"""Each stage of ClusterStories on its own, on the real runner, as graph.py names them."""
import zlib

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import FixedWindows, GlobalWindow

from tests.beam_helpers import local_pipeline
from tests.dedup.test_cluster_transform import article, words
from transforms.dedup.pairs import BatchPerKey, BatchPerKeyFn, DistinctPairs, MeetPairs, shard_by_first
from transforms.dedup.records import Member
from tests.dedup.test_roles import member, story
from transforms.dedup.cluster import (AttachTexts, BuildClusters, DropIngested, FindCandidates, LinkComponents,
                                      UpdateClusterState, VerifyCandidates)
from transforms.dedup.roles import cluster_id_for
from transforms.dedup.sign import SignArticles, pack_text
from transforms.dedup.signing import MinHashConfig

CFG = MinHashConfig()


def test_drop_ingested_skips_past_urls_and_contents_and_splits_exact_duplicates():
    text, other, old = " ".join(words(1)), " ".join(words(2)), " ".join(words(3))
    arts = [Member.from_article({**article(aid, body), "url": url}) for aid, body, url in (
        ("a", text, "https://x/a"), ("a2", text, "https://y/a"), ("b", other, "https://x/seen"),
        ("c", old, "https://x/c"))]
    history = [Member.from_index(row) for row in (
        {"article_id": "h1", "url": "https://x/seen", "content_hash": "zz"},
        {"article_id": "h2", "url": "https://x/h2", "content_hash": article("c", old)["content_hash"]})]
    with local_pipeline() as p:
        out = {"articles": p | "Arts" >> beam.Create(arts), "history": p | "History" >> beam.Create(history)} \
            | DropIngested()
        assert_that(out.unique | beam.Map(lambda a: a.article_id), equal_to(["a"]), label="Unique")
        assert_that(out.duplicates | beam.Map(lambda a: (a.article_id, a.dup_of)), equal_to([("a2", "a")]),
                    label="Duplicates")
        assert_that(out.dup_edges, equal_to([("a", "a2")]), label="Edges")


def test_find_and_verify_candidates_keep_the_near_copy_and_drop_the_stranger():
    base = words(7, 400)
    arts = [article("orig", " ".join(base)), article("copy", " ".join(base[:380] + words(8, 20))),
            article("other", " ".join(words(9, 400)))]
    with local_pipeline() as p:
        signed = (p | beam.Create(arts) | SignArticles(CFG)).slim
        inputs = {"articles": signed, "history": p | "NoHistory" >> beam.Create([])}
        pairs = inputs | FindCandidates(CFG, bucket_cap=100)
        assert_that(pairs, lambda got: _contains(got, ("copy", "orig")), label="Candidates")
        edges = {**inputs, "pairs": pairs} | VerifyCandidates(CFG)
        assert_that(edges, equal_to([("copy", "orig")]), label="Edges")


def _contains(got, pair):
    assert pair in list(got), got


def test_link_components_joins_chains_into_one_label():
    with local_pipeline() as p:
        comps = (p | "E1" >> beam.Create([("a", "b"), ("c", "d")]), p | "E2" >> beam.Create([("b", "c"), ("x", "y")])) \
            | LinkComponents()
        assert_that(comps, equal_to([{"a": "a", "b": "a", "c": "a", "d": "a", "x": "x", "y": "x"}]))


def test_build_clusters_joins_a_past_story_and_starts_new_ones():
    base = story(21)
    past = Member.from_index({**member("h", base, 1).index_row("c-old"), "cluster_id": "c-old"})
    orig, repost, lone = member("a", base, 2), member("b", base[:9], 3), member("x", story(22), 2)
    with local_pipeline() as p:
        components = beam.pvalue.AsSingleton(p | "Components" >> beam.Create([{"a": "a", "b": "a", "h": "a"}]))
        out = {"unique": p | "Unique" >> beam.Create([orig, repost, lone]),
               "duplicates": p | "Dups" >> beam.Create([]),
               "history": p | "History" >> beam.Create([past])} | BuildClusters(components)
        assert_that(out.articles | beam.Map(lambda r: (r["article_id"], r["cluster_id"], r["is_canonical"], r["role"])),
                    equal_to([("a", "c-old", False, "copy"), ("b", "c-old", False, "copy"),
                              ("x", cluster_id_for("x"), True, "original")]), label="Rows")
        assert_that(out.index | beam.Map(lambda r: (r["article_id"], r["cluster_id"], r["sig"] is not None)),
                    equal_to([("a", "c-old", True), ("b", "c-old", True), ("x", cluster_id_for("x"), True)]),
                    label="Index")
        assert_that(out.cluster_updates | beam.Map(lambda u: (u["cluster_id"], u["size"], u["member_ids"],
                                                              u.get("canonical_article_id"))),
                    equal_to([("c-old", 2, ["a", "b"], None), (cluster_id_for("x"), 1, ["x"], "x")]),
                    label="Updates")


def test_a_roundup_is_flagged_in_the_index_so_later_runs_never_match_it():
    lone, digest = member("x", story(22), 2), member("d", story(23), 2)
    with local_pipeline() as p:
        components = beam.pvalue.AsSingleton(p | "Components" >> beam.Create([{}]))
        roundups = beam.pvalue.AsDict(p | "Roundups" >> beam.Create([("d", True)]))
        out = {"unique": p | "Unique" >> beam.Create([lone, digest]), "duplicates": p | "Dups" >> beam.Create([]),
               "history": p | "History" >> beam.Create([])} | BuildClusters(components, roundups)
        assert_that(out.articles | beam.Map(lambda r: (r["article_id"], r["role"])),
                    equal_to([("x", "original"), ("d", "roundup")]), label="Rows")
        assert_that(out.index | beam.Map(lambda r: (r["article_id"], r["roundup"])),
                    equal_to([("x", False), ("d", True)]), label="Index")


def test_attach_texts_gives_rows_their_text_and_canonicals_to_their_cluster():
    rows = [{"article_id": "a", "cluster_id": "c1", "is_canonical": True},
            {"article_id": "b", "cluster_id": "c1", "is_canonical": False}]
    texts = [("a", pack_text("text of a")), ("b", pack_text("text of b")), ("skipped", pack_text("never written"))]
    with local_pipeline() as p:
        out = {"rows": p | "Rows" >> beam.Create(rows), "texts": p | "Texts" >> beam.Create(texts)} | AttachTexts()
        assert_that(out.articles | beam.Map(lambda r: (r["article_id"], r["text"])),
                    equal_to([("a", "text of a"), ("b", "text of b")]), label="Articles")
        assert_that(out.canonical_text, equal_to([("c1", ("a", "text of a"))]), label="Canonical")


def test_update_cluster_state_folds_updates_and_merges_into_current_rows():
    existing = [{"cluster_id": "c1", "size": 2, "member_ids": ["a", "b"], "sites": ["x"], "first_published": None,
                 "last_published": None, "merged_into": None, "canonical_article_id": "a", "title": "T",
                 "run_id": "r0"},
                {"cluster_id": "c2", "size": 1, "member_ids": ["z"], "sites": [], "merged_into": None,
                 "run_id": "r0"}]
    updates = [{"cluster_id": "c1", "size": 1, "member_ids": ["n"], "sites": ["y"], "first_published": None,
                "last_published": None, "merged_into": None, "merged_from": ["c2"]},
               {"cluster_id": "c3", "size": 1, "member_ids": ["m"], "sites": [], "first_published": None,
                "last_published": None, "merged_into": None, "merged_from": [], "canonical_article_id": "m",
                "title": None, "text": None}]
    with local_pipeline() as p:
        out = {"existing": p | "Existing" >> beam.Create(existing), "updates": p | "Updates" >> beam.Create(updates),
               "canonical_text": p | "Texts" >> beam.Create([("c3", ("m", "Storm hits the coast tonight"))])} \
            | UpdateClusterState()
        assert_that(out | beam.Map(lambda r: (r["cluster_id"], r["size"], tuple(r["member_ids"]), r["merged_into"],
                                              r.get("title"), "run_id" in r)),
                    equal_to([("c1", 3, ("a", "b", "n"), None, "T", False),
                              ("c2", 1, ("z",), "c1", None, False),
                              ("c3", 1, ("m",), None, "Storm hits the coast tonight", False)]))


def test_distinct_pairs_meet_in_the_shard_of_their_first_id():
    # Two groups found some of the same pairs; each sends one batch per shard of the first id.
    found = [[("a", "b"), ("a", "c"), ("d", "e")], [("a", "b"), ("d", "e"), ("b", "c")]]
    batches = [batch for pairs in found for batch in shard_by_first(pairs, lambda p: p[0], 4)]
    for shard, pairs in batches:
        assert all(zlib.crc32(a.encode()) % 4 == shard for a, _ in pairs)
    with local_pipeline() as p:
        assert_that(p | beam.Create(batches) | DistinctPairs(),
                    equal_to([("a", "b"), ("a", "c"), ("d", "e"), ("b", "c")]))


def test_meet_pairs_brings_each_pair_both_values_once_whatever_the_batching():
    pairs = [("a", "b"), ("a", "c"), ("b", "c"), ("d", "c"), ("a", "b")]  # a repeated pair meets twice
    values = [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)]

    def met(element):
        b, grouped = element
        return b, sorted(grouped["pairs"]), list(grouped["values"])

    expected = [("b", [("a", 1), ("a", 1)], [2]), ("c", [("a", 1), ("b", 2), ("d", 4)], [3])]
    with local_pipeline() as p:
        out = {"pairs": p | "Pairs" >> beam.Create(pairs), "values": p | "Values" >> beam.Create(values)} | MeetPairs()
        assert_that(out | beam.Map(met), equal_to(expected))


def test_meet_pairs_both_ways_brings_each_end_the_others_value():
    pairs = [("a", "b"), ("a", "c"), ("c", "d")]
    values = [("a", 1), ("b", 2), ("c", 3), ("d", 4)]

    def met(element):
        x, grouped = element
        return x, sorted(grouped["pairs"]), list(grouped["values"])

    expected = [("a", [("b", 2), ("c", 3)], [1]), ("b", [("a", 1)], [2]), ("c", [("a", 1), ("d", 4)], [3]),
                ("d", [("c", 3)], [4])]
    with local_pipeline() as p:
        out = ({"pairs": p | "Pairs" >> beam.Create(pairs), "values": p | "Values" >> beam.Create(values)}
               | MeetPairs(both_directions=True))
        assert_that(out | beam.Map(met), equal_to(expected))


def test_batch_per_key_holds_a_bundles_values_of_one_key_together_and_flushes_at_its_cap():
    fn = BatchPerKeyFn(max_batched=3)
    fn.start_bundle()
    flushed = [wv.value for e in [("a", 1), ("b", 2), ("a", 3), ("a", 4)] for wv in fn.process(e)]
    assert flushed == [("a", [1, 3]), ("b", [2])]
    assert [(wv.value, list(wv.windows)) for wv in fn.finish_bundle()] == [(("a", [4]), [GlobalWindow()])]
    with local_pipeline() as p:
        grouped = (p | beam.Create([("k", i) for i in range(7)] + [("j", 9)]) | beam.ParDo(BatchPerKeyFn(2))
                   | beam.GroupByKey() | beam.MapTuple(lambda k, batches: (k, sorted(v for b in batches for v in b))))
        assert_that(grouped, equal_to([("k", list(range(7))), ("j", [9])]))
    with pytest.raises(ValueError):
        with local_pipeline() as p:
            _ = p | beam.Create([("k", 1)]) | beam.WindowInto(FixedWindows(10)) | BatchPerKey()
