"""``GroupEvents``: the event level on Beam, after story clusters are built.

    KeyByCluster -> GroupByCluster -> DateMembers
        an undated member takes its story cluster's dates (``events.within_window``).
    BatchEventMembers -> EmitEventKeys -> GroupByEventKey -> PairEventBuckets -> DedupeEventCandidates
        pairs of top terms are band keys (``events.event_keys``); past articles of the
        index take part, so a rewrite of an old story finds its event. The keys travel as
        the LSH bands do: a batch of members sends one record per shard of the key, each
        group finds its buckets in memory, pairs each bucket's holders within date slots
        (``events.window_buckets``), and its pairs leave it in one batch per pair shard.
    MeetTerms -> VerifyEventPairs
        each candidate meets both term vectors once: cosine and date window.
    LinkEvents                          union-find over event edges and cluster membership
    KeyByEvent -> GroupByEvent -> AssignEvents
        each component is split into events by group-average linkage of its story clusters
        (``events.split_event``); event id (a past member's, or new) and role per member.
    JoinEventIds -> AttachEventIds      the index rows learn their event id

Cluster membership is part of the event graph: every member of a story cluster
is in its event, so one verified rewrite brings the whole cluster along.
"""
from __future__ import annotations

import itertools
import operator

import apache_beam as beam
import numpy as np

from transforms import counters
from transforms.dedup import lsh
from transforms.dedup.cluster import LinkComponents
from transforms.dedup.containment import ROUNDUP
from transforms.dedup.events import (EventConfig, TermSplits, cluster_dates, date_slots, event_id_for, event_key_hashes,
                                     event_roles, split_event, verify_event_pairs, window_buckets)
from transforms.dedup.pairs import NEW, OLD, DistinctPairs, MeetPairs, PairBucketFn
from transforms.dedup.records import utc_micros

__all__ = ["GroupEvents", "PairEventGroupFn", "event_key_groups", "EVENT_KEY_SHARDS", "EVENT_KEY_BATCH"]


def _member(row: dict, old: bool) -> dict:
    return {"article_id": row["article_id"], "cluster_id": row["cluster_id"], "published": row.get("published"),
            "is_canonical": row.get("is_canonical"), "event_id": row.get("event_id") if old else None,
            "event_terms": row.get("event_terms"), "old": old, "roundup": row.get("role") == ROUNDUP,
            "credited_source": row.get("credited_source")}


def _key_holder(member: dict, window_days: float) -> tuple:
    # The cluster goes with the id: two members of one story cluster are in one event already, so they
    # are no candidates (on the generated corpus they were most of them). The date slots go too: a
    # key's holders are paired slot by slot.
    return ((OLD if member["old"] else NEW) + member["article_id"], member["cluster_id"],
            date_slots(member["dates"], window_days))


#: Event keys go in records per shard of the key, for batches of this many members: a 10k run sent
#: 150,000 key elements (15 a member), each costing a local run a few microseconds, where this sends
#: a few thousand records. A group holds 1/``EVENT_KEY_SHARDS`` of the run's keys.
EVENT_KEY_SHARDS = 256
EVENT_KEY_BATCH = 1024


def event_key_groups(members: list, key_terms: int, window_days: float, shards: int = EVENT_KEY_SHARDS) -> list:
    """A batch of dated members' event keys (``events.event_key_hashes``), one record per shard of the key:
    ``[(shard, (keys bytes, [(member, cluster, date slots) of each key]))]`` (``lsh.key_groups``; ``dates``
    in UTC microseconds, as ``DateMembers`` gives them).

    A roundup sends none: it carries two stories, so it would link both events; its event is its own.
    The keys are numbers: as 15 strings a member, each hashed for its shard, the keys of 100,000 generated
    members took 3.8 s to send in batches of 1,024, against 0.55 s, and their groups 4.8 s to pair
    with dicts of the strings, against 2.8 s (``PairEventGroupFn``).
    """
    keyed = [member for member in members if not member["roundup"]]
    keys, owner = event_key_hashes([member.get("event_terms") for member in keyed], key_terms)
    return lsh.key_groups(keys, owner, [_key_holder(member, window_days) for member in keyed], shards)


_CLUSTER, _SLOTS = operator.itemgetter(1), operator.itemgetter(2)


