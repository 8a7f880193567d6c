"""Run-wide boilerplate: lines that repeat across many documents of one site.

A promo line ("Get the latest news delivered to your inbox"), a standing
disclaimer or a section label reads like prose to a single-document cleaner.
Seen across a run, it is the one line that appears in most of a site's pages.
``FindRepeatedLines`` counts normalised lines per site (the URL's host, or the
folder a dump came from) and hands ``ExtractArticles`` a side input of the
lines to drop; it only applies where a site contributes several documents.
"""
from __future__ import annotations

import hashlib
import os
from typing import Iterable

import apache_beam as beam

from transforms.document import site_of
from transforms.model import RawDocument
from transforms.textclean import words_of

__all__ = ["FindRepeatedLines", "site_group", "candidate_lines"]

MIN_WORDS = 5       # shorter lines are already handled as navigation/cruft
MAX_LINES = 400     # per document: a huge dump must not flood the shuffle


def site_group(doc: RawDocument) -> str:
    """Which documents count as one site: the host when known, else the folder of the file."""
    return site_of(doc.url) or os.path.dirname(doc.source) or "."


def candidate_lines(raw: bytes) -> set:
    """Normalised lines of a text dump worth counting (HTML is left to trafilatura)."""
    head = raw[:2048].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<body" in head:
        return set()
    text = raw.decode("utf-8", errors="replace")
    out = set()
    for line in text.splitlines():
        words = words_of(line)
        if len(words) >= MIN_WORDS:
            out.add(" ".join(words))
            if len(out) >= MAX_LINES:
                break
    return out


def _line_key(line: str) -> str:
    return hashlib.blake2b(line.encode(), digest_size=8).hexdigest()


class _RepeatedLinesFn(beam.DoFn):
    def __init__(self, min_docs: int, min_share: float):
        self._min_docs = min_docs
        self._min_share = min_share

    def process(self, element):
        group, items = element
        docs, counts = 0, {}
        for kind, value in items:
            if kind == "doc":
                docs += 1
            else:
                counts[value] = counts.get(value, 0) + 1
        if docs < self._min_docs:
            return
        needed = max(self._min_docs, self._min_share * docs)
        lines = frozenset(line for line, n in counts.items() if n >= needed)
        if lines:
            yield group, lines


def _emit(doc: RawDocument) -> Iterable:
    group = site_group(doc)
    yield group, ("doc", None)
    for line in candidate_lines(doc.raw):
        yield group, ("line", line)


class FindRepeatedLines(beam.PTransform):
    """Documents -> one dict {site group: frozenset of boilerplate lines}, for use as a side input.

    Args:
        min_docs: A site needs this many documents, and a line must repeat in at least this many.
        min_share: ...and in at least this share of the site's documents.
    """

    def __init__(self, min_docs: int = 3, min_share: float = 0.5):
        super().__init__()
        if min_docs < 2 or not 0.0 < min_share <= 1.0:
            raise ValueError("min_docs must be >= 2 and min_share in (0, 1]")
        self._min_docs = min_docs
        self._min_share = min_share

    def expand(self, documents):
        return (
            documents
            | "EmitSiteLines" >> beam.FlatMap(_emit)
            | "GroupBySite" >> beam.GroupByKey()
            | "KeepRepeatedLines" >> beam.ParDo(_RepeatedLinesFn(self._min_docs, self._min_share))
            | "ToDict" >> beam.combiners.ToDict()
        )
