"""Streaming story matching with Beam state instead of a process-global index.

    MatchBands        state keyed by LSH band: each band remembers its members, the
                      index's (past runs, with their cluster ids) and this stream's;
                      a new member is verified against them once the watermark has
                      passed it, then stored. Edges point from a newer article to an
                      older one.
    CollectMatches    per window, each new article with its edges.
    AssignClusters    state keyed by one key holds this stream's article -> cluster id;
                      a window's batch is assigned oldest-first, so an article's matches
                      are always assigned before it (an edge never points forward). An
                      article matching an index article joins that story's cluster id.

Costs: band state holds each member's signature once per band (42 x ~530
bytes per article at the defaults), the price of verifying inside the band
instead of with a second shuffle. ``AssignClusters`` keeps one map of this
stream's article ids on one key, about 100 bytes per article, so millions of
articles per stream; past that, shard it by the cluster id of the matched
article. Matching, the expensive part, is spread over band keys.
"""
from __future__ import annotations

from typing import Any, Tuple

import apache_beam as beam
import numpy as np
from apache_beam.coders import PickleCoder, VarIntCoder
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import FixedWindows, GlobalWindows, TimestampedValue
from apache_beam.utils.timestamp import MIN_TIMESTAMP, Timestamp

from transforms.dedup import lsh

from transforms.dedup import roles
from transforms.dedup.records import Member
from transforms.dedup.first_seen import hold, release
from transforms.dedup.signing import MinHashConfig, estimate_containment, estimate_jaccard, is_match
from transforms import counters

__all__ = ["MatchBandFn", "AssignClustersFn", "MatchStories", "order_batch", "cluster_update"]


class MatchBandFn(beam.DoFn):
    """(band_key, member) -> (article_id, (older_id, jaccard, containment, older_cluster_id)) per verified match.

    A member is ``(article_id, sig, n_shingles, cluster_id)``. Members from the
    index (``cluster_id`` set) are stored as they arrive: pairs of past
    articles were settled by the runs that wrote them. A new member waits for the
    watermark to pass it (see ``transforms.dedup.first_seen``), so every index member of
    its band is stored before it is compared, however the index read and the
    live feed interleave; it is then verified against the band's members and
    stored, with edges stamped at its own time so they land in its window.
    """

    MEMBERS = BagStateSpec("members", PickleCoder())
    PENDING = BagStateSpec("pending", PickleCoder())
    DUE = ReadModifyWriteStateSpec("due", VarIntCoder())
    FLUSH = TimerSpec("flush", TimeDomain.WATERMARK)

    def __init__(self, config: MinHashConfig, bucket_cap: int):
        self._config = config
        self._cap = bucket_cap
        self._capped = None

    def setup(self):
        self._capped = counters.counter("capped_buckets")

    def process(self, element, timestamp=beam.DoFn.TimestampParam, members=beam.DoFn.StateParam(MEMBERS),
                pending=beam.DoFn.StateParam(PENDING), due=beam.DoFn.StateParam(DUE),
                flush=beam.DoFn.TimerParam(FLUSH)):
        _, member = element
        if member[3] is not None:
            members.add(member)
            return
        hold(pending, due, flush, timestamp.micros, member)

    @on_timer(FLUSH)
    def on_flush(self, fired=beam.DoFn.TimestampParam, members=beam.DoFn.StateParam(MEMBERS),
                 pending=beam.DoFn.StateParam(PENDING), due=beam.DoFn.StateParam(DUE),
                 flush=beam.DoFn.TimerParam(FLUSH)):
        stored = list(members.read())
        known = {m[0] for m in stored}
        for micros, member in release(pending, due, flush, fired.micros):
            if member[0] in known:
                continue  # redelivered: already stored and matched
            for edge in self._verify(member, stored):
                yield TimestampedValue(edge, Timestamp(micros=micros))
            members.add(member)
            stored.append(member)
            known.add(member[0])

    def _verify(self, member, stored):
        article_id, sig_bytes, n, _ = member
        sig = np.frombuffer(sig_bytes, dtype=np.uint32)
        for seen, (other_id, other_sig, other_n, other_cluster) in enumerate(stored):
            if seen >= self._cap:
                # A band shared by very many articles: compare with the first ones only (they are linked already).
                self._capped.inc()
                return
            j = estimate_jaccard(sig, np.frombuffer(other_sig, dtype=np.uint32))
            c = estimate_containment(j, n, other_n)
            if is_match(self._config, j, c, n, other_n):
                yield article_id, (other_id, j, c, other_cluster)


