"""The ReadFeeds composite on the real Beam runner (FnApiRunner) against a real
HTTP server on 127.0.0.1 serving good, broken and hostile feeds and pages.

Two runs share a state directory: the second must send the stored validators
(304 for the feed that supports them), skip URLs ingested by the first run,
and ingest only the entry that is new.
"""
from __future__ import annotations

import gzip
import json
import time
from urllib.parse import urlsplit

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.feed_server import (ENTITY_BOMB, XXE_FEED, FeedServer, article_html, atom10, gzip_bomb, rss091, rss10,
                               rss20)

from transforms.ingest.feed_state import FeedState
from transforms.ingest.fetch import FetchConfig
from transforms.model import Limits, RawDocument
from transforms.ingest.read_feeds import ReadFeeds

LONG = " ".join(f"Sentence {i} of the wire story carries real words for the fallback." for i in range(10))
CYRILLIC = "Президент России заявил о новых мерах поддержки экономики"
ETAG, MODIFIED = '"rss2-v1"', "Tue, 10 Jun 2025 04:00:00 GMT"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def site():
    """The whole fake news web: feeds, article pages, an internal service."""
    with FeedServer() as srv, FeedServer(host="127.0.0.2") as internal:
        art = srv.url("/articles/")
        internal.static("/feed.xml", rss20([(art + "internal", "leak", "x")]))
        srv.conditional("/feeds/rss2.xml", rss20([
            (art + "a1", "A1 story", "teaser"),
            (art + "a2", "A2 story", LONG),             # page 404s, feed text is long: fallback
            (art + "a3", "A3 story", "short teaser"),   # page 404s, feed text short: error
            (art + "shared?utm_source=rss2", "Shared story", "teaser"),
        ]), ETAG, MODIFIED)
        srv.static("/feeds/atom.xml", atom10([
            ("../articles/b1", "B1 story", "relative link"),
            (art + "shared?utm_medium=atom&fbclid=zz", "Shared story", LONG),
        ]), "application/atom+xml")
        srv.static("/feeds/rss1.rdf", rss10([
            (art + "c1", "C1 story", "x"),
            (art + "c2", "C2 story", LONG),              # page stalls: fallback
            (art + "pdf", "A PDF", "short"),             # not HTML, no fallback: error
        ]), "application/rdf+xml")
        srv.static("/feeds/rss091.xml", rss091([(art + "d1", "D1 story", "x")]), "text/xml")
        srv.static("/feeds/malformed.xml",
                   b'<?xml version="1.0"?><rss version="2.0"><channel><title>Fish & Chips</title>'
                   b"<item><title>E1 & more</title><link>" + art.encode() + b"e1</link></item>"
                   b"<item><title>cut</title><link>" + art.encode() + b"e2</li", "application/rss+xml")
        srv.static("/feeds/cp1251.xml",
                   rss20([(art + "f1", CYRILLIC, "Новости дня")], encoding="cp1251", declared="iso-8859-1"),
                   "text/xml; charset=iso-8859-1")
        srv.sequence("/feeds/flaky.xml", [(500, b"oops", {}), (200, rss20([(art + "g1", "G1", "x")]), {})])
        srv.sequence("/feeds/busy.xml", [(429, b"slow down", {"Retry-After": "1"}),
                                         (200, rss20([(art + "h1", "H1", "x")]), {})])
        srv.gzipped("/feeds/gzip.xml", gzip.compress(rss20([(art + "i1", "I1", "x")])))
        srv.redirect("/feeds/old.xml", "/feeds/moved/feed.xml", status=301)
        srv.static("/feeds/moved/feed.xml", rss20([("../../articles/j1", "J1", "x")]))
        # hostile or broken feeds
        srv.static("/feeds/bomb.xml", ENTITY_BOMB)
        srv.static("/feeds/xxe.xml", XXE_FEED)
        srv.static("/feeds/missing.xml", b"gone", status=404)
        srv.stall("/feeds/stall.xml")
        srv.endless("/feeds/endless.xml")
        srv.gzipped("/feeds/gzbomb.xml", gzip_bomb(10_000_000))
        srv.redirect("/feeds/loop.xml", "/feeds/loop.xml")
        srv.redirect("/feeds/private.xml", internal.url("/feed.xml"))
        srv.static("/feeds/page.html", b"<!DOCTYPE html><html><body><p>Our feeds moved.</p></body></html>",
                   "text/html")
        # article pages
        for name in ("a1", "shared", "b1", "c1", "d1", "e1", "f1", "g1", "h1", "i1", "j1", "b2"):
            srv.static(f"/articles/{name}", article_html(f"Story {name}"), "text/html; charset=utf-8")
        srv.static("/articles/a2", b"not found", status=404)
        srv.static("/articles/a3", b"not found", status=404)
        srv.stall("/articles/c2")
        srv.static("/articles/pdf", b"%PDF-1.4 ...", "application/pdf")
        srv.internal = internal
        yield srv


