"""ClusterStories on the real runner: chains, exact duplicates, giant buckets, thresholds, roles."""
import datetime as dt
import random

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from tests.beam_helpers import local_pipeline
from tests.dedup.test_signing_lsh import WORDS
from transforms.dedup import roles
from transforms.dedup.cluster import ClusterStories
from transforms.dedup.sign import SignArticles, SplitTextFn
from transforms.dedup.signing import MinHashConfig
from transforms.tokens import content_hash

CFG = MinHashConfig(num_perm=128, threshold=0.5, containment_threshold=0.95)


def article(aid, text, day=None, site=None, credit=None):
    return {"article_id": aid, "text": text, "content_hash": content_hash(text), "site": site,
            "credited_source": credit, "title": None,
            "published": dt.datetime(2024, 1, day, tzinfo=dt.timezone.utc) if day else None}


def words(seed, n=200):
    rng = random.Random(seed)
    return [rng.choice(WORDS) + str(rng.randrange(50)) for _ in range(n)]


def cluster(articles, cfg, cap=100):
    """SignArticles then ClusterStories, as the batch graph wires them."""
    signed = articles | SignArticles(cfg)
    return {"articles": signed.slim, "texts": signed[SplitTextFn.TEXTS]} | ClusterStories(cfg, bucket_cap=cap)


def run(articles, check_groups=None, check_rows=None, check_clusters=None, cap=100, cfg=CFG):
    """Run ClusterStories; each check_* callable asserts inside the pipeline (matchers run on the runner)."""
    with local_pipeline() as p:
        out = cluster(p | beam.Create(articles), cfg, cap)
        out = type("Out", (), out)
        groups = (out.articles
                  | beam.Map(lambda a: (a["cluster_id"], a["article_id"]))
                  | beam.GroupByKey()
                  | beam.MapTuple(lambda _, ids: tuple(sorted(ids))))
        if check_groups is not None:
            assert_that(groups, check_groups, label="CheckGroups")
        if check_rows is not None:
            assert_that(out.articles, lambda rows: check_rows({r["article_id"]: r for r in rows}), label="CheckRows")
        if check_clusters is not None:
            assert_that(out.clusters, lambda cl: check_clusters(list(cl)), label="CheckClusters")


def test_chain_joins_into_one_cluster():
    base = words(1, 320)
    a = base[:240]
    b = base[40:280]   # A~B and B~C: Jaccard ~0.7
    c = base[80:320]   # A~C: Jaccard ~0.5, containment ~0.67: below both thresholds
    cfg = MinHashConfig(num_perm=128, threshold=0.6, containment_threshold=0.95, fn_weight=0.9)
    arts = [article("a", " ".join(a), 1), article("b", " ".join(b), 2), article("c", " ".join(c), 3),
            article("z", " ".join(words(99)), 1)]
    def sizes(clusters):
        assert sorted(c["size"] for c in clusters) == [1, 3]
    def no_direct_ac(by_id):
        from transforms.dedup.signing import Signer, estimate_jaccard
        sig, _ = Signer(cfg).sign([by_id["a"]["text"], by_id["c"]["text"]])
        assert estimate_jaccard(sig[0], sig[1]) < cfg.threshold  # only the chain joins them
    run(arts, check_groups=equal_to([("a", "b", "c"), ("z",)]), check_clusters=sizes, check_rows=no_direct_ac,
        cfg=cfg)


def test_exact_duplicates_share_cluster_and_similarity_one():
    text = " ".join(words(5))
    arts = [article("d2", text, 3), article("d1", text, 2), article("d3", text.upper(), 4)]
    def rows(by_id):
        assert by_id["d1"]["is_canonical"] and by_id["d1"]["role"] == "original"
        assert by_id["d2"]["similarity"] == 1.0 and by_id["d2"]["role"] == "copy"
        assert not {"sig", "dup_of", "role_sketch", "n_shingles"} & set(by_id["d2"])
        assert by_id["d3"]["text"] == text.upper()  # each row gets its own text back
    run(arts, check_groups=equal_to([("d1", "d2", "d3")]), check_rows=rows)


def test_giant_bucket_is_capped_but_still_one_cluster():
    base = words(7, 200)
    arts = []
    for i in range(150):
        edited = list(base)
        edited[i % 200] = f"edit{i}"
        arts.append(article(f"s{i:03d}", " ".join(edited), 1 + i % 20))
    def one(clusters):
        assert [c["size"] for c in clusters] == [150]
    run(arts, check_groups=equal_to([tuple(a["article_id"] for a in arts)]), check_clusters=one, cap=20)


