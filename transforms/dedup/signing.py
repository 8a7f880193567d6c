"""Shingling and MinHash signatures, vectorised over batches of documents.

Signatures are bit-for-bit datasketch 2.0 ``affine32`` MinHashes: for a
document's 32-bit shingle hashes ``h``, ``datasketch.MinHash(num_perm, seed,
hashfunc=lambda x: x).update_batch(h)`` gives the same ``hashvalues`` (a unit
test holds us to it), so our banding can be checked against ``MinHashLSH``.
What is faster than datasketch's own ``bulk`` path:

- a text's words are hashed together (FNV-1a over fixed-width code points, in
  numpy) and a shingle's hash is a polynomial of its words' hashes, instead of
  one SHA-1 call per shingle;
- the permutations of a whole batch of documents are one matrix operation,
  reduced per document with ``np.minimum.reduceat``.

The permutations are drawn here as datasketch draws them (``affine_permutations``;
a unit test holds them to ``MinHash(num_perm, seed).permutations``): importing
datasketch imports SciPy, 0.45 s of every run's start (a tenth of a scheduled run
of a few documents) for two arrays of random numbers.
"""
from __future__ import annotations

import dataclasses
import importlib.metadata
from typing import Tuple

import numpy as np

from transforms.dedup.scurve import optimal_bands_rows
# The numpy part of signing, exported here too: transforms.dedup.shingles.
from transforms.dedup.shingles import (FNV_OFFSET, FNV_PRIME, HASH_VERSION, MinHasher, estimate_containment,
                                       estimate_jaccard, fmix64, hash_words, shingle_hashes)

__all__ = ["MinHashConfig", "affine_permutations", "shingle_hashes", "Signer", "MinHasher", "estimate_jaccard",
           "estimate_containment", "is_match", "verification_signature", "hash_words", "fmix64", "HASH_VERSION",
           "FNV_PRIME", "FNV_OFFSET"]


@dataclasses.dataclass(frozen=True)
class MinHashConfig:
    """Parameters that make signatures comparable; written into the output's metadata.

    ``bands`` x ``rows`` default to datasketch's optimal-parameter helper for the
    threshold, weighting false negatives by ``fn_weight``: a false positive only
    costs one verification, a false negative loses a copy for good, so the
    default favours recall (at 0.3: 42x3 bands, 68% chance of a candidate at
    Jaccard 0.3 and 94% at 0.4, against 37x3 and 64%/91% with equal weights).
    """

    num_perm: int = 128
    shingle_size: int = 3
    seed: int = 1
    threshold: float = 0.3
    containment_threshold: float = 0.7
    min_containment_shingles: int = 100
    fn_weight: float = 0.7
    bands: int = 0
    rows: int = 0
    scheme: str = "affine32"

    def __post_init__(self):
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if self.num_perm < 2 or self.shingle_size < 1:
            raise ValueError("num_perm must be >= 2 and shingle_size >= 1")
        if self.bands <= 0 or self.rows <= 0:
            if not 0.0 < self.fn_weight < 1.0:
                raise ValueError(f"fn_weight must be in (0, 1), got {self.fn_weight}")
            b, r = optimal_bands_rows(self.threshold, self.num_perm, 1.0 - self.fn_weight, self.fn_weight)
            object.__setattr__(self, "bands", b)
            object.__setattr__(self, "rows", r)
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands}x{self.rows}) exceeds num_perm {self.num_perm}")

    def to_metadata(self) -> dict:
        return {**dataclasses.asdict(self), "datasketch": importlib.metadata.version("datasketch"),
                "hash_version": HASH_VERSION}


#: datasketch 2.0's ``affine32`` scheme: permutations h -> a * h + b mod 2^32, ``a`` odd.
_AFFINE32_WIDTH = 32


def affine_permutations(num_perm: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """``datasketch.MinHash(num_perm=num_perm, seed=seed).permutations`` (``affine32``), drawn the same way."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << (_AFFINE32_WIDTH - 1), num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << _AFFINE32_WIDTH, num_perm, dtype=np.uint32)
    return a, b


class Signer(MinHasher):
    """A ``MinHasher`` with datasketch's permutations for ``config`` (its ``num_perm`` and ``seed``)."""

    def __init__(self, config: MinHashConfig):
        a, b = affine_permutations(config.num_perm, config.seed)
        super().__init__(config.shingle_size, a, b)
        self.config = config

    def hasher(self) -> MinHasher:
        """The same signer as a plain ``MinHasher``: a process it is sent to only imports ``shingles``."""
        return MinHasher(self.shingle_size, self._a, self._b)


def is_match(config: MinHashConfig, jaccard: float, containment: float, size_a: int, size_b: int) -> bool:
    """Whether a verified candidate pair is the same story.

    Containment alone links only when the shorter text has at least
    ``min_containment_shingles`` shingles: on 40-75 shingles the MinHash estimate is
    too noisy, and the bench at 100k documents merged independent reports through
    short texts (10 of 8,256 at no minimum, 0 at 100).
    """
    if jaccard >= config.threshold:
        return True
    return containment >= config.containment_threshold and min(size_a, size_b) >= config.min_containment_shingles


def verification_signature(sig: bytes) -> bytes:
    """The low 16 bits of each MinHash value (b-bit MinHash), for verifying candidate pairs.

    Two different 32-bit minima agree in their low 16 bits with probability 2^-16, so
    the Jaccard estimate moves by at most ~1e-5 on average (its sampling error at 128
    permutations is ~0.04), while each of the millions of candidate pairs carries half
    the bytes through the verification join.
    """
    return np.frombuffer(sig, dtype=np.uint32).astype(np.uint16).tobytes()