class PairEventGroupFn(PairBucketFn):
    """``(shard, [(keys, [(member, cluster, date slots), ...]), ...])`` -> the group's distinct candidate pairs,
    in batches ``(pair shard, [(a, b), ...])`` for ``DistinctPairs``.

    The group's keys are cut into buckets as the LSH bands are, a bucket all of one story cluster left out
    (``lsh.split_mixed_buckets``). The holders of one key are paired within each date slot
    (``events.window_buckets``), each slot's as ``PairBucketFn`` pairs a bucket (capped past ``bucket_cap``),
    leaving out two members of one story cluster. ``event_bucket_size`` counts a key's holders: what the group
    holds for it.
    """

    def __init__(self, bucket_cap: int, pair_shards: int = 64):
        super().__init__(bucket_cap, metrics=("capped_event_buckets", "capped_event_bucket_members",
                                              "event_bucket_size"))
        self._pair_shards = pair_shards

    def process(self, element):
        _, batches = element
        keys, holders = [], []
        for batch_keys, batch_holders in batches:
            keys.append(batch_keys)
            holders.extend(batch_holders)
        cluster_of = list(map(_CLUSTER, holders))
        # Each cluster numbered by where it is first met (``setdefault`` keeps a cluster's first number).
        numbered: dict = {}
        clusters = np.fromiter(map(numbered.setdefault, cluster_of, itertools.count()), dtype=np.int64,
                               count=len(cluster_of))
        # Buckets of positions in ``holders``, those all of one story cluster (most of them) left out for all the
        # group's keys at once: no list made for them, nor a cluster read per holder.
        sizes, buckets = lsh.split_mixed_buckets([(b"".join(keys), range(len(holders)))], clusters)
        for size in sizes.tolist():
            self._bucket_size.update(size)
        slots_of = list(map(_SLOTS, holders))
        pairs: set = set()
        for bucket in window_buckets(buckets, slots_of, self._cap, cluster_of, mixed_only=True):
            members = [holders[i][0] for i in bucket]
            pairs.update(self._pairs({m[1:]: m[0] for m in members},
                                     {m[1:]: cluster_of[i] for m, i in zip(members, bucket)}))
        return self.sharded(pairs, self._pair_shards)


def _terms_entry(member: dict) -> tuple:
    return member["article_id"], (member.get("event_terms"), member["dates"], member["cluster_id"])


def _date_members(element):
    """(cluster_id, members) -> each member with ``dates``: its published date, or its cluster's.

    The dates are UTC microseconds: the members, both joins and every pair's batch carry them, and
    an int is written by Beam's coder in C where a datetime takes our fallback (~150,000 at 10k).
    """
    _, members = element
    members = list(members)
    dated = [utc_micros(d) for d in cluster_dates(m.get("published") for m in members)]
    for m in members:
        yield {**m, "dates": [utc_micros(m["published"])] if m.get("published") is not None else dated}


class _VerifyEventPairsFn(beam.DoFn):
    """``(b, {"pairs": [(a, (terms, dates, cluster)), ...], "values": [(terms, dates, cluster)]})`` -> the
    verified edges ``(a, b)`` (``events.verify_event_pairs``)."""

    def __init__(self, config: EventConfig):
        self._config = config
        self._candidates = counters.counter("event_candidate_pairs")
        self._verified = counters.counter("event_pairs")
        self._linked = counters.counter("event_pairs_linked_already")

    def setup(self):
        self._splits = TermSplits()

    def process(self, element):
        b, grouped = element
        entries = list(grouped["values"])
        if not entries:
            return
        pairs = list(grouped["pairs"])
        edges, linked = verify_event_pairs(entries[0], pairs, self._config, self._splits)
        self._candidates.inc(len(pairs))
        self._verified.inc(len(edges))
        self._linked.inc(linked)
        return [(a, b) for a in edges]


