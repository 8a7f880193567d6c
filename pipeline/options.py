"""``StorywireOptions``: every storywire knob, with help text, in one place.

Standard Beam options (``--runner``, ``--direct_num_workers``, ``--project``,
``--temp_location``, ``--setup_file`` ...) are parsed by Beam's own classes.
"""
from __future__ import annotations

import datetime as dt

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.model import Limits
from transforms.dedup.events import EventConfig
from transforms.dedup.signing import MinHashConfig

__all__ = ["StorywireOptions", "limits_from", "minhash_config_from", "event_config_from"]

_L = Limits()
_M = MinHashConfig()
_E = EventConfig()


class StorywireOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        g = parser.add_argument_group("input and output")
        g.add_argument("--input", default=None,
                       help="File pattern of documents to read, e.g. 'seeds/*' or 'gs://bucket/dumps/*.html'. "
                            "A directory reads every file in it. Each file is one document (plain text or HTML).")
        g.add_argument("--feeds", default=None,
                       help="OPML file or text file of RSS/Atom feed URLs; each entry's article page is fetched.")
        g.add_argument("--output", default=None,
                       help="Dataset folder (local or gs://). Gets articles/, clusters/ and errors/ Parquet tables.")
        g.add_argument("--state_dir", default=None,
                       help="Where feed ETags and seen URLs are kept between runs (default: OUTPUT/_state).")
        g.add_argument("--run_id", default=None, help="Identifier stamped on every row (default: UTC time + random).")
        g.add_argument("--progress_interval", type=float, default=10.0,
                       help="Seconds between progress lines (documents read, extracted, signed, clustered, failed) "
                            "on stderr during a local run; 0 turns them off.")

        g.add_argument("--no_wait", action="store_true", default=False,
                       help="Return once the job is submitted (Dataflow, flex templates): the job's last step "
                            "publishes its output by itself.")

        g.add_argument("--workers", type=int, default=0,
                       help="Processes extracting text at once on a local run (0 = one per core of this machine). "
                            "Other runners (Dataflow) spread the work themselves: there it is 1 unless given. "
                            "The output is the same for every value.")
        g.add_argument("--worker_warmup_seconds", type=float, default=None,
                       help="Seconds of extraction in the run's own process before the --workers processes "
                            "start (default 0.75: starting one costs ~1.5 s of CPU, so a small run starts "
                            "none); 0 starts them with the first documents.")

        g = parser.add_argument_group("streaming (storywire stream)")
        g.add_argument("--poll_interval", type=float, default=300.0,
                       help="Seconds between feed polls; also the window of the Parquet files written.")
        g.add_argument("--max_polls", type=int, default=0,
                       help="Stop after this many polls (0 = run until cancelled). On the local runner an "
                            "endless stream runs one short pipeline per poll, sharing what it learnt through the "
                            "index, because that runner writes a streaming pipeline's files only when it ends.")

        g = parser.add_argument_group("duplicate detection (MinHash LSH)")
        g.add_argument("--num_perm", type=int, default=_M.num_perm, help="MinHash permutations per signature.")
        g.add_argument("--shingle_size", type=int, default=_M.shingle_size, help="Words per shingle.")
        g.add_argument("--threshold", type=float, default=_M.threshold,
                       help="Estimated Jaccard similarity at or above which two articles are the same story.")
        g.add_argument("--containment_threshold", type=float, default=_M.containment_threshold,
                       help="Estimated share of the shorter article found in the longer one that also links them "
                            "(catches truncated copies).")
        g.add_argument("--min_containment_shingles", type=int, default=_M.min_containment_shingles,
                       help="Containment alone links two articles only when the shorter has at least this many "
                            "shingles (short texts give noisy estimates).")
        g.add_argument("--fn_weight", type=float, default=_M.fn_weight,
                       help="Weight of false negatives (vs false positives, 1 - this) when picking bands x rows; "
                            "candidates are verified, so recall is favoured by default.")
        g.add_argument("--bands", type=int, default=0,
                       help="LSH bands; 0 picks bands x rows with datasketch's optimal-parameter helper.")
        g.add_argument("--rows", type=int, default=0, help="Rows per LSH band; 0 = optimal for --threshold.")
        g.add_argument("--minhash_seed", type=int, default=_M.seed, help="Seed of the MinHash permutations.")
        g.add_argument("--bucket_cap", type=int, default=100,
                       help="LSH buckets with more members than this link each member to one representative "
                            "instead of forming all pairs.")
        g.add_argument("--event_threshold", type=float, default=_E.threshold,
                       help="Cosine of rarity-weighted terms at which two articles report the same event.")
        g.add_argument("--event_window_days", type=float, default=_E.window_days,
                       help="Articles published further apart than this are never the same event.")
        g.add_argument("--event_bucket_cap", type=int, default=_E.bucket_cap,
                       help="An event key (a pair of top terms) held by more articles than this pairs each "
                            "with one of them only: a common pair of words, not an event.")
        g.add_argument("--compact", action="store_true", default=False,
                       help="After publishing, merge the small files of every table partition and of the index "
                            "(what `storywire compact OUTPUT` does). Off by default; not with --no_wait.")
        g.add_argument("--match_window_days", type=match_window_days, default=DEFAULT_MATCH_WINDOW_DAYS,
                       help="Past articles ingested longer ago than this no longer take part in matching "
                            "(stories and events), so a run's cost follows the window, not the whole history. "
                            "'unbounded' (or 0) matches against every past article. URLs and contents "
                            "ingested before are skipped whatever their age.")

        g = parser.add_argument_group("per-document limits")
        g.add_argument("--min_words", type=int, default=_L.min_words,
                       help="Articles with fewer words go to the errors table (reason too_short).")
        g.add_argument("--max_bytes", type=int, default=_L.max_bytes, help="Bytes read per file or HTTP body.")
        g.add_argument("--max_field_chars", type=int, default=_L.max_field_chars,
                       help="Characters kept per metadata field (title, byline ...).")
        g.add_argument("--max_text_chars", type=int, default=_L.max_text_chars, help="Characters of article text kept.")
        g.add_argument("--max_html_depth", type=int, default=_L.max_html_depth,
                       help="HTML nested deeper than this is flattened before extraction.")
        g.add_argument("--max_html_elements", type=int, default=_L.max_html_elements,
                       help="HTML opening more elements than this is cut after that many before extraction.")
        g.add_argument("--extract_timeout", type=float, default=_L.extract_timeout_s,
                       help="Seconds of wall time allowed to extract one HTML page.")
        g.add_argument("--extract_memory_mb", type=int, default=_L.extract_memory_mb,
                       help="Memory cap (MB) of the worker process that extracts large or deep pages.")

        g = parser.add_argument_group("fetching feeds and pages")
        g.add_argument("--connect_timeout", type=float, default=5.0, help="Seconds to connect to a host.")
        g.add_argument("--read_timeout", type=float, default=15.0, help="Seconds between bytes from a host.")
        g.add_argument("--fetch_timeout", type=float, default=30.0, help="Total seconds per fetch, retries excluded.")
        g.add_argument("--fetch_retries", type=int, default=3,
                       help="Retries on connection errors, 5xx and 429 (with backoff, honouring Retry-After).")
        g.add_argument("--feed_budget", type=float, default=_L.feed_budget_s,
                       help="storywire run: seconds to fetch one feed's article pages, from the first one started; "
                            "entries not fetched by then get an errors row (reason budget) and are fetched by the "
                            "next run. 0 = no budget. (storywire stream has none: it marks entries seen before "
                            "fetching them.)")
        g.add_argument("--per_host_concurrency", type=int, default=2, help="Concurrent requests per host per worker.")
        g.add_argument("--allow_private_hosts", action="store_true", default=False,
                       help="Allow fetching from loopback/private/link-local addresses (tests, intranets).")


