"""``storywire stream``: poll feeds every ``--poll_interval`` seconds, locally or as a streaming job.

Every poll is one batch run of the batch graph (``pipeline.batch.run_batch``): feeds are read with
``ReadFeeds`` and its feed state, articles are clustered with ``ClusterStories``, grouped into events
with ``GroupEvents`` and published atomically, exactly as ``storywire run --feeds`` does. What an
article becomes (its cluster, event and role, whether it was ingested before) never depends on how it
arrived, and what one poll learnt reaches the next through the dataset it committed.

Locally the polls are a loop in this process. On a streaming runner (``--runner DataflowRunner
--streaming``) ``build_stream`` is one unbounded job:

    PollFeeds (PeriodicImpulse) -> KeyPolls (one key) -> RunPolls (a stateful DoFn: one batch run per poll)

One key makes the runner hand the polls to ``RunPollFn`` one at a time, in order, so a poll always
matches against everything the polls before it committed. A poll is the job's unit of work and runs on
one worker with the local runner (its extraction on every core of that worker); a backfill too large
for one worker is a batch run on Dataflow (``storywire run --runner DataflowRunner``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
import threading
import time
from typing import List, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.options.pipeline_options import StandardOptions
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from pipeline.batch import run_batch
from pipeline.options import StorywireOptions, minhash_config_from
from pipeline.runs import has_flag, metrics_of, new_run_id
from transforms import counters
from transforms.dataset import publish

__all__ = ["RunPollFn", "build_stream", "poll_argv", "register"]

_LOG = logging.getLogger(__name__)


def poll_argv(argv: Sequence[str]) -> List[str]:
    """``argv`` without the flags storywire does not define (``--runner``, ``--project``, ``--streaming``, ...).

    A streaming job's poll runs the batch graph on its worker with the local runner: it takes the
    job's storywire options, not the job's runner options.
    """
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    StorywireOptions._add_argparse_args(parser)
    _, unknown = parser.parse_known_args(list(argv))
    kept, i = [], 0
    for arg in argv:
        # ``unknown`` is a subsequence of ``argv``, in order.
        if i < len(unknown) and arg == unknown[i]:
            i += 1
        else:
            kept.append(arg)
    return kept


class RunPollFn(beam.DoFn):
    """(key, poll) -> the run id of the batch run this poll made, its counters added to the job's.

    A poll that fails is counted (``polls_failed``) and logged; it publishes nothing and advances no
    feed state, so the next poll recovers its staging folder and reads the same entries again.
    """

    POLLS = ReadModifyWriteStateSpec("polls", VarIntCoder())

    def __init__(self, argv: Sequence[str], run_id: str):
        self._argv = list(argv)
        self._run_id = run_id

    def process(self, element, polls=beam.DoFn.StateParam(POLLS)):
        poll = (polls.read() or 0) + 1
        polls.write(poll)
        run_id = f"{self._run_id}-{poll:05d}"
        outcome = {}

        def poll_once():
            try:
                outcome["run"] = run_batch(StorywireOptions(self._argv), self._argv, run_id=run_id, progress=False)
            # A streaming runner retries a failing element forever; one bad poll must not stop the next ones.
            except Exception:  # noqa: BLE001
                _LOG.exception("poll %d (%s) failed; the next poll recovers it", poll, run_id)

        # In a thread of its own: the poll's runner keeps its metrics per thread and would leave this
        # thread without the job's, so the counters below would count nowhere.
        worker = threading.Thread(target=poll_once, name=f"storywire-poll-{poll}")
        worker.start()
        worker.join()
        run = outcome.get("run")
        if run is None:
            counters.counter(counters.POLLS_FAILED).inc()
            return
        counters.counter(counters.POLLS).inc()
        for name, value in ((run.metrics and run.metrics.counters) or {}).items():
            counters.counter(name).inc(value)
        yield run_id


def build_stream(p: beam.Pipeline, opts, run_id: str, argv: Sequence[str], first_poll: float = None,
                 polls: int = None) -> beam.Pipeline:
    """Add the streaming graph to ``p``: ``polls`` polls (default ``--max_polls``; 0 = forever) from ``first_poll``.

    ``argv``: the storywire flags each poll's batch run gets (``poll_argv`` of the command line).
    """
    start = time.time() if first_poll is None else first_poll
    polls = opts.max_polls if polls is None else polls
    # The impulse stops just after its last poll rather than a whole interval later.
    stop = start + opts.poll_interval * (polls - 1) + 0.001 if polls else float("inf")
    (
        p
        | "PollFeeds" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=opts.poll_interval)
        # State is keyed by the encoded key, which must be deterministic.
        | "KeyPolls" >> beam.Map(lambda _: (0, 0)).with_output_types(Tuple[int, int])
        | "RunPolls" >> beam.ParDo(RunPollFn(argv, run_id))
    )
    return p


#: Counters a poll line and the final summary show, in this order.
_REPORTED = (counters.FEEDS_FETCHED, counters.FEEDS_NOT_MODIFIED, counters.FEED_ENTRIES, counters.ENTRIES_SEEN_BEFORE,
             counters.DOCUMENTS_EXTRACTED, counters.EXTRACT_FAILED, counters.ALREADY_INGESTED, counters.NEW_CLUSTERS,
             counters.JOINED_EXISTING_CLUSTERS, counters.NEW_EVENTS, counters.JOINED_EXISTING_EVENTS,
             counters.FEED_ERRORS)


def _run_streaming_job(options, argv: List[str], opts, run_id: str) -> Optional[dict]:
    """The streaming graph on a streaming runner (Dataflow): its counters, or None if they cannot be read."""
    p = beam.Pipeline(options=options)
    build_stream(p, opts, run_id, poll_argv(argv), time.time(), opts.max_polls)
    result = p.run()
    result.wait_until_finish()
    metrics = metrics_of(result)
    if metrics.counters is None:
        # Every poll committed its own run: the stream has not failed, it just cannot count.
        print(f"warning: storywire stream {run_id}: {metrics.problem}", file=sys.stderr, flush=True)
    return metrics.counters


def _run_polls(options, argv: List[str], opts, run_id: str) -> dict:
    """Poll ``--max_polls`` times (0: until interrupted) on the local runner: one batch run per poll.

    Beam's local runner runs a streaming pipeline stage by stage, so with an
    endless impulse nothing downstream of it would ever run. Each poll is
    therefore one batch run of the same graph ``storywire run --feeds`` builds
    (``pipeline.batch.run_batch``): what one poll learnt reaches the next
    through the dataset it published (feed state, index, clusters, events),
    the same way scheduled batch runs share it.

    SIGINT or SIGTERM stops the loop once the poll in progress has published
    (an interrupt inside Beam's threads could leave it half done); a second
    signal stops at once.
    """
    stop = threading.Event()

    def _request_stop(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    totals: dict = {}
    poll, due = 0, time.time()
    try:
        while not stop.wait(max(0.0, due - time.time())):
            run = run_batch(options, argv, run_id=f"{run_id}-{poll + 1:05d}", progress=False)
            counts = (run.metrics.counters if run.metrics else None) or {}
            if run.metrics and run.metrics.problem:
                print(f"warning: poll {poll + 1}: {run.metrics.problem}", file=sys.stderr, flush=True)
            for name, value in counts.items():
                totals[name] = totals.get(name, 0) + value
            poll += 1
            print(f"poll {poll}: " + ", ".join(f"{n} {counts.get(n, 0)}" for n in _REPORTED if counts.get(n)),
                  flush=True)
            if opts.max_polls and poll >= opts.max_polls:
                break
            # A poll that overran its interval is not caught up with a burst: the next one is the next slot.
            due += opts.poll_interval * max(1, -(-(time.time() - due) // opts.poll_interval))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"stopped after {poll} poll(s)", flush=True)
    return totals


def cmd_stream(args: argparse.Namespace, argv: List[str]) -> int:
    if not args.feeds or not args.output:
        print("storywire stream: --feeds and --output are required", file=sys.stderr)
        return 2
    options = StorywireOptions(argv)
    opts = options.view_as(StorywireOptions)
    mismatch = publish.check_index_config(opts.output, minhash_config_from(opts))
    if mismatch:
        print(f"storywire stream: {mismatch}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.timezone.utc)
    run_id = opts.run_id or new_run_id(started)
    print(f"storywire stream {run_id} -> {opts.output}, polling every {opts.poll_interval:g} s", flush=True)
    if has_flag(argv, "--runner"):
        options.view_as(StandardOptions).streaming = True
        counts = _run_streaming_job(options, argv, opts, run_id)
    else:
        counts = _run_polls(options, argv, opts, run_id)
    if counts is None:
        print(f"\nstorywire stream {run_id} -> {opts.output} (no summary: counters unreadable)")
        return 0
    print(f"\nstorywire stream {run_id} -> {opts.output}")
    # A streaming job's failed polls; a local poll that fails stops the stream instead.
    for name in _REPORTED + ((counters.POLLS_FAILED,) if counts.get(counters.POLLS_FAILED) else ()):
        print(f"  {name:<28}{counts.get(name, 0):>8}")
    return 0


def register(sub) -> None:
    parser = sub.add_parser("stream", help="Poll feeds forever (or --max_polls times), one batch run per poll.",
                            description="Poll feeds every --poll_interval seconds; each poll is one batch run "
                                        "(read, extract, cluster, group events, publish), locally or inside a "
                                        "streaming job (--runner DataflowRunner --streaming).")
    StorywireOptions._add_argparse_args(parser)
    parser.set_defaults(func=cmd_stream)
