"""One document in, one article (or a reasoned refusal) out.

``extract_document`` is the single entry point both the pipeline
(``ExtractArticles``) and ``storywire extract`` call, so what a user inspects
on the command line is exactly what the pipeline compares.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Iterable, Optional
from urllib.parse import urlsplit

from transforms.extract.charset import charset_from_content_type, decode_bytes, looks_binary
from transforms.extract.html import extract_html, looks_like_html
from transforms.extract.language import text_language
from transforms.extract.text import clean_text, find_credit
from transforms.model import Extracted, ExtractionError, Limits, RawDocument
from transforms.tokens import content_hash, count_words, tokens_hash

__all__ = ["extract_document", "article_record", "site_of"]


def site_of(url: Optional[str]) -> Optional[str]:
    """The host of a URL without ``www.``, or None."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else (host or None)


def _cap(value, limit: int):
    return value[:limit] if isinstance(value, str) else value


def _feed_fallback(doc: RawDocument, limits: Limits) -> Optional[Extracted]:
    """The feed entry's own content, when the page gave too little."""
    feed = doc.feed or {}
    html = feed.get("content_html") or feed.get("summary") or ""
    ext = extract_html(html, doc.url, limits) if "<" in html else Extracted(text=html.strip())
    if count_words(ext.text) < limits.min_words:
        return None
    ext.extractor = "feed_content"
    return ext


def _decode(doc: RawDocument) -> tuple:
    if not doc.raw or not doc.raw.strip():
        raise ExtractionError("read", "empty")
    if looks_binary(doc.raw):
        raise ExtractionError("decode", "binary", "not a text document")
    return decode_bytes(doc.raw, charset_from_content_type(doc.content_type))


def _is_html(doc: RawDocument, text: str) -> bool:
    ct = (doc.content_type or "").lower()
    return "html" in ct or "xml" in ct or looks_like_html(text)


def extract_document(
    doc: RawDocument,
    limits: Limits = Limits(),
    sandbox=None,
    boilerplate: frozenset = frozenset(),
) -> Extracted:
    """Decode, extract and vet one document.

    Args:
        doc: The raw document.
        limits: Size and time limits.
        sandbox: An ``ExtractionSandbox`` bounding HTML extraction time and memory;
            None runs trafilatura in-process (for one-off command-line use).
        boilerplate: Normalised lines known to be site boilerplate in this run.

    Raises:
        ExtractionError: empty, binary, undecodable, timed out, or too short.
    """
    text, encoding, notes = _decode(doc)
    if _is_html(doc, text):
        if sandbox is not None:
            ext = sandbox.extract(text, doc.url)
        else:
            ext = extract_html(text, doc.url, limits)
    else:
        ext = clean_text(text, doc.source, boilerplate)
    ext.notes = tuple(ext.notes) + tuple(notes) + (("truncated_bytes",) if doc.truncated else ())
    if doc.feed and doc.feed.get("fallback") == "feed_content":
        # The page could not be fetched; these bytes are the feed entry's own content.
        ext.extractor = "feed_content"

    if doc.feed and count_words(ext.text) < limits.min_words:
        fallback = _feed_fallback(doc, limits)
        if fallback is not None:
            fallback.notes = tuple(fallback.notes) + ("page_text_too_short",)
            ext = fallback
    if doc.feed:
        ext.title = ext.title or doc.feed.get("title")
        if ext.published is None and doc.feed.get("published"):
            try:
                ext.published = dt.datetime.fromisoformat(doc.feed["published"])
            except (TypeError, ValueError):
                pass
    if ext.credited_source is None:
        ext.credited_source = find_credit(ext.text, ext.byline)

    if len(ext.text) > limits.max_text_chars:
        ext.text = ext.text[:limits.max_text_chars]
        ext.notes = tuple(ext.notes) + ("truncated_text",)
    for field in ("title", "byline", "site", "language", "url", "description", "credited_source"):
        setattr(ext, field, _cap(getattr(ext, field), limits.max_field_chars))

    n_words = ext.n_words = count_words(ext.text)
    if n_words == 0 and count_words(text[:20_000]) >= limits.min_words:
        # Plenty of words, none of them an article: a page of navigation or listings.
        raise ExtractionError("extract", "no_text", "no article text found")
    if n_words < limits.min_words:
        raise ExtractionError("filter", "too_short", f"{n_words} words < {limits.min_words}")
    # A page declares its template's language; the text may be a story in another one.
    ext.language = text_language(ext.text, ext.language)
    return ext


def article_record(doc: RawDocument, ext: Extracted, tokens: Optional[Iterable[str]] = None) -> dict:
    """The article row (before clustering fields) for an extracted document. ``tokens``: ``words(ext.text)``
    (or its lines' words, in order), when the caller has them (``tokens_hash``)."""
    chash = content_hash(ext.text) if tokens is None else tokens_hash(tokens)
    url = ext.url or doc.url
    identity = url or os.path.basename(doc.source.rstrip("/")) or doc.source
    article_id = hashlib.blake2b(f"{identity}|{chash}".encode(), digest_size=8).hexdigest()
    published = ext.published
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=dt.timezone.utc)
    return {
        "article_id": article_id,
        "source": doc.source,
        "url": url,
        "site": ext.site or site_of(url),
        "title": ext.title,
        "byline": ext.byline,
        "credited_source": ext.credited_source,
        "published": published,
        "language": ext.language,
        "text": ext.text,
        # Counted once: a text dump's words took ~40 us to count, a fortieth of its extraction.
        "n_words": ext.n_words if ext.n_words is not None else count_words(ext.text),
        "content_hash": chash,
        "extractor": ext.extractor,
    }
