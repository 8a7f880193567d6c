"""Which member of a story cluster is the original, and what the others are.

Pure functions over member records (dicts with ``article_id``, ``published``,
``site``, ``credited_source``, ``sig``, ``n_shingles``), used by ``BuildClustersFn``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Optional, Sequence

import numpy as np

from transforms.signing import estimate_containment, estimate_jaccard

__all__ = ["pick_canonical", "assign_role", "cluster_id_for", "COPY_JACCARD", "COPY_CONTAINMENT"]

#: Similarity tiers: at or above either, a member is a near-verbatim copy; below, a rewrite.
COPY_JACCARD = 0.5
COPY_CONTAINMENT = 0.85

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def _slug(value: Optional[str]) -> str:
    return re.sub(r"[^a-z0-9]", "", (value or "").lower())


def is_own_outlet(member: dict) -> bool:
    """True when a member is published by the outlet it credits (cnn.com crediting CNN)."""
    credit, site = _slug(member.get("credited_source")), _slug(member.get("site"))
    return bool(credit and site and (credit in site or site in credit))


def _canonical_key(member: dict) -> tuple:
    published = member.get("published") or _FAR_FUTURE
    # The outlet that wrote the story outranks its reposts; then the earliest; on a tie (same-day dates
    # are common) the fullest text, since copies drop and truncate paragraphs; then the id, for determinism.
    return (0 if is_own_outlet(member) else 1, published, -(member.get("n_shingles") or 0), member["article_id"])


def pick_canonical(members: Sequence[dict]) -> dict:
    """The original of a cluster: the crediting outlet's own copy, else the earliest published."""
    return min(members, key=_canonical_key)


def cluster_id_for(canonical_article_id: str) -> str:
    """Deterministic cluster id derived from the canonical member's id."""
    return "c" + hashlib.blake2b(canonical_article_id.encode(), digest_size=8).hexdigest()


def similarity(a: dict, b: dict) -> tuple:
    """(estimated Jaccard, estimated containment) between two signed members."""
    if a.get("content_hash") and a.get("content_hash") == b.get("content_hash"):
        return 1.0, 1.0
    sa, sb = a.get("sig"), b.get("sig")
    if sa is None or sb is None:
        return 0.0, 0.0
    j = estimate_jaccard(np.frombuffer(sa, dtype=np.uint32), np.frombuffer(sb, dtype=np.uint32))
    return j, estimate_containment(j, a.get("n_shingles", 0), b.get("n_shingles", 0))


def assign_role(jaccard: float, containment: float, is_canonical: bool) -> str:
    if is_canonical:
        return "original"
    if jaccard >= COPY_JACCARD or containment >= COPY_CONTAINMENT:
        return "copy"
    return "rewrite"


def headline_from_text(text: str, max_words: int = 14) -> str:
    """A stand-in headline for an article without one: its first words."""
    words = text.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")
