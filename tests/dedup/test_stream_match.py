"""Streaming matching with band state, driven by TestStream on the local runner."""
import random

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import MIN_TIMESTAMP

from tests.dedup.test_signing_lsh import WORDS
from transforms.dedup import roles
from transforms.dedup.signing import MinHashConfig, Signer
from transforms.dedup.records import Member
from transforms.dedup.stream_match import MatchStories, order_batch

CFG = MinHashConfig(num_perm=128, threshold=0.5, fn_weight=0.9)


def signed(aid, text):
    sig, n = Signer(CFG).sign([text])
    return {"article_id": aid, "text": text, "sig": sig[0].tobytes(), "n_shingles": int(n[0]), "published": None}


def story(seed, n=200):
    rng = random.Random(seed)
    return [rng.choice(WORDS) + str(rng.randrange(60)) for _ in range(n)]


def test_order_batch_puts_matched_articles_first():
    arts = [{"article_id": x} for x in ("c", "a", "b")]
    order = order_batch(arts, {"c": [("b", 0.9, 0.9)], "b": [("a", 0.8, 0.8)]})
    assert [a["article_id"] for a in order] == ["a", "b", "c"]


# Band matching waits for the watermark (event-time timers) and stamps its edges at the article's time.
# Dataflow and the FnApiRunner hold the watermark for pending timers; the BundleBasedDirectRunner that
# runs TestStream does not, so these tests advance the watermark to just before each window's end
# first, as a live stream does, instead of jumping past the window in one step.


def test_copies_join_across_windows_and_within_one():
    base, other = story(1), story(2)
    copy1 = list(base)
    copy1[10] = "edited"
    copy2 = list(base)
    copy2[50] = "changed"
    elements = [
        ("orig", " ".join(base), 1), ("indep", " ".join(other), 2),   # window [0, 10)
        ("copy1", " ".join(copy1), 12),                               # window [10, 20): joins orig
        ("copy2", " ".join(copy2), 13), ("copy2b", " ".join(copy2[:180]), 14),
    ]
    stream = TestStream().advance_watermark_to(0)
    for aid, text, ts in elements[:2]:
        stream = stream.add_elements([TimestampedValue(signed(aid, text), ts)])
    stream = stream.advance_watermark_to(11)
    for aid, text, ts in elements[2:]:
        stream = stream.add_elements([TimestampedValue(signed(aid, text), ts)])
    stream = stream.advance_watermark_to(19).advance_watermark_to(30).advance_watermark_to_infinity()

    def check(rows):
        by_id = {r["article_id"]: r for r in rows}
        assert set(by_id) == {"orig", "indep", "copy1", "copy2", "copy2b"}
        story_id = by_id["orig"]["cluster_id"]
        assert by_id["orig"]["role"] == "original" and by_id["orig"]["is_canonical"]
        for aid in ("copy1", "copy2", "copy2b"):
            assert by_id[aid]["cluster_id"] == story_id, aid
            assert by_id[aid]["role"] == "copy" and not by_id[aid]["is_canonical"]
        assert by_id["indep"]["cluster_id"] != story_id
        assert "sig" not in by_id["copy1"]

    options = PipelineOptions(runner="BundleBasedDirectRunner")
    options.view_as(StandardOptions).streaming = True
    with beam.Pipeline(options=options) as p:
        matched = p | stream | MatchStories(CFG, window_s=10)
        assert_that(matched["articles"], check)
        assert_that(matched["index"] | beam.Map(lambda r: (r["article_id"], r["sig"] is not None)),
                    equal_to([(a, True) for a in ("orig", "indep", "copy1", "copy2", "copy2b")]), label="IndexRows")


def _streaming_options():
    options = PipelineOptions(runner="BundleBasedDirectRunner")
    options.view_as(StandardOptions).streaming = True
    return options


def test_copy_of_an_indexed_story_joins_its_cluster_even_when_the_index_arrives_late():
    """The live copy reaches its bands before the index rows do; it must still match them."""
    base = story(7)
    copy = list(base)
    copy[20] = "rewritten"
    past = Member.from_article(signed("past", " ".join(base))).index_row("c-past-story")
    # One TestStream (the direct runner runs one per pipeline): live articles, then the index row, tagged.
    stream = (TestStream()
              .advance_watermark_to(0)
              .add_elements([TimestampedValue(("live", signed("live-copy", " ".join(copy))), 5),
                             TimestampedValue(("live", signed("live-other", " ".join(story(8)))), 6)])
              .add_elements([TimestampedValue(("index", past), MIN_TIMESTAMP)])
              .advance_watermark_to(9)
              .advance_watermark_to(20)
              .advance_watermark_to_infinity())

    def check(rows):
        by_id = {r["article_id"]: r for r in rows}
        assert set(by_id) == {"live-copy", "live-other"}
        assert by_id["live-copy"]["cluster_id"] == "c-past-story"
        assert by_id["live-copy"]["role"] == "copy" and not by_id["live-copy"]["is_canonical"]
        assert by_id["live-other"]["cluster_id"] != "c-past-story" and by_id["live-other"]["is_canonical"]

    with beam.Pipeline(options=_streaming_options()) as p:
        tagged = p | stream
        live = tagged | "Live" >> beam.FlatMap(lambda kv: [kv[1]] if kv[0] == "live" else [])
        history = tagged | "Index" >> beam.FlatMap(lambda kv: [kv[1]] if kv[0] == "index" else [])
        matched = {"articles": live, "history": history} | MatchStories(CFG, window_s=10)
        assert_that(matched["articles"], check)
        assert_that(matched["index"] | beam.Map(lambda r: (r["article_id"], r["cluster_id"] == "c-past-story")),
                    equal_to([("live-copy", True), ("live-other", False)]), label="IndexRows")


def test_a_batch_arriving_before_the_one_it_matched_waits_for_it():
    """Window batches can reach AssignClusters out of order; a copy must still join its original."""
    from transforms.dedup.stream_match import AssignClustersFn

    orig = {"article_id": "orig", "title": "t", "published": None}
    copy = {"article_id": "copy", "title": "t", "published": None}
    stream = (TestStream()
              .advance_watermark_to(0)
              .add_elements([TimestampedValue((0, [(copy, [("orig", 0.9, 0.95, None)])]), 19)])
              .add_elements([TimestampedValue((0, [(orig, [])]), 9)])
              .advance_watermark_to_infinity())
    with beam.Pipeline(options=_streaming_options()) as p:
        rows = (p | stream | beam.ParDo(AssignClustersFn()).with_outputs(AssignClustersFn.INDEX, main="rows")).rows
        assert_that(rows | beam.Map(lambda r: (r["article_id"], r["role"], r["cluster_id"])),
                    equal_to([("orig", "original", roles.cluster_id_for("orig")),
                              ("copy", "copy", roles.cluster_id_for("orig"))]))
