"""``ExtractArticles``: RawDocument -> article record, or an errors record.

A thin DoFn around ``transforms.extract.document.extract_document``; the HTML
extraction sandbox (a killable worker process) is built once per DoFn
instance in ``setup()`` and closed in ``teardown()``. With ``processes`` above 1
(a local run on several cores) documents are extracted by a pool of worker
processes instead (``transforms.extract.parallel``), with the same output.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from transforms import counters
from transforms.dedup.signing import Signer
from transforms.extract.boilerplate import site_group
from transforms.extract.language import load_identifier
from transforms.extract.parallel import ExtractionPool, extract_outcome
from transforms.extract.sandbox import ExtractionSandbox
from transforms.model import Limits, error_record

__all__ = ["ExtractArticles", "ExtractFn", "ExtractOutputs"]

ERRORS = "errors"


def _excerpt(raw: bytes) -> str:
    return raw[:200].decode("utf-8", errors="replace")


class ExtractFn(beam.DoFn):
    """RawDocument -> article record, or an errors record; in ``processes`` worker processes when above 1.

    With more than one process, documents go to an ``ExtractionPool`` and their
    records come out in the order they went in (the rest of the bundle's work
    carries on meanwhile), each in its own document's window. Given ``signing``
    (a ``MinHashConfig``), they are also presigned for ``SignArticles``
    (``transforms.dedup.features``): in the workers, or with one process in
    batches here (the pool's ``in_process``). With one process and no
    ``signing``, every document is extracted where it arrives.
    """

    def __init__(self, limits: Limits, use_sandbox: bool = True, processes: int = 1, signing=None,
                 warmup_seconds: Optional[float] = None):
        if processes < 1:
            raise ValueError(f"processes must be >= 1, not {processes}")
        self._limits = limits
        self._use_sandbox = use_sandbox
        self._processes = processes
        self._signing = signing
        self._warmup_seconds = warmup_seconds
        self._sandbox = None
        self._pool = None
        self._ok = counters.counter(counters.DOCUMENTS_EXTRACTED)
        self._failed = counters.counter(counters.EXTRACT_FAILED)

    def setup(self):
        load_identifier()
        if self._processes > 1 or self._signing is not None:
            # One process presigns too, in batches as a worker does (see ExtractionPool's ``in_process``).
            signer = None if self._signing is None else Signer(self._signing).hasher()
            self._pool = ExtractionPool(self._processes, self._limits, self._use_sandbox, signer,
                                        self._warmup_seconds, in_process=self._processes == 1)
        elif self._use_sandbox:
            self._sandbox = ExtractionSandbox(self._limits)

    def teardown(self):
        for resource in (self._sandbox, self._pool):
            if resource is not None:
                resource.close()
        self._sandbox = self._pool = None

    def process(self, doc, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam, boilerplate=None):
        lines = (boilerplate or {}).get(site_group(doc), frozenset())
        if self._pool is None:
            yield from self._outputs(doc, extract_outcome(doc, self._limits, self._sandbox, lines))
            return
        for (earlier, ts, win), outcome in self._pool.submit(doc, lines, (doc, timestamp, window)):
            for out in self._outputs(earlier, outcome):
                yield _in_window(out, ts, win)

    def finish_bundle(self):
        if self._pool is None:
            return
        for (doc, ts, win), outcome in self._pool.drain():
            for out in self._outputs(doc, outcome):
                yield _in_window(out, ts, win)

    def _outputs(self, doc, outcome):
        kind = outcome[0]
        if kind == "ok":
            self._ok.inc()
            yield outcome[1]
            return
        self._failed.inc()
        if kind == "error":
            _, stage, reason, detail = outcome
            counters.counter(f"error_{reason}").inc()
            yield beam.pvalue.TaggedOutput(ERRORS, error_record(doc.source, stage, reason, _excerpt(doc.raw), detail))
        else:
            yield beam.pvalue.TaggedOutput(
                ERRORS, error_record(doc.source, "extract", "extractor_crashed", _excerpt(doc.raw), outcome[1]))


def _in_window(output, timestamp, window):
    """An output of an earlier document, stamped with that document's timestamp and window."""
    if isinstance(output, beam.pvalue.TaggedOutput):
        return beam.pvalue.TaggedOutput(output.tag, WindowedValue(output.value, timestamp, (window,)))
    return WindowedValue(output, timestamp, (window,))


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

    def __init__(self, limits: Limits = Limits(), use_sandbox: bool = True, boilerplate=None, processes: int = 1,
                 signing=None, warmup_seconds: Optional[float] = None):
        """``boilerplate``: optional side input (``AsSingleton`` of ``FindRepeatedLines``).

        ``processes``: worker processes extracting at once (1: in the DoFn's own process).
        ``signing``: a ``MinHashConfig`` to presign the articles with, in the worker processes or, with one
        process, in the DoFn's own in batches (``SignArticles`` keeps what they did).
        ``warmup_seconds``: extraction time in the DoFn's own process before the workers start
        (``ExtractionPool``).
        """
        super().__init__()
        self._limits = limits
        self._use_sandbox = use_sandbox
        self._boilerplate = boilerplate
        self._processes = processes
        self._signing = signing
        self._warmup_seconds = warmup_seconds

    def expand(self, documents):
        kwargs = {"boilerplate": self._boilerplate} if self._boilerplate is not None else {}
        sources = documents if isinstance(documents, dict) else {"": documents}
        outs = [
            docs | f"ExtractText{name.capitalize()}" >> beam.ParDo(
                ExtractFn(self._limits, self._use_sandbox, self._processes, self._signing, self._warmup_seconds),
                **kwargs).with_outputs(ERRORS, main="articles")
            for name, docs in sorted(sources.items())
        ]
        if len(outs) == 1:
            return ExtractOutputs(outs[0].articles, outs[0][ERRORS])
        return ExtractOutputs(
            [o.articles for o in outs] | "FlattenArticles" >> beam.Flatten(),
            [o[ERRORS] for o in outs] | "FlattenErrors" >> beam.Flatten())