def test_below_threshold_stays_apart_and_near_copy_joins():
    base = words(11, 200)
    near = list(base)
    for i in range(0, 200, 40):
        near[i] = "changed"  # 5 edits: Jaccard ~0.93
    far = base[:60] + words(12, 140)  # shares ~25% of shingles: below 0.5 and not contained
    arts = [article("orig", " ".join(base), 1), article("near", " ".join(near), 2), article("far", " ".join(far), 1)]
    def rows(by_id):
        assert by_id["near"]["role"] == "copy" and by_id["near"]["similarity"] > 0.7
    run(arts, check_groups=equal_to([("far",), ("near", "orig")]), check_rows=rows)


def test_canonical_is_crediting_outlet_then_earliest_and_cluster_id_deterministic():
    base = " ".join(words(21))
    arts = [article("repost", base + " extra words here", 1, site="ksl.com", credit="CNN"),
            article("cnnorig", base, 2, site="cnn.com", credit="CNN"),
            article("late", base + " more words at the end", 5, site="itv.com", credit="CNN")]
    expected_id = roles.cluster_id_for("cnnorig")

    def rows(by_id):
        assert [a for a, r in by_id.items() if r["is_canonical"]] == ["cnnorig"]
        assert {r["cluster_id"] for r in by_id.values()} == {expected_id}

    def clusters(cl):
        assert [c["cluster_id"] for c in cl] == [expected_id]
        assert cl[0]["first_published"] == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
        assert cl[0]["sites"] == ["cnn.com", "itv.com", "ksl.com"]
        assert cl[0]["member_ids"] == ["cnnorig", "late", "repost"]
    run(arts, check_rows=rows, check_clusters=clusters)
    run(list(reversed(arts)), check_rows=rows, check_clusters=clusters)


def paragraphs(seed, n=10):
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) + str(rng.randrange(50)) for _ in range(36)) for _ in range(n)]


def test_roles_truncated_wrapped_copy_and_rewrite():
    base = paragraphs(31)
    intro = " ".join(words(32, 30))
    fresh = paragraphs(33)
    wrapped = [intro] + base[:4]  # a local intro over the first four paragraphs: Jaccard ~0.3
    # Two thirds of each paragraph kept, the rest its own: Jaccard ~0.35, a third of it new.
    rewrite = [" ".join(b.split()[:24] + f.split()[24:]) for b, f in zip(base, fresh)]
    arts = [article("base", "\n\n".join(base), 1), article("wrapped", "\n\n".join(wrapped), 2),
            article("rewrite", "\n\n".join(rewrite), 2)]
    def rows(by_id):
        assert {a: r["role"] for a, r in by_id.items()} == {"base": "original", "wrapped": "copy",
                                                             "rewrite": "rewrite"}
        assert by_id["wrapped"]["similarity"] < 0.5  # the similarity column stays Jaccard to the original
    cfg = MinHashConfig(num_perm=128, threshold=0.2, containment_threshold=0.7)
    run(arts, check_groups=equal_to([("base", "rewrite", "wrapped")]), check_rows=rows, cfg=cfg)


def test_texts_rejoin_rows_and_the_canonical_text_reaches_its_cluster():
    text = " ".join(words(41))
    untitled = dict(article("orig", text, 1), title=None)
    titled = dict(article("solo", " ".join(words(42)), 1), title="A title")
    # Two input documents with one id (same URL and content) stay two rows, each with text.
    twin = dict(article("twin", " ".join(words(43)), 3), url="https://x.test/a")
    arts = [untitled, article("copy", text + " and a closing line", 2), titled, twin, dict(twin)]
    def rows(found):
        assert sorted(r["article_id"] for r in found) == ["copy", "orig", "solo", "twin", "twin"]
        assert all(r["text"] == a["text"] for r in found for a in arts if a["article_id"] == r["article_id"])
    def clusters(cl):
        by = {c["canonical_article_id"]: c for c in cl}
        assert by["orig"]["text"] == text and by["orig"]["title"] == roles.headline_from_text(text)
        assert by["solo"]["title"] == "A title" and by["solo"]["text"] == titled["text"]
    with local_pipeline() as p:
        out = cluster(p | beam.Create(arts), CFG)
        assert_that(out["articles"], rows, label="CheckRows")
        assert_that(out["clusters"], clusters, label="CheckClusters")


def test_texts_travel_packed_and_come_back_unchanged():
    from transforms.dedup.sign import pack_text, unpack_text
    text = "Zürich — 東京: the council's budget vote.\n\n" + " ".join(words(44))
    packed = pack_text(text)
    assert unpack_text(packed) == text
    assert len(packed) < len(text.encode("utf-8")) / 2
    assert pack_text(None) is None and unpack_text(None) is None
