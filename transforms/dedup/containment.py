"""Containment: briefs and edited reposts join their story, though their Jaccard is small.

A wire brief of 40-110 words is nearly all contained in its 800-word story, yet
their shingle Jaccard is below 0.1; an edited repost (a third of the sentences
dropped, one word in eight changed) keeps about 60% of its shingles in the
original at Jaccard 0.22-0.31. MinHash LSH tuned to Jaccard 0.3 misses half of
those, and a MinHash estimate of containment is too noisy on short texts
(about +-0.27 at 128 permutations). So texts are also matched on a
content-defined sample of their shingles, their *anchors*: the shingle hashes
whose mixed value is 0 mod 4. A shingle is an anchor in every text that has it,
so the share of a text's anchors found in another estimates its containment.

Two kinds of keys, grouped with ``GroupByKey`` like the LSH bands:

- ``f`` (fine, every anchor): a short text (at most ``MAX_QUERY_ANCHORS``
  anchors, about 160 words) pairs with every other member of the bucket, and
  counting a pair's buckets gives the anchors they share. A brief links when at
  least ``MIN_CONTAINMENT`` of its anchors, and ``MIN_SHARED`` or more, are in
  the other text: a 40-word brief has about 10 anchors, so one 80% contained
  shares 6 or more with 97% chance.
- ``c`` (coarse, one anchor in 4 again): longer texts pair with the next
  ``NEIGHBOURS`` longer members of a bucket (never all pairs: 50 near-copies of
  one story would give 2,500 pairs a key). A pair sharing ``MIN_COARSE`` coarse
  anchors is a candidate; it meets both anchor lists once (``MeetPairs``)
  and links when at least ``MIN_LONG_CONTAINMENT`` of the
  shorter text's anchors are in the longer one. On real article bodies, texts of
  different stories share at most 31% (two reports quoting one statement);
  edited reposts share 57-81%.

A bucket with more than ``BUCKET_CAP`` members is a phrase every outlet prints
("contributed to this report"); it is skipped and counted.

Fine keys of long texts only matter in a bucket that holds a short text. So the
short texts' anchors are first gathered into a 1 MB bit set (``ShortAnchorsFn``,
a ``CombineGlobally``, used as a side input), and a long text emits only the fine
anchors whose bit is set: in a corpus of full articles that is almost none, and
the containment tier costs about what the coarse keys cost, whatever the corpus.
"""
from __future__ import annotations

import apache_beam as beam
import numpy as np

from transforms import counters
from transforms.dedup.pairs import NEW, OLD, MeetPairs
from transforms.dedup.records import Member

__all__ = ["FindContainedTexts", "ShortAnchorsFn", "containment_anchors", "anchor_keys", "shared_share",
           "is_contained_brief", "is_contained_text", "MAX_ANCHORS", "MAX_QUERY_ANCHORS"]

SAMPLE_MOD = 4
COARSE_MOD = 4
MAX_ANCHORS = 3000
MAX_QUERY_ANCHORS = 40
MIN_CONTAINMENT = 0.7
MIN_SHARED = 6
#: A shared passage of about 40 words (10 anchors) links a short text holding it as this share of its own.
MIN_PASSAGE = 10
MIN_PASSAGE_SHARE = 0.4
MIN_COARSE = 3
MIN_LONG_CONTAINMENT = 0.45
MIN_LONG_SHARED = 12
NEIGHBOURS = 8
BUCKET_CAP = 200
_MIX = np.uint32(0x9E3779B1)
_FILTER_BITS = 1 << 23
_FILTER_MIX = np.uint32(0x85EBCA6B)


