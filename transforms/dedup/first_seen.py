"""``FirstSeenFn``: let through the first item per key, ever, in a stream that also replays history.

A streaming pipeline dedupes against two sources: what it has seen itself, and
what earlier runs ingested (the index under ``--output``, read as a bounded
PCollection at the start). Nothing orders the index read against the live feed,
so a new item could otherwise reach its key before the history marker that
should have stopped it. History markers are timestamped at the beginning of
time; a new item waits in state until the watermark passes its timestamp, and
by then every earlier-stamped element, history included, has arrived.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.coders import BooleanCoder, PickleCoder, VarIntCoder
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import MIN_TIMESTAMP, Timestamp
from transforms import counters

__all__ = ["FirstSeenFn", "HISTORY", "history_marker", "hold", "release", "take_due"]

#: The value a history marker carries: "this key was ingested before".
HISTORY = None


def history_marker(key):
    """A ``(key, HISTORY)`` element stamped before every live element."""
    return TimestampedValue((key, HISTORY), MIN_TIMESTAMP)


def hold(pending, due, flush, micros: int, item) -> None:
    """Keep ``item`` in ``pending`` state until the watermark passes ``micros`` (timer ``flush``, earliest in ``due``)."""
    pending.add((micros, item))
    current = due.read()
    if current is None or micros < current:
        flush.set(Timestamp(micros=micros))
        due.write(micros)


def release(pending, due, flush, fired_micros: int) -> list:
    """The held ``(micros, item)`` entries the watermark has passed, oldest first; the rest stay held."""
    ready, later = take_due(list(pending.read()), fired_micros)
    pending.clear()
    due.clear()
    for entry in later:
        pending.add(entry)
    if later:
        flush.set(Timestamp(micros=later[0][0]))
        due.write(later[0][0])
    return ready


def take_due(pending: list, fire_micros: int) -> tuple:
    """Split ``[(micros, item)]`` into (due entries in timestamp order, the rest); ties keep arrival order."""
    ordered = sorted(pending, key=lambda p: p[0])
    return [p for p in ordered if p[0] <= fire_micros], [p for p in ordered if p[0] > fire_micros]


class FirstSeenFn(beam.DoFn):
    """``(key, item | HISTORY)`` -> ``(key, item)`` for the first live item of a key never seen in history.

    Args:
        counter: Name of the counter of items dropped as seen before.
    """

    SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())
    PENDING = BagStateSpec("pending", PickleCoder())
    DUE = ReadModifyWriteStateSpec("due", VarIntCoder())
    FLUSH = TimerSpec("flush", TimeDomain.WATERMARK)

    def __init__(self, counter: str):
        self._counter_name = counter
        self._dropped = None

    def setup(self):
        self._dropped = counters.counter(self._counter_name)

    def process(self, element, timestamp=beam.DoFn.TimestampParam, seen=beam.DoFn.StateParam(SEEN),
                pending=beam.DoFn.StateParam(PENDING), due=beam.DoFn.StateParam(DUE),
                flush=beam.DoFn.TimerParam(FLUSH)):
        _, item = element
        if item is HISTORY:
            seen.write(True)
            return
        if seen.read():
            self._dropped.inc()  # the key is settled; no need to wait for the watermark
            return
        hold(pending, due, flush, timestamp.micros, item)

    @on_timer(FLUSH)
    def on_flush(self, key=beam.DoFn.KeyParam, fired=beam.DoFn.TimestampParam, seen=beam.DoFn.StateParam(SEEN),
                 pending=beam.DoFn.StateParam(PENDING), due=beam.DoFn.StateParam(DUE),
                 flush=beam.DoFn.TimerParam(FLUSH)):
        already = bool(seen.read())
        for micros, item in release(pending, due, flush, fired.micros):
            if already:
                self._dropped.inc()
                continue
            already = True
            seen.write(True)
            yield TimestampedValue((key, item), Timestamp(micros=micros))
