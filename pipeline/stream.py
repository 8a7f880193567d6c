"""``storywire stream``: the unbounded pipeline.

    PollFeeds (PeriodicImpulse) -> ReadFeedList -> FetchFeeds -> ParseFeeds
      -> DedupeUrls (state keyed by URL) -> FetchArticles -> ExtractArticles
      -> SignArticles -> MatchStories (state keyed by LSH band) -> WriteArticles (windowed Parquet)
      errors of every step ----------------------------------------> WriteErrors (windowed Parquet)

It reuses the batch pipeline's DoFns; what differs is where memory lives: the
URLs already ingested and the LSH buckets are Beam state, not a process dict,
so the same graph runs on Dataflow (``--runner DataflowRunner --streaming``).
Windowed files are written with ``fileio.WriteToFiles`` and a Parquet sink
(streaming ``WriteToParquet`` loses rows).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import List

import apache_beam as beam
from apache_beam.coders import BooleanCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.transforms.window import FixedWindows, GlobalWindows, TimestampedValue

__all__ = ["build_stream", "register"]


class DedupeUrlFn(beam.DoFn):
    """(url, entry) -> the entry the first time its URL is seen, ever (Beam state keyed by URL)."""

    SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())

    def __init__(self):
        self._dups = Metrics.counter("storywire", "entries_seen_before")

    def process(self, element, seen=beam.DoFn.StateParam(SEEN)):
        if seen.read():
            self._dups.inc()
            return
        seen.write(True)
        yield element


def build_stream(p: beam.Pipeline, opts, run_id: str, started: dt.datetime) -> beam.Pipeline:
    """Add the streaming graph to ``p``."""
    from apache_beam.transforms.periodicsequence import PeriodicImpulse

    from pipeline import layout
    from pipeline.graph import fetch_config_from
    from pipeline.options import limits_from, minhash_config_from
    from schemas import ARTICLES_SCHEMA, ERRORS_SCHEMA
    from transforms.cluster import SignBatchFn
    from transforms.extract import ExtractArticles
    from transforms.read_feeds import FetchArticlesFn, FetchFeedsFn, ParseFeedsFn, ReadFeedListFn
    from transforms.stream_match import MatchStories
    from transforms.write import WriteTable

    limits = limits_from(opts)
    config = minhash_config_from(opts)
    fetch = fetch_config_from(opts)
    start = time.time()
    stop = start + opts.poll_interval * opts.max_polls if opts.max_polls else float("inf")
    polls = p | "PollFeeds" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop,
                                               fire_interval=opts.poll_interval)
    feeds = (polls
             | "FeedListPath" >> beam.Map(lambda _, path=opts.feeds: path)
             | "ReadFeedList" >> beam.ParDo(ReadFeedListFn(None)).with_outputs("errors", main="feeds"))
    fetched = (feeds.feeds
               | "FetchFeeds" >> beam.ParDo(FetchFeedsFn(fetch, 8)).with_outputs("errors", "validators", main="bodies"))
    parsed = fetched.bodies | "ParseFeeds" >> beam.ParDo(ParseFeedsFn(limits)).with_outputs("errors", main="entries")
    new_entries = (parsed.entries
                   | "GlobalUrlWindow" >> beam.WindowInto(GlobalWindows())
                   | "DedupeUrls" >> beam.ParDo(DedupeUrlFn()))
    articles = (new_entries
                | "FetchArticles" >> beam.ParDo(FetchArticlesFn(fetch, 8, 50)).with_outputs(
                    "errors", "seen", main="documents"))
    extracted = articles.documents | "ExtractArticles" >> ExtractArticles(limits)
    rows = (extracted.articles
            # Fetches are batched inside bundles and lose their poll's timestamp; event time is fetch time.
            | "StampFetchTime" >> beam.Map(lambda a: TimestampedValue(a, time.time()))
            | "SingletonBatches" >> beam.Map(lambda a: [a])
            | "SignArticles" >> beam.ParDo(SignBatchFn(config))
            | "MatchStories" >> MatchStories(config, window_s=opts.poll_interval, bucket_cap=opts.bucket_cap))

    partition = layout.partition(started.strftime("%Y-%m-%d"))
    rows | "WriteArticles" >> WriteTable(layout.join(opts.output, "articles", partition), ARTICLES_SCHEMA,
                                         run_id, started, shards=1)
    (
        (feeds.errors, fetched.errors, parsed.errors, articles.errors, extracted.errors)
        | "FlattenErrors" >> beam.Flatten()
        | "StampErrorTime" >> beam.Map(lambda e: TimestampedValue(e, time.time()))
        | "WindowErrors" >> beam.WindowInto(FixedWindows(opts.poll_interval))
        | "WriteErrors" >> WriteTable(layout.join(opts.output, "errors", partition), ERRORS_SCHEMA, run_id,
                                      started, shards=1)
    )
    return p


def cmd_stream(args: argparse.Namespace, argv: List[str]) -> int:
    from apache_beam.options.pipeline_options import StandardOptions

    from pipeline.cli import _counters, _has_flag, _new_run_id
    from pipeline.options import StorywireOptions

    if not args.feeds or not args.output:
        print("storywire stream: --feeds and --output are required", file=sys.stderr)
        return 2
    options = StorywireOptions(argv)
    opts = options.view_as(StorywireOptions)
    options.view_as(StandardOptions).streaming = True
    if not _has_flag(argv, "--runner"):
        options.view_as(StandardOptions).runner = "FnApiRunner"
    started = dt.datetime.now(dt.timezone.utc)
    run_id = opts.run_id or _new_run_id(started)
    p = beam.Pipeline(options=options)
    build_stream(p, opts, run_id, started)
    result = p.run()
    result.wait_until_finish()
    counters = _counters(result)
    print(f"\nstorywire stream {run_id} -> {opts.output}")
    for name in ("feeds_fetched", "entries", "entries_seen_before", "documents_extracted", "extract_failed",
                 "new_clusters", "joined_existing_clusters", "feed_errors"):
        print(f"  {name:<28}{counters.get(name, 0):>8}")
    return 0


def register(sub) -> None:
    from pipeline.options import StorywireOptions

    parser = sub.add_parser("stream", help="Poll feeds forever (or --max_polls times) as a streaming pipeline.",
                            description="Run the unbounded pipeline: poll feeds every --poll_interval seconds, "
                                        "extract, match against earlier articles with Beam state, and write "
                                        "windowed Parquet files.")
    StorywireOptions._add_argparse_args(parser)
    parser.set_defaults(func=cmd_stream)
