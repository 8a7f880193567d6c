"""The one namespace of storywire's Beam metrics, and the names the CLI reads back.

Counters are created here so a renamed counter is renamed once: the DoFns that
increment it and the summary, progress line and run manifest that read it all
spell it through these constants.
"""
from __future__ import annotations

from apache_beam.metrics import Metrics

__all__ = ["NAMESPACE", "counter", "distribution"]

NAMESPACE = "storywire"

# Names read back by the run summary and the stream's poll lines.
DOCUMENTS_READ = "documents_read"
FEED_DOCUMENTS = "feed_documents"
FEED_ERRORS = "feed_errors"
FEEDS_NOT_MODIFIED = "feeds_not_modified"
FEEDS_FETCHED = "feeds_fetched"
FEED_ENTRIES = "entries"
ENTRIES_SEEN_BEFORE = "entries_seen_before"
DOCUMENTS_EXTRACTED = "documents_extracted"
EXTRACT_FAILED = "extract_failed"
READ_FAILED = "read_failed"
ALREADY_INGESTED = "already_ingested"
NEW_CLUSTERS = "new_clusters"
JOINED_EXISTING_CLUSTERS = "joined_existing_clusters"
MERGED_CLUSTERS = "merged_clusters"
EXACT_DUPLICATES = "exact_duplicates"
CANDIDATE_PAIRS = "candidate_pairs"
VERIFIED_PAIRS = "verified_pairs"
CAPPED_BUCKETS = "capped_buckets"
CONTAINMENT_BRIEF_PAIRS = "containment_brief_pairs"
CONTAINMENT_TEXT_PAIRS = "containment_text_pairs"
ROUNDUPS = "roundups"
STRAY_LINKS = "stray_links"
NEW_EVENTS = "new_events"
JOINED_EXISTING_EVENTS = "joined_existing_events"
SITE_BOILERPLATE_STRIPPED = "site_boilerplate_stripped"
FEED_ENTRIES_CUT = "feed_entries_cut"
FEED_ENTRIES_OVER_BUDGET = "feed_entries_over_budget"
# A streaming job's polls, each one batch run (pipeline.stream.RunPollFn).
POLLS = "polls"
POLLS_FAILED = "polls_failed"


def published(table: str) -> str:
    """Rows of ``table`` a run staged for publishing."""
    return f"published_{table}"


def counter(name: str):
    return Metrics.counter(NAMESPACE, name)


def distribution(name: str):
    return Metrics.distribution(NAMESPACE, name)
