"""One batch run, from recovery to publishing: what ``storywire run`` does once, and a local
``storywire stream`` once per poll.

A local stream is a loop of these runs rather than a second graph: every poll reads
feeds with ``ReadFeeds`` (and its feed state), clusters with ``ClusterStories``, groups
events with ``GroupEvents`` and publishes atomically, exactly as a scheduled batch run
does, so what an article becomes never depends on how it arrived.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import List, NamedTuple, Optional

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import StandardOptions

from pipeline.graph import RunContext, build_pipeline
from pipeline.options import StorywireOptions, match_cutoff
from pipeline.runner import fence
from pipeline.runner.choose import batch_runner
from pipeline.runner.progress import ProgressFnApiRunner, ProgressPrinter
from pipeline.runs import RunMetrics, has_flag, metrics_of, new_run_id
from pipeline.tempdirs import sweep_beam_temp_dirs
from transforms.dataset import commitlog, compact, layout, publish

__all__ = ["BatchRun", "run_batch", "READY_GRACE_S", "UNFINISHED_GRACE_S"]

#: Without a lock (object stores): a ready run untouched this long is rolled forward by the next run...
READY_GRACE_S = 15 * 60
#: ... and an unfinished one untouched this long is discarded (a Dataflow job may write nothing for hours).
UNFINISHED_GRACE_S = 24 * 3600


class BatchRun(NamedTuple):
    run_id: str
    #: Runs rolled forward by recovery before this one started.
    rolled: tuple
    #: None when the job was only submitted (``--no_wait``).
    metrics: Optional[RunMetrics]
    #: ``compact``'s report when the run compacted the dataset after publishing (``--compact``).
    compaction: Optional[dict] = None


def run_batch(options: StorywireOptions, argv: List[str], run_id: Optional[str] = None,
              progress: bool = True) -> BatchRun:
    """Recover, run the batch graph, wait, publish (the graph's last step) and record the counters.

    Args:
        options: The run's options (``--output`` and ``--input``/``--feeds`` already checked).
        argv: The command line they came from (whether ``--runner`` was given).
        run_id: This run's id; ``--run_id`` or a new one when None.
        progress: Print the local runner's progress line every ``--progress_interval`` seconds.
    """
    opts = options.view_as(StorywireOptions)
    local = not has_flag(argv, "--runner")
    if local:
        # The default SwitchingDirectRunner tries to download Prism first; be explicit.
        options.view_as(StandardOptions).runner = "FnApiRunner"
    sweep_beam_temp_dirs()  # the empty temp folders of earlier runs that were killed
    with publish.dataset_lock(opts.output) as locked:
        # Unlocked (object stores), recent staging folders may be runs still going: leave them be.
        rolled = publish.recover(opts.output, *((0, 0) if locked else (READY_GRACE_S, UNFINISHED_GRACE_S)))
        now = dt.datetime.now(dt.timezone.utc)
        run_id = run_id or opts.run_id or new_run_id(now)
        # The state the run reads is the last commit's, taken under the lock: files a killed or running
        # publish has moved but not committed are not part of it.
        snapshot = commitlog.read_snapshot(opts.output)
        ctx = RunContext(run_id=run_id, ingested_at=now, staging=layout.staging_dir(opts.output, run_id),
                         index_files=tuple(commitlog.visible_files(opts.output, layout.STAGED_INDEX, snapshot)),
                         cluster_files=tuple(commitlog.visible_files(opts.output, layout.CLUSTERS, snapshot)),
                         match_cutoff=match_cutoff(opts, now))
        # Made before the job: a run whose input is empty writes nothing, and its publish step
        # must then find an empty staging folder (zero rows), not a missing one (removed: an error).
        FileSystems.mkdirs(ctx.staging)
        runner = batch_runner() if local else None
        if local and not opts.workers:
            opts.workers = len(os.sched_getaffinity(0))  # a local run uses the whole machine unless told
        # A local run's graph is built and translated with Beam's repeated answers remembered (fence).
        with fence.building() if local else contextlib.nullcontext():
            p = beam.Pipeline(runner=runner, options=options)
            build_pipeline(p, opts, ctx)
            # Beam's stock runner (another Beam version) has no running totals to print.
            interval = opts.progress_interval if progress and isinstance(runner, ProgressFnApiRunner) else 0
            with ProgressPrinter(runner, interval):
                result = p.run()
                if opts.no_wait:
                    return BatchRun(run_id, tuple(rolled), None)
                result.wait_until_finish()
        compaction = compact.compact(opts.output) if opts.compact else None
    metrics = metrics_of(result)
    publish.record_counters(opts.output, run_id, metrics.counters, metrics.distributions, metrics.problem)
    return BatchRun(run_id, tuple(rolled), metrics, compaction)
