"""``ClusterStories``: group signed articles into story clusters with MinHash LSH on Beam.

Stages, each a named composite (every step inside a shuffle-friendly Beam primitive,
so it scales out on Dataflow):

    DropIngested          URLs and content hashes the index already holds add nothing; the same
                          grouping by content hash splits exact duplicates, which skip LSH
    FindCandidates        one key per LSH band -> GroupByBand -> pairs inside each bucket
    VerifyCandidates      each candidate meets both 16-bit signatures once: Jaccard or containment
    FindContainedTexts    briefs: shared shingle anchors (``transforms.dedup.containment``)
    DropRoundupEdges      a text holding large parts of two unrelated stories links to neither
    LinkComponents        union-find over verified edges (a side input)
    BuildClusters         canonical and roles per component (``transforms.dedup.roles``)
    AttachTexts           each row gets its text back; canonical texts go to their cluster
    UpdateClusterState    current state of every cluster

Signatures are made before, by ``SignArticles`` (``transforms.dedup.sign``), which
also takes the text out of the records until ``AttachTexts``.

What one worker holds for one key is recorded as Beam distributions:
``lsh_bucket_size``, ``candidates_per_article`` and ``component_size`` are bounded
by the largest story; ``union_find_members``/``union_find_edges`` grow with the
corpus. Why a single union-find still scales: only articles with at least one
verified edge reach it, and it holds two small dicts per such article
(~200 bytes each), i.e. ~2 GB for 10 million linked articles on one worker;
label propagation in Beam rounds would need O(diameter) shuffles of the whole
edge set instead. ``make bench`` measures it.
"""
from __future__ import annotations

import logging
from typing import Tuple

import apache_beam as beam
import numpy as np

from transforms import counters
from transforms.dedup import lsh, roles
from transforms.dedup.containment import ROUNDUP, DropRoundupEdges, FindContainedTexts
from transforms.dedup.pairs import NEW, OLD, DistinctPairs, MeetPairs, PairBucketFn
from transforms.dedup.records import Member
from transforms.dedup.sign import unpack_text
from transforms.dedup.signing import (
    MinHashConfig,
    estimate_containment,
    estimate_jaccard,
    is_match,
    verification_signature,
)

__all__ = ["ClusterStories", "DropIngested", "FindCandidates", "VerifyCandidates",
           "LinkComponents", "BuildClusters", "AttachTexts", "UpdateClusterState", "VerifyPairsFn",
           "ComponentsFn", "BuildClustersFn", "AttachTextFn", "merge_cluster_state", "with_canonical_text"]

_LOG = logging.getLogger(__name__)


class _SkipIngestedFn(beam.DoFn):
    """(key, {"new": articles, "old": markers}) -> the new articles, unless the key was ingested before."""

    def __init__(self, what: str):
        self._skipped = counters.counter(counters.ALREADY_INGESTED)
        self._what = what

    def process(self, element):
        _, grouped = element
        new = list(grouped["new"])
        if any(True for _ in grouped["old"]):
            self._skipped.inc(len(new))
            counters.counter(f"already_ingested_{self._what}").inc(len(new))
            return
        yield from new


class SplitExactDuplicatesFn(_SkipIngestedFn):
    """(content_hash, {"new": articles, "old": markers}) -> nothing when a past run ingested this
    content; else the first article, plus the others as exact duplicates."""

    DUPLICATES = "duplicates"
    EDGES = "dup_edges"

    def __init__(self):
        super().__init__("content")
        self._dups = counters.counter(counters.EXACT_DUPLICATES)

    def process(self, element):
        articles = list(super().process(element))
        if not articles:
            return
        articles = sorted(articles, key=lambda a: a.article_id)
        first = articles[0]
        yield first
        for dup in articles[1:]:
            self._dups.inc()
            yield beam.pvalue.TaggedOutput(self.DUPLICATES, dup._replace(dup_of=first.article_id))
            yield beam.pvalue.TaggedOutput(self.EDGES, (first.article_id, dup.article_id))


def _band_groups(members: list, bands: int, rows: int, shards: int, tag: str) -> list:
    # Band records carry ids only: signatures travel once, to the verification join, not once per band
    # (carrying them in all 42 band records doubled the peak memory of a local run). The tag is packed
    # into the id's string, one object per member where a tuple took two.
    sigs = np.stack([np.frombuffer(m.sig, dtype=np.uint32) for m in members])
    return lsh.band_groups(lsh.band_key_matrix(sigs, bands, rows), [tag + m.article_id for m in members], shards)


