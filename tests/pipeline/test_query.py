"""Tests for ``pipeline.analyst.query``: DuckDB views over a dataset, the analyst queries, the CLI.

Datasets are written directly with pyarrow and the shared schemas (``write_dataset``),
laid out as the pipeline publishes them, so these tests do not depend on a run.
``tests/test_report.py`` reuses the builders below.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from typing import Iterable, Optional

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import cli

from pipeline.analyst import query
from schemas import ARTICLES_SCHEMA, CLUSTERS_SCHEMA, TABLES, to_row

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 10, 21, 9, 0, tzinfo=UTC)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HOSTILE_TITLE = ("<script>document.title='PWNED'</script><img id=\"pwned\" src=\"x\" "
                 "onerror=\"document.title='PWNED2'\"> Storm & \"floods\" </td></table>")


# ---------------------------------------------------------------------------------------------
# Dataset builders (shared with test_report)
# ---------------------------------------------------------------------------------------------

def art(article_id: str, cluster_id: str, site: Optional[str], published: Optional[dt.datetime], role: str,
        title: str = "", *, credited_source: Optional[str] = None, similarity: Optional[float] = None,
        ingest_date: str = "2024-10-21", url: Optional[str] = None, **extra) -> dict:
    """One article row; ``ingest_date`` picks its partition (not a column of the files)."""
    return {
        "article_id": article_id, "source": f"dump/{article_id}.txt",
        "url": url if url is not None else (f"https://{site}/news/{article_id}" if site else None),
        "site": site, "title": title, "byline": None, "credited_source": credited_source,
        "published": published, "language": "en", "text": f"text of {article_id}", "n_words": 300,
        "content_hash": f"h{article_id}", "extractor": "text", "cluster_id": cluster_id,
        "is_canonical": role == "original", "role": role,
        "similarity": 1.0 if role == "original" else similarity, "run_id": f"run-{ingest_date}",
        "ingested_at": dt.datetime.fromisoformat(ingest_date).replace(hour=12, tzinfo=UTC),
        "_ingest_date": ingest_date, **extra,
    }


def clusters_from(articles: Iterable[dict], titles: dict, merged_into: Optional[dict] = None) -> list:
    """Cluster rows as the pipeline would keep them, derived from article rows."""
    merged_into = merged_into or {}
    by_cluster: dict = {}
    for a in articles:
        by_cluster.setdefault(a["cluster_id"], []).append(a)
    rows = []
    for cid, members in sorted(by_cluster.items()):
        canonical = next((m for m in members if m["is_canonical"]), members[0])
        dates = [m["published"] for m in members if m["published"]]
        rows.append({
            "cluster_id": cid, "canonical_article_id": canonical["article_id"],
            "title": titles.get(cid, canonical["title"]), "text": canonical["text"], "size": len(members),
            "member_ids": sorted(m["article_id"] for m in members),
            "sites": sorted({m["site"] for m in members if m["site"]}),
            "first_published": min(dates) if dates else None, "last_published": max(dates) if dates else None,
            "merged_into": merged_into.get(cid), "run_id": "run-x", "updated_at": T0,
        })
    return rows


def _write(path: str, rows: list, schema: pa.Schema) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    table = pa.Table.from_pylist([to_row(r, schema) for r in rows], schema=schema)
    pq.write_table(table, path, compression="zstd")


def write_dataset(root: str, articles: list, clusters: list, errors: Optional[list] = None,
                  empty_files: bool = False) -> str:
    """Write a dataset in the published layout. ``errors=None`` leaves the errors table out entirely.

    ``empty_files`` writes zero-row files for empty tables, as ``publish`` does for a run with no input.
    """
    os.makedirs(root, exist_ok=True)
    for table, rows in (("articles", articles), ("errors", errors)):
        if rows is None:
            continue
        by_day: dict = {}
        for r in rows:
            by_day.setdefault(r.get("_ingest_date", "2024-10-21"), []).append(r)
        if not rows and empty_files:
            by_day = {"2024-10-21": []}
        for day, day_rows in by_day.items():
            _write(os.path.join(root, table, f"ingest_date={day}", f"part-run-{day}-00000.parquet"),
                   day_rows, TABLES[table])
    if clusters or empty_files:
        _write(os.path.join(root, "clusters", "clusters.parquet"), clusters, CLUSTERS_SCHEMA)
    # Internal folders hold files the views must never read.
    _write(os.path.join(root, "_staging", "run-z", "articles", "part-0.parquet"),
           [art("staged", "cstaged", "staged.example", T0, "original", "STAGED ROW")], ARTICLES_SCHEMA)
    return root


def newsroom_articles() -> list:
    """Four stories: a 4-site wire story, a story with a merged cluster, a hostile one, an undated single."""
    m = dt.timedelta(minutes=1)
    quake = "Magnitude 6.1 earthquake strikes off the coast"
    rates = "Central bank holds interest rates steady"
    return [
        art("a1", "cA", "reuters.com", T0, "original", quake, credited_source="Reuters"),
        art("a2", "cA", "news-a.com", T0 + 10 * m, "copy", quake, credited_source="Reuters", similarity=0.97),
        art("a3", "cA", "news-b.com", T0 + 25 * m, "copy", quake, credited_source="Reuters", similarity=0.91),
        art("a4", "cA", "blog-c.net", T0 + 180 * m, "rewrite", "Quake hits coast, residents shaken",
            credited_source="Reuters", similarity=0.42),
        art("b1", "cB", "reuters.com", T0 + 60 * m, "original", rates, credited_source="Reuters"),
        art("b2", "cB", "news-a.com", T0 + 120 * m, "copy", rates, credited_source="Reuters", similarity=0.88),
        # A later run's cluster that was merged into cB: part of the same story.
        art("b3", "cB2", "news-d.org", T0 + 300 * m, "original", rates + " (update)", credited_source="Reuters",
            ingest_date="2024-10-22"),
        art("h1", "cH", "evil.example", T0 + 30 * m, "original", HOSTILE_TITLE,
            url="javascript:document.title='PWNED3'", ingest_date="2024-10-22"),
        art("h2", "cH", 'x.test"><b id="pwned-site">bold</b>', T0 + 50 * m, "copy", HOSTILE_TITLE,
            similarity=0.8, ingest_date="2024-10-22"),
        art("d1", "cD", "solo.net", None, "original", "A story only one site ran"),
    ]


def newsroom_errors() -> list:
    def err(source, stage, reason, day="2024-10-21"):
        return {"source": source, "stage": stage, "reason": reason, "excerpt": "…", "run_id": f"run-{day}",
                "ingested_at": T0, "_ingest_date": day}
    return [err("https://slow.example/1", "fetch", "timeout"), err("https://slow.example/2", "fetch", "timeout",
                                                                  "2024-10-22"),
            err("dump/x.txt", "extract", "too_short")]


def newsroom(root: str) -> str:
    articles = newsroom_articles()
    clusters = clusters_from(articles, {"cH": HOSTILE_TITLE}, merged_into={"cB2": "cB"})
    return write_dataset(root, articles, clusters, newsroom_errors())


@pytest.fixture()
def dataset(tmp_path):
    return newsroom(str(tmp_path / "out"))


def _rows(con, sql, params=None):
    return con.execute(sql, params or {}).fetchall()


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

def _columns(con, view):
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {view}").fetchall()]


def test_views_have_schema_columns_and_partition_dates(dataset):
    con = query.connect(dataset)
    for view, schema in TABLES.items():
        names = [c for c, _ in _columns(con, view)]
        expected = schema.names + (["ingest_date"] if view in ("articles", "errors") else [])
        assert names == expected, view
    assert dict(_columns(con, "articles"))["published"] == "TIMESTAMP WITH TIME ZONE"
    assert dict(_columns(con, "articles"))["ingest_date"] == "DATE"
    by_day = _rows(con, "SELECT ingest_date, count(*) FROM articles GROUP BY 1 ORDER BY 1")
    assert by_day == [(dt.date(2024, 10, 21), 7), (dt.date(2024, 10, 22), 3)]
    assert _rows(con, "SELECT count(*) FROM errors")[0][0] == 3
    assert _rows(con, "SELECT count(*) FROM clusters")[0][0] == 5
    # Internal folders are never read.
    assert _rows(con, "SELECT count(*) FROM articles WHERE article_id = 'staged'")[0][0] == 0
    assert _rows(con, "SELECT current_setting('TimeZone')")[0][0] == "UTC"


def test_empty_folder_gives_empty_typed_views(tmp_path):
    con = query.connect(str(tmp_path))
    for view, schema in TABLES.items():
        assert [c for c, _ in _columns(con, view)][:len(schema.names)] == schema.names
        assert _rows(con, f"SELECT count(*) FROM {view}")[0][0] == 0
    assert dict(_columns(con, "clusters"))["member_ids"] == "VARCHAR[]"
    assert dict(_columns(con, "errors"))["ingest_date"] == "DATE"


def test_zero_row_files_and_missing_errors_table(tmp_path):
    root = write_dataset(str(tmp_path / "empty"), [], [], [], empty_files=True)
    con = query.connect(root)
    assert [_rows(con, f"SELECT count(*) FROM {v}")[0][0] for v in TABLES] == [0, 0, 0]

    root = write_dataset(str(tmp_path / "noerr"), newsroom_articles(),
                         clusters_from(newsroom_articles(), {}), errors=None)
    assert not os.path.exists(os.path.join(root, "errors"))
    con = query.connect(root)
    assert _rows(con, "SELECT count(*) FROM errors")[0][0] == 0
    assert "reason" in [c for c, _ in _columns(con, "errors")]


def test_files_from_older_writers_missing_a_column(tmp_path):
    root = str(tmp_path / "old")
    write_dataset(root, newsroom_articles()[:2], clusters_from(newsroom_articles()[:2], {}), [])
    old_schema = pa.schema([f for f in ARTICLES_SCHEMA if f.name != "credited_source"])
    _write(os.path.join(root, "articles", "ingest_date=2024-10-20", "part-old.parquet"),
           [art("o1", "cO", "old.example", T0, "original", "old")], old_schema)
    con = query.connect(root)
    assert _rows(con, "SELECT article_id, credited_source FROM articles ORDER BY ingest_date, article_id") == [
        ("o1", None), ("a1", "Reuters"), ("a2", "Reuters")]
    # A column no file has at all is still there, as typed nulls.
    only_old = str(tmp_path / "only_old")
    _write(os.path.join(only_old, "articles", "ingest_date=2024-10-20", "part-old.parquet"),
           [art("o1", "cO", "old.example", T0, "original", "old")], old_schema)
    con = query.connect(only_old)
    assert _rows(con, "SELECT credited_source FROM articles") == [(None,)]
    assert dict(_columns(con, "articles"))["credited_source"] == "VARCHAR"


def test_views_see_a_commit_not_files_published_meanwhile(tmp_path):
    from transforms.dataset import commitlog
    root = write_dataset(str(tmp_path / "out"), newsroom_articles()[:1], [], [])
    commitlog.ensure_log(root)
    con = query.connect(root)
    assert _rows(con, "SELECT count(*) FROM articles")[0][0] == 1
    late = os.path.join(root, "articles", "ingest_date=2024-10-23", "part-late.parquet")
    _write(late, [art("late", "cL", "late.example", T0, "original", "late")], ARTICLES_SCHEMA)
    query.refresh(con, root)
    assert _rows(con, "SELECT count(*) FROM articles")[0][0] == 1  # in the folder, in no commit yet
    snapshot = commitlog.read_snapshot(root)
    commitlog.commit(root, "late", "run", {"articles": snapshot.files("articles") + [commitlog.relative(root, late)]})
    assert _rows(con, "SELECT count(*) FROM articles")[0][0] == 1  # the connection keeps its snapshot ...
    query.refresh(con, root)
    assert _rows(con, "SELECT count(*) FROM articles")[0][0] == 2  # ... until refreshed


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        query.connect(str(tmp_path / "nope"))


# ---------------------------------------------------------------------------------------------
# Analyst queries
# ---------------------------------------------------------------------------------------------

def _analyst(con, name):
    (columns, rows), = query.run_sql(con, query.ANALYST_QUERIES[name])
    return [dict(zip(columns, r)) for r in rows]


def test_six_analyst_queries_with_questions():
    assert set(query.ANALYST_QUERIES) == {"biggest_stories_today", "top_reposters_of_outlet", "copy_delay",
                                          "errors_by_reason", "story_members", "event_coverage"}
    for name, sql in query.ANALYST_QUERIES.items():
        assert sql.startswith("-- ") and query.question_of(name), name


def test_all_analyst_queries_run_on_empty_and_partial_datasets(tmp_path):
    empty = write_dataset(str(tmp_path / "e"), [], [], [], empty_files=True)
    bare = str(tmp_path / "bare")
    os.makedirs(bare)
    for root in (empty, bare):
        con = query.connect(root)
        for name in query.ANALYST_QUERIES:
            rows = _analyst(con, name)
            if name == "copy_delay":
                # ROLLUP always yields its total row, with nothing to count.
                assert [(r["site"], r["copies"]) for r in rows] == [("(all sites)", 0)]
            else:
                assert rows == [], name


def test_top_reposters_of_outlet(dataset):
    rows = _analyst(query.connect(dataset), "top_reposters_of_outlet")
    assert [(r["site"], r["reposts"], r["stories"]) for r in rows] == [
        ("news-a.com", 2, 2), ("blog-c.net", 1, 1), ("news-b.com", 1, 1), ("news-d.org", 1, 1)]
    assert rows[0]["verbatim_copies"] == 2 and rows[1]["rewrites"] == 1


def test_copy_delay_median_and_p90(dataset):
    rows = {r["site"]: r for r in _analyst(query.connect(dataset), "copy_delay")}
    # Non-canonical dated members against their cluster's canonical: a2 +10m, a3 +25m, a4 +180m,
    # b2 +60m, h2 +20m. b3 is the canonical of its own (merged) cluster.
    delays = sorted([600, 1500, 10800, 3600, 1200])
    total = rows["(all sites)"]
    assert total["copies"] == 5
    assert total["median_delay"] == dt.timedelta(seconds=1500)
    assert total["p90_delay"] == dt.timedelta(seconds=round(3600 + 0.6 * (10800 - 3600)))
    assert rows["news-a.com"]["copies"] == 2 and rows["news-a.com"]["median_delay"] == dt.timedelta(seconds=2100)
    assert rows["blog-c.net"]["p90_delay"] == dt.timedelta(seconds=10800)
    assert total["published_before_original"] == 0
    assert len(delays) == total["copies"]


def test_errors_by_reason(dataset):
    rows = _analyst(query.connect(dataset), "errors_by_reason")
    assert [(r["stage"], r["reason"], r["errors"], r["runs"]) for r in rows] == [
        ("fetch", "timeout", 2, 2), ("extract", "too_short", 1, 1)]
    assert rows[0]["example_source"] == "https://slow.example/1"


def test_story_members(dataset):
    rows = _analyst(query.connect(dataset), "story_members")
    assert [(r["role"], r["site"]) for r in rows] == [
        ("original", "reuters.com"), ("copy", "news-a.com"), ("copy", "news-b.com"), ("rewrite", "blog-c.net")]
    assert rows[1]["similarity"] == pytest.approx(0.97, abs=1e-3)


def test_story_members_follow_merged_clusters(dataset):
    sql = query.ANALYST_QUERIES["story_members"].replace("%earthquake%", "%interest rates%")
    (columns, rows), = query.run_sql(query.connect(dataset), sql)
    assert sorted(r[columns.index("site")] for r in rows) == ["news-a.com", "news-d.org", "reuters.com"]


def test_biggest_stories_today(tmp_path):
    now = dt.datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=1, microsecond=0)
    day = now.date().isoformat()
    articles = newsroom_articles() + [
        art("t1", "cT", "one.example", today, "original", "Today's big story", ingest_date=day),
        art("t2", "cT", "two.example", today + dt.timedelta(seconds=30), "copy", "Today's big story",
            ingest_date=day),
        art("t3", "cT", "two.example", None, "copy", "Today's big story", ingest_date=day),
        art("s1", "cS", "one.example", today, "original", "Today's small story", ingest_date=day),
        # Published yesterday: not today's story even though ingested today.
        art("y1", "cY", "one.example", today - dt.timedelta(hours=2), "original", "Yesterday", ingest_date=day),
    ]
    # Undated t3 counts on its ingest day, which test rows stamp at noon.
    articles[-3]["ingested_at"] = today + dt.timedelta(seconds=5)
    root = write_dataset(str(tmp_path / "out"), articles, clusters_from(articles, {}), [])
    rows = _analyst(query.connect(root), "biggest_stories_today")
    assert [(r["cluster_id"], r["headline"], r["articles_today"], r["sites_today"]) for r in rows] == [
        ("cT", "Today's big story", 3, 2), ("cS", "Today's small story", 1, 1)]


# ---------------------------------------------------------------------------------------------
# Running SQL, formats, CLI
# ---------------------------------------------------------------------------------------------

def test_run_sql_several_statements(dataset):
    con = query.connect(dataset)
    results = query.run_sql(con, "CREATE TEMP TABLE s AS SELECT DISTINCT site FROM articles; "
                                 "SELECT count(*) AS n FROM s; SELECT 'a;b' AS x;")
    assert results == [(["n"], [(8,)]), (["x"], [("a;b",)])]


def test_format_result_table_csv_json():
    columns = ["site", "n", "when", "sites"]
    rows = [("a.com", 3, dt.datetime(2024, 1, 2, 3, 4, tzinfo=UTC), ["x", "y"]), (None, 12, None, None)]
    out = io.StringIO()
    query.format_result(columns, rows, "table", out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == columns and lines[-1] == "(2 rows)"
    assert lines[2].startswith("a.com") and " 3  2024-01-02 03:04:00+00:00" in lines[2]
    assert lines[3].startswith("NULL ") and "12" in lines[3]
    out = io.StringIO()
    query.format_result(columns, rows, "csv", out)
    assert out.getvalue().splitlines()[:2] == ["site,n,when,sites", "a.com,3,2024-01-02T03:04:00+00:00,\"[\"\"x\"\", \"\"y\"\"]\""]
    out = io.StringIO()
    query.format_result(columns, rows, "json", out)
    first, second = [json.loads(line) for line in out.getvalue().splitlines()]
    assert first == {"site": "a.com", "n": 3, "when": "2024-01-02T03:04:00+00:00", "sites": ["x", "y"]}
    assert second["site"] is None
    long = io.StringIO()
    query.format_result(["t"], [("x" * 500 + "\nmore",)], "table", long)
    assert max(len(line) for line in long.getvalue().splitlines()) <= 60


def test_cli_query_command_formats_and_errors(dataset, capsys):
    assert cli.main(["query", dataset, "-c", "SELECT site, count(*) AS n FROM articles "
                     "WHERE site LIKE 'news-%' GROUP BY site ORDER BY site", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["site,n", "news-a.com,2", "news-b.com,1", "news-d.org,1"]

    assert cli.main(["query", dataset, "--example", "errors_by_reason", "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (first["reason"], first["errors"]) == ("timeout", 2)

    assert cli.main(["query", dataset, "-c", "SELECT nope FROM articles"]) == 1
    assert "nope" in capsys.readouterr().err

    assert cli.main(["query", os.path.join(dataset, "missing"), "-c", "SELECT 1"]) == 2
    assert "no storywire dataset" in capsys.readouterr().err

    with pytest.raises(SystemExit) as exc:
        cli.main(["query", dataset, "-c", "SELECT 1", "--fromat", "csv"])
    assert exc.value.code == 2


def test_cli_query_reads_sql_from_stdin(dataset, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT count(*) AS n FROM clusters;\nSELECT 7 AS seven;"))
    assert cli.main(["query", dataset, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "5", "seven", "7"]


def _read_until(fd: int, marker: bytes, timeout: float = 20.0) -> bytes:
    buf = b""
    deadline = time.monotonic() + timeout
    while marker not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got {buf!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            buf += chunk
    return buf


def test_interactive_shell_on_a_terminal(dataset):
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": REPO, "TERM": "dumb"}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "query", dataset], stdin=follower,
                            stdout=follower, stderr=follower, cwd=REPO, env=env, close_fds=True)
    os.close(follower)
    try:
        _read_until(leader, b"storywire> ")
        os.write(leader, b"SELECT count(*) AS n\n")
        _read_until(leader, b"...> ")
        os.write(leader, b"FROM articles;\n")
        out = _read_until(leader, b"storywire> ")
        assert b"(1 row)" in out and b"10" in out
        os.write(leader, b"SELECT oops;\n")
        assert b"Error" in _read_until(leader, b"storywire> ")
        os.write(leader, b".quit\n")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)


def test_events_view_and_event_coverage(tmp_path):
    m = dt.timedelta(minutes=1)
    quake = "Magnitude 6.1 earthquake strikes off the coast"
    rows = [
        art("a1", "cA", "reuters.com", T0, "original", quake, event_id="e1", event_role="original"),
        art("a2", "cA", "news-a.com", T0 + 10 * m, "copy", quake, event_id="e1", event_role="copy"),
        art("b1", "cB", "blog.net", T0 + 60 * m, "original", "Residents describe the quake", event_id="e1",
            event_role="related"),
        art("z1", "cZ", "other.org", T0, "original", "Rates held", event_id="e2", event_role="original"),
    ]
    con = query.connect(write_dataset(str(tmp_path / "d"), rows, clusters_from(rows, {})))
    (cols, got), = query.run_sql(con, "SELECT event_id, headline, articles, clusters, sites FROM events ORDER BY 1")
    assert got == [("e1", quake, 3, 2, ["blog.net", "news-a.com", "reuters.com"]),
                   ("e2", "Rates held", 1, 1, ["other.org"])]
    cover = _analyst(con, "event_coverage")
    assert [(r["cluster_id"], r["cluster_role"], r["articles"], r["after_first_report"]) for r in cover] == [
        ("cA", "original", 2, dt.timedelta(0)), ("cB", "related", 1, dt.timedelta(hours=1))]
