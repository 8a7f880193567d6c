"""Which member of a story cluster is the original, and what the others are.

Pure functions over ``Member`` records (``transforms.dedup.records``: ``published``,
``site``, ``credited_source``, ``sig``, ``n_shingles`` and, for this run's
articles, ``role_sketch``), used by ``BuildClustersFn``.

The original (``pick_canonical``) is the crediting outlet's own copy, else the
earliest; members published at the same time (or undated) are told apart by
centrality and containment: a repost diverges from the original by its own
edits, which its siblings do not share, and a cut or edited repost holds less
of its siblings' text than the original, so the original is the member closest
to all the others and holding most of them.

A member is a ``copy`` when nearly all of its body is word-for-word text of an
earlier member, and a ``rewrite`` otherwise (``copy_share``, ``role_of``). Two
things make that a share of the member rather than a similarity of the pair:

- a repost cut short keeps only part of the original, so its Jaccard similarity
  is low although every sentence it has is verbatim;
- a repost wrapped in its own first or last paragraph (a local intro, an
  editor's note, a credit line) adds text the original lacks: its body between
  those two paragraphs is what is compared.

A rewrite keeping some sentences has new sentences throughout, so a large share
of its body is found nowhere in the earlier members.
"""
from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
import re
from typing import Optional, Sequence

import numpy as np

from transforms.dedup.member import Member
from transforms.dedup.shingles import estimate_containment, estimate_jaccard, fmix64, in_sorted, shingle_hashes
from transforms.tokens import words

__all__ = ["pick_canonical", "role_of", "copy_share", "best_copy_share", "References", "role_sketch",
           "paragraph_words", "reference_members", "source_slug", "cluster_id_for", "similarity",
           "headline_from_text", "COPY_SHARE", "SKETCH_SIZE", "MAX_REFERENCES"]

#: Share of a member's body that must be word-for-word text of an earlier member for it to be a copy.
#: With word 3-shingles one changed word breaks three shingles, so 0.85 allows about one word in
#: twenty to differ (copy-editing); a rewrite keeping some sentences writes far more of its own.
COPY_SHARE = 0.85
#: Shingles kept per role sketch (bottom-k of mixed shingle hashes): 512 bytes a member.
SKETCH_SIZE = 128
#: Earliest members a member is compared with (plus the canonical): bounds the work on giant stories.
MAX_REFERENCES = 32
#: Members of one cluster centrality is computed over: bounds it on giant stories.
_MAX_CENTRALITY_MEMBERS = 2000
#: Most central tied members whose containment of the others is measured, and members measured against.
_MAX_CANONICAL_FINALISTS = 16
_MAX_CONTAINMENT_MEMBERS = 64

_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
_PARAGRAPH_RE = re.compile(r"\n+")
_NOT_SLUG_RE = re.compile(r"[^a-z0-9]")
_CORE_BIT = np.uint32(1)


def source_slug(value: Optional[str]) -> str:
    """A credited source or a site as compared: its letters and digits, lower case ("The Associated Press" ->
    "theassociatedpress"; None -> "")."""
    return _NOT_SLUG_RE.sub("", (value or "").lower())


def is_own_outlet(member: Member) -> bool:
    """True when a member is published by the outlet it credits (cnn.com crediting CNN)."""
    credit, site = source_slug(member.credited_source), source_slug(member.site)
    return bool(credit and site and (credit in site or site in credit))


def _rank(member: Member) -> tuple:
    # The outlet that wrote the story outranks its reposts; then the earliest.
    return 0 if is_own_outlet(member) else 1, member.published or _FAR_FUTURE


def _signature_matrix(members: Sequence[Member]) -> np.ndarray:
    sigs = [np.frombuffer(m.sig, dtype=np.uint32) for m in members if m.sig is not None]
    return np.stack(sigs) if sigs else np.zeros((0, 0), dtype=np.uint32)


def _centrality(candidates: Sequence[Member], members: Sequence[Member]) -> list:
    """Mean estimated Jaccard of each candidate to the members (itself included: the same for all)."""
    pool = sorted(members, key=lambda m: m.article_id)[:_MAX_CENTRALITY_MEMBERS]
    matrix = _signature_matrix(pool)
    out = []
    for c in candidates:
        if c.sig is None or matrix.size == 0:
            out.append(0.0)
            continue
        sig = np.frombuffer(c.sig, dtype=np.uint32)
        out.append(float(np.count_nonzero(matrix == sig)) / matrix.size)
    return out


