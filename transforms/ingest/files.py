"""``ReadDocuments``: every file matching a pattern becomes one RawDocument.

Files are read through Beam's ``FileSystems`` (local paths and ``gs://`` alike)
and capped at ``Limits.max_bytes``; a file that cannot be read becomes an
errors record, never an exception.

The matched paths are reshuffled before reading: the pattern is one element, and
without the shuffle one worker would read every file. Reading then fuses with
what consumes the documents (extraction), so a run never holds all of their
bytes at once; the boilerplate sample is read separately, from its own paths.
"""
from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import BeamIOError

from transforms.extract.boilerplate import SampleFiles
from transforms.model import Limits, RawDocument, error_record
from transforms import counters

__all__ = ["ReadDocuments", "ReadFileFn"]

_LOG = logging.getLogger(__name__)
ERRORS = "errors"


class ReadFileFn(beam.DoFn):
    """ReadableFile -> RawDocument, or an errors record when the file cannot be read."""

    def __init__(self, limits: Limits, counter_prefix: str = ""):
        self._limits = limits
        # A second read of the same files (the boilerplate sample) counts under its own names.
        self._read = counters.counter(f"{counter_prefix}documents_read")
        self._failed = counters.counter(f"{counter_prefix}read_failed")

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

    Args:
        pattern: File pattern (a directory reads every file in it).
        limits: Byte cap per file.
        sample_docs: When > 0, also read the files ``FindRepeatedLines`` samples
            (``SampleFiles``: this many per folder) as ``sample``.

    Returns:
        A dict with ``documents`` (RawDocument), ``errors`` and, with
        ``sample_docs``, ``sample`` (RawDocument; its read errors are left to
        ``errors``, which reports every file once).
    """

    def __init__(self, pattern: str, limits: Limits = Limits(), sample_docs: int = 0):
        super().__init__()
        if not pattern:
            raise ValueError("pattern must be a non-empty file pattern")
        self._pattern = pattern
        self._limits = limits
        self._sample_docs = sample_docs

    def expand(self, pbegin):
        files = pbegin | "MatchFiles" >> fileio.MatchFiles(
            self._pattern, empty_match_treatment=fileio.EmptyMatchTreatment.ALLOW)
        read = (
            files
            | "SpreadFiles" >> beam.Reshuffle()
            | "ReadMatches" >> fileio.ReadMatches(skip_directories=True)
            | "ReadFiles" >> beam.ParDo(ReadFileFn(self._limits)).with_outputs(ERRORS, main="documents")
        )
        out = {"documents": read.documents, "errors": read[ERRORS]}
        if self._sample_docs > 0:
            out["sample"] = (
                files
                | "SampleFiles" >> SampleFiles(self._sample_docs)
                | "ReadSampleMatches" >> fileio.ReadMatches(skip_directories=True)
                | "ReadSampleFiles" >> beam.ParDo(ReadFileFn(self._limits, "sample_")).with_outputs(
                    ERRORS, main="documents")
            ).documents
        return out
