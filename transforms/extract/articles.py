"""``ExtractArticles``: RawDocument -> article record, or an errors record.

A thin DoFn around ``transforms.extract.document.extract_document``; the HTML
extraction sandbox (a killable worker process) is built once per DoFn
instance in ``setup()`` and closed in ``teardown()``.
"""
from __future__ import annotations

import logging
from typing import NamedTuple

import apache_beam as beam

from transforms import counters
from transforms.extract.boilerplate import site_group
from transforms.extract.document import article_record, extract_document
from transforms.extract.sandbox import ExtractionSandbox
from transforms.model import ExtractionError, Limits, error_record

__all__ = ["ExtractArticles", "ExtractFn", "ExtractOutputs"]

_LOG = logging.getLogger(__name__)
ERRORS = "errors"


def _excerpt(raw: bytes) -> str:
    return raw[:200].decode("utf-8", errors="replace")


class ExtractFn(beam.DoFn):
    def __init__(self, limits: Limits, use_sandbox: bool = True):
        self._limits = limits
        self._use_sandbox = use_sandbox
        self._sandbox = None
        self._ok = counters.counter(counters.DOCUMENTS_EXTRACTED)
        self._failed = counters.counter(counters.EXTRACT_FAILED)

    def setup(self):
        if self._use_sandbox:
            self._sandbox = ExtractionSandbox(self._limits)

    def teardown(self):
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None

    def process(self, doc, boilerplate=None):
        lines = (boilerplate or {}).get(site_group(doc), frozenset())
        try:
            ext = extract_document(doc, self._limits, sandbox=self._sandbox, boilerplate=lines)
        except ExtractionError as exc:
            self._failed.inc()
            counters.counter(f"error_{exc.reason}").inc()
            yield beam.pvalue.TaggedOutput(
                ERRORS, error_record(doc.source, exc.stage, exc.reason, _excerpt(doc.raw), exc.detail))
            return
        except Exception as exc:  # noqa: BLE001 - a library bug on one page must not sink the run
            _LOG.warning("extraction crashed on %s: %r", doc.source, exc)
            self._failed.inc()
            yield beam.pvalue.TaggedOutput(
                ERRORS, error_record(doc.source, "extract", "extractor_crashed", _excerpt(doc.raw), repr(exc)))
            return
        self._ok.inc()
        yield article_record(doc, ext)


class ExtractOutputs(NamedTuple):
    articles: beam.PCollection
    errors: beam.PCollection


class ExtractArticles(beam.PTransform):
    """Extract clean text and metadata from every document.

    Input: a PCollection of RawDocument, or a dict ``{source name: PCollection}``.
    Each source is extracted where it is read (one ParDo per source, fused with its
    reader) and only the articles are flattened: flattening the documents first
    would make a local runner hold every document's bytes at once.
    """

    def __init__(self, limits: Limits = Limits(), use_sandbox: bool = True, boilerplate=None):
        """``boilerplate``: optional side input (``AsSingleton`` of ``FindRepeatedLines``)."""
        super().__init__()
        self._limits = limits
        self._use_sandbox = use_sandbox
        self._boilerplate = boilerplate

    def expand(self, documents):
        kwargs = {"boilerplate": self._boilerplate} if self._boilerplate is not None else {}
        sources = documents if isinstance(documents, dict) else {"": documents}
        outs = [
            docs | f"ExtractText{name.capitalize()}" >> beam.ParDo(
                ExtractFn(self._limits, self._use_sandbox), **kwargs).with_outputs(ERRORS, main="articles")
            for name, docs in sorted(sources.items())
        ]
        if len(outs) == 1:
            return ExtractOutputs(outs[0].articles, outs[0][ERRORS])
        return ExtractOutputs(
            [o.articles for o in outs] | "FlattenArticles" >> beam.Flatten(),
            [o[ERRORS] for o in outs] | "FlattenErrors" >> beam.Flatten())
