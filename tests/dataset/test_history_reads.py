"""What a run reads of the dataset's past: the match window, the key probe, lookups, and compaction."""
import datetime as dt

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.util import assert_that, equal_to

from schemas import CLUSTERS_SCHEMA, INDEX_SCHEMA, to_row
from tests.beam_helpers import local_pipeline
from transforms.dataset import commitlog, compact
from transforms.dataset.read import (LookUpClusters, LookUpIngested, ProbeKeysFn, ReadRecentIndex, matchable_mask,
                                     matching_rows, probe_mask, recent_mask)
from transforms.dataset.write import write_parquet
from transforms.dedup.events import pack_terms

BANDS, ROWS, KEY_TERMS = 42, 3, 6
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


def _sig(rng):
    return rng.integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)


def _terms(*words):
    return pack_terms([(w, 10.0 - i) for i, w in enumerate(words)])


def _probe(articles):
    fn = ProbeKeysFn(BANDS, ROWS, KEY_TERMS)
    acc = fn.create_accumulator()
    for a in articles:
        acc = fn.add_input(acc, a)
    return fn.extract_output(acc)


def test_probe_keeps_exactly_the_past_articles_sharing_a_key():
    rng = np.random.default_rng(0)
    new_sig = _sig(rng)
    new = {"sig": new_sig.tobytes(), "anchors": np.array([7, 8, 9], np.uint32).tobytes(),
           "event_terms": _terms("quake", "tokyo", "magnitude", "coast", "tsunami", "warning")}
    same_band = _sig(rng)
    same_band[9:12] = new_sig[9:12]  # band 3 equal
    past = [
        {"sig": same_band.tobytes(), "anchors": None, "event_terms": None},
        {"sig": _sig(rng).tobytes(), "anchors": np.array([1, 9], np.uint32).tobytes(), "event_terms": None},
        {"sig": _sig(rng).tobytes(), "anchors": None, "event_terms": _terms("tokyo", "quake", "x", "y", "z", "w")},
        # One top term in common is no shared event key; nothing else shared either.
        {"sig": _sig(rng).tobytes(), "anchors": np.array([1, 2], np.uint32).tobytes(),
         "event_terms": _terms("tokyo", "a", "b", "c", "d", "e")},
        {"sig": None, "anchors": None, "event_terms": None},
    ]
    batch = pa.RecordBatch.from_pylist(past, schema=pa.schema([("sig", pa.binary()), ("anchors", pa.binary()),
                                                               ("event_terms", pa.string())]))
    assert probe_mask(batch, _probe([new]), BANDS, ROWS, KEY_TERMS).tolist() == [True, True, True, False, False]


def test_matchable_mask_leaves_out_roundups_and_keeps_rows_written_before_the_flag():
    batch = pa.RecordBatch.from_pylist([{"roundup": True}, {"roundup": False}, {"roundup": None}],
                                       schema=pa.schema([("roundup", pa.bool_())]))
    assert matchable_mask(batch).to_pylist() == [False, True, True]
    older = pa.RecordBatch.from_pylist([{"article_id": "a"}], schema=pa.schema([("article_id", pa.string())]))
    assert matchable_mask(older).to_pylist() == [True]


def test_recent_mask_counts_from_ingestion_then_publication_and_keeps_undated():
    old, recent = NOW - dt.timedelta(days=40), NOW - dt.timedelta(days=2)
    batch = pa.RecordBatch.from_pylist(
        [{"ingested_at": old, "published": recent}, {"ingested_at": recent, "published": old},
         {"ingested_at": None, "published": old}, {"ingested_at": None, "published": None}],
        schema=pa.schema([("ingested_at", pa.timestamp("us", tz="UTC")), ("published", pa.timestamp("us", tz="UTC"))]))
    assert recent_mask(batch, NOW - dt.timedelta(days=30)).to_pylist() == [False, True, False, True]


def _index_file(path, rows):
    write_parquet(str(path), [to_row(r, INDEX_SCHEMA) for r in rows], INDEX_SCHEMA)
    return str(path)


def test_read_recent_index_skips_old_rows_and_unrelated_ones(tmp_path):
    rng = np.random.default_rng(1)
    sig = _sig(rng)
    base = {"cluster_id": "c", "anchors": None, "event_terms": None}
    old = _index_file(tmp_path / "old.parquet", [
        {**base, "article_id": "old-match", "sig": sig.tobytes(), "ingested_at": NOW - dt.timedelta(days=90)}])
    recent = _index_file(tmp_path / "recent.parquet", [
        {**base, "article_id": "match", "sig": sig.tobytes(), "ingested_at": NOW - dt.timedelta(days=1)},
        {**base, "article_id": "other", "sig": _sig(rng).tobytes(), "ingested_at": NOW - dt.timedelta(days=1)},
        # A roundup shares the key too, but a later run must not link to it.
        {**base, "article_id": "roundup", "sig": sig.tobytes(), "ingested_at": NOW - dt.timedelta(days=1),
         "roundup": True}])
    with local_pipeline() as p:
        articles = p | beam.Create([{"article_id": "new", "sig": sig.tobytes()}])
        rows = p | ReadRecentIndex([old, recent], NOW - dt.timedelta(days=30), articles=articles,
                                   shape=(BANDS, ROWS, KEY_TERMS))
        assert_that(rows | beam.Map(lambda r: r["article_id"]), equal_to(["match"]))


