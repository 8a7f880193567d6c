"""Shingling, signatures and banding agree with datasketch; components are right."""
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from transforms.dedup import lsh
from transforms.dedup.shingles import shard_order, span_indexes
from transforms.dedup.signing import MinHashConfig, Signer, affine_permutations, estimate_containment, estimate_jaccard, shingle_hashes, verification_signature
from transforms.tokens import content_hash, words

PINNED_NEWS_HASH = 17805029377940072764  # hash_words(['news']) under fnv-u16-poly3-v1

WORDS = ("minister council election troops border market shares storm flood court judge police budget school "
         "hospital vaccine trial rocket launch team coach season goal league strike union wages inflation bank "
         "rates housing prices drought wildfire bridge rail airport pilot crash ceasefire talks sanctions").split()


def make_docs(n_base=12, copies=3, seed=7):
    rng = random.Random(seed)
    docs = {}
    for b in range(n_base):
        base = [rng.choice(WORDS) for _ in range(120)]
        docs[f"b{b:02d}"] = " ".join(base)
        for c in range(copies):
            edited = list(base)
            for _ in range(rng.randint(1, 25)):
                edited[rng.randrange(len(edited))] = rng.choice(WORDS)
            docs[f"b{b:02d}c{c}"] = " ".join(edited[: rng.randint(60, 120)])
    return docs


def test_normalise_and_content_hash_ignore_case_and_punctuation():
    assert words("The “Quick”, brown FOX!") == ["the", "quick", "brown", "fox"]
    assert content_hash("Hello, World") == content_hash("hello world")
    assert content_hash("hello world") != content_hash("hello there world")
    assert len(content_hash("x")) == 16


def test_shingle_hashes_count_and_short_text():
    words = "a b c d e".split()
    assert len(shingle_hashes(words, 3)) == 3
    assert len(shingle_hashes(["a"], 3)) == 1
    assert len(shingle_hashes([], 3)) == 0
    # Order matters inside a shingle.
    assert shingle_hashes(["a", "b", "c"], 3)[0] != shingle_hashes(["c", "b", "a"], 3)[0]


def test_signatures_equal_datasketch_update_batch():
    cfg = MinHashConfig(num_perm=64, seed=3)
    signer = Signer(cfg)
    texts = list(make_docs(n_base=3).values())
    sigs, counts = signer.sign(texts)
    for text, sig, count in zip(texts, sigs, counts):
        h = signer.hashes(text)
        m = MinHash(num_perm=64, seed=3, hashfunc=lambda x: x)
        m.update_batch(h.tolist())
        assert np.array_equal(m.hashvalues, sig)
        assert count == len(set(h.tolist()))


def test_permutations_are_datasketchs():
    for num_perm, seed in ((128, 1), (64, 3), (256, 12345), (2, 0)):
        a, b = affine_permutations(num_perm, seed)
        da, db = MinHash(num_perm=num_perm, seed=seed).permutations
        assert a.dtype == da.dtype and b.dtype == db.dtype
        assert np.array_equal(a, da) and np.array_equal(b, db)


def test_a_run_does_not_import_datasketch():
    # datasketch imports SciPy: 0.45 s at the start of every run, for the permutations drawn above.
    probe = "import sys, pipeline.cli; print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_batching_does_not_change_signatures():
    signer = Signer(MinHashConfig())
    texts = list(make_docs(n_base=4).values())
    hashes = [signer.hashes(t) for t in texts]
    assert np.array_equal(signer.sign_hashes(hashes, chunk=50), signer.sign_hashes(hashes, chunk=10**6))


def test_config_uses_datasketch_optimal_bands_and_validates():
    cfg = MinHashConfig(num_perm=128, threshold=0.5, fn_weight=0.5)
    ref = MinHashLSH(threshold=0.5, num_perm=128)
    assert (cfg.bands, cfg.rows) == (ref.b, ref.r)
    with pytest.raises(ValueError):
        MinHashConfig(threshold=1.5)
    with pytest.raises(ValueError):
        MinHashConfig(num_perm=16, bands=10, rows=2)


def test_candidate_pairs_equal_datasketch_minhashlsh():
    cfg = MinHashConfig(num_perm=128, threshold=0.4, seed=1)
    signer = Signer(cfg)
    docs = make_docs()
    ids = sorted(docs)
    sigs, _ = signer.sign(docs[i] for i in ids)

    ours_buckets = {}
    for doc_id, sig in zip(ids, sigs):
        for key in lsh.band_keys(sig, cfg.bands, cfg.rows):
            ours_buckets.setdefault(key, []).append(doc_id)
    ours = set()
    for members in ours_buckets.values():
        pairs, capped = lsh.bucket_pairs(members, cap=10**6)
        assert not capped
        ours.update(pairs)

    ref = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm, params=(cfg.bands, cfg.rows))
    mhs = {}
    for doc_id, sig in zip(ids, sigs):
        mhs[doc_id] = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashvalues=sig, scheme="affine32")
        ref.insert(doc_id, mhs[doc_id])
    theirs = {tuple(sorted((a, b))) for a in ids for b in ref.query(mhs[a]) if a != b}
    assert len(ours) > len(ids) // 2  # the corpus really has candidates
    assert ours == theirs


