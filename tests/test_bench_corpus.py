"""The benchmark's corpus generator and pair metrics (fast: no pipeline run)."""
import collections
import itertools
import random
import re

import pytest

from tests.bench import corpus
from tests.bench.bench_cluster import adjusted_rand_index, contingency, pair_scores, score_clustering
from transforms.tokens import content_hash, words

N = 400


@pytest.fixture(scope="module")
def docs():
    return list(corpus.iter_documents(N, seed=3))


def shingles(text, k=3):
    w = words(text)
    return set(zip(*(w[i:] for i in range(k))))


def jaccard(a, b):
    return len(a & b) / len(a | b)


def containment(a, b):
    return len(a & b) / min(len(a), len(b))


def test_same_seed_same_bytes_other_seed_differs(tmp_path, docs):
    again = list(corpus.iter_documents(N, seed=3))
    assert [(d.file, d.page, d.truth) for d in again] == [(d.file, d.page, d.truth) for d in docs]
    other = list(corpus.iter_documents(N, seed=4))
    assert [d.page for d in other] != [d.page for d in docs]
    rows_a = corpus.generate(tmp_path / "a", 50, seed=9)
    rows_b = corpus.generate(tmp_path / "b", 50, seed=9)
    assert rows_a == rows_b == corpus.read_truth(tmp_path / "a" / "truth.csv")
    assert (tmp_path / "a" / "truth.csv").read_bytes() == (tmp_path / "b" / "truth.csv").read_bytes()
    for row in rows_a:
        assert (tmp_path / "a" / "docs" / row.file).read_bytes() == (tmp_path / "b" / "docs" / row.file).read_bytes()
    assert sorted(p.name for p in (tmp_path / "a" / "docs").iterdir()) == sorted(r.file for r in rows_a)


def test_truth_is_consistent(docs):
    rows = [d.truth for d in docs]
    by_file = {r.file: r for r in rows}
    assert len(by_file) == N
    kinds = collections.Counter(r.kind for r in rows)
    assert set(kinds) == set(corpus.KINDS) and all(kinds[k] >= 10 for k in corpus.KINDS), kinds
    firsts = collections.Counter(r.story for r in rows if r.kind in ("base", "independent"))
    # Every story has exactly one first publication (the last event may be cut short by N).
    assert all(firsts[s] == 1 for s in {r.story for r in rows} if s in firsts)
    assert sum(1 for s in {r.story for r in rows} if s not in firsts) == 0
    for r in rows:
        if r.kind in ("copy", "rewrite"):
            parent = by_file[r.parent]
            assert parent.story == r.story and parent.kind in ("base", "independent")
        else:
            assert r.parent == ""
        if r.kind == "independent":
            # Same event as a base story, but a story of its own.
            assert any(o.event == r.event and o.kind == "base" and o.story != r.story for o in rows)
    for d in docs:
        assert d.truth.body_hash == content_hash(d.body)
        assert d.truth.body_words == len(words(d.body))
        m = re.match(r" date (\d{4}-\d{2}-\d{2}) ", d.page)
        assert (m.group(1) if m else "") == d.truth.published
    assert sum(1 for r in rows if r.published) > 0.8 * N


def test_pages_carry_site_chrome(docs):
    pages = "\n".join(d.page for d in docs)
    for marker in ("Privacy Policy", "Subscribe", "Updated:", "Comments"):
        assert marker in pages
    assert re.search(r"^(More stories|Related|Most Read|Trending Now|Top Stories|Latest News)", pages, re.M)
    assert re.search(r"^(Sponsored|Paid Content|Around the Web|Promoted Stories|From our partners)", pages, re.M)
    assert re.search(r"^By [A-Z]", pages, re.M)
    # The article is in the page, the chrome is not in the article.
    for d in docs[:50]:
        assert all(par in d.page for par in d.body.split("\n\n")[1:]) or "\n" in d.page
        assert "Privacy Policy" not in d.body


