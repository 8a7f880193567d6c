"""``WriteTable``: records -> Parquet files of one output table.

Uses ``fileio.WriteToFiles`` with a small Parquet ``FileSink`` rather than
``WriteToParquet``: the same sink works in batch and streaming (streaming
``WriteToParquet`` loses rows), and it lets us choose what readers need —
zstd, dictionary encoding of low-cardinality columns, statistics, and rows
sorted within each row group so ``published``/``cluster_id`` filters skip data.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io import fileio
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.value_provider import StaticValueProvider
from apache_beam.transforms.window import GlobalWindow

from schemas import to_row
from transforms import counters

__all__ = ["WriteTable", "ParquetSink", "write_parquet"]

#: Columns with few distinct values: dictionary-encoded. Others are plain-encoded.
DICTIONARY_COLUMNS = ("site", "language", "extractor", "role", "credited_source", "run_id",
                      "stage", "reason")
ROW_GROUP_ROWS = 50_000
#: A row group is also cut at this much buffered text: 50,000 articles with their
#: text held as Python rows would be ~1 GB on the writing worker.
ROW_GROUP_BYTES = 32 * 2**20


def _writer_kwargs(schema: pa.Schema) -> dict:
    return {
        "compression": "zstd",
        "use_dictionary": [c for c in DICTIONARY_COLUMNS if c in schema.names],
        "write_statistics": True,
    }


def _sort_keys(schema: pa.Schema) -> list:
    keys = [c for c in ("published", "first_published", "cluster_id", "source") if c in schema.names]
    return [(k, "ascending") for k in keys]


def write_parquet(where, rows: Sequence[dict], schema: pa.Schema) -> None:
    """Write ``rows`` (already ``to_row``-shaped) as one Parquet file with storywire's settings."""
    table = pa.Table.from_pylist(list(rows), schema=schema)
    if table.num_rows:
        table = table.sort_by(_sort_keys(schema))
    pq.write_table(table, where, row_group_size=ROW_GROUP_ROWS, **_writer_kwargs(schema))