def test_estimates_match_datasketch_jaccard():
    signer = Signer(MinHashConfig())
    docs = make_docs(n_base=2)
    a, b = docs["b00"], docs["b00c0"]
    (sa, sb), (na, nb) = signer.sign([a, b])
    ma = MinHash(num_perm=128, seed=1, hashvalues=sa, scheme="affine32")
    mb = MinHash(num_perm=128, seed=1, hashvalues=sb, scheme="affine32")
    assert estimate_jaccard(sa, sb) == pytest.approx(ma.jaccard(mb))
    assert estimate_containment(1.0, 10, 10) == 1.0
    assert estimate_containment(0.5, 100, 50) == pytest.approx(1.0)  # B inside A: |A&B|=50
    assert estimate_containment(0.0, 10, 0) == 0.0


def test_verification_signature_keeps_the_jaccard_estimate():
    signer = Signer(MinHashConfig())
    docs = make_docs(n_base=12, copies=3)
    ids = sorted(docs)
    sigs, _ = signer.sign(docs[i] for i in ids)
    short = [np.frombuffer(verification_signature(s.tobytes()), dtype=np.uint16) for s in sigs]
    assert len(verification_signature(sigs[0].tobytes())) == 2 * len(sigs[0])
    assert np.array_equal(short[0], sigs[0] & 0xFFFF)
    diffs = [abs(estimate_jaccard(short[a], short[b]) - estimate_jaccard(sigs[a], sigs[b]))
             for a in range(len(ids)) for b in range(a + 1, len(ids))]
    # 1,128 pairs x 128 values: each chance agreement of the low 16 bits (p = 2^-16) moves an estimate by 1/128.
    assert sum(d > 0 for d in diffs) <= 6  # ~1.8 expected
    assert max(diffs) <= 1 / 128


def test_bucket_pairs_caps_giant_bucket_to_star():
    members = [f"d{i:04d}" for i in range(1000)]
    pairs, capped = lsh.bucket_pairs(members, cap=50)
    assert capped and len(pairs) == 999
    assert all(a == "d0000" for a, _ in pairs)
    small, capped = lsh.bucket_pairs(["b", "a", "c", "a"], cap=50)
    assert not capped and small == [("a", "b"), ("a", "c"), ("b", "c")]


def components(edges):
    uf = lsh.UnionFind()
    for a, b in edges:
        uf.union(a, b)
    return uf.components()


def test_connected_components_chain_and_labels():
    comps = components([("c", "d"), ("a", "b"), ("b", "c"), ("x", "y")])
    assert comps == {"a": "a", "b": "a", "c": "a", "d": "a", "x": "x", "y": "x"}


def test_union_find_long_chain_and_star():
    n = 20000
    edges = [(f"n{i:06d}", f"n{i + 1:06d}") for i in range(n)] + [("hub", f"s{i}") for i in range(n)]
    comps = components(edges)
    assert len(set(comps.values())) == 2
    assert comps["n020000"] == "n000000" and comps["s5"] == "hub"


def test_union_find_counts_its_working_set():
    uf = lsh.UnionFind()
    for a, b in [("a", "b"), ("b", "c"), ("a", "c"), ("x", "y")]:
        uf.union(a, b)
    assert len(uf) == 5 and uf.edges == 4


def test_components_independent_of_edge_order():
    rng = random.Random(1)
    edges = [(f"{rng.randrange(300)}", f"{rng.randrange(300)}") for _ in range(250)]
    ref = components(edges)
    for _ in range(5):
        rng.shuffle(edges)
        assert components([(b, a) for a, b in edges]) == ref


def test_cjk_text_is_tokenised_per_character():
    # Without spaces, a Chinese or Japanese article must not collapse into a handful of "words".
    assert words("北京市政府宣布 budget 2025") == ["北", "京", "市", "政", "府", "宣", "布", "budget", "2025"]
    assert len(words("東京都は月曜日に新しい予算を発表した。")) == 18


def test_word_hashes_are_stable_and_length_aware():
    from transforms.dedup.signing import HASH_VERSION, hash_words
    h = hash_words(["storywire", "storywire", "internationalisation", "internationalisations"])
    assert h[0] == h[1] and h[2] != h[3]  # long words that share 16 characters still differ by length
    # Pinned: if this changes, stored signatures change too, and HASH_VERSION must change with it.
    assert HASH_VERSION == "fnv-u16-poly3-v1"
    assert int(hash_words(["news"])[0]) == PINNED_NEWS_HASH


