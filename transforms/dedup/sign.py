"""``SignArticles``: articles -> the same articles with what clustering compares, and their texts apart.

    BatchForSigning -> ComputeSignatures -> SplitText

Each article gets its MinHash signature (``sig``) and shingle count, its containment
anchors, its event terms and its role sketch, all computed from one tokenisation
(``transforms.dedup.features``; on a local run with several workers, most articles
were signed by the extraction workers already). Then the text leaves the record (``texts``): the
shuffles of clustering carry ids, hashes, signatures and role sketches, about 3x less,
and ``AttachTexts`` brings the text back at the end.
"""
from __future__ import annotations

import zlib

import apache_beam as beam

from transforms import counters
from transforms.dedup.events import load_language
from transforms.dedup.features import complete_signatures
from transforms.dedup.records import Member
from transforms.dedup.signing import MinHashConfig, Signer

__all__ = ["SignArticles", "SignBatchFn", "SplitTextFn", "pack_text", "unpack_text"]


class SignBatchFn(beam.DoFn):
    """A batch of articles -> each signed (``transforms.dedup.features.complete_signatures``).

    Articles an extraction worker signed already, whose text has not changed since, pass as they are.
    """

    def __init__(self, config: MinHashConfig):
        self._config = config
        self._signer = None
        self._signed = counters.counter("documents_signed")

    def setup(self):
        self._signer = Signer(self._config)
        # English is the default language: its lemma and frequency lists load with the worker.
        load_language("en")

    def process(self, batch):
        for article in complete_signatures(batch, self._signer):
            self._signed.inc()
            yield article


class SplitTextFn(beam.DoFn):
    """A signed article -> a ``Member`` (no text), plus ``(article_id, packed text)`` on ``texts``.

    Clustering needs ids, hashes, dates, signatures and role sketches; only the output
    rows need the text. Leaving it out of the shuffles in between keeps each one ~3x smaller.
    The texts wait for the end of clustering (on a local runner, all in memory), so they
    travel zlib-packed (``pack_text``): about half the bytes of real articles, for ~0.1 ms a
    text against ~3 ms to extract it.
    """

    TEXTS = "texts"

    def process(self, article):
        yield beam.pvalue.TaggedOutput(self.TEXTS, (article["article_id"], pack_text(article.get("text"))))
        yield Member.from_article(article, role_sketch=article.get("role_sketch"))


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
            | "SplitText" >> beam.ParDo(SplitTextFn()).with_output_types(
                Member).with_outputs(SplitTextFn.TEXTS, main="slim")
        )
