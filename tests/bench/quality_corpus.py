"""Labelled corpora built from real pages, for ``make bench-quality`` (issue 18).

Data (not in the repository): ``ROOT/../shared/data`` or ``$STORYWIRE_DATA``, holding

- ``aeb/``: 181 real pages (``html/<id>.html.gz``) with their hand-checked article bodies
  (``ground-truth.json``), from the article-extraction-benchmark;
- ``rewrites/<id12>/``: 16 of those stories with a close paraphrase, a condensed rewrite
  and an independent report (``close.txt``, ``condensed.txt``, ``independent.txt``).

``build_corpus`` makes one corpus of both:

- every AEB page with at least ``MIN_GOLD_WORDS`` words of article is an ``original``,
  as its own HTML (a quarter of them rendered to a text dump instead);
- derived documents of an original, each placed into the article slot of ANOTHER real
  page (``place_body``: the element holding most of that page's own article text is
  emptied and the derived body goes in as ``<p>`` paragraphs; title and first ``<h1>``
  take the source's headline; the template's own dates give way to the source's, as a
  site reposting a story dates it when it runs it): ``copy`` (the gold body unchanged), ``brief`` (the lead,
  40-110 words, cut at a sentence end), ``edited`` (a third of the sentences dropped, one
  word in eight replaced or deleted). Half of them stay HTML, half are rendered to text
  dumps with inscriptis (``render_text``);
- the rewrites set: ``close``, ``condensed`` and ``independent`` texts, wrapped the same
  way (half as text dumps). Their original is the AEB page of the same id, in its own
  real template. They belong to their original's event, not its story.

Labels: ``story`` is the source text (an original and its copies, briefs and edited
reposts share it; each rewrite is a story of its own), ``event`` the real news event
(``aeb_events.json`` groups pages of different outlets that report one event; every other
page is an event of its own). Everything is deterministic in the seed.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import os
import random
import re
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[2]
EVENTS_FILE = Path(__file__).resolve().parent / "aeb_events.json"

__all__ = ["DataMissing", "data_dir", "AebPage", "load_aeb", "load_events", "load_rewrites", "find_slot",
           "place_body", "render_text", "make_brief", "make_edited", "QualityDoc", "build_corpus",
           "write_corpus", "KINDS", "DERIVED", "REWRITES"]

MIN_GOLD_WORDS = 40
DERIVED = ("copy", "brief", "edited")
REWRITES = ("close", "condensed", "independent")
KINDS = ("original",) + DERIVED + REWRITES

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SENTENCE_RE = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"”’)]))\s+(?=[\"“‘(]?[A-Z0-9À-ÖØ-ÞА-Я])")
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head"}
# Words an editor's hand or a spinner puts in place of another one.
_REPLACEMENTS = ("also", "now", "reportedly", "still", "very", "the", "a", "local", "new", "officials",
                 "people", "recently", "said", "further", "major", "many", "some", "its", "their", "again")


class DataMissing(RuntimeError):
    """The shared data folder is not where the bench looks for it."""


def data_dir() -> Path:
    """``$STORYWIRE_DATA`` or ``ROOT/../shared/data``; raises ``DataMissing`` with a hint."""
    path = Path(os.environ.get("STORYWIRE_DATA") or ROOT.parent / "shared" / "data")
    if not (path / "aeb" / "ground-truth.json").is_file() or not (path / "rewrites").is_dir():
        raise DataMissing(f"real-page data not found in {path} (needs aeb/ground-truth.json, aeb/html/ and "
                          "rewrites/); set STORYWIRE_DATA to the folder that holds aeb/ and rewrites/")
    return path


def words(text: str) -> List[str]:
    return _WORD_RE.findall((text or "").lower())


# ---------------------------------------------------------------------------------------------
# Source data
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class AebPage:
    id12: str
    html: str      # decoded page
    raw: bytes     # the page's bytes as fetched
    gold: str      # article body, paragraphs separated by blank lines
    url: str
    headline: str


def _decode(raw: bytes) -> str:
    from transforms.extract.charset import decode_bytes
    return decode_bytes(raw, None)[0]


def _parse(html: str):
    import lxml.html
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    return lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)


def _headline(tree) -> str:
    for xp in ("//meta[@property='og:title']/@content", "//h1", "//title"):
        found = tree.xpath(xp)
        for f in found:
            text = " ".join((f if isinstance(f, str) else f.text_content()).split())
            if 3 <= len(text) <= 300:
                return text
    return ""


def load_aeb(root: Path) -> Dict[str, AebPage]:
    """id12 -> page, for every AEB page (sorted by id)."""
    gold = json.loads((root / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for pid in sorted(gold):
        raw = gzip.decompress((root / "aeb" / "html" / f"{pid}.html.gz").read_bytes())
        html = _decode(raw)
        pages[pid[:12]] = AebPage(pid[:12], html, raw, gold[pid]["articleBody"], gold[pid]["url"],
                                  _headline(_parse(html)))
    return pages


def load_events(path: Path = EVENTS_FILE) -> Dict[str, str]:
    """id12 -> event label for the pages ``aeb_events.json`` groups."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for name, event in data["events"].items():
        for pid in event["pages"]:
            if pid in out:
                raise ValueError(f"{pid} is in two events: {out[pid]} and {name}")
            out[pid] = name
    return out


