"""Streaming story matching with Beam state instead of a process-global index.

    MatchBands        state keyed by LSH band: each band remembers the members it has
                      seen; a new member is verified against them and stored. Edges
                      point from a newer article to an older one.
    CollectMatches    per window, each new article with its edges.
    AssignClusters    state keyed by one key holds article -> cluster id; a window's
                      batch is assigned oldest-first, so an article's matches are
                      always assigned before it (an edge never points forward).

``AssignClusters`` keeps one map of article ids on one key: about 100 bytes per
article, so millions of articles per stream; past that, shard it by the
cluster id of the matched article. Matching, the expensive part, is spread over
band keys.
"""
from __future__ import annotations

import apache_beam as beam
import numpy as np
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec
from apache_beam.transforms.window import FixedWindows, GlobalWindows, TimestampedValue

from transforms import lsh, roles
from transforms.signing import MinHashConfig, estimate_containment, estimate_jaccard, is_match

__all__ = ["MatchBandFn", "AssignClustersFn", "MatchStories", "order_batch"]


class MatchBandFn(beam.DoFn):
    """(band_key, (article_id, sig, n_shingles)) -> (article_id, (older_id, jaccard, containment)) per verified match."""

    MEMBERS = BagStateSpec("members", PickleCoder())

    def __init__(self, config: MinHashConfig, bucket_cap: int):
        self._config = config
        self._cap = bucket_cap
        self._capped = Metrics.counter("storywire", "capped_buckets")

    def process(self, element, members=beam.DoFn.StateParam(MEMBERS)):
        _, (article_id, sig_bytes, n) = element
        sig = np.frombuffer(sig_bytes, dtype=np.uint32)
        seen = 0
        for other_id, other_sig, other_n in members.read():
            if other_id == article_id:
                return  # redelivered: already stored and matched
            seen += 1
            if seen > self._cap:
                # A band shared by very many articles: compare with the first ones only (they are linked already).
                self._capped.inc()
                break
            j = estimate_jaccard(sig, np.frombuffer(other_sig, dtype=np.uint32))
            c = estimate_containment(j, n, other_n)
            if is_match(self._config, j, c, n, other_n):
                yield article_id, (other_id, j, c)
        members.add((article_id, sig_bytes, n))


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
            for other, _, _ in matches.get(node, ()):
                if other in by_id and other not in done:
                    stack.append((other, False))
    return order


class AssignClustersFn(beam.DoFn):
    """(key, [(article, matches)]) -> article rows with cluster_id, role and similarity."""

    ASSIGNED = ReadModifyWriteStateSpec("assigned", PickleCoder())

    def __init__(self):
        self._joined = Metrics.counter("storywire", "joined_existing_clusters")
        self._new = Metrics.counter("storywire", "new_clusters")

    def process(self, element, assigned=beam.DoFn.StateParam(ASSIGNED), timestamp=beam.DoFn.TimestampParam):
        _, batch = element
        clusters = assigned.read() or {}
        articles = [a for a, _ in batch]
        matches = {a["article_id"]: m for a, m in batch}
        for art in order_batch(articles, matches):
            aid = art["article_id"]
            if aid in clusters:
                continue
            known = [(j, c, other) for other, j, c in matches.get(aid, ()) if other in clusters]
            row = {k: v for k, v in art.items() if k not in ("sig", "n_shingles")}
            if known:
                j, c, other = max(known)
                row.update(cluster_id=clusters[other], is_canonical=False, similarity=round(j, 4),
                           role=roles.assign_role(j, c, False))
                self._joined.inc()
            else:
                row.update(cluster_id=roles.cluster_id_for(aid), is_canonical=True, similarity=1.0, role="original")
                self._new.inc()
            clusters[aid] = row["cluster_id"]
            # Re-stamp explicitly: rows go back into the window their batch came from.
            yield TimestampedValue(row, timestamp)
        assigned.write(clusters)


def _band_entries(article: dict, bands: int, rows: int):
    sig = np.frombuffer(article["sig"], dtype=np.uint32)
    for key in lsh.band_keys(sig, bands, rows):
        yield key, (article["article_id"], article["sig"], article["n_shingles"])


class MatchStories(beam.PTransform):
    """Signed articles (timestamped, unbounded) -> article rows with cluster fields, in ``window_s`` windows."""

    def __init__(self, config: MinHashConfig, window_s: float, bucket_cap: int = 100):
        super().__init__()
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self._config = config
        self._window = window_s
        self._cap = bucket_cap

    def expand(self, signed):
        cfg = self._config
        windowed = signed | "WindowArticles" >> beam.WindowInto(FixedWindows(self._window))
        matches = (
            signed
            | "EmitBandKeys" >> beam.FlatMap(_band_entries, cfg.bands, cfg.rows)
            | "GlobalBandWindow" >> beam.WindowInto(GlobalWindows())
            | "MatchBands" >> beam.ParDo(MatchBandFn(cfg, self._cap))
            | "WindowMatches" >> beam.WindowInto(FixedWindows(self._window))
        )
        return (
            {"article": windowed | "KeyArticles" >> beam.Map(lambda a: (a["article_id"], a)), "matches": matches}
            | "CollectMatches" >> beam.CoGroupByKey()
            | "PairArticleMatches" >> beam.FlatMap(
                lambda kv: [(a, list(kv[1]["matches"])) for a in list(kv[1]["article"])[:1]])
            | "KeyBatch" >> beam.Map(lambda am: (0, am))
            | "GroupWindowBatch" >> beam.GroupByKey()
            | "GlobalAssignWindow" >> beam.WindowInto(GlobalWindows())
            | "AssignClusters" >> beam.ParDo(AssignClustersFn())
            | "WindowRows" >> beam.WindowInto(FixedWindows(self._window))
        )