def write_opml(path, urls) -> str:
    outlines = "".join(f'<outline text="f{i}" type="rss" xmlUrl="{u}"/>' for i, u in enumerate(urls))
    path.write_text(f'<?xml version="1.0"?><opml version="2.0"><head/><body>'
                    f'<outline text="News">{outlines}</outline></body></opml>')
    return str(path)


FEEDS = ["rss2.xml", "atom.xml", "rss1.rdf", "rss091.xml", "malformed.xml", "cp1251.xml", "flaky.xml", "busy.xml",
         "gzip.xml", "old.xml", "bomb.xml", "xxe.xml", "missing.xml", "stall.xml", "endless.xml", "gzbomb.xml",
         "loop.xml", "private.xml", "page.html"]
FEED_ERRORS = [
    ("/feeds/bomb.xml", "parse_feed", "dtd_or_entity_declared"),
    ("/feeds/xxe.xml", "parse_feed", "dtd_or_entity_declared"),
    ("/feeds/page.html", "parse_feed", "not_a_feed"),
    ("/feeds/missing.xml", "fetch_feed", "http_404"),
    ("/feeds/stall.xml", "fetch_feed", "timeout"),
    ("/feeds/endless.xml", "fetch_feed", "too_large"),
    ("/feeds/gzbomb.xml", "fetch_feed", "decode_bomb"),
    ("/feeds/loop.xml", "fetch_feed", "too_many_redirects"),
    ("/feeds/private.xml", "fetch_feed", "forbidden_address"),
]
FETCH = FetchConfig(connect_timeout=1.0, read_timeout=0.5, total_timeout=2.5, max_bytes=300_000, retries=2,
                    backoff_base=0.05, max_retry_after=2.0, allowed_networks=("127.0.0.1/32",))


def run(feeds_path: str, state_dir: str, expected_docs: list, expected_errors: list, checks=()) -> dict:
    """Run ReadFeeds once; assert documents and errors; return counters and wall time."""
    pipeline = beam.Pipeline(runner="FnApiRunner")
    out = pipeline | "ReadFeeds" >> ReadFeeds(feeds_path, state_dir=state_dir, fetch_config=FETCH,
                                              limits=Limits(), max_in_flight=8)
    docs = out["documents"]
    assert_that(docs | "DocSummary" >> beam.Map(lambda d: (path_of(d.url), d.feed["fallback"])),
                equal_to(expected_docs), label="CheckDocuments")
    assert_that(out["errors"] | "ErrorSummary" >> beam.Map(lambda e: (path_of(e["source"]), e["stage"], e["reason"])),
                equal_to(expected_errors), label="CheckErrors")
    for label, fn, expected in checks:
        assert_that(docs | f"Check{label}" >> beam.FlatMap(fn), equal_to(expected), label=f"Assert{label}")
    start = time.monotonic()
    result = pipeline.run()
    result.wait_until_finish()
    elapsed = time.monotonic() - start
    counters = {}
    for counter in result.metrics().query()["counters"]:
        counters[counter.key.metric.name] = counters.get(counter.key.metric.name, 0) + counter.committed
    counters["wall_seconds"] = elapsed
    return counters


def _cyrillic_title(doc: RawDocument):
    if doc.url.endswith("/f1"):
        yield doc.feed["title"]


def _fallback_payload(doc: RawDocument):
    if doc.feed["fallback"]:
        yield (path_of(doc.url), doc.raw.decode("utf-8") == doc.feed["content_html"],
               doc.content_type, doc.feed["fetch_error"])


def _page_payload(doc: RawDocument):
    if doc.url.endswith("/a1"):
        yield (doc.raw.startswith(b"<!DOCTYPE html>"), doc.content_type, doc.feed["feed_url"].endswith("rss2.xml"),
               doc.feed["published"], doc.feed["title"])


