"""``build_pipeline``: wires storywire's batch graph onto a Pipeline and returns it.

The data path, one named composite per stage:

    files:       ReadDocuments ─┐            (transforms.ingest)
    feeds:       ReadFeeds ─────┤
    text:        ExtractArticles (+ FindRepeatedLines: run-wide boilerplate),   (transforms.extract)
                 DropSiteBoilerplate (paragraphs a site prints under many stories)
    signatures:  SignArticles                                                   (transforms.dedup)
    clusters:    ClusterStories: DropIngested, FindCandidates, VerifyCandidates,
                 FindContainedTexts, LinkComponents, BuildClusters, AttachTexts, UpdateClusterState
    events:      GroupEvents
    dataset:     WriteArticles, WriteIndex, WriteClusters, WriteErrors,
                 then PublishRun                                                (transforms.dataset)

Past runs enter through ReadIndex (the match window), LookUpIngested (URLs and
contents seen before) and ReadClusterState, reading the files of the commit the
run started from; every step's errors are
flattened into WriteErrors. Everything is written to a staging folder; the last
step, PublishRun, moves it into the dataset once every write has finished, so a
launcher that does not wait for the job (a flex template) still publishes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

import apache_beam as beam

from transforms.dataset import layout
from transforms.dataset.publish import PublishRun
from pipeline.options import StorywireOptions, event_config_from, limits_from, minhash_config_from
from schemas import ARTICLES_SCHEMA, CLUSTERS_SCHEMA, ERRORS_SCHEMA, INDEX_SCHEMA
from transforms.ingest.fetch import FetchConfig
from transforms.ingest.read_feeds import ReadFeeds
from transforms.extract.boilerplate import SAMPLE_DOCS, FindRepeatedLines
from transforms.extract.site_boilerplate import DropSiteBoilerplate
from transforms.dedup.cluster import ClusterStories
from transforms.dedup.sign import SignArticles, SplitTextFn
from transforms.dedup.group_events import GroupEvents
from transforms.extract.articles import ExtractArticles
from transforms.ingest.files import ReadDocuments
from transforms.dataset.read import LookUpClusters, LookUpIngested, ReadRecentIndex
from transforms.dataset.write import WriteTable

__all__ = ["RunContext", "build_pipeline"]


@dataclasses.dataclass(frozen=True)
class RunContext:
    run_id: str
    ingested_at: dt.datetime
    staging: str
    #: The dataset as the run found it (the commit log's snapshot, taken under the lock): index and cluster files.
    index_files: tuple = ()
    cluster_files: tuple = ()
    #: Past articles ingested before this take no part in matching (--match_window_days); None: all do.
    match_cutoff: Optional[dt.datetime] = None

    @property
    def ingest_date(self) -> str:
        return self.ingested_at.strftime("%Y-%m-%d")


def fetch_config_from(opts: StorywireOptions):
    return FetchConfig(
        connect_timeout=opts.connect_timeout, read_timeout=opts.read_timeout, total_timeout=opts.fetch_timeout,
        max_bytes=opts.max_bytes, retries=opts.fetch_retries, per_host_concurrency=opts.per_host_concurrency,
        allow_private_hosts=opts.allow_private_hosts,
    )


def state_dir_of(opts: StorywireOptions) -> str:
    return opts.state_dir or layout.join(opts.output, layout.STATE)


def _read_inputs(p: beam.Pipeline, opts: StorywireOptions, limits, staging: str):
    """Files and feeds -> ``({source: documents}, [boilerplate samples], [errors], feed state or None)``."""
    documents, samples, errors, feed_state = {}, [], [], None
    if opts.input:
        files = p | "ReadDocuments" >> ReadDocuments(opts.input, limits, sample_docs=SAMPLE_DOCS)
        documents["files"] = files["documents"]
        samples.append(files["sample"])
        errors.append(files["errors"])
    if opts.feeds:
        # Feed state is staged with the run and applied when it publishes (transforms.dataset.publish).
        feeds = p | "ReadFeeds" >> ReadFeeds(opts.feeds, state_dir_of(opts), fetch_config_from(opts), limits,
                                             pending_dir=staging)
        documents["feeds"] = feeds["documents"]
        samples.append(feeds["documents"])
        errors.append(feeds["errors"])
        feed_state = feeds["state"]
    if not documents:
        raise ValueError("build_pipeline: give --input and/or --feeds")
    return documents, samples, errors, feed_state


def _write_dataset(opts: StorywireOptions, ctx: RunContext, config, articles, index, clusters, errors,
                   feed_state) -> None:
    """Write every table to ``ctx.staging`` and publish them together once all are written."""
    partition = layout.partition(ctx.ingest_date)
    tmp = layout.join(ctx.staging, "_tmp")

    def table(folder: str, schema):
        return WriteTable(folder, schema, ctx.run_id, ctx.ingested_at, temp_directory=tmp)

    writes = [
        articles | "WriteArticles" >> table(layout.join(ctx.staging, layout.ARTICLES, partition), ARTICLES_SCHEMA),
        index | "WriteIndex" >> table(layout.join(ctx.staging, layout.STAGED_INDEX), INDEX_SCHEMA),
        clusters | "WriteClusters" >> table(layout.join(ctx.staging, layout.CLUSTERS), CLUSTERS_SCHEMA),
        errors | "FlattenErrors" >> beam.Flatten()
        | "WriteErrors" >> table(layout.join(ctx.staging, layout.ERRORS, partition), ERRORS_SCHEMA),
    ]
    if feed_state is not None:
        writes.append(feed_state)  # the feed state staged for publishing
    manifest = {"run_id": ctx.run_id, "ingest_date": ctx.ingest_date, "ingested_at": ctx.ingested_at.isoformat(),
                "input": opts.input, "feeds": opts.feeds, "minhash": config.to_metadata(),
                "state_dir": state_dir_of(opts) if opts.feeds else None}
    tuple(writes) | "PublishRun" >> PublishRun(opts.output, ctx.run_id, ctx.ingest_date, manifest)


def build_pipeline(p: beam.Pipeline, opts: StorywireOptions, ctx: RunContext) -> beam.Pipeline:
    """Add the batch graph to ``p``: read, extract, cluster, write to ``ctx.staging``."""
    limits = limits_from(opts)
    config = minhash_config_from(opts)
    documents, samples, errors, feed_state = _read_inputs(p, opts, limits, ctx.staging)
    # Counted on a sample read apart from the documents, which go from reading into extraction.
    boilerplate = (
        samples
        | "FlattenSamples" >> beam.Flatten()
        | "FindRepeatedLines" >> FindRepeatedLines(sample_docs=SAMPLE_DOCS)
    )
    extracted = documents | "ExtractArticles" >> ExtractArticles(
        limits, boilerplate=beam.pvalue.AsSingleton(boilerplate), processes=max(1, opts.workers), signing=config,
        warmup_seconds=opts.worker_warmup_seconds)
    errors.append(extracted.errors)
    signed = (
        extracted.articles
        | "DropSiteBoilerplate" >> DropSiteBoilerplate(min_words=limits.min_words)
        | "SignArticles" >> SignArticles(config)
    )
    event_config = event_config_from(opts)
    # Past articles take part in matching when they are within the match window and share a key with
    # a new article; URLs and contents ingested before are looked up in the whole index, by key.
    history = p | "ReadIndex" >> ReadRecentIndex(ctx.index_files, ctx.match_cutoff, articles=signed.slim,
                                                 shape=(config.bands, config.rows, event_config.key_terms))
    seen = signed.slim | "LookUpIngested" >> LookUpIngested(ctx.index_files)
    # Only the clusters this run can touch: those of past articles it matches against. The clusters
    # table holds a version per change, so nothing else is rewritten.
    current = (
        history
        | "HistoryClusterIds" >> beam.Map(lambda h: h["cluster_id"])
        | "ReadClusterState" >> LookUpClusters(ctx.cluster_files)
    )
    clustered = (
        {"articles": signed.slim, "texts": signed[SplitTextFn.TEXTS], "history": history, "seen": seen,
         "clusters": current}
        | "ClusterStories" >> ClusterStories(config, bucket_cap=opts.bucket_cap)
    )

    events = (
        {"articles": clustered["articles"], "index": clustered["index"], "history": history}
        | "GroupEvents" >> GroupEvents(event_config)
    )

    # An unchanged row keeps its run_id; a changed one is stamped by the writer: a new version.
    cluster_state = clustered["clusters"] | "KeepChangedClusters" >> beam.Filter(lambda c: c.get("run_id") is None)

    _write_dataset(opts, ctx, config, events["articles"], events["index"], cluster_state, errors, feed_state)
    return p
