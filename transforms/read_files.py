"""``ReadDocuments``: every file matching a pattern becomes one RawDocument.

Files are read through Beam's ``FileSystems`` (local paths and ``gs://`` alike)
and capped at ``Limits.max_bytes``; a file that cannot be read becomes an
errors record, never an exception.
"""
from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import BeamIOError
from apache_beam.metrics import Metrics

from transforms.model import Limits, RawDocument, error_record

__all__ = ["ReadDocuments", "ReadFileFn"]

_LOG = logging.getLogger(__name__)
ERRORS = "errors"


class ReadFileFn(beam.DoFn):
    """ReadableFile -> RawDocument, or an errors record when the file cannot be read."""

    def __init__(self, limits: Limits):
        self._limits = limits
        self._read = Metrics.counter("storywire", "documents_read")
        self._failed = Metrics.counter("storywire", "read_failed")

    def process(self, readable):
        path = readable.metadata.path
        self._read.inc()
        try:
            with readable.open(compression_type=beam.io.filesystem.CompressionTypes.UNCOMPRESSED) as fh:
                raw = fh.read(self._limits.max_bytes + 1)
        except (OSError, BeamIOError) as exc:
            self._failed.inc()
            yield beam.pvalue.TaggedOutput(ERRORS, error_record(path, "read", "unreadable", detail=str(exc)))
            return
        truncated = len(raw) > self._limits.max_bytes
        yield RawDocument(source=path, raw=raw[:self._limits.max_bytes], truncated=truncated)


class ReadDocuments(beam.PTransform):
    """Match files and read each one as a document.

    Returns:
        A ``DoOutputsTuple`` with the main output (RawDocument) and ``errors``.
    """

    def __init__(self, pattern: str, limits: Limits = Limits()):
        super().__init__()
        if not pattern:
            raise ValueError("pattern must be a non-empty file pattern")
        self._pattern = pattern
        self._limits = limits

    def expand(self, pbegin):
        return (
            pbegin
            | "MatchFiles" >> fileio.MatchFiles(self._pattern, empty_match_treatment=fileio.EmptyMatchTreatment.ALLOW)
            | "ReadMatches" >> fileio.ReadMatches(skip_directories=True)
            | "ReadFiles" >> beam.ParDo(ReadFileFn(self._limits)).with_outputs(ERRORS, main="documents")
        )