def load_rewrites(root: Path) -> Dict[str, Dict[str, tuple]]:
    """story id12 -> {kind: (headline, body)} for original, close, condensed, independent."""
    out = {}
    for d in sorted(p for p in (root / "rewrites").iterdir() if p.is_dir()):
        texts = {}
        for kind in ("original",) + REWRITES:
            text = (d / f"{kind}.txt").read_text(encoding="utf-8").strip()
            head, _, body = text.partition("\n\n")
            texts[kind] = (head.strip(), body.strip())
        out[d.name] = texts
    return out


# ---------------------------------------------------------------------------------------------
# The article slot of a real page
# ---------------------------------------------------------------------------------------------

def find_slot(tree, gold: str) -> tuple:
    """(element, counts): the element whose text best matches ``gold`` (token F1, counted bottom-up
    in one pass), and per element its (tokens, tokens in the gold's vocabulary).

    Precision is the share of the element's tokens that are gold vocabulary, recall the
    share of the gold's tokens the element holds; the best F1 is the element that holds
    most of the body and little else.
    """
    vocab = set(words(gold))
    n_gold = len(words(gold)) or 1
    counts = {}
    best, best_f1 = None, -1.0

    def count(text: Optional[str]) -> tuple:
        toks = words(text) if text else []
        return len(toks), sum(1 for t in toks if t in vocab)

    def visit(el) -> tuple:
        nonlocal best, best_f1
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in _SKIP_TAGS:
            return 0, 0
        total, hit = count(el.text)
        for child in el:
            t, h = visit(child)
            tt, th = count(child.tail)
            total, hit = total + t + tt, hit + h + th
        counts[el] = (total, hit)
        if total and tag.lower() not in ("html", "body"):
            p, r = hit / total, min(hit, n_gold) / n_gold
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            if f1 > best_f1:
                best, best_f1 = el, f1
        return total, hit

    visit(tree)
    if best is None:
        best = tree.find("body") if tree.find("body") is not None else tree
    return best, counts


def _stray_gold(tree, slot, counts: dict) -> list:
    """Top-most elements outside ``slot`` that are almost all article text (a split body's other parts)."""
    inside = set(slot.iter())
    above = set(slot.iterancestors())
    out = []

    def visit(el):
        if el in inside:
            return
        total, hit = counts.get(el, (0, 0))
        if el not in above and total >= 12 and hit >= 0.9 * total:
            out.append(el)
            return
        for child in el:
            visit(child)

    visit(tree)
    return out


def _set_utf8(tree) -> None:
    import lxml.html
    for meta in tree.xpath("//meta[@charset] | //meta[translate(@http-equiv,'CONTENTYP','contentyp')='content-type']"):
        meta.getparent().remove(meta)
    head = tree.find("head")
    if head is None:
        head = lxml.html.Element("head")
        tree.insert(0, head)
    head.insert(0, lxml.html.Element("meta", charset="utf-8"))


_SLOTS: Dict[tuple, tuple] = {}


