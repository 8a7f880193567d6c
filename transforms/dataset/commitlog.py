"""The dataset's commit log: which files of every table a reader sees, switched in one step.

A run's files are renamed into the table folders one by one, and a compaction
replaces many small files with one; neither can be atomic across files, let
alone across tables. So a reader does not take "every file in the folder":
it takes the files the latest commit lists.

    OUTPUT/_log/00000000000000000042.json   {"version", "run_id", "op", "tables": {table: [paths]}, "removed"}

Each commit is a whole snapshot (paths relative to OUTPUT), written under a
temporary name and renamed to the next version number: a single object
appears, so a reader sees all of a run's tables or none of them. Commits are
made under ``dataset_lock`` (local) by batch runs and compactions only (a
stream's every poll is a batch run).

A dataset made before the log has no ``_log/``: its snapshot is every file in
the table folders, and the first commit starts from that.
"""
from __future__ import annotations

import json
import os
import posixpath
import signal
from typing import Dict, List, Optional

from apache_beam.io.filesystems import FileSystems

from transforms import paths
from transforms.dataset import layout

__all__ = ["crash_point", "load", "LOG", "TABLES", "Snapshot", "read_snapshot", "visible_files", "commit", "committed_version",
           "ensure_log", "relative", "absolute", "folder_files"]

LOG = "_log"
_DIGITS = 20
#: Table name -> its folder under OUTPUT (the index is a table like the others).
TABLES = {layout.ARTICLES: layout.ARTICLES, layout.ERRORS: layout.ERRORS, layout.CLUSTERS: layout.CLUSTERS,
          layout.STAGED_INDEX: layout.INDEX}


class Snapshot(dict):
    """``{"version": int or None, "tables": {table: [relative paths]}, "removed": [...], ...}``."""

    @property
    def version(self) -> Optional[int]:
        return self.get("version")

    def files(self, table: str) -> List[str]:
        return list(self["tables"].get(table, []))


def relative(output: str, path: str) -> str:
    base = output.rstrip("/") + "/"
    if not path.startswith(base):
        raise ValueError(f"{path} is not inside {output}")
    return path[len(base):]


def absolute(output: str, rel: str) -> str:
    return layout.join(output, *rel.split("/"))


def _match(pattern: str) -> list:
    try:
        return sorted(m.path for m in paths.match(pattern))
    except Exception:  # noqa: BLE001 - FileSystems raises BeamIOError/IOError subclasses per backend
        return []


def folder_files(output: str, table: str) -> List[str]:
    """Parquet files in a table's folder (one level of partitions), committed or not."""
    base = layout.join(output, TABLES[table])
    return _match(layout.join(base, "*.parquet")) + _match(layout.join(base, "*", "*.parquet"))


def _versions(output: str) -> List[int]:
    found = []
    for path in _match(layout.join(output, LOG, "*.json")):
        name = posixpath.basename(path)[:-len(".json")]
        if name.isdigit():
            found.append(int(name))
    return sorted(found)


def _version_path(output: str, version: int) -> str:
    return layout.join(output, LOG, f"{version:0{_DIGITS}d}.json")


def crash_point(name: str) -> None:
    """Fault injection for kill drills: SIGKILL this process at a named point when asked to.

    ``STORYWIRE_CRASH_AT=<point>``; the points are listed in the README ("Incremental runs").
    """
    if os.environ.get("STORYWIRE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def load(output: str, version: int) -> Snapshot:
    with FileSystems.open(_version_path(output, version)) as fh:
        return Snapshot(json.loads(fh.read()))


def read_snapshot(output: str) -> Snapshot:
    """The latest committed snapshot; for a dataset made before the log, every file in the table folders."""
    versions = _versions(output)
    if versions:
        return load(output, versions[-1])
    return Snapshot(version=None, tables={t: [relative(output, p) for p in folder_files(output, t)] for t in TABLES},
                    removed=[])


def ensure_log(output: str) -> Snapshot:
    """The latest snapshot, committing a first one when the dataset has no log yet.

    Until then a reader lists the table folders (a dataset made before the log), which would show
    the files of a first publish halfway through; after it, only commits count. Called under the lock
    before anything is renamed into place.
    """
    snapshot = read_snapshot(output)
    if snapshot.version is None:
        commit(output, "bootstrap", "bootstrap", snapshot["tables"], base=snapshot)
        snapshot = read_snapshot(output)
    return snapshot


def visible_files(output: str, table: str, snapshot: Optional[Snapshot] = None) -> List[str]:
    """Absolute paths of the files a reader of ``table`` sees: the snapshot's."""
    snapshot = snapshot if snapshot is not None else read_snapshot(output)
    return [absolute(output, rel) for rel in snapshot.files(table)]


def committed_version(output: str, run_id: str, lookback: int = 20) -> Optional[int]:
    """The version a run committed, looking at the last ``lookback`` commits; None if it did not."""
    for version in reversed(_versions(output)[-lookback:]):
        if load(output, version).get("run_id") == run_id:
            return version
    return None


def commit(output: str, run_id: str, op: str, tables: Dict[str, List[str]], removed: List[str] = (),
           base: Optional[Snapshot] = None, extra: Optional[dict] = None) -> int:
    """Write the next snapshot: ``tables`` (relative paths) replace the tables they name; returns its version.

    Callers hold ``dataset_lock`` (or, on object stores, are the only writer), so the next
    version number is free; the rename makes the whole snapshot appear at once.
    """
    base = base if base is not None else read_snapshot(output)
    version = 0 if base.version is None else base.version + 1
    snapshot = {"version": version, "run_id": run_id, "op": op,
                "tables": {t: sorted(tables.get(t, base.files(t))) for t in TABLES},
                "removed": sorted(removed), **(extra or {})}
    log = layout.join(output, LOG)
    if not FileSystems.exists(log):
        FileSystems.mkdirs(log)
    final = _version_path(output, version)
    if FileSystems.exists(final):
        raise RuntimeError(f"commit {version} of {output} exists already: another writer committed meanwhile")
    partial = layout.join(log, f"_{run_id}-{version}.tmp")
    with FileSystems.create(partial) as fh:
        fh.write(json.dumps(snapshot, indent=1).encode())
    crash_point("commit")
    FileSystems.rename([partial], [final])
    return version
