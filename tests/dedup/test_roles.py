"""Roles: the original of a cluster, and copies (truncated, wrapped) told from rewrites."""
import datetime as dt
import random

import numpy as np
import pytest

from tests.dedup.test_signing_lsh import WORDS
from transforms.dedup import roles
from transforms.dedup.records import Member
from transforms.dedup.signing import MinHashConfig, Signer
from transforms.tokens import content_hash

SIGNER = Signer(MinHashConfig())


def sentence(rng, n=18):
    return " ".join(rng.choice(WORDS) + str(rng.randrange(60)) for _ in range(n)).capitalize() + "."


def story(seed, paragraphs=12):
    rng = random.Random(seed)
    return [" ".join(sentence(rng) for _ in range(2)) for _ in range(paragraphs)]


def member(aid, paragraphs, day=1, site=None, credit=None, sketch=True):
    text = "\n\n".join(paragraphs)
    sig, n = SIGNER.sign([text])
    return Member(article_id=aid, content_hash=content_hash(text), sig=sig[0].tobytes(), n_shingles=int(n[0]),
                  published=dt.datetime(2024, 3, day, tzinfo=dt.timezone.utc) if day else None,
                  site=site, credited_source=credit, role_sketch=roles.role_sketch(text) if sketch else None)


def edit_words(paragraph, rng, n):
    words = paragraph.split(" ")
    for _ in range(n):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


BASE = story(1)
RNG = random.Random(2)
INTRO = sentence(RNG, 30)
TAGLINE = "Reporting by Jane Doe; The Associated Press contributed to this report."


def test_sketch_is_bounded_deterministic_and_flags_the_body():
    text = "\n".join([INTRO] + BASE[:3] + [TAGLINE])
    sketch = np.frombuffer(roles.role_sketch(text), dtype="<u4")
    assert len(sketch) == roles.SKETCH_SIZE
    assert roles.role_sketch(text) == roles.role_sketch(text)
    assert np.all(np.diff(sketch & ~np.uint32(1)) > 0)  # sorted, distinct
    body = np.frombuffer(roles.role_sketch("\n".join(BASE[:3])), dtype="<u4")
    assert 0 < np.count_nonzero(body & 1) < len(body)  # first and last paragraph are not body
    short = np.frombuffer(roles.role_sketch("just a few words here"), dtype="<u4")
    assert len(short) == 3 and np.all(short & 1)  # five words: all three shingles, all body
    assert roles.role_sketch("") == b""


@pytest.mark.parametrize("name,paragraphs", [
    ("verbatim", BASE),
    ("truncated", BASE[:3]),
    ("truncated under a local intro", [INTRO] + BASE[:4]),
    ("wrapped: intro and credit line", [INTRO] + BASE + [TAGLINE]),
    ("a paragraph dropped, copy-edited", [BASE[0]] + BASE[2:7] + [edit_words(BASE[7], random.Random(3), 1)] + BASE[8:]),
])
def test_near_verbatim_reposts_are_copies(name, paragraphs):
    share = roles.copy_share(member("x", paragraphs, 2), member("base", BASE, 1))
    assert share >= roles.COPY_SHARE, (name, share)
    assert roles.role_of(share, False) == "copy"


def test_rewrite_keeping_some_sentences_is_a_rewrite():
    fresh = story(9)
    # Each paragraph keeps one of its two sentences and gains a sentence of the rewriter's own.
    paragraphs = [p.split(". ")[0] + ". " + f.split(". ")[1] for p, f in zip(BASE, fresh)]
    share = roles.copy_share(member("rw", paragraphs, 2), member("base", BASE, 1))
    assert 0.2 < share < roles.COPY_SHARE
    unrelated = roles.copy_share(member("other", story(10), 2), member("base", BASE, 1))
    assert unrelated < 0.1
    assert roles.role_of(share, False) == "rewrite" and roles.role_of(share, True) == "original"


def test_share_falls_back_to_signatures_for_past_articles():
    past = member("past", BASE, 1, sketch=False)  # index rows carry signatures, not sketches
    assert roles.copy_share(member("x", BASE[:8], 2), past) > 0.85
    assert roles.copy_share(member("y", story(11), 2), past) < 0.2
    same = member("dup", BASE, 3)
    assert roles.copy_share(same, past) == 1.0  # same content hash


