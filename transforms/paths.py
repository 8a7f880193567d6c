"""Paths as storywire lists, deletes, stores and shows them.

* ``display_path`` / ``path_from_display``: POSIX file names are bytes. Python
  hands a name that is not UTF-8 over with its undecodable bytes as lone
  surrogates (``surrogateescape``), which no Parquet column, Beam coder, JSON
  line or terminal can take; such a name is stored escaped, reversibly.
* ``match`` / ``delete``: Beam's ``FileSystems.match`` and ``delete`` read
  ``*?[`` in every path as glob syntax, so a dataset at ``out[1]`` matched
  nothing and its staging folder could not be deleted. Here a leading part of a
  local pattern that exists as written is taken literally
  (``escape_existing_prefix``), local deletes never glob, and local listings
  use ``lstat`` so that broken symlinks are listed rather than dropped unseen.
  Remote paths (``gs://``) go to Beam unchanged.
"""
from __future__ import annotations

import codecs
import glob
import os
import re
import shutil
import warnings
from typing import Iterator, List

from apache_beam.io.filesystem import FileMetadata, FileSystem
from apache_beam.io.filesystems import FileSystems

__all__ = ["display_path", "path_from_display", "is_local", "literal_pattern", "escape_existing_prefix",
           "list_local", "match", "delete"]

_GLOB_CHARS = "*?["
_ESCAPED_GLOB = re.compile(r"\[([*?[])\]")


def display_path(path: str) -> str:
    """``path`` as stored and shown: each ``\\`` doubled and each byte that is not UTF-8 as ``\\xNN``.

    Python decodes such bytes of a file name to lone surrogates (``surrogateescape``), which no
    Parquet column, log line or terminal can take. The escaping is reversible: ``path_from_display``.
    """
    if "\\" not in path and not any("\udc80" <= ch <= "\udcff" for ch in path):
        return path
    raw = path.encode("utf-8", "surrogateescape").replace(b"\\", b"\\\\")
    return raw.decode("utf-8", "backslashreplace")


def path_from_display(shown: str) -> str:
    """The file name ``display_path`` showed as ``shown`` (surrogate-escaped, as ``os`` takes it)."""
    if "\\" not in shown:
        return shown
    return os.fsdecode(codecs.escape_decode(shown.encode("utf-8"))[0])


def is_local(path: str) -> bool:
    return "://" not in path


def literal_pattern(pattern: str) -> str:
    """``pattern`` with its glob characters escaped when it names an existing local path as written.

    ``--input 'in[b]'`` then reads the folder ``in[b]`` (or the file) rather than matching ``inb``.
    """
    if is_local(pattern) and any(ch in pattern for ch in _GLOB_CHARS) and os.path.lexists(pattern):
        return glob.escape(pattern)
    return pattern


def _has_glob(part: str) -> bool:
    return any(ch in _ESCAPED_GLOB.sub("", part) for ch in _GLOB_CHARS)


def escape_existing_prefix(pattern: str) -> str:
    """Escape the leading folders of a local ``pattern`` that exist as written (``out[1]/index/*.parquet``)."""
    if not is_local(pattern) or not _has_glob(pattern):
        return pattern
    parts = pattern.split(os.sep)
    done = 0
    for i in range(1, len(parts) + 1):
        prefix = os.sep.join(parts[:i])
        if prefix and _has_glob(prefix) and os.path.lexists(prefix):
            done = i
    if not done:
        return pattern
    return os.sep.join([glob.escape(os.sep.join(parts[:done]))] + parts[done:])


def list_local(pattern: str) -> Iterator[tuple]:
    """Every non-directory entry matching a local ``pattern``: (path, size, mtime), broken links included.

    The same matching rules as Beam's ``LocalFileSystem.match`` (``*`` within a folder, ``**``
    across folders; ``[[]`` is a literal ``[``), walking only below the pattern's literal folders.
    """
    if pattern.endswith(("/", "\\")):
        pattern += "*"
    if not _has_glob(pattern):
        literal = _ESCAPED_GLOB.sub(r"\1", pattern)
        candidates = [literal] if os.path.lexists(literal) and not os.path.isdir(literal) else []
    else:
        parts = pattern.split(os.sep)
        fixed = 0
        while fixed < len(parts) - 1 and not _has_glob(parts[fixed]):
            fixed += 1
        root = _ESCAPED_GLOB.sub(r"\1", os.sep.join(parts[:fixed]))
        if fixed == 1 and parts[0] == "":
            root = os.sep
        with warnings.catch_warnings():  # "possible nested set" for an escaped "[[]"
            warnings.simplefilter("ignore", FutureWarning)
            regex = re.compile(FileSystem.translate_pattern(pattern))
        candidates = []
        for folder, _, names in os.walk(root or "."):
            for name in names:
                path = os.path.join(folder, name) if root else os.path.relpath(os.path.join(folder, name))
                if regex.match(path):
                    candidates.append(path)
    for path in sorted(candidates):
        try:
            info = os.lstat(path)
        except OSError:
            continue  # gone since it was listed
        yield path, info.st_size, info.st_mtime


def match(pattern: str) -> List[FileMetadata]:
    """``FileMetadata`` of the files matching ``pattern`` (local: see ``list_local``; [] when none)."""
    if not is_local(pattern):
        return list(FileSystems.match([pattern])[0].metadata_list)
    return [FileMetadata(path, size, mtime) for path, size, mtime in list_local(escape_existing_prefix(pattern))]


def delete(paths: List[str]) -> None:
    """Delete files or folders (recursively) at exactly these paths; never globbed when local."""
    remote = [p for p in paths if not is_local(p)]
    if remote:
        FileSystems.delete(remote)
    for path in paths:
        if not is_local(path):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