def _contains_others(candidates: Sequence[Member], members: Sequence[Member]) -> list:
    """Mean share of the other members' bodies found word for word in each candidate (``copy_share``)."""
    # The same members whatever order the shuffle delivered them in: the cluster id depends on this.
    by_id = sorted(members, key=lambda o: o.article_id)[:_MAX_CONTAINMENT_MEMBERS + 1]
    # The candidates measure the same others: their sketch bodies are read once, into one array searched
    # once a candidate (a search per pair was ~9 us, ~210,000 of them at 100k documents).
    bodies = [_sketch_body(o.role_sketch) for o in by_id]
    sizes = [0 if b is None else len(b) for b in bodies]
    flat = np.concatenate([b for b in bodies if b is not None] or [np.zeros(0, dtype=np.uint32)])
    owner = np.repeat(np.arange(len(by_id)), sizes)
    out = []
    for candidate in candidates:
        sketch = _reference_sketch(candidate.role_sketch)
        if sketch is not None and len(flat):
            # As ``_share``: a body entry counts up to the largest entry of a complete sketch.
            kept = flat <= sketch[-1] if len(sketch) >= SKETCH_SIZE else np.ones(len(flat), dtype=bool)
            n_kept = np.bincount(owner[kept], minlength=len(by_id)).tolist()
            n_found = np.bincount(owner[in_sorted(sketch, flat)[1]], minlength=len(by_id)).tolist()
        total, n = 0.0, 0
        for k, o in enumerate(by_id):
            if o is candidate:
                continue
            if n == _MAX_CONTAINMENT_MEMBERS:
                break
            n += 1
            if o.content_hash and o.content_hash == candidate.content_hash:
                total += 1.0
            elif sketch is not None and bodies[k] is not None and n_kept[k]:
                total += float(n_found[k]) / n_kept[k]
            else:
                total += _signature_share(o, candidate)
        out.append(total / n if n else 0.0)
    return out


def pick_canonical(members: Sequence[Member]) -> Member:
    """The original of a cluster: the crediting outlet's own copy, else the earliest published.

    A member without a date may be the earliest, so it competes with the earliest
    dated ones. Members tied that way (same-day dates are common) are ranked by
    centrality (a repost's own edits are not shared by its siblings) plus the share
    of the others' bodies each one holds (a cut or edited repost holds less of its
    siblings than the original does); then a dated member before an undated one,
    the fuller text, and the id, for determinism.
    """
    if len(members) == 1:
        return members[0]
    ranks = [_rank(m) for m in members]
    best = min(ranks)
    tied = [m for m, rank in zip(members, ranks)
            if rank == best or (m.published is None and rank[0] == best[0])]
    if len(tied) == 1:
        return tied[0]
    central = _centrality(tied, members)
    finalists = sorted(range(len(tied)), key=lambda i: -central[i])[:_MAX_CANONICAL_FINALISTS]
    contained = _contains_others([tied[i] for i in finalists], members)
    score = {i: central[i] + share for i, share in zip(finalists, contained)}
    best_i = min(finalists, key=lambda i: (-score[i], tied[i].published is None,
                                           -tied[i].n_shingles, tied[i].article_id))
    return tied[best_i]


def cluster_id_for(canonical_article_id: str) -> str:
    """Deterministic cluster id derived from the canonical member's id."""
    return "c" + hashlib.blake2b(canonical_article_id.encode(), digest_size=8).hexdigest()


def similarity(a: Member, b: Member) -> tuple:
    """(estimated Jaccard, estimated containment) between two signed members."""
    if a.content_hash and a.content_hash == b.content_hash:
        return 1.0, 1.0
    sa, sb = a.sig, b.sig
    if sa is None or sb is None:
        return 0.0, 0.0
    j = estimate_jaccard(np.frombuffer(sa, dtype=np.uint32), np.frombuffer(sb, dtype=np.uint32))
    return j, estimate_containment(j, a.n_shingles, b.n_shingles)


