"""Where things live under ``--output``; the one place that knows the dataset's folder layout.

    OUTPUT/articles/ingest_date=YYYY-MM-DD/part-<run_id>-*.parquet   (append per run)
    OUTPUT/errors/ingest_date=YYYY-MM-DD/part-<run_id>-*.parquet     (append per run)
    OUTPUT/clusters/part-<run_id>-*.parquet   a row per cluster each run changed (current: the newest)
    OUTPUT/_index/part-<run_id>-*.parquet   LSH index: signatures + cluster ids of past articles
    OUTPUT/_index/config.json          MinHash parameters the index was built with
    OUTPUT/_staging/<run_id>/...       a run's files until it publishes
    OUTPUT/_runs/<run_id>.json         manifest of each published run (written once, by publishing)
    OUTPUT/_runs/counts/<run_id>.json  the run's Beam counters, from the launcher that waited for them
    OUTPUT/_log/<version>.json         commit log: the files of every table a reader sees

Folders starting with ``_`` are ignored by Hive-style readers (Spark, DuckDB globs
of ``articles/**``), so staged files are never picked up.
"""
from __future__ import annotations

from apache_beam.io.filesystems import FileSystems

STAGING = "_staging"
RUNS = "_runs"
#: Under RUNS: counters are known only to the launcher, after the pipeline (which publishes) has ended.
RUN_COUNTS = "counts"
STATE = "_state"
INDEX = "_index"
INDEX_CONFIG = "config.json"
READY_MARKER = "_READY"
#: Lock file of a local dataset, held by a batch run from recovery to publishing.
LOCK_FILE = "_lock"
#: Table names, which are also their folders under OUTPUT (and under a run's staging folder).
ARTICLES, CLUSTERS, ERRORS = "articles", "clusters", "errors"
#: The index as staged by a run (published into INDEX).
STAGED_INDEX = "index"
APPEND_TABLES = (ARTICLES, ERRORS)
#: Staged table -> folder it is published to.
DESTINATIONS = {ARTICLES: ARTICLES, ERRORS: ERRORS, CLUSTERS: CLUSTERS, STAGED_INDEX: INDEX}


def join(*parts: str) -> str:
    return FileSystems.join(*parts)


def staging_dir(output: str, run_id: str) -> str:
    return join(output, STAGING, run_id)


def partition(ingest_date: str) -> str:
    return f"ingest_date={ingest_date}"
