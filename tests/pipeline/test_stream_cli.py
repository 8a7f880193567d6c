"""`storywire stream` for real: a short unbounded run against a local feed server that changes between polls."""
import contextlib
import inspect
import random
import re
import sys

import apache_beam as beam
from apache_beam.options.pipeline_options import StandardOptions
from apache_beam.runners.portability.fn_api_runner import fn_runner

from pipeline import cli
from pipeline.options import StorywireOptions
from pipeline.runner import choose
from pipeline import stream
from pipeline.runs import counters_of
from pipeline.stream import build_stream, poll_argv
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


@contextlib.contextmanager
def story_then_copy_feed(tmp_path, seed):
    """A feed server whose feed lists an original and an unrelated story, then also a copy of the
    original from its second poll on; yields (server, feed list file)."""
    story = prose(seed)
    copy = list(story)
    copy[3] = "A local reporter added this sentence about the council meeting in town today."
    with FeedServer() as server:
        server.static("/a.html", page("Original story", story), "text/html")
        server.static("/b.html", page("Unrelated story", prose(seed + 1)), "text/html")
        server.static("/c.html", page("Reposted story", copy), "text/html")
        first = rss20([(server.url("/a.html"), "Original story", "x"), (server.url("/b.html"), "Unrelated", "y")])
        second = rss20([(server.url("/a.html"), "Original story", "x"), (server.url("/b.html"), "Unrelated", "y"),
                        (server.url("/c.html"), "Reposted story", "z")])
        server.sequence("/feed.xml", [(200, first, {}), (200, second, {})])
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/feed.xml") + "\n")
        yield server, feeds


def test_stream_polls_dedupes_urls_and_matches_copies(tmp_path):
    out = tmp_path / "out"
    with story_then_copy_feed(tmp_path, 1) as (server, feeds):
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
    # Every poll is a batch run of the same graph: events too, and clusters/ published poll by poll.
    assert by["c.html"]["event_id"] == by["a.html"]["event_id"] != by["b.html"]["event_id"]
    assert by["c.html"]["event_id"] is not None and by["b.html"]["event_id"] is not None
    clusters = read_table(out, "clusters").set_index("cluster_id")
    assert clusters.loc[by["a.html"]["cluster_id"]]["size"] == 2
    assert clusters.loc[by["a.html"]["cluster_id"]]["canonical_article_id"] == by["a.html"]["article_id"]
    assert "poll 3:" in proc.stdout and "stopped after 3 poll(s)" in proc.stdout


def test_stream_shares_story_history_with_batch_runs(tmp_path):
    """batch run -> stream -> batch run on one --output: one story id, nothing ingested twice."""
    story = prose(3)
    repost = list(story)
    repost[5] = "A local reporter added this sentence about the bridge repairs in town today."
    second_repost = list(story)
    second_repost[9] = "Our newsroom added this line about the harbor festival schedule for readers."
    out = tmp_path / "out"
    with FeedServer() as server:
        server.static("/orig.html", page("Original story", story), "text/html")
        server.static("/repost.html", page("Reposted story", repost), "text/html")
        server.static("/fresh.html", page("Unrelated story", prose(4)), "text/html")
        batch_feed = rss20([(server.url("/orig.html"), "Original story", "x")])
        stream_feed = rss20([(server.url("/orig.html"), "Original story", "x"),
                             (server.url("/repost.html"), "Reposted story", "y"),
                             (server.url("/fresh.html"), "Unrelated story", "z")])
        server.static("/batch.xml", batch_feed)
        server.static("/stream.xml", stream_feed)
        (tmp_path / "batch.txt").write_text(server.url("/batch.xml") + "\n")
        (tmp_path / "stream.txt").write_text(server.url("/stream.xml") + "\n")

        storywire("run", "--feeds", tmp_path / "batch.txt", "--output", out, "--allow_private_hosts")
        proc = storywire("stream", "--feeds", tmp_path / "stream.txt", "--output", out, "--poll_interval", "2",
                         "--max_polls", "2", "--allow_private_hosts", timeout=300)
        # The batch run's article is in the index the stream starts from: never fetched again.
        assert server.hits("/orig.html") == 1, proc.stdout
        assert server.hits("/repost.html") == 1

    arts = read_table(out, "articles")
    by = {u.rsplit("/", 1)[-1]: row for u, row in zip(arts["url"], arts.to_dict("records"))}
    assert sorted(by) == ["fresh.html", "orig.html", "repost.html"], proc.stdout
    assert len(arts) == 3
    assert by["repost.html"]["cluster_id"] == by["orig.html"]["cluster_id"]
    assert by["repost.html"]["role"] == "copy"
    assert by["fresh.html"]["cluster_id"] != by["orig.html"]["cluster_id"]

    # The stream's polls published into the index: a later batch run skips the same content and
    # puts a new repost in the same story.
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "again.txt").write_text("Reposted story\n\n" + "\n\n".join(
        " ".join(repost[i:i + 3]) for i in range(0, len(repost), 3)))
    (tmp_path / "docs" / "second.txt").write_text("Another repost\n\n" + "\n\n".join(
        " ".join(second_repost[i:i + 3]) for i in range(0, len(second_repost), 3)))
    proc = storywire("run", "--input", tmp_path / "docs", "--output", out)
    arts = read_table(out, "articles")
    assert len(arts) == 4, proc.stdout
    assert re.search(r"already ingested \(skipped\)\s+1\b", proc.stdout), proc.stdout
    assert read_table(out, "errors").empty
    second = arts[arts["source"].str.endswith("second.txt")].iloc[0]
    assert second["cluster_id"] == by["orig.html"]["cluster_id"]

    clusters = read_table(out, "clusters").set_index("cluster_id")
    story_row = clusters.loc[by["orig.html"]["cluster_id"]]
    assert story_row["size"] == 3
    assert sorted(story_row["member_ids"]) == sorted([by["orig.html"]["article_id"], by["repost.html"]["article_id"],
                                                      second["article_id"]])
    assert story_row["canonical_article_id"] == by["orig.html"]["article_id"]
    fresh_row = clusters.loc[by["fresh.html"]["cluster_id"]]
    assert fresh_row["size"] == 1 and fresh_row["canonical_article_id"] == by["fresh.html"]["article_id"]
    assert fresh_row["title"] == "Unrelated story"
    assert set(clusters.index) == set(arts["cluster_id"])
    storywire("run", "--input", tmp_path / "docs", "--output", out)
    again = read_table(out, "clusters").set_index("cluster_id")
    assert again.loc[by["orig.html"]["cluster_id"]]["size"] == 3