def test_canonical_is_own_outlet_then_earliest_then_most_central():
    base = member("zbase", BASE, 5)
    # A same-day repost with a local intro and its own edits is longer than the original...
    rng = random.Random(5)
    repost = member("arepost", [INTRO] + [edit_words(p, rng, 2) for p in BASE], 5)
    later = [member(f"later{i}", BASE[: 6 + i], 6 + i) for i in range(3)]
    # ...but the original is the one closest to every other member.
    assert roles.pick_canonical([repost, base] + later) is base
    assert roles.pick_canonical([repost] + later) is repost  # strictly earliest wins
    early = member("early", BASE, 4)
    assert roles.pick_canonical([base, early, repost]) is early
    own = member("own", BASE[:5], 9, site="apnews.com", credit="AP")
    assert roles.pick_canonical([base, early, own]) is own


def test_undated_original_competes_with_the_earliest_dated_members():
    rng = random.Random(7)
    base = member("zbase", BASE, day=None)  # its date was not found
    cut = member("cut", BASE[:7], 5)
    edited = member("edited", [INTRO] + [edit_words(p, rng, 3) for p in BASE], 5)
    later = member("later", BASE[:9], 8)
    assert roles.pick_canonical([cut, edited, later, base]) is base
    # An undated member no better than a dated one does not displace it.
    verbatim = member("averbatim", BASE, day=None)
    dated = member("zdated", BASE, 5)
    assert roles.pick_canonical([verbatim, dated, cut]) is dated


def test_references_are_the_members_not_published_after():
    ms = [member("a", BASE, 1), member("b", BASE, 3), member("c", BASE, 2), member("u", BASE, None)]
    by = {m.article_id: m for m in ms}
    refs = {r.article_id for r in roles.reference_members(by["c"], ms)}
    assert refs == {"a", "u"}  # b is later; an undated member cannot be ruled out
    assert {r.article_id for r in roles.reference_members(by["a"], ms)} == {"u"}
    assert {r.article_id for r in roles.reference_members(by["a"], ms[:3], canonical=by["c"])} == {"c"}
    many = [member(f"m{i:02d}", BASE[:3], 1) for i in range(40)]
    refs = roles.reference_members(member("z", BASE[:3], 2), many, canonical=many[-1])
    assert len(refs) == roles.MAX_REFERENCES + 1 and refs[-1] is many[-1]


FAR = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def _naive_references(m, members, canonical, limit=roles.MAX_REFERENCES):
    """``reference_members`` as first written: each member filters and sorts the cluster itself."""
    others = [o for o in members if o is not m and o.article_id != m.article_id]
    earlier = sorted((o for o in others if m.published is None or o.published is None or o.published <= m.published),
                     key=lambda o: (o.published or FAR, o.article_id))
    refs = earlier[:limit]
    if canonical is not None and canonical is not m and all(r is not canonical for r in refs):
        refs.append(canonical)
    return refs or others


def test_references_sorted_once_are_each_members_own():
    rng = random.Random(5)
    texts = [BASE, BASE[:4], [INTRO] + BASE[2:], story(9)]
    for trial in range(60):
        size = rng.randrange(1, 50)
        members = []
        for _ in range(size):
            # Few dates and ids, so ties and repeated ids are common; undated members, and the far future.
            aid = f"a{rng.randrange(size)}"
            day = rng.choice([None, 1, 2, 3, 5, 8])
            m = member(aid, rng.choice(texts), day or 1, sketch=rng.random() < 0.8)
            m = m._replace(published=None if day is None else (FAR if day == 8 and rng.random() < 0.3 else m.published))
            members.append(m)
        rng.shuffle(members)
        limit = rng.choice([1, 3, roles.MAX_REFERENCES])
        for canonical in (None, rng.choice(members)):
            refs = roles.References(members, canonical, limit)
            for m in members:
                want = _naive_references(m, members, canonical, limit)
                got = refs.of(m)
                assert [id(r) for r in got] == [id(r) for r in want]
                if got:
                    assert roles.best_copy_share(m, got) == max(roles.copy_share(m, r) for r in got)
                else:  # a member alone, or beside its own id only: as max() of nothing
                    with pytest.raises(ValueError):
                        roles.best_copy_share(m, got)