def place_body(template: AebPage, headline: str, body: str, published: Optional[str] = None) -> str:
    """``template``'s page with ``body`` (paragraphs split on blank lines) in its article slot.

    The page's own article goes, its chrome stays; its ``<title>`` and the first ``<h1>``
    outside the slot take ``headline``. Structured data (JSON-LD) that describes the
    template's own article is dropped, as a page reusing a template would not carry it.
    So are the template's own publication dates (date meta tags, ``<time datetime>``): a site
    reposting or rewriting a story dates it when it publishes it, close to the story's own date,
    which is ``published`` (YYYY-MM-DD, as a ``article:published_time`` meta tag) when known.
    """
    import lxml.html
    tree = _parse(template.html)
    root = tree.getroottree()
    key = (template.id12, len(template.html), hash(template.gold))
    if key not in _SLOTS:  # where the slot is depends on the page alone: find it once per page
        slot, counts = find_slot(tree, template.gold)
        _SLOTS[key] = (root.getpath(slot), [root.getpath(el) for el in _stray_gold(tree, slot, counts)])
    slot_path, stray_paths = _SLOTS[key]
    slot = root.xpath(slot_path)[0]
    for el in [root.xpath(p)[0] for p in stray_paths]:
        el.drop_tree()
    tail, attrib = slot.tail, dict(slot.attrib)
    slot.clear()
    slot.tail = tail
    for k, v in attrib.items():
        slot.set(k, v)
    if slot.tag in ("p", "span", "a", "li", "td", "font", "b", "i", "em", "strong", "h1", "h2", "h3"):
        slot.tag = "div"
    for para in (p.strip() for p in body.split("\n\n")):
        if para:
            el = lxml.html.Element("p")
            el.text = " ".join(para.split())
            slot.append(el)
    for script in tree.xpath("//script[@type='application/ld+json']"):
        script.getparent().remove(script)
    _redate(tree, published)
    if headline:
        title = tree.find(".//title")
        if title is not None:
            title.text = headline
        h1 = _headline_h1(tree, slot, template.headline)
        if h1 is not None:
            for child in list(h1):
                h1.remove(child)
            h1.text = headline
        for meta in tree.xpath("//meta[@property='og:title' or @name='twitter:title']"):
            meta.set("content", headline)
    _set_utf8(tree)
    return "<!DOCTYPE html>\n" + lxml.html.tostring(tree, encoding="unicode", method="html")


def _headline_h1(tree, slot, own_headline: str):
    """The ``<h1>`` outside the slot that holds the template's own headline (most of its words), else the
    first ``<h1>`` outside the slot; None when there is none.

    On some templates the first ``<h1>`` is the site's logo or section name (cbsnews, wsj, spokesman.com,
    ign): given the new headline there, the page kept its own story's headline over the article, a page no
    site would serve, and extraction read it as the article's first line (on an unseen seed it linked a
    rewrite placed on the cbsnews page to that page's own story, another event).
    """
    outside = [h for h in tree.iter("h1") if not any(anc is slot for anc in h.iterancestors())]
    own = set(words(own_headline))
    if own:
        for h1 in outside:
            if len(set(words(h1.text_content())) & own) >= HEADLINE_H1_SHARE * len(own):
                return h1
    return outside[0] if outside else None


#: Share of the template's headline words an ``<h1>`` holds to be taken for the one that shows it.
HEADLINE_H1_SHARE = 0.6


_DATE_WORDS = ("date", "time", "publish", "modified", "created", "updated")


def _redate(tree, published: Optional[str]) -> None:
    for meta in tree.xpath("//meta"):
        key = " ".join(meta.get(a) or "" for a in ("name", "property", "itemprop", "http-equiv")).lower()
        if any(w in key for w in _DATE_WORDS):
            meta.getparent().remove(meta)
    for el in tree.xpath("//*[@datetime]"):
        del el.attrib["datetime"]
    if published:
        import lxml.html
        head = tree.find(".//head")
        if head is not None:
            head.append(lxml.html.Element("meta", property="article:published_time", content=published))


def source_date(page: AebPage) -> Optional[str]:
    """The publication date (YYYY-MM-DD) of a real page, as htmldate finds it, or None."""
    if page.id12 not in _DATES:
        from htmldate import find_date
        try:
            _DATES[page.id12] = find_date(page.html, original_date=True, extensive_search=False)
        except (ValueError, TypeError):
            _DATES[page.id12] = None
    return _DATES[page.id12]


_DATES: Dict[str, Optional[str]] = {}


def render_text(html: str) -> str:
    """A plain-text dump of a page, as an HTML-to-text renderer (inscriptis) gives it."""
    from inscriptis import get_text
    return get_text(html)


def render_markdown(html: str, width: int = 0) -> str:
    """A page as html2text writes it: Markdown, its paragraphs hard-wrapped at ``width`` (0: not wrapped;
    html2text's own default is 78, as lynx and w3m wrap at about 80)."""
    import html2text
    renderer = html2text.HTML2Text()
    renderer.body_width = width
    return renderer.handle(html)


def render_markdownify(html: str) -> str:
    """A page as markdownify writes it: Markdown like html2text's, with a link around a block (a teaser's
    heading) opened and closed on lines of their own, and headings underlined."""
    import markdownify
    return markdownify.markdownify(html)