def test_endless_local_stream_writes_after_every_poll_and_stops_on_interrupt(tmp_path):
    """No --max_polls on the local runner: files appear poll by poll, and polls share what they learnt."""
    import signal
    import subprocess
    import sys
    import time

    from tests.run_cli import ROOT

    story = prose(5)
    copy = list(story)
    copy[2] = "A local reporter added this sentence about the museum opening in town today."
    out = tmp_path / "out"
    with FeedServer() as server:
        server.static("/a.html", page("Original story", story), "text/html")
        server.static("/c.html", page("Reposted story", copy), "text/html")
        first = rss20([(server.url("/a.html"), "Original story", "x")])
        later = rss20([(server.url("/a.html"), "Original story", "x"), (server.url("/c.html"), "Reposted story", "z")])
        server.sequence("/feed.xml", [(200, first, {})] + [(200, later, {})] * 50)
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/feed.xml") + "\n")
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "stream", "--feeds", str(feeds), "--output",
                                 str(out), "--poll_interval", "1", "--allow_private_hosts"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 240
            rows = 0
            while time.monotonic() < deadline and proc.poll() is None:
                files = list((out / "articles").glob("*/*.parquet"))
                rows = len(read_table(out, "articles")) if files else 0
                if rows >= 2 and server.hits("/feed.xml") >= 3:
                    break
                time.sleep(0.5)  # waiting for the stream's output, with a deadline
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, stderr[-3000:]
        assert rows >= 2, stdout + stderr[-3000:]
        assert server.hits("/a.html") == 1  # later polls found it in the index
        assert server.hits("/c.html") == 1
    assert "poll 1:" in stdout and "stopped after" in stdout
    arts = read_table(out, "articles")
    by = {u.rsplit("/", 1)[-1]: row for u, row in zip(arts["url"], arts.to_dict("records"))}
    assert sorted(by) == ["a.html", "c.html"] and len(arts) == 2
    assert by["c.html"]["cluster_id"] == by["a.html"]["cluster_id"] and by["c.html"]["role"] == "copy"

    # Each poll published its clusters.
    clusters = read_table(out, "clusters")
    assert len(clusters) == 1 and clusters["size"].iloc[0] == 2
    assert clusters["canonical_article_id"].iloc[0] == by["a.html"]["article_id"]
    assert storywire("run", "--output", out, check=False).returncode == 2  # nothing to read



