"""Progress lines come from Beam counters as bundles finish, and the final table adds up."""
import io
import re

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.runner.progress import ProgressFnApiRunner, ProgressPrinter, stage_counts
from tests.run_cli import ROOT, storywire


class _CountFn(beam.DoFn):
    def __init__(self):
        self._read = Metrics.counter("storywire", "documents_read")
        self._other = Metrics.counter("elsewhere", "documents_read")

    def process(self, x):
        self._read.inc()
        self._other.inc(100)
        yield x


def test_runner_totals_user_counters_of_finished_bundles():
    runner = ProgressFnApiRunner()
    with beam.Pipeline(runner=runner) as p:
        _ = p | beam.Create(range(37)) | beam.ParDo(_CountFn())
    assert runner.totals()["documents_read"] == 37  # other namespaces are not mixed in
    assert stage_counts(runner.totals())["read"] == 37
    printer = ProgressPrinter(runner, interval=0, out=io.StringIO())
    assert re.search(r"read 37\s+extracted 0", printer.line())


def test_cli_prints_progress_lines_and_stage_table(tmp_path):
    proc = storywire("run", "--input", f"{ROOT}/seeds/*.txt", "--output", tmp_path / "out",
                     "--progress_interval", "0.2")
    assert re.search(r"^\[\s*[\d.]+s\] read \d+  extracted \d+  signed \d+  clustered \d+  failed \d+$",
                     proc.stderr, re.M), proc.stderr[-2000:]
    for label, value in (("read", 5), ("extracted", 5), ("signed", 5), ("clustered", 5), ("failed", 0)):
        assert re.search(rf"stage: {label}\s+{value}\n", proc.stdout), proc.stdout