def order_batch(articles: list, matches: dict) -> list:
    """Articles ordered so each comes after the batch members it matched (edges point to older articles)."""
    by_id = {a["article_id"]: a for a in articles}
    done, order = set(), []
    for start in sorted(by_id):
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if node in done:
                continue
            if expanded:
                done.add(node)
                order.append(by_id[node])
                continue
            stack.append((node, True))
            for other, *_ in matches.get(node, ()):
                if other in by_id and other not in done:
                    stack.append((other, False))
    return order


class AssignClustersFn(beam.DoFn):
    """(key, [(article, matches)]) -> article rows with cluster_id, role and similarity; index rows tagged ``index``.

    An edge to an index article carries that article's cluster id; an edge to an
    article of this stream finds it in state. The state maps only this stream's
    articles, so it does not grow with the index. Window batches may arrive out of
    order: an article whose matched (older) stream article is not assigned yet
    waits in state for it rather than starting a story of its own.
    """

    INDEX = "index"
    ASSIGNED = ReadModifyWriteStateSpec("assigned", PickleCoder())
    WAITING = BagStateSpec("waiting", PickleCoder())

    def __init__(self):
        self._joined = counters.counter(counters.JOINED_EXISTING_CLUSTERS)
        self._joined_index = counters.counter("joined_index_clusters")
        self._new = counters.counter(counters.NEW_CLUSTERS)
        self._waited = counters.counter("assignments_waited")

    def process(self, element, assigned=beam.DoFn.StateParam(ASSIGNED), waiting=beam.DoFn.StateParam(WAITING),
                timestamp=beam.DoFn.TimestampParam):
        _, batch = element
        clusters = assigned.read() or {}
        batch = list(waiting.read()) + list(batch)
        waiting.clear()
        articles = [a for a, _ in batch]
        matches = {a["article_id"]: m for a, m in batch}
        for art in order_batch(articles, matches):
            aid = art["article_id"]
            if aid in clusters:
                continue
            edges = matches.get(aid, ())
            if any(cluster is None and other not in clusters for other, _, _, cluster in edges):
                self._waited.inc()
                waiting.add((art, edges))
                continue
            known = [(j, c, other, cluster or clusters[other]) for other, j, c, cluster in edges]
            row = {k: v for k, v in art.items() if k not in ("sig", "n_shingles")}
            if known:
                j, c, other, cluster_id = max(known)
                row.update(cluster_id=cluster_id, is_canonical=False, similarity=round(j, 4),
                           # The share copy_share falls back to without role sketches: the containment.
                           role=roles.role_of(c, False))
                self._joined.inc()
                if other not in clusters:
                    self._joined_index.inc()
            else:
                row.update(cluster_id=roles.cluster_id_for(aid), is_canonical=True, similarity=1.0, role="original")
                self._new.inc()
            clusters[aid] = row["cluster_id"]
            # Stamped with the batch being processed (never earlier than it): a row that waited for an
            # older article goes out with that article's batch.
            yield TimestampedValue(row, timestamp)
            yield beam.pvalue.TaggedOutput(self.INDEX, TimestampedValue(
                Member.from_article(art).index_row(row["cluster_id"]), timestamp))
        assigned.write(clusters)


