"""``ClusterStories``: group articles into story clusters with MinHash LSH on Beam.

Graph (every step a shuffle-friendly Beam primitive, so it scales out on Dataflow):

    KeyByContentHash -> GroupByContentHash -> SplitExactDuplicates
        exact duplicates skip MinHash and are linked to their first copy.
    BatchForSigning -> ComputeSignatures        vectorised MinHash per batch
    EmitBandKeys -> GroupByBand -> VerifyBucketPairs
        one key per band; candidate pairs inside each bucket are verified by
        estimated Jaccard (or containment, for truncated copies). A pair is verified
        only in the first band its two signatures share, so no pair is emitted twice.
    ComputeComponents                           union-find over verified edges
    KeyByComponent -> GroupByComponent -> BuildClusters

Why a single union-find over edges scales: only articles with at least one
verified edge reach it, and it holds two small dicts per such article
(~200 bytes each), i.e. ~2 GB for 10 million linked articles on one worker;
a Beam-rounds label propagation would need O(diameter) shuffles of the whole
edge set instead. The bench (``make bench``) measures it.
"""
from __future__ import annotations

import logging

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from transforms import lsh, roles
from transforms.signing import MinHashConfig, Signer, estimate_containment, estimate_jaccard

__all__ = ["ClusterStories", "SignBatchFn", "VerifyBucketFn", "ComponentsFn", "BuildClustersFn"]

_LOG = logging.getLogger(__name__)


class SplitExactDuplicatesFn(beam.DoFn):
    """(content_hash, articles) -> the first article, plus the others as exact duplicates."""

    DUPLICATES = "duplicates"
    EDGES = "dup_edges"

    def __init__(self):
        self._dups = Metrics.counter("storywire", "exact_duplicates")

    def process(self, element):
        _, articles = element
        articles = sorted(articles, key=lambda a: a["article_id"])
        first = articles[0]
        yield first
        for dup in articles[1:]:
            self._dups.inc()
            yield beam.pvalue.TaggedOutput(self.DUPLICATES, {**dup, "dup_of": first["article_id"]})
            yield beam.pvalue.TaggedOutput(self.EDGES, (first["article_id"], dup["article_id"]))


class SignBatchFn(beam.DoFn):
    """A batch of articles -> each with its MinHash signature (``sig`` bytes) and shingle count."""

    def __init__(self, config: MinHashConfig):
        self._config = config
        self._signer = None
        self._signed = Metrics.counter("storywire", "documents_signed")

    def setup(self):
        self._signer = Signer(self._config)

    def process(self, batch):
        sigs, counts = self._signer.sign(a["text"] for a in batch)
        for article, sig, count in zip(batch, sigs, counts):
            self._signed.inc()
            yield {**article, "sig": sig.tobytes(), "n_shingles": int(count)}


def _emit_band_keys(article: dict, bands: int, rows: int):
    sig = np.frombuffer(article["sig"], dtype=np.uint32)
    value = (article["article_id"], article["sig"], article["n_shingles"])
    for key in lsh.band_keys(sig, bands, rows):
        yield key, value


class VerifyBucketFn(beam.DoFn):
    """An LSH bucket -> verified edges ``(a, b)`` between its members."""

    def __init__(self, config: MinHashConfig, bucket_cap: int):
        self._config = config
        self._cap = bucket_cap
        self._candidates = Metrics.counter("storywire", "candidate_pairs")
        self._verified = Metrics.counter("storywire", "verified_pairs")
        self._capped = Metrics.counter("storywire", "capped_buckets")
        self._capped_members = Metrics.counter("storywire", "capped_bucket_members")

    def _first_shared_band(self, a: np.ndarray, b: np.ndarray) -> int:
        r = self._config.rows
        eq = (a[: self._config.bands * r] == b[: self._config.bands * r]).reshape(self._config.bands, r).all(axis=1)
        return int(np.argmax(eq)) if eq.any() else -1

    def process(self, element):
        (band, _), members = element
        members = {m[0]: m for m in members}
        if len(members) < 2:
            return
        pairs, capped = lsh.bucket_pairs(list(members), self._cap)
        if capped:
            self._capped.inc()
            self._capped_members.inc(len(members))
        sigs = {k: np.frombuffer(v[1], dtype=np.uint32) for k, v in members.items()}
        for a, b in pairs:
            # Verify each pair once: in the first band the two share (all-pairs buckets only;
            # a capped bucket's star pairs may not have been formed in that earlier bucket).
            if not capped and self._first_shared_band(sigs[a], sigs[b]) != band:
                continue
            self._candidates.inc()
            j = estimate_jaccard(sigs[a], sigs[b])
            c = estimate_containment(j, members[a][2], members[b][2])
            if j >= self._config.threshold or c >= self._config.containment_threshold:
                self._verified.inc()
                yield a, b