def merge_parquet(sources: Sequence[str], where, schema: pa.Schema, keep: Optional[dict] = None) -> int:
    """Copy the rows of ``sources`` into one Parquet file (only those ``keep[path]``'s mask keeps); rows copied.

    Small row groups (one per run's file) are gathered into groups of up to ``ROW_GROUP_ROWS`` rows
    or ``ROW_GROUP_BYTES``, so a compacted file has few groups; memory holds about one group.
    """
    rows = 0
    pending, pending_bytes = [], 0

    def flush(writer):
        if pending:
            group = pa.concat_tables(pending)
            writer.write_table(group, row_group_size=max(group.num_rows, 1))
            pending.clear()

    with pq.ParquetWriter(where, schema, **_writer_kwargs(schema)) as writer:
        for path in sources:
            with FileSystems.open(path) as fh:
                parquet = pq.ParquetFile(fh)
                offset = 0
                for i in range(parquet.num_row_groups):
                    group = _conform(parquet.read_row_group(i), schema)
                    if keep is not None:
                        mask = keep[path][offset:offset + group.num_rows]
                        offset += group.num_rows
                        group = group.filter(pa.array(mask, pa.bool_()))
                    pending.append(group)
                    pending_bytes += group.nbytes
                    rows += group.num_rows
                    if sum(t.num_rows for t in pending) >= ROW_GROUP_ROWS or pending_bytes >= ROW_GROUP_BYTES:
                        flush(writer)
                        pending_bytes = 0
        flush(writer)
    return rows


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns: files written before a column existed get nulls."""
    columns = [table[name].cast(field.type) if name in table.column_names else pa.nulls(table.num_rows, field.type)
               for name, field in zip(schema.names, schema)]
    return pa.Table.from_arrays(columns, schema=schema)


class ParquetSink(fileio.FileSink):
    """Buffers rows and writes them as row groups of one Parquet file.

    A row group is cut at ``row_group_rows`` rows or ``row_group_bytes`` of
    string and bytes values, whichever comes first.
    """

    def __init__(self, schema: pa.Schema, row_group_rows: int = ROW_GROUP_ROWS,
                 row_group_bytes: int = ROW_GROUP_BYTES):
        self._schema = schema
        self._row_group_rows = row_group_rows
        self._row_group_bytes = row_group_bytes
        self._rows: list = []
        self._bytes = 0
        self._writer: Optional[pq.ParquetWriter] = None
        self._fh = None

    def open(self, fh):
        self._fh = fh
        self._rows = []
        self._bytes = 0
        self._writer = pq.ParquetWriter(fh, self._schema, **_writer_kwargs(self._schema))

    def write(self, record):
        row = to_row(record, self._schema)
        self._rows.append(row)
        self._bytes += sum(len(v) for v in row.values() if isinstance(v, (str, bytes)))
        if len(self._rows) >= self._row_group_rows or self._bytes >= self._row_group_bytes:
            self._write_rows()

    def _write_rows(self):
        table = pa.Table.from_pylist(self._rows, schema=self._schema)
        self._writer.write_table(table.sort_by(_sort_keys(self._schema)), row_group_size=self._row_group_rows)
        self._rows = []
        self._bytes = 0

    def flush(self):
        if self._rows:
            self._write_rows()
        self._writer.close()
        self._writer = None


def _file_naming(prefix: str, suffix: str):
    """``prefix[-windowstart]-SSSSS-of-NNNNN.suffix``; tolerates windows at the ends of time."""

    def _inner(window, pane, shard_index, total_shards, compression, destination):
        parts = [prefix]
        if window is not None and window != GlobalWindow():
            try:
                parts.append(window.start.to_utc_datetime().strftime("%Y%m%dT%H%M%S"))
            except (OverflowError, ValueError):
                parts.append(f"w{int(window.start.micros)}")
        if shard_index is not None:
            parts.append(f"{int(shard_index):05d}-of-{int(total_shards or 0):05d}")
        return "-".join(parts) + suffix

    return _inner


class _SinkFactory:
    """Picklable ``sink_fn`` for WriteToFiles (it would rebuild a sink instance with no arguments)."""

    def __init__(self, schema: pa.Schema):
        self._schema = schema

    def __call__(self, destination):
        return ParquetSink(self._schema)


class WriteTable(beam.PTransform):
    """Write records of one table under ``directory`` as ``part-<run_id>-*.parquet``.

    Args:
        directory: Folder the files go to (a staging folder; see ``transforms.dataset.publish``).
        schema: The table's Arrow schema.
        run_id: Stamped on each row and in the file names.
        ingested_at: Stamped on rows whose schema has ``ingested_at``.
        shards: Number of files; None lets the runner decide.
    """

    def __init__(self, directory: str, schema: pa.Schema, run_id: str, ingested_at: dt.datetime,
                 shards: Optional[int] = None, temp_directory: Optional[str] = None):
        super().__init__()
        if not directory:
            raise ValueError("directory is required")
        self._directory = directory
        self._schema = schema
        self._run_id = run_id
        self._ingested_at = ingested_at
        self._shards = shards
        self._temp = temp_directory

    def expand(self, records):
        run_id, ingested_at, schema = self._run_id, self._ingested_at, self._schema
        stamp = {"run_id": run_id}
        if "ingested_at" in schema.names:
            stamp["ingested_at"] = ingested_at
        if "updated_at" in schema.names:
            stamp["updated_at"] = ingested_at
        rows_written = counters.counter("rows_written")

        def _stamp(record):
            # Rows carried over unchanged (a cluster no new article touched) keep their own stamp.
            rows_written.inc()
            return {**record, **{k: v for k, v in stamp.items() if record.get(k) is None}}

        return (
            records
            | "StampRun" >> beam.Map(_stamp)
            | "WriteParquet" >> fileio.WriteToFiles(
                path=self._directory,
                file_naming=_file_naming(f"part-{run_id}", ".parquet"),
                sink=_SinkFactory(schema),
                shards=self._shards,
                # WriteToFiles still writes a file per bundle unless no writer may open per bundle:
                # a table asked for N files (clusters: exactly one) would get one per bundle.
                max_writers_per_bundle=0 if self._shards else fileio.WriteToFiles.MAX_NUM_WRITERS_PER_BUNDLE,
                temp_directory=StaticValueProvider(str, self._temp) if self._temp else None,
            )
        )
