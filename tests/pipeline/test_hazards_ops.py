"""Hostile inputs and operations through the real CLI (issue 21): every input is an article or an
errors row with a reason, the summary's accounting holds, and odd paths and options work.
"""
import os
import shutil

import pyarrow.parquet as pq

from tests.run_cli import ROOT, storywire

SEEDS = ROOT / "seeds"


def read_table(output, table):
    """Rows of a published table, read without globbing (the output folder may be named ``out[1]``)."""
    rows = []
    for path in sorted((output / table).rglob("*.parquet")):
        rows += pq.read_table(path).to_pylist()
    return {key: [r[key] for r in rows] for key in ("source", "reason") if not rows or key in rows[0]}


def _hostile_folder(folder):
    folder.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(seed, folder / seed.name)
    os.mkfifo(folder / "pipe")
    with open(os.fsencode(str(folder)) + b"/bad_\xff.txt", "wb") as fh:
        fh.write(sorted(SEEDS.glob("*.txt"))[2].read_bytes())
    os.symlink("loop_b", folder / "loop_a")
    os.symlink("loop_a", folder / "loop_b")
    os.symlink("missing.txt", folder / "dangling")


def test_run_accounts_for_fifo_bad_name_and_broken_links_in_glob_named_folders(tmp_path):
    """Items 1, 2, 3 and 7: input ``in[b]`` (a glob matching nothing), output ``out[1]`` (stranded in staging)."""
    _hostile_folder(tmp_path / "in[b]")
    out = tmp_path / "out[1]"
    proc = storywire("run", "--input", tmp_path / "in[b]", "--output", out, timeout=120)
    assert "[OK]" in proc.stdout, proc.stdout
    assert not list((out / "_staging").iterdir())
    arts = read_table(out, "articles")
    assert sorted(os.path.basename(s) for s in arts["source"]) == sorted(
        [p.name for p in sorted(SEEDS.glob("*.txt"))[:2]] + ["bad_\\xff.txt"])
    errors = read_table(out, "errors")
    assert sorted(zip((os.path.basename(s) for s in errors["source"]), errors["reason"])) == [
        ("dangling", "dangling_symlink"), ("loop_a", "symlink_loop"), ("loop_b", "symlink_loop"),
        ("pipe", "not_a_regular_file")]
    assert "3 + 4 + 0 = 7 [OK]" in proc.stdout, proc.stdout
    from pipeline.analyst import query  # the analyst views read the literal folder too
    con = query.connect(str(out))
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM errors").fetchone()[0] == 4


def test_empty_input_on_fresh_output_publishes_zero_rows(tmp_path):
    (tmp_path / "in").mkdir()
    out = tmp_path / "out"
    proc = storywire("run", "--input", tmp_path / "in", "--output", out, timeout=120)
    assert "0 + 0 + 0 = 0 [OK]" in proc.stdout, proc.stdout
    assert read_table(out, "articles")["source"] == [] and read_table(out, "errors")["source"] == []
    assert not list((out / "_staging").iterdir())


def test_query_table_escapes_terminal_controls_and_csv_json_stay_exact():
    import io
    import json
    from pipeline.analyst import query
    hostile = "Title\x1b]0;owned\x07 \x1b[2J\x9b31m \u202eevil"
    table = io.StringIO()
    query.format_result(["title\x1b[1m"], [(hostile,)], "table", table)
    shown = table.getvalue()
    assert not any(ch in shown for ch in "\x1b\x07\x9b\u202e"), repr(shown)
    assert "Title\\x1b]0;owned\\x07 \\x1b[2J\\x9b31m \\u202eevil" in shown
    csv_out, json_out = io.StringIO(), io.StringIO()
    query.format_result(["title"], [(hostile,)], "csv", csv_out)
    query.format_result(["title"], [(hostile,)], "json", json_out)
    assert csv_out.getvalue() == f"title\n{hostile}\n"
    assert json.loads(json_out.getvalue()) == {"title": hostile}


