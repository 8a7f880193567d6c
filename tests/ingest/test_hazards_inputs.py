"""Hostile and odd inputs (issue 21): every input ends as a document or an errors record with a reason.

Each test here failed before its fix: a FIFO hung the run, a non-UTF-8 name crashed it, broken
symlinks vanished unseen, a glob character in an existing path matched nothing.
"""
import contextlib
import os
import signal
import socket

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from tests.beam_helpers import local_pipeline
from transforms.ingest.files import ReadDocuments
from transforms.paths import literal_pattern
from transforms.model import Limits
from transforms.paths import display_path, path_from_display

TEXT = "The harbour board approved the dredging plan for the island ferry route on Tuesday evening. " * 4


@contextlib.contextmanager
def _deadline(seconds):
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""
    def _fire(*_):
        raise TimeoutError(f"still running after {seconds}s")
    old = signal.signal(signal.SIGALRM, _fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _errors_by_name(out):
    return out["errors"] | beam.Map(lambda e: (os.path.basename(e["source"]), e["stage"], e["reason"]))


def _doc_names(out, label="DocNames"):
    return out["documents"] | label >> beam.Map(lambda d: os.path.basename(d.source))


def test_fifo_socket_and_device_are_error_rows_and_never_opened(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.txt").write_text(TEXT)
    os.mkfifo(folder / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock"))
    os.symlink("/dev/zero", folder / "zero")  # a device behind a link: endless if read
    try:
        with _deadline(30), local_pipeline() as p:
            out = p | ReadDocuments(str(folder / "*"), sample_docs=25)
            assert_that(_doc_names(out), equal_to(["story.txt"]), label="docs")
            assert_that(_errors_by_name(out), equal_to([
                ("pipe", "read", "not_a_regular_file"), ("sock", "read", "not_a_regular_file"),
                ("zero", "read", "not_a_regular_file")]), label="errors")
    finally:
        sock.close()
        with contextlib.suppress(OSError):  # unblock a reader stuck on the FIFO, if any
            os.close(os.open(folder / "pipe", os.O_WRONLY | os.O_NONBLOCK))


def test_non_utf8_file_name_is_read_and_kept_reversibly(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    raw_name = os.fsencode(str(folder)) + b"/bad_\xff.txt"
    with open(raw_name, "wb") as fh:
        fh.write(TEXT.encode())
    (folder / "good.txt").write_text(TEXT)
    with local_pipeline() as p:
        out = p | ReadDocuments(str(folder / "*"), sample_docs=25)
        assert_that(_doc_names(out), equal_to(["bad_\\xff.txt", "good.txt"]), label="docs")
        assert_that(out["documents"] | beam.Map(lambda d: os.fsencode(path_from_display(d.source))),
                    equal_to([raw_name, os.fsencode(str(folder / "good.txt"))]), label="reversible")
        assert_that(out["errors"], equal_to([]), label="no errors")


@pytest.mark.parametrize("name", ["plain.txt", "bad_\udcff.txt", "back\\slash_\udc80.txt", "caf\u00e9 \\x41"])
def test_display_path_round_trips(name):
    shown = display_path("/in/" + name)
    shown.encode("utf-8")  # storable
    assert path_from_display(shown) == "/in/" + name


def test_symlink_loop_and_dangling_symlink_are_error_rows(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "story.txt").write_text(TEXT)
    os.symlink("loop_b", folder / "loop_a")
    os.symlink("loop_a", folder / "loop_b")
    os.symlink("missing.txt", folder / "dangling")
    with local_pipeline() as p:
        out = p | ReadDocuments(str(folder / "*"))
        assert_that(_doc_names(out), equal_to(["story.txt"]), label="docs")
        assert_that(_errors_by_name(out), equal_to([
            ("dangling", "read", "dangling_symlink"), ("loop_a", "read", "symlink_loop"),
            ("loop_b", "read", "symlink_loop")]), label="errors")


def test_input_path_with_glob_characters_that_exists_is_read_literally(tmp_path):
    folder = tmp_path / "in[b]"
    folder.mkdir()
    (folder / "story[1].txt").write_text(TEXT)
    (tmp_path / "inb").mkdir()
    (tmp_path / "inb" / "other.txt").write_text(TEXT)  # what the pattern would match as a glob
    assert literal_pattern(str(tmp_path / "nothing[x]")) == str(tmp_path / "nothing[x]")
    with local_pipeline() as p:
        single = p | "File" >> ReadDocuments(str(folder / "story[1].txt"))
        assert_that(_doc_names(single, "SingleNames"), equal_to(["story[1].txt"]), label="file")
        inside = p | "Folder" >> ReadDocuments(literal_pattern(str(folder)) + "/*")
        assert_that(_doc_names(inside, "FolderNames"), equal_to(["story[1].txt"]), label="folder")


# ---------------------------------------------------------------- feeds: the entry cap and the fetch budget

def _dated_rss(n, oldest_first=True):
    import datetime as dt
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    order = range(n) if oldest_first else range(n - 1, -1, -1)
    items = "".join(
        f"<item><title>t{i}</title><link>https://news.example/a/{i}</link>"
        f"<pubDate>{(start + dt.timedelta(minutes=i)).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
        for i in order)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>{items}</channel></rss>'.encode()


def test_feed_over_the_entry_cap_keeps_the_newest_and_reports_the_cut():
    from transforms.ingest.feeds import parse_feed
    from transforms.ingest.read_feeds import ParseFeedsFn
    body = _dated_rss(1_500)  # oldest first: the new items are at the end
    parsed = parse_feed(body, "https://news.example/feed.xml")
    assert parsed.entries_cut == 500 and len(parsed.entries) == 1_000
    assert {e.url.rsplit("/", 1)[1] for e in parsed.entries} == {str(i) for i in range(500, 1_500)}
    assert parse_feed(_dated_rss(1_200, oldest_first=False), "https://x.example/f").entries[0].url.endswith("/1199")

    with local_pipeline() as p:
        out = (p | beam.Create([{"feed_url": "https://news.example/feed.xml", "final_url": "https://news.example/feed.xml",
                                 "body": body, "content_type": "application/rss+xml"}])
               | beam.ParDo(ParseFeedsFn(Limits())).with_outputs("errors", main="entries"))
        assert_that(out.entries | beam.combiners.Count.Globally(), equal_to([1_000]), label="entries")
        assert_that(out.errors | beam.Map(lambda e: (e["source"], e["stage"], e["reason"], e["excerpt"][:20])),
                    equal_to([("https://news.example/feed.xml", "parse_feed", "entries_capped",
                               "500 of 1500 entries ")]), label="cut reported")


def _run_feeds(feeds_path, state_dir, budget, dump):
    """Run ReadFeeds; returns {"docs": [page names], "errors": [(page name, reason)]} (saved by matchers)."""
    import json
    from tests.ingest.test_read_feeds import FETCH
    from transforms.ingest.read_feeds import ReadFeeds

    def saver(key):
        def save(items):
            with open(f"{dump}.{key}", "w") as fh:
                json.dump(sorted(items), fh)
        return save

    with local_pipeline() as p:
        out = p | ReadFeeds(feeds_path, state_dir=state_dir, fetch_config=FETCH, limits=Limits(feed_budget_s=budget))
        assert_that(out["documents"] | "DocUrls" >> beam.Map(lambda d: d.url.rsplit("/", 1)[1]), saver("docs"),
                    label="SaveDocs")
        assert_that(out["errors"] | "ErrReasons" >> beam.Map(lambda e: (e["source"].rsplit("/", 1)[1], e["reason"])),
                    saver("errors"), label="SaveErrors")
        assert_that(out["errors"] | "ErrRows" >> beam.Map(json.dumps), saver("raw"), label="SaveErrorRows")
    with open(f"{dump}.docs") as d, open(f"{dump}.errors") as e:
        return {"docs": json.load(d), "errors": [tuple(x) for x in json.load(e)]}


def test_feed_fetch_budget_leaves_the_rest_for_the_next_run(tmp_path):
    import time
    from tests.feed_server import FeedServer, article_html, rss20
    from tests.ingest.test_read_feeds import write_opml
    with FeedServer() as srv:
        urls = [srv.url(f"/slow/{i}") for i in range(12)]
        for i in range(12):
            srv.slow(f"/slow/{i}", article_html(f"Slow story {i}"), 0.3, "text/html; charset=utf-8")
        srv.conditional("/feed.xml", rss20([(u, f"Slow {i}", "teaser") for i, u in enumerate(urls)]),
                        '"v1"', "Tue, 10 Jun 2025 04:00:00 GMT")
        # A feed is charged its own fetches' time, not the time its entries wait behind another feed's.
        fast = [srv.static(f"/fast/f{i}", article_html(f"Fast story {i}"), "text/html; charset=utf-8")
                for i in range(6)]
        srv.static("/fast.xml", rss20([(u, f"Fast {i}", "teaser") for i, u in enumerate(fast)]))
        feeds = write_opml(tmp_path / "feeds.opml", [srv.url("/feed.xml"), srv.url("/fast.xml")])
        state = str(tmp_path / "state")

        started = time.monotonic()
        # The slow feed is charged 12 x 0.3 s: a 1.5 s budget cuts it however loaded the machine is, and
        # leaves each of the fast feed's 6 pages 0.25 s (they take milliseconds when the machine is idle).
        first = _run_feeds(feeds, state, 1.5, tmp_path / "first")
        assert time.monotonic() - started < 20
        assert {f"f{i}" for i in range(6)} <= set(first["docs"]), first
        fetched = sorted(d for d in first["docs"] if not d.startswith("f"))
        over = sorted(name for name, reason in first["errors"] if reason == "budget")
        assert fetched and over and set(fetched + over) == {str(i) for i in range(12)}, first
        assert all(reason == "budget" for _, reason in first["errors"]), first

        second = _run_feeds(feeds, state, 60.0, tmp_path / "second")  # the feed is fetched again in full, not 304
        assert sorted(second["docs"]) == over and not second["errors"], second


# ---------------------------------------------------------------- credentials in URLs

def test_url_credentials_never_reach_the_errors_table(tmp_path):
    import logging
    from tests.feed_server import FeedServer, rss20
    from tests.ingest.test_read_feeds import write_opml
    from transforms.ingest.feeds import canonical_url
    from transforms.model import error_record
    from transforms.redact import RedactingFilter, redact_text

    assert canonical_url("http://user:s3cret@news.example/a") == "http://***@news.example/a"
    assert "s3cret" not in str(error_record("https://u:s3cret@h/f", "fetch_feed", "bad_url",
                                            detail="https://u:s3cret@h/f: credentials in URL"))
    assert redact_text("see ftp://a:b@c/ and mailto:x@y.z") == "see ftp://***@c/ and mailto:x@y.z"
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "fetching %s failed", ("http://u:s3cret@h/",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "fetching http://***@h/ failed"

    with FeedServer() as srv:
        host = srv.url("/").split("//", 1)[1].rstrip("/")
        srv.static("/feed.xml", rss20([(f"http://reader:s3cret@{host}/article", "Story", "teaser")]))
        feeds = write_opml(tmp_path / "feeds.opml", [f"http://admin:s3cret@{host}/private.xml", srv.url("/feed.xml")])
        got = _run_feeds(feeds, None, 0, tmp_path / "creds")
    assert got["docs"] == [] and len(got["errors"]) == 2, got
    with open(f"{tmp_path / 'creds'}.raw") as fh:
        raw = fh.read()
    assert "s3cret" not in raw and "***@" in raw, raw