def test_one_role_rule_on_the_share_of_a_pair():
    assert roles.role_of(0.95, False) == "copy"  # truncated: low Jaccard, contained
    assert roles.role_of(0.7, False) == "rewrite"  # shares much, but a third is its own
    assert roles.role_of(0.0, True) == "original"


def test_canonical_of_a_giant_story_does_not_depend_on_member_order():
    rng = random.Random(11)
    members = [member(f"m{i:03d}", [edit_words(p, rng, rng.randrange(6)) for p in BASE[: 3 + i % 9]], 5)
               for i in range(90)]
    candidate = member("full", BASE, 5)
    scores, picks = set(), set()
    for seed in range(4):
        shuffled = members + [candidate]
        random.Random(seed).shuffle(shuffled)
        scores.add(round(roles._contains_others([candidate], shuffled)[0], 9))
        picks.add(roles.pick_canonical(shuffled).article_id)
    assert len(scores) == 1 and len(picks) == 1


def test_containment_of_the_others_searched_at_once_is_each_pairs_copy_share():
    rng = random.Random(8)
    # A long story's sketch is complete up to its largest entry, which its wrapped copy's body holds.
    long_story = story(4, 40)
    texts = [BASE, BASE[:3], [INTRO] + BASE[4:], story(9), long_story, [INTRO] + long_story + [TAGLINE],
             long_story[5:30], ["a few words only"]]
    for trial in range(25):
        members = [member(f"m{rng.randrange(90):02d}", rng.choice(texts), sketch=rng.random() < 0.8)
                   for _ in range(rng.randrange(2, 80))]
        candidates = rng.sample(members, min(len(members), 5)) + [member("long", long_story)]
        members.append(candidates[-1])
        for candidate, got in zip(candidates, roles._contains_others(candidates, members)):
            others = sorted((o for o in members if o is not candidate),
                            key=lambda o: o.article_id)[:roles._MAX_CONTAINMENT_MEMBERS]
            assert got == sum(roles.copy_share(o, candidate) for o in others) / len(others)


def test_copy_share_counts_the_body_entries_the_reference_holds():
    rng = random.Random(5)
    texts = [rng.sample(BASE, rng.randint(2, len(BASE))) + [sentence(rng, rng.randint(5, 80))] for _ in range(12)]
    shares = set()
    for x in texts:
        for r in texts:
            mx, mr = member("x", x), member("r", r)
            sx = np.frombuffer(mx.role_sketch, dtype="<u4")
            sr = np.frombuffer(mr.role_sketch, dtype="<u4") & ~np.uint32(1)
            body = sx[(sx & 1) == 1] & ~np.uint32(1)
            body = body[body <= sr[-1]] if len(sr) >= roles.SKETCH_SIZE else body
            # the share as a set intersection, however copy_share finds it
            expected = len(set(body.tolist()) & set(sr.tolist())) / len(body)
            assert roles.copy_share(mx, mr) == expected
            shares.add(expected)
    assert len(shares) > 10  # shares of every kind, not only 0 and 1


@pytest.mark.parametrize("text", [
    "\n".join(BASE), "", "\n\n", "İstanbul\nİzmir ünlü\n\u0307x y z", "a\r\nb c d\n\ne f g", "北京 budget\n上海 市",
    "ﬁne ligature\nＦｕｌｌｗｉｄｔｈ\nStraße MASSE",
])
def test_one_tokenisation_serves_the_signature_and_the_role_sketch(text):
    from transforms.dedup.shingles import shingle_hashes
    from transforms.tokens import words
    paragraphs = roles.paragraph_words(text)
    joined = [w for p in paragraphs for w in p]
    assert joined == words(text)
    assert roles.role_sketch(text, 3, paragraphs=paragraphs, hashes=shingle_hashes(joined, 3)) == roles.role_sketch(text)