class PairBandGroupFn(PairBucketFn):
    """``(shard, [(keys, members), ...])`` -> the group's candidate pairs ``(a, b)``, in batches
    ``(pair shard, [(a, b), ...])`` (``pairs.shard_by_first``) for ``DistinctPairs``.

    The buckets are found in memory (``lsh.split_buckets``) and each is paired as ``PairBucketFn``
    pairs one; ``lsh_bucket_size`` still records every bucket, and ``lsh_group_size`` the band
    keys one group holds (what one worker holds for one key: 1/shards of all bands' keys).
    A pair found in many bands leaves each group once, in a batch, where one element per pair
    and band (471,000 at 10k documents, for 34,000 distinct pairs) each cost a local run ~3 us.
    """

    def __init__(self, bucket_cap: int, pair_shards: int = 64):
        super().__init__(bucket_cap)
        self._group_size = counters.distribution("lsh_group_size")
        self._pair_shards = pair_shards

    def process(self, element):
        _, batches = element
        batches = list(batches)
        self._group_size.update(sum(len(ids) for _, ids in batches))
        singles, buckets = lsh.split_buckets(batches)
        for _ in range(singles):
            self._bucket_size.update(1)
        return self.sharded_candidates(buckets, self._pair_shards)


def _verification_entry(member: Member) -> tuple:
    return member.article_id, (verification_signature(member.sig), member.n_shingles)


class VerifyPairsFn(beam.DoFn):
    """(b, {"pairs": [(a, (sig_a, n_a))], "values": [(sig_b, n_b)]}) -> verified edges ``(a, b)``."""

    def __init__(self, config: MinHashConfig):
        self._config = config
        self._candidates = counters.counter(counters.CANDIDATE_PAIRS)
        self._verified = counters.counter(counters.VERIFIED_PAIRS)
        # Candidates (each with its signature) joined to one article: bounded by its buckets' sizes.
        self._per_article = counters.distribution("candidates_per_article")

    def process(self, element):
        b, grouped = element
        sigs = list(grouped["values"])
        if not sigs:
            return
        sig_b, n_b = sigs[0]
        vec_b = np.frombuffer(sig_b, dtype=np.uint16)
        n = 0
        for a, (sig_a, n_a) in grouped["pairs"]:
            n += 1
            self._candidates.inc()
            j = estimate_jaccard(np.frombuffer(sig_a, dtype=np.uint16), vec_b)
            c = estimate_containment(j, n_a, n_b)
            if is_match(self._config, j, c, n_a, n_b):
                self._verified.inc()
                yield a, b
        if n:
            self._per_article.update(n)


class ComponentsFn(beam.CombineFn):
    """Union-find over all verified edges -> {article_id: component label}.

    Unlike every other step, its working set grows with the corpus (every linked
    article, on one worker): the ``union_find_members`` and ``union_find_edges``
    distributions record it (the event level names its own through ``metrics``).
    """

    def __init__(self, metrics: tuple = ("union_find_members", "union_find_edges")):
        members, edges = metrics
        self._members = counters.distribution(members)
        self._edges = counters.distribution(edges)

    def create_accumulator(self):
        return lsh.UnionFind()

    def add_input(self, uf, edge):
        uf.union(*edge)
        return uf

    def merge_accumulators(self, accumulators):
        accumulators = iter(accumulators)
        merged = next(accumulators)
        edges = merged.edges
        for uf in accumulators:
            edges += uf.edges
            for member, label in uf.components().items():
                merged.union(member, label)
        merged.edges = edges  # the input edges, not the re-unions of merging
        return merged

    def extract_output(self, uf):
        self._members.update(len(uf))
        self._edges.update(uf.edges)
        return uf.components()