def paragraph_words(text: str) -> list:
    """The words of each of a text's paragraphs (lines) that has any.

    Joined, they are ``words(text)``: a token never spans a line break, and neither NFKC nor case
    folding joins anything across one. So one tokenisation serves signing and the role sketch.
    """
    return [ws for ws in (words(p) for p in _PARAGRAPH_RE.split(text)) if ws]


def role_sketch(text: str, shingle_size: int = 3, size: int = SKETCH_SIZE, paragraphs: Optional[list] = None,
                hashes: Optional[np.ndarray] = None) -> bytes:
    """A member's role sketch: the ``size`` smallest mixed hashes of its word shingles.

    Its entries are sorted ascending, each a uint32 whose lowest bit says whether the shingle lies
    in the body (between the first and the last paragraph, when there are at least three). A
    bottom-k sketch holds every shingle of a short text and a uniform sample of a long
    one, so two sketches give the share of one text found in the other (``copy_share``).
    ``paragraphs``: ``paragraph_words(text)``, and ``hashes``: the shingle hashes of their words
    joined, when the caller has them (signing does).
    """
    if paragraphs is None:
        paragraphs = paragraph_words(text)
    tokens = [w for p in paragraphs for w in p]
    if hashes is None:
        hashes = shingle_hashes(tokens, shingle_size)
    if len(hashes) == 0:
        return b""
    k = min(shingle_size, len(tokens))
    starts = np.arange(len(hashes))
    if len(paragraphs) >= 3:
        lo, hi = len(paragraphs[0]), len(tokens) - len(paragraphs[-1])
        body = (starts >= lo) & (starts + k <= hi)
        if not body.any():
            body = np.ones(len(hashes), dtype=bool)
    else:
        body = np.ones(len(hashes), dtype=bool)
    with np.errstate(over="ignore"):
        mixed = (fmix64(hashes.astype(np.uint64)) >> np.uint64(32)).astype(np.uint32) & ~_CORE_BIT
    # A shingle repeated in the wrapper and in the body counts as body.
    order = np.lexsort((~body, mixed))
    mixed, body = mixed[order], body[order]
    first = np.ones(len(mixed), dtype=bool)
    first[1:] = mixed[1:] != mixed[:-1]
    sketch = (mixed[first] | body[first].astype(np.uint32))[:size]
    return sketch.astype("<u4").tobytes()


def copy_share(member: Member, reference: Member, size: int = SKETCH_SIZE) -> float:
    """Estimated share of ``member``'s body that is word-for-word text of ``reference``.

    From the role sketches when both have one: the body entries of the member's
    sketch at or below the reference's largest entry, and how many of those the
    reference holds. Otherwise (a past article from the index has no sketch) from
    the signatures: |A & B| estimated from Jaccard and the shingle counts, over |A|.
    """
    return best_copy_share(member, [reference], size)


def best_copy_share(member: Member, references: Sequence[Member], size: int = SKETCH_SIZE) -> float:
    """``max(copy_share(member, r) for r in references)`` (a ValueError when there are none).

    The member's sketch body is read once, and the search stops at a reference holding all of it: most
    members of a story are copies, whole in their first reference (645,000 ``copy_share`` calls at 100k
    documents, ~14 us each, where a member meets up to ``MAX_REFERENCES`` + 1 references).
    """
    body = _sketch_body(member.role_sketch)
    best = None
    for reference in references:
        share = _share(member, reference, body, _reference_sketch(reference.role_sketch), size)
        best = share if best is None else max(best, share)
        if best >= 1.0:
            break
    if best is None:
        raise ValueError("best_copy_share() of no references")
    return best


def _share(member: Member, reference: Member, body: Optional[np.ndarray], sketch: Optional[np.ndarray],
           size: int) -> float:
    """``copy_share``, the member's sketch body (``_sketch_body``) and the reference's sketch
    (``_reference_sketch``) read by the caller."""
    if member.content_hash and member.content_hash == reference.content_hash:
        return 1.0
    if body is not None and sketch is not None:
        if len(sketch) >= size:
            body = body[body <= sketch[-1]]  # the reference's sketch is complete up to its largest entry
        if len(body):
            # Both sketches are sorted (bottom-k): a binary search per entry, where np.isin sorted
            # both again (73,000 calls at 10k documents).
            return float(np.count_nonzero(in_sorted(sketch, body)[1])) / len(body)
    return _signature_share(member, reference)


