"""What a run is called and what it counted: run ids, Beam flags given on the command line, and the
storywire counters and distributions read back from a finished pipeline."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import List

from apache_beam.metrics.metric import MetricsFilter

from transforms.counters import NAMESPACE

__all__ = ["new_run_id", "has_flag", "counters_of", "distributions_of"]


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