class BuildClustersFn(beam.DoFn):
    """(component, members) -> article rows with cluster fields, a cluster update, index rows, merges.

    A component with past articles in it joins their story: it keeps the cluster id
    of the past articles' original, and any other past cluster it bridges is
    recorded as merged into that one (ids never change once given).
    """

    UPDATES = "cluster_updates"
    INDEX = "index"

    def __init__(self):
        self._clusters = counters.counter(counters.NEW_CLUSTERS)
        self._joined = counters.counter(counters.JOINED_EXISTING_CLUSTERS)
        self._merged = counters.counter(counters.MERGED_CLUSTERS)
        self._size = counters.distribution("cluster_size")
        # Members one worker holds for one component key (past members included).
        self._component_size = counters.distribution("component_size")
        self._clustered = counters.counter("documents_clustered")

    def process(self, element, roundups=None):
        _, members = element
        members = _with_duplicate_signatures(list(members))
        self._component_size.update(len(members))
        old = [m for m in members if m.past]
        new = [m for m in members if not m.past]
        if not new:
            return

        merged_from = []
        if old:
            anchor = roles.pick_canonical(old)
            cluster_id = anchor.cluster_id
            merged_from = sorted({m.cluster_id for m in old} - {cluster_id})
            canonical = None
            self._joined.inc()
            self._merged.inc(len(merged_from))
        else:
            canonical = roles.pick_canonical(new)
            cluster_id = roles.cluster_id_for(canonical.article_id)
            self._clusters.inc()
        self._size.update(len(members))

        references = roles.References(members, canonical)
        for m in sorted(new, key=lambda m: m.article_id):
            is_canonical = m is canonical
            j, share = (1.0, 1.0) if is_canonical else _similarity_and_share(m, references, canonical, old)
            self._clustered.inc()
            role = ROUNDUP if roundups and m.article_id in roundups else roles.role_of(share, is_canonical)
            yield m.article_row(cluster_id=cluster_id, is_canonical=is_canonical, similarity=round(j, 4), role=role)
            yield beam.pvalue.TaggedOutput(self.INDEX, m.index_row(cluster_id, roundup=role == ROUNDUP))
        yield beam.pvalue.TaggedOutput(self.UPDATES, _cluster_update(cluster_id, new, canonical, merged_from))


def _with_duplicate_signatures(members: list) -> list:
    """Exact duplicates travel without a signature; they get their representative's."""
    by_id = {m.article_id: m for m in members}
    out = []
    for m in members:
        if m.dup_of and m.sig is None and m.dup_of in by_id:
            rep = by_id[m.dup_of]
            m = m._replace(sig=rep.sig, n_shingles=rep.n_shingles)
        out.append(m)
    return out


def _similarity_and_share(member: Member, references: roles.References, canonical, old: list) -> tuple:
    """(estimated Jaccard to the story, share of the member copied) for a member that is not the canonical.

    ``references``: the cluster's members (past ones included), as ``roles.References``."""
    if canonical is not None:
        j, _ = roles.similarity(member, canonical)
    else:
        # Joining a past story: its similarity is to the closest past member it matched.
        j = max(roles.similarity(member, o)[0] for o in old)
    # A copy of any earlier member is a copy (a repost of a repost, a story first seen
    # truncated), so the role compares with those rather than with the canonical alone.
    share = roles.best_copy_share(member, references.of(member))
    return j, share


def _cluster_update(cluster_id: str, new: list, canonical, merged_from: list) -> dict:
    """This run's change to one cluster: its new members (and, for a new story, its canonical)."""
    published = [m.published for m in new if m.published is not None]
    update = {
        "cluster_id": cluster_id,
        "size": len(new),
        "member_ids": sorted(m.article_id for m in new),
        "sites": sorted({m.site for m in new if m.site}),
        "first_published": min(published) if published else None,
        "last_published": max(published) if published else None,
        "merged_into": None,
        "merged_from": merged_from,
    }
    if canonical is not None:
        # Members travel without their text; AttachText joins the canonical's text (and a
        # headline from it when there is no title) back into this update by cluster id.
        update.update(canonical_article_id=canonical.article_id, title=canonical.title, text=None)
    return update


def merge_cluster_state(cluster_id: str, existing: list, updates: list, merged_into: list) -> dict:
    """Current state of one cluster from its stored row, this run's updates and merges.

    Returns the row to write; an untouched row is returned as it was (its run_id
    and updated_at too), a changed one without them so the writer stamps this run.
    """
    row = dict(existing[0]) if existing else None
    changed = False
    for upd in updates:
        if row is None:
            row = {k: v for k, v in upd.items() if k != "merged_from"}
            changed = True
            continue
        row["size"] = (row.get("size") or 0) + upd["size"]
        row["member_ids"] = sorted(set(row.get("member_ids") or []) | set(upd["member_ids"]))
        row["sites"] = sorted(set(row.get("sites") or []) | set(upd["sites"]))
        for field, pick in (("first_published", min), ("last_published", max)):
            values = [v for v in (row.get(field), upd.get(field)) if v is not None]
            row[field] = pick(values) if values else None
        changed = True
    if row is None:
        return None
    if merged_into and not row.get("merged_into"):
        row["merged_into"] = sorted(merged_into)[0]
        changed = True
    if changed:
        row.pop("run_id", None)
        row.pop("updated_at", None)
    return row


