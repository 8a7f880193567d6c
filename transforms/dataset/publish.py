"""Atomic publication of a run's staged files into the dataset.

A run writes everything under ``OUTPUT/_staging/<run_id>/``. Only after the
Beam pipeline has finished does ``publish`` mark the staging folder ready, plan
where each file goes, rename the files into the table folders, and then commit
the snapshot that lists them (``transforms.dataset.commitlog``). Readers go
through the commit log, so the renamed files stay invisible until that one
commit makes the run visible in every table at once. A run killed before the
marker leaves nothing a reader sees, and ``recover`` deletes its staging folder;
a run killed after it is rolled forward by the next run's ``recover``, each
step being safe to repeat. ``STORYWIRE_CRASH_AT`` names a step to SIGKILL at
(``crash_point``), for kill drills.

``PublishRun`` is the graph's last step, publishing the run once every write has
finished. Publishing belongs to the pipeline rather than to the program that
launched it: a flex template's launcher (and any caller that does not wait)
exits once the job is submitted, so a publish step after ``wait_until_finish``
would never run. Every output's write results reach this step as a side input,
which a runner only provides once the writes are complete (Beam's "wait on"
pattern).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import posixpath
import time
from typing import Dict, Optional

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from schemas import TABLES
from transforms import counters, paths
from transforms.dataset import commitlog, compact, layout
from transforms.dataset.commitlog import crash_point
from transforms.dataset.write import write_parquet
from transforms.ingest.read_feeds import PENDING_STATE_FILE, apply_pending_state

__all__ = ["PublishRun", "recover", "publish", "staged_files", "count_rows", "table_files", "check_index_config",
           "write_index_config", "publish_run", "record_counters",
           "dataset_lock"]

_LOG = logging.getLogger(__name__)




def _match(pattern: str) -> list:
    try:
        return sorted(m.path for m in paths.match(pattern))
    except Exception:  # noqa: BLE001 - FileSystems raises BeamIOError/IOError subclasses per backend
        return []


def _ensure_dir(path: str) -> None:
    if not FileSystems.exists(path):
        try:
            FileSystems.mkdirs(path)
        except IOError:
            pass  # created concurrently, or an object store without folders


def staged_files(staging: str, table: str) -> list:
    base = layout.join(staging, table)
    return _match(layout.join(base, "*.parquet")) + _match(layout.join(base, "*", "*.parquet"))


def table_files(output: str, table: str) -> list:
    """Published Parquet files of a table (partition folders included)."""
    base = layout.join(output, table)
    return _match(layout.join(base, "*.parquet")) + _match(layout.join(base, "*", "*.parquet"))


def count_rows(paths) -> int:
    total = 0
    for path in paths:
        with FileSystems.open(path) as fh:
            total += pq.ParquetFile(fh).metadata.num_rows
    return total


def _write_empty(path: str, table: str) -> None:
    _ensure_dir(posixpath.dirname(path) if "://" not in path else path.rsplit("/", 1)[0])
    with FileSystems.create(path) as fh:
        write_parquet(fh, [], TABLES[table])


def publish_run(output: str, run_id: str, ingest_date: str, manifest: Dict) -> dict:
    """Count a finished run's staged rows and publish it; ``{table: rows}``. Safe to call again.

    Called by the pipeline's last step, ``PublishRun``.
    """
    crash_point("pipeline")
    staging = layout.staging_dir(output, run_id)
    done = layout.join(output, layout.RUNS, f"{run_id}.json")
    if not FileSystems.exists(staging):
        if FileSystems.exists(done):
            with FileSystems.open(done) as fh:  # a retried step: published already
                return json.loads(fh.read()).get("rows", {})
        # Fail loudly: publishing an empty run here would silently lose everything it wrote.
        raise RuntimeError(f"the staging folder of run {run_id} was removed before it could be published")
    marker = layout.join(staging, layout.READY_MARKER)
    if FileSystems.exists(marker):  # a retried step: some staged files may have moved already
        with FileSystems.open(marker) as fh:
            manifest = json.loads(fh.read() or b"{}")
    else:
        rows = {t: count_rows(staged_files(staging, t)) for t in (layout.ARTICLES, layout.CLUSTERS, layout.ERRORS)}
        manifest = {**manifest, "rows": rows}
    publish(output, run_id, ingest_date, manifest)
    return manifest.get("rows", {})


def record_counters(output: str, run_id: str, counters: Optional[Dict], distributions: Optional[Dict] = None,
                    unreadable: Optional[str] = None) -> None:
    """Write the run's Beam counters and distributions beside its manifest (when the launcher waited for them).

    The manifest is written once, by publishing inside the pipeline; the counters exist only once
    the pipeline has ended, so they go to ``_runs/counts/<run_id>.json``. ``counters`` is None when
    they could not be read: the file then says why under ``counts_unreadable``.
    """
    if not FileSystems.exists(layout.join(output, layout.RUNS, f"{run_id}.json")):
        return  # not published: nothing to describe
    record = {"run_id": run_id}
    if counters is not None:
        record["counts"] = counters
    if distributions:
        record["distributions"] = distributions
    if unreadable:
        record["counts_unreadable"] = unreadable
    folder = layout.join(output, layout.RUNS, layout.RUN_COUNTS)
    _ensure_dir(folder)
    with FileSystems.create(layout.join(folder, f"{run_id}.json")) as fh:
        fh.write(json.dumps(record, indent=2, default=str).encode())


#: Written into the staging folder before the first rename: which staged file goes where. A publish
#: that is interrupted and run again finds the files already moved through it.
PLAN_FILE = "_PLAN.json"


def _plan(output: str, run_id: str, ingest_date: str, staging: str, base: commitlog.Snapshot) -> Dict[str, list]:
    """``{table: [(staged path, destination)]}`` for a run's files, made once and kept in the staging folder."""
    plan_path = layout.join(staging, PLAN_FILE)
    if FileSystems.exists(plan_path):
        with FileSystems.open(plan_path) as fh:
            return json.loads(fh.read())
    plan = {}
    for table, folder in layout.DESTINATIONS.items():
        files = staged_files(staging, table)
        if not files and table in TABLES and not base.files(table):
            # Every table always has at least one file, so `SELECT * FROM 'out/errors/**/*.parquet'` works.
            empty = layout.join(staging, table, layout.partition(ingest_date), f"part-{run_id}-empty.parquet") \
                if table in layout.APPEND_TABLES else layout.join(staging, table, f"part-{run_id}.parquet")
            _write_empty(empty, table)
            files = [empty]
        moves = []
        for src in files:
            dst = layout.join(output, folder, src[len(layout.join(staging, table)):].lstrip("/"))
            moves.append((src, dst))
        plan[table] = moves
    partial = plan_path + ".partial"
    with FileSystems.create(partial) as fh:
        fh.write(json.dumps(plan).encode())
    FileSystems.rename([partial], [plan_path])
    crash_point("planned")
    return plan


