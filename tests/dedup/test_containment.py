"""Containment links: a brief of a story joins it; a short text from elsewhere does not."""
import collections

import numpy as np
from apache_beam.testing.util import equal_to

from tests.dedup.test_cluster_transform import article, run, words
from transforms.dedup import containment
from transforms.dedup.containment import (ANCHOR_SHARDS, MAX_ANCHORS, MAX_QUERY_ANCHORS, NEIGHBOURS, ROUNDUP,
                                          PairAnchorsFn, _CandidatesFn, _is_coarse, anchor_groups, anchor_pair_counts,
                                          containment_anchors, covered_masks, is_contained_brief, is_contained_text,
                                          is_roundup, judge_links, judge_texts, packed_anchors,
                                          roundup_parts, shard_pair_counts, shared_shares, shared_shares_of,
                                          sum_pair_counts)
from transforms.dedup.records import Member
from transforms.dedup.events import event_terms, pack_terms
from transforms.dedup.signing import MinHashConfig, Signer, estimate_jaccard


def test_anchors_are_a_content_defined_sample():
    story = " ".join(words(5, 800))
    signer = Signer(MinHashConfig())
    hashes = signer.hashes(story)
    anchors = containment_anchors(hashes)
    assert 0.15 < len(anchors) / len(np.unique(hashes)) < 0.35  # about one in four
    lead = signer.hashes(" ".join(story.split()[:60]))
    # Every anchor of the lead is an anchor of the story: the sample depends on the shingle only.
    assert set(containment_anchors(lead).tolist()) <= set(anchors.tolist())


