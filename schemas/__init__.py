"""Arrow schemas of storywire's outputs, defined once.

Writers take these as arguments; ``to_row`` is the single place a record dict
becomes a row that matches a schema (missing fields become nulls, datetimes are
made UTC-aware), so every file of a table has the identical schema every run.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import pyarrow as pa

__all__ = ["ARTICLES_SCHEMA", "CLUSTERS_SCHEMA", "ERRORS_SCHEMA", "INDEX_SCHEMA", "TABLES", "to_row"]

_TS = pa.timestamp("us", tz="UTC")

ARTICLES_SCHEMA = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("site", pa.string()),
    pa.field("title", pa.string()),
    pa.field("byline", pa.string()),
    pa.field("credited_source", pa.string()),
    pa.field("published", _TS),
    pa.field("language", pa.string()),
    pa.field("text", pa.string()),
    pa.field("n_words", pa.int32()),
    pa.field("content_hash", pa.string()),
    pa.field("extractor", pa.string()),
    pa.field("cluster_id", pa.string(), nullable=False),
    pa.field("is_canonical", pa.bool_()),
    # original | copy | rewrite | roundup (two unrelated stories in one text: left alone, links neither)
    pa.field("role", pa.string()),
    pa.field("similarity", pa.float32()),
    pa.field("event_id", pa.string()),
    # original | copy | rewrite (credits the original's source) | independent (credits another) | related (no
    # credit on one side: a rewrite or an independent report, not guessed); transforms.dedup.events
    pa.field("event_role", pa.string()),
    pa.field("run_id", pa.string()),
    pa.field("ingested_at", _TS),
])

CLUSTERS_SCHEMA = pa.schema([
    pa.field("cluster_id", pa.string(), nullable=False),
    pa.field("canonical_article_id", pa.string()),
    pa.field("title", pa.string()),
    pa.field("text", pa.string()),
    pa.field("size", pa.int32()),
    pa.field("member_ids", pa.list_(pa.string())),
    pa.field("sites", pa.list_(pa.string())),
    pa.field("first_published", _TS),
    pa.field("last_published", _TS),
    pa.field("merged_into", pa.string()),
    pa.field("run_id", pa.string()),
    pa.field("updated_at", _TS),
])

ERRORS_SCHEMA = pa.schema([
    pa.field("source", pa.string(), nullable=False),
    pa.field("stage", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("excerpt", pa.string()),
    pa.field("run_id", pa.string()),
    pa.field("ingested_at", _TS),
])

#: The LSH index of past articles (``OUTPUT/_index/``): what a later run needs to match new
#: articles against old ones and to skip input it has already ingested. Internal, not for analysts.
INDEX_SCHEMA = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("content_hash", pa.string()),
    pa.field("cluster_id", pa.string(), nullable=False),
    pa.field("published", _TS),
    pa.field("site", pa.string()),
    pa.field("credited_source", pa.string()),
    pa.field("sig", pa.binary()),
    pa.field("n_shingles", pa.int32()),
    pa.field("event_id", pa.string()),
    pa.field("event_terms", pa.string()),
    pa.field("anchors", pa.binary()),
    # A roundup (role ``roundup``): later runs never match against it, so it cannot bridge the stories
    # it carries one run at a time. Null in index files written before the column existed.
    pa.field("roundup", pa.bool_()),
    pa.field("run_id", pa.string()),
    # When the article was ingested: the match window (--match_window_days) is counted from it.
    pa.field("ingested_at", _TS),
])

#: Output table name -> schema; the table name is also its folder under --output.
TABLES = {"articles": ARTICLES_SCHEMA, "clusters": CLUSTERS_SCHEMA, "errors": ERRORS_SCHEMA}


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
    return value


def to_row(record: Mapping[str, Any], schema: pa.Schema) -> dict:
    """Project ``record`` onto ``schema``: exactly its fields, UTC datetimes."""
    return {name: _utc(record.get(name)) for name in schema.names}
