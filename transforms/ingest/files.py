"""``ReadDocuments``: every file matching a pattern becomes one RawDocument.

Files are read through Beam's ``FileSystems`` (local paths and ``gs://`` alike)
and capped at ``Limits.max_bytes``; a file that cannot be read becomes an
errors record, never an exception.

The matched paths are reshuffled before reading: the pattern is one element, and
without the shuffle one worker would read every file. Reading then fuses with
what consumes the documents (extraction), so a run never holds all of their
bytes at once; the boilerplate sample is read separately, from its own paths.

Every local entry the pattern matches is accounted for (``MatchInputFn``):
Beam's own matcher silently drops a dangling symlink or a symlink loop, so
local patterns are listed here and such entries reach ``ReadFileFn``, which
turns them, and anything that is not a regular file (a FIFO, a socket, a
device), into an errors record without ever opening it. A pattern that exists
literally (``in[b]``) is read literally. A file name that is not UTF-8 is read
like any other; its ``source`` is shown escaped (``display_path``) and maps
back to the name with ``path_from_display``.
"""
from __future__ import annotations

import errno
import logging
import os
import stat

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import BeamIOError, FileMetadata

from transforms.extract.boilerplate import SampleFiles
from transforms import paths
from transforms.paths import display_path, path_from_display
from transforms.model import Limits, RawDocument, error_record
from transforms import counters

__all__ = ["ReadDocuments", "ReadFileFn", "MatchInputFn", "not_readable_reason"]

_LOG = logging.getLogger(__name__)
ERRORS = "errors"


class MatchInputFn(beam.DoFn):
    """A file pattern -> ``FileMetadata`` of every non-directory entry it matches.

    Local patterns are listed here (``paths.list_local``) so that entries Beam would drop unseen
    (dangling symlinks, symlink loops) reach ``ReadFileFn`` and become errors records.
    """

    def process(self, pattern: str):
        for found in paths.match(pattern):
            if paths.is_local(found.path):
                # Elements carry the shown name: Beam's coders take only valid UTF-8 text.
                found = FileMetadata(display_path(found.path), found.size_in_bytes, found.last_updated_in_seconds)
            yield found


def not_readable_reason(path: str):
    """None for a regular file (after following links), else ``(reason, detail)``; never opens ``path``."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink_loop", f"symbolic link loop: {exc.strerror}"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return "dangling_symlink", f"symbolic link to a missing file ({os.readlink(path)!r})"
        return "unreadable", str(exc)
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return None
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a directory" if stat.S_ISDIR(mode) else "not a regular file")
    return "not_a_regular_file", f"{kind}; not opened"


class ReadFileFn(beam.DoFn):
    """ReadableFile -> RawDocument, or an errors record when the file cannot be read."""

    def __init__(self, limits: Limits, counter_prefix: str = ""):
        self._limits = limits
        # A second read of the same files (the boilerplate sample) counts under its own names.
        self._read = counters.counter(f"{counter_prefix}documents_read")
        self._failed = counters.counter(counter_prefix + counters.READ_FAILED)

    def process(self, readable):
        source = readable.metadata.path  # local: as ``display_path`` shows it (MatchInputFn)
        self._read.inc()
        try:
            if paths.is_local(source):
                path = path_from_display(source)
                refused = not_readable_reason(path)
                if refused is not None:
                    self._failed.inc()
                    yield beam.pvalue.TaggedOutput(ERRORS, error_record(source, "read", refused[0],
                                                                        detail=display_path(refused[1])))
                    return
                with open(path, "rb") as fh:
                    raw = fh.read(self._limits.max_bytes + 1)
            else:
                with readable.open(compression_type=beam.io.filesystem.CompressionTypes.UNCOMPRESSED) as fh:
                    raw = fh.read(self._limits.max_bytes + 1)
        except (OSError, BeamIOError) as exc:
            self._failed.inc()
            yield beam.pvalue.TaggedOutput(ERRORS, error_record(source, "read", "unreadable",
                                                                detail=display_path(str(exc))))
            return
        truncated = len(raw) > self._limits.max_bytes
        yield RawDocument(source=source, raw=raw[:self._limits.max_bytes], truncated=truncated)


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
        files = (pbegin
                 | "CreatePattern" >> beam.Create([paths.literal_pattern(self._pattern)])
                 | "MatchFiles" >> beam.ParDo(MatchInputFn()))
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