def test_bounded_stream_that_runs_for_seconds_reports_its_counts(tmp_path, monkeypatch, capsys):
    """The summary adds up every poll's counters. Issue 23: reading a run's counters must stay shallow
    (within 150 frames here); a 7 s stream on the old runner nested ~480 generators. (The streaming
    runner's own fix is tested in test_runner_fence.)"""
    stock_metrics = fn_runner.RunnerResult.metrics

    def metrics_on_a_short_stack(self):
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(len(inspect.stack(0)) + 150)
        try:
            return stock_metrics(self)
        finally:
            sys.setrecursionlimit(limit)

    monkeypatch.setattr(fn_runner.RunnerResult, "metrics", metrics_on_a_short_stack)
    story, other = prose(6), prose(7)
    with FeedServer() as server:
        server.static("/a.html", page("First story", story), "text/html")
        server.static("/b.html", page("Second story", other), "text/html")
        first = rss20([(server.url("/a.html"), "First story", "x")])
        later = rss20([(server.url("/a.html"), "First story", "x"), (server.url("/b.html"), "Second story", "y")])
        server.sequence("/feed.xml", [(200, first, {}), (200, later, {})])
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url("/feed.xml") + "\n")
        out = tmp_path / "out"
        status = cli.main(["stream", "--feeds", str(feeds), "--output", str(out), "--poll_interval", "1",
                           "--max_polls", "4", "--allow_private_hosts"])
        polls = server.hits("/feed.xml")
    captured = capsys.readouterr()
    assert status == 0 and "warning" not in captured.err, captured.err[-2000:]
    assert polls == 4
    counts = {n: int(v) for n, v in re.findall(r"^  (\w+)\s+(\d+)$", captured.out, re.M)}
    assert counts == {
        "feeds_fetched": 4, "feeds_not_modified": 0, "entries": 7, "entries_seen_before": 5,
        "documents_extracted": 2, "extract_failed": 0, "already_ingested": 0, "new_clusters": 2,
        "joined_existing_clusters": 0, "new_events": 2, "joined_existing_events": 0, "feed_errors": 0}, captured.out
    assert len(read_table(out, "articles")) == 2


def test_streaming_job_runs_the_batch_graph_once_per_poll_in_order(tmp_path):
    """The graph a streaming runner (Dataflow) gets, run for real on Beam's local streaming runner:
    three polls in one unbounded pipeline, each a committed batch run, so the copy that appears on the
    second poll joins the first poll's story and event."""
    out = tmp_path / "out"
    argv = ["--feeds", None, "--output", str(out), "--poll_interval", "2", "--max_polls", "3",
            "--allow_private_hosts"]
    with story_then_copy_feed(tmp_path, 8) as (server, feeds):
        argv[1] = str(feeds)
        # Runner flags on the job's command line; poll_argv keeps them out of each poll's batch run.
        options = StorywireOptions(argv + ["--runner", "FnApiRunner", "--streaming"])
        options.view_as(StandardOptions).streaming = True
        p = beam.Pipeline(runner=choose.stream_runner(), options=options)
        build_stream(p, options.view_as(StorywireOptions), "s1",
                     poll_argv(argv + ["--runner", "FnApiRunner", "--streaming"]))
        result = p.run()
        result.wait_until_finish()
        assert server.hits("/a.html") == 1  # seen again on later polls, fetched once
    counts = counters_of(result)
    assert counts["polls"] == 3 and not counts.get("polls_failed")
    assert counts["documents_extracted"] == 3 and counts["entries_seen_before"] == 2 + 3
    arts = read_table(out, "articles")
    by = {u.rsplit("/", 1)[-1]: row for u, row in zip(arts["url"], arts.to_dict("records"))}
    assert sorted(by) == ["a.html", "b.html", "c.html"] and len(arts) == 3
    assert by["c.html"]["cluster_id"] == by["a.html"]["cluster_id"] != by["b.html"]["cluster_id"]
    assert by["a.html"]["role"] == "original" and by["c.html"]["role"] == "copy"
    assert by["c.html"]["event_id"] == by["a.html"]["event_id"] != by["b.html"]["event_id"]
    assert {r.rsplit("-", 1)[-1] for r in arts["run_id"]} == {"00001", "00002"}
    clusters = read_table(out, "clusters").set_index("cluster_id")
    assert clusters.loc[by["a.html"]["cluster_id"]]["size"] == 2


def test_a_failing_poll_is_counted_and_the_next_poll_still_runs(tmp_path, monkeypatch):
    """A streaming runner retries a failing element forever: a poll that raises must not stop the job."""
    calls = []

    def flaky_run(options, argv, run_id=None, progress=True):
        calls.append(run_id)
        if len(calls) == 1:
            raise OSError("bucket unreachable")
        return real_run(options, argv, run_id=run_id, progress=progress)

    real_run = stream.run_batch
    monkeypatch.setattr(stream, "run_batch", flaky_run)
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("")
    argv = ["--feeds", str(feeds), "--output", str(tmp_path / "out"), "--poll_interval", "1", "--max_polls", "2"]
    options = StorywireOptions(argv)
    options.view_as(StandardOptions).streaming = True
    p = beam.Pipeline(runner=choose.stream_runner(), options=options)
    build_stream(p, options.view_as(StorywireOptions), "s2", argv)
    result = p.run()
    result.wait_until_finish()
    assert calls == ["s2-00001", "s2-00002"]
    counts = counters_of(result)
    assert counts["polls_failed"] == 1 and counts["polls"] == 1


def test_poll_argv_keeps_storywire_flags_and_drops_runner_flags():
    argv = ["--feeds", "gs://b/feeds.txt", "--runner", "DataflowRunner", "--output=gs://b/out", "--streaming",
            "--project", "p", "--temp_location", "gs://b/out", "--poll_interval", "300", "--region=r"]
    assert poll_argv(argv) == ["--feeds", "gs://b/feeds.txt", "--output=gs://b/out", "--poll_interval", "300"]
