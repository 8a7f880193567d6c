"""Each stage of ClusterStories on its own, on the real runner, as graph.py names them."""
import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from tests.beam_helpers import local_pipeline
from tests.dedup.test_cluster_transform import article, words
from transforms.dedup.records import Member
from transforms.dedup.cluster import DropIngested, FindCandidates, LinkComponents, VerifyCandidates
from transforms.dedup.sign import SignArticles
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
