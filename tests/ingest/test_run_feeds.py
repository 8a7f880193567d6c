"""`storywire run` with files and feeds together, against a real local feed server."""
import re

from tests.feed_server import FeedServer, rss20
from tests.run_cli import ROOT, read_table, storywire
from tests.pipeline.test_stream_cli import page, prose


def test_files_and_feeds_in_one_run_then_conditional_get(tmp_path):
    seed = next((ROOT / "seeds").glob("000_*.txt"))
    fallback_text = " ".join(prose(7, 8))
    with FeedServer() as server:
        server.static("/a.html", page("Story A", prose(3)), "text/html")
        server.static("/b.html", page("Story B", prose(4)), "text/html")
        server.static("/gone.html", b"not here", "text/html", status=404)
        feed = rss20([(server.url("/a.html"), "Story A", "short"), (server.url("/b.html"), "Story B", "short"),
                      (server.url("/gone.html"), "Gone", fallback_text)])
        server.conditional("/feed.xml", feed, etag='"v1"', last_modified="Tue, 10 Jun 2025 04:00:00 GMT")
        server.static("/missing.xml", b"nope", "text/plain", status=404)
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(f"{server.url('/feed.xml')}\n# a comment\n{server.url('/missing.xml')}\n")
        out = tmp_path / "out"
        proc = storywire("run", "--input", seed, "--feeds", feeds, "--output", out, "--allow_private_hosts")
        assert "[OK]" in proc.stdout, proc.stdout
        arts, errs = read_table(out, "articles"), read_table(out, "errors")
        assert len(arts) == 4
        by_url = {u: r for u, r in zip(arts["url"].fillna(""), arts.to_dict("records"))}
        assert by_url[server.url("/gone.html")]["extractor"] == "feed_content"
        assert by_url[server.url("/a.html")]["title"] == "Story A"
        assert any(s.endswith("/missing.xml") and r == "http_404" for s, r in zip(errs["source"], errs["reason"]))

        again = storywire("run", "--feeds", feeds, "--output", out, "--allow_private_hosts")
        assert '"v1"' in str(server.headers_of("/feed.xml")[-1])  # conditional GET sent the stored ETag
        assert re.search(r"articles written\s+0\n", again.stdout), again.stdout
    assert len(read_table(out, "articles")) == 4


def test_feed_state_is_only_recorded_when_the_run_publishes(tmp_path):
    import signal
    with FeedServer() as server:
        server.static("/a.html", page("Story A", prose(3)), "text/html")
        feed = rss20([(server.url("/a.html"), "Story A", "short")])
        server.conditional("/feed.xml", feed, etag='"v1"', last_modified="Tue, 10 Jun 2025 04:00:00 GMT")
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/feed.xml") + "\n")
        out = tmp_path / "out"
        killed = storywire("run", "--feeds", feeds, "--output", out, "--allow_private_hosts", check=False,
                           env={"STORYWIRE_CRASH_AT": "pipeline"})
        assert killed.returncode == -signal.SIGKILL
        # Killed before publishing: the article is not out, so its URL must not count as seen.
        assert not (out / "_state").exists() or not list((out / "_state").rglob("urls-*.txt"))
        proc = storywire("run", "--feeds", feeds, "--output", out, "--allow_private_hosts")
        assert re.search(r"articles written\s+1\n", proc.stdout), proc.stdout
        assert list((out / "_state").rglob("urls-*.txt"))  # recorded once published
    assert len(read_table(out, "articles")) == 1
