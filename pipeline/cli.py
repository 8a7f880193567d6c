"""The ``storywire`` command: ``run``, ``extract``, and the analyst tools.

This module only parses arguments and reports; the graph is built by
``pipeline.graph.build_pipeline``.

Local:     storywire run --input 'seeds/*' --output out/
Dataflow:  storywire run --input 'gs://B/dumps/*' --output gs://B/storywire/ \\
             --runner DataflowRunner --project P --region R --temp_location gs://B/tmp \\
             --setup_file ./setup.py
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import List, Optional

from apache_beam.io.filesystems import FileSystems

from pipeline import stream
from pipeline.batch import READY_GRACE_S, UNFINISHED_GRACE_S, run_batch
from pipeline.analyst import query, report
from pipeline.argv import UnknownOptionError, normalize_argv
from pipeline.options import StorywireOptions, minhash_config_from
from pipeline.runner.progress import stage_counts
from transforms import counters as names
from transforms.dataset import compact, layout, publish
from transforms.extract.document import extract_document
from transforms.ingest.fetch import FetchConfig, Fetcher
from transforms.ingest.files import not_readable_reason
from transforms.ingest.read_feeds import fetch_page, page_document
from transforms.model import ExtractionError, Limits, RawDocument
from transforms.paths import literal_pattern
from transforms.redact import RedactingFilter, redact_text, redact_url

__all__ = ["main"]

_LOG = logging.getLogger(__name__)

_BEAM_EPILOG = (
    "Standard Beam options pass through, e.g. --runner (default FnApiRunner locally; DataflowRunner), "
    "--direct_num_workers, --direct_running_mode, --project, --region, --temp_location, --setup_file."
)


def _expand_input(pattern: Optional[str]) -> Optional[str]:
    """A bare directory means every file in it; a path that exists as written is not a glob."""
    if pattern and "://" not in pattern and os.path.isdir(pattern):
        return FileSystems.join(literal_pattern(pattern.rstrip("/") or "/"), "*")
    if pattern and not any(ch in pattern for ch in "*?[") and (
            pattern.endswith("/") or (FileSystems.exists(pattern) and "://" not in pattern and _is_dir(pattern))):
        return FileSystems.join(pattern.rstrip("/"), "*")
    return literal_pattern(pattern) if pattern else pattern


def _is_dir(path: str) -> bool:
    return os.path.isdir(path)


def cmd_run(args: argparse.Namespace, argv: List[str]) -> int:



    if not args.output:
        print("storywire run: --output is required", file=sys.stderr)
        return 2
    if not args.input and not args.feeds:
        print("storywire run: give --input and/or --feeds", file=sys.stderr)
        return 2
    options = StorywireOptions(argv)
    opts = options.view_as(StorywireOptions)
    opts.input = _expand_input(opts.input)
    mismatch = publish.check_index_config(opts.output, minhash_config_from(opts))
    if mismatch:
        print(f"storywire run: {mismatch}", file=sys.stderr)
        return 2
    run = run_batch(options, argv)
    if run.rolled:
        print(f"finished publishing interrupted run(s): {', '.join(run.rolled)}")
    if run.metrics is None:
        print(f"storywire run {run.run_id}: submitted; the job publishes into {opts.output} when it finishes")
        return 0
    run_id, metrics = run.run_id, run.metrics
    if run.compaction is not None:
        _print_compaction(run.compaction)
    if metrics.problem:
        # The data is published by now: a run that cannot count it has still not failed.
        print(f"warning: storywire run {run_id}: {metrics.problem}; the data is published in {opts.output}",
              file=sys.stderr)
    if metrics.counters is None:
        print(f"\nstorywire run {run_id} -> {opts.output} (no summary: counters unreadable)")
        return 0
    counters = metrics.counters
    staged = {t: counters.get(names.published(t), 0) for t in (layout.ARTICLES, layout.CLUSTERS, layout.ERRORS)}
    _print_summary(run_id, opts.output, counters, staged)
    return 0


def _print_compaction(report: dict) -> None:
    print("compaction (files per table: before -> after)")
    for table, (before, after) in report.items():
        print(f"  {table:<10} {before:>6} -> {after}")


def cmd_compact(args: argparse.Namespace, argv: List[str]) -> int:
    if "://" not in args.output and not os.path.isdir(args.output):
        print(f"storywire compact: no dataset at {args.output}", file=sys.stderr)
        return 2
    with publish.dataset_lock(args.output) as locked:
        # Unlocked (object stores), the caller makes sure no run or compaction is going meanwhile.
        rolled = publish.recover(args.output, *((0, 0) if locked else (READY_GRACE_S, UNFINISHED_GRACE_S)))
        if rolled:
            print(f"finished publishing interrupted run(s): {', '.join(rolled)}")
        _print_compaction(compact.compact(args.output))
    return 0


def _print_summary(run_id: str, output: str, counters: dict, staged: dict) -> None:
    # Feed-level failures (a feed that 404s) are error rows with no document behind them: count them as read.
    read = sum(counters.get(n, 0) for n in (names.DOCUMENTS_READ, names.FEED_DOCUMENTS, names.FEED_ERRORS))
    skipped = counters.get(names.ALREADY_INGESTED, 0)
    rows = [
        ("documents read", read),
        ("articles written", staged[layout.ARTICLES]),
        ("errors written", staged[layout.ERRORS]),
        ("already ingested (skipped)", skipped),
        ("new story clusters", counters.get(names.NEW_CLUSTERS, 0)),
        ("joined earlier stories", counters.get(names.JOINED_EXISTING_CLUSTERS, 0)),
        ("clusters merged", counters.get(names.MERGED_CLUSTERS, 0)),
        ("story clusters new or changed", staged[layout.CLUSTERS]),
        ("exact duplicates", counters.get(names.EXACT_DUPLICATES, 0)),
        ("candidate pairs verified", counters.get(names.CANDIDATE_PAIRS, 0)),
        ("pairs linked", counters.get(names.VERIFIED_PAIRS, 0)),
        ("briefs and excerpts linked", counters.get(names.CONTAINMENT_BRIEF_PAIRS, 0)
         + counters.get(names.CONTAINMENT_TEXT_PAIRS, 0)),
        ("capped LSH buckets", counters.get(names.CAPPED_BUCKETS, 0)),
        ("new news events", counters.get(names.NEW_EVENTS, 0)),
        ("joined earlier events", counters.get(names.JOINED_EXISTING_EVENTS, 0)),
    ]
    for counter, label in ((names.SITE_BOILERPLATE_STRIPPED, "articles with site boilerplate removed"),
                           (names.ROUNDUPS, "roundups (left alone)"),
                           (names.STRAY_LINKS, "links through a stray passage dropped"),
                           (names.FEED_ENTRIES_CUT, "feed entries cut by the cap"),
                           (names.FEED_ENTRIES_OVER_BUDGET, "feed entries over the time budget")):
        if counters.get(counter):
            rows.append((label, counters[counter]))
    rows += [(f"stage: {label}", value) for label, value in stage_counts(counters).items()]
    print(f"\nstorywire run {run_id} -> {output}")
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>8}")
    balance = "OK" if staged["articles"] + staged["errors"] + skipped == read else "MISMATCH"
    print(f"  articles + errors + already ingested = documents read: "
          f"{staged['articles']} + {staged['errors']} + {skipped} = {read} [{balance}]")


def cmd_extract(args: argparse.Namespace, argv: List[str]) -> int:

    limits = Limits()
    status = 0
    for target in args.targets:
        try:
            doc = _load_target(target, limits, args.allow_private_hosts)
            ext = extract_document(doc, limits)
            out = {"source": redact_url(target), "title": ext.title,
                   "published": ext.published.isoformat() if ext.published else None,
                   "byline": ext.byline, "credited_source": ext.credited_source, "site": ext.site,
                   "language": ext.language, "extractor": ext.extractor, "text": ext.text}
        except ExtractionError as exc:
            out, status = {"source": redact_url(target), "error": {"stage": exc.stage, "reason": exc.reason,
                                                                    "detail": redact_text(exc.detail)}}, 1
        print(json.dumps(out, ensure_ascii=False))
    return status


def _load_target(target: str, limits, allow_private: bool):
    if target.startswith(("http://", "https://")):
        # The pipeline's own fetch and document (FetchArticlesFn): same Accept, checks and charset hint.
        with Fetcher(FetchConfig(max_bytes=limits.max_bytes, allow_private_hosts=allow_private)) as fetcher:
            res, reason = fetch_page(fetcher, target)
        if reason:
            raise ExtractionError("fetch", reason, res.detail or f"Content-Type {res.headers.get('content-type')}")
        return page_document(target, res)
    refused = not_readable_reason(target)  # a FIFO or device would block or never end
    if refused is not None:
        raise ExtractionError("read", *refused)
    try:
        with open(target, "rb") as fh:
            raw = fh.read(limits.max_bytes + 1)
    except OSError as exc:
        raise ExtractionError("read", "unreadable", str(exc)) from exc
    return RawDocument(source=target, raw=raw[:limits.max_bytes], truncated=len(raw) > limits.max_bytes)


def build_parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(
        prog="storywire",
        description="Ingest news documents and feeds, find syndicated copies of the same story with MinHash LSH, "
                    "and write one clean record per story as Parquet.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser("run", help="Run the batch pipeline on files and/or feeds.",
                         description="Run the batch pipeline: read, extract, cluster, write Parquet.",
                         epilog=_BEAM_EPILOG)
    StorywireOptions._add_argparse_args(run)
    run.set_defaults(func=cmd_run)

    comp = sub.add_parser("compact", help="Merge the small files of every table partition and of the index.",
                          description="Merge every table partition (and the index) holding several files into one "
                                      "file, in one commit: readers going through the commit log (storywire query, "
                                      "storywire report, runs and streams) never see a row twice or miss one.")
    comp.add_argument("output", metavar="OUTPUT", help="The dataset folder (--output of the runs).")
    comp.set_defaults(func=cmd_compact)

    ext = sub.add_parser("extract", help="Print the clean text and metadata of files or URLs as JSON lines.",
                         description="Extract one JSON object per input: source, title, published, byline, "
                                     "credited_source, site, language, extractor, text. Same code as the pipeline.")
    ext.add_argument("targets", nargs="+", metavar="FILE_OR_URL")
    ext.add_argument("--allow_private_hosts", action="store_true", help="Allow URLs on private/loopback addresses.")
    ext.set_defaults(func=cmd_extract)

    for module in (stream, report, query):
        module.register(sub)
    return parser


class _DropMessages(logging.Filter):
    def __init__(self, fragments):
        super().__init__()
        self._fragments = fragments

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(f in message for f in self._fragments)


def _quiet_known_noise() -> None:
    """Beam warnings that say nothing to a storywire user: the GCP client check on import, and
    fileio's note about its temp folder, which lives in our staging folder and is removed on publish."""
    drop = _DropMessages(("apitools not found", "may be left orphaned in the temporary folder"))
    for handler in logging.getLogger().handlers:
        handler.addFilter(drop)
        handler.addFilter(RedactingFilter())  # no URL credentials in any log line


#: Sub-commands that build a Beam pipeline: Beam's own options (--runner, --project ...) pass through.
_BEAM_COMMANDS = ("run", "stream")


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _quiet_known_noise()
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices  # noqa: SLF001
    if argv and argv[0] in commands:
        # Both spellings (--max_bytes, --max-bytes) of every option; unknown options are errors.
        try:
            argv[1:] = normalize_argv(argv[1:], commands[argv[0]], with_beam=argv[0] in _BEAM_COMMANDS)
        except UnknownOptionError as exc:
            commands[argv[0]].error(str(exc))
    args, _unknown = parser.parse_known_args(argv)
    # Everything after the sub-command (storywire's and Beam's own flags) goes to PipelineOptions.
    return args.func(args, argv[1:])


if __name__ == "__main__":
    sys.exit(main())
