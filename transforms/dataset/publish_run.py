"""``PublishRun``: the graph's last step, publishing the run once every write has finished.

Publishing belongs to the pipeline rather than to the program that launched it:
a flex template's launcher (and any caller that does not wait) exits once the
job is submitted, so a publish step after ``wait_until_finish`` would never run.
Every output's write results reach this step as a side input, which a runner
only provides once the writes are complete (Beam's "wait on" pattern).
"""
from __future__ import annotations

from typing import Callable

import apache_beam as beam
from transforms import counters

__all__ = ["PublishRun"]


class _PublishFn(beam.DoFn):
    def __init__(self, publish_fn: Callable[..., dict], args: tuple):
        self._publish_fn = publish_fn
        self._args = args

    def process(self, _, writes_done):
        rows = self._publish_fn(*self._args)
        for table, count in rows.items():
            counters.counter(f"published_{table}").inc(count)
        yield rows


class PublishRun(beam.PTransform):
    """``(write results, ...)`` -> ``{table: rows published}``, after calling ``publish_fn(*args)`` once.

    Args:
        publish_fn: Publishes the staged run and returns the rows per table; it
            must be idempotent, since a runner may retry the step.
        *args: Its arguments (picklable).
    """

    def __init__(self, publish_fn: Callable[..., dict], *args):
        super().__init__()
        self._publish_fn = publish_fn
        self._args = args

    def expand(self, writes):
        done = (
            [w | f"Signal{i}" >> beam.Map(lambda _: 1) for i, w in enumerate(writes)]
            | "FlattenSignals" >> beam.Flatten()
            | "CountWrites" >> beam.combiners.Count.Globally()
        )
        return (
            writes[0].pipeline
            | "Trigger" >> beam.Create([None])
            | "Publish" >> beam.ParDo(_PublishFn(self._publish_fn, self._args), beam.pvalue.AsSingleton(done))
        )
