"""Which runner a local run gets: ours on the Beam release they were tested on, Beam's own elsewhere.

``batch_runner()`` is the spilling, progress-reporting ``ProgressFnApiRunner``
and ``stream_runner()`` Beam's ``FnApiRunner`` with the fence's metric fix.
Both use Beam internals, so on any Beam but ``fence.TESTED_BEAM_VERSION``
each is Beam's stock ``FnApiRunner`` instead, after a one-line warning
(once per process).
"""
from __future__ import annotations

import logging

from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipeline.runner.fence import TESTED_BEAM_VERSION, FencedFnApiRunner, beam_is_tested, beam_version
from pipeline.runner.progress import ProgressFnApiRunner

__all__ = ["batch_runner", "stream_runner"]

_LOG = logging.getLogger(__name__)
_warned = False


def _tested_beam() -> bool:
    global _warned
    if beam_is_tested():
        return True
    if not _warned:
        _warned = True
        _LOG.warning("apache-beam %s is not the tested %s: using Beam's stock FnApiRunner, so memory is then "
                     "unbounded (nothing spills to disk)", beam_version(), TESTED_BEAM_VERSION)
    return False


def batch_runner() -> FnApiRunner:
    """``ProgressFnApiRunner`` on the tested Beam; else Beam's ``FnApiRunner`` (no progress lines)."""
    return ProgressFnApiRunner() if _tested_beam() else FnApiRunner()


def stream_runner() -> FnApiRunner:
    """``FencedFnApiRunner`` on the tested Beam; else Beam's ``FnApiRunner``."""
    return FencedFnApiRunner() if _tested_beam() else FnApiRunner()
