"""Article text and metadata from an HTML page: trafilatura, tuned and guarded.

The steps, in order:

1. Depth pre-check and flattening. trafilatura 2.3.1 silently returns None on pages
   nested past libxml2's default 256 levels, and libxml2 drops everything below depth
   2048 even with ``huge_tree``. So when a cheap tag scan (``quick_depth``) exceeds
   ``Limits.max_html_depth``, the tags (never the text) of wrapper elements below half
   the limit are removed from the string (``flatten_markup``); the page is then parsed
   once with ``huge_tree``, and if the real tree is still too deep, the deepest
   subtrees are lifted into flat paragraphs. Notes record ``flattened_markup``/``flattened``.
2. Prepare the tree: layout tables (cells holding blocks or long ``<br>``-separated
   text) become divs, so a 2000s table layout is not read as one data table; page
   furniture trafilatura's own class list misses (paywall stubs, recirculation and
   "recommended" rails, polls, newsletter boxes, captions, author bios, ...) is pruned
   by class/id, unless the element, or all elements of its class together, hold a
   large share of the page's paragraph text; an article body split into same-class
   chunks between ads is joined into its first chunk (trafilatura reads only the
   first); quoted social posts in Twitter's/Instagram's standard embed code lose the
   classes that class-based cleaning reads as share widgets; short paragraphs, list items, subheadings and cards that are nothing but a
   link (in-body teasers of other stories) are removed unless they are a quarter of
   the page's paragraph text (a link roundup).
3. ``trafilatura.bare_extraction`` in fast mode with options chosen by measurement
   (below), built once per day (htmldate's ``max_date`` is fixed when the options are
   built). When the fast reading is short or over 5% menu lines (lines of at most
   three words), a second, full-mode reading (trafilatura compares itself with
   readability and jusText) is taken, and wins when it is less of a menu and keeps
   half the prose, or when the fast reading has fewer than ``Limits.min_words`` words
   and half the prose (``extractor="trafilatura_full"``). A short fast reading of
   ``min_words`` or more is a short article, not a miss: the full reading of a brief's
   page adds the bio, teasers or rules printed under it.
4. Line post-filter: the headline and byline lines, ad/"Story continues" markers,
   "READ MORE: ..." / "SEE MORE: ..." teasers, subscription prompts, copyright lines,
   timestamp lines, empty section headings, a line repeating the line before it, and
   everything after a "Related stories" style heading in the last half of the text.
   Lines repeated further apart stay (a meal plan or a questionnaire repeats lines).
5. Never lose the article (``HtmlExtractor._arbitrate``): a cutting step must leave at
   least half of the distinct words of the reading it cut from, else the fuller one
   wins and ``extractor`` names it: ``trafilatura_unfiltered`` (the post-filter cut
   too much), ``trafilatura_unpruned`` (pruning removed more paragraph text than the
   article kept: trafilatura is rerun on the page without pruning), ``jsonld`` (the
   page's JSON-LD ``articleBody``, only when the page's own text holds 90% of its words).
6. A short article's text loses the blocks of other page containers that are about
   something else (``transforms.extract.short_article``: author bios, teaser rails, a
   company's "About" paragraphs, disclaimers under a brief), when the article's own
   block is under 200 words; note ``short_article_trimmed:N``.
7. Fallbacks when the text has fewer than ``Limits.min_words`` words:
   ``trafilatura.baseline`` (JSON-LD ``articleBody`` or all paragraphs), then
   ``transforms.extract.text.clean_text`` on the page's visible text (``baseline``,
   ``textclean``).
8. Metadata: the title by agreement among ``<h1>``, og:title, JSON-LD headline and
   ``<title>`` (``choose_title``); trafilatura's author, sitename, description and
   canonical URL (read apart from the text, by ``page_metadata``: trafilatura's
   reading without the categories, tags and licence it would also look for); the
   publication time at full precision from the page's own fields (article-typed
   JSON-LD ``datePublished``, ``article:published_time`` and similar metas,
   ``itemprop``), else htmldate's day refined by the first
   ``<time datetime>`` (a January 1 guessed from a bare year is discarded); language
   from ``<html lang>`` / ``og:locale``; the credited wire via ``textclean.find_credit``.

Settings chosen by measurement on ``tests/data/extraction/html`` (50 pages, 20
templates, mean per-page token F1 against hand-made gold; reproduce with
``make bench-extract`` and the ablation flags of ``HtmlExtractor``)::

    trafilatura.extract(bytes), all defaults (comments kept)     0.896
    bare_extraction, comments off, focus:
        balanced (chosen)   0.909    precision 0.900    recall 0.894
        balanced without tables 0.907; precision without tables 0.868
    full pipeline (balanced + flatten + prepare + post-filter)   0.996  (P 0.999, R 0.993)
        without tree preparation (layout tables, pruning)        0.978
        without the line post-filter                             0.969
        without either                                           0.948
        with favor_precision                                     0.996  (ties; drops in-body lists raw)
        with favor_recall                                        0.990  (keeps rails, nav lists, captions)
        with fast=True, no full-mode second reading              0.991
        without tables                                           0.994

and on the 181 real pages of the article-extraction benchmark (AEB metric,
``make bench-extract``; issue 19): trafilatura defaults 0.944, storywire before
issue 19 0.962, now 0.979 (fast mode with the menu check 0.9687 vs full mode 0.9645
at that point; the same-class chunk merge +0.004; keeping non-adjacent repeated lines
+0.002; link-only blocks and teaser cards +0.002; hover cards +0.001; quoted tweets
+0.001; titles agreeing with the <h1> take the headline line out of the body +0.0005). Fast mode with the second reading is
also about 20% cheaper per page than full mode on every page.

Balanced keeps lists and tables that precision drops, and the preparation and
post-filter take out what it lets through. The one own page below 0.9 (a list after
an inline "Related" link on a hashed-class site) is a trafilatura balanced-mode miss.

``deduplicate`` stays off: trafilatura's dedup cache is process-wide and would drop
the syndicated copies this pipeline exists to find.

On the quality corpus's derived HTML documents (a brief, copy or edited repost of an AEB
story in another real page's slot, ``make bench-extract`` with ``--placed-only``), briefs
scored mean token F1 0.912 (seeds 0-2) / 0.896 (3-5) before the short-fast-reading rule of
step 3 and step 6, 0.988 / 0.992 after; AEB 0.9787 -> 0.9801.

Public: ``looks_like_html``, ``extract_html``, ``HtmlExtractor``, ``quick_depth``,
``flatten_markup``, ``html_depth``, ``postfilter``, ``clean_title``, ``choose_title``, ``visible_text``,
``published_from_tree``, ``language_from_tree``.
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import html as htmlmod
import json
import logging
import re
from typing import Iterable, Optional
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction, fromstring

from transforms.extract.page_metadata import page_metadata
from transforms.extract.short_article import SENTENCE_END, trim_short_article
from transforms.extract.text import LATIN_DUMP_SHARE, clean_text, find_credit, latin_share
from transforms.model import Extracted, ExtractionError, Limits
from transforms.tokens import count_words, words

__all__ = ["looks_like_html", "extract_html", "HtmlExtractor", "html_depth", "quick_depth", "element_start",
           "cap_elements", "flatten_markup", "visible_text", "postfilter", "clean_title", "choose_title", "published_from_tree", "language_from_tree"]

logger = logging.getLogger(__name__)

# -------------------------------------------------------------------- input checks

_HTML_START_RE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
                            re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<(?:p|div|br|a\s+href|span|table|td|h[1-6]|li|ul|img|meta|script|title|section|article)\b",
                     re.IGNORECASE)
_FEED_RE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.IGNORECASE | re.DOTALL)


def looks_like_html(text: str) -> bool:
    """True when ``text`` is an HTML document or fragment rather than plain text or a feed."""
    head = text[:20000].lstrip("\ufeff")
    if _FEED_RE.match(head):
        return False
    if _HTML_START_RE.match(head):
        return True
    # A fragment or a page with junk before <html>: require several real tags.
    return len(_TAG_RE.findall(head)) >= 5


_BINARYISH_RE = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\ufffd]")


def _looks_binary_text(text: str) -> bool:
    """Text that came from binary bytes: many control or replacement characters."""
    sample = text[:8192]
    return len(_BINARYISH_RE.findall(sample)) > 0.1 * len(sample)


_BAD_CHARS_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)

# Tags that never hold children: they do not deepen the tree.
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr basefont frame keygen".split())
# Tags browsers close implicitly and authors often leave open: not counted by the quick scan.
_SELF_CLOSING_OFTEN = frozenset("p li dt dd tr td th option thead tbody tfoot colgroup".split())
_SCAN_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*>")
_TAG_NAME_RE = re.compile(r"<(/?[A-Za-z][A-Za-z0-9:-]*)")
_NOT_COUNTED = _VOID | _SELF_CLOSING_OFTEN


def quick_depth(html: str, stop_at: Optional[int] = None) -> int:
    """An upper-bound estimate of the element nesting depth from a tag scan, without parsing.

    Unclosed ``<p>``/``<li>``/cells are ignored (browsers close them implicitly), so a
    normal page scores far below its real limit; a page nested hundreds deep does not.
    About 1 ms per 100 KB; stops early once ``stop_at`` is exceeded.
    """
    depth = best = 0
    for name in _TAG_NAME_RE.findall(html):
        closing = name[0] == "/"
        if closing:
            name = name[1:]
        if name in _NOT_COUNTED or (not name.islower() and name.lower() in _NOT_COUNTED):
            continue
        if closing:
            if depth:
                depth -= 1
        else:
            depth += 1
            if depth > best:
                best = depth
                if stop_at is not None and best > stop_at:
                    return best
    return best


_OPEN_TAG_RE = re.compile(r"<[A-Za-z]")


def element_start(html: str, n: int) -> Optional[int]:
    """Where the ``n + 1``-th opening tag of ``html`` starts, or None when it has no more than ``n``: the tags
    are counted up to there, no further."""
    for count, match in enumerate(_OPEN_TAG_RE.finditer(html)):
        if count == n:
            return match.start()
    return None


def cap_elements(html: str, limit: int) -> tuple:
    """``html`` cut before its ``limit + 1``-th opening tag, and whether it was cut.

    A live blog of 25,000 updates (75,000 elements, 5 MB) took trafilatura 7.0 s and ~140 MB over the
    parser's own, for an article the text cap (``max_text_chars``) cuts at 200,000 characters anyway:
    the first 30,000 elements gave the same text in 2.6 s, with nothing over the page itself. The real
    pages of the article-extraction benchmark open at most 1,737. A page with fewer ``<`` than
    ``limit`` is not scanned.
    """
    if limit <= 0 or html.count("<") <= limit:
        return html, False
    at = element_start(html, limit)
    return (html, False) if at is None else (html[:at], True)


def flatten_markup(html: str, limit: int) -> tuple:
    """Drop the tags (never the text) of wrapper elements nested deeper than ``limit // 2``.

    Runs on the string before parsing: libxml2 stops building the tree at depth 2048
    even with ``huge_tree``, so whatever is nested deeper would be lost to every later
    step. Returns ``(html, tags_removed)``.
    """
    keep = max(8, limit // 2)
    stack: list = []  # (tag name, dropped?)
    cuts: list = []
    for m in _SCAN_TAG_RE.finditer(html):
        name = m.group(2).lower()
        if name in _NOT_COUNTED or m.group(0).endswith("/>"):
            continue
        if m.group(1):
            # Close the nearest open element of that name; stray closers are ignored.
            for j in range(len(stack) - 1, max(-1, len(stack) - 9), -1):
                if stack[j][0] == name:
                    if stack[j][1]:
                        cuts.append(m.span())
                    del stack[j:]
                    break
        else:
            drop = len(stack) + 1 > keep and name in _WRAPPERS
            stack.append((name, drop))
            if drop:
                cuts.append(m.span())
    if not cuts:
        return html, 0
    parts, pos = [], 0
    for start, end in cuts:
        parts.append(html[pos:start])
        pos = end
    parts.append(html[pos:])
    return "".join(parts), len(cuts)


def html_depth(root) -> int:
    """Exact maximum element depth of a parsed lxml tree (iterative, safe on any depth)."""
    best = 0
    stack = [(root, 1)]
    while stack:
        elem, d = stack.pop()
        if d > best:
            best = d
        stack.extend((child, d + 1) for child in elem)
    return best


# -------------------------------------------------------------------- parsing and flattening

@functools.lru_cache(maxsize=1)
def _parser():
    parser = HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True,
                        huge_tree=True)
    # lxml.html picks each element's class in a Python callback, once for every element object made: ~590,000
    # calls on the 181 AEB pages, from our steps and trafilatura's alike. The same classes, chosen in C; only
    # lxml's form classes (FormElement, InputElement ...) go, which nothing here uses.
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))
    return parser


def _parse(html: str):
    html = _XML_DECL_RE.sub("", _BAD_CHARS_RE.sub("", html), count=1)
    try:
        return fromstring(html, parser=_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as err:
        logger.debug("lxml parse failed (%s), retrying as bytes", err)
        try:
            return fromstring(html.encode("utf-8", "replace"), parser=_parser())
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            return None


_WRAPPERS = frozenset("div span section article main aside header footer font center b i u em strong small big "
                      "nav figure blockquote a label form".split())
_BLOCKS = frozenset("p h1 h2 h3 h4 h5 h6 li blockquote pre td th dt dd figcaption caption".split())


def _flatten(root, limit: int) -> None:
    """Make ``root`` shallower than ``limit`` in place, keeping all of its text."""

    # 1. Unwrap pure wrappers (one child element, no text of their own) deeper than half the limit.
    half = max(8, limit // 2)
    stack = [(root, 1)]
    to_drop = []
    while stack:
        elem, d = stack.pop()
        children = list(elem)
        if (d > half and elem.tag in _WRAPPERS and len(children) == 1 and not (elem.text or "").strip()
                and not (children[0].tail or "").strip()):
            to_drop.append(elem)
        stack.extend((c, d + 1) for c in children)
    for elem in to_drop:
        if elem.getparent() is not None:
            elem.drop_tag()
    if html_depth(root) <= limit:
        return
    # 2. Still too deep: replace every subtree rooted at the cut depth with flat paragraphs.
    cut = max(4, limit - 8)
    stack = [(root, 1)]
    victims = []
    while stack:
        elem, d = stack.pop()
        if d == cut:
            victims.append(elem)
            continue
        stack.extend((c, d + 1) for c in elem)
    for elem in victims:
        parent = elem.getparent()
        if parent is None:
            continue
        paras = _block_texts(elem)
        tail = elem.tail
        index = parent.index(elem)
        parent.remove(elem)
        for offset, text in enumerate(paras):
            p = etree.Element("p")
            p.text = text
            parent.insert(index + offset, p)
        if tail and tail.strip():
            p = etree.Element("p")
            p.text = tail
            parent.insert(index + len(paras), p)


def _block_texts(elem, blocks: frozenset = _BLOCKS) -> list:
    """Texts of a subtree split at ``blocks`` and ``<br>`` (iterative: the subtree may be very deep)."""
    out, cur = [], []
    for event, node in _iterwalk(elem):
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag in blocks or tag == "br":
                _flush(cur, out)
            if node.text and tag not in ("script", "style"):
                cur.append(node.text)
        else:
            if tag in blocks:
                _flush(cur, out)
            if node.tail and node is not elem:
                cur.append(node.tail)
    _flush(cur, out)
    return out


def _iterwalk(elem):
    stack = [(elem, iter(elem))]
    yield "start", elem
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            yield "end", node
        else:
            yield "start", child
            stack.append((child, iter(child)))


def _flush(cur: list, out: list) -> None:
    text = " ".join("".join(cur).split())
    if text:
        out.append(text)
    cur.clear()


_VISIBLE_BLOCKS = _BLOCKS | frozenset("div section article header footer nav aside ul ol table tr main form figure".split())


def visible_text(root) -> str:
    """The page's visible text, one block per line. Removes scripts and styles from ``root``."""
    body = root.find(".//body")
    node = body if body is not None else root
    for bad in node.xpath(".//script|.//style|.//noscript|.//template|.//svg"):
        parent = bad.getparent()
        if parent is not None:
            _remove_keep_tail(bad)
    return "\n".join(_block_texts(node, _VISIBLE_BLOCKS))