def with_canonical_text(update: dict, texts: dict) -> dict:
    """A cluster update with its canonical's text (and a headline from it when untitled) filled in."""
    text = texts.get(update.get("canonical_article_id"))
    if text is None:
        return update
    return {**update, "text": text, "title": update.get("title") or roles.headline_from_text(text)}


class _UpdateClusterStateFn(beam.DoFn):
    def process(self, element):
        cluster_id, grouped = element
        texts = dict(grouped["canonical_text"])
        updates = [with_canonical_text(u, texts) for u in grouped["updates"]]
        row = merge_cluster_state(cluster_id, list(grouped["existing"]), updates, list(grouped["merged_into"]))
        if row is not None:
            yield row


class AttachTextFn(beam.DoFn):
    """(article_id, {"rows": clustered rows, "texts": texts}) -> each row with its text.

    Texts whose article was skipped (already ingested) have no row and end here. Two
    input documents share an id only when they share URL and normalised content, so
    any of their texts will do; the smallest is taken for determinism. A canonical
    row's text also goes to ``canonical_text``, keyed by cluster id, for its cluster.
    """

    CANONICAL_TEXT = "canonical_text"

    def process(self, element):
        article_id, grouped = element
        rows = list(grouped["rows"])
        if not rows:
            return
        texts = [unpack_text(t) for t in grouped["texts"] if t is not None]
        text = min(texts) if texts else None
        for row in rows:
            if row.get("is_canonical") and text is not None:
                yield beam.pvalue.TaggedOutput(self.CANONICAL_TEXT, (row["cluster_id"], (article_id, text)))
            yield {**row, "text": text}


class DropIngested(beam.PTransform):
    """``{"articles": this run's members, "history": past members}`` -> what no earlier run ingested, split:
    ``unique`` (one per content hash), ``duplicates`` (the others, with ``dup_of``) and
    ``dup_edges`` (first -> duplicate). Exact duplicates skip LSH.

    One grouping by content hash both drops content a past run ingested and splits the exact
    duplicates; URLs a past run ingested are dropped before it (counted as ``already_ingested``).
    """

    def expand(self, inputs):
        articles, history = inputs["articles"], inputs["history"]
        fresh = (
            {"new": articles | "KeyNewByUrl" >> beam.Map(_url_key),
             "old": history | "KeyOldByUrl" >> beam.FlatMap(lambda h: [(("u", h.url), True)] if h.url else [])}
            | "GroupUrls" >> beam.CoGroupByKey()
            | "SkipIngestedUrls" >> beam.ParDo(_SkipIngestedFn("url"))
        )
        return (
            {"new": fresh | "KeyNewByHash" >> beam.Map(lambda a: (a.content_hash, a)),
             "old": history | "KeyOldByHash" >> beam.Map(lambda h: (h.content_hash, True))}
            | "GroupHashes" >> beam.CoGroupByKey()
            | "SplitExactDuplicates" >> beam.ParDo(SplitExactDuplicatesFn()).with_outputs(
                SplitExactDuplicatesFn.DUPLICATES, SplitExactDuplicatesFn.EDGES, main="unique")
        )


def _url_key(article: Member) -> tuple:
    return ("u", article.url) if article.url else ("a", article.article_id), article


