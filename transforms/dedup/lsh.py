"""Banding, bucket pairing and union-find: the pure core of clustering.

Band keys match datasketch's ``MinHashLSH``: two signatures share a key for
band ``i`` exactly when ``hashvalues[i*r:(i+1)*r]`` are equal (up to 64-bit
digest collisions: we store a digest of the band instead of its bytes to keep
shuffles small).
"""
from __future__ import annotations

import itertools
from typing import Hashable, Iterable, List, Sequence, Tuple

import numpy as np

from transforms.dedup.shingles import shard_order
from transforms.dedup.signing import FNV_OFFSET, FNV_PRIME, fmix64

__all__ = ["band_keys", "band_key_matrix", "band_of", "band_groups", "key_groups", "split_buckets",
           "split_mixed_buckets", "bucket_pairs", "UnionFind"]


#: Bits of a band key that hold the band's digest; the band index sits above them.
_DIGEST_BITS = 56


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list:
    """One key per band of a signature, computed for all bands at once: ``band_index << 56 | digest``.

    Keys are non-negative ints below 2**63, so Beam's coders write them as varints; a key of
    2**63 or more would be pickled (twice the bytes, four times the time per record, as measured
    on a 10k run). Two bands of different content share a key with probability 2**-56.

    Raises:
        ValueError: more than 127 bands.
    """
    return band_key_matrix(np.asarray(signature)[None, :], bands, rows)[0].tolist()