def test_report_temp_file_never_follows_a_planted_symlink(tmp_path):
    from pipeline.analyst import report
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "site"
    folder.mkdir()
    # The name the old code wrote through: .<page>.<pid>.tmp in the target folder.
    os.symlink(victim, folder / f".report.html.{os.getpid()}.tmp")
    report._write_atomically(str(folder / "report.html"), "<html>page</html>")
    assert victim.read_text() == "precious"
    assert (folder / "report.html").read_text() == "<html>page</html>"
    umask = os.umask(0)
    os.umask(umask)
    assert (folder / "report.html").stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(p.name for p in folder.iterdir()) == [f".report.html.{os.getpid()}.tmp", "report.html"]


def test_extract_url_uses_the_content_type_charset_like_the_pipeline(capsys):
    import json
    from pipeline import cli
    from tests.feed_server import FeedServer
    from transforms.extract.document import extract_document
    from transforms.ingest.fetch import FetchConfig, Fetcher
    from transforms.ingest.read_feeds import fetch_page, page_document
    from transforms.model import Limits
    words = "Příliš žluťoučký kůň úpěl ďábelské ódy"  # undetectable as ISO-8859-2 without the hint
    body = ("<html><head><title>x</title></head><body><article><p>" + " ".join([words] * 30)
            + "</p></article></body></html>").encode("iso-8859-2")
    with FeedServer() as srv:
        srv.static("/page", body, "text/html; charset=iso-8859-2")
        url = srv.url("/page")
        assert cli.main(["extract", "--allow_private_hosts", url]) == 0
        printed = json.loads(capsys.readouterr().out)
        with Fetcher(FetchConfig(allow_private_hosts=True)) as fetcher:
            result, reason = fetch_page(fetcher, url)
    pipeline_text = extract_document(page_document(url, result), Limits()).text
    assert reason is None and printed["text"].startswith(words) and printed["text"] == pipeline_text


def test_every_option_in_both_spellings_unknown_ones_refused_beam_ones_passed(capsys):
    import argparse
    import pytest
    from pipeline import cli
    from pipeline.argv import UnknownOptionError, normalize_argv
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    run = commands["run"]
    assert normalize_argv(["--allow-private-hosts", "--max-bytes=10", "--feed-budget", "5", "--runner", "X",
                           "--temp-location", "/t", "--direct_num_workers=2"], run, with_beam=True) == [
        "--allow_private_hosts", "--max_bytes=10", "--feed_budget", "5", "--runner", "X",
        "--temp_location", "/t", "--direct_num_workers=2"]
    assert normalize_argv(["out", "--min_size", "2", "--html", "--x.html"], commands["report"], False) == [
        "out", "--min-size", "2", "--html", "--x.html"]
    assert normalize_argv(["out", "-c", "--comment\nSELECT 1"], commands["query"], False)[2].startswith("--")
    with pytest.raises(UnknownOptionError, match="did you mean --allow_private_hosts"):
        normalize_argv(["--allow-private-host"], run, with_beam=True)
    with pytest.raises(UnknownOptionError):
        normalize_argv(["--runner", "X"], commands["report"], with_beam=False)  # no Beam options there
    for argv in (["run", "--output", "o", "--allow-privat-hosts"], ["stream", "--fedds", "f"],
                 ["extract", "--allow-private-host", "x"], ["query", "o", "--formt", "csv"]):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 2 and "did you mean --" in capsys.readouterr().err, argv
    # --help: every option once (in its one spelling), storywire's feed budget included.
    for name, sub in commands.items():
        help_text = sub.format_help()
        options = [o for a in sub._actions for o in a.option_strings if o.startswith("--")]
        assert len(options) == len(set(options)), name
        for option in options:
            assert f"  {option}" in help_text or f", {option}" in help_text, (name, option)
    assert "--feed_budget" in commands["run"].format_help()


def test_dashed_option_reaches_the_pipeline_options(monkeypatch):
    from pipeline import cli
    from pipeline.options import StorywireOptions
    seen = {}
    monkeypatch.setattr(cli, "cmd_run", lambda args, argv: seen.setdefault("argv", argv) and 0)
    cli.main(["run", "--output", "o", "--feeds", "f.txt", "--allow-private-hosts", "--feed-budget=7"])
    opts = StorywireOptions(seen["argv"]).view_as(StorywireOptions)
    assert opts.allow_private_hosts is True and opts.feed_budget == 7.0


