"""What clustering compares of an article, computed without Beam: signing, presigning and keeping it."""
import subprocess
import sys

import numpy as np

from tests.dedup.test_cluster_transform import article, words
from transforms.dedup import roles
from transforms.dedup.events import articles_event_terms
from transforms.dedup.features import SIGNED_TEXT, complete_signatures, containment_anchors, presign, sign_articles
from transforms.dedup.signing import MinHashConfig, Signer

CFG = MinHashConfig()
SIGNER = Signer(CFG)


def batch():
    return [{**article("a", " ".join(words(1, 120))), "title": "Quake hits the coast"},
            article("b", "\n".join([" ".join(words(2, 30)), " ".join(words(3, 60)), " ".join(words(4, 20))])),
            article("c", " ".join(words(5, 40)))]


def test_sign_articles_computes_each_field_as_its_own_module_does():
    arts = batch()
    signed = sign_articles(arts, SIGNER)
    sigs, counts = SIGNER.sign([a["text"] for a in arts])
    for a, s, sig, n in zip(arts, signed, sigs, counts):
        assert {k: s[k] for k in a} == a  # the article's own fields are untouched
        assert s["sig"] == sig.tobytes() and s["n_shingles"] == n
        assert s["anchors"] == containment_anchors(SIGNER.hashes(a["text"])).tobytes()
        assert s["event_terms"] == articles_event_terms([a])[0]
        assert s["role_sketch"] == roles.role_sketch(a["text"], CFG.shingle_size)
    assert sign_articles([], SIGNER) == []
    # A worker's plain MinHasher (no datasketch) signs the same.
    assert sign_articles(arts, SIGNER.hasher()) == signed


def test_anchors_are_a_sorted_content_defined_sample():
    hashes = SIGNER.hashes(" ".join(words(7, 400)))
    anchors = containment_anchors(hashes)
    assert np.all(np.diff(anchors.astype(np.int64)) > 0)
    assert set(anchors.tolist()) <= set(hashes.tolist())
    # Each anchor is an anchor because of its own value: the same in any text holding it.
    assert np.array_equal(containment_anchors(anchors), anchors)
    assert 0 < len(anchors) < len(np.unique(hashes))


def test_anchors_are_the_hashes_whose_mix_is_0_mod_sample_mod():
    # containment_anchors reads the mixed value's bits instead of shifting it and taking the remainder.
    from transforms.dedup.features import MAX_ANCHORS, SAMPLE_MOD, anchor_mix
    rng = np.random.default_rng(5)
    for n in (0, 1, 7, 300, 5_000, 40_000):
        hashes = np.unique(rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32))
        hashes = np.concatenate([hashes, np.array([0, 2 ** 32 - 1], dtype=np.uint32)]) if n == 7 else hashes
        hashes = np.unique(hashes)
        expected = hashes[anchor_mix(hashes) % SAMPLE_MOD == 0][:MAX_ANCHORS]
        assert np.array_equal(containment_anchors(hashes, distinct=True), expected)
    assert len(containment_anchors(hashes, distinct=True)) == MAX_ANCHORS


def test_presigned_articles_with_unchanged_texts_are_kept_as_signed():
    arts = batch()
    pre = presign(arts, SIGNER)
    assert all(SIGNED_TEXT in p and "event_terms" in p and "sig" in p for p in pre)
    # A signer that would fail on any text proves nothing is signed again (the event terms included).
    done = complete_signatures(pre, signer=None)
    assert done == sign_articles(arts, SIGNER)
    assert not any(SIGNED_TEXT in d for d in done)


def test_an_article_whose_text_changed_after_presigning_is_signed_again():
    arts = batch()
    pre = presign(arts, SIGNER)
    # As DropSiteBoilerplate does: a paragraph removed, the content hash following the text.
    stripped = "\n".join(pre[1]["text"].split("\n")[:2])
    pre[1] = {**pre[1], "text": stripped, "content_hash": "new"}
    done = complete_signatures([pre[0], pre[1], arts[2]], SIGNER)
    expected = sign_articles([arts[0], {**arts[1], "text": stripped, "content_hash": "new"}, arts[2]], SIGNER)
    assert done == expected
    assert done[1]["sig"] != pre[1]["sig"] and done[1]["role_sketch"] != pre[1]["role_sketch"]


def test_the_signing_path_imports_without_apache_beam():
    # The extraction workers run it: Beam would cost each of them ~190 MB, datasketch (SciPy) ~56 MB.
    code = ("import sys, transforms.extract.parallel, transforms.dedup.features; "
            "sys.exit('apache_beam' in sys.modules or 'datasketch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
