"""``storywire query``: DuckDB over a storywire dataset, with the tables as views.

``connect(output)`` returns an in-memory DuckDB connection with three views:

    articles   OUTPUT/articles/ingest_date=*/*.parquet   (+ ``ingest_date`` DATE from the folder name)
    errors     OUTPUT/errors/ingest_date=*/*.parquet     (+ ``ingest_date``)
    clusters   OUTPUT/clusters/*.parquet                 (current state: each cluster's newest row)
    events     one row per news event, from ``articles.event_id`` (its clusters, sites, time span)

The views read the files the dataset's last commit lists (``_log/``, see
``transforms.dataset.commitlog``), as of ``connect``: a run that is publishing
or a compaction going on meanwhile is seen whole or not at all, in every view
alike. ``refresh`` (or a new connection) moves them to a later commit. A table with no files yet, or files written before a
column existed, still has every column of its Arrow schema (nulls), so saved
queries keep working on a fresh or old dataset. The session time zone is UTC.

``ANALYST_QUERIES`` holds six ready answers to questions analysts ask (also in
the README and runnable with ``storywire query OUTPUT --example NAME``).

    storywire query out/ -c "SELECT site, count(*) FROM articles GROUP BY ALL ORDER BY 2 DESC"
    storywire query out/ --format csv < questions.sql
    storywire query out/                      # interactive: statements end with ';', .quit leaves
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import logging
import os
import re
import sys
from typing import Any, Iterable, List, Sequence, TextIO, Tuple

import duckdb
import pyarrow as pa

from schemas import TABLES
from transforms.dataset import commitlog

__all__ = ["connect", "refresh", "view_names", "run_sql", "format_result", "register", "ANALYST_QUERIES"]

_LOG = logging.getLogger(__name__)

#: Tables appended per run live in Hive partitions ``ingest_date=YYYY-MM-DD``.
_PARTITIONED = ("articles", "errors")
_PARTITION_COLUMN = "ingest_date"

#: Statement types whose result is a status ("Count", "Success"), not rows worth printing.
_QUIET_TYPES = {"CREATE", "DROP", "SET", "VARIABLE_SET", "ALTER", "TRANSACTION", "LOAD", "ATTACH",
                "DETACH", "CREATE_FUNC", "PREPARE", "VACUUM", "EXTENSION"}

_TABLE_CELL_WIDTH = 60


# ---------------------------------------------------------------------------------------------
# Connection and views
# ---------------------------------------------------------------------------------------------

def _is_remote(path: str) -> bool:
    return "://" in path


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_files(output: str, table: str) -> List[str]:
    """The files of ``table`` in the dataset's last commit (``transforms.dataset.commitlog``)."""
    return commitlog.visible_files(output, table)


def _duckdb_types(con: duckdb.DuckDBPyConnection, schema: pa.Schema) -> List[Tuple[str, str]]:
    """(column, DuckDB type) of an Arrow schema, as DuckDB itself maps it."""
    empty = schema.empty_table()
    name = "__storywire_schema_probe"
    con.register(name, empty)
    try:
        return [(row[0], row[1]) for row in con.execute(f"DESCRIBE {name}").fetchall()]
    finally:
        con.unregister(name)


def _view_sql(con: duckdb.DuckDBPyConnection, output: str, table: str) -> str:
    expected = _duckdb_types(con, TABLES[table])
    if table in _PARTITIONED:
        expected.append((_PARTITION_COLUMN, "DATE"))
    files = _table_files(output, table)
    if not files:
        columns = ", ".join(f"CAST(NULL AS {typ}) AS {_ident(col)}" for col, typ in expected)
        return f"SELECT {columns} WHERE false"

    options = ["union_by_name = true"]
    if table in _PARTITIONED:
        options += ["hive_partitioning = true", f"hive_types = {{'{_PARTITION_COLUMN}': DATE}}"]
    listed = "[" + ", ".join(_sql_literal(f) for f in files) + "]"
    source = f"read_parquet({listed}, {', '.join(options)})"
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    # Schema order first; columns missing from every file (older writers) become typed nulls.
    select = [_ident(col) if col in present else f"CAST(NULL AS {typ}) AS {_ident(col)}" for col, typ in expected]
    known = {col for col, _ in expected}
    select += [_ident(col) for col in sorted(present - known)]
    if table == "clusters":
        # A row per cluster per run that changed it: the newest is the cluster's current state.
        return (f"SELECT {', '.join(select)} FROM {source} QUALIFY row_number() OVER "
                "(PARTITION BY cluster_id ORDER BY updated_at DESC NULLS LAST, run_id DESC NULLS LAST) = 1")
    return f"SELECT {', '.join(select)} FROM {source}"


