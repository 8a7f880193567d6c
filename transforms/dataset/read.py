"""``ReadParquetRows``: rows of every Parquet file matching a pattern, as dicts.

Reads through ``fileio`` (so ``gs://`` works) and tolerates a pattern that
matches nothing: the first run of a dataset has no history yet.
"""
from __future__ import annotations

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io import fileio

from transforms import paths

__all__ = ["ReadParquetRows"]


class _ReadRowsFn(beam.DoFn):
    def __init__(self, columns=None):
        self._columns = columns

    def process(self, readable):
        with readable.open() as fh:
            pf = pq.ParquetFile(fh)
            for batch in pf.iter_batches(batch_size=10_000, columns=self._columns):
                yield from batch.to_pylist()


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
        if self._paths is not None:
            files = pbegin | "ListParquet" >> beam.Create(list(self._paths))
        else:
            # Not fileio.MatchFiles: a dataset folder such as out[1] must not be read as a glob.
            files = (pbegin
                     | "CreatePattern" >> beam.Create([self._pattern])
                     | "MatchParquet" >> beam.FlatMap(paths.match))
        return (
            files
            | "OpenParquet" >> fileio.ReadMatches()
            | "ReadRows" >> beam.ParDo(_ReadRowsFn(self._columns))
        )
