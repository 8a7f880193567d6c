"""Progress of a local run from Beam's own metrics, printed while it runs and as a final table.

The in-process ``FnApiRunner`` only hands metrics over when the whole pipeline
has finished. ``ProgressFnApiRunner`` adds up each bundle's user counters as
the bundle completes, which is where the runner itself collects them, so a
user can tell a slow run from a stuck one. ``LocalRunner`` cuts each stage into
bounded bundles, so the totals move during a stage too. On Dataflow the same
counters are live in the job's UI.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Dict, Optional, TextIO

from apache_beam.metrics import monitoring_infos

from pipeline.runner.local_runner import LocalRunner
from transforms import counters

__all__ = ["ProgressFnApiRunner", "ProgressPrinter", "STAGES"]

#: What a progress line shows: label -> storywire counters summed for it.
STAGES = (
    ("read", (counters.DOCUMENTS_READ, counters.FEED_DOCUMENTS)),
    ("extracted", (counters.DOCUMENTS_EXTRACTED,)),
    ("signed", ("documents_signed",)),
    ("clustered", ("documents_clustered",)),
    ("failed", (counters.READ_FAILED, counters.EXTRACT_FAILED, counters.FEED_ERRORS)),
)


class ProgressFnApiRunner(LocalRunner):
    """The local runner, keeping a running total of the user counters of finished bundles."""

    def __init__(self, namespace: str = counters.NAMESPACE, **kwargs):
        super().__init__(**kwargs)
        self._namespace = namespace
        self._lock = threading.Lock()
        self._totals: Dict[str, int] = {}

    def totals(self) -> Dict[str, int]:
        with self._lock:
            return dict(self._totals)

    def bundle_finished(self, response) -> None:
        with self._lock:
            for info in response.process_bundle.monitoring_infos:
                if info.urn != monitoring_infos.USER_COUNTER_URN:
                    continue
                if info.labels.get(monitoring_infos.NAMESPACE_LABEL) != self._namespace:
                    continue
                name = info.labels.get(monitoring_infos.NAME_LABEL)
                self._totals[name] = self._totals.get(name, 0) + monitoring_infos.extract_counter_value(info)


def stage_counts(totals: Dict[str, int]) -> Dict[str, int]:
    return {label: sum(totals.get(n, 0) for n in names) for label, names in STAGES}


class ProgressPrinter:
    """Prints one progress line every ``interval`` seconds while a run is going."""

    def __init__(self, runner: ProgressFnApiRunner, interval: float, out: TextIO = sys.stderr):
        self._runner = runner
        self._interval = interval
        self._out = out
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._start = time.monotonic()

    def line(self) -> str:
        counts = stage_counts(self._runner.totals())
        elapsed = time.monotonic() - self._start
        return f"[{elapsed:7.1f}s] " + "  ".join(f"{label} {value}" for label, value in counts.items())

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            print(self.line(), file=self._out, flush=True)

    def __enter__(self) -> "ProgressPrinter":
        if self._interval > 0:
            self._thread = threading.Thread(target=self._loop, name="storywire-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