def _sketch_body(sketch: Optional[bytes]) -> Optional[np.ndarray]:
    """A role sketch's body entries (all of them when none is marked body), without the body bit; None
    without a sketch."""
    if not sketch:
        return None
    x = np.frombuffer(sketch, dtype="<u4")
    body = x[(x & _CORE_BIT) == _CORE_BIT] & ~_CORE_BIT
    return body if len(body) else x & ~_CORE_BIT


def _reference_sketch(sketch: Optional[bytes]) -> Optional[np.ndarray]:
    """A role sketch as a reference reads it: its entries without the body bit; None without a sketch."""
    return np.frombuffer(sketch, dtype="<u4") & ~_CORE_BIT if sketch else None


def _signature_share(member: Member, reference: Member) -> float:
    sa, sb = member.sig, reference.sig
    n_a, n_b = member.n_shingles or 0, reference.n_shingles or 0
    if sa is None or sb is None or n_a <= 0:
        return 0.0
    j = estimate_jaccard(np.frombuffer(sa, dtype=np.uint32), np.frombuffer(sb, dtype=np.uint32))
    return min(1.0, j * (n_a + n_b) / (1.0 + j) / n_a)


def reference_members(member: Member, members: Sequence[Member], canonical: Optional[Member] = None,
                      limit: int = MAX_REFERENCES) -> list:
    """The members ``member`` may be a copy of: those not published after it (undated ones included).

    The earliest ``limit`` of them (by date, then id), plus the canonical; when none qualifies, the
    canonical alone (or every other member when there is no canonical). ``References`` answers this for
    every member of one cluster.
    """
    return References(members, canonical, limit).of(member)


class References:
    """``reference_members`` of each member of one cluster, the members sorted once.

    Sorting a cluster's members again for each of its members made the roles quadratic in a story's
    size: ~4.7 s of the roles of 100k documents, whose largest stories hold thousands of members.
    """

    def __init__(self, members: Sequence[Member], canonical: Optional[Member] = None, limit: int = MAX_REFERENCES):
        self._members, self._canonical, self._limit = members, canonical, limit
        # Stable: members of one date and id stay in the order given, as when each member sorted its own list.
        self._sorted = sorted(members, key=lambda o: (o.published or _FAR_FUTURE, o.article_id))
        self._dates = [o.published or _FAR_FUTURE for o in self._sorted]
        self._undated = bisect.bisect_left(self._dates, _FAR_FUTURE)

    def of(self, member: Member) -> list:
        published, ordered = member.published, self._sorted
        if published is None:
            earlier = ordered
        else:
            # Those dated up to ``published``, then the undated ones (whose date sorts as the far future), read
            # lazily: a member takes the first ``limit`` of them, and slicing them was again linear a member.
            end = bisect.bisect_right(self._dates, published)
            earlier = itertools.chain(itertools.islice(ordered, end),
                                      (ordered[i] for i in range(max(end, self._undated), len(ordered))
                                       if ordered[i].published is None))
        refs = []
        for o in earlier:
            if o is not member and o.article_id != member.article_id:
                refs.append(o)
                if len(refs) == self._limit:
                    break
        canonical = self._canonical
        if canonical is not None and canonical is not member and all(r is not canonical for r in refs):
            refs.append(canonical)
        return refs or [o for o in self._members if o is not member and o.article_id != member.article_id]


def role_of(share: float, is_canonical: bool) -> str:
    """``original`` for the canonical, else ``copy`` at or above ``COPY_SHARE``, else ``rewrite``.

    The one role rule of batch runs and streams. ``share`` is ``copy_share``: from role sketches
    when both texts have one, else the containment estimated from the MinHash signatures (what a
    stream has for the members it matched). Jaccard is never the share: a truncated copy has a low
    Jaccard similarity, and a rewrite keeping half its source's sentences can have a high one.
    """
    if is_canonical:
        return "original"
    return "copy" if share >= COPY_SHARE else "rewrite"


def headline_from_text(text: str, max_words: int = 14) -> str:
    """A stand-in headline for an article without one: its first words."""
    words = text.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")
