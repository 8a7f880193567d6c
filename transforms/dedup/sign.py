"""``SignArticles``: articles -> the same articles with what clustering compares, and their texts apart.

    BatchForSigning -> ComputeSignatures -> SplitText

Each article gets its MinHash signature (``sig``) and shingle count, its containment
anchors (``transforms.dedup.containment``) and its event terms (``transforms.dedup.events``),
all computed from one tokenisation. Then the text leaves the record (``texts``): the
shuffles of clustering carry ids, hashes, signatures and role sketches, about 3x less,
and ``AttachTexts`` brings the text back at the end.

On a local run over several cores, ``presign`` does that work in the extraction
workers right after extraction (``ExtractArticles(then=...)``), so the cores share
it. A presigned record carries a digest of the text it was signed from; a record
whose text changed since (site boilerplate removed) is signed again here, so the
output does not depend on where the signing ran.
"""
from __future__ import annotations

import functools
import hashlib
import zlib

import apache_beam as beam
import numpy as np

from transforms import counters
from transforms.dedup import roles
from transforms.dedup.containment import containment_anchors
from transforms.dedup.events import event_terms, pack_terms
from transforms.dedup.records import Member
from transforms.dedup.signing import MinHashConfig, Signer, shingle_hashes
from transforms.tokens import words

__all__ = ["SignArticles", "SignBatchFn", "SplitTextFn", "pack_text", "unpack_text", "sign_records", "presign"]

#: Key of a presigned record's text digest, and of its role sketch.
SIGNED_TEXT = "signed_text"
ROLE_SKETCH = "role_sketch"


def sign_records(batch: list, signer: Signer, shingle_size: int) -> list:
    """Article records -> the same records with ``sig``, ``n_shingles``, ``event_terms`` and ``anchors``."""
    # One tokenisation per text serves the shingles and the event terms.
    tokens = [words(a["text"]) for a in batch]
    per_doc = [shingle_hashes(t, shingle_size) for t in tokens]
    sigs = signer.sign_hashes(per_doc)
    out = []
    for article, sig, hashes, toks in zip(batch, sigs, per_doc, tokens):
        terms = pack_terms(event_terms(article["text"], article.get("title"), article.get("language"), tokens=toks))
        distinct = np.unique(hashes)
        out.append({**article, "sig": sig.tobytes(), "n_shingles": int(len(distinct)), "event_terms": terms,
                    "anchors": containment_anchors(distinct, distinct=True).tobytes()})
    return out


def _text_digest(text) -> bytes:
    return hashlib.blake2b((text or "").encode("utf-8"), digest_size=16).digest()


def _presigned(article: dict) -> bool:
    """Whether a record was signed (``presign``) from the text it holds now."""
    digest = article.get(SIGNED_TEXT)
    return digest is not None and digest == _text_digest(article.get("text"))


@functools.lru_cache(maxsize=4)
def _signer(config: MinHashConfig) -> Signer:
    return Signer(config)


def presign(config: MinHashConfig, batch: list) -> list:
    """``sign_records`` plus the role sketch and the digest of the text signed, for ``ExtractArticles(then=...)``.

    Picklable with ``functools.partial(presign, config)``; each process builds its ``Signer`` once.
    """
    out = sign_records(batch, _signer(config), config.shingle_size)
    for article in out:
        article[ROLE_SKETCH] = roles.role_sketch(article["text"] or "", config.shingle_size)
        article[SIGNED_TEXT] = _text_digest(article["text"])
    return out


class SignBatchFn(beam.DoFn):
    """A batch of articles -> each with its MinHash signature (``sig`` bytes) and shingle count
    (``sign_records``); a record ``presign`` signed from its present text passes as it is."""

    def __init__(self, config: MinHashConfig):
        self._config = config
        self._signer = None
        self._signed = counters.counter("documents_signed")

    def setup(self):
        self._signer = Signer(self._config)

    def process(self, batch):
        done = [_presigned(a) for a in batch]
        todo = [a for a, ok in zip(batch, done) if not ok]
        signed = iter(sign_records(todo, self._signer, self._config.shingle_size) if todo else ())
        for article, ok in zip(batch, done):
            self._signed.inc()
            yield article if ok else next(signed)


class SplitTextFn(beam.DoFn):
    """A signed article -> a ``Member`` (no text, with its role sketch), plus ``(article_id, packed text)`` on ``texts``.

    Clustering needs ids, hashes, dates, signatures and role sketches; only the output
    rows need the text. Leaving it out of the shuffles in between keeps each one ~3x smaller.
    The texts wait for the end of clustering (on a local runner, all in memory), so they
    travel zlib-packed (``pack_text``): about half the bytes of real articles, for ~0.1 ms a
    text against ~3 ms to extract it.
    """

    TEXTS = "texts"

    def __init__(self, shingle_size: int):
        self._shingle_size = shingle_size

    def process(self, article):
        text = article.get("text")
        yield beam.pvalue.TaggedOutput(self.TEXTS, (article["article_id"], pack_text(text)))
        sketch = article[ROLE_SKETCH] if _presigned(article) else roles.role_sketch(text or "", self._shingle_size)
        yield Member.from_article(article, role_sketch=sketch)


def pack_text(text):
    return None if text is None else zlib.compress(text.encode("utf-8"), 1)


def unpack_text(packed):
    return None if packed is None else zlib.decompress(packed).decode("utf-8")




class SignArticles(beam.PTransform):
    """Articles -> ``slim`` (``Member`` records: signed, without text) and ``texts`` (``(article_id, packed text)``)."""

    def __init__(self, config: MinHashConfig, max_batch: int = 512):
        super().__init__()
        self._config, self._max_batch = config, max_batch

    def expand(self, articles):
        return (
            articles
            | "BatchForSigning" >> beam.BatchElements(min_batch_size=8, max_batch_size=self._max_batch)
            | "ComputeSignatures" >> beam.ParDo(SignBatchFn(self._config))
            | "SplitText" >> beam.ParDo(SplitTextFn(self._config.shingle_size)).with_output_types(
                Member).with_outputs(SplitTextFn.TEXTS, main="slim")
        )