def test_event_options_reach_the_event_config():
    import pytest
    from pipeline.options import StorywireOptions, event_config_from
    from transforms.dedup.events import EventConfig

    def config(*argv):
        return event_config_from(StorywireOptions(list(argv)).view_as(StorywireOptions))

    assert vars(config()) == vars(EventConfig())
    got = config("--event_bucket_cap", "7", "--event_threshold", "0.6", "--event_window_days", "1")
    assert (got.bucket_cap, got.threshold, got.window_days) == (7, 0.6, 1.0)
    with pytest.raises(ValueError, match="bucket_cap"):
        config("--event_bucket_cap", "1")


def test_empty_beam_temp_folders_of_killed_runs_are_swept(tmp_path):
    from pipeline.tempdirs import sweep_beam_temp_dirs
    old, young, full, other = (tmp_path / f"beam-pipeline-temp{n}" for n in ("old", "young", "full", "x"))
    for folder in (old, young, full):
        folder.mkdir()
    (full / "keep").write_text("x")
    other.write_text("a file, not a folder")
    for path in (old, full, other):
        os.utime(path, (1, 1))
    (tmp_path / "unrelated").mkdir()
    assert sweep_beam_temp_dirs(root=str(tmp_path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "beam-pipeline-tempfull", "beam-pipeline-tempx", "beam-pipeline-tempyoung", "unrelated"]


def test_unresolvable_name_is_reported_as_written():
    from transforms.ingest.fetch import FetchConfig, Fetcher
    with Fetcher(FetchConfig(allow_private_hosts=True, retries=0)) as fetcher:
        result = fetcher.fetch("http://storywire-no-such-host.invalid./x")
    assert result.error_reason == "dns_error"
    assert "'storywire-no-such-host.invalid.'" in result.detail, result.detail


def test_summary_shows_entries_cut_and_over_budget_and_balances(capsys):
    from pipeline import cli
    counters = {"feed_documents": 3, "feed_errors": 3, "feed_entries_cut": 500, "feed_entries_over_budget": 2}
    cli._print_summary("r1", "out", counters, {"articles": 3, "clusters": 2, "errors": 3})
    out = capsys.readouterr().out
    assert "feed entries cut by the cap" in out and " 500" in out
    assert "feed entries over the time budget" in out
    assert "3 + 3 + 0 = 6 [OK]" in out


def test_extract_refuses_a_fifo_without_opening_it(tmp_path, capsys):
    import json
    from pipeline import cli
    os.mkfifo(tmp_path / "pipe")
    assert cli.main(["extract", str(tmp_path / "pipe")]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["error"]["reason"] == "not_a_regular_file"


def test_body_shorter_than_its_content_length_is_given_up_on_after_the_stall_timeout():
    import time
    from tests.feed_server import FeedServer
    from transforms.ingest.fetch import FetchConfig, Fetcher

    def short_body(h):  # promises 1000 bytes, sends 500, keeps the connection open
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b"x" * 500)
        h.wfile.flush()
        h.server.owner.stop.wait(10)

    def steady(h):  # a slow server that keeps sending is not cut off
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "6")
        h.end_headers()
        for byte in b"abcdef":
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.15)

    with FeedServer() as srv:
        srv.route("/short", short_body)
        srv.route("/steady", steady)
        config = FetchConfig(allow_private_hosts=True, read_timeout=8.0, body_stall_timeout=0.5, retries=0)
        with Fetcher(config) as fetcher:
            started = time.monotonic()
            result = fetcher.fetch(srv.url("/short"))
            took = time.monotonic() - started
            assert result.error_reason == "timeout" and took < 3.0, (result, took)
            assert "500 of 1000 bytes" in result.detail
            assert fetcher.fetch(srv.url("/steady")).body == b"abcdef"