class _AssignEventsFn(beam.DoFn):
    """(component, members) -> (article_id, (event_id, event_role)) for the new members of each of
    the component's events."""

    def __init__(self, merge_threshold: float):
        self._merge_threshold = merge_threshold
        self._events = counters.counter(counters.NEW_EVENTS)
        self._joined = counters.counter(counters.JOINED_EXISTING_EVENTS)
        self._split = counters.counter("event_components_split")

    def process(self, element):
        _, members = element
        events = split_event(list(members), self._merge_threshold)
        if len(events) > 1:
            self._split.inc()
        for event in events:
            yield from self._assign(event)

    def _assign(self, members: list):
        new = [m for m in members if not m["old"]]
        if not new:
            return
        old_ids = sorted({m["event_id"] for m in members if m["old"] and m.get("event_id")})
        if old_ids:
            event_id = old_ids[0]
            self._joined.inc()
        else:
            event_id = event_id_for(min(m["article_id"] for m in new))
            self._events.inc()
        # The index does not keep which past member was canonical; a past member only competes for
        # the event's earliest cluster here, so standing in as its cluster's canonical is enough.
        roles = event_roles([{**m, "is_canonical": True} if m["old"] else m for m in members])
        for m in new:
            yield m["article_id"], (event_id, roles.get(m["article_id"], "related"))


class _AttachEventFn(beam.DoFn):
    def process(self, element):
        _, grouped = element
        events = list(grouped["events"])
        event_id, role = events[0] if events else (None, None)
        for row in grouped["rows"]:
            yield {**row, "event_id": event_id, "event_role": role}
        for row in grouped["index"]:
            yield beam.pvalue.TaggedOutput("index", {**row, "event_id": event_id})


class GroupEvents(beam.PTransform):
    """``{"articles": clustered rows, "index": their index rows, "history": past index rows}``
    -> ``{"articles": rows with event_id and event_role, "index": index rows with event_id}``."""

    def __init__(self, config: EventConfig = None):
        super().__init__()
        self._config = config or EventConfig()

    def expand(self, inputs):
        cfg = self._config
        articles, index, history = inputs["articles"], inputs["index"], inputs["history"]
        new = articles | "NewEventMembers" >> beam.Map(_member, False)
        old = (history
               | "HistoryWithTerms" >> beam.Filter(lambda h: bool(h.get("event_terms")))
               | "OldEventMembers" >> beam.Map(_member, True))
        members = (
            (new, old)
            | "FlattenEventMembers" >> beam.Flatten()
            | "KeyByCluster" >> beam.Map(lambda m: (m["cluster_id"], m))
            | "GroupByCluster" >> beam.GroupByKey()
            | "DateMembers" >> beam.FlatMap(_date_members)
        )
        candidates = (
            members
            | "BatchEventMembers" >> beam.BatchElements(min_batch_size=EVENT_KEY_BATCH, max_batch_size=EVENT_KEY_BATCH)
            | "EmitEventKeys" >> beam.FlatMap(event_key_groups, cfg.key_terms, cfg.window_days)
            | "GroupByEventKey" >> beam.GroupByKey()
            | "PairEventBuckets" >> beam.ParDo(PairEventGroupFn(cfg.bucket_cap))
            | "DedupeEventCandidates" >> DistinctPairs()
        )
        terms = members | "KeyTerms" >> beam.Map(_terms_entry)
        edges = (
            {"pairs": candidates, "values": terms}
            | "MeetTerms" >> MeetPairs()
            | "VerifyEventPairs" >> beam.ParDo(_VerifyEventPairsFn(cfg))
        )
        cluster_edges = members | "ClusterEdges" >> beam.Map(lambda m: (m["article_id"], "c:" + m["cluster_id"]))
        components = beam.pvalue.AsSingleton(
            (edges, cluster_edges)
            | "LinkEvents" >> LinkComponents(metrics=("event_union_find_members", "event_union_find_edges"))
        )
        events = (
            members
            # Every member has its cluster edge, so every member is in the components.
            | "KeyByEvent" >> beam.Map(lambda m, comp: (comp[m["article_id"]], m), comp=components)
            | "GroupByEvent" >> beam.GroupByKey()
            | "AssignEvents" >> beam.ParDo(_AssignEventsFn(cfg.merge_threshold))
        )
        attached = (
            {"rows": articles | "KeyRowsForEvents" >> beam.Map(lambda r: (r["article_id"], r)),
             "index": index | "KeyIndexForEvents" >> beam.Map(lambda r: (r["article_id"], r)),
             "events": events}
            | "JoinEventIds" >> beam.CoGroupByKey()
            | "AttachEventIds" >> beam.ParDo(_AttachEventFn()).with_outputs("index", main="articles")
        )
        return {"articles": attached.articles, "index": attached.index}