# Text nodes get_text leaves out: code and styles, and what a browser only shows without scripts.
_HIDDEN_TEXT = "//text()[not(ancestor::script or ancestor::style or ancestor::template or ancestor::noscript)]"


def render_nodes(html: str) -> str:
    """A page as BeautifulSoup's ``get_text("\\n", strip=True)`` writes it, the dump most scripts make by
    hand: every text node on a line of its own, stripped, so a paragraph breaks at each link and emphasis.
    Made with lxml, which the pipeline has (beautifulsoup4 is only in the test extras, for markdownify)."""
    nodes = (node.strip() for node in _parse(html).xpath(_HIDDEN_TEXT))
    return "\n".join(node for node in nodes if node)


def render_run_together(html: str) -> str:
    """A page much as BeautifulSoup's ``get_text()`` (or lxml's ``text_content()``) writes it: the text nodes run
    together, with the newlines the HTML has between its tags and no others."""
    return "".join(_parse(html).xpath(_HIDDEN_TEXT))


# ---------------------------------------------------------------------------------------------
# Derived bodies
# ---------------------------------------------------------------------------------------------

def _sentences(paragraph: str) -> List[str]:
    return [s for s in _SENTENCE_RE.split(" ".join(paragraph.split())) if s]


def make_brief(body: str, r: random.Random, low: int = 40, high: int = 110) -> str:
    """The lead of ``body``: whole sentences from the start, ``low``..``high`` words (cut at ``high``)."""
    target = r.randint(low + 10, high)
    out_paras: List[List[str]] = []
    n = 0
    for para in body.split("\n\n"):
        kept = []
        for s in _sentences(para):
            w = len(s.split())
            if n >= low and n + w > target:
                break
            if n + w > high:
                s = " ".join(s.split()[: high - n]).rstrip(",;:") + "."
                w = high - n
            kept.append(s)
            n += w
            if n >= high:
                break
        if kept:
            out_paras.append(kept)
        if n >= target or n >= high or len(kept) < len(_sentences(para)):
            break
    return "\n\n".join(" ".join(p) for p in out_paras)


def make_edited(body: str, r: random.Random, drop: float = 1 / 3, change: float = 1 / 8) -> str:
    """``body`` with ``drop`` of its sentences removed and ``change`` of its words replaced or deleted."""
    paras = [_sentences(p) for p in body.split("\n\n")]
    index = [(i, j) for i, p in enumerate(paras) for j in range(len(p))]
    n_drop = min(len(index) - 2, round(len(index) * drop)) if len(index) > 2 else 0
    # Sentences in a random order; one that would take the cut past 40% of the words is kept
    # (a page whose "sentence" is a whole table must not lose most of its text).
    total = sum(len(s.split()) for p in paras for s in p)
    dropped, cut = set(), 0
    for i, j in r.sample(index, len(index)):
        if len(dropped) >= n_drop:
            break
        w = len(paras[i][j].split())
        if cut + w <= 0.4 * total:
            dropped.add((i, j))
            cut += w
    out = []
    for i, p in enumerate(paras):
        kept = []
        for j, s in enumerate(p):
            if (i, j) in dropped:
                continue
            toks = []
            for w in s.split():
                if r.random() < change:
                    if r.random() < 0.5:
                        continue
                    w = r.choice(_REPLACEMENTS)
                toks.append(w)
            if toks:
                kept.append(" ".join(toks))
        if kept:
            out.append(" ".join(kept))
    return "\n\n".join(out)


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class QualityDoc:
    """One labelled document. ``parent`` is the file of the original it derives from or rewrites."""

    file: str
    kind: str
    story: str
    event: str
    parent: str
    source_page: str    # AEB id of the text's story
    template: str       # AEB id of the page whose chrome it wears
    fmt: str            # "html" or "txt"
    body_words: int


_PROBE = "Storywire probe paragraph one.\n\nStorywire probe paragraph two."


def slot_visible(page: AebPage) -> bool:
    """Whether a body placed in ``page``'s slot shows in its text rendering (some slots are hidden
    microdata copies of a script-rendered article)."""
    return "Storywire probe paragraph two" in render_text(place_body(page, "", _PROBE))


def _pick_template(pages: Sequence[str], avoid: set, r: random.Random, usable: Dict[str, bool],
                   aeb: Dict[str, AebPage]) -> str:
    while True:
        t = r.choice(pages)
        if t in avoid:
            continue
        if t not in usable:
            usable[t] = slot_visible(aeb[t])
        if usable[t]:
            return t


