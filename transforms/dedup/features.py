"""What clustering compares of an article, computed from its text alone, without Apache Beam.

``sign_articles`` gives each article of a batch its MinHash signature (``sig``) and
distinct shingle count, its containment anchors, its packed event terms and its role
sketch, all from one tokenisation. ``SignBatchFn`` (``transforms.dedup.sign``) calls it,
and the extraction workers of a local run (``transforms.extract.parallel``) call
``presign`` right after extracting a batch: the work is per document, like extraction,
and there it spreads over every core. This module and what it imports (numpy, simplemma, wordfreq)
leave out Beam (~190 MB a process) and datasketch (SciPy, ~56 MB): the signer is a
``MinHasher`` (``transforms.dedup.shingles``) given the permutations.

An article signed in a worker may still change before it reaches ``SignArticles``
(``DropSiteBoilerplate`` strips paragraphs), so ``presign`` marks it with a digest of
the text it was signed from, and ``complete_signatures`` keeps what was done only
for an article whose text still has that digest and signs the others.

Containment anchors (``containment_anchors``) live here rather than in
``transforms.dedup.containment``, which matches them and imports Beam.
"""
from __future__ import annotations

import hashlib
from typing import List, Optional, Sequence

import numpy as np

from transforms.dedup.events import articles_event_terms
from transforms.dedup.roles import paragraph_words, role_sketch
from transforms.dedup.shingles import MinHasher, hash_words, shingle_hashes

__all__ = ["sign_articles", "presign", "complete_signatures", "containment_anchors", "packed_anchors", "anchor_mix",
           "SIGNED_TEXT", "SAMPLE_MOD", "MAX_ANCHORS"]

#: A shingle is an anchor when its mixed hash is 0 mod ``SAMPLE_MOD``.
SAMPLE_MOD = 4
MAX_ANCHORS = 3000
_MIX = np.uint32(0x9E3779B1)
#: The key of a presigned article that holds the digest of the text it was signed from.
SIGNED_TEXT = "signed_text"


#: The bits of ``h * _MIX`` that ``anchor_mix(h) % SAMPLE_MOD`` reads (``SAMPLE_MOD`` is a power of two).
_SAMPLE_BITS = np.uint32((SAMPLE_MOD - 1) << 12)
assert SAMPLE_MOD & (SAMPLE_MOD - 1) == 0


def anchor_mix(h: np.ndarray) -> np.ndarray:
    """The mixed value of uint32 shingle hashes that anchors (and coarse anchors) are sampled on."""
    # Arrays wrap around silently (numpy warns only for scalars): no ``errstate`` (~1 us a call).
    return (h * _MIX) >> np.uint32(12)


def _is_anchor(h: np.ndarray) -> np.ndarray:
    """Which uint32 shingle hashes are anchors: ``anchor_mix(h) % SAMPLE_MOD == 0``, in one operation fewer
    (the mixed value's bits that the shift leaves lowest are zero)."""
    return ((h * _MIX) & _SAMPLE_BITS) == 0


def containment_anchors(shingle_hashes: np.ndarray, distinct: bool = False) -> np.ndarray:
    """The sorted distinct anchors (uint32) of a text's shingle hashes, at most ``MAX_ANCHORS``.

    ``distinct``: the hashes are already ``np.unique``'s output (signing counts them anyway).
    """
    h = np.asarray(shingle_hashes, dtype=np.uint32)
    if not distinct:
        h = np.unique(h)
    return h[_is_anchor(h)][:MAX_ANCHORS]


def packed_anchors(distinct: Sequence[np.ndarray]) -> List[bytes]:
    """``containment_anchors(d, distinct=True).tobytes()`` of each of several texts' distinct shingle hashes,
    sampled for all of them in a few array operations (one call per text: ~5 us, most of it numpy's overheads)."""
    if not distinct:
        return []
    sizes = np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct))
    every = np.concatenate(distinct).astype(np.uint32, copy=False)
    keep = _is_anchor(every)
    owner = np.repeat(np.arange(len(distinct)), sizes)[keep]
    kept = every[keep]
    # Each text's first MAX_ANCHORS (its hashes are sorted, so its smallest): those ranked below it among its own.
    counts = np.bincount(owner, minlength=len(distinct))
    first = np.cumsum(counts) - counts
    kept = kept[np.arange(kept.size) - first[owner] < MAX_ANCHORS]
    ends = np.cumsum(np.minimum(counts, MAX_ANCHORS)) * 4
    raw = kept.tobytes()
    return [raw[lo:hi] for lo, hi in zip(np.concatenate(([0], ends[:-1])).tolist(), ends.tolist())]


def sign_articles(batch: Sequence[dict], signer: MinHasher, paragraphs: Optional[list] = None) -> List[dict]:
    """Each article with ``sig`` (uint32 bytes), ``n_shingles``, ``event_terms``, ``anchors`` and ``role_sketch``.

    ``paragraphs``: each text's ``paragraph_words``, when the caller has them.
    """
    shingle_size = signer.shingle_size
    # One tokenisation per text, paragraph by paragraph, serves the shingles, the role sketch and the
    # event terms (the role sketch tokenised the text again: ~80 us a document).
    if paragraphs is None:
        paragraphs = [paragraph_words(a["text"]) for a in batch]
    tokens = [[w for p in ps for w in p] for ps in paragraphs]
    # Each text's words are hashed once, for its shingles and for looking its event terms up.
    word_hashes = [hash_words(t) for t in tokens]
    per_doc = [shingle_hashes(t, shingle_size, word_hashes=h) for t, h in zip(tokens, word_hashes)]
    sigs = signer.sign_hashes(per_doc)
    terms = articles_event_terms(batch, tokens, word_hashes)
    distinct = [np.unique(hashes) for hashes in per_doc]
    out = []
    for article, sig, hashes, packed, ps, unique, anchors in zip(batch, sigs, per_doc, terms, paragraphs, distinct,
                                                                 packed_anchors(distinct)):
        out.append({**article, "sig": sig.tobytes(), "n_shingles": int(len(unique)), "anchors": anchors,
                    "role_sketch": role_sketch(article["text"], shingle_size, paragraphs=ps, hashes=hashes),
                    "event_terms": packed})
    return out


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def presign(batch: Sequence[dict], signer: MinHasher, paragraphs: Optional[list] = None) -> List[dict]:
    """``sign_articles``, each article marked with the digest of its text.

    The event terms are made here too: in the runner's process they were ~1.7 s of serial CPU at 10k
    documents (the text tokenised again, then counted), against the language's lemma and frequency
    lists in each worker (~56 MB a worker, which live only while extraction does).
    """
    return [{**a, SIGNED_TEXT: _digest(a["text"])} for a in sign_articles(batch, signer, paragraphs)]


def complete_signatures(batch: Sequence[dict], signer: MinHasher) -> List[dict]:
    """Each article signed, in order: a presigned one whose text is unchanged passes as it is, any other
    is signed now. No article keeps the ``SIGNED_TEXT`` mark.
    """
    def done(article: dict) -> bool:
        mark = article.get(SIGNED_TEXT)
        return mark is not None and mark == _digest(article["text"])

    kept = [done(a) for a in batch]
    todo = [a for a, k in zip(batch, kept) if not k]
    fresh = iter(sign_articles(todo, signer) if todo else ())
    out = []
    for article, k in zip(batch, kept):
        signed = article if k else next(fresh)
        if SIGNED_TEXT in signed:
            signed = {key: value for key, value in signed.items() if key != SIGNED_TEXT}
        out.append(signed)
    return out
