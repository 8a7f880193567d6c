"""How many bands of how many rows: the LSH S-curve and the error it makes around a threshold.

Two signatures whose sets have similarity ``s`` share at least one of ``b``
bands of ``r`` rows with probability ``P(s) = 1 - (1 - s**r)**b``. Around a
threshold ``t``, the expected false-positive mass is the integral of ``P`` over
``[0, t]`` and the false-negative mass the integral of ``1 - P`` over
``[t, 1]``; the best ``(b, r)`` minimises their weighted sum. This is
datasketch's ``MinHashLSH`` choice, computed here instead of calling its
private ``_optimal_param``: ``P`` is a polynomial of degree ``b*r <= num_perm``,
so Gauss-Legendre quadrature with ``num_perm // 2 + 1`` nodes integrates it
exactly, with no SciPy call per candidate.
"""
from __future__ import annotations

import functools

import numpy as np

__all__ = ["collision_probability", "optimal_bands_rows"]


def collision_probability(similarity, bands: int, rows: int):
    """Probability that two sets of this similarity share a band (works on arrays)."""
    return 1.0 - (1.0 - np.asarray(similarity, dtype=float) ** rows) ** bands


@functools.lru_cache(maxsize=None)
def _nodes(n: int) -> tuple:
    return np.polynomial.legendre.leggauss(n)


def _integral(lo: float, hi: float, bands: int, rows: int, n: int, miss: bool) -> float:
    x, w = _nodes(n)
    s = (hi - lo) / 2 * x + (hi + lo) / 2
    p = collision_probability(s, bands, rows)
    return float((hi - lo) / 2 * np.dot(w, 1.0 - p if miss else p))


@functools.lru_cache(maxsize=256)
def optimal_bands_rows(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` minimising the weighted error around ``threshold``.

    Candidates are tried in datasketch's order (bands, then rows, ascending) and
    only a strictly smaller error replaces the best, so ties resolve as there.

    Raises:
        ValueError: threshold outside (0, 1), num_perm < 1 or a negative weight.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    if num_perm < 1 or fp_weight < 0 or fn_weight < 0:
        raise ValueError("num_perm must be >= 1 and the weights >= 0")
    n = num_perm // 2 + 1
    best, best_error = (1, 1), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            error = (fp_weight * _integral(0.0, threshold, b, r, n, miss=False)
                     + fn_weight * _integral(threshold, 1.0, b, r, n, miss=True))
            if error < best_error:
                best, best_error = (b, r), error
    return best