def test_look_up_ingested_and_clusters_read_only_the_keys_asked_for(tmp_path):
    index = _index_file(tmp_path / "i.parquet", [
        {"article_id": "a", "cluster_id": "c", "url": "u1", "content_hash": "h1"},
        {"article_id": "b", "cluster_id": "c", "url": "u2", "content_hash": "h2"},
        {"article_id": "d", "cluster_id": "c", "url": None, "content_hash": "h3"}])
    older, newer = NOW - dt.timedelta(days=1), NOW
    v1, v2 = str(tmp_path / "v1.parquet"), str(tmp_path / "v2.parquet")
    write_parquet(v1, [to_row({"cluster_id": "c1", "size": 1, "updated_at": older}, CLUSTERS_SCHEMA),
                       to_row({"cluster_id": "c2", "size": 1, "updated_at": older}, CLUSTERS_SCHEMA)], CLUSTERS_SCHEMA)
    write_parquet(v2, [to_row({"cluster_id": "c1", "size": 3, "updated_at": newer}, CLUSTERS_SCHEMA)],
                  CLUSTERS_SCHEMA)
    with local_pipeline() as p:
        seen = (p | "Articles" >> beam.Create([{"url": "u1", "content_hash": "zz"}, {"url": "x", "content_hash": "h3"}])
                | LookUpIngested([index]))
        assert_that(seen | beam.Map(lambda r: (r["url"], r["content_hash"])),
                    equal_to([("u1", "h1"), (None, "h3")]), label="CheckSeen")
        current = p | "Ids" >> beam.Create(["c1", "c9"]) | LookUpClusters([v1, v2])
        assert_that(current | beam.Map(lambda r: (r["cluster_id"], r["size"])), equal_to([("c1", 3)]),
                    label="CheckClusters")


def test_compaction_keeps_each_clusters_newest_row_and_one_file_per_partition(tmp_path):
    out = str(tmp_path / "out")
    rel = []
    for run, (size, when) in enumerate([(1, NOW - dt.timedelta(hours=2)), (2, NOW - dt.timedelta(hours=1))]):
        path = tmp_path / "out" / "clusters" / f"part-r{run}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [{"cluster_id": "c1", "size": size, "updated_at": when, "run_id": f"r{run}"}]
        if run == 0:
            rows.append({"cluster_id": "c2", "size": 1, "updated_at": when, "run_id": "r0"})
        write_parquet(str(path), [to_row(r, CLUSTERS_SCHEMA) for r in rows], CLUSTERS_SCHEMA)
        rel.append(f"clusters/part-r{run}.parquet")
    commitlog.commit(out, "r1", "run", {"clusters": rel})
    report = compact.compact(out)
    assert report["clusters"] == (2, 1)
    files = commitlog.visible_files(out, "clusters")
    assert len(files) == 1 and not (tmp_path / "out" / "clusters" / "part-r0.parquet").exists()
    table = pq.read_table(files[0])
    assert sorted(zip(table["cluster_id"].to_pylist(), table["size"].to_pylist())) == [("c1", 2), ("c2", 1)]


@pytest.mark.parametrize("point", ["compact", "compacted"])
def test_a_killed_compaction_is_undone_or_finished_by_recovery(tmp_path, monkeypatch, point):
    from transforms.dataset import publish
    out = str(tmp_path / "out")
    (tmp_path / "out" / "_index").mkdir(parents=True)
    rel = [f"_index/part-r{i}.parquet" for i in range(3)]
    for i, r in enumerate(rel):
        _index_file(tmp_path / "out" / r, [{"article_id": f"a{i}", "cluster_id": "c"}])
    commitlog.commit(out, "r2", "run", {"index": rel})

    def crash(name):
        if name == point:
            raise KeyboardInterrupt
    monkeypatch.setattr(compact, "crash_point", crash)
    with pytest.raises(KeyboardInterrupt):
        compact.compact(out)
    monkeypatch.undo()
    ids = sorted(a for f in commitlog.visible_files(out, "index") for a in pq.read_table(f)["article_id"].to_pylist())
    assert ids == ["a0", "a1", "a2"]  # during: every row once
    publish.recover(out)
    listed = commitlog.read_snapshot(out).files("index")
    on_disk = {commitlog.relative(out, f) for f in commitlog.folder_files(out, "index")}
    assert on_disk == set(listed) and len(listed) == (3 if point == "compact" else 1)
    assert not (tmp_path / "out" / "_staging").exists() or not list((tmp_path / "out" / "_staging").iterdir())


def test_match_window_option_takes_days_or_unbounded():
    from pipeline.options import match_cutoff, match_window_days

    assert match_window_days("unbounded") == 0 and match_window_days("0") == 0 and match_window_days("7.5") == 7.5
    with pytest.raises(ValueError):
        match_window_days("-1")

    class Opts:
        match_window_days = 30.0
    assert match_cutoff(Opts, NOW) == NOW - dt.timedelta(days=30)
    Opts.match_window_days = 0.0
    assert match_cutoff(Opts, NOW) is None


def test_matching_rows_ors_the_columns_and_treats_nulls_and_missing_columns_as_no_match():
    batch = pa.record_batch({"url": ["u1", None, "u3", "u4"], "content_hash": ["h1", "h2", None, "h4"]})
    wanted = {"url": pa.array(["u3"]), "content_hash": pa.array(["h2"]), "cluster_id": pa.array(["c1"])}
    assert matching_rows(batch, wanted).to_pylist() == [False, True, True, False]
    assert matching_rows(batch, {"url": pa.array(["nope"])}) is None
    assert matching_rows(batch, {"url": pa.array([], pa.string())}) is None