def view_names() -> List[str]:
    """Names of the views ``connect`` defines."""
    return [*TABLES, "events"]


def connect(output: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with ``articles``, ``clusters`` and ``errors`` views over ``output``.

    Args:
        output: The dataset folder a pipeline run wrote (``--output``). Local paths work
            out of the box; remote URLs need the matching DuckDB extension configured.

    Returns:
        A connection with the views defined and the session time zone set to UTC.

    Raises:
        FileNotFoundError: ``output`` is a local path that does not exist.
    """
    if not _is_remote(output) and not os.path.isdir(output):
        raise FileNotFoundError(f"no storywire dataset folder at {output!r}")
    con = duckdb.connect(":memory:")
    # Timestamps are stored in UTC; show them in UTC whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    refresh(con, output)
    return con


def refresh(con: duckdb.DuckDBPyConnection, output: str) -> None:
    """(Re)define the views on the dataset's latest commit: runs committed since are seen from now on."""
    for table in TABLES:
        con.execute(f"CREATE OR REPLACE VIEW {_ident(table)} AS {_view_sql(con, output, table)}")
    con.execute(f"CREATE OR REPLACE VIEW events AS {EVENTS_VIEW}")


#: One row per news event: its story clusters, sites and time span, headed by its original's title.
EVENTS_VIEW = """
SELECT event_id,
       arg_min(coalesce(title, left(text, 80)), CASE event_role WHEN 'original' THEN 0 ELSE 1 END) AS headline,
       count(*)                    AS articles,
       count(DISTINCT cluster_id)  AS clusters,
       list(DISTINCT cluster_id ORDER BY cluster_id) AS cluster_ids,
       list(DISTINCT site ORDER BY site) FILTER (WHERE site IS NOT NULL) AS sites,
       min(published)              AS first_published,
       max(published)              AS last_published
FROM articles
WHERE event_id IS NOT NULL
GROUP BY event_id
"""


# ---------------------------------------------------------------------------------------------
# Analyst questions
# ---------------------------------------------------------------------------------------------

#: Five analyst questions answered in SQL over the views. The first comment line is the
#: question; values to adapt (an outlet, a headline) are set once in a leading CTE.
ANALYST_QUERIES = {
    "biggest_stories_today": """\
-- Biggest stories today: stories with the most articles published today (UTC; undated articles count on the day they were ingested).
SELECT a.cluster_id,
       any_value(c.title)                                  AS headline,
       count(DISTINCT a.article_id)                        AS articles_today,
       count(DISTINCT a.site)                              AS sites_today,
       any_value(c.size)                                   AS story_size,
       min(coalesce(a.published, a.ingested_at))           AS first_today,
       max(coalesce(a.published, a.ingested_at))           AS last_today
FROM articles a
LEFT JOIN clusters c USING (cluster_id)
WHERE coalesce(a.published, a.ingested_at) >= current_date
  AND coalesce(a.published, a.ingested_at) <  current_date + INTERVAL 1 DAY
GROUP BY a.cluster_id
ORDER BY articles_today DESC, sites_today DESC, first_today
LIMIT 20;""",
    "top_reposters_of_outlet": """\
-- Which sites repost a given outlet most: articles crediting the outlet (credited_source) on other sites.
WITH outlet AS (SELECT 'reuters' AS name)          -- the outlet to look for, as it appears in credits
SELECT a.site,
       count(*)                                    AS reposts,
       count(DISTINCT a.cluster_id)                AS stories,
       count(*) FILTER (WHERE a.role = 'copy')     AS verbatim_copies,
       count(*) FILTER (WHERE a.role = 'rewrite')  AS rewrites,
       max(a.published)                            AS latest
FROM articles a, outlet o
WHERE a.credited_source ILIKE '%' || o.name || '%'
  AND coalesce(a.site, '') NOT ILIKE '%' || o.name || '%'   -- not the outlet's own site
GROUP BY a.site
ORDER BY reposts DESC, a.site
LIMIT 20;""",
    "copy_delay": """\
-- How fast copies follow the original: delay from the original's published time to each copy's, per copying site and overall.
WITH original AS (
    SELECT c.cluster_id, c.canonical_article_id, o.published
    FROM clusters c
    JOIN articles o ON o.article_id = c.canonical_article_id
    WHERE o.published IS NOT NULL
), delays AS (
    SELECT a.site, epoch(a.published) - epoch(g.published) AS delay_s
    FROM articles a
    JOIN original g USING (cluster_id)
    WHERE a.published IS NOT NULL
      AND a.article_id <> g.canonical_article_id
)
SELECT CASE WHEN grouping(site) = 1 THEN '(all sites)' ELSE coalesce(site, '(unknown site)') END AS site,
       count(*)                                              AS copies,
       to_seconds(round(median(delay_s)))                    AS median_delay,
       to_seconds(round(quantile_cont(delay_s, 0.9)))        AS p90_delay,
       count(*) FILTER (WHERE delay_s < 0)                   AS published_before_original
FROM delays
GROUP BY ROLLUP (site)
ORDER BY grouping(site) DESC, copies DESC, site
LIMIT 30;""",
    "errors_by_reason": """\
-- Errors by reason: what failed, at which stage, how often, and one example source.
SELECT stage,
       reason,
       count(*)                AS errors,
       count(DISTINCT run_id)  AS runs,
       max(ingested_at)        AS last_seen,
       min(source)             AS example_source
FROM errors
GROUP BY stage, reason
ORDER BY errors DESC, stage, reason;""",
    "story_members": """\
-- One story's members: every article of the story whose headline matches (or put its cluster_id in `story`).
WITH story AS (
    SELECT cluster_id FROM clusters
    WHERE merged_into IS NULL AND title ILIKE '%earthquake%'   -- or: WHERE cluster_id = 'c…'
    ORDER BY size DESC, last_published DESC
    LIMIT 1
), story_ids AS (                                   -- plus clusters merged into it
    SELECT cluster_id FROM story
    UNION SELECT cluster_id FROM clusters WHERE merged_into IN (SELECT cluster_id FROM story)
)
SELECT a.role, round(a.similarity::DOUBLE, 3) AS similarity, a.published, a.site, a.credited_source, a.title, a.url
FROM articles a
WHERE a.cluster_id IN (SELECT cluster_id FROM story_ids)
ORDER BY a.is_canonical DESC, a.published NULLS LAST, a.site;""",
    "event_coverage": """\
-- How one event was covered: each story cluster of the event whose headline matches, with its outlets and how much later it came.
WITH event AS (
    SELECT event_id, first_published FROM events
    WHERE headline ILIKE '%earthquake%'                -- or: WHERE event_id = 'e…'
    ORDER BY articles DESC, last_published DESC
    LIMIT 1
)
SELECT a.cluster_id,
       any_value(a.title) FILTER (WHERE a.is_canonical)            AS headline,
       any_value(a.event_role) FILTER (WHERE a.is_canonical)       AS cluster_role,
       count(*)                                                    AS articles,
       list(DISTINCT a.site ORDER BY a.site) FILTER (WHERE a.site IS NOT NULL) AS sites,
       min(a.published) - any_value(e.first_published)             AS after_first_report
FROM articles a JOIN event e USING (event_id)
GROUP BY a.cluster_id
ORDER BY min(a.published) NULLS LAST, a.cluster_id;""",
}


def question_of(name: str) -> str:
    """The question an ``ANALYST_QUERIES`` entry answers (its first comment line)."""
    first = ANALYST_QUERIES[name].splitlines()[0]
    return first.lstrip("-").strip()


# ---------------------------------------------------------------------------------------------
# Running SQL and printing results
# ---------------------------------------------------------------------------------------------

def run_sql(con: duckdb.DuckDBPyConnection, sql: str) -> List[Tuple[List[str], List[tuple]]]:
    """Run one or more ``;``-separated statements; returns (columns, rows) of each that yields rows.

    Raises:
        duckdb.Error: A statement failed (statements before it have run).
    """
    results = []
    for statement in con.extract_statements(sql):
        cursor = con.execute(statement)
        if statement.type.name in _QUIET_TYPES or cursor.description is None:
            continue
        columns = [d[0] for d in cursor.description]
        results.append((columns, cursor.fetchall()))
    return results


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_json_value(value), ensure_ascii=False)
    return _json_value(value)


