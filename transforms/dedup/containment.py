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

Roundups (``DropRoundupEdges``, after all verified edges are known): a text holding large
parts of two or more unrelated stories (a digest, a page whose extraction kept another
story beside its own) would bridge them into one cluster. Each linked text meets its
neighbours' anchors and event terms; one linked through two disjoint parts of itself to
stories that share almost no terms, quoting at least one of them only in part
(``is_roundup``), keeps none of its edges and gets role ``roundup``.
"""
from __future__ import annotations

from itertools import repeat
from typing import Tuple

import apache_beam as beam
import numpy as np

from transforms import counters
from transforms.dedup.events import cosine, summed_terms
from transforms.dedup.pairs import NEW, OLD, MeetPairs
from transforms.dedup.records import Member

__all__ = ["FindContainedTexts", "DropRoundupEdges", "ShortAnchorsFn", "containment_anchors", "anchor_keys",
           "shared_share", "is_contained_brief", "is_contained_text", "roundup_parts", "covered_masks", "is_roundup", "ROUNDUP",
           "MAX_ANCHORS", "MAX_QUERY_ANCHORS"]

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
#: The role of a text holding large parts of two or more unrelated stories (a roundup, a digest).
ROUNDUP = "roundup"
#: A neighbour's part of a text counts when it covers this many of the text's anchors (about 25 words) ...
ROUNDUP_MIN_PART = MIN_SHARED
#: ... and this share of them.
ROUNDUP_MIN_PART_SHARE = 0.2
#: Two neighbours cover the same part of a text when this share of the smaller part is shared.
ROUNDUP_SAME_PART = 0.5
#: Parts whose texts' event terms are less similar than this are unrelated stories. One story's texts
#: score 0.43-0.70 on the rewrites set; on the real-page benchmark, two reposts of one story that each
#: kept a different part of it scored 0.06 and 0.18, a page with another site's author bio beside it 0.
ROUNDUP_MAX_COSINE = 0.1
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


def anchor_keys(member: Member, tag: str, short_anchors: bytes = None) -> list:
    """Fine and coarse anchor keys of a member: (("f"|"c", anchor), "<tag><n>:<article_id>").

    ``short_anchors`` (``ShortAnchorsFn``'s bit set) limits a long text's fine keys to those a short
    text may share; None emits them all.
    """
    if not member.anchors:
        return []
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
    # Built by zip in C: a text has ~50 keys and a corpus millions of them.
    keys = list(zip(zip(repeat("f"), fine.tolist()), repeat(value)))
    keys += zip(zip(repeat("c"), _coarse(anchors).tolist()), repeat(value))
    return keys


def _parse(values, old_tag: str) -> dict:
    """article_id -> (is old, anchors) of a bucket's members."""
    members = {}
    for v in values:
        head, _, article_id = v.partition(":")
        members[article_id] = (head[0] == old_tag, int(head[1:]))
    return members


class PairAnchorsFn(beam.DoFn):
    """An anchor bucket -> ``(("f", short, n_short, other) | ("c", a, b), 1)`` per pair it proposes."""

    def __init__(self, old_tag: str = OLD):
        self._old = old_tag
        self._capped = counters.counter("capped_anchor_buckets")

    def process(self, element):
        (kind, _), values = element
        values = values if isinstance(values, list) else list(values)
        if len(values) < 2:
            return  # a third of the buckets on real pages: one text has the anchor
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
        order = sorted([(n, k, old) for k, (old, n) in members.items()])
        for i, (_, a, a_old) in enumerate(order):
            for _, b, b_old in order[i + 1:i + 1 + NEIGHBOURS]:
                if a_old and b_old:
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


def roundup_parts(anchors: np.ndarray, neighbours: list) -> tuple:
    """The parts of a text its linked neighbours cover: (``[(anchors covered, [neighbour indexes])]``,
    each neighbour's anchors found in the text).

    ``neighbours``: each one's sorted anchors. Neighbours covering the same part (a copy, a brief
    and an edited repost of one story) are one part; a part covering fewer than ``ROUNDUP_MIN_PART``
    anchors, or less than ``ROUNDUP_MIN_PART_SHARE`` of the text, is not counted.
    """
    masks = covered_masks(anchors, neighbours)
    sizes = masks.sum(axis=1).tolist()
    # Largest first, each joining the first part it overlaps: one comparison per part, not per pair
    # (most texts have one part, and a story's original has dozens of neighbours). A part is a mask
    # over the text's own anchors: its unions and overlaps are elementwise, with no sorting.
    groups: list = []
    for i in sorted(range(len(masks)), key=lambda k: (-sizes[k], k)):
        c, size = masks[i], sizes[i]
        for group in groups:
            smaller = min(size, group[2])
            if smaller and np.count_nonzero(c & group[0]) >= ROUNDUP_SAME_PART * smaller:
                group[0] = group[0] | c
                group[2] = int(np.count_nonzero(group[0]))
                group[1].append(i)
                break
        else:
            groups.append([c, [i], size])
    minimum = max(ROUNDUP_MIN_PART, ROUNDUP_MIN_PART_SHARE * anchors.size)
    parts = [(anchors[part], members) for part, members, size in groups if size >= minimum]
    return parts, [anchors[m] for m in masks]


def covered_masks(anchors: np.ndarray, others: list) -> np.ndarray:
    """Which of a text's sorted distinct ``anchors`` each of ``others`` (sorted arrays) holds: a
    boolean matrix, one row per other text, found for all of them at once."""
    masks = np.zeros((len(others), anchors.size), dtype=bool)
    if not anchors.size or not others:
        return masks
    every = np.concatenate(others)
    owner = np.repeat(np.arange(len(others)), [o.size for o in others])
    at = np.minimum(np.searchsorted(anchors, every), anchors.size - 1)
    hit = anchors[at] == every
    masks[owner[hit], at[hit]] = True
    return masks


def _summed(terms_list: list) -> list:
    total = summed_terms(terms_list)
    norm = float(np.sqrt(sum(w * w for w in total.values()))) or 1.0
    return [(t, w / norm) for t, w in total.items()]


def is_roundup(anchors: np.ndarray, neighbours: list) -> bool:
    """Whether a text holds large parts of two or more unrelated stories, judged from its links.

    ``neighbours``: ``(sorted anchors, packed event terms)`` of every text it links to. A roundup
    or digest quoting two stories links to each through a different part of itself; the two share
    almost no names or rare words (``ROUNDUP_MAX_COSINE``), and it holds only part of at least one
    of them. A story's own texts can also meet it through two parts (one repost kept only its lead,
    another only its list) and score as low, but each of those is wholly inside it: it is their
    source, not a roundup of them.
    """
    if len(neighbours) < 2:
        return False
    parts, covered = roundup_parts(anchors, [n[0] for n in neighbours])
    if len(parts) < 2:
        return False
    vectors = [_summed([neighbours[i][1] for i in members]) for _, members in parts]
    # A part that holds only some of a neighbour quotes it; one holding all of it may be its source.
    quoted = [any(covered[i].size < MIN_CONTAINMENT * neighbours[i][0].size for i in members)
              for _, members in parts]
    return any((quoted[i] or quoted[j]) and cosine(vectors[i], vectors[j]) < ROUNDUP_MAX_COSINE
               for i in range(len(parts)) for j in range(i + 1, len(parts)))


def _roundup_entry(member: Member) -> tuple:
    return member.article_id, (member.anchors or b"", member.event_terms or "")


class _JudgeRoundupsFn(beam.DoFn):
    """(text, {"pairs": [(neighbour, value)], "values": [own value]}) -> its edges, each as
    ``((a, b), 1)``, unless it is a roundup; a roundup's id goes to ``roundups`` instead."""

    ROUNDUPS = "roundups"

    def __init__(self):
        self._roundups = counters.counter(counters.ROUNDUPS)

    def process(self, element):
        x, grouped = element
        own = list(grouped["values"])
        neighbours = dict(sorted(grouped["pairs"]))  # in a fixed order, whatever the shuffle's
        if not own or not neighbours:
            return
        anchors = np.frombuffer(own[0][0], dtype=np.uint32)
        if is_roundup(anchors, [(np.frombuffer(a, dtype=np.uint32), t) for a, t in neighbours.values()]):
            self._roundups.inc()
            yield beam.pvalue.TaggedOutput(self.ROUNDUPS, x)
            return
        for n in neighbours:
            yield ((x, n) if x < n else (n, x)), 1


class DropRoundupEdges(beam.PTransform):
    """``{"edges": verified edges, "articles": this run's members, "history": past members}`` ->
    ``{"edges": the edges between two texts that are not roundups, "roundups": roundup ids}``.

    A text holding large parts of two unrelated stories (``is_roundup``) bridges neither: it keeps
    none of its edges, so it stays alone with role ``roundup``. Each text meets its neighbours'
    anchors and event terms once (``MeetPairs``); an edge survives when both its ends vouch for it.
    """

    def expand(self, inputs):
        values = (
            (inputs["articles"] | "KeyNewParts" >> beam.Map(_roundup_entry),
             inputs["history"] | "KeyOldParts" >> beam.Map(_roundup_entry))
            | "FlattenParts" >> beam.Flatten()
        )
        directed = inputs["edges"] | "BothDirections" >> beam.FlatMap(lambda e: [(e[0], e[1]), (e[1], e[0])])
        judged = (
            {"pairs": directed, "values": values}
            | "MeetNeighbours" >> MeetPairs()
            | "JudgeRoundups" >> beam.ParDo(_JudgeRoundupsFn()).with_output_types(
                Tuple[Tuple[str, str], int]).with_outputs(_JudgeRoundupsFn.ROUNDUPS, main="ends")
        )
        edges = (
            judged.ends
            | "CountEdgeEnds" >> beam.CombinePerKey(sum)
            | "KeepVouchedEdges" >> beam.FlatMap(lambda kv: [kv[0]] if kv[1] == 2 else [])
        )
        return {"edges": edges, "roundups": judged[_JudgeRoundupsFn.ROUNDUPS]}