def cluster_update(row: dict) -> dict:
    """A clustered article row -> the CLUSTERS_SCHEMA delta it makes to its cluster.

    The stream cannot rewrite ``clusters/`` (one file holding every cluster's
    state); it leaves these deltas under ``_pending/`` and the next batch run
    folds them into the state it publishes.
    """
    update = {"cluster_id": row["cluster_id"], "size": 1, "member_ids": [row["article_id"]],
              "sites": [row["site"]] if row.get("site") else [], "first_published": row.get("published"),
              "last_published": row.get("published"), "merged_into": None}
    if row.get("is_canonical"):
        update.update(canonical_article_id=row["article_id"],
                      title=row.get("title") or roles.headline_from_text(row.get("text") or ""), text=row.get("text"))
    return update


def _band_entries(article: dict, bands: int, rows: int, cluster_key: str = None):
    sig = np.frombuffer(article["sig"], dtype=np.uint32)
    member = (article["article_id"], article["sig"], article["n_shingles"],
              article.get(cluster_key) if cluster_key else None)
    for key in lsh.band_keys(sig, bands, rows):
        # A string key: state is keyed by the encoded key, kept as it was before keys became ints.
        yield f"{lsh.band_of(key)}:{key & 0xFFFFFFFFFFFFFF:016x}", member


class MatchStories(beam.PTransform):
    """Signed articles (timestamped, unbounded) -> rows with cluster fields, in ``window_s`` windows.

    Input: a PCollection of signed articles, or ``{"articles": ..., "history": ...}``
    where ``history`` holds INDEX_SCHEMA rows of past runs (bounded, read at start).

    Output: ``{"articles": rows, "index": INDEX_SCHEMA rows of the new articles}``, windowed.
    """

    def __init__(self, config: MinHashConfig, window_s: float, bucket_cap: int = 100):
        super().__init__()
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self._config = config
        self._window = window_s
        self._cap = bucket_cap

    def expand(self, inputs):
        if not isinstance(inputs, dict):
            inputs = {"articles": inputs}
        signed = inputs["articles"]
        history = inputs.get("history") or (signed.pipeline | "NoHistory" >> beam.Create([]))
        cfg = self._config
        windowed = signed | "WindowArticles" >> beam.WindowInto(FixedWindows(self._window))
        matches = (
            (signed | "EmitBandKeys" >> beam.FlatMap(_band_entries, cfg.bands, cfg.rows)
             | "GlobalBandWindow" >> beam.WindowInto(GlobalWindows()),
             history | "EmitHistoryBandKeys" >> beam.FlatMap(_band_entries, cfg.bands, cfg.rows, "cluster_id")
             | "StampHistoryBands" >> beam.Map(lambda kv: TimestampedValue(kv, MIN_TIMESTAMP))
             | "GlobalHistoryWindow" >> beam.WindowInto(GlobalWindows()))
            # Typed keys: state is keyed by the encoded key, which must be deterministic (not pickled).
            | "FlattenBandKeys" >> beam.Flatten().with_output_types(Tuple[str, Any])
            | "MatchBands" >> beam.ParDo(MatchBandFn(cfg, self._cap))
            | "WindowMatches" >> beam.WindowInto(FixedWindows(self._window))
        )
        assigned = (
            {"article": windowed | "KeyArticles" >> beam.Map(lambda a: (a["article_id"], a)), "matches": matches}
            | "CollectMatches" >> beam.CoGroupByKey()
            | "PairArticleMatches" >> beam.FlatMap(
                lambda kv: [(a, list(kv[1]["matches"])) for a in list(kv[1]["article"])[:1]])
            | "KeyBatch" >> beam.Map(lambda am: (0, am))
            | "GroupWindowBatch" >> beam.GroupByKey()
            | "GlobalAssignWindow" >> beam.WindowInto(GlobalWindows())
            | "AssignClusters" >> beam.ParDo(AssignClustersFn()).with_outputs(
                AssignClustersFn.INDEX, main="articles")
        )
        return {
            "articles": assigned.articles | "WindowRows" >> beam.WindowInto(FixedWindows(self._window)),
            "index": assigned[AssignClustersFn.INDEX] | "WindowIndexRows" >> beam.WindowInto(
                FixedWindows(self._window)),
        }
