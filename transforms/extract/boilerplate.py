"""Run-wide boilerplate: lines that repeat across many documents of one site.

A promo line ("Get the latest news delivered to your inbox"), a standing
disclaimer or a section label reads like prose to a single-document cleaner.
Seen across a run, it is the one line that appears in most of a site's pages.
``FindRepeatedLines`` counts normalised lines per site (the URL's host, or the
folder a dump came from) and hands ``ExtractArticles`` a side input of the
lines to drop; it only applies where a site contributes several documents.

Lines are counted in a sample of each site's documents, not all of them: the
``SAMPLE_DOCS`` with the smallest hash of their source (bottom-k, so the same
documents are chosen on every worker and every run). A combiner keeps only
those per site, so what one worker holds is bounded by the sample, not by the
site (one folder of dumps is one site, however many files it holds). A line on
half of a site's pages is on 50% +- 3% of a 256-document sample.

For files the sample is chosen before anything is read (``SampleFiles``: a
folder and a path are all the ranking needs), so only the sampled files are
read for counting, and the documents themselves go from reading straight into
extraction instead of waiting, all of them at once, for this side input.
"""
from __future__ import annotations

import hashlib
import os
from typing import Iterable

import apache_beam as beam

from transforms.extract.document import site_of
from transforms.model import RawDocument
from transforms.extract.reflow import dump_lines
from transforms.extract.text import words_of
from transforms import counters

__all__ = ["FindRepeatedLines", "SampleFiles", "site_group", "candidate_lines", "repeated_lines", "sample_rank"]

MIN_WORDS = 5       # shorter lines are already handled as navigation/cruft
MAX_LINES = 400     # per document: a huge dump must not flood the shuffle
SAMPLE_DOCS = 256   # per site


def site_group(doc: RawDocument) -> str:
    """Which documents count as one site: the host when known, else the folder of the file."""
    return site_of(doc.url) or _folder_of(doc.source)


def _folder_of(path: str) -> str:
    return os.path.dirname(path) or "."


def candidate_lines(raw: bytes) -> set:
    """Normalised lines of a text dump worth counting (HTML is left to trafilatura)."""
    head = raw[:2048].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml")) or b"<body" in head:
        return set()
    text = raw.decode("utf-8", errors="replace")
    out = set()
    for line in dump_lines(text):
        words = words_of(line)
        if len(words) >= MIN_WORDS:
            out.add(" ".join(words))
            if len(out) >= MAX_LINES:
                break
    return out


def sample_rank(source: str) -> int:
    """Where a document falls in its site's sample: a stable hash of where it came from."""
    return int.from_bytes(hashlib.blake2b(source.encode(), digest_size=8).digest(), "big")


def repeated_lines(sample: Iterable, min_docs: int, min_share: float) -> frozenset:
    """Lines found in at least ``min_docs`` and ``min_share`` of the sampled documents' line sets."""
    docs, counts = 0, {}
    for lines in sample:
        docs += 1
        for line in lines:
            counts[line] = counts.get(line, 0) + 1
    if docs < min_docs:
        return frozenset()
    needed = max(min_docs, min_share * docs)
    return frozenset(line for line, n in counts.items() if n >= needed)


class _RepeatedLinesFn(beam.DoFn):
    def __init__(self, min_docs: int, min_share: float):
        self._min_docs = min_docs
        self._min_share = min_share
        self._sampled = counters.distribution("boilerplate_sample_docs")

    def process(self, element):
        group, sample = element
        self._sampled.update(len(sample))
        lines = repeated_lines((lines for _, lines in sample), self._min_docs, self._min_share)
        if lines:
            yield group, lines


def _sample_entry(doc: RawDocument) -> tuple:
    return site_group(doc), (sample_rank(doc.source), tuple(sorted(candidate_lines(doc.raw))))


def _file_sample_entry(metadata) -> tuple:
    # What site_group and sample_rank make of the RawDocument ReadFileFn builds from this file (no URL).
    path = metadata.path
    return _folder_of(path), (sample_rank(path), path)


class SampleFiles(beam.PTransform):
    """FileMetadata -> the paths of the files ``FindRepeatedLines`` would sample, per folder.

    The same bottom-k as ``FindRepeatedLines`` (a file's folder is its site), so
    counting lines in just these files gives the same boilerplate as reading all.
    """

    def __init__(self, sample_docs: int = SAMPLE_DOCS):
        super().__init__()
        self._sample_docs = sample_docs

    def expand(self, files):
        return (
            files
            | "KeyFilesByFolder" >> beam.Map(_file_sample_entry)
            | "SampleFolderFiles" >> beam.combiners.Top.SmallestPerKey(self._sample_docs)
            | "SampledPaths" >> beam.FlatMap(lambda kv: [path for _, path in kv[1]])
        )


class FindRepeatedLines(beam.PTransform):
    """Documents -> one dict {site group: frozenset of boilerplate lines}, for use as a side input.

    Args:
        min_docs: A site needs this many documents, and a line must repeat in at least this many.
        min_share: ...and in at least this share of the site's documents (of its sample).
        sample_docs: How many of a site's documents are looked at.
    """

    def __init__(self, min_docs: int = 3, min_share: float = 0.5, sample_docs: int = SAMPLE_DOCS):
        super().__init__()
        if min_docs < 2 or not 0.0 < min_share <= 1.0 or sample_docs < min_docs:
            raise ValueError("min_docs must be >= 2, min_share in (0, 1] and sample_docs >= min_docs")
        self._min_docs = min_docs
        self._min_share = min_share
        self._sample_docs = sample_docs

    def expand(self, documents):
        return (
            documents
            | "KeyLinesBySite" >> beam.Map(_sample_entry)
            | "SampleSiteDocuments" >> beam.combiners.Top.SmallestPerKey(self._sample_docs)
            | "KeepRepeatedLines" >> beam.ParDo(_RepeatedLinesFn(self._min_docs, self._min_share))
            | "ToDict" >> beam.combiners.ToDict()
        )
