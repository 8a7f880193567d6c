"""What earlier feed runs left behind: validators and URLs already ingested.

Layout under a state directory (local path or ``gs://...``; all I/O goes
through ``apache_beam.io.filesystems.FileSystems``)::

    <state_dir>/feeds/validators.json
        {"version": 1, "feeds": {"<feed url>": {"etag": "...", "last_modified": "...",
                                               "updated_at": "<ISO time>"}}}
    <state_dir>/seen/urls-<UTC time>-<random>.txt
        one canonical article URL per line; each run adds one shard

Every file is written to a temporary name and then renamed, so a reader
never sees half a file. Seen URLs are append-only shards rather than one
rewritten file, so an interrupted run cannot lose earlier runs' URLs; once
there are more than ``max_shards`` shards they are merged into one. The store
assumes one writer at a time (one scheduled run), which is how storywire runs.

Public: ``FeedState``.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Iterable, Iterator, Mapping, Optional

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms import paths

__all__ = ["FeedState"]

logger = logging.getLogger(__name__)

_VALIDATORS = ("feeds", "validators.json")
_SEEN_DIR = "seen"
_SEEN_PREFIX = "urls-"


class FeedState:
    """Reads and atomically writes feed state under ``state_dir``.

    Args:
        state_dir: Directory (created on first write) for the state files.
        max_shards: Seen-URL shards kept before they are merged into one.

    Example:
        >>> state = FeedState("/tmp/storywire-state")
        >>> state.load_validators().get("https://example.com/feed.xml", {}).get("etag")
        >>> state.save_validators({"https://example.com/feed.xml": {"etag": '"abc"'}})
        >>> state.add_seen_urls(["https://example.com/a"]); "https://example.com/a" in state.load_seen_urls()
        True
    """

    def __init__(self, state_dir: str, max_shards: int = 64):
        if not state_dir:
            raise ValueError("state_dir must be a non-empty path")
        self.state_dir = state_dir.rstrip("/") or "/"
        self.max_shards = max_shards

    # ------------------------------------------------------------------ plumbing
    def _path(self, *parts: str) -> str:
        return FileSystems.join(self.state_dir, *parts)

    @staticmethod
    def _read(path: str) -> Optional[bytes]:
        if not FileSystems.exists(path):
            return None
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            return handle.read()

    @staticmethod
    def _write_atomic(path: str, data: bytes) -> None:
        temp = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
        try:
            with FileSystems.create(temp, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                handle.write(data)
            FileSystems.rename([temp], [path])
        except BaseException:
            try:
                if FileSystems.exists(temp):
                    paths.delete([temp])
            except Exception:  # noqa: BLE001 - keep the original error
                logger.warning("could not remove temporary state file %s", temp)
            raise

    # ------------------------------------------------------------------ validators
    def load_validators(self) -> dict:
        """``{feed_url: {"etag": str|None, "last_modified": str|None, ...}}``.

        A missing or unreadable file is an empty state (logged), never an error:
        the worst outcome is one unconditional fetch per feed.
        """
        path = self._path(*_VALIDATORS)
        try:
            raw = self._read(path)
            if raw is None:
                return {}
            data = json.loads(raw.decode("utf-8"))
            feeds = data.get("feeds", {}) if isinstance(data, dict) else {}
            return {url: dict(v) for url, v in feeds.items() if isinstance(v, dict)}
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            logger.warning("ignoring unreadable feed state %s: %s", path, exc)
            return {}

    def save_validators(self, updates: Mapping[str, Mapping[str, Optional[str]]]) -> None:
        """Merge ``updates`` (feed URL -> etag/last_modified) into the stored file.

        A feed whose update has neither an ETag nor a Last-Modified is removed,
        so the next run fetches it unconditionally.
        """
        if not updates:
            return
        feeds = self.load_validators()
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        for url, values in updates.items():
            etag, modified = values.get("etag"), values.get("last_modified")
            if etag or modified:
                feeds[url] = {"etag": etag, "last_modified": modified, "updated_at": now}
            else:
                feeds.pop(url, None)
        payload = json.dumps({"version": 1, "feeds": feeds}, indent=1, sort_keys=True).encode("utf-8")
        self._write_atomic(self._path(*_VALIDATORS), payload)

    # ------------------------------------------------------------------ seen URLs
    def _shards(self) -> list:
        pattern = self._path(_SEEN_DIR, _SEEN_PREFIX + "*.txt")
        try:
            matches = paths.match(pattern)
        except Exception as exc:  # noqa: BLE001 - BeamIOError and friends: nothing stored yet
            logger.debug("no seen-URL shards under %s: %s", pattern, exc)
            return []
        return sorted(m.path for m in matches)

    def iter_seen_urls(self) -> Iterator[str]:
        """Every URL recorded by earlier runs (may repeat across shards)."""
        for shard in self._shards():
            raw = self._read(shard)
            if raw is None:
                continue
            for line in raw.decode("utf-8", errors="replace").splitlines():
                line = line.strip()
                if line:
                    yield line

    def load_seen_urls(self) -> set:
        """The set of URLs ingested by earlier runs."""
        return set(self.iter_seen_urls())

    def add_seen_urls(self, urls: Iterable[str]) -> Optional[str]:
        """Record ``urls`` as ingested, in a new shard; returns its path (None if empty)."""
        unique = sorted({u.strip() for u in urls if u and u.strip() and "\n" not in u})
        if not unique:
            return None
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = self._path(_SEEN_DIR, f"{_SEEN_PREFIX}{stamp}-{uuid.uuid4().hex[:8]}.txt")
        self._write_atomic(path, ("\n".join(unique) + "\n").encode("utf-8"))
        shards = self._shards()
        if len(shards) > self.max_shards:
            self._compact(shards)
        return path

    def _compact(self, shards: list) -> None:
        """Merge ``shards`` into one new shard, then delete them."""
        merged: set = set()
        for shard in shards:
            raw = self._read(shard) or b""
            merged.update(line.strip() for line in raw.decode("utf-8", errors="replace").splitlines()
                          if line.strip())
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = self._path(_SEEN_DIR, f"{_SEEN_PREFIX}{stamp}-merged-{uuid.uuid4().hex[:8]}.txt")
        # Write the merged shard before deleting anything: a crash in between
        # leaves duplicates, never a gap.
        self._write_atomic(path, ("\n".join(sorted(merged)) + "\n").encode("utf-8"))
        paths.delete(shards)