def test_term_hashes_tell_apart_long_terms_that_start_alike():
    from transforms.dedup.shingles import WORD_WIDTH, hash_terms, hash_words
    short = ["news", "storywire", "x" * WORD_WIDTH]
    assert np.array_equal(hash_terms(short), hash_words(short))
    # As long and alike in their first 16 characters (hash_words gives each pair one hash), or past 32.
    long = ["internationalisation_a", "internationalisation_b", "internationalisation_a",
            "x" * WORD_WIDTH + "y" * WORD_WIDTH + "z", "x" * WORD_WIDTH + "y" * WORD_WIDTH + "w"]
    assert hash_words(long)[0] == hash_words(long)[1] and hash_words(long)[3] == hash_words(long)[4]
    h = hash_terms(long)
    assert h[0] == h[2] and len(set(h.tolist())) == 4
    assert hash_terms([]).size == 0
    # A whole line with no space in it is one token: hashed in full, without running out of stack.
    line = "x" * 100_000
    h = hash_terms([line + "a", line + "b", line + "a"])
    assert h[0] == h[2] != h[1]


def test_band_keys_are_varint_sized_ints_with_their_band():
    from apache_beam.coders import coders
    cfg = MinHashConfig()
    sig, _ = Signer(cfg).sign([" ".join(WORDS)])
    keys = lsh.band_keys(sig[0], cfg.bands, cfg.rows)
    assert len(set(keys)) == cfg.bands
    assert all(0 <= k < 2 ** 63 for k in keys)
    assert [lsh.band_of(k) for k in keys] == list(range(cfg.bands))
    # Beam's default coder writes them as varints (type byte + at most 9 bytes), never pickled.
    assert max(len(coders.FastPrimitivesCoder().encode(k)) for k in keys) <= 10


def test_shard_order_is_the_stable_order_of_the_shard_numbers():
    # Shard numbers repeat: only a stable sort orders each shard's entries as they came.
    rng = np.random.default_rng(7)
    for shards in (1, 64, 1 << 16, (1 << 16) + 1, 1 << 40):
        # A few shard numbers, the largest among them, each many times.
        shard = rng.choice(np.append(rng.integers(0, shards, 40), shards - 1), 5_000)
        assert np.array_equal(shard_order(shard, shards), np.argsort(shard, kind="stable"))
    assert shard_order(np.zeros(0, dtype=np.int64), 64).size == 0


def test_span_indexes_are_each_spans_indexes_one_span_after_another():
    starts, lengths = np.array([5, 0, 9, 2]), np.array([3, 0, 1, 2])
    assert span_indexes(starts, lengths).tolist() == [5, 6, 7, 9, 2, 3]
    assert span_indexes(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).size == 0


def test_band_groups_and_split_buckets_form_the_buckets_of_one_key_per_band():
    cfg = MinHashConfig(num_perm=128, threshold=0.4, seed=1)
    docs = make_docs()
    ids = sorted(docs)
    sigs, _ = Signer(cfg).sign(docs[i] for i in ids)
    expected = {}
    for doc_id, sig in zip(ids, sigs):
        for key in lsh.band_keys(sig, cfg.bands, cfg.rows):
            expected.setdefault(key, []).append(doc_id)
    keys = lsh.band_key_matrix(np.asarray(sigs), cfg.bands, cfg.rows)
    # Two batches, as two bundles would send them; 4 shards, each with keys of every band.
    groups = {}
    for lo, hi in ((0, 17), (17, len(ids))):
        for group, batch in lsh.band_groups(keys[lo:hi], ids[lo:hi], shards=4):
            groups.setdefault(group, []).append(batch)
    assert len(groups) <= 4
    got, singles = [], 0
    for batches in groups.values():
        n_single, buckets = lsh.split_buckets(batches)
        singles += n_single
        got.extend(buckets)
    # Each bucket's members in the order they were sent (ids in order, batch after batch).
    shared = [m for m in expected.values() if len(m) > 1]
    assert sorted(got) == sorted(shared) and shared
    assert singles == sum(len(m) == 1 for m in expected.values())
    assert lsh.split_buckets([]) == (0, [])


def test_split_mixed_buckets_leaves_out_the_buckets_of_one_label_only():
    # Keys 5, 7, 9 and 11 over two records; members are positions, labels their story clusters.
    keys = [np.array([7, 5, 9, 7, 11], dtype=np.uint64), np.array([5, 7, 9, 5], dtype=np.uint64)]
    batches = [(keys[0].tobytes(), [0, 1, 2, 3, 4]), (keys[1].tobytes(), [5, 6, 7, 8])]
    labels = np.array([3, 1, 2, 3, 4, 1, 4, 2, 6])
    sizes, buckets = lsh.split_mixed_buckets(batches, labels)
    # Key 5: members 1, 5, 8 (labels 1, 1, 6); key 7: 0, 3, 6 (3, 3, 4); key 9: 2, 7 (2, 2); key 11: 4 alone.
    assert sizes.tolist() == [3, 3, 2, 1]
    assert buckets == [[1, 5, 8], [0, 3, 6]]
    # Every bucket of two or more is there when the labels differ everywhere, in the members' order, as
    # split_buckets gives them.
    assert lsh.split_mixed_buckets(batches, np.arange(9))[1] == lsh.split_buckets(batches)[1] == [
        [1, 5, 8], [0, 3, 6], [2, 7]]
    assert lsh.split_mixed_buckets(batches, np.zeros(9, dtype=np.int64))[1] == []
    empty_sizes, empty = lsh.split_mixed_buckets([], np.zeros(0, dtype=np.int64))
    assert empty == [] and empty_sizes.size == 0
