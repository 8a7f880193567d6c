"""Plain data types shared by the readers, extractors and writers.

Every stage passes these (or dicts built from them) instead of ad-hoc tuples,
so a field added here is visible to every reader of the record.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

from transforms.redact import redact_text

__all__ = ["RawDocument", "Extracted", "ExtractionError", "Limits", "error_record"]


@dataclasses.dataclass
class RawDocument:
    """Bytes as read from a file or fetched from the web, before extraction.

    Attributes:
        source: The path or URL the bytes came from (shown to users).
        raw: The undecoded bytes, already capped at ``Limits.max_bytes``.
        url: The article's URL when known (feeds, saved pages); None for dumps.
        content_type: The HTTP ``Content-Type`` header, when fetched.
        truncated: True when ``raw`` was cut at the byte cap.
        feed: Metadata from the feed entry that pointed here (title,
            published, summary, feed_url), or None for files.
    """

    source: str
    raw: bytes
    url: Optional[str] = None
    content_type: Optional[str] = None
    truncated: bool = False
    feed: Optional[dict] = None


@dataclasses.dataclass
class Extracted:
    """Clean article text plus metadata, as every extractor returns it."""

    text: str
    title: Optional[str] = None
    byline: Optional[str] = None
    published: Optional[dt.datetime] = None  # timezone-aware UTC
    site: Optional[str] = None
    language: Optional[str] = None
    url: Optional[str] = None  # canonical URL when the page declares one
    description: Optional[str] = None
    credited_source: Optional[str] = None  # wire/outlet credited, e.g. "CNN"
    extractor: str = "unknown"  # which path produced text: trafilatura, baseline, textclean, feed...
    notes: tuple = ()  # reduced-form processing applied (truncated, flattened, charset-guessed...)
    n_words: Optional[int] = None  # words of ``text``, counted when ``extract_document`` vetted it


class ExtractionError(Exception):
    """A document that cannot become an article.

    Args:
        stage: Pipeline stage that refused it ("read", "decode", "extract", "filter", "fetch", ...).
        reason: Short machine-friendly reason ("empty", "binary", "too_short", "timeout", ...).
        detail: Optional human-readable detail.
    """

    def __init__(self, stage: str, reason: str, detail: str = ""):
        super().__init__(f"{stage}: {reason}" + (f" ({detail})" if detail else ""))
        self.stage = stage
        self.reason = reason
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-document resource limits; every one is a pipeline option."""

    max_bytes: int = 5_000_000          # bytes read per file or HTTP body (after decoding)
    max_field_chars: int = 2_000        # title/byline/site/description etc.
    max_text_chars: int = 200_000       # article text kept
    max_html_depth: int = 200           # deeper HTML is flattened before trafilatura
    max_html_elements: int = 30_000     # HTML opening more elements is cut after that many before parsing
    extract_timeout_s: float = 20.0     # wall time per document for HTML extraction
    extract_memory_mb: int = 1024       # address-space cap of the extraction worker process
    min_words: int = 30                 # fewer words -> errors table, reason too_short
    feed_budget_s: float = 120.0        # wall time to fetch one feed's articles (0 = none); the rest: reason budget


def error_record(source: str, stage: str, reason: str, excerpt: str = "", detail: str = "") -> dict:
    """The one shape of an errors-table record (see schemas.ERRORS_SCHEMA); URL credentials are redacted."""
    text = redact_text(" | ".join(part for part in (detail, excerpt) if part))
    return {"source": redact_text(source), "stage": stage, "reason": reason, "excerpt": text[:300]}