#: A copy of a story rarely appears more than a month after it; events span days.
DEFAULT_MATCH_WINDOW_DAYS = 30.0


def match_window_days(value: str) -> float:
    """``--match_window_days``: days, or ``unbounded`` / 0 (returned as 0: no window)."""
    if str(value).strip().lower() in ("unbounded", "none", "inf", "infinite"):
        return 0.0
    days = float(value)
    if days < 0 or days != days:
        raise ValueError("--match_window_days must be a positive number of days or 'unbounded'")
    return 0.0 if days == float("inf") else days


def match_cutoff(opts, now):
    """The oldest ingestion time a past article may have to take part in matching; None when unbounded."""
    return now - dt.timedelta(days=opts.match_window_days) if opts.match_window_days else None


def limits_from(opts: StorywireOptions) -> Limits:
    return Limits(
        max_bytes=opts.max_bytes, max_field_chars=opts.max_field_chars, max_text_chars=opts.max_text_chars,
        max_html_depth=opts.max_html_depth, max_html_elements=opts.max_html_elements,
        extract_timeout_s=opts.extract_timeout,
        extract_memory_mb=opts.extract_memory_mb, min_words=opts.min_words,
        feed_budget_s=opts.feed_budget,
    )


def minhash_config_from(opts: StorywireOptions) -> MinHashConfig:
    return MinHashConfig(
        num_perm=opts.num_perm, shingle_size=opts.shingle_size, seed=opts.minhash_seed, threshold=opts.threshold,
        containment_threshold=opts.containment_threshold,
        min_containment_shingles=opts.min_containment_shingles, fn_weight=opts.fn_weight, bands=opts.bands, rows=opts.rows,
    )


def event_config_from(opts: StorywireOptions) -> EventConfig:
    return EventConfig(threshold=opts.event_threshold, window_days=opts.event_window_days,
                       bucket_cap=opts.event_bucket_cap)
