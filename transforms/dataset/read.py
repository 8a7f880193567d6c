"""Reading the dataset back inside a run.

* ``ReadParquetRows``: rows of every Parquet file matching a pattern, or of a
  list of files (a commit's snapshot), as dicts. Reads through ``fileio`` (so
  ``gs://`` works) and tolerates nothing to read: the first run of a dataset has
  no history yet.
* ``ReadRecentIndex``: the index rows a run matches against, those ingested
  within ``--match_window_days``. Row groups entirely older than the window are
  skipped from their Parquet statistics without being read; compaction keeps
  the index in ingestion order, so old rows sit in old row groups.
* ``LookUpIngested``: which of a run's URLs and content hashes any past run
  ingested, over the whole index (not only the window: re-runs add nothing).
  Only the two key columns are read, and they are filtered with Arrow's
  vectorised ``is_in`` against the run's own keys, so no past row enters a shuffle.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io import fileio

from transforms import paths

__all__ = ["ReadParquetRows", "ReadRecentIndex", "LookUpIngested", "recent_mask"]

_BATCH_ROWS = 10_000


class _ReadRowsFn(beam.DoFn):
    def __init__(self, columns=None):
        self._columns = columns

    def process(self, readable):
        with readable.open() as fh:
            pf = pq.ParquetFile(fh)
            for batch in pf.iter_batches(batch_size=_BATCH_ROWS, columns=self._columns):
                yield from batch.to_pylist()


def _files(pbegin, pattern, files):
    if files is not None:
        return pbegin | "ListParquet" >> beam.Create(list(files))
    # Not fileio.MatchFiles: a dataset folder such as out[1] must not be read as a glob.
    return (pbegin
            | "CreatePattern" >> beam.Create([pattern])
            | "MatchParquet" >> beam.FlatMap(paths.match))


class ReadParquetRows(beam.PTransform):
    """Rows of the Parquet files matching ``pattern``, or of exactly ``paths`` (a snapshot taken earlier)."""

    def __init__(self, pattern: str = None, columns=None, paths=None):
        super().__init__()
        if (pattern is None) == (paths is None):
            raise ValueError("give a pattern or a list of paths")
        self._pattern = pattern
        self._paths = paths
        self._columns = columns

    def expand(self, pbegin):
        return (
            _files(pbegin, self._pattern, self._paths)
            | "OpenParquet" >> fileio.ReadMatches()
            | "ReadRows" >> beam.ParDo(_ReadRowsFn(self._columns))
        )


def _group_newest(metadata, group: int, names: Sequence[str]) -> Optional[dt.datetime]:
    """The newest value of the first of ``names`` with statistics in a row group; None when unknown."""
    row_group = metadata.row_group(group)
    for i in range(row_group.num_columns):
        column = row_group.column(i)
        if column.path_in_schema in names and column.statistics is not None and column.statistics.has_min_max:
            if column.statistics.null_count:
                return None  # some rows fall back to another column
            return column.statistics.max
    return None


def recent_mask(batch: pa.RecordBatch, cutoff: dt.datetime) -> pa.Array:
    """Rows ingested at or after ``cutoff`` (published when the row has no ingestion time; undated: kept)."""
    names = batch.schema.names
    when = None
    for name in ("ingested_at", "published"):
        if name in names:
            when = batch[name] if when is None else pc.coalesce(when, batch[name])
    if when is None:
        return pa.array([True] * batch.num_rows)
    return pc.fill_null(pc.greater_equal(when, pa.scalar(cutoff, type=when.type)), True)


class _ReadRecentFn(beam.DoFn):
    def __init__(self, cutoff: dt.datetime):
        self._cutoff = cutoff

    def process(self, readable):
        with readable.open() as fh:
            pf = pq.ParquetFile(fh)
            groups = [g for g in range(pf.num_row_groups)
                      if (_group_newest(pf.metadata, g, ("ingested_at",)) or self._cutoff) >= self._cutoff]
            if not groups:
                return
            for batch in pf.iter_batches(batch_size=_BATCH_ROWS, row_groups=groups):
                yield from batch.filter(recent_mask(batch, self._cutoff)).to_pylist()


class ReadRecentIndex(beam.PTransform):
    """Index rows of ``files`` ingested at or after ``cutoff`` (every row when ``cutoff`` is None)."""

    def __init__(self, files: Sequence[str], cutoff: Optional[dt.datetime]):
        super().__init__()
        self._files = list(files)
        self._cutoff = cutoff

    def expand(self, pbegin):
        read = _ReadRowsFn() if self._cutoff is None else _ReadRecentFn(self._cutoff)
        return (
            _files(pbegin, None, self._files)
            | "OpenIndex" >> fileio.ReadMatches()
            | "ReadIndexRows" >> beam.ParDo(read)
        )


class _KeySetsFn(beam.CombineFn):
    """Articles -> (set of URLs, set of content hashes)."""

    def create_accumulator(self):
        return set(), set()

    def add_input(self, acc, article):
        if article.get("url"):
            acc[0].add(article["url"])
        if article.get("content_hash"):
            acc[1].add(article["content_hash"])
        return acc

    def merge_accumulators(self, accumulators):
        urls, hashes = set(), set()
        for u, h in accumulators:
            urls |= u
            hashes |= h
        return urls, hashes

    def extract_output(self, acc):
        return sorted(acc[0]), sorted(acc[1])


class _LookUpFn(beam.DoFn):
    def process(self, readable, keys):
        urls, hashes = keys
        if not urls and not hashes:
            return
        url_set, hash_set = pa.array(urls, pa.string()), pa.array(hashes, pa.string())
        with readable.open() as fh:
            pf = pq.ParquetFile(fh)
            columns = [c for c in ("url", "content_hash") if c in pf.schema_arrow.names]
            for batch in pf.iter_batches(batch_size=8 * _BATCH_ROWS, columns=columns):
                hit = pa.array([False] * batch.num_rows)
                if "url" in columns:
                    hit = pc.or_(hit, pc.fill_null(pc.is_in(batch["url"], value_set=url_set), False))
                if "content_hash" in columns:
                    hit = pc.or_(hit, pc.fill_null(pc.is_in(batch["content_hash"], value_set=hash_set), False))
                if pc.any(hit).as_py():
                    yield from batch.filter(hit).to_pylist()


class LookUpIngested(beam.PTransform):
    """Articles -> ``{"url", "content_hash"}`` rows of the index ``files`` sharing a URL or content with one."""

    def __init__(self, files: Sequence[str]):
        super().__init__()
        self._files = list(files)

    def expand(self, articles):
        keys = articles | "CollectKeys" >> beam.CombineGlobally(_KeySetsFn())
        return (
            _files(articles.pipeline, None, self._files)
            | "OpenIndexKeys" >> fileio.ReadMatches()
            | "LookUpKeys" >> beam.ParDo(_LookUpFn(), beam.pvalue.AsSingleton(keys))
        )