def test_two_runs_with_state(site, tmp_path):
    feeds = write_opml(tmp_path / "feeds.opml", [site.url(f"/feeds/{name}") for name in FEEDS])
    state_dir = str(tmp_path / "state")

    first_docs = [("/articles/a1", None), ("/articles/a2", "feed_content"), ("/articles/shared", None),
                  ("/articles/b1", None), ("/articles/c1", None), ("/articles/c2", "feed_content"),
                  ("/articles/d1", None), ("/articles/e1", None), ("/articles/f1", None), ("/articles/g1", None),
                  ("/articles/h1", None), ("/articles/i1", None), ("/articles/j1", None)]
    first_errors = FEED_ERRORS + [("/articles/a3", "fetch_article", "http_404"),
                                  ("/articles/pdf", "fetch_article", "unsupported_content_type")]
    counters = run(feeds, state_dir, first_docs, first_errors, checks=[
        ("CyrillicTitle", _cyrillic_title, [CYRILLIC]),
        ("Fallbacks", _fallback_payload, [("/articles/a2", True, "text/html; charset=utf-8", "http_404"),
                                         ("/articles/c2", True, "text/html; charset=utf-8", "timeout")]),
        ("PagePayload", _page_payload, [(True, "text/html; charset=utf-8", True, "2025-06-10T04:00:00+00:00",
                                         "A1 story")]),
    ])
    assert counters["wall_seconds"] < 15
    assert site.hits("/articles/shared") == 1          # in two feeds, fetched once
    assert site.internal.hits("/feed.xml") == 0         # the redirect to 127.0.0.2 never connected
    assert site.hits("/feeds/flaky.xml") == 2 and site.hits("/feeds/busy.xml") == 2
    assert counters["feeds_listed"] == len(FEEDS)
    assert counters["duplicate_entries"] == 1
    assert counters["feed_problems"] >= 2                # malformed XML + overridden charset
    assert counters["article_fallbacks"] == 2 and counters["articles_fetched"] == 11
    assert counters["feed_documents"] == len(first_docs) and counters["feed_errors"] == len(first_errors)
    assert counters.get("feeds_not_modified", 0) == 0

    state = FeedState(state_dir)
    assert state.load_validators()[site.url("/feeds/rss2.xml")]["etag"] == ETAG
    seen = state.load_seen_urls()
    assert site.url("/articles/shared") in seen and site.url("/articles/a2") in seen
    assert site.url("/articles/a3") not in seen          # failed: retried when the feed lists it again

    # Second run: one new Atom entry; the RSS 2.0 feed answers 304.
    site.static("/feeds/atom.xml", atom10([
        ("../articles/b1", "B1 story", "relative link"),
        (site.url("/articles/b2"), "B2 story", "new today"),
        (site.url("/articles/shared?utm_medium=atom"), "Shared story", LONG),
    ]), "application/atom+xml")
    article_hits_before = site.hits("/articles/a1") + site.hits("/articles/b1")
    second_errors = FEED_ERRORS + [("/articles/pdf", "fetch_article", "unsupported_content_type")]
    counters = run(feeds, state_dir, [("/articles/b2", None)], second_errors)
    sent = site.headers_of("/feeds/rss2.xml")[-1]
    assert sent["If-None-Match"] == ETAG and sent["If-Modified-Since"] == MODIFIED
    assert counters["feeds_not_modified"] == 1
    assert counters["entries_seen_before"] >= 10
    assert site.hits("/articles/a1") + site.hits("/articles/b1") == article_hits_before
    assert site.hits("/articles/a3") == 1                 # its feed was not modified: nothing downstream
    assert site.url("/articles/b2") in FeedState(state_dir).load_seen_urls()


def test_without_state_and_with_a_missing_feed_list(site, tmp_path):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"# one feed\n{site.url('/feeds/rss091.xml')}\n")
    run(str(feeds), None, [("/articles/d1", None)], [])
    run(str(tmp_path / "nope.opml"), None, [], [(str(tmp_path / "nope.opml"), "read_feed_list", "not_found")])


def test_feed_state_files_are_json_and_atomic(tmp_path):
    state = FeedState(str(tmp_path / "s"))
    state.save_validators({"https://e.com/feed": {"etag": '"x"', "last_modified": None}})
    state.save_validators({"https://e.com/other": {"etag": None, "last_modified": "Tue, 10 Jun 2025 04:00:00 GMT"}})
    data = json.loads((tmp_path / "s" / "feeds" / "validators.json").read_text())
    assert set(data["feeds"]) == {"https://e.com/feed", "https://e.com/other"}
    state.save_validators({"https://e.com/feed": {"etag": None, "last_modified": None}})  # no validators: forget
    assert set(state.load_validators()) == {"https://e.com/other"}
    state.add_seen_urls(["https://e.com/a", "https://e.com/b"])
    state.add_seen_urls(["https://e.com/b", "https://e.com/c"])
    assert state.load_seen_urls() == {"https://e.com/a", "https://e.com/b", "https://e.com/c"}
    leftovers = [p.name for p in (tmp_path / "s").rglob("*") if ".tmp-" in p.name]
    assert leftovers == []
    small = FeedState(str(tmp_path / "s"), max_shards=2)
    small.add_seen_urls(["https://e.com/d"])  # third shard: merged into one
    assert len(list((tmp_path / "s" / "seen").iterdir())) == 1
    assert small.load_seen_urls() == {"https://e.com/a", "https://e.com/b", "https://e.com/c", "https://e.com/d"}
    (tmp_path / "s" / "feeds" / "validators.json").write_text("{broken")
    assert FeedState(str(tmp_path / "s")).load_validators() == {}