class FindCandidates(beam.PTransform):
    """``{"articles": this run's members, "history": past members}`` -> distinct candidate pairs ``(a, b)``, a < b.

    LSH banding with ``GroupByKey``, on a coarse key: members go in batches, and each batch
    sends one record per shard of the band key's digest holding that shard's keys (of every
    band) and ids; each group's buckets are then found in memory and paired (capped). Per band
    key that is the grouping one key per band would do, with ``shards`` records per batch where
    one key per band sent 42 per member (each Beam record costs ~25 us on a local run), and a
    pair found in several bands of a group leaves it once. A group holds 1/``shards`` of all
    band keys (~6,600 at 10k documents, 66,000 at 100k): raise ``shards`` to spread a larger corpus.
    One (band x 16 shards) group per record made 672 records per batch, and 40,000 pair batches
    at 10k documents where 64 shards make at most 4,096.
    Past articles take part, so a new copy of an old story finds it; two past articles are
    never paired again.
    """

    def __init__(self, config: MinHashConfig, bucket_cap: int, shards: int = 64, batch_size: int = 1024):
        super().__init__()
        if shards < 1 or batch_size < 1:
            raise ValueError("shards and batch_size must be >= 1")
        self._config, self._cap, self._shards, self._batch = config, bucket_cap, shards, batch_size

    def expand(self, inputs):
        cfg = self._config

        def band_groups(members, tag, step):
            return (
                members
                | f"Batch{step}" >> beam.BatchElements(min_batch_size=self._batch, max_batch_size=self._batch)
                | f"Emit{step}" >> beam.FlatMap(_band_groups, cfg.bands, cfg.rows, self._shards, tag)
            )

        return (
            (band_groups(inputs["articles"], NEW, "BandKeys"), band_groups(inputs["history"], OLD, "HistoryBandKeys"))
            | "FlattenBandKeys" >> beam.Flatten()
            | "GroupByBand" >> beam.GroupByKey()
            | "PairBuckets" >> beam.ParDo(PairBandGroupFn(self._cap))
            | "DedupeCandidates" >> DistinctPairs()
        )


class VerifyCandidates(beam.PTransform):
    """``{"pairs": candidates, "articles": members, "history": past members}`` -> verified edges ``(a, b)``.

    Each distinct candidate meets both 16-bit signatures once (two joins) and is verified by
    estimated Jaccard, or containment for truncated copies.
    """

    def __init__(self, config: MinHashConfig):
        super().__init__()
        self._config = config

    def expand(self, inputs):
        signatures = (
            (inputs["articles"] | "KeyNewSignatures" >> beam.Map(_verification_entry),
             inputs["history"] | "KeyOldSignatures" >> beam.Map(_verification_entry))
            | "FlattenSignatures" >> beam.Flatten()
        )
        return (
            {"pairs": inputs["pairs"], "values": signatures}
            | "MeetSignatures" >> MeetPairs()
            | "VerifyPairs" >> beam.ParDo(VerifyPairsFn(self._config))
        )


class LinkComponents(beam.PTransform):
    """Edge PCollections -> one ``{node: component label}`` dict (union-find), for a side input.

    Args:
        metrics: Names of the union-find's member and edge distributions (``ComponentsFn``).
    """

    def __init__(self, metrics: tuple = ("union_find_members", "union_find_edges")):
        super().__init__()
        self._metrics = metrics

    def expand(self, edges):
        return (
            edges
            | "FlattenEdges" >> beam.Flatten()
            | "ComputeComponents" >> beam.CombineGlobally(ComponentsFn(self._metrics))
        )


class BuildClusters(beam.PTransform):
    """``{"unique": members, "duplicates": their exact duplicates, "history": past members}`` ->
    ``articles`` (rows with cluster fields), ``cluster_updates`` and ``index`` rows.

    Past articles linked to a new one join its component, so the component keeps their story's id.

    Args:
        components: ``AsSingleton`` of ``LinkComponents``' output.
        roundups: ``AsDict`` of ``(article_id, True)`` for the texts ``DropRoundupEdges`` left alone
            (their role is ``roundup``), or None.
    """

    def __init__(self, components, roundups=None):
        super().__init__()
        self._components = components
        self._roundups = roundups

    def expand(self, inputs):
        components = self._components
        linked_history = inputs["history"] | "KeepLinkedHistory" >> beam.FlatMap(
            lambda h, comp: [h] if h.article_id in comp else [], comp=components).with_output_types(Member)
        return (
            (inputs["unique"], inputs["duplicates"], linked_history)
            | "FlattenMembers" >> beam.Flatten()
            | "KeyByComponent" >> beam.Map(
                lambda m, comp: (comp.get(m.article_id, m.article_id), m), comp=components
            ).with_output_types(Tuple[str, Member])
            | "GroupByComponent" >> beam.GroupByKey()
            | "BuildClusters" >> beam.ParDo(BuildClustersFn(), **(
                {"roundups": self._roundups} if self._roundups is not None else {})).with_outputs(
                BuildClustersFn.UPDATES, BuildClustersFn.INDEX, main="articles")
        )


class AttachTexts(beam.PTransform):
    """``{"rows": clustered rows, "texts": (article_id, packed text)}`` -> ``articles`` with their text,
    and ``canonical_text`` ``(cluster_id, (article_id, text))`` for each canonical."""

    def expand(self, inputs):
        return (
            {"rows": inputs["rows"] | "KeyRowsById" >> beam.Map(lambda r: (r["article_id"], r)),
             "texts": inputs["texts"]}
            | "JoinTexts" >> beam.CoGroupByKey()
            | "AttachText" >> beam.ParDo(AttachTextFn()).with_outputs(AttachTextFn.CANONICAL_TEXT, main="articles")
        )


