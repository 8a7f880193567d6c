"""Candidate pairs on Beam, shared by the LSH, containment and event levels.

- ``PairBucketFn``: a bucket (one band key, anchor or term pair) -> candidate pairs among its
  members, with at least one new member; buckets over the cap link to one representative.
- ``shard_by_first`` and ``DistinctPairs``: pairs found in many groups leave each group in one record
  per pair shard, and meet (deduplicated) in their shard's group.
- ``MeetPairs``: each distinct candidate ``(a, b)`` meets both members' values once, with two
  ``CoGroupByKey``s (a's value travels to b), so a verifying DoFn sees
  ``(b, {"pairs": [(a, value_a), ...], "values": [value_b]})``; what goes into each join travels
  in batches per key and bundle (``BatchPerKeyFn``).
"""
from __future__ import annotations

import zlib
from typing import Callable, Iterable, List, Tuple

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindows

from transforms import counters
from transforms.dedup import lsh

__all__ = ["NEW", "OLD", "PairBucketFn", "MeetPairs", "DistinctPairs", "BatchPerKey", "BatchPerKeyFn", "stable_shard",
           "shard_by_first"]

#: Tags packed in front of a member id in bucket values: a new article, or one of the index.
NEW, OLD = "n", "o"


class PairBucketFn(beam.DoFn):
    """A bucket ``(key, ["<tag><article_id>", ...])`` -> candidate pairs ``(a, b)``, a < b.

    Args:
        bucket_cap: Buckets with more members link each to one representative instead.
        metrics: Names of its capped-bucket and capped-member counters and of its bucket-size
            distribution, so each level counts its own.
    """

    def __init__(self, bucket_cap: int,
                 metrics: tuple = ("capped_buckets", "capped_bucket_members", "lsh_bucket_size")):
        self._cap = bucket_cap
        capped, capped_members, bucket_size = metrics
        self._capped = counters.counter(capped)
        self._capped_members = counters.counter(capped_members)
        # What one worker holds for one key, before capping: bounded by the largest story
        # (or shared boilerplate), not by the corpus.
        self._bucket_size = counters.distribution(bucket_size)

    def process(self, element):
        _, members = element
        return self.bucket_candidates(members)

    def bucket_candidates(self, members, cluster_of: dict = None):
        """Candidate pairs of one bucket's members (``"<tag><article_id>"`` strings), counted.

        ``cluster_of``: article id -> story cluster, when members of one cluster are no candidates.
        """
        tags = {m[1:]: m[0] for m in members}
        self._bucket_size.update(len(tags))
        return self._pairs(tags, cluster_of)

    def _pairs(self, tags: dict, cluster_of: dict = None):
        """``bucket_candidates`` of one bucket's ``{article_id: tag}``, its size already counted."""
        if len(tags) < 2 or all(t == OLD for t in tags.values()):
            return
        # Past articles sort first, so a capped bucket's representative is an old one when there is one.
        order = sorted(tags, key=lambda k: (tags[k] != OLD, k))
        pairs, capped = lsh.bucket_pairs(order, self._cap, presorted=True)
        if capped:
            self._capped.inc()
            self._capped_members.inc(len(tags))
        for a, b in pairs:
            if tags[a] == OLD and tags[b] == OLD:
                continue
            if cluster_of is not None and cluster_of[a] == cluster_of[b]:
                continue
            yield (a, b) if a < b else (b, a)

    def sharded_candidates(self, buckets: Iterable[list], pair_shards: int,
                           cluster_of: dict = None) -> List[Tuple[int, list]]:
        """The distinct candidate pairs of several buckets (one group's), in batches per shard of their
        first id (``shard_by_first``) for ``DistinctPairs``: a pair found in many buckets leaves once.
        ``cluster_of``: as for ``bucket_candidates``."""
        pairs: set = set()
        for members in buckets:
            pairs.update(self.bucket_candidates(members, cluster_of))
        return self.sharded(pairs, pair_shards)

    @staticmethod
    def sharded(pairs: Iterable[tuple], pair_shards: int) -> List[Tuple[int, list]]:
        """Distinct pairs in batches per shard of their first id, as ``sharded_candidates`` sends them."""
        return shard_by_first(pairs, _first, pair_shards)


def stable_shard(key: str, shards: int) -> int:
    """``key``'s shard, the same in every process (Python's ``hash`` of a str is not): what lets the
    batches of one key from every group meet in one shard."""
    return zlib.crc32(key.encode()) % shards


def shard_by_first(items: Iterable, first: Callable, shards: int) -> List[Tuple[int, list]]:
    """``items`` batched by the shard of their pair's first id (``stable_shard``): ``[(shard, [item, ...])]``,
    so the items of one pair from every group meet in one shard.
    """
    shard_of: dict = {}
    out: dict = {}
    for item in items:
        key = first(item)
        shard = shard_of.get(key)
        if shard is None:
            shard = shard_of[key] = stable_shard(key, shards)
        out.setdefault(shard, []).append(item)
    return list(out.items())


def _first(pair: tuple) -> str:
    return pair[0]


def _distinct(element):
    _, batches = element
    seen: set = set()
    for batch in batches:
        seen.update(map(tuple, batch))
    return seen


