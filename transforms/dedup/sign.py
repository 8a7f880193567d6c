"""``SignArticles``: articles -> the same articles with what clustering compares, and their texts apart.

    BatchForSigning -> ComputeSignatures -> SplitText

Each article gets its MinHash signature (``sig``) and shingle count, its containment
anchors (``transforms.dedup.containment``) and its event terms (``transforms.dedup.events``),
all computed from one tokenisation. Then the text leaves the record (``texts``): the
shuffles of clustering carry ids, hashes, signatures and role sketches, about 3x less,
and ``AttachTexts`` brings the text back at the end.
"""
from __future__ import annotations

import zlib

import apache_beam as beam
import numpy as np

from transforms import counters
from transforms.dedup import roles
from transforms.dedup.containment import containment_anchors
from transforms.dedup.events import article_event_terms, load_language
from transforms.dedup.records import Member
from transforms.dedup.signing import MinHashConfig, Signer, shingle_hashes
from transforms.tokens import words

__all__ = ["SignArticles", "SignBatchFn", "SplitTextFn", "pack_text", "unpack_text"]


class SignBatchFn(beam.DoFn):
    """A batch of articles -> each with its MinHash signature (``sig`` bytes) and shingle count."""

    def __init__(self, config: MinHashConfig):
        self._config = config
        self._signer = None
        self._signed = counters.counter("documents_signed")

    def setup(self):
        self._signer = Signer(self._config)
        # English is the default language: its lemma and frequency lists load with the worker.
        load_language("en")

    def process(self, batch):
        # One tokenisation per text serves the shingles and the event terms.
        tokens = [words(a["text"]) for a in batch]
        per_doc = [shingle_hashes(t, self._config.shingle_size) for t in tokens]
        sigs = self._signer.sign_hashes(per_doc)
        for article, sig, hashes, toks in zip(batch, sigs, per_doc, tokens):
            self._signed.inc()
            terms = article_event_terms(article, tokens=toks)
            distinct = np.unique(hashes)
            yield {**article, "sig": sig.tobytes(), "n_shingles": int(len(distinct)), "event_terms": terms,
                   "anchors": containment_anchors(distinct, distinct=True).tobytes()}


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
        yield Member.from_article(article, role_sketch=roles.role_sketch(text or "", self._shingle_size))


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