def publish(output: str, run_id: str, ingest_date: str, manifest: Optional[Dict] = None) -> dict:
    """Make a finished run's staged files part of the dataset in one commit; returns what moved per table.

    Steps, each safe to repeat: mark the staging folder ready, plan the moves, rename each file
    into its table folder (still invisible: no commit lists it), commit the snapshot that lists them
    (the one step that makes the run visible, in every table at once), then the bookkeeping.
    """
    staging = layout.staging_dir(output, run_id)
    marker = layout.join(staging, layout.READY_MARKER)
    if not FileSystems.exists(marker):
        with FileSystems.create(marker) as fh:
            fh.write(json.dumps(manifest or {}).encode())
        crash_point("ready")
    moved = {}
    version = commitlog.committed_version(output, run_id)
    if version is None:
        base = commitlog.ensure_log(output)
        plan = _plan(output, run_id, ingest_date, staging, base)
        tables = {}
        for table, moves in plan.items():
            moved[table] = [src for src, _ in moves]
            for src, dst in moves:
                _ensure_dir(dst.rsplit("/", 1)[0])
                if not FileSystems.exists(dst):  # else moved by an interrupted publish
                    FileSystems.rename([src], [dst])
                crash_point("publish")
            # Every table is appended to; the clusters table gets a new version of each changed cluster.
            tables[table] = sorted(set(base.files(table)) | {commitlog.relative(output, dst) for _, dst in moves})
        crash_point("moved")
        version = commitlog.commit(output, run_id, "run", tables, base=base)
        crash_point("committed")
    write_index_config(output, (manifest or {}).get("minhash"))
    if (manifest or {}).get("state_dir"):
        apply_pending_state(layout.join(staging, PENDING_STATE_FILE), manifest["state_dir"])
    runs = layout.join(output, layout.RUNS)
    _ensure_dir(runs)
    with FileSystems.create(layout.join(runs, f"{run_id}.json")) as fh:
        fh.write(json.dumps({**(manifest or {}), "version": version}, indent=2, default=str).encode())
    crash_point("manifest")
    if FileSystems.exists(staging):
        paths.delete([staging])
    return moved


#: MinHashConfig fields that change signatures: an index built with other values cannot be matched against.
_SIGNATURE_FIELDS = ("num_perm", "shingle_size", "seed", "scheme", "datasketch", "hash_version")