def band_key_matrix(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``band_keys`` of many signatures at once: an (n, bands) uint64 array, row i for ``signatures[i]``."""
    if bands > 127:
        raise ValueError(f"at most 127 bands, got {bands}")
    n = signatures.shape[0]
    sig = np.ascontiguousarray(signatures[:, : bands * rows], dtype=np.uint32).reshape(n, bands, rows)
    sig = sig.astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.broadcast_to(np.full(bands, FNV_OFFSET, dtype=np.uint64) + np.arange(bands, dtype=np.uint64),
                            (n, bands)).copy()
        for c in range(rows):
            h = fmix64((h ^ sig[:, :, c]) * FNV_PRIME)
    return (h & np.uint64((1 << _DIGEST_BITS) - 1)) | (np.arange(bands, dtype=np.uint64) << np.uint64(_DIGEST_BITS))


def band_of(key: int) -> int:
    """The band index of a ``band_keys`` key."""
    return key >> _DIGEST_BITS


def band_groups(keys: np.ndarray, members: Sequence[str], shards: int) -> List[Tuple[int, tuple]]:
    """A batch's band keys, one record per shard they fall in: ``[(shard, (keys bytes, members))]``
    (``key_groups``).

    ``keys`` is ``band_key_matrix`` of the batch (row i for ``members[i]``). A band key's shard is
    its digest modulo ``shards``, so every member of one bucket lands in one group, and a group
    holds the keys of every band (a key carries its band: buckets of different bands never mix).
    A pair found in several bands of one group leaves it once.
    """
    n, bands = keys.shape
    return key_groups(np.ascontiguousarray(keys, dtype=np.uint64).ravel(), np.repeat(np.arange(n), bands),
                      members, shards)


def key_groups(keys: np.ndarray, owner: np.ndarray, members: Sequence, shards: int) -> List[Tuple[int, tuple]]:
    """Keys of a batch's members (uint64 ``keys[j]`` held by ``members[owner[j]]``), one record per shard they
    fall in: ``[(shard, (keys bytes, [holder of each key]))]``, for ``split_buckets`` in each shard's group.

    A key's shard is its low ``_DIGEST_BITS`` bits modulo ``shards``, so every holder of one key lands in
    one group. One record carries all the batch's keys of its shard: a shuffle then moves ``shards``
    records per batch instead of one per key and member.
    """
    if shards < 1:
        raise ValueError(f"shards must be >= 1, not {shards}")
    flat = np.asarray(keys, dtype=np.uint64)
    group = ((flat & np.uint64((1 << _DIGEST_BITS) - 1)) % np.uint64(shards)).astype(np.int64)
    order = shard_order(group, shards)
    grouped = group[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(order) else np.empty(0, np.int64)
    ends = np.r_[starts[1:], len(order)]
    out = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        idx = order[start:end]
        out.append((int(grouped[start]), (flat[idx].tobytes(), [members[i] for i in owner[idx].tolist()])))
    return out


def split_buckets(batches: Iterable[tuple]) -> Tuple[int, List[list]]:
    """``key_groups`` records of one group -> (number of one-member buckets, members of every other bucket).

    The group's keys are sorted once and cut where the key changes: each run of equal keys is one
    LSH bucket, as a ``GroupByKey`` on the band key alone would have formed it.
    """
    members, order, sizes = _key_runs(batches)
    if not members:
        return 0, []
    shared = sizes > 1
    return int(len(sizes) - shared.sum()), _sliced(members, order, sizes, shared)


def split_mixed_buckets(batches: Iterable[tuple], labels: np.ndarray) -> Tuple[np.ndarray, List[list]]:
    """``split_buckets`` without the buckets whose members all carry one label: ``(the size of every key's
    bucket, in key order; members of every bucket of two or more labels)``. ``labels``: an integer per member,
    in the order the records give them (a member's story cluster, numbered).

    The event keys' buckets are paired only across story clusters, and a story's copies share its top terms:
    at 100,000 generated documents ~70% of the buckets of two or more holders are all of one cluster. Told
    apart here for all buckets at once, they are never made into lists only to be dropped one by one (there,
    the plain loop's event stage, one group of 1.5 million keys, 4.25 -> 3.58 s; ``PairEventGroupFn`` over its
    256 groups 2.49 -> 2.39 s; the same pairs).
    """
    members, order, sizes = _key_runs(batches)
    if not members:
        return sizes, []
    starts = np.cumsum(sizes) - sizes
    ordered = np.asarray(labels, dtype=np.int64)[order]
    mixed = (sizes > 1) & (np.minimum.reduceat(ordered, starts) != np.maximum.reduceat(ordered, starts))
    return sizes, _sliced(members, order, sizes, mixed)


def _key_runs(batches: Iterable[tuple]) -> Tuple[list, np.ndarray, np.ndarray]:
    """``key_groups`` records -> (their members in the order given, the members' positions in key order (stable:
    one key's members stay in that order), the size of each run of one key, in key order)."""
    key_parts, members = [], []
    for keys, ids in batches:
        key_parts.append(np.frombuffer(keys, dtype=np.uint64))
        members.extend(ids)
    if not members:
        return members, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    keys = np.concatenate(key_parts)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return members, order, np.diff(np.r_[starts, len(ordered)])


def _sliced(members: list, order: np.ndarray, sizes: np.ndarray, kept: np.ndarray) -> List[list]:
    """The members of each kept run (``_key_runs``) as a list, in key order."""
    # The kept members in key order, in one list, each bucket then a slice of it, where a slice of ``order`` per
    # bucket took 0.69 against 0.60 s over the 256 groups of 100,000 texts' event keys.
    ordered_members = [members[i] for i in order[np.repeat(kept, sizes)].tolist()]
    ends = np.cumsum(sizes[kept])
    return [ordered_members[s:e] for s, e in zip((ends - sizes[kept]).tolist(), ends.tolist())]


def bucket_pairs(member_ids: Sequence[str], cap: int, presorted: bool = False) -> tuple:
    """Candidate pairs of one LSH bucket.

    A bucket of at most ``cap`` members yields all its pairs. A larger bucket is a
    story syndicated many times over (or shared boilerplate); all-pairs would be
    quadratic, so each member is linked to the bucket's representative (the
    smallest id) only: connected components still join them, in linear pairs.

    Args:
        member_ids: The bucket's members.
        cap: Largest bucket that still forms all pairs.
        presorted: ``member_ids`` are distinct and already in the caller's order of
            preference; the first one is the representative of a capped bucket.

    Returns:
        (pairs, capped): pairs as ``(a, b)`` tuples in member order, and whether the bucket was capped.
    """
    ids = list(member_ids) if presorted else sorted(set(member_ids))
    if len(ids) <= cap:
        return list(itertools.combinations(ids, 2)), False
    rep = ids[0]
    return [(rep, other) for other in ids[1:]], True


class UnionFind:
    """Disjoint sets with path halving and union by size; roots are the smallest member.

    ``edges`` counts the ``union`` calls it has seen (what a caller fed it), ``len()``
    the members it holds: together they are its working set.
    """

    def __init__(self):
        self._parent: dict = {}
        self._size: dict = {}
        self.edges = 0

    def __len__(self) -> int:
        return len(self._parent)

    def find(self, x: Hashable) -> Hashable:
        parent = self._parent
        if x not in parent:
            parent[x] = x
            self._size[x] = 1
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: Hashable, b: Hashable) -> None:
        self.edges += 1
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]

    def components(self) -> dict:
        """Member -> component label, the label being the component's smallest member (deterministic)."""
        groups: dict = {}
        for x in self._parent:
            groups.setdefault(self.find(x), []).append(x)
        out = {}
        for members in groups.values():
            label = min(members)
            for m in members:
                out[m] = label
        return out