class ComponentsFn(beam.CombineFn):
    """Union-find over all verified edges -> {article_id: component label}."""

    def create_accumulator(self):
        return lsh.UnionFind()

    def add_input(self, uf, edge):
        uf.union(*edge)
        return uf

    def merge_accumulators(self, accumulators):
        accumulators = iter(accumulators)
        merged = next(accumulators)
        for uf in accumulators:
            for member, label in uf.components().items():
                merged.union(member, label)
        return merged

    def extract_output(self, uf):
        return uf.components()


class BuildClustersFn(beam.DoFn):
    """(component, members) -> article rows with cluster fields, and one cluster row."""

    CLUSTERS = "clusters"

    def __init__(self):
        self._clusters = Metrics.counter("storywire", "clusters")
        self._largest = Metrics.distribution("storywire", "cluster_size")

    def process(self, element):
        _, members = element
        members = list(members)
        by_id = {m["article_id"]: m for m in members}
        for m in members:
            if m.get("dup_of") and m.get("sig") is None:
                rep = by_id.get(m["dup_of"], {})
                m["sig"], m["n_shingles"] = rep.get("sig"), rep.get("n_shingles", 0)
        canonical = roles.pick_canonical(members)
        cluster_id = roles.cluster_id_for(canonical["article_id"])
        self._clusters.inc()
        self._largest.update(len(members))
        for m in sorted(members, key=lambda m: m["article_id"]):
            is_canonical = m is canonical
            j, c = (1.0, 1.0) if is_canonical else roles.similarity(m, canonical)
            row = {k: v for k, v in m.items() if k not in ("sig", "n_shingles", "dup_of")}
            row.update(cluster_id=cluster_id, is_canonical=is_canonical, similarity=round(j, 4),
                       role=roles.assign_role(j, c, is_canonical))
            yield row
        published = [m["published"] for m in members if m.get("published") is not None]
        yield beam.pvalue.TaggedOutput(self.CLUSTERS, {
            "cluster_id": cluster_id,
            "canonical_article_id": canonical["article_id"],
            "title": canonical.get("title") or roles.headline_from_text(canonical.get("text") or ""),
            "text": canonical.get("text"),
            "size": len(members),
            "member_ids": sorted(by_id),
            "sites": sorted({m["site"] for m in members if m.get("site")}),
            "first_published": min(published) if published else None,
            "last_published": max(published) if published else None,
            "merged_into": None,
        })


class ClusterStories(beam.PTransform):
    """Articles -> (articles with ``cluster_id``/``role``/``similarity``, cluster rows).

    Args:
        config: MinHash parameters.
        bucket_cap: Buckets larger than this link members to one representative
            instead of forming all pairs.
    """

    def __init__(self, config: MinHashConfig, bucket_cap: int = 100, max_batch: int = 512):
        super().__init__()
        if bucket_cap < 2:
            raise ValueError("bucket_cap must be >= 2")
        self._config = config
        self._cap = bucket_cap
        self._max_batch = max_batch

    def expand(self, articles):
        cfg = self._config
        split = (
            articles
            | "KeyByContentHash" >> beam.Map(lambda a: (a["content_hash"], a))
            | "GroupByContentHash" >> beam.GroupByKey()
            | "SplitExactDuplicates" >> beam.ParDo(SplitExactDuplicatesFn()).with_outputs(
                SplitExactDuplicatesFn.DUPLICATES, SplitExactDuplicatesFn.EDGES, main="unique")
        )
        signed = (
            split.unique
            | "BatchForSigning" >> beam.BatchElements(min_batch_size=8, max_batch_size=self._max_batch)
            | "ComputeSignatures" >> beam.ParDo(SignBatchFn(cfg))
        )
        lsh_edges = (
            signed
            | "EmitBandKeys" >> beam.FlatMap(_emit_band_keys, cfg.bands, cfg.rows)
            | "GroupByBand" >> beam.GroupByKey()
            | "VerifyBucketPairs" >> beam.ParDo(VerifyBucketFn(cfg, self._cap))
        )
        components = (
            (lsh_edges, split[SplitExactDuplicatesFn.EDGES])
            | "FlattenEdges" >> beam.Flatten()
            | "ComputeComponents" >> beam.CombineGlobally(ComponentsFn())
        )
        built = (
            (signed, split[SplitExactDuplicatesFn.DUPLICATES])
            | "FlattenMembers" >> beam.Flatten()
            | "KeyByComponent" >> beam.Map(
                lambda a, comp: (comp.get(a["article_id"], a["article_id"]), a),
                comp=beam.pvalue.AsSingleton(components))
            | "GroupByComponent" >> beam.GroupByKey()
            | "BuildClusters" >> beam.ParDo(BuildClustersFn()).with_outputs(BuildClustersFn.CLUSTERS, main="articles")
        )
        return built