class UpdateClusterState(beam.PTransform):
    """``{"existing": current cluster rows, "updates": this run's updates, "canonical_text": ...}`` ->
    the current state of every cluster (merges recorded with ``merged_into``)."""

    def expand(self, inputs):
        updates = inputs["updates"]
        merges = updates | "EmitMerges" >> beam.FlatMap(lambda u: [(m, u["cluster_id"]) for m in u["merged_from"]])
        return (
            {"existing": inputs["existing"] | "KeyExistingClusters" >> beam.Map(lambda c: (c["cluster_id"], c)),
             "updates": updates | "KeyClusterUpdates" >> beam.Map(lambda u: (u["cluster_id"], u)),
             "merged_into": merges,
             "canonical_text": inputs["canonical_text"]}
            | "GroupClusterState" >> beam.CoGroupByKey()
            | "UpdateClusterState" >> beam.ParDo(_UpdateClusterStateFn())
        )


class ClusterStories(beam.PTransform):
    """Signed articles (+ the index of past runs) -> clustered articles, cluster state, index rows.

    Input: ``{"articles": SignArticles' slim articles, "texts": its texts, "history": INDEX_SCHEMA
    rows of past runs, "seen": index rows (url, content_hash) of input ingested before, "clusters":
    the current CLUSTERS_SCHEMA rows}``; ``history``, ``seen`` (default: ``history``) and ``clusters``
    may be left out.

    Output: ``articles`` (rows for this run's new articles), ``clusters`` (the full current state
    of every cluster) and ``index`` (index rows to append).

    Args:
        config: MinHash parameters.
        bucket_cap: Buckets larger than this link members to one representative
            instead of forming all pairs.
    """

    def __init__(self, config: MinHashConfig, bucket_cap: int = 100):
        super().__init__()
        if bucket_cap < 2:
            raise ValueError("bucket_cap must be >= 2")
        self._config = config
        self._cap = bucket_cap

    def expand(self, inputs):
        p = inputs["articles"].pipeline
        history = (
            (inputs.get("history") or (p | "NoHistory" >> beam.Create([])))
            | "PastMembers" >> beam.Map(Member.from_index).with_output_types(Member)
        )
        existing = inputs.get("clusters") or (p | "NoClusters" >> beam.Create([]))

        # What was ingested before may be looked up apart from the match window's history ("seen").
        seen = history if inputs.get("seen") is None else (
            inputs["seen"] | "SeenMembers" >> beam.Map(Member.from_index).with_output_types(Member))
        split = {"articles": inputs["articles"], "history": seen} | "DropIngested" >> DropIngested()
        unique = {"articles": split.unique, "history": history}
        candidates = unique | "FindCandidates" >> FindCandidates(self._config, self._cap)
        edges = {**unique, "pairs": candidates} | "VerifyCandidates" >> VerifyCandidates(self._config)
        contained = unique | "FindContainedTexts" >> FindContainedTexts()
        vouched = (
            {**unique, "edges": (edges, contained) | "FlattenVerifiedEdges" >> beam.Flatten()}
            | "DropRoundupEdges" >> DropRoundupEdges()
        )
        components = beam.pvalue.AsSingleton(
            (vouched["edges"], split[SplitExactDuplicatesFn.EDGES]) | "LinkComponents" >> LinkComponents())
        roundups = beam.pvalue.AsDict(vouched["roundups"] | "KeyRoundups" >> beam.Map(lambda a: (a, True)))
        built = (
            {"unique": split.unique, "duplicates": split[SplitExactDuplicatesFn.DUPLICATES], "history": history}
            | "BuildClusters" >> BuildClusters(components, roundups)
        )
        with_text = {"rows": built.articles, "texts": inputs["texts"]} | "AttachTexts" >> AttachTexts()
        clusters = (
            {"existing": existing, "updates": built[BuildClustersFn.UPDATES],
             "canonical_text": with_text[AttachTextFn.CANONICAL_TEXT]}
            | "UpdateClusterState" >> UpdateClusterState()
        )
        return {"articles": with_text.articles, "clusters": clusters, "index": built[BuildClustersFn.INDEX]}