def test_anchors_sampled_for_a_batch_are_each_texts_own():
    # Texts of every size: none, a few, and more anchors than MAX_ANCHORS keeps (the first of them).
    rng = np.random.default_rng(5)
    texts = [np.unique(rng.integers(0, 2**32, n, dtype=np.uint64)).astype(np.uint32)
             for n in [0, 1, 30, 400, 0, 5_000, 20_000, 7] + rng.integers(0, 3_000, 60).tolist()]
    expected = [containment_anchors(t, distinct=True).tobytes() for t in texts]
    assert any(len(e) // 4 == MAX_ANCHORS for e in expected) and any(0 < len(e) // 4 < MAX_ANCHORS for e in expected)
    assert packed_anchors(texts) == expected
    assert packed_anchors(texts[:1]) == expected[:1] and packed_anchors([]) == []


def test_containment_rules_need_a_share_and_a_minimum():
    assert is_contained_brief(8, 10)
    assert not is_contained_brief(6, 10)
    assert not is_contained_brief(5, 5)  # too few anchors to trust
    # A brief whose page kept a caption beside it: a 40-word passage that is 40% of the text.
    assert is_contained_brief(12, 21) and not is_contained_brief(9, 21) and not is_contained_brief(12, 31)
    assert is_contained_text(60, 100)
    assert not is_contained_text(31, 100)  # two reports quoting one statement
    assert not is_contained_text(10, 12)


def test_brief_joins_its_story_and_an_unrelated_brief_stays_alone():
    story = words(11, 700)
    brief = story[:70]
    other = words(12, 70)
    cfg = MinHashConfig()
    sig, _ = Signer(cfg).sign([" ".join(story), " ".join(brief)])
    assert estimate_jaccard(sig[0], sig[1]) < cfg.threshold  # Jaccard alone would miss it
    assert len(containment_anchors(Signer(cfg).hashes(" ".join(brief)))) <= MAX_QUERY_ANCHORS
    arts = [article("story", " ".join(story), 1), article("brief", " ".join(brief), 2),
            article("other", " ".join(other), 2)]
    run(arts, check_groups=equal_to([("brief", "story"), ("other",)]), cfg=cfg)


def test_an_edited_brief_still_joins():
    story = words(21, 600)
    brief = story[:90]
    del brief[30:36]  # a sentence cut from the middle
    brief[10] = "changed"
    arts = [article("story", " ".join(story), 1), article("brief", " ".join(brief), 2)]
    run(arts, check_groups=equal_to([("brief", "story")]), cfg=MinHashConfig())


def test_an_edited_repost_joins_though_its_jaccard_is_low():
    import random
    story = words(31, 700)
    rng = random.Random(3)
    edited = [w for i, w in enumerate(story) if not (150 <= i < 430)]  # two fifths dropped
    edited = [("x" + w if rng.random() < 1 / 5 else w) for w in edited]  # one word in five changed
    cfg = MinHashConfig()
    sig, _ = Signer(cfg).sign([" ".join(story), " ".join(edited)])
    assert estimate_jaccard(sig[0], sig[1]) < cfg.threshold
    arts = [article("story", " ".join(story), 1), article("edited", " ".join(edited), 2),
            article("other", " ".join(words(32, 500)), 2)]
    run(arts, check_groups=equal_to([("edited", "story"), ("other",)]), cfg=cfg)


# Two unrelated real-ish stories, each with a repost, and a digest page quoting most of both.
_QUAKE = (
    "A magnitude 6.4 earthquake struck off the coast of Albania early Tuesday, killing at least 21 people and "
    "injuring more than 600, officials in Tirana said. The quake hit at 3:54 a.m. about 34 kilometres west of the "
    "capital, toppling apartment blocks in the port city of Durres and the town of Thumane. Rescue teams from "
    "Italy, Greece and Romania joined Albanian soldiers searching the rubble for survivors through the night. "
    "Prime Minister Edi Rama declared a state of emergency in both towns and said the government would house "
    "every family whose home had been destroyed. Aftershocks of magnitude 5.4 rattled the region on Wednesday "
    "as crews pulled two women alive from a collapsed hotel in Durres, nearly thirty hours after the main shock. "
    "Seismologists said the fault had not produced a quake of that size since 1979.")
_STADIA = (
    "Google's game streaming service Stadia launched on Tuesday in 14 countries, letting players run console "
    "games on phones, laptops and televisions without a console. Founders Edition buyers received a Chromecast "
    "Ultra and a controller for $129, while a monthly Pro subscription costs $9.99. Only 22 games were available "
    "at launch, fewer than the company had promised, and features such as achievements and family sharing were "
    "missing. Early reviewers praised the picture quality on fast connections but reported stutter and lag on "
    "home networks below 35 megabits a second. Analysts at Piper Jaffray said the service would need exclusive "
    "titles to win over players who already own an Xbox or a PlayStation, and that pricing for individual games "
    "had disappointed many of the early buyers who had expected a library like Netflix.")


def _sentences(text, keep):
    parts = text.split(". ")
    return ". ".join(p for i, p in enumerate(parts) if i in keep)


def test_a_digest_quoting_two_unrelated_stories_bridges_neither():
    # Half of each story, as a morning digest quotes them.
    digest = ("Here is what you need to know this Wednesday morning. "
              + _sentences(_QUAKE, {0, 1, 2, 3}) + ". In technology news. " + _sentences(_STADIA, {0, 1, 2, 3})
              + ". That is all for today, see you tomorrow.")
    arts = [article("quake", _QUAKE, 1), article("quake-repost", _QUAKE + " Reporting by wire staff.", 2),
            article("stadia", _STADIA, 1), article("stadia-repost", "From our partners: " + _STADIA, 2),
            article("digest", digest, 2)]

    def roles_of(by_id):
        assert by_id["digest"]["role"] == ROUNDUP
        assert by_id["quake"]["role"] != ROUNDUP and by_id["stadia-repost"]["role"] != ROUNDUP

    run(arts, check_groups=equal_to([("quake", "quake-repost"), ("stadia", "stadia-repost"), ("digest",)]),
        check_rows=roles_of, cfg=MinHashConfig())


def test_is_roundup_needs_two_unrelated_parts_one_of_them_quoted():
    signer = Signer(MinHashConfig())
    story = words(41, 400)
    other = words(42, 400)
    anchors = lambda ws: containment_anchors(signer.hashes(" ".join(ws)))
    terms = lambda ws: pack_terms(event_terms(" ".join(ws), language="en"))
    digest = story[:200] + other[:200]
    quoting = [(anchors(story), terms(story)), (anchors(other), terms(other))]
    assert is_roundup(anchors(digest), quoting)
    # The same story's lead and its end, each wholly inside the text: it is their source, not a roundup.
    full = story
    excerpts = [(anchors(story[:150]), terms(story[:150])), (anchors(story[250:]), terms(story[250:]))]
    assert not is_roundup(anchors(full), excerpts)
    # One story linked through two reposts of the same part: one part.
    assert not is_roundup(anchors(story[:300]), [(anchors(story), terms(story)), (anchors(story[:250]), terms(story))])
    # Two parts of one story quoted from two reposts that share its vocabulary: related, not a roundup.
    assert not is_roundup(anchors(story[:300]), [(anchors(story[:100] + other[:300]), terms(story)),
                                                  (anchors(story[200:300] + other[300:]), terms(story))])


def test_judge_links_finds_a_neighbour_met_only_through_a_stray_passage():
    # A 200-anchor page: a 12-anchor standfirst of its template, then its story. Its story's copy covers the
    # story; a brief of another story on the same template meets it through the standfirst only.
    page = np.arange(0, 200, dtype=np.uint32)
    story_terms = pack_terms(event_terms(_QUAKE, language="en"))
    other_terms = pack_terms(event_terms(_STADIA, language="en"))
    copy = (np.arange(12, 200, dtype=np.uint32), story_terms)
    brief = (np.concatenate([np.arange(0, 12), np.arange(1000, 1015)]).astype(np.uint32), other_terms)
    assert judge_links(page, [copy, brief]) == (False, [1])
    assert judge_links(page, [brief, copy]) == (False, [0])
    # Not stray: the same brief as the page's only link (no story known to set it against) ...
    assert judge_links(page, [brief]) == (False, [])
    # ... a brief wholly inside the page (an excerpt of it, whatever its words) ...
    assert judge_links(page, [copy, (np.arange(0, 12, dtype=np.uint32), other_terms)]) == (False, [])
    # ... a brief whose words are the story's ...
    assert judge_links(page, [copy, (brief[0], story_terms)]) == (False, [])
    # ... and a neighbour through a passage as large as a part, which makes the page a roundup instead.
    big = (np.concatenate([np.arange(0, 60), np.arange(1000, 1100)]).astype(np.uint32), other_terms)
    assert judge_links(page, [(np.arange(60, 200, dtype=np.uint32), story_terms), big]) == (True, [])
    # The page's story covered by four copies (the one-part shortcut) with the brief beside them.
    copies = [(np.arange(12 + k, 200, dtype=np.uint32), story_terms) for k in range(4)]
    assert judge_links(page, copies + [brief]) == (False, [4])
    assert judge_links(page, copies) == (False, [])


def test_a_brief_sharing_only_its_templates_standfirst_with_a_story_stays_apart():
    # Two text dumps of one template keep its 48-word standfirst above their articles: a story (whose
    # original is elsewhere) and a brief of a story that is not in the run. The standfirst is 44% of the
    # brief, a passage long enough to link a brief; it made one cluster of two stories.
    standfirst = " ".join(words(61, 48))
    story = " ".join(words(62, 600))
    brief = " ".join(words(63, 60))
    arts = [article("story", story, 1), article("story-on-template", standfirst + " " + story, 2),
            article("brief-on-template", standfirst + " " + brief, 2)]
    run(arts, check_groups=equal_to([("story", "story-on-template"), ("brief-on-template",)]), cfg=MinHashConfig())


def test_covered_masks_mark_each_others_anchors_in_the_text():
    anchors = np.array([3, 5, 9, 12, 40], dtype=np.uint32)
    others = [np.array([1, 5, 12, 41], dtype=np.uint32), np.array([], dtype=np.uint32),
              np.array([3, 9, 12, 40, 99], dtype=np.uint32), np.array([50], dtype=np.uint32)]
    masks = covered_masks(anchors, others)
    assert masks.tolist() == [[False, True, False, True, False], [False] * 5,
                              [True, False, True, True, True], [False] * 5]
    assert covered_masks(anchors, []).shape == (0, 5)
    assert covered_masks(np.array([], dtype=np.uint32), others).shape == (4, 0)


def test_roundup_parts_group_neighbours_covering_one_part():
    anchors = np.arange(0, 100, dtype=np.uint32)
    lead, lead_copy = np.arange(0, 40, dtype=np.uint32), np.arange(5, 45, dtype=np.uint32)
    tail = np.arange(60, 100, dtype=np.uint32)
    parts, covered = roundup_parts(anchors, [tail, lead, np.arange(200, 300, dtype=np.uint32), lead_copy])
    assert [(p.tolist(), members) for p, members in parts] == [(list(range(60, 100)), [0]),
                                                                (list(range(0, 45)), [1, 3])]
    assert [c.size for c in covered] == [40, 40, 0, 40]


def _groups(batches, shards=ANCHOR_SHARDS):
    groups = collections.defaultdict(list)
    for tag, members in batches:
        for key, value in anchor_groups(members, tag, None, shards):
            groups[key].append(value)
    return groups


def _pairs(batches, shards=ANCHOR_SHARDS):
    """Each (tag, members) batch through anchor_groups, grouped, through anchor_pair_counts: shared count per pair."""
    counted = collections.Counter()
    for (kind, _), values in _groups(batches, shards).items():
        ids, sizes, a, b, shared, _ = anchor_pair_counts(kind, values)
        ids = [i.decode() for i in ids.tolist()]
        for x, y, n in zip(a.tolist(), b.tolist(), shared.tolist()):
            counted[("f", ids[x], int(sizes[x]), ids[y]) if kind == "f" else ("c", ids[x], ids[y])] += n
    return counted


def _summed(batches, shards=ANCHOR_SHARDS, pair_shards=5):
    """The same through PairAnchorsFn's records, met per pair shard and summed by sum_pair_counts."""
    met = collections.defaultdict(list)
    for key, values in _groups(batches, shards).items():
        for pair_shard, record in PairAnchorsFn(pair_shards).process((key, values)):
            met[pair_shard].append(record)
    counted, seen = {}, set()
    for pair_shard, records in met.items():
        for kind, (first, second, n_first, shared) in sum_pair_counts(records).items():
            for x, y, n, c in zip(first.tolist(), second.tolist(), n_first.tolist(), shared.tolist()):
                key = ("f", x.decode(), n, y.decode()) if kind == "f" else ("c", x.decode(), y.decode())
                assert key not in counted  # each pair once, in one shard
                counted[key] = c
                seen.add((pair_shard, x))
    assert len({x for _, x in seen}) == len(seen)  # a first id lives in one pair shard
    return counted


def test_pair_anchors_pairs_briefs_with_all_and_long_texts_with_their_next_neighbours():
    anchor = np.array([7], dtype=np.uint32)
    def brief(name, n):
        return Member(name, anchors=np.concatenate([anchor, np.arange(1000, 999 + n, dtype=np.uint32)]).tobytes())

    # a brief meets every other holder of an anchor; two short texts once, from the one with fewer anchors;
    # two old texts never
    counted = _pairs([("n", [brief("a", 10), brief("b", 12)]), ("o", [brief("c", 100), brief("d", 90)])])
    fine = {p: n for p, n in counted.items() if p[0] == "f"}
    assert fine == {("f", "a", 10, "b"): 10, ("f", "a", 10, "c"): 10, ("f", "a", 10, "d"): 10,
                    ("f", "b", 12, "c"): 12, ("f", "b", 12, "d"): 12}
    # Long texts sharing coarse anchors: each pairs with the next NEIGHBOURS by anchor count (ties by id).
    shared = np.arange(0, 4000, dtype=np.uint32)
    shared = shared[_is_coarse(shared)][:5]
    long = [Member(f"t{i:02d}", anchors=np.concatenate([shared, np.arange(10**6 * (i + 1), 10**6 * (i + 1) + 60 + i,
                                                                           dtype=np.uint32)]).tobytes())
            for i in range(NEIGHBOURS + 2)]
    old = [Member(f"old{i}", anchors=np.concatenate([shared, np.arange(10**8 * (i + 1), 10**8 * (i + 1) + 300,
                                                                        dtype=np.uint32)]).tobytes()) for i in (1, 2)]
    coarse = {p: n for p, n in _pairs([("n", long[:4]), ("n", long[4:]), ("o", old)], shards=3).items() if p[0] == "c"}
    assert coarse[("c", "t00", f"t{NEIGHBOURS:02d}")] >= len(shared)
    assert ("c", "t00", f"t{NEIGHBOURS + 1:02d}") not in coarse and ("c", "old1", "old2") not in coarse
    assert ("c", f"t{NEIGHBOURS + 1:02d}", "old1") in coarse


def test_pair_counts_are_the_same_sorted_on_one_packed_key_or_on_three(monkeypatch):
    # anchor_pair_counts packs (anchor, anchor count, id rank) into one uint64 to sort a group's buckets;
    # past 2^20 members or 4,095 anchors it sorts on the three keys. Both give the same pairs and counts.
    rng = np.random.default_rng(3)
    members = [Member(f"m{i}" * (1 + i % 3), anchors=np.unique(rng.integers(0, 400, int(rng.integers(1, 120))))
                      .astype(np.uint32).tobytes()) for i in range(80)]
    batches = [("n", members[:50]), ("o", members[50:])]

    def counted():
        out = {}
        for (kind, shard), values in _groups(batches, 4).items():
            ids, sizes, a, b, shared, capped = anchor_pair_counts(kind, values)
            out[(kind, shard)] = ([ids[x] for x in a.tolist()], [ids[y] for y in b.tolist()], shared.tolist(), capped)
        return out

    packed = counted()
    assert sum(len(v[0]) for v in packed.values()) > 500
    monkeypatch.setattr(containment, "_RANKS", 0)
    assert counted() == packed


def test_pair_counts_meet_per_pair_shard_and_sum_as_counted_per_group():
    anchors = np.arange(0, 4000, dtype=np.uint32)
    members = [Member(f"m{i:02d}", anchors=anchors[(i * 37) % 200:(i * 37) % 200 + 20 + 13 * i].tobytes())
               for i in range(30)]
    batches = [("n", members[:12]), ("n", members[12:25]), ("o", members[25:])]
    expected = _pairs(batches, shards=3)
    assert any(k[0] == "f" for k in expected) and any(k[0] == "c" for k in expected)
    assert _summed(batches, shards=3) == dict(expected)


def test_an_ids_pair_shard_is_the_same_whatever_ids_travel_beside_it():
    # A group's ids travel as one fixed-width array: "a" beside "b" is 1 byte wide, beside a 20-character
    # id 20 bytes. Its pairs from every group must still meet in one pair shard.
    def shard_of_a(others):
        ids = ["a"] + others
        records = shard_pair_counts("c", ids, np.array([10] * len(ids)), np.zeros(len(others), dtype=np.int64),
                                    np.arange(1, len(ids)), np.ones(len(others), dtype=np.int64), 64)
        assert len(records) == 1
        return records[0][0]

    shards = {shard_of_a(others) for others in (["b"], ["b" * 20], ["c" * 9, "d"], ["e" * 33], ["é" * 5])}
    assert len(shards) == 1
    assert len({shard_of_a([f"{c}" * 16]) for c in "abcdefghijklmnop"} | shards) == 1
    # Ids are spread over the shards, not all in one.
    ids = [f"{i:016x}" for i in range(0, 64_000, 7)]
    spread = shard_pair_counts("c", ids, np.array([10] * len(ids)), np.arange(len(ids) - 1),
                               np.arange(1, len(ids)), np.ones(len(ids) - 1, dtype=np.int64), 64)
    assert len(spread) == 64


def test_sum_pair_counts_adds_one_pairs_counts_across_records_of_any_id_width():
    def record(kind, first, second, n_first, shared):
        return shard_pair_counts(kind, sorted(set(first + second)), np.array(
            [dict(zip(first, n_first)).get(i, 99) for i in sorted(set(first + second))]),
            *[np.array([sorted(set(first + second)).index(i) for i in ids]) for ids in (first, second)],
            np.array(shared), 1)[0][1]

    summed = sum_pair_counts([record("f", ["a", "a"], ["bb", "c"], [5, 5], [2, 1]),
                              record("f", ["a"], ["bb"], [5], [4]), record("c", ["x"], ["yyyy"], [50], [7])])
    first, second, n_first, shared = summed["f"]
    assert sorted(zip(first.tolist(), second.tolist(), n_first.tolist(), shared.tolist())) == [
        (b"a", b"bb", 5, 6), (b"a", b"c", 5, 1)]
    assert [c.tolist() for c in summed["c"]] == [[b"x"], [b"yyyy"], [50], [7]]


def test_candidates_fn_decides_briefs_on_summed_counts_and_passes_long_pairs_on():
    def record(kind, first, second, n_first, shared):
        ids = sorted(set(first + second))
        return shard_pair_counts(kind, ids, np.array([10] * len(ids)),
                                 np.array([ids.index(i) for i in first]), np.array([ids.index(i) for i in second]),
                                 np.array(shared), 1)[0][1]

    # b holds 4 + 4 = 8 of a's 10 anchors (a brief of it), c only 5; y and x share 3 coarse anchors, z 2
    records = [record("f", ["a", "a"], ["b", "c"], [10, 10], [4, 5]), record("f", ["a"], ["b"], [10], [4]),
               record("c", ["y", "y"], ["x", "z"], [10, 10], [3, 2])]
    out = list(_CandidatesFn().process((0, records)))
    assert [o for o in out if isinstance(o, tuple)] == [("a", "b")]
    assert [o.value for o in out if not isinstance(o, tuple)] == [("y", "x")]


def test_anchor_groups_keep_only_fine_anchors_a_short_text_may_share():
    anchors = np.arange(1, MAX_QUERY_ANCHORS * 20, dtype=np.uint32)
    member = Member("x", anchors=anchors.tobytes())

    def emitted(short_anchors):
        found = collections.defaultdict(list)
        for (kind, _), (packed, owners, sizes, ids, old) in anchor_groups([member], "n", short_anchors, 4):
            assert ids == ["x"] and np.frombuffer(sizes, dtype=np.uint32).tolist() == [anchors.size] and not old
            assert set(np.frombuffer(owners, dtype=np.uint32).tolist()) == {0}
            found[kind] += np.frombuffer(packed, dtype=np.uint32).tolist()
        return found

    every = emitted(None)
    assert sorted(every["f"]) == anchors.tolist() and 0 < len(every["c"]) < anchors.size
    assert emitted(b"")["f"] == [] and sorted(emitted(b"")["c"]) == sorted(every["c"])
    assert anchor_groups([Member("y", anchors=b"")], "n") == []


def test_shared_shares_count_the_anchors_each_list_shares_with_one_sorted_list():
    rng = np.random.default_rng(4)
    for _ in range(300):
        b, *others = (np.unique(rng.integers(0, 300, int(rng.integers(0, 90)))).astype(np.uint32)
                      for _ in range(int(rng.integers(2, 6))))
        shared, fewer = shared_shares(b.tobytes(), [a.tobytes() for a in others])
        assert shared.tolist() == [len(set(a.tolist()) & set(b.tolist())) for a in others]
        assert fewer.tolist() == [min(a.size, b.size) for a in others]


def test_shared_shares_of_a_batch_are_each_texts_own():
    # Texts with many others, one, or none (an empty anchor list among them), in one batch: the anchors of one
    # text's others are never counted against another text's.
    rng = np.random.default_rng(6)
    lists = lambda n: [np.unique(rng.integers(0, 400, int(rng.integers(0, 90)))).astype(np.uint32).tobytes()
                       for _ in range(n)]
    texts = [(lists(1)[0], lists(int(rng.integers(0, 7)))) for _ in range(300)] + [(b"", lists(3))]
    shared, fewer = shared_shares_of(texts)
    as_set = lambda packed: set(np.frombuffer(packed, dtype=np.uint32).tolist())
    assert shared.tolist() == [len(as_set(a) & as_set(b)) for b, others in texts for a in others]
    assert fewer.tolist() == [min(len(a), len(b)) // 4 for b, others in texts for a in others]
    assert shared_shares_of([(b"", [])])[0].size == 0 and int(shared.sum()) > 1_000


def _random_pair_records(seed: int):
    """Records of random pairs (``shard_pair_counts``), and each pair's expected sum: ids across the 8-byte
    word boundary and prefixes of each other."""
    rng = np.random.default_rng(seed)
    ids = sorted({"".join(rng.choice(list("0a9f"), int(rng.integers(1, 19)))) for _ in range(80)})
    expected = collections.Counter()
    records = []
    for _ in range(6):
        a, b = rng.integers(0, len(ids), 120), rng.integers(0, len(ids), 120)
        shared = rng.integers(1, 5, 120)
        for x, y, n in zip(a.tolist(), b.tolist(), shared.tolist()):
            expected[(ids[x].encode(), ids[y].encode(), len(ids[x]))] += n
        records += [r for _, r in shard_pair_counts("c", ids, np.array([len(i) for i in ids]), a, b, shared, 1)]
    return records, expected


def _summed_pairs(records) -> dict:
    first, second, n_first, summed = sum_pair_counts(records)["c"]
    got = list(zip(first.tolist(), second.tolist(), n_first.tolist()))
    assert len(set(got)) == len(got)
    return dict(zip(got, summed.tolist()))


def test_sum_pair_counts_meets_each_pair_once_whatever_the_widths_of_its_ids():
    records, expected = _random_pair_records(9)
    assert _summed_pairs(records) == dict(expected)


def test_sum_pair_counts_tells_pairs_apart_when_their_hashes_collide(monkeypatch):
    # Every row hashed alike: the pairs are then met on their words, with the same sums.
    monkeypatch.setattr(containment, "_row_hashes", lambda columns: np.zeros(len(columns[0]), dtype=np.uint64))
    records, expected = _random_pair_records(11)
    assert all(not any(r[-1]) for r in records)
    assert _summed_pairs(records) == dict(expected)


def test_sum_pair_counts_keeps_one_pairs_counts_of_each_kind_apart(monkeypatch):
    # The kinds' rows are met in one sort: the same pair proposed as a brief and as a long text is summed per kind,
    # also when every row hashes alike (then the kinds are told apart on their words).
    def record(kind, shared):
        return shard_pair_counts(kind, ["a", "b"], np.array([9, 9]), np.array([0]), np.array([1]), np.array(shared),
                                 1)[0][1]

    def summed():
        out = sum_pair_counts([record("f", [2]), record("c", [5]), record("f", [3]), record("c", [1])])
        return {kind: [c.tolist() for c in columns] for kind, columns in out.items()}

    expected = {"f": [[b"a"], [b"b"], [9], [5]], "c": [[b"a"], [b"b"], [9], [6]]}
    assert summed() == expected
    monkeypatch.setattr(containment, "_row_hashes", lambda columns: np.zeros(len(columns[0]), dtype=np.uint64))
    monkeypatch.setattr(containment, "_KIND_MIX", 0)
    assert summed() == expected
    assert sum_pair_counts([]) == {}


def test_sum_pair_counts_reads_only_the_kept_pairs_ids():
    records, expected = _random_pair_records(10)
    kept = lambda n_first, shared: (shared >= 6) & (n_first % 2 == 0)
    first, second, n_first, summed = sum_pair_counts(records, {"c": kept})["c"]
    assert dict(zip(zip(first.tolist(), second.tolist(), n_first.tolist()), summed.tolist())) == {
        pair: n for pair, n in expected.items() if n >= 6 and pair[2] % 2 == 0}
    assert 0 < len(first) < len(expected)
    assert len(sum_pair_counts(records, {"f": kept})["c"][0]) == len(expected)  # another kind's rule


def _parts_in_a_loop(anchors, neighbours):
    """roundup_parts' rule spelled plainly: largest mask first, each joining the first part it overlaps by half
    of the smaller; parts too small do not count."""
    masks = [np.isin(anchors, n) for n in neighbours]
    groups = []
    for i in sorted(range(len(masks)), key=lambda k: (-int(masks[k].sum()), k)):
        for g in groups:
            smaller = min(int(masks[i].sum()), int(g[0].sum()))
            if smaller and int((masks[i] & g[0]).sum()) >= 0.5 * smaller:
                g[0] = g[0] | masks[i]
                g[1].append(i)
                break
        else:
            groups.append([masks[i], [i]])
    minimum = max(6, 0.2 * anchors.size)
    return [(anchors[m].tolist(), members) for m, members in groups if m.sum() >= minimum]


def test_roundup_parts_follow_the_rule_with_few_and_many_neighbours():
    # Many neighbours that are one part are decided at once; any other set goes through the loop.
    rng = np.random.default_rng(2)
    one_part = 0
    for _ in range(3000):
        anchors = np.unique(rng.integers(0, 300, int(rng.integers(0, 90)))).astype(np.uint32)
        neighbours = []
        for _ in range(int(rng.integers(0, 9))):
            if anchors.size and rng.random() < 0.6:
                lo = int(rng.integers(0, anchors.size))
                kept = anchors[lo:lo + int(rng.integers(0, anchors.size + 1))]
                neighbours.append(np.union1d(kept, rng.integers(300, 600, 4)).astype(np.uint32))
            else:
                neighbours.append(np.unique(rng.integers(0, 600, int(rng.integers(0, 60)))).astype(np.uint32))
        parts, covered = roundup_parts(anchors, neighbours)
        assert [(p.tolist(), m) for p, m in parts] == _parts_in_a_loop(anchors, neighbours)
        assert [c.tolist() for c in covered] == [anchors[np.isin(anchors, n)].tolist() for n in neighbours]
        one_part += len(neighbours) >= 4 and len(parts) == 1
    assert one_part > 100


def test_a_batch_holding_one_id_twice_sends_its_last_entry():
    # _gather canonicalises ids only across records, so a record must hold each id once.
    anchors = np.arange(0, 4000, dtype=np.uint32)
    first, last = Member("a", anchors=anchors[:300].tobytes()), Member("a", anchors=anchors[100:400].tobytes())
    other = Member("b", anchors=anchors[:200].tobytes())
    assert repr(anchor_groups([first, other, last], "n")) == repr(anchor_groups([last, other], "n"))
    for _, (_, _, _, ids, _) in anchor_groups([first, other, last], "n"):
        assert len(ids) == len(set(ids))


def test_ids_repeated_across_a_groups_records_meet_as_one_member_the_later_entry():
    # _gather keeps one member per id across a group's records: the later record's entry, holding the
    # anchors of every entry of its id, each once.
    rng = np.random.default_rng(12)
    repeats = 0
    for trial in range(30):
        records, entries = [], []
        for _ in range(int(rng.integers(1, 5))):
            names = list(dict.fromkeys(rng.choice(["a", "b", "cc", "d", "é", "ab", "b2"], int(rng.integers(1, 6)))))
            anchors = [np.unique(rng.integers(0, 50, int(rng.integers(1, 12)))).astype(np.uint32) for _ in names]
            owners = np.repeat(np.arange(len(names)), [len(x) for x in anchors]).astype(np.uint32)
            records.append((np.concatenate(anchors).tobytes(), owners.tobytes(),
                            np.array([len(x) for x in anchors], dtype=np.uint32).tobytes(), names, bool(trial % 2)))
            entries += list(zip(names, anchors))
        anchors, member, sizes, ids, rank, old = containment._gather(records)
        ids = [i.decode() for i in ids.tolist()]
        assert ids == [name for name, _ in entries]
        last = {name: i for i, (name, _) in enumerate(entries)}
        repeats += len(last) < len(entries)
        want = {(int(a), last[name]) for name, held in entries for a in held}
        assert sorted(zip(anchors.tolist(), member.tolist())) == sorted(want)
        assert rank.tolist() == [sorted(range(len(ids)), key=ids.__getitem__).index(i) for i in range(len(ids))]
        assert sizes.tolist() == [len(held) for _, held in entries]
    assert repeats > 10


def _packed_terms(text):
    return pack_terms(event_terms(text, language="en"))


def _with_rest(part, start, n, terms):
    """A neighbour holding ``part`` of a text and ``n`` anchors of its own, with ``terms``."""
    return np.concatenate([part, np.arange(start, start + n)]).astype(np.uint32), terms


def test_judge_links_keeps_a_short_text_out_of_the_other_stories_that_print_it_as_a_passage():
    # A 30-anchor edited brief of story S; its last 12 anchors are its site's sign-off, which every post
    # of the site prints, story L's too. S's two texts hold 27 of its anchors, L's two the sign-off.
    brief = np.arange(0, 30, dtype=np.uint32)
    terms = _packed_terms(_QUAKE)
    s1, s2 = _with_rest(brief[:27], 1000, 100, terms), _with_rest(brief[:27], 1000, 90, terms)
    l1, l2 = _with_rest(brief[18:], 3000, 100, terms), _with_rest(brief[18:], 3005, 95, terms)
    assert judge_links(brief, [s1, l1, s2, l2]) == (False, [1, 3])
    # A pull quote kept alone, wholly printed by two texts of one story and by one of each of two others:
    # it stays with the story that prints it most.
    quote = np.arange(0, 10, dtype=np.uint32)
    g1, g2 = _with_rest(quote, 1000, 100, terms), _with_rest(quote, 1000, 80, terms)
    x, y = _with_rest(quote, 2000, 100, terms), _with_rest(quote, 3000, 100, terms)
    assert judge_links(quote, [x, g1, y, g2]) == (False, [0, 2])
    # Printed as wholly by one text of each of two stories: it joins neither.
    assert judge_links(quote, [x, y]) == (False, [0, 1])
    # Not strays: texts of one story (an edited repost shares a fifth or more of the rest) ...
    edited = (np.concatenate([quote, np.arange(1000, 1100, 3), np.arange(5000, 5050)]).astype(np.uint32), terms)
    assert judge_links(quote, [g1, edited]) == (False, [])
    # ... a copy of the text beside one story that prints it (no second story to set it against) ...
    copy = _with_rest(quote, 500, 4, terms)
    assert judge_links(quote, [copy, x]) == (False, [])
    assert judge_links(quote, [copy, _with_rest(quote, 600, 5, terms)]) == (False, [])
    # ... and the neighbours of a long text (more than a brief's anchors): the roundup rules judge those.
    long_text = np.arange(0, MAX_QUERY_ANCHORS + 10, dtype=np.uint32)
    assert judge_links(long_text, [_with_rest(long_text, 2000, 200, terms),
                                   _with_rest(long_text, 3000, 200, terms)]) == (False, [])


def test_a_site_sign_off_in_a_brief_does_not_join_it_to_the_sites_other_story():
    # Every post of one site ends with the same 50-word sign-off; a brief of one post keeps it. Linked to
    # the other post through it (half of the brief: a passage), it made one cluster of both.
    sign_off = " ".join(words(81, 50))
    other, story = " ".join(words(82, 400)), words(83, 400)
    brief = " ".join(story[:60]) + " " + sign_off
    story = " ".join(story)
    arts = [article("other", other + " " + sign_off, 1), article("other-repost", "Via partners. " + other + " " + sign_off, 2),
            article("story", story + " " + sign_off, 1), article("story-repost", story + " " + sign_off + " Staff.", 2),
            article("brief", brief, 2)]
    run(arts, check_groups=equal_to([("other", "other-repost"), ("brief", "story", "story-repost")]), cfg=MinHashConfig())


def test_judge_links_sets_aside_a_part_that_texts_of_several_stories_print():
    # A 30-anchor brief dump of story S on a template whose 12-anchor standfirst it kept: S's two texts
    # hold its other 18 anchors; a long text of story X and a brief of story Y on the same template hold
    # the standfirst, each with its own story beside it. It is no roundup of S and the standfirst.
    brief = np.arange(0, 30, dtype=np.uint32)
    quake, stadia = _packed_terms(_QUAKE), _packed_terms(_STADIA)
    s1, s2 = _with_rest(brief[:18], 1000, 90, quake), _with_rest(brief[:18], 1000, 80, quake)
    x, y = _with_rest(brief[18:], 3000, 145, stadia), _with_rest(brief[18:], 5000, 15, stadia)
    assert judge_links(brief, [s1, x, s2, y]) == (False, [1, 3])
    # A roundup's part is one story's: its texts share that story beyond the part ...
    x2 = _with_rest(brief[18:], 3000, 120, stadia)
    assert judge_links(brief, [s1, x, s2, x2]) == (True, [])
    # ... and a brief wholly inside the part (its copy of that story's lead) tells of no story.
    assert judge_links(brief, [s1, x, s2, (brief[18:], stadia)]) == (True, [])
    # A standfirst printed by one other text cannot be told from a quoted story: the rule needs two.
    assert judge_links(brief, [s1, x, s2]) == (True, [])
    # An original whose lead two briefs print, each on a template of its own (as much chrome as lead), and
    # whose body an edited repost holds: the briefs' other text is no other story's, as their terms say.
    original = np.arange(0, 100, dtype=np.uint32)
    b1, b2 = _with_rest(original[:20], 3000, 25, quake), _with_rest(original[:20], 5000, 25, quake)
    edited = _with_rest(original[40:], 7000, 30, quake)
    assert judge_links(original, [b1, edited, b2]) == (False, [])
    assert judge_links(original, [_with_rest(original[:20], 3000, 25, stadia), edited,
                                  _with_rest(original[:20], 5000, 25, stadia)]) == (False, [0, 2])


def test_briefs_on_one_template_join_their_stories_not_its_standfirst():
    # Text dumps of one template keep its 48-word standfirst above their articles: three briefs of stories
    # published elsewhere, and a long story of its own. Each brief was judged a roundup of its story and
    # the standfirst (which the other briefs print) and joined nothing.
    standfirst = " ".join(words(91, 48))
    stories = {name: words(seed, 500) for name, seed in (("quake", 92), ("stadia", 93), ("vote", 95))}
    arts = [article(name, " ".join(text), 1) for name, text in stories.items()]
    arts += [article(name + "-brief", standfirst + " " + " ".join(text[:70]), 2) for name, text in stories.items()]
    arts.append(article("own", standfirst + " " + " ".join(words(94, 600)), 2))
    run(arts, check_groups=equal_to([("quake", "quake-brief"), ("stadia", "stadia-brief"), ("vote", "vote-brief"),
                                     ("own",)]), cfg=MinHashConfig())


def test_judge_links_sets_aside_a_page_that_texts_of_unrelated_stories_print():
    # A brief dump kept its template's own lead and closing paragraph (43 of its 52 anchors) around its
    # 9-anchor brief, which none of its neighbours holds: a copy of story X on the template and a text of
    # story Y on it hold all that, each with its own story beside it. Neither story is the brief's.
    text = np.arange(0, 52, dtype=np.uint32)
    quake, stadia = _packed_terms(_QUAKE), _packed_terms(_STADIA)
    x, y = _with_rest(text[:43], 1000, 160, quake), _with_rest(text[:43], 3000, 80, stadia)
    assert judge_links(text, [x, y]) == (False, [0, 1])
    # Every neighbour goes, also one that is mostly the page itself.
    assert judge_links(text, [x, (text[:43], quake), y]) == (False, [0, 1, 2])
    # Not strays: texts of one story, as their terms say (a copy of a story on a template of its own, its
    # original and another copy each with their own page around it) ...
    assert judge_links(text, [x, _with_rest(text[:43], 3000, 80, quake)]) == (False, [])
    # ... the neighbours of a text with less than a brief's worth of its own (6 anchors) ...
    assert judge_links(text[:48], [x, y]) == (False, [])
    # ... and those of a text only one of the stories holds half of.
    assert judge_links(text, [x, _with_rest(text[:20], 3000, 80, stadia)]) == (False, [])


def test_a_brief_kept_inside_its_templates_own_article_joins_neither_story_on_the_template():
    # A brief put on a press release's template, whose dump kept the release's lead and its company's
    # closing paragraph (three times the brief), linked to a copy of another story on the template and
    # to the release itself, and made one cluster of both stories. (The page is less than a fifth of the
    # copy: as much as a part of it, linked only through a brief holding it, it would make it a roundup.)
    page = " ".join(words(96, 150))
    other, release, story = words(97, 700), words(98, 400), words(99, 500)
    arts = [article("other", " ".join(other), 1), article("other-on-template", page + " " + " ".join(other), 2),
            article("release", page + " " + " ".join(release), 1), article("story", " ".join(story), 1),
            article("story-brief", page + " " + " ".join(story[:60]), 2)]
    run(arts, check_groups=equal_to([("other", "other-on-template"), ("release",), ("story",), ("story-brief",)]),
        cfg=MinHashConfig())


def _linked_texts(rng, n_cases: int) -> list:
    """Texts with their neighbours, as stories, templates and briefs make them: ``[(anchors, [(anchors,
    terms)])]``. A text holds all or part of one story or two, and maybe a template's chrome that other
    stories' texts print too (a standfirst, a sign-off)."""
    stories = [np.arange(k * 10_000, k * 10_000 + int(rng.integers(15, 200))) for k in range(8)]
    chrome = [np.arange(100_000 + t * 1_000, 100_000 + t * 1_000 + int(rng.integers(4, 40))) for t in range(3)]
    terms = [_packed_terms(_QUAKE), _packed_terms(_STADIA)]

    def text(among=None, two=0.2):
        picked = (rng.choice(len(stories), size=1 + int(rng.random() < two), replace=False) if among is None
                  else rng.choice(among, size=1))
        parts = []
        for s in picked.tolist():
            story = stories[s]
            if rng.random() < 0.5:
                lo = int(rng.integers(0, story.size))
                parts.append(story[lo:lo + int(rng.integers(1, story.size + 1))])
            else:
                parts.append(story[rng.random(story.size) < rng.uniform(0.1, 1.0)])
        if rng.random() < 0.4:
            parts.append(chrome[int(rng.integers(0, len(chrome)))])
        parts.append(200_000 + rng.integers(0, 100_000, int(rng.integers(0, 60))))
        return np.unique(np.concatenate(parts)).astype(np.uint32), terms[int(picked[0]) % 2], picked

    cases = []
    for _ in range(n_cases):
        own, _, picked = text(two=0.4)
        if rng.random() < 0.3:
            # A brief or a passage alone: what passages and pages of other stories are judged around.
            own = own[np.sort(rng.permutation(own.size)[:int(rng.integers(1, MAX_QUERY_ANCHORS + 5))])]
        # Most neighbours are texts of the text's own stories.
        neighbours = [text(picked if rng.random() < 0.7 else None)[:2] for _ in range(int(rng.integers(0, 9)))]
        cases.append((own if rng.random() < 0.95 else own[:0], neighbours))
    return cases


def test_texts_judged_in_a_batch_are_judged_as_one_at_a_time():
    # Texts with no neighbour, one, or several; one part or several; passages that other stories print;
    # empty anchor lists: judge_texts decides most of them from counts made for the whole batch.
    cases = _linked_texts(np.random.default_rng(7), 3_000)
    expected = [judge_links(own, neighbours) for own, neighbours in cases]
    # At the counts' edges: two parts overlapping by less than half of the smaller (a roundup whose
    # neighbours hold only a little beyond it), and a page that one neighbour holds as much beyond as in it.
    span = lambda *ranges: np.concatenate([np.arange(a, b) for a, b in ranges]).astype(np.uint32)
    quake, stadia = _packed_terms(_QUAKE), _packed_terms(_STADIA)
    edges = [(span((0, 50), (100, 150)), [(span((0, 50), (1000, 1030)), quake),
                                          (span((35, 50), (100, 150), (2000, 2040)), stadia)]),
             (span((0, 20), (100, 130)), [(span((0, 20), (3000, 3020)), quake), (span((0, 20), (5000, 5025)), stadia)])]
    assert [judge_links(own, neighbours) for own, neighbours in edges] == [(True, []), (False, [0, 1])]
    # A page's part of a brief that two stories print, where the counts stop deciding: the text's anchors
    # left uncovered (6, as many as a part, are judged; 5 are not), and a story holding half the covered
    # anchors (judged; less than half is not).
    pages = [(span((0, 20), (100, 106)), [(span((0, 20), (3000, 3020)), quake), (span((0, 20), (5000, 5025)), stadia)]),
             (span((0, 20), (100, 105)), [(span((0, 20), (3000, 3020)), quake), (span((0, 20), (5000, 5025)), stadia)]),
             (span((0, 20), (100, 130)), [(span((0, 20), (3000, 3020)), quake), (span((0, 10), (5000, 5025)), stadia)]),
             (span((0, 20), (100, 130)), [(span((0, 20), (3000, 3020)), quake), (span((0, 9), (5000, 5025)), stadia)])]
    assert [judge_links(own, neighbours) for own, neighbours in pages] == [(False, [0, 1]), (False, [])] * 2
    # A passage's and a page's neighbours that are one story when the second shares a fifth of the smaller's
    # anchors beyond the text with the first (the one holding most of it), and two a shared anchor fewer.
    stories = [(span((0, 20)), [(span((0, 20), (1000, 1100)), quake),
                                (span((0, 10), (1000, 1010), (5000, 5040)), quake)]),
               (span((0, 20)), [(span((0, 20), (1000, 1100)), quake),
                                (span((0, 10), (1000, 1009), (5000, 5041)), quake)]),
               (span((0, 20), (100, 130)), [(span((0, 20), (3000, 3020)), quake),
                                            (span((0, 20), (3000, 3004), (5000, 5016)), stadia)]),
               (span((0, 20), (100, 130)), [(span((0, 20), (3000, 3020)), quake),
                                            (span((0, 20), (3000, 3003), (5000, 5017)), stadia)])]
    assert [judge_links(own, neighbours) for own, neighbours in stories] == [(False, []), (False, [1]),
                                                                             (False, []), (False, [0, 1])]
    edges += pages + stories
    cases += edges
    expected += ([(True, []), (False, [0, 1])] + [(False, [0, 1]), (False, [])] * 2
                 + [(False, []), (False, [1]), (False, []), (False, [0, 1])])
    packed = [(own.tobytes(), [(a.tobytes(), t) for a, t in neighbours]) for own, neighbours in cases]
    assert judge_texts(packed) == expected
    assert [judge_texts([case]) for case in packed[:200]] == [[e] for e in expected[:200]]
    # Every outcome is among them: roundups, strays, and plain texts decided by the counts alone.
    assert sum(roundup for roundup, _ in expected) > 25
    assert sum(bool(strays) for _, strays in expected) > 150
    assert containment._plain_texts(packed).sum() > 1_000
    # The counts decide the pages' and the stories' cases they can: those with no strays.
    assert containment._plain_texts(packed[-8:]).tolist() == [False, True, False, True, True, False, True, False]
