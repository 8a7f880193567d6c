"""Reading the dataset back inside a run.

Every reader takes the files of the commit the run started from (a snapshot
taken by its launcher), reads through ``fileio`` (so ``gs://`` works) and
tolerates nothing to read: the first run of a dataset has no history yet.

* ``ReadRecentIndex``: the index rows a run matches against: those ingested
  within ``--match_window_days`` that share an LSH band key, a containment
  anchor or an event key with one of the run's articles (``probe_mask``, in
  vectorised numpy over each batch). The rest could not meet a new article in
  any bucket, so they never enter a shuffle and a run's cost follows its
  candidates rather than the history. Roundups are never matched against
  (``matchable_mask``). Row groups entirely older than the window
  are skipped from their Parquet statistics; compaction keeps the index in
  ingestion order, so old rows sit in old row groups.
* ``LookUpIngested``: which of a run's URLs and content hashes any past run
  ingested, over the whole index (not only the window: re-runs add nothing).
  Only the two key columns are read, and they are filtered with Arrow's
  vectorised ``is_in`` against the run's own keys, so no past row enters a shuffle.
* ``LookUpClusters``: the current rows of the clusters a run may touch (those of
  the past articles in its window).
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple, Optional, Sequence

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io import fileio

from transforms.dedup import lsh
from transforms.dedup.events import packed_key_terms, term_pair_keys

__all__ = ["ReadRecentIndex", "Probe", "ProbeKeysFn", "probe_mask", "LookUpIngested", "LookUpClusters", "recent_mask",
           "matchable_mask", "matching_rows"]

_BATCH_ROWS = 10_000


def _files(pbegin, files):
    return pbegin | "ListParquet" >> beam.Create(list(files))


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


def matchable_mask(batch: pa.RecordBatch) -> pa.Array:
    """Rows a new article may match: every one but a roundup's (null in files older than the flag)."""
    if "roundup" not in batch.schema.names:
        return pa.array([True] * batch.num_rows)
    return pc.invert(pc.fill_null(batch["roundup"], False))


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


def _field(record, name: str):
    """A field of a record: a dict row, or a typed record (``transforms.dedup.records.Member``)."""
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


class Probe(NamedTuple):
    """The keys a run's new articles emit: LSH band keys, containment anchors, event terms and keys."""

    bands: np.ndarray
    anchors: np.ndarray
    terms: frozenset
    event_keys: frozenset


class ProbeKeysFn(beam.CombineFn):
    """Signed articles -> ``Probe``: every key through which a past article could meet one of them."""

    def __init__(self, bands: int, rows: int, key_terms: int):
        self._bands, self._rows, self._key_terms = bands, rows, key_terms

    def create_accumulator(self):
        return [], [], set(), set()

    def add_input(self, acc, article):
        sig, anchors = _field(article, "sig"), _field(article, "anchors")
        if sig:
            acc[0].append(np.asarray(lsh.band_keys(np.frombuffer(sig, np.uint32), self._bands, self._rows),
                                     dtype=np.uint64))
        if anchors:
            acc[1].append(np.frombuffer(anchors, np.uint32))
        top = packed_key_terms(_field(article, "event_terms"), self._key_terms)
        acc[2].update(top)
        acc[3].update(term_pair_keys(top))
        return acc

    def merge_accumulators(self, accumulators):
        merged = self.create_accumulator()
        for acc in accumulators:
            merged[0].extend(acc[0])
            merged[1].extend(acc[1])
            merged[2].update(acc[2])
            merged[3].update(acc[3])
        return merged

    def extract_output(self, acc):
        return Probe(np.unique(np.concatenate(acc[0])) if acc[0] else np.zeros(0, np.uint64),
                     np.unique(np.concatenate(acc[1])) if acc[1] else np.zeros(0, np.uint32),
                     frozenset(acc[2]), frozenset(acc[3]))