def test_copies_share_shingles_and_independent_reports_do_not(docs):
    body = {d.truth.file: d.body for d in docs}
    rows = [d.truth for d in docs]
    sh = {f: shingles(t) for f, t in body.items()}
    copy_j = [jaccard(sh[r.file], sh[r.parent]) for r in rows if r.kind == "copy"]
    copy_c = [containment(sh[r.file], sh[r.parent]) for r in rows if r.kind == "copy"]
    assert sorted(copy_j)[len(copy_j) // 2] > 0.6
    assert min(copy_c) > 0.5
    assert any(r.kind == "copy" and "verbatim" in r.edits and r.body_hash == next(
        o.body_hash for o in rows if o.file == r.parent) for r in rows)
    by_event = collections.defaultdict(list)
    for r in rows:
        by_event[r.event].append(r)
    checked = 0
    for members in by_event.values():
        for a, b in itertools.combinations(members, 2):
            if a.story != b.story:
                checked += 1
                assert jaccard(sh[a.file], sh[b.file]) < 0.25, (a, b)
                assert containment(sh[a.file], sh[b.file]) < 0.6, (a, b)
    assert checked >= 10
    rng = random.Random(0)
    unrelated = []
    while len(unrelated) < 300:
        a, b = rng.sample(rows, 2)
        if a.event != b.event:
            unrelated.append(jaccard(sh[a.file], sh[b.file]))
    assert max(unrelated) < 0.1 and sorted(unrelated)[150] < 0.03


def test_independent_report_shares_facts_not_sentences():
    r = random.Random(11)
    event = corpus.make_event("e1", r)
    base = corpus.write_story(event, r)
    base_sentences = [s for p in base.paragraphs for s in p]
    other = corpus.write_story(event, r, avoid=base_sentences)
    other_sentences = [s for p in other.paragraphs for s in p]
    assert not set(base_sentences) & set(other_sentences)
    facts = [event.facts[k] for k in ("CITY", "ORG", "THING", "P1L")]
    assert all(f in base.body() or f in other.body() for f in facts)
    assert sum(f in base.body() and f in other.body() for f in facts) >= 2
    copy, edits = corpus.make_copy(base, event, corpus.make_site(r), r)
    assert copy.headline and edits
    rewrite, _ = corpus.make_rewrite(base, event, r)
    kept = set(base_sentences) & {s for p in rewrite.paragraphs for s in p}
    assert 0 < len(kept) < len(base_sentences)


def test_pair_scores_on_known_clusterings():
    truth = ["a", "a", "a", "b", "b"]
    same = pair_scores(truth, ["x", "x", "x", "y", "y"])
    assert (same.precision, same.recall, same.f1, same.ari) == (1.0, 1.0, 1.0, 1.0)
    s = pair_scores(truth, ["x", "x", "y", "y", "y"])
    assert (s.true_pairs, s.pred_pairs, s.both) == (4, 4, 2)
    assert s.precision == s.recall == s.f1 == 0.5
    assert s.ari == pytest.approx(1 / 6)  # sklearn.metrics.adjusted_rand_score gives 0.1666...
    singletons = pair_scores(truth, list(range(5)))
    assert (singletons.precision, singletons.recall, singletons.f1) == (1.0, 0.0, 0.0)
    assert singletons.ari == 0.0
    merged = pair_scores(truth, ["z"] * 5)
    assert merged.recall == 1.0 and merged.precision == pytest.approx(4 / 10) and merged.ari == 0.0
    assert adjusted_rand_index(0, 0, 0, 4) == 1.0
    with pytest.raises(ValueError):
        contingency(["a"], ["x", "y"])


def test_pair_counts_match_brute_force():
    rng = random.Random(5)
    for _ in range(20):
        n = rng.randrange(2, 40)
        truth = [rng.randrange(6) for _ in range(n)]
        pred = [rng.choice("pqrstu") for _ in range(n)]
        s = pair_scores(truth, pred)
        pairs = list(itertools.combinations(range(n), 2))
        assert s.true_pairs == sum(truth[i] == truth[j] for i, j in pairs)
        assert s.pred_pairs == sum(pred[i] == pred[j] for i, j in pairs)
        assert s.both == sum(truth[i] == truth[j] and pred[i] == pred[j] for i, j in pairs)
        # Renaming predicted labels changes nothing.
        assert pair_scores(truth, [p.upper() for p in pred]) == s


def test_score_clustering_flags_merged_independent_reports_and_missing_documents():
    T = corpus.TruthRow
    rows = [T("b1", "s1", "e1", "base", "", 100, "h1", "", "2024-01-01"),
            T("c1", "s1", "e1", "copy", "b1", 90, "h2", "drop1,headline", "2024-01-02"),
            T("c2", "s1", "e1", "copy", "b1", 60, "h3", "trunc3", "2024-01-02"),
            T("i1", "s2", "e1", "independent", "", 100, "h4", "", "2024-01-01"),
            T("r1", "s1", "e1", "rewrite", "b1", 80, "h5", "keep50", "2024-01-03")]
    pred = {"b1": "k1", "c1": "k1", "i1": "k1", "r1": "k2"}  # c2 refused by extraction, i1 wrongly merged
    roles = {"b1": "original", "c1": "copy", "i1": "rewrite", "r1": "original"}
    q = score_clustering(rows, pred, role_of=roles, hash_of={"b1": "h1", "c1": "zz"}, words_of={"b1": 100, "c1": 99})
    assert q["independent_merged"] == 1 and q["independent_total"] == 1
    assert q["missing"] == 1 and q["impure_clusters"] == 1 and q["impure_clusters_across_events"] == 0
    assert q["joined_to_parent"]["copy"] == {"n": 2, "rate": 0.5}
    assert q["joined_to_parent"]["trunc"] == {"n": 1, "rate": 0.0}
    assert q["joined_to_parent"]["rewrite"] == {"n": 1, "rate": 0.0}
    # Syndicated subset (no rewrites): b1 c1 c2 i1; true pairs b1-c1 b1-c2 c1-c2; predicted b1-c1 b1-i1 c1-i1.
    assert q["syndicated"]["true_pairs"] == 3 and q["syndicated"]["pred_pairs"] == 3 and q["syndicated"]["both"] == 1
    assert q["extraction_exact"] == 0.5
    assert q["role_checks"]["copy"] == {"n": 1, "rate": 1.0}


def test_users_datasketch_loop_joins_the_same_dump_only(tmp_path):
    from tests.bench.bench_cluster import user_loop
    from transforms.dedup.signing import MinHashConfig
    rng = random.Random(4)
    story = " ".join(rng.choice(["rain", "court", "mayor", "bridge", "vote", "fire", "budget", "school"]) + str(i)
                     for i in range(300))
    other = " ".join(f"w{rng.randrange(10**6)}" for _ in range(300))
    for name, text in (("a.txt", story), ("b.txt", story), ("c.txt", other)):
        (tmp_path / name).write_text(text)
    out = user_loop(tmp_path, 3, MinHashConfig())
    assert out["docs"] == 3 and out["clusters"] == 2
    assert user_loop(tmp_path, 2, MinHashConfig())["clusters"] == 1  # only the first n dumps


def test_the_plain_loops_site_boilerplate_stage_strips_what_the_pipeline_strips(tmp_path):
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to
    from tests.bench.bench_cluster import stage_extract, stage_read, stage_site_boilerplate
    from tests.beam_helpers import local_pipeline
    from transforms.extract.site_boilerplate import DropSiteBoilerplate
    corpus.generate(tmp_path, 300, seed=2)
    records, _ = stage_extract(stage_read(tmp_path / "docs"))
    looped = stage_site_boilerplate(records, 30)
    changed = [a for a, b in zip(records, looped) if a["text"] != b["text"]]
    assert changed  # the generated taglines are a site's boilerplate
    rows = lambda recs: sorted((r["article_id"], r["text"], r["n_words"], r["content_hash"]) for r in recs)
    with local_pipeline() as p:
        out = p | beam.Create(records) | DropSiteBoilerplate(min_words=30) | beam.Map(
            lambda r: (r["article_id"], r["text"], r["n_words"], r["content_hash"]))
        assert_that(out, equal_to(rows(looped)))


def test_the_plain_loops_roundup_stage_drops_a_digests_links_as_the_pipeline_does():
    from tests.bench.bench_cluster import stage_roundups
    from tests.dedup.test_cluster_transform import words as story_words
    from transforms.dedup.containment import containment_anchors
    from transforms.dedup.events import event_terms, pack_terms
    from transforms.dedup.signing import MinHashConfig, Signer
    signer = Signer(MinHashConfig())
    story, other = story_words(41, 400), story_words(42, 400)
    texts = {0: story, 1: story[:300], 2: other, 3: story[:200] + other[:200]}  # 3 quotes half of each
    anchors = {i: containment_anchors(signer.hashes(" ".join(ws))).tobytes() for i, ws in texts.items()}
    packed = [pack_terms(event_terms(" ".join(ws), language="en")) for ws in texts.values()]
    kept, roundups = stage_roundups(anchors, packed, [(0, 1), (0, 3), (2, 3), (1, 3)])
    assert roundups == [3]
    assert kept == [(0, 1)]
    # Without the digest the same links stay.
    assert stage_roundups(anchors, packed, [(0, 1)]) == ([(0, 1)], [])


def test_the_plain_loop_runs_every_stage_and_its_roles_read_the_sketches_signing_made(tmp_path, monkeypatch):
    import gc
    from pipeline.runner.local_runner import RUN_GC_THRESHOLDS
    from tests.bench import bench_cluster
    from tests.bench.bench_cluster import (_config, bench_size, stage_cluster, stage_extract, stage_lsh, stage_read,
                                           stage_roles, stage_sign)
    # The plain loop's stages run with the collector settings of a run's stages, and only while it runs.
    before, seen = gc.get_threshold(), []

    def signing(*args, **kwargs):
        seen.append((gc.get_threshold(), gc.get_freeze_count() > 0))
        return stage_sign(*args, **kwargs)

    monkeypatch.setattr(bench_cluster, "stage_sign", signing)
    # The whole in-process pass of make bench, as it runs there (no pipeline run, no baselines).
    res = bench_size(120, 3, [], tmp_path, 0, False, 0.0, 1, 0)
    assert seen == [(RUN_GC_THRESHOLDS, True)] and gc.get_threshold() == before
    seconds = res["inprocess"]["seconds"]
    assert set(seconds) >= {"read", "extract", "sign", "lsh", "containment", "events", "roles", "write"}
    assert all(v >= 0 for v in seconds.values()) and seconds["roles"] > 0
    assert res["inprocess_quality"]["all"]["n"] == res["inprocess"]["records"] > 100
    # Sketches made at signing from its hashes give the roles the text's own sketches give.
    config, cap = _config([])
    records, _ = stage_extract(stage_read(tmp_path / "corpus_120" / "docs"))
    spent: list = []
    unique, sigs, counts, dups, _, _ = stage_sign(records, config, sketch_seconds=spent)
    assert spent and all(isinstance(r["_role_sketch"], bytes) for r in records)
    labels = stage_cluster(stage_lsh(unique, sigs, counts, config, cap)[0] + dups, len(records))
    # New dicts without the sketches (stage_roles takes each record's sketch off it).
    plain = [{k: v for k, v in r.items() if k != "_role_sketch"} for r in records]
    roles = stage_roles(records, labels, unique, sigs, counts, config)
    assert roles == stage_roles(plain, labels, unique, sigs, counts, config)
    assert sum(roles.values()) == len(records) and roles.get("copy", 0) > 0


def test_the_plain_loops_containment_sums_pairs_in_the_pipelines_shards_as_in_one(tmp_path, monkeypatch):
    from tests.bench.bench_cluster import _config, stage_containment, stage_extract, stage_read, stage_sign
    from tests.bench.corpus import generate
    from transforms.dedup import containment
    generate(tmp_path / "c", 400, 5)
    config, _ = _config([])
    records, _ = stage_extract(stage_read(tmp_path / "c" / "docs"))
    unique = stage_sign(records, config)[0]
    distinct = {i: records[i]["_distinct_hashes"] for i in unique}  # stage_containment takes them
    sharded = stage_containment(records, unique)
    for i, d in distinct.items():
        records[i]["_distinct_hashes"] = d
    monkeypatch.setattr(containment, "PAIR_SHARDS", 1)
    assert len(sharded) > 20  # briefs and edited reposts
    assert sorted(sharded) == sorted(stage_containment(records, unique))


def test_the_plain_loops_event_stage_splits_buckets_by_cluster_as_a_module_without_that_does(tmp_path):
    # bench-quality times an older ref's events module in the same stage: one whose window_buckets cannot be
    # told the buckets are split by cluster already (no mixed_only) takes every bucket, as before, to the
    # same events.
    import types
    from tests.bench.bench_cluster import _config, stage_cluster, stage_events, stage_extract, stage_lsh, stage_read
    from tests.bench.bench_cluster import stage_sign
    from tests.bench.corpus import generate
    from transforms.dedup import events
    generate(tmp_path / "c", 400, 2)
    config, cap = _config([])
    records, _ = stage_extract(stage_read(tmp_path / "c" / "docs"))
    unique, sigs, counts, dups, packed, _ = stage_sign(records, config)
    labels = stage_cluster(stage_lsh(unique, sigs, counts, config, cap)[0] + dups, len(records))
    published = [r.get("published") for r in records]
    older = types.SimpleNamespace(**{k: getattr(events, k) for k in dir(events) if not k.startswith("__")})
    older.window_buckets = lambda buckets, slots_of, cap, cluster_of=None: events.window_buckets(
        buckets, slots_of, cap, cluster_of)
    current = stage_events(packed, labels, None, published)
    assert len(set(current)) < len(set(labels))  # some clusters joined into events
    assert stage_events(packed, labels, older, published) == current
