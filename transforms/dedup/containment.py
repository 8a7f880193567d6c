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

Two kinds of keys, grouped with ``GroupByKey`` like the LSH bands. Like them they travel in
batches (``anchor_groups``): ``ANCHOR_BATCH`` members send one record per (kind, shard of the
anchor), and ``PairAnchorsFn`` finds each group's buckets (the holders of one anchor) and counts
its pairs in numpy, so a text costs two records per shard and batch rather than one per anchor.
A group's counted pairs leave it in one record per shard of the pair (``PAIR_SHARDS``), as numpy
buffers (ids as fixed-width byte strings), where each pair's counts from every group are summed in
numpy (``sum_pair_counts``):

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

from typing import NamedTuple, Optional, Tuple

import apache_beam as beam
import numpy as np

from transforms import counters
from transforms.dedup.events import EventConfig, cosine, summed_terms
# The anchors are made at signing, without Beam (transforms.dedup.features); exported here too.
from transforms.dedup.features import MAX_ANCHORS, SAMPLE_MOD, anchor_mix, containment_anchors, packed_anchors
from transforms.dedup.pairs import NEW, OLD, MeetPairs
from transforms.dedup.records import Member
from transforms.dedup.shingles import fmix64, in_sorted, shard_order, span_indexes

__all__ = ["FindContainedTexts", "DropRoundupEdges", "ShortAnchorsFn", "PairAnchorsFn", "containment_anchors",
           "packed_anchors", "anchor_groups", "anchor_pair_counts", "shard_pair_counts", "sum_pair_counts",
           "shared_shares", "shared_shares_of", "KEPT_PAIRS", "is_contained_brief", "is_contained_text",
           "roundup_parts", "covered_masks", "is_roundup", "judge_links", "judge_texts", "TEXT_BATCH",
           "ROUNDUP", "MAX_ANCHORS", "MAX_QUERY_ANCHORS", "ANCHOR_SHARDS", "ANCHOR_BATCH"]

COARSE_MOD = 4
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
#: A neighbour holding this many times more anchors beyond a short text than inside it is mostly another
#: text: one that can show the short text is a passage several stories print (``judge_links``).
PASSAGE_REST = 2
#: Parts whose texts' event terms are less similar than this are unrelated stories. One story's texts
#: score 0.43-0.70 on the rewrites set; on the real-page benchmark, two reposts of one story that each
#: kept a different part of it scored 0.06 and 0.18, a page with another site's author bio beside it 0.
ROUNDUP_MAX_COSINE = 0.1
_FILTER_BITS = 1 << 23
_FILTER_MIX = np.uint32(0x85EBCA6B)
_SHARD_MIX = np.uint32(0x27D4EB2F)
#: Sets one kind's counted pairs' row hashes apart from another's (``sum_pair_counts``).
_KIND_MIX = 0x9E3779B97F4A7C15
#: Anchor keys travel as one record per (kind, shard) and batch of ``ANCHOR_BATCH`` members.
ANCHOR_SHARDS = 16
ANCHOR_BATCH = 1024
#: Shards the counted pairs meet in (by their first id): a shard holds 1/PAIR_SHARDS of the pairs.
PAIR_SHARDS = 64