def _mixed(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (h * _MIX) >> np.uint32(12)


def containment_anchors(shingle_hashes: np.ndarray, distinct: bool = False) -> np.ndarray:
    """The sorted distinct anchors (uint32) of a text's shingle hashes, at most ``MAX_ANCHORS``.

    ``distinct``: the hashes are already ``np.unique``'s output (signing counts them anyway).
    """
    h = np.asarray(shingle_hashes, dtype=np.uint32)
    if not distinct:
        h = np.unique(h)
    return h[(_mixed(h) % SAMPLE_MOD) == 0][:MAX_ANCHORS]


def _coarse(anchors: np.ndarray) -> np.ndarray:
    return anchors[((_mixed(anchors) // SAMPLE_MOD) % COARSE_MOD) == 0]


def is_contained_brief(shared: int, n_short: int) -> bool:
    """Whether a short text with ``n_short`` anchors, ``shared`` of them in another text, is contained in it.

    Either most of it is in the other text, or a passage of about 40 words or more is and it is at
    least ``MIN_PASSAGE_SHARE`` of the short text: a brief whose page kept a caption or a teaser
    beside it (measured on real pages: 41-58% of such briefs' anchors are in their story).
    """
    if shared < MIN_SHARED:
        return False
    return shared >= MIN_CONTAINMENT * n_short or (shared >= MIN_PASSAGE and shared >= MIN_PASSAGE_SHARE * n_short)


def is_contained_text(shared: int, n_shorter: int) -> bool:
    """The same for a longer text, judged on all of both texts' anchors."""
    return shared >= MIN_LONG_SHARED and shared >= MIN_LONG_CONTAINMENT * n_shorter


def shared_share(a: bytes, b: bytes) -> tuple:
    """(anchors shared, anchors of the text with fewer) for two packed anchor lists."""
    x, y = np.frombuffer(a, dtype=np.uint32), np.frombuffer(b, dtype=np.uint32)
    return int(np.intersect1d(x, y, assume_unique=True).size), int(min(x.size, y.size))


def _filter_bits(anchors: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (anchors * _FILTER_MIX) >> np.uint32(9)


class ShortAnchorsFn(beam.CombineFn):
    """Packed anchor lists -> a bit set (``_FILTER_BITS`` bits, packed bytes) of the short texts' anchors.

    The accumulator is the packed bytes themselves (1 MB), made only when a short text arrives:
    a lifted combine ships one per bundle.
    """

    def create_accumulator(self):
        return None

    def add_input(self, bits, packed):
        if not packed or len(packed) // 4 > MAX_QUERY_ANCHORS:
            return bits
        if bits is None:
            bits = np.zeros(_FILTER_BITS // 8, dtype=np.uint8)
        idx = _filter_bits(np.frombuffer(packed, dtype=np.uint32))
        np.bitwise_or.at(bits, idx >> 3, (np.uint8(128) >> (idx & 7).astype(np.uint8)))
        return bits

    def merge_accumulators(self, accumulators):
        merged = None
        for bits in accumulators:
            if bits is not None:
                merged = bits.copy() if merged is None else np.bitwise_or(merged, bits, out=merged)
        return merged

    def extract_output(self, bits):
        return bits.tobytes() if bits is not None else b""


def anchor_keys(member: Member, tag: str, short_anchors: bytes = None):
    """Fine and coarse anchor keys of a member: (("f"|"c", anchor), "<tag><n>:<article_id>").

    ``short_anchors`` (``ShortAnchorsFn``'s bit set) limits a long text's fine keys to those a short
    text may share; None emits them all.
    """
    if not member.anchors:
        return
    anchors = np.frombuffer(member.anchors, dtype=np.uint32)
    n = len(anchors)
    value = f"{tag}{n}:{member.article_id}"
    fine = anchors
    if n > MAX_QUERY_ANCHORS and short_anchors is not None:
        if short_anchors:
            bits = np.frombuffer(short_anchors, dtype=np.uint8)
            idx = _filter_bits(anchors)
            fine = anchors[(bits[idx >> 3] >> (7 - (idx & 7))) & 1 == 1]
        else:
            fine = anchors[:0]
    for a in fine.tolist():
        yield ("f", a), value
    for a in _coarse(anchors).tolist():
        yield ("c", a), value


def _parse(values, old_tag: str) -> dict:
    members = {}
    for v in values:
        n, _, article_id = v[1:].partition(":")
        members[article_id] = (v[0] == old_tag, int(n))
    return members


class PairAnchorsFn(beam.DoFn):
    """An anchor bucket -> ``(("f", short, n_short, other) | ("c", a, b), 1)`` per pair it proposes."""

    def __init__(self, old_tag: str = OLD):
        self._old = old_tag
        self._capped = counters.counter("capped_anchor_buckets")

    def process(self, element):
        (kind, _), values = element
        members = _parse(values, self._old)
        if len(members) < 2:
            return
        if len(members) > BUCKET_CAP:
            self._capped.inc()
            return
        if kind == "f":
            yield from self._briefs(members)
        else:
            yield from self._neighbours(members)

    @staticmethod
    def _briefs(members: dict):
        for short_id, (short_old, n_short) in members.items():
            if n_short > MAX_QUERY_ANCHORS:
                continue
            for other_id, (other_old, n_other) in members.items():
                if other_id == short_id or (short_old and other_old):
                    continue
                # Two short texts are counted once, from the one with fewer anchors (ties: by id).
                if n_other <= MAX_QUERY_ANCHORS and (n_other, other_id) < (n_short, short_id):
                    continue
                yield ("f", short_id, n_short, other_id), 1

    @staticmethod
    def _neighbours(members: dict):
        order = sorted(members, key=lambda k: (members[k][1], k))
        for i, a in enumerate(order):
            for b in order[i + 1:i + 1 + NEIGHBOURS]:
                if members[a][0] and members[b][0]:
                    continue
                yield ("c", a, b), 1


class _CandidatesFn(beam.DoFn):
    """Counted proposals -> brief edges (decided on counts), and long-text candidate pairs to verify."""

    CANDIDATES = "candidates"

    def __init__(self):
        self._briefs = counters.counter(counters.CONTAINMENT_BRIEF_PAIRS)

    def process(self, element):
        key, shared = element
        if key[0] == "f":
            _, short_id, n_short, other_id = key
            if is_contained_brief(shared, n_short):
                self._briefs.inc()
                yield (short_id, other_id) if short_id < other_id else (other_id, short_id)
        elif shared >= MIN_COARSE:
            yield beam.pvalue.TaggedOutput(self.CANDIDATES, (key[1], key[2]))


def _anchors_entry(member: Member) -> tuple:
    return member.article_id, member.anchors or b""


class _VerifyContainedFn(beam.DoFn):
    def __init__(self):
        self._verified = counters.counter(counters.CONTAINMENT_TEXT_PAIRS)

    def process(self, element):
        b, grouped = element
        anchors = list(grouped["values"])
        if not anchors:
            return
        for a, anchors_a in grouped["pairs"]:
            shared, n = shared_share(anchors_a, anchors[0])
            if is_contained_text(shared, n):
                self._verified.inc()
                yield (a, b) if a < b else (b, a)


class FindContainedTexts(beam.PTransform):
    """``{"articles": this run's members, "history": past members}`` -> edges ``(a, b)`` where the shorter
    text is contained in the other (briefs, excerpts, edited reposts)."""

    def expand(self, inputs):
        # Gathered from the keys rather than the members: a side input computed from the very
        # PCollection its consumer reads stalls the local runner's watermarks.
        short = beam.pvalue.AsSingleton(
            (inputs["articles"] | "ShortAnchorsOfNew" >> beam.Map(lambda m: m.anchors),
             inputs["history"] | "ShortAnchorsOfOld" >> beam.Map(lambda m: m.anchors))
            | "FlattenShortAnchors" >> beam.Flatten()
            | "GatherShortAnchors" >> beam.CombineGlobally(ShortAnchorsFn()))
        counted = (
            (inputs["articles"] | "SeparateNew" >> beam.Reshuffle()
             | "EmitAnchorKeys" >> beam.FlatMap(anchor_keys, NEW, short),
             inputs["history"] | "SeparateOld" >> beam.Reshuffle()
             | "EmitHistoryAnchorKeys" >> beam.FlatMap(anchor_keys, OLD, short))
            | "FlattenAnchorKeys" >> beam.Flatten()
            | "GroupByAnchor" >> beam.GroupByKey()
            | "PairAnchors" >> beam.ParDo(PairAnchorsFn(OLD))
            | "CountSharedAnchors" >> beam.CombinePerKey(sum)
            | "SplitBriefs" >> beam.ParDo(_CandidatesFn()).with_outputs(_CandidatesFn.CANDIDATES, main="briefs")
        )
        anchors = (
            (inputs["articles"] | "KeyNewAnchors" >> beam.Map(_anchors_entry),
             inputs["history"] | "KeyOldAnchors" >> beam.Map(_anchors_entry))
            | "FlattenAnchors" >> beam.Flatten()
        )
        texts = (
            # One candidate per pair already: CountSharedAnchors keyed it.
            {"pairs": counted[_CandidatesFn.CANDIDATES], "values": anchors}
            | "MeetAnchors" >> MeetPairs()
            | "VerifyContainedTexts" >> beam.ParDo(_VerifyContainedFn())
        )
        return (counted.briefs, texts) | "FlattenContainmentEdges" >> beam.Flatten()