# C0 and C1 controls and DEL (terminal escapes: ESC ] 0; ... BEL retitles the window, ESC [2J clears it),
# and the bidirectional overrides that reorder what a table shows.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape_controls(text: str) -> str:
    """``text`` safe to print on a terminal: control characters shown as ``\\xNN`` / ``\\uNNNN``."""
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                           else f"\\u{ord(m.group()):04x}", text)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, float):
        # float32 columns come back with binary noise (0.9700000286); a table is for reading.
        text = f"{value:.6g}"
    elif isinstance(value, (list, tuple, dict)):
        text = json.dumps(_json_value(value), ensure_ascii=False)
    else:
        text = str(value)
    text = " ".join(text.split()) if any(ch in text for ch in "\r\n\t") else text
    text = _escape_controls(text)  # the table is for a terminal; CSV and JSON keep the data exact
    return text if len(text) <= _TABLE_CELL_WIDTH else text[:_TABLE_CELL_WIDTH - 1] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def format_result(columns: Sequence[str], rows: Iterable[tuple], fmt: str, out: TextIO) -> None:
    """Write a result as an aligned text table, CSV (with header) or JSON lines (one object a row)."""
    rows = list(rows)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
        return
    if fmt == "json":
        for row in rows:
            out.write(json.dumps({c: _json_value(v) for c, v in zip(columns, row)}, ensure_ascii=False) + "\n")
        return
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    columns = [_escape_controls(str(c)) for c in columns]
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(_is_number(r[i]) or r[i] is None for r in rows) for i in range(len(columns))]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write("  ".join(v.rjust(w) if num else v.ljust(w)
                            for v, w, num in zip(row, widths, numeric)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _print_results(results, fmt: str, out: TextIO) -> None:
    for i, (columns, rows) in enumerate(results):
        if i and fmt == "table":
            out.write("\n")
        format_result(columns, rows, fmt, out)


def _execute(con, sql: str, fmt: str, out: TextIO, err: TextIO) -> int:
    try:
        results = run_sql(con, sql)
    except duckdb.Error as exc:
        err.write(f"Error: {exc}\n")
        return 1
    _print_results(results, fmt, out)
    return 0


# ---------------------------------------------------------------------------------------------
# Interactive shell
# ---------------------------------------------------------------------------------------------

_REPL_HELP = """\
Statements end with ';' (they may span lines). Views: articles, clusters, errors.
  .tables            list the views
  .schema [VIEW]     show a view's columns
  .examples          list the ready analyst queries; .example NAME runs one
  .format table|csv|json
  .quit              leave (also .exit or Ctrl-D)
"""


def _repl(con, fmt: str, out: TextIO, err: TextIO) -> int:
    try:
        import readline  # noqa: F401 - enables line editing and history for input()
    except ImportError:
        pass
    out.write("storywire query: DuckDB with views articles, clusters, errors. .help for help, .quit to leave.\n")
    buffer: List[str] = []
    while True:
        try:
            line = input("storywire> " if not buffer else "      ...> ")
        except EOFError:
            out.write("\n")
            return 0
        except KeyboardInterrupt:
            out.write("\n")
            buffer = []
            continue
        stripped = line.strip()
        if not buffer and stripped.startswith("."):
            command, _, rest = stripped.partition(" ")
            rest = rest.strip()
            if command in (".quit", ".exit", ".q"):
                return 0
            if command == ".help":
                out.write(_REPL_HELP)
            elif command == ".tables":
                out.write("\n".join(view_names()) + "\n")
            elif command == ".schema":
                for name in ([rest] if rest else view_names()):
                    _execute(con, f"DESCRIBE {_ident(name)}", "table", out, err)
            elif command == ".examples":
                for name in ANALYST_QUERIES:
                    out.write(f"{name:<26} {question_of(name)}\n")
            elif command == ".example":
                if rest in ANALYST_QUERIES:
                    out.write(ANALYST_QUERIES[rest] + "\n")
                    _execute(con, ANALYST_QUERIES[rest], fmt, out, err)
                else:
                    err.write(f"unknown example {rest!r}; .examples lists them\n")
            elif command == ".format":
                if rest in ("table", "csv", "json"):
                    fmt = rest
                else:
                    err.write("formats: table, csv, json\n")
            else:
                err.write(f"unknown command {command}; .help lists them\n")
            continue
        if not stripped and not buffer:
            continue
        buffer.append(line)
        if stripped.endswith(";"):
            _execute(con, "\n".join(buffer), fmt, out, err)
            buffer = []


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------

def _examples_epilog() -> str:
    lines = ["ready analyst queries (--example NAME):"]
    lines += [f"  {name:<24} {question_of(name)}" for name in ANALYST_QUERIES]
    return "\n".join(lines)


def cmd_query(args: argparse.Namespace, argv: List[str]) -> int:
    """Handler of ``storywire query``; returns the exit code."""
    parser = args._query_parser
    # The top-level CLI tolerates unknown flags (they are Beam's for `run`); here a typo is an error.
    _, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        con = connect(args.output)
    except (FileNotFoundError, duckdb.Error) as exc:
        print(f"storywire query: {exc}", file=sys.stderr)
        return 2
    try:
        if args.example:
            return _execute(con, ANALYST_QUERIES[args.example], args.format, sys.stdout, sys.stderr)
        if args.command_sql is not None:
            return _execute(con, args.command_sql, args.format, sys.stdout, sys.stderr)
        if sys.stdin.isatty():
            return _repl(con, args.format, sys.stdout, sys.stderr)
        return _execute(con, sys.stdin.read(), args.format, sys.stdout, sys.stderr)
    finally:
        con.close()


def register(sub) -> None:
    """Add the ``query`` sub-command to the ``storywire`` CLI's sub-parsers."""
    p = sub.add_parser(
        "query", help="Query a dataset with SQL (DuckDB views articles, clusters, errors).",
        description="Open DuckDB with views articles, clusters and errors over a storywire dataset. "
                    "With -c, run that SQL; with a terminal, an interactive shell (statements end with ';', "
                    ".quit leaves); otherwise SQL is read from stdin. Timestamps are shown in UTC.",
        epilog=_examples_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output", metavar="OUTPUT", help="Dataset folder written by `storywire run --output`.")
    p.add_argument("-c", "--command", dest="command_sql", metavar="SQL",
                   help="SQL to run (several statements separated by ';' allowed).")
    p.add_argument("-e", "--example", choices=sorted(ANALYST_QUERIES), metavar="NAME",
                   help="Run one of the ready analyst queries listed below.")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="Output format: aligned table (default), CSV with header, or JSON lines.")
    p.set_defaults(func=cmd_query, _query_parser=p)