def build_corpus(root: Path, seed: int = 0, brief_share: float = 0.6, edited_share: float = 0.6,
                 text_share_originals: float = 0.25, aeb: Optional[Dict[str, AebPage]] = None,
                 rewrites: bool = True, render: Optional[Callable[[str], str]] = None) -> List[tuple]:
    """[(QualityDoc, content str or None for an original's own bytes, body)] in file order.

    Args:
        root: The data folder (``data_dir()``).
        seed: Every random choice derives from it.
        brief_share, edited_share: Share of long enough originals that get a brief / an edited repost
            (every original gets a copy).
        text_share_originals: Share of originals rendered to a text dump.
        aeb: Pages already loaded (``load_aeb``), or a subset of them.
        rewrites: Include the rewrites set (its stories must be in ``aeb``).
        render: What makes the text dumps of pages (``render_text``, inscriptis, when None).
    """
    aeb = aeb if aeb is not None else load_aeb(root)
    event_of_page = load_events()
    rewrites = load_rewrites(root) if rewrites else {}
    r = random.Random(f"quality-{seed}")
    ids = sorted(aeb)
    eligible = [i for i in ids if len(words(aeb[i].gold)) >= MIN_GOLD_WORDS]
    event = {i: event_of_page.get(i, f"aeb:{i}") for i in ids}
    site = {i: re.sub(r"^https?://(www\.)?", "", aeb[i].url).split("/")[0] for i in ids}

    planned = []  # (kind, story, event, parent_id, source_id, headline, body)
    for i in eligible:
        planned.append(("original", i, event[i], "", i, aeb[i].headline, aeb[i].gold))
    for i in eligible:
        n = len(words(aeb[i].gold))
        planned.append(("copy", i, event[i], i, i, aeb[i].headline, aeb[i].gold))
        if n >= 150 and r.random() < brief_share:
            planned.append(("brief", i, event[i], i, i, aeb[i].headline, make_brief(aeb[i].gold, r)))
        if n >= 90 and r.random() < edited_share:
            planned.append(("edited", i, event[i], i, i, aeb[i].headline, make_edited(aeb[i].gold, r)))
    for sid, texts in rewrites.items():
        if sid not in aeb:
            raise ValueError(f"rewrites/{sid} has no AEB page")
        for kind in REWRITES:
            head, body = texts[kind]
            planned.append((kind, f"{sid}:{kind}", event[sid], sid, sid, head, body))

    derived = [k for k, p in enumerate(planned) if p[0] != "original"]
    as_text = set(r.sample(derived, len(derived) // 2))
    originals = [k for k, p in enumerate(planned) if p[0] == "original"]
    as_text |= set(r.sample(originals, round(len(originals) * text_share_originals)))
    order = list(range(len(planned)))
    r.shuffle(order)
    names = {k: f"doc{n:04d}" for n, k in enumerate(order)}
    file_of_original = {planned[k][4]: names[k] + (".txt" if k in as_text else ".html")
                        for k in originals}

    out, usable = [], {}
    for k, (kind, story, ev, parent, src, head, body) in enumerate(planned):
        fmt = "txt" if k in as_text else "html"
        if kind == "original":
            template = src
            html = aeb[src].html
        else:
            avoid = {src} | {i for i in ids if event[i] == ev or site[i] == site[src]}
            template = _pick_template(eligible, avoid, r, usable, aeb)
            html = place_body(aeb[template], head, body, published=source_date(aeb[src]))
        if fmt == "txt":
            content = (render or render_text)(html)
        elif kind == "original":
            content = None  # written as the page's own bytes
        else:
            content = html
        doc = QualityDoc(names[k] + "." + fmt, kind, story, ev, file_of_original[parent] if parent else "",
                         src, template, fmt, len(words(body)))
        out.append((doc, content, body))
    out.sort(key=lambda t: t[0].file)
    return out


def write_corpus(corpus: Sequence[tuple], aeb: Dict[str, AebPage], out_dir: Path) -> List[QualityDoc]:
    """Write ``out_dir/docs/<file>`` and ``out_dir/truth.json``; returns the labels."""
    docs = Path(out_dir) / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    labels = []
    for doc, content, _ in corpus:
        path = docs / doc.file
        if content is None:
            path.write_bytes(aeb[doc.source_page].raw)
        else:
            path.write_text(content, encoding="utf-8")
        labels.append(doc)
    (Path(out_dir) / "truth.json").write_text(json.dumps([dataclasses.asdict(d) for d in labels], indent=0))
    return labels
