"""How a file name is stored and shown: ``display_path`` and its inverse ``path_from_display``.

POSIX file names are bytes. Python hands a name that is not UTF-8 over with its
undecodable bytes as lone surrogates (``surrogateescape``), which no Parquet
column, JSON line or terminal can take; such a name is stored escaped instead.
"""
from __future__ import annotations

import codecs
import os

__all__ = ["display_path", "path_from_display"]


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