def check_index_config(output: str, config) -> Optional[str]:
    """A message when the dataset's index was built with incompatible MinHash parameters, else None."""
    path = layout.join(output, layout.INDEX, layout.INDEX_CONFIG)
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as fh:
        stored = json.loads(fh.read())
    current = config.to_metadata()
    diff = {k: (stored.get(k), current.get(k)) for k in _SIGNATURE_FIELDS if stored.get(k) != current.get(k)}
    if diff:
        return ("the dataset's LSH index was built with different MinHash parameters "
                + ", ".join(f"{k}: index {a} vs now {b}" for k, (a, b) in diff.items())
                + "; use the same values or a new --output")
    return None


def write_index_config(output: str, minhash: Optional[dict]) -> None:
    path = layout.join(output, layout.INDEX, layout.INDEX_CONFIG)
    if minhash and not FileSystems.exists(path):
        _ensure_dir(layout.join(output, layout.INDEX))
        with FileSystems.create(path) as fh:
            fh.write(json.dumps(minhash, indent=2, sort_keys=True).encode())


def recover(output: str, ready_after_s: float = 0.0, unfinished_after_s: float = 0.0) -> list:
    """Finish publishing runs that were ready, and drop runs that died before it. Returns run ids rolled forward.

    Only staging folders untouched for longer than the given ages are handled:
    with no lock on the dataset (object stores), a younger one may belong to a
    run still in progress. Under ``dataset_lock`` both ages are 0.
    """
    rolled = []
    staging_root = layout.join(output, layout.STAGING)
    if not FileSystems.exists(staging_root):
        return rolled
    now = time.time()
    for entry in _list_dirs(staging_root):
        run_id = entry.rstrip("/").rsplit("/", 1)[-1]
        marker = layout.join(entry, layout.READY_MARKER)
        ready = FileSystems.exists(marker)
        idle = now - _last_write(entry)
        if idle < (ready_after_s if ready else unfinished_after_s):
            _LOG.warning("leaving run %s alone: its staging folder was written %.0f s ago", run_id, idle)
            continue
        if run_id.startswith(compact.COMPACT_PREFIX):
            _LOG.warning("cleaning up after compaction %s", run_id)
            compact.undo_or_finish(output, run_id)
        elif ready:
            with FileSystems.open(marker) as fh:
                manifest = json.loads(fh.read() or b"{}")
            _LOG.warning("rolling forward run %s that stopped while publishing", run_id)
            publish(output, run_id, manifest.get("ingest_date", "unknown"), manifest)
            rolled.append(run_id)
        else:
            _LOG.warning("discarding unfinished run %s", run_id)
            paths.delete([entry])
    return rolled


def _last_write(folder: str) -> float:
    try:
        found = paths.match(folder.rstrip("/") + "/**")
    except Exception:  # noqa: BLE001 - backends raise their own IOError subclasses
        return 0.0
    return max((m.last_updated_in_seconds or 0.0 for m in found), default=0.0)


@contextlib.contextmanager
def dataset_lock(output: str):
    """Hold an exclusive lock on a local dataset for a run; yields True when locked.

    Scheduled runs can overlap when one is slow: without the lock, the second
    one's recovery would discard the first one's staging folder. A second run
    waits for the first. Object stores have no such lock: yields False, and
    recovery leaves recent staging folders alone instead.
    """
    if "://" in output:
        yield False
        return
    import fcntl
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, layout.LOCK_FILE), "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _LOG.warning("another run holds %s; waiting for it to finish", output)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _list_dirs(root: str) -> list:
    """Immediate sub-folders of ``root``; object stores have no folders, so derive them from object paths."""
    prefix = root.rstrip("/") + "/"
    runs = {p[len(prefix):].split("/", 1)[0] for p in _match(prefix + "**") + _match(prefix + "*")}
    return sorted(prefix + r for r in runs if r)


class _PublishFn(beam.DoFn):
    def __init__(self, args: tuple):
        self._args = args

    def process(self, _, writes_done):
        rows = publish_run(*self._args)
        for table, count in rows.items():
            counters.counter(counters.published(table)).inc(count)
        yield rows


class PublishRun(beam.PTransform):
    """``(write results, ...)`` -> ``{table: rows published}``, after ``publish_run`` ran once.

    ``publish_run`` is idempotent, so a runner may retry the step.

    Args:
        output, run_id, ingest_date, manifest: ``publish_run``'s arguments.
    """

    def __init__(self, output: str, run_id: str, ingest_date: str, manifest: Dict):
        super().__init__()
        self._args = (output, run_id, ingest_date, manifest)

    def expand(self, writes):
        done = (
            [w | f"Signal{i}" >> beam.Map(lambda _: 1) for i, w in enumerate(writes)]
            | "FlattenSignals" >> beam.Flatten()
            | "CountWrites" >> beam.combiners.Count.Globally()
        )
        return (
            writes[0].pipeline
            | "Trigger" >> beam.Create([None])
            | "Publish" >> beam.ParDo(_PublishFn(self._args), beam.pvalue.AsSingleton(done))
        )