class DistinctPairs(beam.PTransform):
    """``(shard, [pairs])`` batches from ``shard_by_first`` -> each distinct pair once."""

    def expand(self, batches):
        return batches | "GroupPairs" >> beam.GroupByKey() | "DropRepeats" >> beam.FlatMap(_distinct)


#: Most entries ``BatchPerKeyFn`` holds before its batches leave: bounds a worker's memory on any runner.
MAX_BATCHED = 20_000


class BatchPerKeyFn(beam.DoFn):
    """``(key, value)`` -> ``(key, [value, ...])``: the values of one key within a bundle, in one element.

    Grouped right after, a key's batches are flattened again, so the grouping sees what it saw,
    in fewer elements: each one costs a local run a few microseconds at every step of a shuffle,
    and a pair's two joins (``MeetPairs``) carried one element per pair and direction. The buffer
    leaves whole every ``MAX_BATCHED`` entries and at the bundle's end. Global window only (as
    ``BatchElements``' fast path: asking each element's window costs ~1.5 us an element);
    ``BatchPerKey`` checks it. Subclasses batch what ``entries`` makes of an element.
    """

    def __init__(self, max_batched: int = MAX_BATCHED):
        self._max = max_batched
        self._batches: dict = {}
        self._held = 0

    def start_bundle(self):
        self._batches, self._held = {}, 0

    def entries(self, element) -> Iterable[Tuple]:
        """The ``(key, value)`` entries one element adds to the batches."""
        return (element,)

    def process(self, element):
        batches = self._batches
        for key, value in self.entries(element):
            batch = batches.get(key)
            if batch is None:
                batches[key] = [value]
            else:
                batch.append(value)
            self._held += 1
        if self._held >= self._max:
            yield from self._flush()

    def finish_bundle(self):
        return self._flush()

    def _flush(self):
        batches, self._batches, self._held = self._batches, {}, 0
        # One windowed value made once and copied with each batch: Beam's
        # ``GlobalWindows.windowed_value_at_end_of_window`` builds a window and two timestamps in
        # Python each time (a profile of a 10k run put it at ~0.4 s).
        for key, values in batches.items():
            yield _END_OF_GLOBAL_WINDOW.with_value((key, values))


_END_OF_GLOBAL_WINDOW = GlobalWindows.windowed_value_at_end_of_window(None)


class _BatchBothWaysFn(BatchPerKeyFn):
    """A pair ``(a, b)`` -> ``b`` batched under ``a`` and ``a`` under ``b``: each end meets the other."""

    def entries(self, pair):
        a, b = pair
        return (a, b), (b, a)


class _AttachFirstFn(BatchPerKeyFn):
    """(a, {"pairs": [[b...], ...], "values": [value_a]}) -> ``(a, value_a)`` batched under each b: the
    pairs of the first join, on their way to the second, without an element per pair between them."""

    def entries(self, element):
        a, grouped = element
        values = list(grouped["values"])
        if not values:
            return ()
        first = (a, values[0])
        return [(b, first) for batch in grouped["pairs"] for b in batch]


class BatchPerKey(beam.PTransform):
    """``BatchPerKeyFn`` (or a subclass, ``fn``) on a globally windowed PCollection."""

    def __init__(self, fn: BatchPerKeyFn = None):
        super().__init__()
        self._fn = fn

    def expand(self, pcoll):
        if not isinstance(pcoll.windowing.windowfn, GlobalWindows):
            raise ValueError("BatchPerKey needs the global window")
        return pcoll | "BatchPerKey" >> beam.ParDo(self._fn or BatchPerKeyFn())


def _flatten_pairs(element):
    """(b, {"pairs": [[(a, value_a)...], ...], "values": [value_b]}) -> the same with one list of pairs,
    for a b with candidates."""
    b, grouped = element
    pairs = [p for batch in grouped["pairs"] for p in batch]
    if pairs:
        yield b, {"pairs": pairs, "values": grouped["values"]}


class MeetPairs(beam.PTransform):
    """``{"pairs": (a, b) candidates, "values": (article_id, value)}`` -> ``(b, {"pairs": [(a, value_a)],
    "values": [value_b]})`` for every b with candidates.

    Both joins take a bundle's pairs and values-to-deliver in batches per key (``BatchPerKeyFn``):
    at 10k documents the four meetings of a run carried ~450,000 elements, one per pair and join.
    The first join's output is batched for the second as it is read (``_AttachFirstFn``).

    Args:
        both_directions: Each pair also meets as ``(b, a)``: every end sees the other's value.
    """

    def __init__(self, both_directions: bool = False):
        super().__init__()
        self._both = both_directions

    def expand(self, inputs):
        values = inputs["values"]
        by_first = inputs["pairs"] | "BatchByFirst" >> BatchPerKey(_BatchBothWaysFn() if self._both else None)
        with_first = (
            {"pairs": by_first, "values": values}
            | "JoinFirst" >> beam.CoGroupByKey()
            | "AttachFirst" >> beam.ParDo(_AttachFirstFn())
        )
        return ({"pairs": with_first, "values": values} | "JoinSecond" >> beam.CoGroupByKey()
                | "FlattenPairs" >> beam.FlatMap(_flatten_pairs))
