"""Containment links: a brief of a story joins it; a short text from elsewhere does not."""
import numpy as np
from apache_beam.testing.util import equal_to

from tests.dedup.test_cluster_transform import article, run, words
from transforms.dedup.containment import (MAX_QUERY_ANCHORS, containment_anchors, is_contained_brief,
                                          is_contained_text)
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
