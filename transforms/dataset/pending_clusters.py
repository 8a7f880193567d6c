"""``FoldPendingClusters``: fold the cluster deltas streams left under ``_pending/`` into the cluster state.

A stream assigns articles to clusters window by window but cannot rewrite
``clusters/``, which holds every cluster's state in one file. It writes one
delta per article instead (``transforms.dedup.stream_match.cluster_update``); a batch
run reads the deltas present when it started, folds them into the state it
publishes, and deletes exactly those files once published.
"""
from __future__ import annotations

import apache_beam as beam

from transforms.dedup.cluster import merge_cluster_state
from transforms import counters

__all__ = ["FoldPendingClusters", "fold_pending"]


def fold_pending(cluster_id: str, state: list, deltas: list):
    """The cluster's row after its pending deltas; None when there is neither state nor delta."""
    # A cluster first seen by a stream has no row yet: it starts from its original's delta, which
    # carries the canonical article, title and text.
    deltas = sorted(deltas, key=lambda d: (d.get("canonical_article_id") is None, d["member_ids"]))
    if state:
        known = set(state[0].get("member_ids") or [])
        deltas = [d for d in deltas if not set(d["member_ids"]) <= known]  # folded by an earlier run
    row = merge_cluster_state(cluster_id, state, deltas, [])
    if row is not None and not row.get("canonical_article_id"):
        # This run's copies may have joined a stream-made cluster before its original's delta was folded.
        for delta in deltas:
            if delta.get("canonical_article_id"):
                row.update({k: delta.get(k) for k in ("canonical_article_id", "title", "text")})
                break
    return row


class _FoldFn(beam.DoFn):
    def __init__(self):
        self._folded = counters.counter("stream_deltas_folded")

    def process(self, element):
        cluster_id, grouped = element
        deltas = list(grouped["pending"])
        row = fold_pending(cluster_id, list(grouped["state"]), deltas)
        self._folded.inc(len(deltas))
        if row is not None:
            yield row


class FoldPendingClusters(beam.PTransform):
    """``{"state": CLUSTERS rows, "pending": delta rows}`` -> CLUSTERS rows with the deltas folded in."""

    def expand(self, inputs):
        return (
            {"state": inputs["state"] | "KeyState" >> beam.Map(lambda c: (c["cluster_id"], c)),
             "pending": inputs["pending"] | "KeyDeltas" >> beam.Map(lambda d: (d["cluster_id"], d))}
            | "GroupByCluster" >> beam.CoGroupByKey()
            | "FoldDeltas" >> beam.ParDo(_FoldFn())
        )
