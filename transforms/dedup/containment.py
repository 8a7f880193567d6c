"""Containment: a brief or excerpt of a story joins it, though their Jaccard is small.

A wire brief of 40-110 words is nearly all contained in its 800-word story, yet
their shingle Jaccard is below 0.1: MinHash LSH tuned to Jaccard 0.3 never pairs
them, and a MinHash estimate of containment on so few shingles is too noisy
(about +-0.27 at 128 permutations). So short texts are matched on a sample of
their shingles instead:

- ``containment_anchors``: the shingle hashes whose mixed value is 0 mod 4 (a
  content-defined 1-in-4 sample: a shingle is an anchor in every text that has
  it), at most ``MAX_ANCHORS`` of them.
- Every anchor is a key grouped with ``GroupByKey``; inside a bucket, each short
  text (at most ``MAX_QUERY_ANCHORS`` anchors) pairs with every other member.
  Counting a pair's buckets gives the anchors the two share.
- A pair links when the short text's shared share is at least
  ``MIN_CONTAINMENT`` with at least ``MIN_SHARED`` anchors: a 40-word brief has
  about 10 anchors, so a brief 80% contained shares 6 or more with 97% chance,
  while an unrelated text shares none.
- A bucket with more than ``BUCKET_CAP`` members is a phrase every outlet prints
  ("contributed to this report"); it is skipped and counted.
"""
from __future__ import annotations

import apache_beam as beam
import numpy as np

from transforms import counters

__all__ = ["FindContainedTexts", "containment_anchors", "emit_anchor_keys", "PairAnchorsFn", "VerifyContainmentFn", "MAX_ANCHORS",
           "MAX_QUERY_ANCHORS", "MIN_CONTAINMENT", "MIN_SHARED", "BUCKET_CAP", "is_contained"]

SAMPLE_MOD = 4
MAX_ANCHORS = 400
#: Texts with more anchors than this (about 160 words) are found, never searched from: long texts meet
#: by Jaccard already.
MAX_QUERY_ANCHORS = 40
MIN_CONTAINMENT = 0.7
MIN_SHARED = 6
BUCKET_CAP = 200
_MIX = np.uint32(0x9E3779B1)


def containment_anchors(shingle_hashes: np.ndarray) -> np.ndarray:
    """The sorted distinct anchors (uint32) of a text's shingle hashes."""
    h = np.unique(np.asarray(shingle_hashes, dtype=np.uint32))
    with np.errstate(over="ignore"):
        mixed = (h * _MIX) >> np.uint32(16)
    return h[(mixed % SAMPLE_MOD) == 0][:MAX_ANCHORS]


def is_contained(shared: int, n_small: int) -> bool:
    """Whether a short text with ``n_small`` anchors, ``shared`` of them in another text, is contained in it."""
    return shared >= MIN_SHARED and shared >= MIN_CONTAINMENT * n_small


def emit_anchor_keys(member: dict, tag: str):
    """(anchor, "<tag><n_anchors>:<article_id>") per anchor of a member (new or past)."""
    packed = member.get("anchors")
    if not packed:
        return
    anchors = np.frombuffer(packed, dtype=np.uint32)
    value = f"{tag}{len(anchors)}:{member['article_id']}"
    for a in anchors.tolist():
        yield a, value


class PairAnchorsFn(beam.DoFn):
    """An anchor bucket -> ``((short_id, n_short, other_id), 1)`` for each short member and each other member."""

    def __init__(self, old_tag: str):
        self._old = old_tag
        self._capped = counters.counter("capped_anchor_buckets")

    def process(self, element):
        _, values = element
        members = {}
        for v in values:
            n, _, article_id = v[1:].partition(":")
            members[article_id] = (v[0] == self._old, int(n))
        if len(members) < 2:
            return
        if len(members) > BUCKET_CAP:
            self._capped.inc()
            return
        for short_id, (short_old, n_short) in members.items():
            if n_short > MAX_QUERY_ANCHORS:
                continue
            for other_id, (other_old, n_other) in members.items():
                if other_id == short_id or (short_old and other_old):
                    continue
                # A pair of two short texts is counted once, from the one with fewer anchors (ties: by id).
                if n_other <= MAX_QUERY_ANCHORS and (n_other, other_id) < (n_short, short_id):
                    continue
                yield (short_id, n_short, other_id), 1


class VerifyContainmentFn(beam.DoFn):
    """((short_id, n_short, other_id), shared anchors) -> the edge, when the short text is contained."""

    def __init__(self):
        self._verified = counters.counter("containment_pairs")

    def process(self, element):
        (short_id, n_short, other_id), shared = element
        if is_contained(shared, n_short):
            self._verified.inc()
            yield (short_id, other_id) if short_id < other_id else (other_id, short_id)


class FindContainedTexts(beam.PTransform):
    """``{"articles": signed articles, "history": index rows}`` -> edges ``(a, b)`` where the shorter
    text is contained in the other (briefs, excerpts)."""

    _NEW, _OLD = "n", "o"

    def expand(self, inputs):
        return (
            (inputs["articles"] | "EmitAnchorKeys" >> beam.FlatMap(emit_anchor_keys, self._NEW),
             inputs["history"] | "EmitHistoryAnchorKeys" >> beam.FlatMap(emit_anchor_keys, self._OLD))
            | "FlattenAnchorKeys" >> beam.Flatten()
            | "GroupByAnchor" >> beam.GroupByKey()
            | "PairAnchors" >> beam.ParDo(PairAnchorsFn(self._OLD))
            | "CountSharedAnchors" >> beam.CombinePerKey(sum)
            | "VerifyContainment" >> beam.ParDo(VerifyContainmentFn())
        )