# -------------------------------------------------------------------- tree preparation

_LAYOUT_CELL_BLOCKS = frozenset("table div p h1 h2 h3 h4 h5 h6 ul ol form article section".split())


def _unwrap_layout_tables(root) -> int:
    """Turn layout tables into divs; data tables (short cells) are left alone."""
    changed = 0
    for table in list(root.iter("table")):
        layout = False
        for cell in table.iter("td", "th"):
            if any(isinstance(c.tag, str) and c.tag in _LAYOUT_CELL_BLOCKS for c in cell):
                layout = True
                break
            if sum(1 for _ in cell.iter("br")) >= 2 and len(cell.text_content()) > 300:
                layout = True
                break
        if not layout:
            continue
        changed += 1
        for elem in table.iter("tr", "td", "th"):
            elem.tag = "div"
            for attr in ("colspan", "rowspan", "valign", "align", "width", "bgcolor"):
                elem.attrib.pop(attr, None)
        for elem in list(table.iter("thead", "tbody", "tfoot")):
            elem.drop_tag()
        table.tag = "div"
    return changed


# Class/id tokens of page furniture that trafilatura 2.3.1's own list does not cover.
_FURNITURE_RE = re.compile(
    r"(?:^|[\s_-])(?:paywall|pay-wall|regwall|piano|meter-?(?:wall|banner)|subscribe|subscription|"
    r"newsletter|signup|sign-up|recirc(?:ulation)?|recommend(?:ed|ations?)?|trending|most-?(?:read|popular|viewed|shared)|"
    r"popular-?posts|more-?(?:stories|news|from|on|features)|read-?next|up-?next|whats-?next|related|"
    r"sponsor(?:ed)?|promoted|native-?ad|partner-?content|outbrain|taboola|advert(?:isement)?s?|ad-?slot|"
    r"ad-?container|dfp|poll|survey|author-?bio|about-?the-?author|bio-?box|alert-?banner|breaking-?banner|"
    r"live-?badge|load-?more|caption|captions|image-?credit|photo-?credit|gallery-?counter|corrections?|"
    r"support-?(?:box|us|our)|donate|donation|readmore|read-?more|rr-?actions|reader-?responses?|responses|"
    r"respond|reply|comments?|disqus|cookie|consent|gdpr|modal|popup|toast|weather-?widget|stream-?item|"
    r"(?:rollover|hover|tooltip|popover)-?(?:[a-z]+-)?(?:block|card|box|content|body))"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
_NEVER_PRUNE = frozenset(("html", "body", "main", "head"))


@functools.lru_cache(maxsize=16384)
def _is_furniture(value: str) -> bool:
    """``_FURNITURE_RE`` on one class or id string (cached: pages repeat their class strings).

    An element is furniture when its class or its id is: no alternative of the pattern spans
    whitespace, so testing the two apart is testing them joined by a space.
    """
    return _FURNITURE_RE.search(value) is not None


def _furniture_elements(root) -> list:
    """The elements whose class or id names furniture (``_FURNITURE_RE``), in document order.

    The attribute strings are read in one XPath and tested by value; only a match reaches its element.
    Reading every element with a class or id and its two attributes took ~2.5 us each, ~400 an AEB page.
    """
    found: dict = {}
    for value in root.xpath("//@class | //@id"):
        # A plain ``str`` for the cache: an XPath result keeps its element, and with it the whole tree, alive.
        if _is_furniture(str(value)):
            elem = value.getparent()
            if elem.tag not in _NEVER_PRUNE:
                found[elem] = None
    return list(found)


def _prune_furniture(root) -> int:
    """Remove furniture containers, keeping any that hold much of the page's paragraph text.

    The share is counted per element and per class string: an article body split into
    several sections that share a furniture-like class (metered sites wrap the story
    itself in ``class="paywall"`` sections) holds the page's text together, not apart.
    Returns the number of characters of ``<p>`` text removed.
    """
    candidates = [elem for elem in _furniture_elements(root)
                  if elem.get("itemprop") != "articleBody" and elem.find(".//h1") is None]
    if not candidates:
        return 0
    sizes = {p: len(p.text_content()) for p in root.iter("p")}
    total = sum(sizes.values()) or 1
    own = {}
    by_class: dict = {}
    for elem in candidates:
        own[elem] = sum(sizes[p] for p in elem.iter("p"))
        key = (elem.tag, elem.get("class") or "")
        by_class[key] = by_class.get(key, 0) + own[elem]
    removed = 0
    for elem in candidates:
        if not _attached(elem, root):
            continue  # inside a subtree removed already
        if own[elem] > 0.35 * total or (elem.get("class") and by_class[(elem.tag, elem.get("class"))] > 0.35 * total):
            continue
        _remove_keep_tail(elem)
        removed += own[elem]
    return removed


_EMBED_XPATH = "//blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'instagram-media')]"


def _unwrap_embedded_posts(root) -> int:
    """Keep quoted social posts (Twitter's and Instagram's standard embed code) as quotes.

    An article quoting posts prints them as ``<blockquote class="twitter-tweet">``,
    usually inside a ``<div class="social-media-embed">``; class-based cleaning
    (trafilatura's "social" rules, our furniture list) drops them as share widgets. The
    blockquote and wrappers that hold nothing else lose their class and id.
    """
    count = 0
    for quote in root.xpath(_EMBED_XPATH):
        node = quote
        for _ in range(3):
            node.attrib.pop("class", None)
            node.attrib.pop("id", None)
            parent = node.getparent()
            if parent is None or parent.tag in _NEVER_PRUNE:
                break
            others = [c for c in parent if c is not node and isinstance(c.tag, str) and c.tag != "script"]
            if others or (parent.text or "").strip():
                break
            node = parent
        count += 1
    return count


def _merge_split_body(root, min_share: float = 0.3) -> int:
    """Join an article body that the page splits into same-class chunks between ads and embeds.

    trafilatura reads the first element that looks like the body; when a site prints the
    story as several ``<div class="... body ...">`` chunks (an ad or a video between them),
    it keeps the first chunk only. Chunks: elements of one tag and class string, each
    with at least two ``<p>`` children, none inside another, together holding at least
    ``min_share`` of the page's ``<p>`` text in paragraphs of 100 characters or more on
    average (teaser cards, a headline and a one-line dek each, stay apart). Later
    chunks' children are moved, in order, into the first. Returns the number merged away.
    """
    groups: dict = {}
    total = 0
    for p in root.iter("p"):
        size = len(p.text_content())
        total += size
        parent = p.getparent()
        if parent is None or not parent.get("class"):
            continue
        key = (parent.tag, parent.get("class"))
        entry = groups.setdefault(key, {})
        entry[parent] = entry.get(parent, (0, 0))
        count, chars = entry[parent]
        entry[parent] = (count + 1, chars + size)
    merged = 0
    for members in groups.values():
        chunks = [elem for elem, (count, _) in members.items() if count >= 2]
        if len(chunks) < 2 or sum(members[c][1] for c in chunks) < min_share * max(total, 1):
            continue
        if sum(members[c][1] for c in chunks) < 100 * sum(members[c][0] for c in chunks):
            continue  # short paragraphs: teaser cards (headline + dek), not a story's prose
        first = chunks[0]
        if any(_is_ancestor(a, b) for a in chunks for b in chunks if a is not b):
            continue
        for chunk in chunks[1:]:
            for child in list(chunk):
                first.append(child)
            _remove_keep_tail(chunk)
            merged += 1
    return merged


def _is_ancestor(a, b) -> bool:
    node = b.getparent()
    while node is not None:
        if node is a:
            return True
        node = node.getparent()
    return False


_LINK_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6")


def _prune_link_blocks(root, max_words: int = 25, max_share: float = 0.25) -> int:
    """Remove short paragraphs, list items and subheadings that are nothing but a link.

    Inside an article body these are the teasers of other stories ("SEAN SPICER
    ELIMINATED FROM ...", a bulleted "related" list, "Who will make the Rock Hall?", a
    card ``<a><img><h3>Other story</h3></a>``), whatever their class names say. A block counts when at least 90% of its characters
    sit inside ``<a>`` and it has at most ``max_words`` words. When such blocks hold more
    than ``max_share`` of the page's ``<p>`` text the links are the content (a link
    roundup) and nothing is removed (menus are lists: their items do not count there).
    """
    total = linked_paras = 0
    victims = []
    # The blocks inside a link, found at once: asking each block for a link among its ancestors walked up
    # the whole tree, and a page's menus are hundreds of list items.
    in_link = set(root.xpath("//a//*"))
    for elem in root.iter(*_LINK_BLOCKS):
        is_p = elem.tag == "p"
        teaser = elem in in_link  # a teaser card: <a><img><h3>Other story</h3></a>
        links = () if teaser else list(elem.iter("a"))
        if not (teaser or links or is_p):
            continue  # no link, and not counted in the page's paragraph text
        text = elem.text_content()
        size = len("".join(text.split()))
        if is_p:
            total += size
        if not size or not (teaser or links):
            continue
        linked = size if teaser else sum(len("".join(a.text_content().split())) for a in links)
        # An ASCII text has no more words than characters outside whitespace (NFKC leaves it as it is):
        # a menu item needs no tokenising to be short enough.
        if linked >= 0.9 * size and ((size <= max_words and text.isascii()) or count_words(text) <= max_words):
            victims.append(elem)
            if is_p:
                linked_paras += size
    if not victims or linked_paras > max_share * max(total, 1):
        return 0
    removed = 0
    for elem in victims:
        parent = elem.getparent()
        if parent is None or not _attached(elem, root):
            continue
        _remove_keep_tail(elem)
        removed += 1
    return removed


def _attached(elem, root) -> bool:
    """False when an ancestor of ``elem`` was already removed from ``root``'s tree."""
    return elem.getroottree().getroot() is root


def _remove_keep_tail(elem) -> None:
    """Remove ``elem`` but keep the text that followed it (lxml drops the tail with the element)."""
    parent = elem.getparent()
    tail = elem.tail
    if tail and tail.strip():
        prev = elem.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(elem)


# -------------------------------------------------------------------- line post-filter

_CRUFT_LINE_RE = re.compile(
    r"""^\W*(?:advertisement|advertising|ad|ads|sponsored(?:\s+content)?|paid\s+content|
    story\s+continues(?:\s+below(?:\s+(?:this\s+)?advertisement)?)?|continue\s+reading(?:\s+(?:below|the\s+main\s+story))?|
    skip\s+(?:to\s+\w+(?:\s+\w+)?|ad|advertisement)|(?:play|watch|replay)(?:\s+\w+){0,3}\s+video|video|watch|listen(?:\s+to\s+(?:this\s+)?(?:article|story))?(?:\s+\d+\s+min)?|
    share(?:\s+this)?(?:\s+(?:article|story|page))?|copy\s+link(?:\s+copied)?|link\s+copied|print(?:\s+this)?(?:\s+(?:article|page))?|email|
    loading…?|loading\.\.\.|load\s+more(?:\s+\w+)?|show\s+more|view\s+(?:comments|gallery)|image\s+\d+\s+of\s+\d+|\d+\s+of\s+\d+\s*\|?|
    close|menu|search|back\s+to\s+top|scroll\s+to\s+continue(?:\s+with\s+content)?|
    (?:\d+\s+)?(?:min(?:ute)?s?)\s+read|ad\s+feedback|reply|report|like|\d+\s+likes?|don['’]t\s+miss|see\s+more|
    (?:order\s+)?reprints?(?:\s+(?:&|and)\s+permissions)?|this\s+(?:article|story)\s+has\s+been\s+sent\s+to|
    an\s+error\s+(?:has\s+)?occurred(?:\W+please\s+try\s+again(?:\s+later)?)?)\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_TEASER_LINE_RE = re.compile(
    r"^\W*(?:read\s+more|related|see\s+also|see\s+more|also\s+read|read\s+also|more|recommended|must\s+read|don['’]t\s+miss|"
    r"watch|listen|opinion|explainer|analysis|trending|popular|latest|update)\s*[:|»>–—-]\s*(.{1,200})$",
    re.IGNORECASE,
)
_PROMPT_LINE_RE = re.compile(
    r"^\W*(?:already\s+a\s+(?:subscriber|member)|subscribe\s+(?:now|today|for|to)|sign\s+up|log\s*in|sign\s*in|register\s+(?:now|for)|"
    r"create\s+an?\s+(?:free\s+)?account|you(?:['’]ve|\s+have)\s+(?:read|reached)|continue\s+reading\s+with|"
    r"this\s+(?:article|story|content)\s+is\s+(?:for|available\s+to|only\s+available\s+to|reserved\s+for)\s+(?:paid\s+)?(?:subscribers|members)|"
    r"unlock\s+(?:this|unlimited)|get\s+unlimited\s+access|support\s+(?:our|independent)\s+journalism|"
    r"we\s+(?:use|value)\s+(?:cookies|your\s+privacy)|by\s+(?:signing\s+up|subscribing|continuing)|"
    r"enter\s+your\s+email|never\s+miss\s+a\s+story|get\s+the\s+(?:latest|morning|daily|evening)\b.{0,40}(?:newsletter|inbox|briefing))",
    re.IGNORECASE,
)
# A newsletter plug anywhere in a short line ("... Sign up for X today to get the free daily
# newsletter delivered to your inbox"): checked on the normalised line, after a literal pre-check.
_SIGNUP_RE = re.compile(r"\b(?:sign\s+up|subscrib(?:e|ing))\b")
# ... and a licence notice: "This copy is for your personal, non-commercial use only. To order ... copies".
_COPYRIGHT_RE = re.compile(
    r"^\W*(?:©|\(c\)|copyright\b)|\ball\s+rights\s+reserved\b|\bfor\s+(?:your\s+)?personal,?\s+non-?commercial\s+use\b",
    re.IGNORECASE,
)
_STAMP_RE = re.compile(
    r"^\W*(?:(?:last\s+)?(?:updated|published|posted|modified)|first\s+published)\b[\s:]*(?:on\s+|at\s+)?.{0,50}$",
    re.IGNORECASE,
)
_BOUNDARY_RE = re.compile(
    r"""^\W*(?:related(?:\s+(?:articles?|stories|posts|coverage|content|news|links|reading|topics))?|
    more\s+(?:stories|news|headlines|features|coverage|to\s+explore|(?:from|on|in)\s+.{1,40})|
    (?:recommended|suggested)(?:\s+(?:for\s+you|stories|reading|articles|videos))?|you\s+(?:may|might)\s+(?:also\s+)?(?:like|be\s+interested\s+in)|
    (?:read|see|watch)\s+(?:next|also|more)|what\s+to\s+read\s+next|up\s+next|trending(?:\s+(?:now|stories|news))?|
    most\s+(?:read|popular|viewed|shared|watched)|popular\s+(?:posts|stories|now)(?:\s+from\s+this\s+blog)?|
    latest\s+(?:news|stories|headlines|videos?)|top\s+stories|around\s+the\s+web|from\s+(?:our|the)\s+(?:partners?|web|network)|
    sponsored(?:\s+(?:content|articles?|stories|links|posts))?|paid\s+(?:content|post|partner\s+content)|promoted(?:\s+(?:content|stories|links))?|
    (?:\d+\s+)?comments?|(?:leave|post)\s+a\s+(?:comment|reply)|join\s+the\s+(?:conversation|discussion)|
    reader\s+(?:comments|responses)(?:\s*\(\d+\))?|editor['’]?s?\s+picks?|in\s+case\s+you\s+missed\s+it|other\s+stories|
    share\s+this(?:\s+(?:article|story))?|about\s+the\s+author|topics|tags|
    читайте\s+также|смотрите\s+также|похожие\s+(?:новости|материалы)|関連記事|相关(?:阅读|新闻|文章)|推荐阅读|
    mehr\s+zum\s+thema|das\s+könnte\s+sie\s+auch\s+interessieren|à\s+lire\s+aussi|lire\s+aussi|sur\s+le\s+même\s+sujet|
    te\s+puede\s+interesar|noticias\s+relacionadas|lee\s+también)\s*[:.…]*\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


_BYLINE_LINE_RE = re.compile(
    r"^(?:by|written\s+by|words\s+by|reporting\s+by|von|par|por|di|door|av|af)\s+[^\W\d_][\w.'’-]*"
    r"(?:\s+(?:[^\W\d_][\w.'’-]*|and|&|,|\||·|-))*\s*$",
    re.IGNORECASE,
)
_TITLE_SEP_RE = re.compile(r"\s+(?:[|–—•·:»]|-|::)\s+")


def clean_title(title: Optional[str], site: Optional[str], text: str = "", page_title: Optional[str] = None) -> Optional[str]:
    """Strip a site name glued to the headline ("Site - Headline", "Headline | Site").

    When the page's ``<title>`` holds a part that the extracted text starts with (the
    headline printed above the article), that part wins over trafilatura's guess.
    """
    head = _norm(text[:1000])
    if page_title and head:
        for part in sorted(_TITLE_SEP_RE.split(page_title), key=len, reverse=True):
            if count_words(part) >= 4 and head.startswith(_norm(part)):
                return " ".join(part.split())
    if not title:
        return title
    parts = [p for p in _TITLE_SEP_RE.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    site_n = _norm(site) if site else ""
    kept = [p for p in parts if not site_n or _norm(p) != site_n]
    for part in sorted(kept, key=len, reverse=True):
        if count_words(part) >= 4 and head.startswith(_norm(part)):
            return part.strip()
    if len(kept) < len(parts):
        return " - ".join(p.strip() for p in kept)
    return title


def choose_title(facts: dict, fallback: Optional[str] = None, site: Optional[str] = None,
                 text: str = "") -> Optional[str]:
    """The headline, chosen among ``<h1>``, ``og:title``, JSON-LD ``headline`` and ``<title>``.

    1. Site names are stripped from the ends of og:title, JSON-LD headline and <title>
       ("Headline | Site", "Site - Headline"): parts equal to ``site``, ``og:site_name``
       or the URL's host spelled as words.
    2. An ``<h1>`` (the headline a reader sees) wins when another source agrees with it:
       equal, or one holding the other (a <title> with an unknown site suffix, an og:title
       with a section prefix). ``<h1>``s that are the site's name are skipped (logos).
    3. Else a lone ``<h1>`` of four words or more (pages whose metadata carries an SEO
       headline), else og:title, JSON-LD headline, <title>; a <title> standing alone
       loses a short last part (a site name the page does not declare).
    ``fallback`` (trafilatura's title) is used when the page has none of these.
    """
    names = _SiteNames(facts, site)
    og, headline, title = (names.strip(_usable(facts.get(k))) for k in ("og_title", "jsonld_headline", "title"))
    h1s = [h for h in (_usable(h) for h in facts.get("h1") or [])
           if h and count_words(h) >= 2 and not names.is_site(_norm(h))]
    others = [_norm(v) for v in (og, headline, title) if v]
    for h in h1s:
        hn = _norm(h)
        if any(_agrees(hn, other) or _agrees(other, hn) for other in others):
            return h
    # No source agrees outright: the <h1> that shares most of its words with them (an SEO
    # title rephrasing the headline), else a lone headline-sized <h1> when nothing else exists.
    vocabulary = set(" ".join(others).split())
    scored = [(len(set(_norm(h).split()) & vocabulary) / max(1, len(set(_norm(h).split()))), -i, h)
              for i, h in enumerate(h1s)]
    if scored:
        share, _, h = max(scored)
        if share >= 0.5:
            return h
    if len(h1s) == 1 and len(h1s[0].split()) >= 4:
        return h1s[0]
    for value in (og, headline):
        if value:
            return value
    if title:
        return _title_alone(title, text)
    return clean_title(fallback, site, text) if fallback else fallback


class _SiteNames:
    """The names a page's site goes by (``site``, ``og:site_name``, its host spelled as words)."""

    def __init__(self, facts: dict, site: Optional[str]):
        self.sites = {_norm(v) for v in (site, facts.get("site_name")) if v}
        self.sites.discard("")
        self.host = facts.get("host") or ""

    def is_site(self, norm: str) -> bool:
        squashed, host = norm.replace(" ", ""), self.host
        return norm in self.sites or bool(host) and (squashed == host or len(squashed) >= 4 and squashed in host
                                                     or len(host) >= 5 and squashed.startswith(host)
                                                     and len(squashed) - len(host) <= 14 and len(norm.split()) <= 4)

    def strip(self, value: Optional[str]) -> Optional[str]:
        """``value`` without the site names at its ends ("Headline | Site", "Site - Headline")."""
        if not value:
            return value
        pieces = _TITLE_SEP_RE.split(value)
        seps = _TITLE_SEP_RE.findall(value)
        while len(pieces) > 1 and self.is_site(_norm(pieces[-1])):
            pieces.pop()
            seps.pop()
        while len(pieces) > 1 and self.is_site(_norm(pieces[0])):
            pieces.pop(0)
            seps.pop(0)
        out = pieces[0]
        for sep, piece in zip(seps, pieces[1:]):
            out += sep + piece
        return out.strip() or value


def _usable(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    value = " ".join(value.split())
    return value if value and count_words(value) <= 40 else None


def _title_alone(title: str, text: str) -> str:
    """A <title> with no other source: the part printed above the article, or without a short end part."""
    pieces = [p.strip() for p in _TITLE_SEP_RE.split(title)]
    if len(pieces) > 1:
        head = _norm(text[:1000])
        for piece in sorted(pieces, key=len, reverse=True):
            if head and count_words(piece) >= 4 and head.startswith(_norm(piece)):
                return piece  # the headline printed above the article
        rest = count_words(title)
        if count_words(pieces[-1]) <= 4 and 2 * count_words(pieces[-1]) < rest:
            return title[: title.rfind(pieces[-1])].rstrip(" |–—•·:»-")
        if count_words(pieces[0]) <= 4 and 2 * count_words(pieces[0]) < rest:
            return title[len(pieces[0]):].lstrip(" |–—•·:»-")
    return title


def _agrees(short: str, long: str) -> bool:
    """``short`` (normalised) equals ``long`` or sits inside it: anywhere with three words or
    more, at its start or end with two ("About bugs" in "About bugs Vortex Cannon")."""
    if short == long:
        return True
    n = len(short.split())
    if n >= 3 and f" {short} " in f" {long} ":
        return True
    return n >= 2 and (long.startswith(short + " ") or long.endswith(" " + short))


def _norm(text: str) -> str:
    return " ".join(words(text))


def _is_structured(line: str) -> bool:
    """trafilatura renders table rows as "| a | b |" and list items as "- item"."""
    return line.startswith(("|", "- ", "* ", "• "))


def postfilter(text: str, title: Optional[str] = None, byline: Optional[str] = None) -> str:
    """Remove the lines a reader does not see as part of the article (see module docstring)."""
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return ""
    title_n = _norm(title) if title else ""
    byline_n = _norm(byline) if byline else ""
    found_words = [words(ln) for ln in lines]
    total = sum(len(f) for f in found_words) or 1

    kept: list = []
    seen_last = None
    before = 0
    for i, line in enumerate(lines):
        found = found_words[i]
        n = len(found)
        norm = " ".join(found)
        position = before / total
        before += n
        if not norm:
            if re.fullmatch(r"[_\-–—=*•·\s]+", line):
                continue  # separators ("___") carry no words
            kept.append(line)
            continue
        if _BOUNDARY_RE.match(line) and n <= 8 and position >= 0.5:
            break
        if _is_chrome_line(line, i, n, norm, title_n, byline_n):
            continue
        if kept and norm == seen_last:
            continue  # printed twice in a row (a mobile and a desktop copy of one element)
        seen_last = norm
        kept.append(line)

    return "\n".join(_without_empty_headings(_without_other_script_edges(kept)))


#: Words a line at the text's edge has at most to be a template's label in another script.
EDGE_LABEL_WORDS = 25


def _without_other_script_edges(lines: list) -> list:
    """An article written in Latin script (``LATIN_DUMP_SHARE`` of its words or more) without the short lines at
    its start and end written mostly in another: the template's section labels and its own headline and date
    ("분야별 뉴스", "기사입력 :[ 2018-08-25 15:24 ]") above a story a site in another language carries. On a real
    page their rare words were a condensed rewrite's heaviest event terms, and it left its story's event.

    Only the edge lines are read unless one of them is such a line: most articles have none, and every HTML
    page passes here.
    """
    start, end = 0, len(lines)
    while start < end and _other_script_label(lines[start]):
        start += 1
    while end > start and _other_script_label(lines[end - 1]):
        end -= 1
    if (start, end) == (0, len(lines)) or start == end:
        return lines
    body = lines[start:end]
    counts = [count_words(ln) for ln in body]
    in_latin = sum(n for ln, n in zip(body, counts) if latin_share(ln) > 0.5)
    return body if in_latin >= LATIN_DUMP_SHARE * sum(counts) else lines


def _other_script_label(line: str) -> bool:
    return latin_share(line) <= 0.5 and count_words(line) <= EDGE_LABEL_WORDS


def _is_notice(line: str, n: int) -> bool:
    """A copyright or licence notice of ``n`` words: never article text, whatever else the filter cuts."""
    return n <= 60 and bool(_COPYRIGHT_RE.search(line))


def _without_notices(text: str) -> str:
    """``text`` without its copyright and licence notices: the text the post-filter is held to keeping half of
    (a brief on a page whose notices are as long as it is lost them only by tripping that guard)."""
    return "\n".join(ln for ln in text.splitlines() if not _is_notice(ln, count_words(ln)))


def _is_chrome_line(line: str, i: int, n: int, norm: str, title_n: str, byline_n: str) -> bool:
    """Whether line ``i`` (``n`` words, ``norm`` its words joined) is page furniture rather than article text."""
    if title_n and i < 5 and (norm == title_n or (
            norm.startswith(title_n + " ") and count_words(line) - len(title_n.split()) <= 20
            and ((byline_n and byline_n in norm[len(title_n):]) or norm[len(title_n):].startswith(" by ")))):
        return True  # the headline, alone or run together with its byline and date
    if byline_n and n <= 14 and (norm == byline_n or norm.endswith(byline_n) and norm.startswith(
            ("by ", "von ", "par ", "por ", "words by ", "written by "))):
        return True
    if byline_n and n <= len(byline_n.split()) + 4 and byline_n in norm and i < 4:
        return True
    unpunctuated = not line.rstrip().endswith((".", "!", "?"))
    return bool(
        i < 4 and n <= 10 and _BYLINE_LINE_RE.match(line) and unpunctuated
        or n <= 12 and _CRUFT_LINE_RE.match(line)
        or n <= 30 and _TEASER_LINE_RE.match(line) and unpunctuated
        or n <= 40 and (_PROMPT_LINE_RE.match(line)
                        or ("newsletter" in norm or "inbox" in norm) and _SIGNUP_RE.search(norm))
        or _is_notice(line, n)
        or n <= 10 and _STAMP_RE.match(line) and not line.rstrip().endswith("."))


def _without_empty_headings(lines: list) -> list:
    """Drop empty section headings: a short unpunctuated line directly followed by another heading
    (which has text under it) or ending the text. Runs of three or more such lines are data (results,
    addresses, a list without markup) and stay."""
    out: list = []
    flags = [_is_heading_like(ln) for ln in lines]
    for i, line in enumerate(lines):
        if flags[i]:
            prev_h = i > 0 and flags[i - 1]
            if i + 1 == len(lines) and not prev_h:
                continue
            if i + 2 < len(lines) and flags[i + 1] and not flags[i + 2] and not prev_h:
                continue
        out.append(line)
    return out


def _is_heading_like(line: str) -> bool:
    return not _is_structured(line) and count_words(line) <= 10 and not line.rstrip().endswith(SENTENCE_END)


# -------------------------------------------------------------------- metadata

_DATE_META = (
    "article:published_time", "og:article:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "publish_date", "date", "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date", "parsely-pub-date",
    "article.published", "published_time", "published-date", "original-publish-date", "cxenseparse:recs:publishtime",
)


def _parse_when(value: str) -> Optional[dt.datetime]:
    """A timezone-aware UTC datetime from an ISO-8601-ish string or epoch milliseconds, else None."""
    value = (value or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d{12,13}", value):
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.timezone.utc)
    m = re.match(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?)?", value)
    if not m:
        return None
    text = m.group(1) + ("T" + m.group(2) if m.group(2) else "")
    tz = m.group(3)
    if tz:
        text += "+00:00" if tz == "Z" else (tz if ":" in tz else tz[:3] + ":" + tz[3:])
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)  # no offset given: UTC is the least-wrong guess
    if not 1990 <= parsed.year <= dt.datetime.now(dt.timezone.utc).year + 1:
        return None
    return parsed.astimezone(dt.timezone.utc)


def _jsonld_items(root) -> Iterable[dict]:
    for script in root.xpath('.//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])


_ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
                  "blogposting", "liveblogposting", "report", "socialmediaposting", "scholarlyarticle", "techarticle")


def _is_article(item: dict) -> bool:
    kinds = item.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds)


def published_from_tree(root, items: Optional[list] = None) -> Optional[dt.datetime]:
    """The publication time a page declares in machine-readable form, or None.

    Article-typed JSON-LD first (a page's JSON-LD also describes the site, videos and
    related stories), then other JSON-LD, then ``<meta>`` tags, then
    ``itemprop="datePublished"``. ``items``: the page's JSON-LD items when already read.
    """
    items = list(_jsonld_items(root)) if items is None else items
    for item in sorted(items, key=lambda it: not _is_article(it)):
        found = _parse_when(str(item.get("datePublished") or ""))
        if found:
            return found
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _DATE_META:
            found = _parse_when(meta.get("content") or "")
            if found:
                return found
    for node in root.xpath('.//*[@itemprop="datePublished"]'):
        found = _parse_when(node.get("datetime") or node.get("content") or "")
        if found:
            return found
    return None


def _first_time_element(root) -> Optional[dt.datetime]:
    for node in root.xpath(".//time[@datetime]|.//*[@data-timestamp]"):
        found = _parse_when(node.get("datetime") or node.get("data-timestamp") or "")
        if found:
            return found
    return None


def _published(root, doc, notes: list, items: Optional[list] = None) -> Optional[dt.datetime]:
    """Declared time at full precision, else htmldate's day refined by the page's first ``<time>``."""
    declared = published_from_tree(root, items)
    if declared is not None:
        return declared
    guess = _parse_when(doc.date) if doc is not None and doc.date else None
    if guess is not None and (guess.month, guess.day) == (1, 1):
        # htmldate turns a bare year ("© 2024") into January 1: not a publication date.
        notes.append("published_guess_discarded")
        guess = None
    stamped = _first_time_element(root)
    if stamped is not None and (guess is None or stamped.date() == guess.date()):
        return stamped
    return guess


def language_from_tree(root) -> Optional[str]:
    """Primary language subtag from ``<html lang>``, ``og:locale`` or content-language, lower-cased."""
    candidates = [root.get("lang"), root.get("xml:lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("http-equiv") or meta.get("name") or "").lower()
        if key in ("og:locale", "content-language", "language", "dc.language"):
            candidates.append(meta.get("content"))
    for value in candidates:
        if value:
            m = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]|\s*$)", value)
            if m:
                return m.group(1).lower()
    return None


def _credit(text: str, byline: Optional[str]) -> Optional[str]:
    return find_credit(text, byline)


# -------------------------------------------------------------------- the extractor

def _tree(html: str, limits: Limits, notes: list):
    """Parse ``html`` into a tree no deeper than ``limits.max_html_depth`` (see step 1), of at most
    ``limits.max_html_elements`` elements (``cap_elements``)."""
    scanned = quick_depth(html, stop_at=limits.max_html_depth)
    if scanned > limits.max_html_depth:
        html, removed = flatten_markup(html, limits.max_html_depth)
        if removed:
            notes.append(f"flattened_markup:tags={removed}")
    # Counted once the wrappers are flattened: 50,000 nested <div>s before an article are no reason to lose it.
    html, cut = cap_elements(html, limits.max_html_elements)
    if cut:
        notes.append(f"elements_capped:{limits.max_html_elements}")
    root = _parse(html)
    if root is None or not isinstance(root.tag, str):
        raise ExtractionError("extract", "unparseable", "lxml could not parse the page")
    # The scan skips implicitly closed tags (p, li, tr, td, tbody, ...); a counted level
    # hides at most three of them (table > tbody > tr > td), so a scan under a quarter of
    # the limit proves the tree shallow without walking it.
    if scanned * 4 + 4 <= limits.max_html_depth:
        return root
    depth = html_depth(root)
    if depth > limits.max_html_depth:
        _flatten(root, limits.max_html_depth)
        notes.append(f"flattened:depth={depth}")
    return root


def _page_facts(root) -> dict:
    """What the page says about itself, read once before any step changes the tree.

    ``jsonld`` (items), ``body`` (the longest JSON-LD ``articleBody`` as plain text),
    ``page_words`` (distinct words of the body's visible text, only when ``body``),
    and the title sources ``og_title``, ``jsonld_headline``, ``h1`` (list), ``title``.
    """
    items = list(_jsonld_items(root))
    body = ""
    headline = None
    for item in items:
        value = item.get("articleBody")
        if isinstance(value, str) and len(value) > len(body):
            body = value
        if headline is None and isinstance(item.get("headline"), str) and _is_article(item):
            headline = item["headline"]
    if body:
        body = _markup_to_text(body)
    og_title = None
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        if key in ("og:title", "twitter:title") and meta.get("content"):
            og_title = meta.get("content")
            if key == "og:title":
                break
    site_name = None
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() in ("og:site_name", "application-name"):
            site_name = meta.get("content")
            break
    h1 = [" ".join(h.text_content().split()) for h in root.iter("h1")][:5]
    page_words = set()
    if body:
        node = root.find(".//body")
        page_words = set(_norm((node if node is not None else root).text_content()).split())
    return {"jsonld": items, "body": body, "page_words": page_words, "og_title": _clean_field(og_title),
            "jsonld_headline": _clean_field(headline), "h1": [h for h in h1 if h],
            "title": _clean_field(root.findtext(".//title")), "site_name": _clean_field(site_name)}


def _host_words(url: Optional[str]) -> str:
    """The registrable part of a URL's host, lower-cased ("riversidepost" for www.riversidepost.com)."""
    if not url:
        return ""
    labels = (urlsplit(url).hostname or "").lower().split(".")
    labels = [x for x in labels if x not in ("www", "m", "amp", "com", "co", "org", "net", "news", "uk", "de", "fr")]
    return max(labels, key=len) if labels else ""


def _markup_to_text(value: str) -> str:
    """JSON-LD ``articleBody`` as plain text: some sites put HTML (and entities) in it."""
    if "<" in value and ">" in value:
        root = _parse(f"<html><body>{value}</body></html>")
        if root is not None:
            return "\n".join(_block_texts(root, _VISIBLE_BLOCKS))
    return htmlmod.unescape(value).strip()


def _distinct_words(text: str) -> int:
    """Words in the text's distinct lines: repeating a line adds nothing to an article."""
    seen = set()
    total = 0
    for line in (text or "").splitlines():
        key = line.strip()
        if key and key not in seen:
            seen.add(key)
            total += count_words(key)
    return total


def _menu_share(text: str) -> float:
    """Share of the words that sit in lines of at most three words (menus, link lists)."""
    total = short = 0
    for line in (text or "").splitlines():
        n = count_words(line)
        total += n
        if n <= 3:
            short += n
    return short / total if total else 0.0


def _share_in(text: str, vocabulary: set) -> float:
    words = _norm(text).split()
    return sum(1 for w in words if w in vocabulary) / len(words) if words else 0.0


def _prepare_tree(root, notes: list) -> int:
    """Reshape ``root`` for trafilatura (layout tables, embedded posts, split bodies, furniture, link
    blocks); returns how many furniture blocks were pruned."""
    if _unwrap_layout_tables(root):
        notes.append("layout_tables_unwrapped")
    if _unwrap_embedded_posts(root):
        notes.append("embedded_posts_kept")
    pruned = _prune_furniture(root)
    if _merge_split_body(root):
        notes.append("split_body_merged")
    if _prune_link_blocks(root):
        notes.append("link_blocks_pruned")
    return pruned


class HtmlExtractor:
    """trafilatura with the options measured best, built once; see the module docstring.

    Args:
        focus: "balanced", "precision" or "recall" (trafilatura's focus).
        tables: Keep data tables.
        fast: trafilatura's ``fast`` (skip its internal fallback extractors) for the first
            reading, with a full-mode second reading when it is short or menu-like
            (step 3); False runs full mode on every page.
        prepare: Unwrap layout tables, prune furniture and link-only blocks, and join
            split bodies before extraction.
        filter_lines: Run the line post-filter.
        trim_short: Drop the unrelated blocks around a short article (step 6).
        extract_hook: Test-only: called with the HTML before extraction (lets tests
            make extraction slow or crash without a hostile page).
    """

    def __init__(self, focus: str = "balanced", tables: bool = True, fast: bool = True,
                 prepare: bool = True, filter_lines: bool = True, trim_short: bool = True, extract_hook=None):
        if focus not in ("balanced", "precision", "recall"):
            raise ValueError(f"focus must be balanced, precision or recall, not {focus!r}")
        self.focus = focus
        self.tables = tables
        self.fast = fast
        self.prepare = prepare
        self.filter_lines = filter_lines
        self.trim_short = trim_short
        self.extract_hook = extract_hook
        self._template = None
        self._template_day = None

    def _options(self, url: Optional[str], full: bool = False):
        """Options for one page; ``full``: trafilatura's full mode (a second reading). Neither reads metadata:
        ``page_metadata`` does, once a page."""
        from trafilatura.settings import Extractor  # heavy (0.4 s): imported by the first page, not by every command

        today = dt.date.today()
        if self._template is None or self._template_day != today:
            # htmldate's max_date is fixed when options are built: rebuild once a day.
            self._template = Extractor(
                output_format="python", fast=self.fast, precision=self.focus == "precision",
                recall=self.focus == "recall", comments=False, tables=self.tables, dedup=False,
                with_metadata=False, images=False, links=False, formatting=False,
            )
            self._full_template = Extractor(
                output_format="python", fast=False, precision=self.focus == "precision",
                recall=self.focus == "recall", comments=False, tables=self.tables, dedup=False,
                with_metadata=False, images=False, links=False, formatting=False,
            )
            self._template_day = today
        options = copy.copy(self._full_template if full else self._template)
        options.url = url
        options.source = url
        return options

    def extract(self, html: str, url: Optional[str], limits: Limits = Limits()) -> Extracted:
        """Extract one page; see ``extract_html``."""
        if self.extract_hook is not None:
            self.extract_hook(html)
        if not html or not html.strip():
            raise ExtractionError("extract", "empty", "no HTML")
        if _looks_binary_text(html):
            raise ExtractionError("extract", "binary", "control characters or undecodable bytes, not a page")
        notes: list = []
        root = _tree(html, limits, notes)
        facts = _page_facts(root)
        facts["host"] = _host_words(url)
        pruned = _prepare_tree(root, notes) if self.prepare else 0
        doc, raw, compared = self._read(root, url, limits, notes)
        title = choose_title(facts, _clean_field(doc.title) if doc else None, doc.sitename if doc else None, raw)
        byline = _clean_field(doc.author) if doc else None
        text = postfilter(raw, title, byline) if self.filter_lines and raw else raw
        text, extractor = self._arbitrate(html, url, limits, notes, facts, text, raw, pruned, title, byline)
        if self.trim_short:
            text, dropped = trim_short_article(text, root, title, limits.min_words)
            if dropped:
                notes.append(f"short_article_trimmed:{dropped}")
        if compared and extractor == "trafilatura":
            extractor = "trafilatura_full"
        if count_words(text) < limits.min_words:
            text, extractor = self._fallback(root, text, extractor, title, byline, limits, notes)

        published = _published(root, doc, notes, facts["jsonld"])
        result = Extracted(
            text=text,
            title=title,
            byline=byline,
            published=published,
            site=_clean_field(doc.sitename) if doc else None,
            language=language_from_tree(root) or (doc.language if doc else None),
            url=(doc.url if doc and doc.url and doc.url.startswith(("http://", "https://")) else None) or url,
            description=_clean_field(doc.description) if doc else None,
            extractor=extractor,
        )
        result.credited_source = _credit(text, byline) if text else None
        return _apply_limits(result, limits, notes)

    def _read(self, root, url: Optional[str], limits: Limits, notes: list) -> tuple:
        """trafilatura's reading of the tree: ``(document, text, whether its full mode was compared)``."""
        import trafilatura  # heavy (0.4 s): imported by the first page, not by `storywire query` or `report`

        options = self._options(url)
        doc = trafilatura.bare_extraction(root, options=options)
        raw = (doc.text or "") if doc else ""
        if doc is not None:
            # The metadata apart from the text (the options read none), as bare_extraction would have read it,
            # without the categories, tags and licence nothing here keeps. What it would have caught there
            # loses the page's reading, text and metadata alike, as it did.
            try:
                doc = page_metadata(root, options.url, options.date_params, options.fast, options.author_blacklist)
            except (TypeError, ValueError):
                logger.warning("metadata unreadable, trafilatura's reading dropped as it drops it: %s", url)
                doc, raw = None, ""
        raw_menu = _menu_share(raw) if self.fast else 0.0
        if not (self.fast and (raw_menu > 0.05 or count_words(raw) < 3 * limits.min_words)):
            return doc, raw, False
        # The fast reading looks like a menu or is short: let trafilatura compare its
        # reading with readability's and jusText's, as its full mode does on every page.
        full = trafilatura.bare_extraction(root, options=self._options(url, full=True))
        full_raw = (full.text or "") if full else ""
        full_menu = _menu_share(full_raw)
        # Full wins when it is less of a menu and keeps at least half of the fast reading's
        # prose (words outside short lines), or when it has twice the prose of a fast reading
        # too short to be used (under min_words). Not of a short fast reading that is an
        # article: on a brief's page, readability and jusText read the brief with the author
        # bio, teaser rail or comment rules under it, more prose than the brief (17 of 300
        # briefs and 1 copy on the real-page corpus, seeds 0-5; none of the AEB pages).
        raw_prose = _distinct_words(raw) * (1 - raw_menu)
        full_prose = _distinct_words(full_raw) * (1 - full_menu)
        if (full_menu < 0.5 * raw_menu and full_prose >= 0.5 * raw_prose) or (
                raw_prose < 0.5 * full_prose and count_words(raw) < limits.min_words):
            notes.append("compared:trafilatura_full")
            return doc, full_raw, True
        return doc, raw, False

    def _arbitrate(self, html, url, limits, notes, facts, text, raw, pruned, title, byline) -> tuple:
        """Never lose the article: check what the cutting steps removed against other readings.

        Our text is the default. Each rule that cuts text must leave at least half of the
        distinct words of the reading it cut from (repeated lines are not article, so
        distinct words are compared); otherwise the fuller reading wins:

        1. the line post-filter against trafilatura's own text of the same tree
           (``trafilatura_unfiltered``);
        2. tree pruning, when it removed more paragraph text than the article we kept:
           trafilatura on the page without pruning, post-filtered
           (``trafilatura_unpruned``);
        3. the page's JSON-LD ``articleBody``, when the page's own text holds nearly all
           of its words (so it is this page's article, not a teaser or a paywalled full
           text) (``jsonld``).
        """
        extractor = "trafilatura"
        kept = _distinct_words(text)
        if self.filter_lines:
            # Without its notices the text has no more distinct words, so they are read off only when the
            # filter left less than half of all of them (most pages: it did not).
            raw_kept = _distinct_words(raw)
            if kept < 0.5 * raw_kept and kept < 0.5 * _distinct_words(_without_notices(raw)):
                text, extractor, kept = raw, "trafilatura_unfiltered", raw_kept
        if self.prepare and pruned > len(text):
            alt = self._unpruned_text(html, url, limits, title, byline)
            alt_kept = _distinct_words(alt)
            if kept < 0.5 * alt_kept:
                text, extractor, kept = alt, "trafilatura_unpruned", alt_kept
        body = facts["body"]
        if body:
            body_kept = _distinct_words(body)
            if kept < 0.5 * body_kept and _share_in(body, facts["page_words"]) >= 0.9:
                text, extractor, kept = body, "jsonld", body_kept
        if extractor != "trafilatura":
            notes.append(f"arbitrated:{extractor}")
        return text, extractor

    def _unpruned_text(self, html, url, limits, title, byline) -> str:
        import trafilatura  # heavy: see extract()

        root = _tree(html, limits, [])
        if self.prepare:
            _unwrap_layout_tables(root)
        doc = trafilatura.bare_extraction(root, options=self._options(url))
        raw = (doc.text or "") if doc else ""
        return postfilter(raw, title, byline) if self.filter_lines and raw else raw

    def _fallback(self, root, text, extractor, title, byline, limits, notes):
        """baseline, then textclean on the visible text; the longest plausible text wins."""
        from trafilatura import baseline  # heavy: see extract()

        best_text, best_name = text, extractor
        try:
            _, base_text, _ = baseline(copy.deepcopy(root))
        except (ValueError, TypeError) as err:  # baseline raises on degenerate trees
            logger.debug("baseline failed: %s", err)
            base_text = ""
        base_text = postfilter(base_text or "", title, byline) if self.filter_lines else (base_text or "")
        if count_words(base_text) > count_words(best_text):
            best_text, best_name = base_text, "baseline"
        if count_words(best_text) < limits.min_words:
            cleaned = clean_text(visible_text(copy.deepcopy(root))).text
            if count_words(cleaned) > count_words(best_text):
                best_text, best_name = cleaned, "textclean"
        if best_name != extractor:
            notes.append(f"fallback:{best_name}")
        return best_text, best_name


def _clean_field(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    value = " ".join(str(value).split())
    return value or None


def _apply_limits(result: Extracted, limits: Limits, notes: list) -> Extracted:
    for name in ("title", "byline", "site", "language", "url", "description", "credited_source"):
        value = getattr(result, name)
        if value and len(value) > limits.max_field_chars:
            setattr(result, name, value[: limits.max_field_chars])
            notes.append(f"truncated_field:{name}")
    if len(result.text) > limits.max_text_chars:
        cut = result.text.rfind("\n", 0, limits.max_text_chars)
        result.text = result.text[: cut if cut > limits.max_text_chars // 2 else limits.max_text_chars]
        notes.append(f"truncated_text:{limits.max_text_chars}")
    result.notes = tuple(result.notes) + tuple(notes)
    return result


@functools.lru_cache(maxsize=1)
def _default_extractor() -> HtmlExtractor:
    return HtmlExtractor()


def extract_html(html: str, url: Optional[str], limits: Limits = Limits()) -> Extracted:
    """Article text and metadata from one decoded HTML page.

    Args:
        html: The page as text (see ``transforms.extract.charset.decode_bytes``).
        url: The page's URL when known (helps trafilatura's metadata), else None.
        limits: Field/text caps, ``max_html_depth`` and ``min_words`` (fallback trigger).

    Returns:
        An ``Extracted``; ``text`` may be short or empty (the caller applies
        ``min_words``). ``notes`` records flattening, fallbacks and truncation.

    Raises:
        ExtractionError: ``("extract", "empty")`` for blank input,
            ``("extract", "unparseable")`` when lxml yields no tree.
    """
    return _default_extractor().extract(html, url, limits)
