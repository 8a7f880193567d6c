"""The real-page corpus builder behind ``make bench-quality`` (fast: a subset of pages, no pipeline run).

Runs on the subset of the real pages kept in ``tests/data/real`` (31 pages and the 16 rewrites), so any
clone can run it; ``make bench-quality`` uses the full set.
"""
import collections
import json
from pathlib import Path

import pytest

from tests.bench import quality_corpus as qc

N_PAGES = 14
SUBSET = Path(__file__).resolve().parent / "data" / "real"


@pytest.fixture(scope="module")
def data():
    root = SUBSET
    every = qc.load_aeb(root)
    rewrites = set(qc.load_rewrites(root))
    ids = sorted(every)
    keep = set(ids[:: max(1, len(ids) // N_PAGES)]) | rewrites
    return root, {i: every[i] for i in sorted(keep)}, every


@pytest.fixture(scope="module")
def corpus(data):
    root, aeb, _ = data
    return qc.build_corpus(root, seed=0, aeb=aeb)


def shingles(text, k=6):
    w = qc.words(text)
    return set(zip(*(w[i:] for i in range(k))))


def visible(doc, content, aeb):
    if content is None:
        return qc.render_text(aeb[doc.source_page].html)
    return content if doc.fmt == "txt" else qc.render_text(content)


def test_same_seed_same_corpus_other_seed_differs(data, corpus):
    root, aeb, _ = data
    again = qc.build_corpus(root, seed=0, aeb=aeb)
    assert [(d, c, b) for d, c, b in again] == [(d, c, b) for d, c, b in corpus]
    first = dict(list(aeb.items())[:12])
    other = qc.build_corpus(root, seed=1, aeb=first, rewrites=False)
    same = qc.build_corpus(root, seed=0, aeb=first, rewrites=False)
    assert [(d.file, d.kind, d.template) for d, _, _ in other] != [(d.file, d.kind, d.template) for d, _, _ in same]
    assert [d for d, _, _ in corpus if d.kind != "original"]


def test_derived_bodies_sit_in_another_pages_article_slot(data, corpus):
    _, aeb, _ = data
    checked = 0
    for doc, content, body in corpus:
        if doc.kind == "original":
            continue
        assert doc.template != doc.source_page
        text = visible(doc, content, aeb)
        body_sh = shingles(body)
        assert len(body_sh & shingles(text)) >= 0.95 * len(body_sh), doc
        # The template's own article is gone (what is left is a teaser or a caption quoting it).
        own = shingles(aeb[doc.template].gold) - shingles(aeb[doc.source_page].gold)
        assert len(own & shingles(text)) <= 0.2 * len(own), doc
        if doc.fmt == "html":
            assert content.lstrip().lower().startswith("<!doctype html>") and 'charset="utf-8"' in content
        checked += 1
    assert checked >= 60


def test_find_slot_holds_most_of_the_gold_body(data):
    from tests.bench.bench_extract import token_prf
    _, aeb, _ = data
    f1 = []
    for page in aeb.values():
        slot, _ = qc.find_slot(qc._parse(page.html), page.gold)
        f1.append(token_prf(slot.text_content(), page.gold)[2])
    assert sorted(f1)[len(f1) // 2] > 0.9 and sum(f >= 0.6 for f in f1) >= 0.85 * len(f1)


def test_labels_are_consistent(data, corpus):
    _, aeb, _ = data
    events = qc.load_events()
    docs = [d for d, _, _ in corpus]
    by_file = {d.file: d for d in docs}
    assert len(by_file) == len(docs)
    kinds = collections.Counter(d.kind for d in docs)
    assert set(kinds) == set(qc.KINDS) and all(kinds[k] >= 5 for k in qc.KINDS), kinds
    fmts = collections.Counter(d.fmt for d in docs if d.kind != "original")
    assert abs(fmts["html"] - fmts["txt"]) <= 1
    for d in docs:
        assert d.event == events.get(d.source_page, f"aeb:{d.source_page}")
        assert d.file.endswith("." + d.fmt)
        if d.kind == "original":
            assert d.parent == "" and d.template == d.source_page and d.story == d.source_page
            continue
        parent = by_file[d.parent]
        assert parent.kind == "original" and parent.source_page == d.source_page and parent.event == d.event
        assert events.get(d.template, d.template) != events.get(d.source_page, d.source_page)
        if d.kind in qc.DERIVED:
            assert d.story == parent.story
        else:
            assert d.story == f"{d.source_page}:{d.kind}"
    for doc, _, body in corpus:
        n = len(body.split())
        if doc.kind == "brief":
            assert 40 <= n <= 110 and aeb[doc.source_page].gold.startswith(body.split("\n\n")[0][:40])
        if doc.kind == "edited":
            assert 0.45 < n / len(aeb[doc.source_page].gold.split()) < 0.85


def test_make_edited_and_make_brief_on_a_known_text():
    import random
    body = "\n\n".join(" ".join(f"Sentence {p}{s} has eight plain words in it." for s in range(3)) for p in range(6))
    assert qc.make_edited(body, random.Random(1), change=0).count("Sentence") == 12  # a third of 18 dropped
    edited = qc.make_edited(body, random.Random(1))
    assert 0.55 * len(body.split()) < len(edited.split()) < 0.7 * len(body.split())
    assert len(set(edited.split()) - set(body.split())) > 0  # words replaced
    brief = qc.make_brief(body, random.Random(1))
    assert 40 <= len(brief.split()) <= 110 and body.startswith(brief.split("\n\n")[0])


def test_events_file_is_consistent():
    # Every AEB page id (the subset holds only some of the pages).
    every = set((SUBSET / "aeb" / "all_ids.txt").read_text().split())
    raw = json.loads(qc.EVENTS_FILE.read_text())
    events = qc.load_events()
    assert set(events) <= set(every)
    assert all(len(e["pages"]) >= 2 for e in raw["events"].values())
    for a, b, _ in raw["apart"]:
        assert a in every and b in every and events.get(a, a) != events.get(b, b)


def test_write_corpus_writes_every_document_and_the_labels(tmp_path, data, corpus):
    _, aeb, _ = data
    small = corpus[:25]
    labels = qc.write_corpus(small, aeb, tmp_path)
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == sorted(d.file for d in labels)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert [t["file"] for t in truth] == [d.file for d in labels]
    for doc, content, _ in small:
        written = (tmp_path / "docs" / doc.file).read_bytes()
        assert written == (aeb[doc.source_page].raw if content is None else content.encode("utf-8"))


def test_derived_pages_carry_their_source_date_not_their_templates(data, corpus):
    from htmldate import find_date

    from transforms.extract.html import HtmlExtractor
    _, aeb, _ = data
    extractor = HtmlExtractor()
    date_of = {i: find_date(page.html, original_date=True, extensive_search=False) for i, page in aeb.items()}
    checked = 0
    for doc, content, _ in corpus:
        if doc.kind == "original" or doc.fmt != "html":
            continue
        want, template_date = date_of[doc.source_page], date_of[doc.template]
        if not want or want == template_date:
            continue
        got = extractor.extract(content, None).published
        assert got is not None and got.strftime("%Y-%m-%d") == want, (doc, template_date)
        checked += 1
    assert checked >= 10


def test_the_new_headline_replaces_the_templates_own_not_the_sites_logo(data):
    # ign's first <h1> is its section name ("Games"); the story's headline is a later one. Given the new
    # headline in the first, the page kept its own story's headline over the placed article.
    _, _, every = data
    template = every["287e4d9f4af3"]
    old = set(qc.words(template.headline))
    before = [" ".join(h.text_content().split()) for h in qc._parse(template.html).iter("h1")]
    assert before[0] == "Games" and any(len(set(qc.words(h)) & old) >= 0.6 * len(old) for h in before[1:])
    page = qc.place_body(template, "Lunar lander contracts widen to five companies",
                         "NASA added five companies to its lunar lander program on Monday.\n\nMore follows.")
    after = [" ".join(h.text_content().split()) for h in qc._parse(page).iter("h1")]
    assert "Games" in after and "Lunar lander contracts widen to five companies" in after
    assert not any(len(set(qc.words(h)) & old) >= 0.6 * len(old) for h in after)
