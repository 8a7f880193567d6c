"""`storywire stream` for real: a short unbounded run against a local feed server that changes between polls."""
import random

from tests.feed_server import FeedServer, rss20
from tests.run_cli import read_table, storywire

VOCAB = ("council budget school river bridge storm police court mayor election market hospital vaccine farm "
         "harbor festival museum rail airport strike union wages housing library park trial judge minister "
         "talks border troops rocket season coach league weather flood drought fire").split()


def prose(seed, sentences=14):
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        words = [rng.choice(VOCAB) + str(rng.randrange(300)) for _ in range(rng.randint(9, 16))]
        out.append("The " + " ".join(words) + " said officials on Monday.")
    return out


def page(title, sentences):
    paras = "".join(f"<p>{' '.join(sentences[i:i + 3])}</p>" for i in range(0, len(sentences), 3))
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{title}</h1>{paras}</article><footer>Copyright</footer></body></html>").encode()


def test_stream_polls_dedupes_urls_and_matches_copies(tmp_path):
    story, other = prose(1), prose(2)
    copy = list(story)
    copy[3] = "A local reporter added this sentence about the council meeting in town today."
    with FeedServer() as server:
        server.static("/a.html", page("Original story", story), "text/html")
        server.static("/b.html", page("Unrelated story", other), "text/html")
        server.static("/c.html", page("Reposted story", copy), "text/html")
        first = rss20([(server.url("/a.html"), "Original story", "x"), (server.url("/b.html"), "Unrelated", "y")])
        second = rss20([(server.url("/a.html"), "Original story", "x"), (server.url("/b.html"), "Unrelated", "y"),
                        (server.url("/c.html"), "Reposted story", "z")])
        server.sequence("/feed.xml", [(200, first, {}), (200, second, {})])
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/feed.xml") + "\n")
        out = tmp_path / "out"
        proc = storywire("stream", "--feeds", feeds, "--output", out, "--poll_interval", "2", "--max_polls", "3",
                         "--allow_private_hosts", timeout=300)
        assert server.hits("/feed.xml") >= 2
        assert server.hits("/a.html") == 1  # seen again on later polls, fetched once
    arts = read_table(out, "articles")
    assert sorted(arts["url"].str.rsplit("/", n=1).str[-1]) == ["a.html", "b.html", "c.html"], proc.stdout
    by = {u.rsplit("/", 1)[-1]: row for u, row in zip(arts["url"], arts.to_dict("records"))}
    assert by["c.html"]["cluster_id"] == by["a.html"]["cluster_id"]
    assert by["b.html"]["cluster_id"] != by["a.html"]["cluster_id"]
    assert by["a.html"]["role"] == "original" and by["c.html"]["role"] == "copy"
