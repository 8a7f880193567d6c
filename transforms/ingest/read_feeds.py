"""``ReadFeeds``: live RSS/Atom feeds in, one RawDocument per new article out.

Graph (labels as they appear in the job)::

    CreateFeedList -> ReadFeedList -> ReshuffleFeeds -> FetchFeeds -> ParseFeeds --+
    CreateStateDir -> ReadSeenUrls ------------------------------------------------+-> DedupeUrls
      -> PickNewEntries -> ReshuffleArticles -> FetchArticles -> documents
    FetchFeeds.validators + FetchArticles.seen -> GroupState -> RecordFeedState
    every step's errors -> CollectErrors -> errors

* Conditional GET: each feed's ETag/Last-Modified from the state directory is
  sent; a 304 stops there (counted as ``feeds_not_modified``).
* An article URL seen in several feeds is fetched once (the entry with the
  most feed content wins); one ingested by an earlier run is skipped.
* When the article page cannot be fetched (or is not HTML) and the feed's own
  content has at least ``min_fallback_words`` words, the document is the
  feed content, marked ``feed["fallback"] = "feed_content"``; otherwise an
  errors record with the fetch reason.
* Fetches run on a small thread pool inside each DoFn (``max_in_flight``),
  bounded per host by the fetcher's ``per_host_concurrency``.

Usage::

    outputs = pipeline | "ReadFeeds" >> ReadFeeds("seeds/feeds.opml", state_dir="state/")
    outputs["documents"], outputs["errors"], outputs["state"]

Public: ``ReadFeeds``.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import logging
import threading
import time
from typing import Any, Iterator, Optional

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.utils.windowed_value import WindowedValue

from transforms import counters
from transforms.ingest.feed_state import FeedState
from transforms.ingest.feeds import html_to_text, parse_feed, read_feed_list
from transforms.ingest.fetch import FetchConfig, Fetcher
from transforms.model import ExtractionError, Limits, RawDocument, error_record
from transforms.tokens import count_words

__all__ = ["ReadFeeds", "fetch_page", "page_document"]

logger = logging.getLogger(__name__)

_FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
                "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
_HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1"
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
_MAX_FEED_LIST_BYTES = 10_000_000


def _count(name: str, n: int = 1) -> None:
    if n:
        counters.counter(name).inc(n)


def _excerpt(body: bytes, size: int = 200) -> str:
    return body[:size].decode("utf-8", errors="replace")


def _error(source: str, stage: str, reason: str, detail: str = "", excerpt: str = "") -> dict:
    """``error_record`` that keeps the detail alone when there is no excerpt."""
    if not excerpt:
        return error_record(source, stage, reason, excerpt=detail)
    return error_record(source, stage, reason, excerpt=excerpt, detail=detail)


def fetch_page(fetcher: Fetcher, url: str, timeout: Optional[float] = None) -> tuple:
    """GET an article page as the pipeline does: ``(FetchResult, reason)``, reason None when usable.

    Also ``storywire extract URL``'s path, so what it prints is what the pipeline compares.
    """
    result = fetcher.fetch(url, {"Accept": _HTML_ACCEPT}, timeout=timeout)
    reason = result.error_reason
    if reason is None:
        content_type = result.headers.get("content-type")  # the fetcher lower-cases header names
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type and media_type not in _HTML_TYPES:
            reason = "unsupported_content_type"
        elif not result.body.strip():
            reason = "empty_body"
    return result, reason


def page_document(url: str, result, feed: Optional[dict] = None) -> RawDocument:
    """The RawDocument of a page ``fetch_page`` found usable (its Content-Type is the charset hint)."""
    return RawDocument(source=url, raw=result.body, url=url, content_type=result.headers.get("content-type"),
                       feed=feed)


class _Outputs:
    """Outputs a worker thread produced, emitted later by the DoFn's thread.

    Beam metrics and outputs belong to the bundle's thread, so worker threads
    only collect them here.
    """

    def __init__(self) -> None:
        self.items: list = []      # (tag or None, value)
        self.counters: list = []   # (name, n)

    def out(self, value: Any, tag: Optional[str] = None) -> None:
        self.items.append((tag, value))

    def count(self, name: str, n: int = 1) -> None:
        self.counters.append((name, n))


class _ConcurrentFetchFn(beam.DoFn):
    """Runs ``work`` on a thread pool; one ``Fetcher`` per DoFn instance.

    Args:
        fetch_config: Passed to ``Fetcher`` in ``setup()``.
        max_in_flight: Elements fetched concurrently per bundle.
    """

    def __init__(self, fetch_config: FetchConfig, max_in_flight: int):
        self._config = fetch_config
        self._max_in_flight = max(1, max_in_flight)
        self._fetcher: Optional[Fetcher] = None
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._pending: dict = {}  # future -> (timestamp, window) of its element

    def setup(self) -> None:
        self._fetcher = Fetcher(self._config)
        self._pool = concurrent.futures.ThreadPoolExecutor(self._max_in_flight,
                                                           thread_name_prefix=type(self).__name__)

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._fetcher is not None:
            self._fetcher.close()

    def start_bundle(self) -> None:
        self._pending = {}

    def work(self, element: Any, outputs: _Outputs) -> None:
        raise NotImplementedError

    def _run(self, element: Any) -> _Outputs:
        outputs = _Outputs()
        try:
            self.work(element, outputs)
        except Exception as exc:  # noqa: BLE001 - a bug on one element must not sink the run
            logger.exception("unexpected failure in %s", type(self).__name__)
            source = element[0] if isinstance(element, tuple) else (element or {}).get("feed_url", "?")
            outputs.out(_error(str(source), "internal", "unexpected_error", detail=repr(exc)[:200]),
                        "errors")
            outputs.count("internal_errors")
        return outputs

    @staticmethod
    def _emit(outputs: _Outputs, timestamp, window) -> Iterator:
        for name, n in outputs.counters:
            _count(name, n)
        for tag, value in outputs.items:
            # Results surface while other elements are processed (or in
            # finish_bundle), so each carries its own element's timestamp and
            # window explicitly; this also holds in the streaming graph.
            windowed = WindowedValue(value, timestamp, (window,))
            yield pvalue.TaggedOutput(tag, windowed) if tag else windowed

    def process(self, element: Any, timestamp=beam.DoFn.TimestampParam,
                window=beam.DoFn.WindowParam) -> Iterator:
        while len(self._pending) >= self._max_in_flight:
            done, _ = concurrent.futures.wait(self._pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                yield from self._emit(future.result(), *self._pending.pop(future))
        self._pending[self._pool.submit(self._run, element)] = (timestamp, window)

    def finish_bundle(self) -> Iterator:
        pending, self._pending = self._pending, {}
        for future in concurrent.futures.as_completed(pending):
            yield from self._emit(future.result(), *pending[future])


class ReadFeedListFn(beam.DoFn):
    """Feed list path (glob allowed) -> ``{"feed_url", "etag", "last_modified"}``."""

    def __init__(self, state_dir: Optional[str]):
        self._state_dir = state_dir

    def process(self, pattern: str) -> Iterator:
        try:
            files = [m.path for m in FileSystems.match([pattern])[0].metadata_list]
        except Exception as exc:  # noqa: BLE001 - BeamIOError: report, do not crash
            files = []
            logger.warning("cannot list feed list %s: %s", pattern, exc)
        if not files:
            yield pvalue.TaggedOutput("errors", _error(pattern, "read_feed_list", "not_found"))
            return
        validators = FeedState(self._state_dir).load_validators() if self._state_dir else {}
        seen: set = set()
        for path in sorted(files):
            try:
                with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                    data = handle.read(_MAX_FEED_LIST_BYTES + 1)
                if len(data) > _MAX_FEED_LIST_BYTES:
                    raise ExtractionError("feeds", "too_large", f"over {_MAX_FEED_LIST_BYTES} bytes")
                urls = read_feed_list(data)
            except ExtractionError as exc:
                yield pvalue.TaggedOutput("errors", _error(path, "read_feed_list", exc.reason,
                                                           detail=exc.detail))
                continue
            except OSError as exc:
                yield pvalue.TaggedOutput("errors", _error(path, "read_feed_list", "unreadable",
                                                           detail=str(exc)[:200]))
                continue
            for url in urls:
                if url in seen:
                    continue
                seen.add(url)
                known = validators.get(url, {})
                _count("feeds_listed")
                yield {"feed_url": url, "etag": known.get("etag"), "last_modified": known.get("last_modified")}


class FetchFeedsFn(_ConcurrentFetchFn):
    """Conditional GET of each feed.

    Outputs: main ``{"feed_url", "final_url", "body", "content_type"}``;
    ``validators`` ``{"feed_url", "etag", "last_modified"}`` to store;
    ``errors``.
    """

    def work(self, feed: dict, outputs: _Outputs) -> None:
        url = feed["feed_url"]
        headers = {"Accept": _FEED_ACCEPT}
        if feed.get("etag"):
            headers["If-None-Match"] = feed["etag"]
        if feed.get("last_modified"):
            headers["If-Modified-Since"] = feed["last_modified"]
        result = self._fetcher.fetch(url, headers)
        if not result.ok:
            outputs.out(_error(url, "fetch_feed", result.error_reason, detail=result.detail), "errors")
            outputs.count("feed_fetch_errors")
            return
        if result.not_modified:
            outputs.count(counters.FEEDS_NOT_MODIFIED)
            etag = result.headers.get("etag") or feed.get("etag")
            modified = result.headers.get("last-modified") or feed.get("last_modified")
            if (etag, modified) != (feed.get("etag"), feed.get("last_modified")):
                outputs.out({"feed_url": url, "etag": etag, "last_modified": modified}, "validators")
            return
        outputs.count(counters.FEEDS_FETCHED)
        outputs.count("feed_bytes", len(result.body))
        outputs.out({"feed_url": url, "etag": result.headers.get("etag"),
                     "last_modified": result.headers.get("last-modified")}, "validators")
        outputs.out({"feed_url": url, "final_url": result.final_url, "body": result.body,
                     "content_type": result.headers.get("content-type")})


class ParseFeedsFn(beam.DoFn):
    """Feed body -> ``(canonical url, entry dict)`` per entry; failures to ``errors``."""

    def __init__(self, limits: Limits):
        self._limits = limits

    def process(self, fetched: dict) -> Iterator:
        feed_url = fetched["feed_url"]
        try:
            parsed = parse_feed(fetched["body"], fetched["final_url"], fetched.get("content_type"),
                                self._limits, feed_url=feed_url)
        except ExtractionError as exc:
            _count("feed_parse_errors")
            yield pvalue.TaggedOutput("errors", _error(feed_url, "parse_feed", exc.reason,
                                                       detail=exc.detail, excerpt=_excerpt(fetched["body"])))
            return
        _count("feeds_parsed")
        if parsed.problems:
            _count("feeds_with_problems")
            _count("feed_problems", len(parsed.problems))
            logger.info("feed %s parsed with problems: %s", feed_url, "; ".join(parsed.problems)[:500])
        _count(counters.FEED_ENTRIES, len(parsed.entries))
        if parsed.entries_cut:
            # Counted and visible: one errors row per feed, and a line in the run summary.
            _count("feed_entries_cut", parsed.entries_cut)
            yield pvalue.TaggedOutput("errors", _error(
                feed_url, "parse_feed", "entries_capped",
                detail=f"{parsed.entries_cut} of {parsed.entries_cut + len(parsed.entries)} entries cut by the "
                       f"{len(parsed.entries)}-entry cap; the newest were kept"))
        parsed_at = time.time()  # the feed's fetch budget is per parse: a later poll gets a new one
        for entry in parsed.entries:
            record = entry.to_dict()
            record["feed_title"] = parsed.title
            record["feed_parsed_at"] = parsed_at
            yield entry.url, record


class ReadSeenUrlsFn(beam.DoFn):
    """State directory -> ``(url, True)`` for every URL ingested earlier."""

    def process(self, state_dir: str) -> Iterator:
        count = 0
        for url in FeedState(state_dir).iter_seen_urls():
            count += 1
            yield url, True
        _count("seen_urls_loaded", count)


class PickNewEntryFn(beam.DoFn):
    """One entry per URL that no earlier run ingested."""

    def process(self, grouped: tuple) -> Iterator:
        url, groups = grouped
        entries = list(groups["entries"])
        if not entries:
            return
        if any(True for _ in groups["seen"]):
            _count(counters.ENTRIES_SEEN_BEFORE, len(entries))
            return
        _count("duplicate_entries", len(entries) - 1)
        # Keep the entry with the most feed content (the best fallback);
        # ties by feed URL so reruns choose the same one.
        best = dict(max(entries, key=lambda e: (len(e.get("content_html") or ""), e["feed_url"])))
        best["feed_urls"] = sorted({e["feed_url"] for e in entries})
        _count("new_entries")
        yield url, best


class FetchArticlesFn(_ConcurrentFetchFn):
    """``(url, entry)`` -> RawDocument (page, or feed content as fallback).

    Outputs: main RawDocument; ``seen`` URLs ingested; ``errors``.
    """

    def __init__(self, fetch_config: FetchConfig, max_in_flight: int, min_fallback_words: int,
                 feed_budget_s: float = 0.0):
        super().__init__(fetch_config, max_in_flight)
        self._min_fallback_words = min_fallback_words
        self._budget = feed_budget_s
        self._spent: dict = {}  # (feed_url, feed_parsed_at) -> seconds its fetches took
        self._lock = threading.Lock()

    @staticmethod
    def _budget_key(entry: dict) -> tuple:
        return entry["feed_url"], entry.get("feed_parsed_at")

    def _time_left(self, entry: dict) -> Optional[float]:
        """Seconds left of the entry's feed budget; None: no budget.

        A feed is charged the time its own fetches take (``FetchResult.elapsed``), not the time
        its entries wait behind other feeds' fetches: entries are interleaved across feeds.
        """
        if not self._budget > 0:
            return None
        with self._lock:
            return self._budget - self._spent.get(self._budget_key(entry), 0.0)

    def _charge(self, entry: dict, seconds: float) -> None:
        with self._lock:
            key = self._budget_key(entry)
            self._spent[key] = self._spent.get(key, 0.0) + seconds

    def _over_budget(self, url: str, entry: dict, outputs: _Outputs) -> None:
        # Not marked seen, and the feed's validators are dropped: the next run fetches it in full.
        outputs.out(_error(url, "fetch_article", "budget",
                           detail=f"feed {entry['feed_url']} spent its {self._budget:g}s fetch budget; "
                                  f"fetched by the next run", excerpt=entry.get("title", "")), "errors")
        outputs.out(entry["feed_url"], "retry")
        outputs.count(counters.FEED_ENTRIES_OVER_BUDGET)
        outputs.count("article_errors")

    def work(self, item: tuple, outputs: _Outputs) -> None:
        url, entry = item
        left = self._time_left(entry)
        if left is not None and left <= 0:
            self._over_budget(url, entry, outputs)
            return
        result, reason = fetch_page(self._fetcher, url, timeout=left)
        if left is not None:
            self._charge(entry, result.elapsed)
            # Cut short by what was left of the budget rather than by the fetch's own limits.
            shortened = left < self._config.total_timeout
            if shortened and (result.error_reason == "host_busy" or (
                    result.error_reason == "timeout" and result.elapsed >= left - 0.05)):
                self._over_budget(url, entry, outputs)
                return
        content_type = result.headers.get("content-type")
        feed = {
            "feed_url": entry["feed_url"],
            "feed_urls": entry.get("feed_urls", [entry["feed_url"]]),
            "feed_title": entry.get("feed_title", ""),
            "title": entry.get("title", ""),
            "published": entry.get("published"),
            "summary": entry.get("summary", ""),
            "content_html": entry.get("content_html", ""),
            "final_url": result.final_url,
            "fallback": None,
            "fetch_error": None,
        }
        if reason is None:
            outputs.out(page_document(url, result, feed))
            outputs.out(url, "seen")
            outputs.count("articles_fetched")
            outputs.count(counters.FEED_DOCUMENTS)
            return
        content = feed["content_html"] or ""
        if count_words(html_to_text(content)) >= self._min_fallback_words:
            feed["fallback"] = "feed_content"
            feed["fetch_error"] = reason
            outputs.out(RawDocument(source=url, raw=content.encode("utf-8"), url=url,
                                    content_type="text/html; charset=utf-8", feed=feed))
            outputs.out(url, "seen")
            outputs.count("article_fallbacks")
            outputs.count(counters.FEED_DOCUMENTS)
            return
        detail = result.detail or (f"Content-Type {content_type}" if content_type else "")
        outputs.out(_error(url, "fetch_article", reason, detail=detail, excerpt=feed["title"]), "errors")
        outputs.count("article_errors")


PENDING_STATE_FILE = "feed_state.json"


def apply_pending_state(pending_path: str, state_dir: str) -> bool:
    """Apply a run's recorded feed state (see ``ReadFeeds(pending_dir=...)``); False when there is none."""
    if not FileSystems.exists(pending_path):
        return False
    with FileSystems.open(pending_path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        data = json.loads(handle.read().decode("utf-8"))
    state = FeedState(state_dir)
    state.save_validators(data.get("validators", {}))
    state.add_seen_urls(data.get("seen", []))
    return True


class RecordFeedStateFn(beam.DoFn):
    """All validators and seen URLs of the run -> the state directory (or a pending file to apply later)."""

    def __init__(self, state_dir: str, pending_dir: Optional[str] = None):
        self._state_dir = state_dir
        self._pending_dir = pending_dir

    def _write_pending(self, validators: dict, seen: list) -> str:
        path = FileSystems.join(self._pending_dir, PENDING_STATE_FILE)
        with FileSystems.create(path) as handle:
            handle.write(json.dumps({"validators": validators, "seen": sorted(set(seen))}).encode("utf-8"))
        return path

    def process(self, grouped: tuple) -> Iterator:
        _, items = grouped
        validators: dict = {}
        seen: list = []
        retry: set = set()
        for kind, value in items:
            if kind == "validators":
                validators[value["feed_url"]] = value
            elif kind == "retry":
                retry.add(value)
            else:
                seen.append(value)
        for feed_url in retry:
            # Entries left over (fetch budget): no validators, so the next run gets the whole feed again.
            validators[feed_url] = {"feed_url": feed_url, "etag": None, "last_modified": None}
        try:
            if self._pending_dir:
                # Applied by the caller once the run's output is published: a run that dies before
                # that must not have marked its articles as seen or its feeds as unchanged.
                shard = self._write_pending(validators, seen)
            else:
                state = FeedState(self._state_dir)
                state.save_validators(validators)
                shard = state.add_seen_urls(seen)
        except Exception as exc:  # noqa: BLE001 - filesystem errors of any backend
            logger.exception("could not record feed state in %s", self._state_dir)
            yield pvalue.TaggedOutput("errors", _error(self._state_dir, "feed_state", "write_failed",
                                                       detail=repr(exc)[:200]))
            return
        _count("state_validators_written", len(validators))
        _count("state_urls_recorded", len(seen))
        yield {"state_dir": self._state_dir, "validators": len(validators), "seen_urls": len(seen),
               "seen_shard": shard}


class CountFn(beam.DoFn):
    """Pass elements through, counting them as ``name``."""

    def __init__(self, name: str):
        self._counter = counters.counter(name)

    def process(self, element: Any) -> Iterator:
        self._counter.inc()
        yield element


#: Concurrent fetches per DoFn instance, and the feed content that stands in for an unfetchable page.
MAX_IN_FLIGHT = 8
MIN_FALLBACK_WORDS = 50


class ReadFeedEntries(beam.PTransform):
    """Feed-list paths -> ``{"entries", "errors", "validators"}``: the lists read, every feed fetched
    and parsed; the feeds are spread over workers before fetching.

    Args:
        fetch_config: HTTP limits.
        limits: Per-document limits (field caps for feed parsing).
        state_dir: Feed state for conditional GET (None: none).
        max_in_flight: Concurrent fetches per DoFn instance.
    """

    def __init__(self, fetch_config: FetchConfig, limits: Limits, state_dir: Optional[str] = None,
                 max_in_flight: int = MAX_IN_FLIGHT):
        super().__init__()
        self._fetch_config, self._limits, self._state_dir = fetch_config, limits, state_dir
        self._max_in_flight = max_in_flight

    def expand(self, paths):
        feed_list = paths | "ReadFeedList" >> beam.ParDo(ReadFeedListFn(self._state_dir)).with_outputs(
            "errors", main="feeds")
        fetched = (feed_list.feeds
                   | "ReshuffleFeeds" >> beam.Reshuffle()
                   | "FetchFeeds" >> beam.ParDo(FetchFeedsFn(self._fetch_config, self._max_in_flight))
                   .with_outputs("errors", "validators", main="bodies"))
        parsed = (fetched.bodies
                  | "ParseFeeds" >> beam.ParDo(ParseFeedsFn(self._limits)).with_outputs("errors", main="entries"))
        errors = (feed_list.errors, fetched.errors, parsed.errors) | "FlattenFeedErrors" >> beam.Flatten()
        return {"entries": parsed.entries, "errors": errors, "validators": fetched.validators}


class FetchNewArticles(beam.PTransform):
    """New feed entries -> ``documents`` (RawDocuments), ``errors``, ``seen`` (URLs ingested) and
    ``retry`` (feeds whose budget ran out); the entries are spread over workers before fetching.

    Args:
        fetch_config: HTTP limits.
        min_fallback_words: Feed content at least this long stands in for an unfetchable page.
        max_in_flight: Concurrent fetches per DoFn instance.
        feed_budget_s: Fetch time each feed may spend on its articles (0: no budget).
    """

    def __init__(self, fetch_config: FetchConfig, min_fallback_words: int = MIN_FALLBACK_WORDS,
                 max_in_flight: int = MAX_IN_FLIGHT, feed_budget_s: float = 0.0):
        super().__init__()
        self._fetch_config, self._min_fallback_words = fetch_config, min_fallback_words
        self._max_in_flight, self._budget = max_in_flight, feed_budget_s

    def expand(self, entries):
        return entries | "ReshuffleArticles" >> beam.Reshuffle() | "FetchArticles" >> beam.ParDo(FetchArticlesFn(
            self._fetch_config, self._max_in_flight, self._min_fallback_words, self._budget)).with_outputs(
            "errors", "seen", "retry", main="documents")


class ReadFeeds(beam.PTransform):
    """Read feeds and their new articles as ``RawDocument``s.

    Args:
        feeds_path: OPML or text file of feed URLs (a glob reads several).
        state_dir: Where ETags/Last-Modified and seen URLs persist between
            runs; None disables conditional GET and cross-run dedup.
        fetch_config: HTTP limits; ``FetchConfig()`` when None. Its
            ``max_bytes`` is lowered to ``limits.max_bytes`` if larger.
        limits: Per-document limits (field caps for feed parsing).
        min_fallback_words: Feed content at least this long stands in for an
            article page that cannot be fetched.
        max_in_flight: Concurrent fetches per DoFn instance.
        pending_dir: When set, the run's validators and seen URLs are written there as
            ``feed_state.json`` instead of into ``state_dir``; the caller applies them
            with ``apply_pending_state`` after its own outputs are safely published.

    Returns (from ``expand``):
        ``{"documents": PCollection[RawDocument], "errors": PCollection[dict],
        "state": PCollection[dict]}`` (``state``: one summary dict per write).

    Counters (namespace "storywire"): ``feed_documents`` (RawDocuments out) and
    ``feed_errors`` (error records out) account for everything emitted;
    details: feeds_listed, feeds_fetched, feeds_not_modified, feed_fetch_errors,
    feeds_parsed, feed_parse_errors, feeds_with_problems, feed_problems,
    entries, duplicate_entries, entries_seen_before, new_entries,
    articles_fetched, article_fallbacks, article_errors, seen_urls_loaded,
    state_validators_written, state_urls_recorded.
    """

    def __init__(self, feeds_path: str, state_dir: Optional[str] = None,
                 fetch_config: Optional[FetchConfig] = None, limits: Optional[Limits] = None,
                 min_fallback_words: int = MIN_FALLBACK_WORDS, max_in_flight: int = MAX_IN_FLIGHT,
                 label: Optional[str] = None,
                 pending_dir: Optional[str] = None):
        super().__init__(label)
        self._pending_dir = pending_dir
        if not feeds_path:
            raise ValueError("feeds_path is required")
        if min_fallback_words < 1 or max_in_flight < 1:
            raise ValueError("min_fallback_words and max_in_flight must be >= 1")
        self._feeds_path = feeds_path
        self._state_dir = state_dir or None
        self._limits = limits or Limits()
        config = fetch_config or FetchConfig()
        if config.max_bytes > self._limits.max_bytes:
            config = dataclasses.replace(config, max_bytes=self._limits.max_bytes)
        self._fetch_config = config
        self._min_fallback_words = min_fallback_words
        self._max_in_flight = max_in_flight

    def expand(self, pbegin):
        feeds = (pbegin
                 | "CreateFeedList" >> beam.Create([self._feeds_path])
                 | "ReadFeedEntries" >> ReadFeedEntries(self._fetch_config, self._limits, self._state_dir,
                                                        self._max_in_flight))

        state_dirs = [self._state_dir] if self._state_dir else []
        seen_before = (pbegin
                       | "CreateStateDir" >> beam.Create(state_dirs)
                       | "ReadSeenUrls" >> beam.ParDo(ReadSeenUrlsFn()))
        new_entries = ({"entries": feeds["entries"], "seen": seen_before}
                       | "DedupeUrls" >> beam.CoGroupByKey()
                       | "PickNewEntries" >> beam.ParDo(PickNewEntryFn()))
        articles = new_entries | "FetchNewArticles" >> FetchNewArticles(
            self._fetch_config, self._min_fallback_words, self._max_in_flight, self._limits.feed_budget_s)

        error_sets = [feeds["errors"], articles.errors]
        if self._state_dir:
            recorded = ((feeds["validators"] | "KeyValidators" >> beam.Map(lambda v: ("state", ("validators", v))),
                         articles.seen | "KeySeenUrls" >> beam.Map(lambda u: ("state", ("seen", u))),
                         articles.retry | "KeyRetryFeeds" >> beam.Map(lambda u: ("state", ("retry", u))))
                        | "CollectState" >> beam.Flatten()
                        | "GroupState" >> beam.GroupByKey()
                        | "RecordFeedState" >> beam.ParDo(RecordFeedStateFn(self._state_dir, self._pending_dir))
                        .with_outputs("errors", main="state"))
            error_sets.append(recorded.errors)
            state = recorded.state
        else:
            state = pbegin | "NoFeedState" >> beam.Create([])
        errors = (error_sets
                  | "CollectErrors" >> beam.Flatten()
                  | "CountFeedErrors" >> beam.ParDo(CountFn(counters.FEED_ERRORS)))
        return {"documents": articles.documents, "errors": errors, "state": state}