def _packed(column: pa.Array, dtype) -> tuple:
    """A binary column's values as one array, and the row each value came from."""
    values = column.to_pylist()
    lengths = np.fromiter((len(v) // np.dtype(dtype).itemsize if v else 0 for v in values), np.int64, len(values))
    flat = np.frombuffer(b"".join(v for v in values if v), dtype)
    return flat, np.repeat(np.arange(len(values)), lengths)


def probe_mask(batch: pa.RecordBatch, probe: Probe, bands: int, rows: int, key_terms: int) -> np.ndarray:
    """Rows of index ``batch`` that share a band key, an anchor or an event key with the probe's articles.

    A past article sharing none of them cannot meet a new one in any bucket, so leaving it out
    changes no result; whatever shares one is kept with the whole of each bucket it is in.
    """
    n = batch.num_rows
    keep = np.zeros(n, dtype=bool)
    names = batch.schema.names
    if "sig" in names and len(probe.bands):
        flat, owner = _packed(batch["sig"], np.uint32)
        width = bands * rows
        counts = np.bincount(owner, minlength=n)
        full = counts >= width
        if full.any():
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[full]
            sigs = flat[starts[:, None] + np.arange(width)]
            hit = np.isin(lsh.band_key_matrix(sigs, bands, rows), probe.bands).any(axis=1)
            keep[np.flatnonzero(full)[hit]] = True
    if "anchors" in names and len(probe.anchors):
        flat, owner = _packed(batch["anchors"], np.uint32)
        keep[np.unique(owner[np.isin(flat, probe.anchors)])] = True
    if "event_terms" in names and probe.event_keys:
        for i, packed in enumerate(batch["event_terms"].to_pylist()):
            if keep[i] or not packed:
                continue
            top = packed_key_terms(packed, key_terms)
            # Two of its heaviest terms among the new articles' is needed for a shared key; then check the keys.
            if sum(t in probe.terms for t in top) >= 2 and not probe.event_keys.isdisjoint(term_pair_keys(top)):
                keep[i] = True
    return keep


class _ReadRecentFn(beam.DoFn):
    def __init__(self, cutoff: Optional[dt.datetime], shape: Optional[tuple]):
        self._cutoff = cutoff
        self._shape = shape

    def process(self, readable, probe=None):
        with readable.open() as fh:
            pf = pq.ParquetFile(fh)
            groups = list(range(pf.num_row_groups))
            if self._cutoff is not None:
                groups = [g for g in groups
                          if (_group_newest(pf.metadata, g, ("ingested_at",)) or self._cutoff) >= self._cutoff]
            if not groups:
                return
            for batch in pf.iter_batches(batch_size=_BATCH_ROWS, row_groups=groups):
                batch = batch.filter(matchable_mask(batch))
                if self._cutoff is not None:
                    batch = batch.filter(recent_mask(batch, self._cutoff))
                if probe is not None:
                    batch = batch.filter(pa.array(probe_mask(batch, probe, *self._shape)))
                yield from batch.to_pylist()


class ReadRecentIndex(beam.PTransform):
    """Index rows of ``files`` ingested at or after ``cutoff`` (every row when ``cutoff`` is None),
    roundups left out: linking a later copy of one of its stories to it would bridge them again.

    Given ``articles`` (the run's signed articles), only the rows that share a key with one of
    them are read into the pipeline (``probe_mask``): the rest could not meet them anyway.

    Args:
        shape: ``(bands, rows, key_terms)``: the LSH bands and the event level's key terms.
    """

    def __init__(self, files: Sequence[str], cutoff: Optional[dt.datetime], articles=None, shape: tuple = None):
        super().__init__()
        if articles is not None and shape is None:
            raise ValueError("a probe needs the shape (bands, rows, key_terms)")
        self._files = list(files)
        self._cutoff = cutoff
        self._articles = articles
        self._shape = shape

    def expand(self, pbegin):
        side = []
        # No index yet (a first run): no probe, which would filter nothing. Gathering its keys took a
        # 2-worker run's main process from 490 to 647 MB at 30k documents (481 MB at 10k).
        if self._articles is not None and self._files:
            side.append(beam.pvalue.AsSingleton(
                self._articles | "ProbeKeys" >> beam.CombineGlobally(ProbeKeysFn(*self._shape))))
        return (
            _files(pbegin, self._files)
            | "OpenIndex" >> fileio.ReadMatches()
            | "ReadIndexRows" >> beam.ParDo(_ReadRecentFn(self._cutoff, self._shape), *side)
        )


class _KeySetsFn(beam.CombineFn):
    """Articles -> (set of URLs, set of content hashes)."""

    def create_accumulator(self):
        return set(), set()

    def add_input(self, acc, article):
        url, content_hash = _field(article, "url"), _field(article, "content_hash")
        if url:
            acc[0].add(url)
        if content_hash:
            acc[1].add(content_hash)
        return acc

    def merge_accumulators(self, accumulators):
        urls, hashes = set(), set()
        for u, h in accumulators:
            urls |= u
            hashes |= h
        return urls, hashes

    def extract_output(self, acc):
        return sorted(acc[0]), sorted(acc[1])


def matching_rows(rows, wanted: dict) -> Optional[pa.Array]:
    """The mask of ``rows`` (a record batch or table) whose value in any column of ``wanted`` is one of
    that column's values (``{column: pa.Array}``); None when no row matches. Vectorised: Arrow's ``is_in``."""
    hit = None
    for column, values in wanted.items():
        if column in rows.schema.names and len(values):
            found = pc.fill_null(pc.is_in(rows[column], value_set=values), False)
            hit = found if hit is None else pc.or_(hit, found)
    return hit if hit is not None and pc.any(hit).as_py() else None


class _LookUpFn(beam.DoFn):
    def process(self, readable, keys):
        urls, hashes = keys
        if not urls and not hashes:
            return
        wanted = {"url": pa.array(urls, pa.string()), "content_hash": pa.array(hashes, pa.string())}
        with readable.open() as fh:
            pf = pq.ParquetFile(fh)
            columns = [c for c in ("article_id", "url", "content_hash") if c in pf.schema_arrow.names]
            for batch in pf.iter_batches(batch_size=8 * _BATCH_ROWS, columns=columns):
                hit = matching_rows(batch, wanted)
                if hit is not None:
                    yield from batch.filter(hit).to_pylist()


class LookUpIngested(beam.PTransform):
    """Articles -> ``{"article_id", "url", "content_hash"}`` rows of the index ``files`` sharing a URL or
    content with one."""

    def __init__(self, files: Sequence[str]):
        super().__init__()
        self._files = list(files)

    def expand(self, articles):
        keys = articles | "CollectKeys" >> beam.CombineGlobally(_KeySetsFn())
        return (
            _files(articles.pipeline, self._files)
            | "OpenIndexKeys" >> fileio.ReadMatches()
            | "LookUpKeys" >> beam.ParDo(_LookUpFn(), beam.pvalue.AsSingleton(keys))
        )


class _ClusterIdsFn(beam.CombineFn):
    def create_accumulator(self):
        return set()

    def add_input(self, acc, cluster_id):
        if cluster_id:
            acc.add(cluster_id)
        return acc

    def merge_accumulators(self, accumulators):
        return set().union(*accumulators)

    def extract_output(self, acc):
        return sorted(acc)


class _LookUpRowsFn(beam.DoFn):
    """A file's rows whose ``column`` is one of the side input's values: that column is read first, then
    only the row groups holding a match."""

    def __init__(self, column: str):
        self._column = column

    def process(self, readable, wanted):
        if not wanted:
            return
        wanted = {self._column: pa.array(wanted, pa.string())}
        with readable.open() as fh:
            pf = pq.ParquetFile(fh)
            for group in range(pf.num_row_groups):
                hit = matching_rows(pf.read_row_group(group, columns=[self._column]), wanted)
                if hit is not None:
                    yield from pf.read_row_group(group).filter(hit).to_pylist()


def _newest(element):
    # A cluster's rows are its versions, one per run that changed it: the newest is its current state.
    _, rows = element
    return max(rows, key=lambda r: (r.get("updated_at") is not None, r.get("updated_at") or 0, r.get("run_id") or ""))


class LookUpClusters(beam.PTransform):
    """Cluster ids -> the current row of each of those clusters in the cluster ``files``.

    The clusters table holds a row per cluster per run that changed it; a run needs the current
    rows of the clusters it may touch only, never the whole table.
    """

    def __init__(self, files: Sequence[str]):
        super().__init__()
        self._files = list(files)

    def expand(self, cluster_ids):
        wanted = cluster_ids | "CollectClusterIds" >> beam.CombineGlobally(_ClusterIdsFn())
        return (
            _files(cluster_ids.pipeline, self._files)
            | "OpenClusters" >> fileio.ReadMatches()
            | "LookUpClusterRows" >> beam.ParDo(_LookUpRowsFn("cluster_id"), beam.pvalue.AsSingleton(wanted))
            | "KeyByCluster" >> beam.Map(lambda r: (r["cluster_id"], r))
            | "GroupVersions" >> beam.GroupByKey()
            | "KeepNewest" >> beam.Map(_newest)
        )
