"""``Member``: one article as it moves through clustering (its coders are in ``transforms.dedup.records``).

A member is either an article of this run (from ``SignArticles``, its text left out
until ``AttachTexts``) or a past article from the index (``past``, with the
``cluster_id`` of its story). What clustering compares travels as typed fields
(``sig``, ``n_shingles``, ``anchors``, ``role_sketch``, ``dup_of``) instead of flags
in a dict that a filter strips before writing: ``article_row`` and ``index_row``
are the only ways out, so a field that is not part of a table cannot leak into it.

Apart from its coders so that the pure functions over members (``transforms.dedup.roles``)
import without Apache Beam: the extraction workers sign articles with them
(``transforms.dedup.features``), and Beam costs a worker ~190 MB.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple, Optional

__all__ = ["Member", "ARTICLE_FIELDS"]


class Member(NamedTuple):
    """An article in clustering. Article fields first (as in ``ARTICLES_SCHEMA``), then clustering's own."""

    article_id: str
    source: Optional[str] = None
    url: Optional[str] = None
    site: Optional[str] = None
    title: Optional[str] = None
    byline: Optional[str] = None
    credited_source: Optional[str] = None
    published: Optional[dt.datetime] = None
    language: Optional[str] = None
    n_words: Optional[int] = None
    content_hash: Optional[str] = None
    extractor: Optional[str] = None
    #: Packed event terms (``transforms.dedup.events.pack_terms``), for ``GroupEvents``.
    event_terms: Optional[str] = None
    #: MinHash signature (uint32 bytes) and the number of distinct shingles it was made from.
    sig: Optional[bytes] = None
    n_shingles: int = 0
    #: Containment anchors (sorted uint32 bytes, ``transforms.dedup.containment``).
    anchors: Optional[bytes] = None
    #: Bottom-k sketch for the copy/rewrite role (``transforms.dedup.roles``); past members have none.
    role_sketch: Optional[bytes] = None
    #: The article this one is an exact duplicate of (same content hash), if any.
    dup_of: Optional[str] = None
    #: Past members: the story they belong to, and their event.
    cluster_id: Optional[str] = None
    event_id: Optional[str] = None
    past: bool = False

    @classmethod
    def from_article(cls, article: dict, role_sketch: Optional[bytes] = None) -> "Member":
        """A signed article record (``SignBatchFn``'s output, text ignored) -> a member of this run."""
        return cls(**{k: article.get(k) for k in ARTICLE_FIELDS}, event_terms=article.get("event_terms"),
                   sig=article.get("sig"), n_shingles=article.get("n_shingles") or 0,
                   anchors=article.get("anchors"), role_sketch=role_sketch)

    @classmethod
    def from_index(cls, row: dict) -> "Member":
        """An ``INDEX_SCHEMA`` row of a past run -> a past member."""
        return cls(article_id=row["article_id"], url=row.get("url"), site=row.get("site"),
                   credited_source=row.get("credited_source"), published=row.get("published"),
                   content_hash=row.get("content_hash"), event_terms=row.get("event_terms"), sig=row.get("sig"),
                   n_shingles=row.get("n_shingles") or 0, anchors=row.get("anchors"),
                   cluster_id=row.get("cluster_id"), event_id=row.get("event_id"), past=True)

    def article_row(self, **cluster_fields) -> dict:
        """The article row (``ARTICLES_SCHEMA`` fields, no text yet) with ``cluster_fields`` set.

        Carries ``event_terms`` too: ``GroupEvents`` reads them, and the writer's schema drops them.
        """
        row = {k: getattr(self, k) for k in ARTICLE_FIELDS}
        row["event_terms"] = self.event_terms
        row.update(cluster_fields)
        return row

    def index_row(self, cluster_id: str, roundup: bool = False) -> dict:
        """The ``INDEX_SCHEMA`` row that lets later runs (and streams) match against and skip this article."""
        return {"article_id": self.article_id, "url": self.url, "content_hash": self.content_hash,
                "cluster_id": cluster_id, "published": self.published, "site": self.site,
                "credited_source": self.credited_source, "sig": self.sig, "n_shingles": self.n_shingles,
                "event_terms": self.event_terms, "anchors": self.anchors, "roundup": roundup}


#: The article-row fields a member carries (all of ``ARTICLES_SCHEMA`` before text and clustering).
ARTICLE_FIELDS = Member._fields[:Member._fields.index("event_terms")]
