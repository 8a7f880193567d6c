"""``redact_url`` / ``redact_text``: credentials in URLs never reach a table, a log line or the terminal.

A feed list may carry ``http://user:pass@host/feed``. The fetcher refuses such
URLs, but the URL itself would still be written into ``errors.source`` and
``excerpt`` (a world-readable Parquet file), logs and ``storywire extract``
output. Every such place goes through these functions; the userinfo becomes
``***``.
"""
from __future__ import annotations

import logging
import re
from typing import Optional

__all__ = ["redact_url", "redact_text", "RedactingFilter"]

# scheme://userinfo@ : userinfo is whatever precedes the last "@" of the authority.
_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@]*@")
MASK = "***"


def redact_url(url: Optional[str]) -> Optional[str]:
    """``url`` with any ``user:password@`` replaced by ``***@``."""
    return redact_text(url) if url else url


def redact_text(text: str) -> str:
    """``text`` with the userinfo of every URL in it replaced by ``***``."""
    if not text or "@" not in text:
        return text
    return _USERINFO_RE.sub(lambda m: f"{m.group(1)}{MASK}@", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts URL credentials in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
