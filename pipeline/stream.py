"""``storywire stream``: poll feeds every ``--poll_interval`` seconds, locally or as a streaming job.

On the local runner every poll is one batch run of the batch graph (``pipeline.batch``), so a
stream clusters, groups events and publishes exactly as ``storywire run --feeds`` does.

On a streaming runner (``--runner DataflowRunner --streaming``) ``build_stream`` is one unbounded job:

    PollFeeds (PeriodicImpulse) -> ReadFeedEntries -> DedupeUrls (state keyed by URL)
      -> FetchNewArticles -> ExtractArticles -> DedupeContents (state keyed by content hash) -> SignBatchFn
      -> MatchStories (state keyed by LSH band) -> WriteArticles (windowed Parquet)
                                                -> WriteIndex (appended to _index/)
                                                -> WritePendingClusters (_pending/clusters/)
    ReadIndex (past runs, read once) seeds DedupeUrls, DedupeContents and MatchStories.
    Errors of every step -> WriteErrors (windowed Parquet).

It reuses the batch pipeline's feed reading, extraction and signing; what differs is where memory lives:
the URLs and contents already ingested and the LSH buckets are Beam state. The index of earlier
runs seeds that state, and each window's index rows are appended for the runs that follow, so batch
runs and streams share one story history. ``clusters/`` is one file with every cluster's state, which
a job cannot rewrite per window: it leaves per-article deltas under ``_pending/clusters/`` and the next
batch run folds them in. Windowed files are written with ``fileio.WriteToFiles`` and a Parquet sink
(streaming ``WriteToParquet`` loses rows). It does not build the event level yet (README, "Known limits").
"""
from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
import time
from typing import Any, List, Optional, Sequence, Tuple

import apache_beam as beam
from apache_beam.options.pipeline_options import StandardOptions
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.window import FixedWindows, GlobalWindows, TimestampedValue

from pipeline.batch import run_batch
from pipeline.graph import fetch_config_from
from pipeline.options import StorywireOptions, limits_from, minhash_config_from
from pipeline.runs import has_flag, metrics_of, new_run_id
from schemas import ARTICLES_SCHEMA, CLUSTERS_SCHEMA, ERRORS_SCHEMA, INDEX_SCHEMA
from transforms import counters
from transforms.dataset import commitlog, layout, publish
from transforms.dataset.read import ReadParquetRows
from transforms.dataset.write import WriteTable
from transforms.dedup.sign import SignBatchFn
from transforms.dedup.first_seen import FirstSeenFn, history_marker
from transforms.dedup.stream_match import MatchStories, cluster_update
from transforms.extract.articles import ExtractArticles
from transforms.ingest.read_feeds import FetchNewArticles, ReadFeedEntries

__all__ = ["build_stream", "register"]


