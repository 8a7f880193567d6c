"""What a run is called and what it counted: run ids, Beam flags given on the command line, and the
storywire counters and distributions read back from a finished pipeline.

A run that published its data has succeeded whatever its metrics do: ``metrics_of`` reads what it
can and says in one line what it could not, for the caller to print as a warning.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import List, NamedTuple, Optional

from apache_beam.metrics.metric import MetricsFilter

from transforms.counters import NAMESPACE

__all__ = ["new_run_id", "has_flag", "counters_of", "distributions_of", "RunMetrics", "metrics_of"]

_LOG = logging.getLogger(__name__)


def new_run_id(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def has_flag(argv: List[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def counters_of(result) -> dict:
    out = {}
    for c in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        out[c.key.metric.name] = out.get(c.key.metric.name, 0) + (c.committed or c.attempted or 0)
    return out


def distributions_of(result) -> dict:
    """The run's storywire distributions (per-key working sets): name -> {count, sum, min, max}."""
    out: dict = {}
    for d in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["distributions"]:
        v = d.committed or d.attempted
        if v is None or not v.count:
            continue
        cur = out.setdefault(d.key.metric.name, {"count": 0, "sum": 0, "min": v.min, "max": v.max})
        cur["count"] += v.count
        cur["sum"] += v.sum
        cur["min"], cur["max"] = min(cur["min"], v.min), max(cur["max"], v.max)
    return out


class RunMetrics(NamedTuple):
    """A finished run's storywire counters and distributions; None for what could not be read."""

    counters: Optional[dict]
    distributions: Optional[dict]
    #: One line saying what could not be read and why, or None.
    problem: Optional[str] = None


def metrics_of(result) -> RunMetrics:
    """``counters_of`` and ``distributions_of``, each None (and named in ``problem``) when it fails."""
    problems = []

    def read(what: str, reader):
        try:
            return reader(result)
        # Whatever a runner raises while handing its metrics back (RecursionError from Beam's
        # FnApiRunner in issue 23, an API error from Dataflow's): the data is written by then.
        except Exception as exc:  # noqa: BLE001
            _LOG.debug("reading %s failed", what, exc_info=True)
            problems.append(f"{what} unreadable ({type(exc).__name__}: {str(exc)[:120]})")
            return None

    counters = read("counters", counters_of)
    distributions = read("distributions", distributions_of)
    return RunMetrics(counters, distributions, "; ".join(problems) or None)