def _is_coarse(anchors: np.ndarray) -> np.ndarray:
    """Which anchors are coarse ones (one in ``COARSE_MOD`` again)."""
    return ((anchor_mix(anchors) // SAMPLE_MOD) % COARSE_MOD) == 0


def is_contained_brief(shared: int, n_short: int) -> bool:
    """Whether a short text with ``n_short`` anchors, ``shared`` of them in another text, is contained in it.

    Either most of it is in the other text, or a passage of about 40 words or more is and it is at
    least ``MIN_PASSAGE_SHARE`` of the short text: a brief whose page kept a caption or a teaser
    beside it (measured on real pages: 41-58% of such briefs' anchors are in their story).
    """
    # Operators rather than ``and``/``or``: it decides whole arrays of counted pairs too.
    return (shared >= MIN_SHARED) & ((shared >= MIN_CONTAINMENT * n_short)
                                     | ((shared >= MIN_PASSAGE) & (shared >= MIN_PASSAGE_SHARE * n_short)))


def is_contained_text(shared: int, n_shorter: int) -> bool:
    """The same for a longer text, judged on all of both texts' anchors (also on arrays of them)."""
    return (shared >= MIN_LONG_SHARED) & (shared >= MIN_LONG_CONTAINMENT * n_shorter)


def shared_shares(b: bytes, others: list) -> Tuple[np.ndarray, np.ndarray]:
    """(anchors shared with ``b``, anchors of the one with fewer) for each packed anchor list of ``others``:
    two arrays, from one search (``shared_shares_of`` of the one text).

    Both lists of a pair are sorted and hold distinct anchors, so either way round the count is what they
    share. (A call per pair, ~8 us of numpy's overhead, cost 1.2 s of the tier at 100k documents, for ~3 pairs
    a text.)
    """
    return shared_shares_of([(b, others)])


#: Texts whose candidates are verified (``shared_shares_of``) or whose links are judged (``judge_texts``)
#: together: the batch's arrays stay a few MB.
TEXT_BATCH = 512


def shared_shares_of(texts: list) -> Tuple[np.ndarray, np.ndarray]:
    """``shared_shares`` of each of several texts, ``[(b, others)]``, for all of them at once: the two arrays
    over every pair, each text's others one after another.

    A call per text (~25 us, mostly numpy's per-call overheads) was the largest part of verifying candidates.
    """
    found = _found_in_own(texts)
    return (np.bincount(found.pair, minlength=found.sizes.size),
            np.minimum(found.sizes, found.own_sizes[found.text]))


class _Found(NamedTuple):
    """``_found_in_own``'s answer. Per text: ``own_sizes``, its anchor count, and ``counts``, its other lists;
    per other list: ``sizes``, its anchor count, and ``text``, its text; per anchor of another list found in
    its text: ``pair``, the list it is in, and ``at``, where it is among every text's anchors, one after
    another. Per anchor of every other list, found or not: ``keys``, the anchor keyed by its text (sorted
    within each list), and ``found``, whether the text holds it."""
    own_sizes: np.ndarray
    counts: np.ndarray
    sizes: np.ndarray
    text: np.ndarray
    pair: np.ndarray
    at: np.ndarray
    keys: np.ndarray
    found: np.ndarray


def _found_in_own(texts: list) -> _Found:
    """Each text's other anchor lists looked up in its own anchors, ``[(packed own, [packed other, ...])]``
    (packed sorted distinct uint32): every anchor keyed by its text, so one search serves the whole batch."""
    n_texts = len(texts)
    counts = np.fromiter((len(others) for _, others in texts), dtype=np.int64, count=n_texts)
    own_sizes = np.fromiter((len(own) // 4 for own, _ in texts), dtype=np.int64, count=n_texts)
    sizes = np.fromiter((len(a) // 4 for _, others in texts for a in others), dtype=np.int64, count=int(counts.sum()))
    text = np.repeat(np.arange(n_texts), counts)
    own = np.frombuffer(b"".join([own for own, _ in texts]), dtype=np.uint32)
    held = np.frombuffer(b"".join([a for _, others in texts for a in others]), dtype=np.uint32)
    held_keys = (np.repeat(text.astype(np.uint64), sizes) << np.uint64(32)) | held
    if not own.size:
        none = np.zeros(0, dtype=np.intp)
        return _Found(own_sizes, counts, sizes, text, none, none, held_keys, np.zeros(held.size, dtype=bool))
    own_keys = (np.repeat(np.arange(n_texts, dtype=np.uint64), own_sizes) << np.uint64(32)) | own
    at, hit = in_sorted(own_keys, held_keys)
    return _Found(own_sizes, counts, sizes, text, np.repeat(np.arange(sizes.size), sizes)[hit], at[hit], held_keys, hit)


def _filter_bits(anchors: np.ndarray) -> np.ndarray:
    # Arrays wrap around silently (numpy warns only for scalars): no ``errstate`` (~1 us a call).
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


def _kinds(anchors: np.ndarray, owners: np.ndarray, sizes: np.ndarray, short_anchors: bytes = None) -> tuple:
    """(fine, coarse) masks over a batch's concatenated anchors (``owners``: the member of each,
    ``sizes``: each member's anchor count). ``short_anchors`` (``ShortAnchorsFn``'s bit set) limits a
    long text's fine anchors to those a short text may share; None keeps them all."""
    coarse = _is_coarse(anchors)
    if short_anchors is None:
        return np.ones(anchors.size, dtype=bool), coarse
    fine = (sizes <= MAX_QUERY_ANCHORS)[owners]
    if short_anchors:
        bits = np.frombuffer(short_anchors, dtype=np.uint8)
        idx = _filter_bits(anchors)
        fine |= (bits[idx >> 3] >> (7 - (idx & 7))) & 1 == 1
    return fine, coarse


def _shard(anchors: np.ndarray, shards: int) -> np.ndarray:
    return ((anchors * _SHARD_MIX) >> np.uint32(16)) % np.uint32(shards)


def anchor_groups(members: list, tag: str, short_anchors: bytes = None, shards: int = ANCHOR_SHARDS) -> list:
    """A batch of members' fine and coarse anchors, one record per (kind, shard of the anchor):
    ``[((kind, shard), (anchors, owners, sizes, article_ids, is_old))]``.

    ``anchors`` and ``owners`` are packed uint32 (owner: an index into ``article_ids``), ``sizes``
    each member's anchor count. Every holder of one anchor lands in one group, so a group's buckets
    are the ones a key per anchor would make, with ``2 x shards`` records a batch instead of ~50 a text.
    The batch's anchors are sorted into kinds and shards together, not text by text (~20 us a text).
    """
    # One member per id (the last, as ``_gather`` keeps across records): a record's ids are distinct.
    members = list({m.article_id: m for m in members if m.anchors}.values())
    if not members:
        return []
    ids = [m.article_id for m in members]
    sizes = np.array([len(m.anchors) // 4 for m in members], dtype=np.uint32)
    every = np.frombuffer(b"".join(m.anchors for m in members), dtype=np.uint32)
    of = np.repeat(np.arange(len(members), dtype=np.uint32), sizes)
    out = []
    for kind, mask in zip(("f", "c"), _kinds(every, of, sizes, short_anchors)):
        anchors, owners = every[mask], of[mask]
        shard = _shard(anchors, shards)
        order = shard_order(shard, shards)
        anchors, owners, shard = anchors[order], owners[order], shard[order]
        bounds = np.searchsorted(shard, np.arange(shards + 1)).tolist()
        for g in range(shards):
            lo, hi = bounds[g], bounds[g + 1]
            if lo == hi:
                continue
            # Only the members present in the group travel with it, numbered afresh.
            present, local = np.unique(owners[lo:hi], return_inverse=True)
            out.append(((kind, g), (anchors[lo:hi].tobytes(), local.astype(np.uint32).tobytes(),
                                    sizes[present].tobytes(), [ids[i] for i in present.tolist()], tag == OLD)))
    return out


def anchor_pair_counts(kind: str, records) -> tuple:
    """A (kind, shard) group's records -> ``(ids, sizes, a, b, shared, capped)``: the pairs its buckets
    propose, as indexes ``a``, ``b`` into ``ids`` (the article ids as a ``np.bytes_`` array, UTF-8;
    ``sizes``: each one's anchor count), and ``shared``, the number of the group's buckets that propose
    each pair.

    A bucket (the holders of one anchor) proposes, for ``f``, a short text with every other
    member (two short texts once, from the one with fewer anchors, ties by id); for ``c``, each
    member with the next ``NEIGHBOURS`` members by anchor count (ties by id). Two past texts are
    never paired again. Buckets of more than ``BUCKET_CAP`` members are skipped: ``capped`` counts them.
    """
    anchors, member, sizes, ids, rank, old = _gather(records)
    none = np.zeros(0, dtype=np.int64)
    if len(anchors) < 2:
        return ids, sizes, none, none, none, 0
    # Buckets in order of (anchor, anchor count, id): a bucket's members sorted as the pairing wants.
    if len(ids) <= _RANKS and int(sizes.max()) <= _SIZES:
        # The three as one uint64 (anchor, count, id rank: 32 + 12 + 20 bits), each (anchor, member) once, so
        # distinct: one sort where ``np.lexsort`` made three passes.
        order = np.argsort((anchors.astype(np.uint64) << np.uint64(32))
                           | (sizes[member].astype(np.uint64) << np.uint64(20)) | rank[member].astype(np.uint64))
    else:
        order = np.lexsort((rank[member], sizes[member], anchors))
    anchors, member = anchors[order], member[order]
    starts = np.flatnonzero(np.concatenate(([True], anchors[1:] != anchors[:-1])))
    lengths = np.diff(np.append(starts, len(anchors)))
    capped = lengths > BUCKET_CAP
    run = np.repeat(np.arange(len(starts)), lengths)
    valid = np.repeat((lengths >= 2) & ~capped, lengths)
    end = np.repeat(starts + lengths, lengths)
    position = np.arange(len(anchors))
    if kind == "f":
        # A short text pairs with every member after it in its bucket (longer, or as short and
        # later by id): the pairs a key per anchor counted from the short side.
        first = position[valid & (sizes[member] <= MAX_QUERY_ANCHORS)]
        counts = end[first] - first - 1
        a = np.repeat(first, counts)
        b = span_indexes(first + 1, counts)
    else:
        steps = range(1, min(NEIGHBOURS, len(position) - 1) + 1)
        a = np.concatenate([position[:len(position) - d] for d in steps])
        b = np.concatenate([position[d:] for d in steps])
        keep = valid[a] & (run[a] == run[b])
        a, b = a[keep], b[keep]
    a, b = member[a], member[b]
    fresh = ~(old[a] & old[b])
    pairs, shared = np.unique(a[fresh].astype(np.int64) * len(ids) + b[fresh], return_counts=True)
    return ids, sizes, pairs // len(ids), pairs % len(ids), shared, int(capped.sum())


#: Members of a group and anchors of a member that ``anchor_pair_counts`` packs into one sort key.
_RANKS, _SIZES = (1 << 20) - 1, (1 << 12) - 1


def _gather(records) -> tuple:
    """A group's records -> (anchors, member of each, anchor count of each member, ids, each id's rank in
    id order, is old of each), one member per article id (a later record's entry wins) and each (anchor,
    member) once. The ids are one ``np.bytes_`` array (``_id_bytes``), as ``shard_pair_counts`` sends them.

    A group holds nearly every member of the run (a text's anchors reach most shards): its ids are
    converted, ranked and checked for repeats in C, where a dict of them, a sort by key and a second
    conversion took ~2 s of the tier's ~8 s at 100k documents.
    """
    anchors, owners, sizes, ids, old = [], [], [], [], []
    for packed, own, size, names, is_old in records:
        anchors.append(np.frombuffer(packed, dtype=np.uint32))
        owners.append(np.frombuffer(own, dtype=np.uint32).astype(np.int64) + len(ids))
        sizes.append(np.frombuffer(size, dtype=np.uint32))
        ids.extend(names)
        old.append(np.full(len(names), is_old))
    if not ids:
        none = np.zeros(0, dtype=np.int64)
        return none.astype(np.uint32), none, none, _id_bytes([]), none, none.astype(bool)
    names = _id_bytes(ids)
    # UTF-8 byte order is code point order: the order of the ids as strings (ties stay in record order).
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    anchors, member = np.concatenate(anchors), np.concatenate(owners)
    sizes, old = np.concatenate(sizes).astype(np.int64), np.concatenate(old)
    # Each record's ids are distinct (``anchor_groups``): only several records can share one.
    if len(old) > 1:
        ranked = names[order]
        repeated = ranked[1:] == ranked[:-1]
        if repeated.any():
            # Each id's entries are one run of the stable sort, the later record's last.
            starts = np.flatnonzero(np.concatenate(([True], ~repeated)))
            lengths = np.diff(np.append(starts, len(names)))
            canon = np.empty(len(names), dtype=np.int64)
            canon[order] = order[np.repeat(starts + lengths - 1, lengths)]
            keys = np.unique(anchors.astype(np.int64) * len(names) + canon[member])
            anchors, member = (keys // len(names)).astype(np.uint32), keys % len(names)
    return anchors, member, sizes, names, rank, old


def shard_pair_counts(kind: str, ids, sizes: np.ndarray, a: np.ndarray, b: np.ndarray, shared: np.ndarray,
                      shards: int) -> list:
    """Counted pairs (``anchor_pair_counts``) in one record per shard of their first id:
    ``[(shard, (kind, first ids, second ids, first's anchor count, shared, row hashes))]``. ``ids``: a
    list of str, or the ``np.bytes_`` array ``anchor_pair_counts`` returns.

    The ids travel as one fixed-width byte string array each (``np.bytes_``, packed with its width),
    the numbers as packed int64: a record is a few buffers, whatever its number of pairs, and the
    shard (a hash of the first id's bytes, ``_id_hashes``) is the same in every process, so a pair's
    counts from every group meet in one ``sum_pair_counts``. Each row's hash (of its two ids' hashes and
    the count, ``_row_hashes``) travels with it: made from the group's ids, hashed once each, where
    ``sum_pair_counts`` hashed every row's words (~0.8 s of the tier at 100k documents).
    """
    if not len(a):
        return []
    names = ids if isinstance(ids, np.ndarray) else _id_bytes(ids)
    hashed = _id_hashes(names)
    shard_of = (hashed % np.uint64(shards)).astype(np.int64)
    order = shard_order(shard_of[a], shards)
    a, b, shared = a[order], b[order], shared[order].astype(np.int64)
    bounds = np.searchsorted(shard_of[a], np.arange(shards + 1)).tolist()
    first, second, n_first = names[a], names[b], sizes[a].astype(np.int64)
    rows = _row_hashes([hashed[a], hashed[b], n_first.astype(np.uint64)])
    return [(s, (kind, _packed_ids(first[lo:hi]), _packed_ids(second[lo:hi]), n_first[lo:hi].tobytes(),
                 shared[lo:hi].tobytes(), rows[lo:hi].tobytes()))
            for s, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])) if lo < hi]


def _id_bytes(ids: list) -> np.ndarray:
    """Article ids as a fixed-width byte string array (UTF-8)."""
    try:
        # Converted in C when every id is ASCII, as the pipeline's hex ids are.
        return np.array(ids, dtype=np.bytes_)
    except UnicodeEncodeError:
        return np.array([i.encode() for i in ids], dtype=np.bytes_)


def _id_hashes(names: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each id, from its bytes (``_id_bytes``), the same whatever the width of the array it
    is in: it shards the counted pairs (``shard_pair_counts``) and keys their rows (``_row_hashes``).

    Hashed for all ids at once: a CRC per id in Python (``pairs.stable_shard``) was ~10% of ``PairAnchorsFn``.
    """
    h = np.zeros(len(names), dtype=np.uint64)
    for column in _words(names):
        # A zero word is padding (no id holds a zero byte): left out, as a wider array has more of it.
        h = np.where(column != 0, fmix64(h ^ column), h)
    return h


def _packed_ids(names: np.ndarray) -> tuple:
    return names.dtype.itemsize, names.tobytes()


def _unpacked_ids(packed: tuple, width: int) -> np.ndarray:
    itemsize, raw = packed
    return np.frombuffer(raw, dtype=f"S{itemsize}").astype(f"S{width}")


def _joined_ids(packed: list, width: int) -> np.ndarray:
    """``_unpacked_ids`` of several packed id arrays, one after another."""
    sizes = {itemsize for itemsize, _ in packed}
    if len(sizes) == 1:
        return np.frombuffer(b"".join([raw for _, raw in packed]), dtype=f"S{sizes.pop()}").astype(f"S{width}",
                                                                                                  copy=False)
    return np.concatenate([_unpacked_ids(p, width) for p in packed])


def _words(ids: np.ndarray) -> np.ndarray:
    """Fixed-width byte strings as rows of 64-bit words, most significant first (``k x n``), zero-padded:
    the words compare as the strings do (no id holds a zero byte)."""
    width = -(-ids.dtype.itemsize // 8) * 8
    return ids.astype(f"S{width}").view(">u8").reshape(len(ids), width // 8).T.astype(np.uint64)


def _row_hashes(columns: list) -> np.ndarray:
    """A 64-bit hash of each row of ``columns`` (uint64 arrays of one length): each value mixed in with
    MurmurHash3's finaliser. (A product and a shift a value made ids one character apart collide.)"""
    h = np.zeros(len(columns[0]), dtype=np.uint64)
    for column in columns:
        h = fmix64(h ^ column)
    return h


def sum_pair_counts(records, keep: Optional[dict] = None) -> dict:
    """One pair shard's records (``shard_pair_counts``) -> ``{kind: (first ids, second ids, first's
    anchor count, shared)}``: each distinct pair of a kind once, its counts from every group summed (arrays;
    ids as ``np.bytes_``; in no particular order).

    ``keep``: ``{kind: (first's anchor count, shared) -> mask}``, the pairs of a kind to return (all of them
    when the kind has none): most pairs share one anchor by chance, and only the kept ones' ids are read.
    """
    records = list(records)
    if not records:
        return {}
    kinds = list(dict.fromkeys(kind for kind, *_ in records))
    # Every kind's rows met in one sort, each kind's row hashes set apart by a constant of its own: a shard's
    # records are a few small arrays (~30 on a short run), and a sort per kind doubled numpy's per-call costs,
    # most of the ~115 us a shard took on the real-page benchmark.
    code_of = {kind: k for k, kind in enumerate(kinds)}
    codes = np.fromiter((code_of[r[0]] for r in records), dtype=np.int64, count=len(records))
    # Each column's bytes joined first, then read once: an array per record was most of a shard's time.
    width = max(max(r[1][0], r[2][0]) for r in records)
    first = _joined_ids([r[1] for r in records], width)
    second = _joined_ids([r[2] for r in records], width)
    n_first, shared, hashes = (np.frombuffer(b"".join([r[k] for r in records]), dtype=dtype)
                               for k, dtype in ((3, np.int64), (4, np.int64), (5, np.uint64)))
    code = np.repeat(codes, [len(r[5]) // 8 for r in records])
    if len(kinds) > 1:
        hashes = hashes ^ (code.astype(np.uint64) * np.uint64(_KIND_MIX))
    # The rows sorted by their hashes (``shard_pair_counts``): numpy sorts fixed-width strings byte by
    # byte, and a sort on every word of both ids and the count (5 keys on 16-character ids) took 3.4 s
    # of 11 s of the tier at 100k documents.
    order = np.argsort(hashes)
    hashes = hashes[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = hashes[1:] != hashes[:-1]
    same = np.flatnonzero(~new)
    if len(same) and not all(np.array_equal(c[order[same]], c[order[same - 1]])
                             for c in (code, first, second, n_first)):
        # Two different pairs share a 64-bit hash (a few shards in a million, at 10^7 pairs a shard):
        # sorted on the words themselves.
        columns = [code.astype(np.uint64), *_words(first), *_words(second), n_first.astype(np.uint64)]
        order = np.lexsort(columns[::-1])
        new[1:] = np.any([c[order][1:] != c[order][:-1] for c in columns], axis=0)
    starts = np.flatnonzero(new)
    kept, summed = order[starts], np.add.reduceat(shared[order], starts)
    n_kept, kept_code = n_first[kept], code[kept]
    out = {}
    for k, kind in enumerate(kinds):
        mask = kept_code == k if len(kinds) > 1 else np.ones(kept.size, dtype=bool)
        if keep is not None and kind in keep:
            mask &= keep[kind](n_kept, summed)
        rows = kept[mask]
        out[kind] = first[rows], second[rows], n_kept[mask], summed[mask]
    return out


class PairAnchorsFn(beam.DoFn):
    """A (kind, shard) group of anchors -> its counted pairs (``anchor_pair_counts``), in one record per
    pair shard (``shard_pair_counts``), so a pair's counts from every group meet in one ``_CandidatesFn``;
    a group sends a few packed records where it had one Python tuple per pair (788,000 at 10k documents)."""

    def __init__(self, pair_shards: int):
        self._capped = counters.counter("capped_anchor_buckets")
        self._pair_shards = pair_shards

    def process(self, element):
        (kind, _), records = element
        ids, sizes, a, b, shared, capped = anchor_pair_counts(kind, records)
        if capped:
            self._capped.inc(capped)
        return shard_pair_counts(kind, ids, sizes, a, b, shared, self._pair_shards)


#: The counted pairs that go on (``sum_pair_counts``' ``keep``): a short text contained in the other (a brief
#: edge), and long texts sharing enough coarse anchors to be verified.
KEPT_PAIRS = {"f": lambda n_short, shared: is_contained_brief(shared, n_short),
              "c": lambda n_first, shared: shared >= MIN_COARSE}


class _CandidatesFn(beam.DoFn):
    """A pair shard's counted proposals -> brief edges (decided on counts), and long-text candidate
    pairs to verify."""

    CANDIDATES = "candidates"

    def __init__(self):
        self._briefs = counters.counter(counters.CONTAINMENT_BRIEF_PAIRS)

    def process(self, element):
        _, records = element
        summed = sum_pair_counts(records, KEPT_PAIRS)
        if "f" in summed:
            short, other, _, _ = summed["f"]
            if len(short):
                self._briefs.inc(len(short))
            for s, o in zip(short.tolist(), other.tolist()):
                s, o = s.decode(), o.decode()
                yield (s, o) if s < o else (o, s)
        if "c" in summed:
            a, b, _, _ = summed["c"]
            for x, y in zip(a.tolist(), b.tolist()):
                yield beam.pvalue.TaggedOutput(self.CANDIDATES, (x.decode(), y.decode()))


def _anchors_only(member: Member) -> Member:
    return Member(member.article_id, anchors=member.anchors)


def _anchors_entry(member: Member) -> tuple:
    return member.article_id, member.anchors or b""


class _VerifyContainedFn(beam.DoFn):
    """A batch of (text b, {"pairs": [(a, a's anchors)], "values": [b's anchors]}) -> the edges ``(a, b)``
    (a < b) of the pairs whose shorter text is contained in the other, all verified together
    (``shared_shares_of``)."""

    def __init__(self):
        self._verified = counters.counter(counters.CONTAINMENT_TEXT_PAIRS)

    def process(self, batch):
        texts, ends = [], []
        for b, grouped in batch:
            anchors = list(grouped["values"])
            pairs = list(grouped["pairs"])
            if anchors and pairs:
                texts.append((anchors[0], [anchors_a for _, anchors_a in pairs]))
                ends.append((b, pairs))
        if not texts:
            return
        contained = iter(is_contained_text(*shared_shares_of(texts)).tolist())
        for b, pairs in ends:
            for (a, _), kept in zip(pairs, contained):
                if kept:
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
        batch = dict(min_batch_size=ANCHOR_BATCH, max_batch_size=ANCHOR_BATCH)
        counted = (
            # Only what anchor_groups reads crosses the stage break: a third of a member's bytes.
            (inputs["articles"] | "KeepNewAnchors" >> beam.Map(_anchors_only).with_output_types(Member)
             | "SeparateNew" >> beam.Reshuffle()
             | "BatchNewAnchors" >> beam.BatchElements(**batch)
             | "EmitAnchorGroups" >> beam.FlatMap(anchor_groups, NEW, short),
             inputs["history"] | "KeepOldAnchors" >> beam.Map(_anchors_only).with_output_types(Member)
             | "SeparateOld" >> beam.Reshuffle()
             | "BatchOldAnchors" >> beam.BatchElements(**batch)
             | "EmitHistoryAnchorGroups" >> beam.FlatMap(anchor_groups, OLD, short))
            | "FlattenAnchorGroups" >> beam.Flatten()
            | "GroupByAnchor" >> beam.GroupByKey()
            | "PairAnchors" >> beam.ParDo(PairAnchorsFn(PAIR_SHARDS))
            | "GroupPairCounts" >> beam.GroupByKey()
            | "SplitBriefs" >> beam.ParDo(_CandidatesFn()).with_outputs(_CandidatesFn.CANDIDATES, main="briefs")
        )
        anchors = (
            (inputs["articles"] | "KeyNewAnchors" >> beam.Map(_anchors_entry),
             inputs["history"] | "KeyOldAnchors" >> beam.Map(_anchors_entry))
            | "FlattenAnchors" >> beam.Flatten()
        )
        texts = (
            # One candidate per pair already: its counts met in one pair shard.
            {"pairs": counted[_CandidatesFn.CANDIDATES], "values": anchors}
            | "MeetAnchors" >> MeetPairs()
            | "BatchCandidates" >> beam.BatchElements(min_batch_size=TEXT_BATCH, max_batch_size=TEXT_BATCH)
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
    parts, masks = _parts(anchors, neighbours)
    return parts, [anchors[m] for m in masks]


#: Terms' cosine below which two stories that print one part of a text are no coverage of one event (the
#: event level's join threshold, ``EventConfig.threshold``): that part is then the page around the text.
PAGE_MAX_COSINE = EventConfig().threshold

#: Neighbours from which ``_parts`` first tries whether all of them are one part: with fewer, the loop is cheaper.
_ONE_PART_CHECK = 4


def _parts(anchors: np.ndarray, neighbours: list) -> tuple:
    """``roundup_parts``' parts, and the neighbours' masks over the text's anchors (``covered_masks``)."""
    groups, masks, _, minimum = _groups(anchors, neighbours)
    return [(anchors[part], members) for part, members, size in groups if size >= minimum], masks


def _groups(anchors: np.ndarray, neighbours: list, at_least: int = 0) -> tuple:
    """``(groups, masks, counts, minimum)``: the neighbours grouped by the part of the text they cover, each
    group ``[mask, neighbour indexes, size]``, small ones too; each neighbour's anchors in the text; a part is
    a group of ``minimum`` anchors or more. With ``at_least`` > 1, one part alone gives no groups."""
    masks = covered_masks(anchors, neighbours)
    counts = masks.sum(axis=1)
    sizes = counts.tolist()
    # Largest first, each joining the first part it overlaps: one comparison per part, not per pair
    # (most texts have one part, and a story's original has dozens of neighbours). A part is a mask
    # over the text's own anchors: its unions and overlaps are elementwise, with no sorting.
    order = sorted(range(len(masks)), key=lambda k: (-sizes[k], k))
    minimum = max(ROUNDUP_MIN_PART, ROUNDUP_MIN_PART_SHARE * anchors.size)
    if len(order) >= _ONE_PART_CHECK and sizes[order[0]]:
        # The first part only grows, and no later mask is larger than it, so a mask that overlaps the
        # largest one alone enough joins the first part. When every non-empty mask does, that part is
        # all of them (empty masks are parts of size 0): decided at once, without the loop, for a
        # story's original, whose neighbours are its copies.
        overlaps = np.count_nonzero(masks & masks[order[0]], axis=1)
        if bool(np.all((counts == 0) | (overlaps >= ROUNDUP_SAME_PART * counts))):
            if at_least > 1:
                return [], masks, counts, minimum
            joined = [i for i in order if sizes[i]]
            part = masks[joined].any(axis=0)
            return [[part, joined, int(np.count_nonzero(part))]], masks, counts, minimum
    groups: list = []
    for i in order:
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
    return groups, masks, counts, minimum


def covered_masks(anchors: np.ndarray, others: list) -> np.ndarray:
    """Which of a text's sorted distinct ``anchors`` each of ``others`` (sorted arrays) holds: a
    boolean matrix, one row per other text, found for all of them at once."""
    masks = np.zeros((len(others), anchors.size), dtype=bool)
    if not anchors.size or not others:
        return masks
    every = np.concatenate(others)
    owner = np.repeat(np.arange(len(others)), [o.size for o in others])
    at, hit = in_sorted(anchors, every)
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
    return judge_links(anchors, neighbours)[0]


def judge_links(anchors: np.ndarray, neighbours: list) -> tuple:
    """``(is_roundup, stray neighbours)`` of a text, from its links (``neighbours`` as for ``is_roundup``).

    A stray neighbour meets the text only through a small passage of it (less than a part: what a
    roundup is judged on) outside the part its story's other texts share; the stray holds that passage
    only in part (it is no brief of the text), and its terms share almost nothing with that story's
    (``ROUNDUP_MAX_COSINE``). Such a passage is the page around the story, not the story: a template's
    standfirst kept by the text-dump cleaner, another story's teaser. On the real-page benchmark, a brief
    dump carrying its template's 40-word standfirst (40% of it) linked to a copy of another story on
    the same template, which carried it too, and made one cluster of two stories. The text's edge to a
    stray is dropped (``DropRoundupEdges``); both keep their other edges.
    """
    if len(neighbours) < 2:
        return False, []
    held = [n[0] for n in neighbours]
    groups, masks, part, minimum = _groups(anchors, held, at_least=2)
    rest = np.array([h.size for h in held]) - part
    if len(groups) < 2:
        # One part: every neighbour meets the text's story, unless that part is a passage other stories print.
        return False, (_passage_strays(anchors, held, masks, part, rest)
                       or _page_strays(anchors, held, neighbours, masks, part, rest))
    vectors: dict = {}

    def vector(k):
        if k not in vectors:
            vectors[k] = _summed([neighbours[i][1] for i in groups[k][1]])
        return vectors[k]

    # A neighbour the text holds only some of is quoted; one it holds all of may be its source.
    quoted = (part < MIN_CONTAINMENT * (part + rest)).tolist()
    parts = [k for k, (_, _, size) in enumerate(groups) if size >= minimum]
    # A part several stories print is the page around the text's story, unless its terms are that story's
    # (briefs of the text's lead, each on a template of its own, print it too).
    passages = {k for k in _passage_parts(anchors, held, part, rest, groups, minimum)
                if all(cosine(vector(k), vector(j)) < ROUNDUP_MAX_COSINE for j in parts if j != k)}
    parts = [k for k in parts if k not in passages]
    if any((any(quoted[m] for m in groups[i][1]) or any(quoted[m] for m in groups[j][1]))
           and cosine(vector(i), vector(j)) < ROUNDUP_MAX_COSINE for n, i in enumerate(parts) for j in parts[n + 1:]):
        return True, []
    strays = [m for k in passages for m in groups[k][1]]
    story = [k for k in range(len(groups)) if k not in passages]
    main = max(story, key=lambda k: groups[k][2]) if story else None
    if main is None or groups[main][2] < minimum:
        return False, sorted(strays)
    strays += [m for k, (_, members, size) in enumerate(groups)
               if k != main and 0 < size < minimum and all(quoted[m] for m in members)
               and cosine(vector(k), vector(main)) < ROUNDUP_MAX_COSINE
               for m in members]
    return False, sorted(strays)


def judge_texts(texts: list) -> list:
    """``judge_links`` of each of a batch of texts, ``[(packed anchors, [(packed anchors, packed terms)])]``:
    anchors as packed sorted uint32 (``Member.anchors``), a text's neighbours in the order it meets them.

    Most linked texts are a story's texts linked to each other: one part of the text, and no neighbour that
    is mostly other text than it, or only neighbours of one story. Their judgment, ``(False, [])``, is read off
    counts made for the whole batch in a few array operations (``_plain_texts``); only the others are judged
    one by one. A call of ``judge_links`` per text spent most of its ~45 us in numpy's per-call overheads.
    """
    plain = _plain_texts(texts)
    return [(False, []) if simple else
            judge_links(np.frombuffer(own, dtype=np.uint32),
                        [(np.frombuffer(anchors, dtype=np.uint32), terms) for anchors, terms in neighbours])
            for simple, (own, neighbours) in zip(plain.tolist(), texts)]


def _plain_texts(texts: list) -> np.ndarray:
    """Which texts ``judge_links`` finds no roundup and without strays, from its tests run on the whole batch.

    Such a text has fewer than two neighbours, or all of them are one part of it (``_groups``: every
    neighbour's anchors in the text overlap the largest one's by ``ROUNDUP_SAME_PART``) and neither
    ``_page_strays`` nor ``_passage_strays`` goes past its first tests, or past them finds the neighbours it
    compares all one story (``_one_story``). The counts are those the per-text tests make: each neighbour's
    anchors in the text (``part``) and beyond it (``rest``), and the text's anchors any neighbour holds
    (``covered``).
    """
    plain = np.fromiter((len(neighbours) < 2 for _, neighbours in texts), dtype=bool, count=len(texts))
    judged = np.flatnonzero(~plain)
    if not judged.size:
        return plain
    found = _found_in_own([(own, [anchors for anchors, _ in neighbours]) for own, neighbours in
                           (texts[i] for i in judged.tolist())])
    n_texts, counts, text, pair_sizes = judged.size, found.counts, found.text, found.sizes
    part = np.bincount(found.pair, minlength=pair_sizes.size)
    rest = pair_sizes - part
    # Each text's largest neighbour (the first of the largest, as ``_groups`` orders them), and how much of
    # it each other neighbour's anchors overlap.
    order = np.lexsort((np.arange(part.size), -part, text))
    largest = order[np.cumsum(counts) - counts]
    marked = np.zeros(int(found.own_sizes.sum()), dtype=bool)
    marked[found.at[found.pair == largest[text[found.pair]]]] = True
    overlap = np.bincount(found.pair, weights=marked[found.at], minlength=part.size)
    joins = (part == 0) | (overlap >= ROUNDUP_SAME_PART * part)
    # Below ``_ONE_PART_CHECK`` neighbours ``_groups`` loops, and an empty neighbour is a part of its own.
    one_part = ((part[largest] > 0) & _all_per_text(joins, text, n_texts)
                & ((counts >= _ONE_PART_CHECK) | _all_per_text(part > 0, text, n_texts)))
    # ``_page_strays`` compares no stories when fewer than two neighbours hold as much beyond the text as in it,
    # when the neighbours leave less of the text than a part uncovered, or when fewer than two of them hold
    # as much beyond it as in it and half its covered anchors. So a brief linked to its story's longer texts is
    # decided here, not one by one (on 100,000 generated documents, 2,276 of the 7,328 texts that were).
    own_text = np.repeat(np.arange(n_texts), found.own_sizes)
    covered_at = np.zeros(own_text.size, dtype=bool)
    covered_at[found.at] = True
    covered = np.bincount(own_text, weights=covered_at, minlength=n_texts)
    beyond = rest >= part
    no_page = ((np.bincount(text, weights=beyond, minlength=n_texts) < 2)
               | (found.own_sizes - covered < ROUNDUP_MIN_PART)
               | (np.bincount(text, weights=beyond & (part >= ROUNDUP_SAME_PART * covered[text]), minlength=n_texts)
                  < 2))
    # ``_passage_strays`` judges only a short text, and compares those holding twice as much beyond it as in it.
    no_passage = ((found.own_sizes > MAX_QUERY_ANCHORS) | (found.own_sizes == 0)
                  | (np.bincount(text, weights=(part > 0) & (rest >= PASSAGE_REST * part), minlength=n_texts) < 2))
    # Past those first tests, each of ``_passage_strays`` and ``_page_strays`` finds no strays when the neighbours
    # it compares are all one story (``_by_story``). On the real-page benchmark that was most texts judged one by
    # one (~120 of 140, each ~140 us): a story's original linked to its copies on other sites' templates, which
    # print its page's chrome too.
    passage = one_part & ~no_passage
    if passage.any():
        no_passage |= _one_story(found, passage[text] & (part > 0) & (rest >= PASSAGE_REST * part), part, rest)
    page = one_part & no_passage & ~no_page
    if page.any():
        no_page |= _one_story(found, page[text] & beyond & (part >= ROUNDUP_SAME_PART * covered[text]), part, rest)
    plain[judged] = one_part & no_page & no_passage
    return plain


def _one_story(found: _Found, telling: np.ndarray, part: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Per text of ``found``, whether ``_by_story`` makes one story of its ``telling`` neighbours (a mask over
    them; ``part`` and ``rest``, their anchors inside the text and beyond it), for all texts at once: each
    shares ``ROUNDUP_MIN_PART_SHARE`` of the smaller's anchors beyond the text with the first of them, the one
    holding most of the text (the earliest on a tie). True for a text with none."""
    n_texts = found.own_sizes.size
    told = np.flatnonzero(telling)
    by_text = told[np.lexsort((told, -part[told], found.text[told]))]
    first = np.ones(by_text.size, dtype=bool)
    first[1:] = found.text[by_text[1:]] != found.text[by_text[:-1]]
    leads, others = by_text[first], by_text[~first]
    lead_of = np.zeros(n_texts, dtype=np.intp)
    lead_of[found.text[leads]] = leads
    # Only the compared lists' anchors are read. Each list's are sorted and keyed by their text, and the leads are
    # in the order of their texts, so the leads' anchors beyond their texts are sorted too.
    starts = np.cumsum(found.sizes) - found.sizes
    at = span_indexes(starts[leads], found.sizes[leads])
    beyond = found.keys[at[~found.found[at]]]
    shared = np.zeros(telling.size, dtype=np.int64)
    if beyond.size and others.size:
        _, hit = in_sorted(beyond, found.keys[span_indexes(starts[others], found.sizes[others])])
        shared = np.bincount(np.repeat(others, found.sizes[others])[hit], minlength=telling.size)
    same = shared >= ROUNDUP_MIN_PART_SHARE * np.minimum(rest, rest[lead_of[found.text]])
    same[leads] = True
    return _all_per_text(same | ~telling, found.text, n_texts)


def _all_per_text(values: np.ndarray, text: np.ndarray, n_texts: int) -> np.ndarray:
    """Whether every one of a text's pairs holds ``values`` (true for a text with none)."""
    return np.bincount(text, weights=~values, minlength=n_texts) == 0


def _passage_parts(anchors: np.ndarray, neighbours: list, part: np.ndarray, rest: np.ndarray, groups: list,
                   minimum: float) -> set:
    """The parts of a text (``_groups``' indexes) that texts of two or more different stories print: the
    page around its story, not a story it quotes. A roundup's part is one story's, whose texts share
    that story beyond the part; a template's standfirst that a text-dump cleaner kept above every article
    on the template is printed by each of them with its own article beside it (on unseen real-page
    corpora: two briefs on one template each linked to the other and to a third story through it, and
    were judged roundups of their own story and the standfirst, so joined neither).

    Only neighbours that are mostly other text (as much beyond the part as in it) tell of a story. ``part``
    and ``rest``: each neighbour's anchors inside the text and beyond it.
    """
    found = set()
    for k, (_, members, size) in enumerate(groups):
        if size < minimum or len(members) < 2:
            continue
        telling = sorted((m for m in members if rest[m] >= part[m] > 0), key=lambda m: -part[m])
        if len(telling) >= 2 and len(_by_story(anchors, neighbours, telling, rest)) >= 2:
            found.add(k)
    return found


def _by_story(anchors: np.ndarray, neighbours: list, members: list, rest: np.ndarray) -> list:
    """``members`` (neighbour indexes) grouped by story, each group led by its first member: two are one
    story when they share ``ROUNDUP_MIN_PART_SHARE`` of the smaller one's anchors beyond the text
    (``rest``: each neighbour's anchor count beyond it). Different stories share next to none; one story's
    edited reposts 57-81%."""
    groups = []
    while members:
        first, others = members[0], members[1:]
        same = np.zeros(len(others), dtype=bool)
        if others:
            held = neighbours[first]
            beyond = held[~in_sorted(anchors, held)[1]]
            shared = covered_masks(beyond, [neighbours[k] for k in others]).sum(axis=1)
            same = shared >= ROUNDUP_MIN_PART_SHARE * np.minimum(rest[others], beyond.size)
        groups.append([first] + [k for k, s in zip(others, same.tolist()) if s])
        members = [k for k, s in zip(others, same.tolist()) if not s]
    return groups


def _passage_strays(anchors: np.ndarray, neighbours: list, masks: np.ndarray, part: np.ndarray,
                    rest: np.ndarray) -> list:
    """The neighbours a short text should not link to, among those that hold it as a passage of their own.

    A short text held by texts of two or more different stories is a passage they all print: a
    site's sign-off under each of its posts, a template's pull quote a text-dump cleaner kept above
    other articles. Linked to all of them it made one cluster of their stories (on unseen real-page
    corpora: an edited brief, 40% of it its site's sign-off, joined two of that site's stories; a
    pull quote kept alone joined three). It joins the story that holds most of it, by more texts on
    a tie, and no other; on a full tie, none.

    Only neighbours that are mostly other text (``PASSAGE_REST`` times its part or more) can tell of
    another story; the text's copies and briefs always stay. They are grouped by story with ``_by_story``.
    ``part`` and ``rest``: each neighbour's anchors inside the text and beyond it.
    """
    if anchors.size > MAX_QUERY_ANCHORS or not anchors.size:
        return []
    apart = np.flatnonzero((part > 0) & (rest >= PASSAGE_REST * part))
    if apart.size < 2:
        return []
    apart = apart[np.argsort(-part[apart], kind="stable")].tolist()  # the most of the text first
    groups = _by_story(anchors, neighbours, apart, rest)
    if len(groups) < 2:
        return []
    ranked = sorted(((int(np.count_nonzero(masks[g].any(axis=0))), len(g)), n) for n, g in enumerate(groups))
    (top, keep), (second, _) = ranked[-1], ranked[-2]
    return sorted(m for n, g in enumerate(groups) if n != keep or top == second for m in g)


def _page_strays(anchors: np.ndarray, held: list, neighbours: list, masks: np.ndarray, part: np.ndarray,
                 rest: np.ndarray) -> list:
    """Every neighbour of a text whose one linked part is the page around its own story: texts of two or
    more unrelated stories print that part, and the rest of the text (as much as a brief needs to link,
    ``ROUNDUP_MIN_PART``) is in none of them.

    On an unseen real-page corpus, a brief put on a press release's template kept the release's lead and
    its company's closing paragraph, three times the brief. A copy of another story on the template, and
    two other releases of the company, held all that, so the brief joined their stories. Those stories
    share nothing beyond the text (``_by_story``) and are no coverage of one event (``PAGE_MAX_COSINE``):
    a story's own texts (an original and a copy on a template of its own) share their terms, so a copy of
    a story stays with it however little its texts share beyond it. Each text's terms count the page it
    prints too, so two stories on one page share some (0.3 for a page a third of their leads). Only a
    neighbour that holds half the part or more, and as much beyond it, tells of a story.

    ``neighbours``: ``(sorted anchors, packed terms)``, and ``held`` their anchors; ``part`` and ``rest``:
    each one's anchors inside the text and beyond it.
    """
    beyond = rest >= part
    if np.count_nonzero(beyond) < 2:
        return []  # a story's copies, mostly: decided before the text's cover is counted
    size = int(np.count_nonzero(masks.any(axis=0)))
    if anchors.size - size < ROUNDUP_MIN_PART:
        return []
    telling = np.flatnonzero(beyond & (part >= ROUNDUP_SAME_PART * size))
    if telling.size < 2:
        return []
    telling = telling[np.argsort(-part[telling], kind="stable")].tolist()
    stories = _by_story(anchors, held, telling, rest)
    if len(stories) < 2:
        return []
    vectors = [_summed([neighbours[m][1] for m in story]) for story in stories]
    if all(cosine(a, b) >= PAGE_MAX_COSINE for k, a in enumerate(vectors) for b in vectors[k + 1:]):
        return []
    return list(range(len(neighbours)))


def _roundup_entry(member: Member) -> tuple:
    return member.article_id, (member.anchors or b"", member.event_terms or "")


class _JudgeRoundupsFn(beam.DoFn):
    """A batch of (text, {"pairs": [(neighbour, value)], "values": [own value]}) -> their proposals: a text
    that is not a roundup proposes each edge to a later id, ``(a, b)``; a roundup proposes none, and its id
    goes to ``roundups``; an edge to a stray neighbour (``judge_links``) goes to ``strays`` as ``(a, b)``,
    a < b (``DropRoundupEdges`` drops every edge with a roundup at an end, and every stray edge). The batch
    is judged together (``judge_texts``)."""

    ROUNDUPS = "roundups"
    STRAYS = "strays"

    def __init__(self):
        self._roundups = counters.counter(counters.ROUNDUPS)
        self._strays = counters.counter(counters.STRAY_LINKS)

    def process(self, batch):
        texts, ids = [], []
        for x, grouped in batch:
            own = list(grouped["values"])
            neighbours = dict(sorted(grouped["pairs"]))  # in a fixed order, whatever the shuffle's
            if own and neighbours:
                texts.append((own[0][0], list(neighbours.values())))
                ids.append((x, list(neighbours)))
        for (x, linked), (roundup, strays) in zip(ids, judge_texts(texts)):
            if roundup:
                self._roundups.inc()
                yield beam.pvalue.TaggedOutput(self.ROUNDUPS, x)
                continue
            stray = {linked[i] for i in strays}
            for n in sorted(stray):
                self._strays.inc()
                yield beam.pvalue.TaggedOutput(self.STRAYS, (x, n) if x < n else (n, x))
            for n in linked:
                if x < n and n not in stray:
                    yield x, n


def _vouched(proposal: tuple, roundups: dict, strays: dict) -> list:
    """A proposed edge ``(a, b)`` unless a roundup (a key of ``roundups``) is at one of its ends or
    an end found the other a stray (a key of ``strays``)."""
    a, b = proposal
    return [] if a in roundups or b in roundups or proposal in strays else [proposal]


class DropRoundupEdges(beam.PTransform):
    """``{"edges": verified edges, "articles": this run's members, "history": past members}`` ->
    ``{"edges": the edges between two texts that are not roundups, "roundups": roundup ids}``.

    A text holding large parts of two unrelated stories (``is_roundup``) bridges neither: it keeps
    none of its edges, so it stays alone with role ``roundup``. Each text meets its neighbours'
    anchors and event terms once (``MeetPairs``); an edge survives when its first end proposes it
    (no roundup proposes) and its other end, judged too (it met the first's values), is no roundup.
    """

    def expand(self, inputs):
        values = (
            (inputs["articles"] | "KeyNewParts" >> beam.Map(_roundup_entry),
             inputs["history"] | "KeyOldParts" >> beam.Map(_roundup_entry))
            | "FlattenParts" >> beam.Flatten()
        )
        judged = (
            {"pairs": inputs["edges"], "values": values}
            | "MeetNeighbours" >> MeetPairs(both_directions=True)
            | "BatchTexts" >> beam.BatchElements(min_batch_size=TEXT_BATCH, max_batch_size=TEXT_BATCH)
            | "JudgeRoundups" >> beam.ParDo(_JudgeRoundupsFn()).with_output_types(
                Tuple[str, str]).with_outputs(_JudgeRoundupsFn.ROUNDUPS, _JudgeRoundupsFn.STRAYS, main="proposals")
        )
        # An edge is kept when its first end proposed it, its other end is no roundup and neither end
        # found the other a stray. Roundups and strays are few, so they are side inputs: a vote from
        # each end, grouped by edge, took five steps per edge (33,000 edges at 10k documents).
        roundups = judged[_JudgeRoundupsFn.ROUNDUPS]
        strays = judged[_JudgeRoundupsFn.STRAYS]
        edges = judged.proposals | "KeepVouchedEdges" >> beam.FlatMap(
            _vouched, roundups=beam.pvalue.AsDict(roundups | "KeyRoundupIds" >> beam.Map(lambda x: (x, True))),
            strays=beam.pvalue.AsDict(strays | "KeyStrayEdges" >> beam.Map(lambda e: (e, True))))
        return {"edges": edges, "roundups": roundups}
