"""Reading a finished run's counters: a run whose data is published does not fail when they cannot be read."""
import json

from apache_beam.runners.portability.fn_api_runner import fn_runner

from pipeline import cli
from pipeline.runs import metrics_of
from tests.run_cli import ROOT, read_table


class _UnreadableResult:
    def metrics(self):
        raise RecursionError("maximum recursion depth exceeded")


def test_unreadable_metrics_are_named_in_one_line():
    metrics = metrics_of(_UnreadableResult())
    assert metrics.counters is None and metrics.distributions is None
    assert metrics.problem == ("counters unreadable (RecursionError: maximum recursion depth exceeded); "
                               "distributions unreadable (RecursionError: maximum recursion depth exceeded)")


def test_run_that_published_warns_when_its_counters_are_unreadable(tmp_path, monkeypatch, capsys):
    def unreadable(self):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(fn_runner.RunnerResult, "metrics", unreadable)
    out = tmp_path / "out"
    status = cli.main(["run", "--input", f"{ROOT}/seeds/*.txt", "--output", str(out), "--run_id", "r1",
                       "--progress_interval", "0"])
    captured = capsys.readouterr()
    assert status == 0, captured.err[-2000:]
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: storywire run r1: counters unreadable (RecursionError: maximum recursion depth "
                        "exceeded); distributions unreadable (RecursionError: maximum recursion depth exceeded); "
                        f"the data is published in {out}"]
    assert "counters unreadable" in captured.out and "[OK]" not in captured.out
    assert len(read_table(out, "articles")) == 5
    manifest = json.loads((out / "_runs" / "r1.json").read_text())
    assert manifest["rows"]["articles"] == 5  # what publishing counted from the files
    counts = json.loads((out / "_runs" / "counts" / "r1.json").read_text())
    assert "counts" not in counts and counts["counts_unreadable"].startswith("counters unreadable")