def build_stream(p: beam.Pipeline, opts, run_id: str, started: dt.datetime, index_files: Sequence[str] = (),
                 first_poll: float = None, polls: int = None) -> beam.Pipeline:
    """Add the streaming graph to ``p``: ``polls`` polls (default ``--max_polls``; 0 = forever) from ``first_poll``.

    ``index_files``: the index of past runs as the last commit lists it, resolved by the launcher (as a
    batch run's ``RunContext`` is), so building the graph touches no storage.
    """


    limits = limits_from(opts)
    config = minhash_config_from(opts)
    fetch = fetch_config_from(opts)
    start = time.time() if first_poll is None else first_poll
    polls = opts.max_polls if polls is None else polls
    # The impulse stops just after its last poll rather than a whole interval later.
    stop = start + opts.poll_interval * (polls - 1) + 0.001 if polls else float("inf")
    # Temporary files live outside _staging/, which a concurrent batch run's recovery would delete.
    tmp = layout.join(opts.output, layout.STREAM_TMP, run_id)

    # The index of past runs, read once at start: URLs and contents already ingested, and the LSH
    # members new articles are matched against (so a streamed copy joins a batch-run story).
    history = p | "ReadIndex" >> ReadParquetRows(paths=list(index_files))

    polls = p | "PollFeeds" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop,
                                               fire_interval=opts.poll_interval)
    # The same feed reading and article fetching as a batch run's ReadFeeds; only "already seen"
    # differs: Beam state here, the feed state there.
    feeds = (polls
             | "FeedListPath" >> beam.Map(lambda _, path=opts.feeds: path)
             | "ReadFeedEntries" >> ReadFeedEntries(fetch, limits, reshuffle=False))
    new_entries = (
        (feeds["entries"] | "GlobalUrlWindow" >> beam.WindowInto(GlobalWindows()),
         history | "IndexUrls" >> beam.FlatMap(lambda h: [history_marker(h["url"])] if h.get("url") else []))
        # Typed keys: state is keyed by the encoded key, which must be deterministic (not pickled).
        | "FlattenUrls" >> beam.Flatten().with_output_types(Tuple[str, Any])
        | "DedupeUrls" >> beam.ParDo(FirstSeenFn(counters.ENTRIES_SEEN_BEFORE))
    )
    # No fetch budget: the stream marks entries seen before fetching them, so a deferred one would be lost.
    articles = new_entries | "FetchNewArticles" >> FetchNewArticles(fetch, reshuffle=False)
    extracted = articles.documents | "ExtractArticles" >> ExtractArticles(limits)
    fresh = (
        (extracted.articles
         # Event time is the poll's time (the fetchers keep each element's timestamp), so an article
         # from an earlier poll is the older one whatever order the pages were fetched in.
         | "KeyByContent" >> beam.Map(lambda a: (a["content_hash"], a))
         | "GlobalContentWindow" >> beam.WindowInto(GlobalWindows()),
         history | "IndexContents" >> beam.FlatMap(
             lambda h: [history_marker(h["content_hash"])] if h.get("content_hash") else []))
        | "FlattenContents" >> beam.Flatten().with_output_types(Tuple[str, Any])
        | "DedupeContents" >> beam.ParDo(FirstSeenFn("already_ingested_content"))
        | "DropContentKey" >> beam.Values()
    )
    matched = (
        {"articles": fresh
                     | "SingletonBatches" >> beam.Map(lambda a: [a])
                     | "SignArticles" >> beam.ParDo(SignBatchFn(config)),
         "history": history}
        | "MatchStories" >> MatchStories(config, window_s=opts.poll_interval, bucket_cap=opts.bucket_cap))

    partition = layout.partition(started.strftime("%Y-%m-%d"))
    matched["articles"] | "WriteArticles" >> WriteTable(
        layout.join(opts.output, layout.ARTICLES, partition), ARTICLES_SCHEMA, run_id, started, shards=1,
        temp_directory=tmp)
    # Appended to the index as each window closes, so the next batch run (or stream) skips these
    # articles and matches new copies to their clusters.
    matched["index"] | "WriteIndex" >> WriteTable(
        layout.join(opts.output, layout.INDEX), INDEX_SCHEMA, run_id, started, shards=1, temp_directory=tmp)
    (
        matched["articles"]
        | "ClusterDeltas" >> beam.Map(cluster_update)
        | "WritePendingClusters" >> WriteTable(layout.join(opts.output, layout.PENDING_CLUSTERS), CLUSTERS_SCHEMA,
                                               run_id, started, shards=1, temp_directory=tmp)
    )
    (
        (feeds["errors"], articles.errors, extracted.errors)
        | "FlattenErrors" >> beam.Flatten()
        | "StampErrorTime" >> beam.Map(lambda e: TimestampedValue(e, time.time()))
        | "WindowErrors" >> beam.WindowInto(FixedWindows(opts.poll_interval))
        | "WriteErrors" >> WriteTable(layout.join(opts.output, layout.ERRORS, partition), ERRORS_SCHEMA, run_id,
                                      started, shards=1, temp_directory=tmp)
    )
    return p


#: Counters a poll line and the final summary show, in this order.
_REPORTED = (counters.FEEDS_FETCHED, counters.FEEDS_NOT_MODIFIED, counters.FEED_ENTRIES, counters.ENTRIES_SEEN_BEFORE,
             counters.DOCUMENTS_EXTRACTED, counters.EXTRACT_FAILED, counters.ALREADY_INGESTED, counters.NEW_CLUSTERS,
             counters.JOINED_EXISTING_CLUSTERS, counters.NEW_EVENTS, counters.JOINED_EXISTING_EVENTS,
             counters.FEED_ERRORS)


def _run_streaming_job(options, opts, run_id: str, started: dt.datetime) -> Optional[dict]:
    """The streaming graph on a streaming runner (Dataflow): its counters, or None if they cannot be read."""
    # The job appends to the index as it goes: record what its signatures mean first.
    publish.write_index_config(opts.output, minhash_config_from(opts).to_metadata())
    p = beam.Pipeline(options=options)
    build_stream(p, opts, run_id, started, commitlog.visible_files(opts.output, layout.STAGED_INDEX), time.time(),
                 opts.max_polls)
    result = p.run()
    result.wait_until_finish()
    metrics = metrics_of(result)
    if metrics.counters is None:
        # Its files are written by now: the stream has not failed, it just cannot count.
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
        # The unbounded job's files go straight into the table folders, uncommitted: registered, readers add
        # them. (Local polls are batch runs, which commit.)
        commitlog.register_stream(opts.output, run_id)
        options.view_as(StandardOptions).streaming = True
        counts = _run_streaming_job(options, opts, run_id, started)
    else:
        counts = _run_polls(options, argv, opts, run_id)
    if counts is None:
        print(f"\nstorywire stream {run_id} -> {opts.output} (no summary: counters unreadable)")
        return 0
    print(f"\nstorywire stream {run_id} -> {opts.output}")
    for name in _REPORTED:
        print(f"  {name:<28}{counts.get(name, 0):>8}")
    return 0


def register(sub) -> None:

    parser = sub.add_parser("stream", help="Poll feeds forever (or --max_polls times) as a streaming pipeline.",
                            description="Run the unbounded pipeline: poll feeds every --poll_interval seconds, "
                                        "extract, match against earlier articles with Beam state, and write "
                                        "windowed Parquet files.")
    StorywireOptions._add_argparse_args(parser)
    parser.set_defaults(func=cmd_stream)
