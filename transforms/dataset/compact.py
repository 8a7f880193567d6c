"""``compact``: merge the small files every run adds into one file per table partition.

A run every five minutes adds a file to each table partition and to the index,
288 a day per partition. Compaction merges every partition holding more than one
file into a single file. The merged files are written
into the table folders under new names, invisible until the commit that lists
them instead of the files they replace (``transforms.dataset.commitlog``): a
reader of the log sees every row exactly once before, during and after.

Crash safety: the merged files' names are written to ``_staging/compact-<id>/``
before any of them. A compaction killed before its commit is undone by the next
run's (or compaction's) ``recover``: its merged files are deleted, the old ones
are still the committed state. Killed after its commit, recovery deletes the
files it replaced.
"""
from __future__ import annotations

import datetime as dt
import json
import posixpath
import uuid
from typing import Dict, List, Tuple

import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from schemas import INDEX_SCHEMA, TABLES
from transforms import paths
from transforms.dataset import commitlog, layout
from transforms.dataset.commitlog import crash_point
from transforms.dataset.write import merge_parquet

__all__ = ["compact", "COMPACT_PREFIX", "undo_or_finish"]

COMPACT_PREFIX = "compact-"
_PLAN = "_COMPACT.json"
_SCHEMAS = {**TABLES, layout.STAGED_INDEX: INDEX_SCHEMA}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _groups(output: str, files: List[str]) -> Dict[str, List[str]]:
    """Files by partition folder (relative), oldest name first: runs' files sort by their run id's time."""
    groups: Dict[str, List[str]] = {}
    for path in files:
        groups.setdefault(posixpath.dirname(commitlog.relative(output, path)), []).append(path)
    return {folder: sorted(found, key=posixpath.basename) for folder, found in groups.items()}


def _newest_versions(files: List[str]) -> Dict[str, list]:
    """``{file: row mask}`` keeping each cluster's newest row (its current state) among ``files``.

    Only the id and version columns are read here, so memory follows the number of clusters.
    """
    ids, keys, where = [], [], []
    for path in files:
        with FileSystems.open(path) as fh:
            table = pq.read_table(fh, columns=[c for c in ("cluster_id", "updated_at", "run_id")])
        when = table["updated_at"].to_pylist()
        runs = table["run_id"].to_pylist()
        for row, cluster_id in enumerate(table["cluster_id"].to_pylist()):
            ids.append(cluster_id)
            keys.append((when[row] is not None, when[row] or _EPOCH, runs[row] or ""))
            where.append((path, row))
    best: Dict[str, int] = {}
    for i, cluster_id in enumerate(ids):
        if cluster_id not in best or keys[i] >= keys[best[cluster_id]]:
            best[cluster_id] = i
    masks = {path: [False] * n for path, n in _row_counts(files).items()}
    for i in best.values():
        path, row = where[i]
        masks[path][row] = True
    return masks


def _row_counts(files: List[str]) -> Dict[str, int]:
    counts = {}
    for path in files:
        with FileSystems.open(path) as fh:
            counts[path] = pq.ParquetFile(fh).metadata.num_rows
    return counts


def compact(output: str, min_files: int = 2) -> Dict[str, Tuple[int, int]]:
    """Merge each partition of ``min_files`` files or more into one; ``{table: (files before, after)}``.

    The clusters table keeps only each cluster's newest row: its current state.

    The caller holds ``dataset_lock`` and has run ``recover``.
    """
    compact_id = COMPACT_PREFIX + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    base = commitlog.ensure_log(output)
    work, report, tables, removed = [], {}, {}, []
    for table in commitlog.TABLES:
        files = commitlog.visible_files(output, table, base)
        kept, n_after = [], 0
        for folder, group in _groups(output, files).items():
            if len(group) < min_files:
                kept += group
                n_after += len(group)
                continue
            dst = commitlog.absolute(output, posixpath.join(folder, f"part-{compact_id}.parquet"))
            work.append((table, group, dst))
            kept.append(dst)
            removed += [commitlog.relative(output, p) for p in group]
            n_after += 1
        report[table] = (len(files), n_after)
        tables[table] = [commitlog.relative(output, p) for p in kept]
    if not work:
        return report
    staging = layout.staging_dir(output, compact_id)
    FileSystems.mkdirs(staging)
    with FileSystems.create(layout.join(staging, _PLAN)) as fh:
        fh.write(json.dumps({"written": [dst for _, _, dst in work]}).encode())
    for i, (table, group, dst) in enumerate(work):
        partial = layout.join(staging, f"{i}.parquet.partial")
        with FileSystems.create(partial) as fh:
            merge_parquet(group, fh, _SCHEMAS[table],
                          keep=_newest_versions(group) if table == layout.CLUSTERS else None)
        FileSystems.rename([partial], [dst])
        crash_point("compact")
    version = commitlog.commit(output, compact_id, "compact", tables, removed, base)
    crash_point("compacted")
    undo_or_finish(output, compact_id, version)
    return report


def undo_or_finish(output: str, compact_id: str, version=None) -> None:
    """After a compaction stopped: delete what it replaced (committed) or what it wrote (not committed)."""
    staging = layout.staging_dir(output, compact_id)
    if version is None:
        version = commitlog.committed_version(output, compact_id)
    if version is not None:
        gone = [commitlog.absolute(output, rel) for rel in commitlog.load(output, version).get("removed", [])]
    else:
        plan = layout.join(staging, _PLAN)
        gone = []
        if FileSystems.exists(plan):
            with FileSystems.open(plan) as fh:
                gone = json.loads(fh.read())["written"]
    gone = [path for path in gone if FileSystems.exists(path)]
    if gone:
        paths.delete(gone)
    if FileSystems.exists(staging):
        paths.delete([staging])
