"""A short article's text without the unrelated blocks its page prints around it.

On a brief's page (40-110 words of a story) the template's other text is more than the
article: an author bio, a rail of teasers of other stories, a company's "About"
paragraphs, a disclaimer. trafilatura reads the page's main column, and that column
holds them too (on the real-page corpus, seeds 0-5, this step improves 76 of the 1,159
derived HTML documents, 58 of them briefs, and 2 of the 181 AEB pages).

An article's paragraphs sit together in one container of the page (or in wrappers of
one kind, one per paragraph or chunk) and share words with its headline; each of those
blocks sits in a container of its own and is about something else. So:

1. Each line of the text is found in the page (the block element with its words) and
   grouped with the lines next to it that share that element's parent (a list's items
   share the list); runs of lines not found are groups of their own.
2. The article is the block (a container, with the same-tag-and-class wrappers that
   meet it within three levels) whose content words (four letters or more, not a number,
   or one CJK character) share most words with the headline, at least one; of equals,
   the one with more prose (words in lines that end like a sentence), then with more
   text. Its span runs from its first line to its last.
3. When that span is short (under ``SHORT_WORDS``), every group outside it that is
   under ``SHORT_WORDS`` too, shares at most one word with the headline and less than
   ``MIN_SHARED`` of its content words with the headline and the span is dropped,
   unless that would leave fewer than ``min_words`` words.

A long article is left alone (AEB's real pages are the check: 0 pages worse), as is a
text from one container, or a page whose headline shares no word with it.
``SHORT_WORDS`` 300 cost AEB 0.003; ``MIN_SHARED`` 0.10-0.35 leaves AEB alike, and 0.25
scored best on corpus seeds 0-2 (the held-out seeds 3-5 were not used to choose it).

Public: ``trim_short_article``, ``line_groups``, ``content_words``.
"""
from __future__ import annotations

import re
from typing import Optional

from transforms.tokens import CJK, count_words, words

__all__ = ["trim_short_article", "line_groups", "content_words", "SHORT_WORDS", "MIN_SHARED", "MAX_CONTAINERS",
           "SENTENCE_END"]

#: An article group shorter than this is a short article (briefs are 40-110 words).
SHORT_WORDS = 200
#: Pages whose text comes from more containers than this are not a short article's (and pairing them
#: all would cost more than the rest of the extraction).
MAX_CONTAINERS = 300
#: Share of a block's content words found in the headline and article, below which it is unrelated.
MIN_SHARED = 0.25
# Elements whose text is a line of trafilatura's reading.
_LINE_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "dd", "dt", "td", "th", "pre",
              "figcaption")
# Wrappers whose own text (before any child) trafilatura reads as a line.
_TEXT_WRAPPERS = ("div", "span", "section", "article")
_CJK_RE = re.compile(f"[{CJK}]")
#: How a line of prose ends (a sentence, a quote closing one, an elided lead).
SENTENCE_END = tuple('.!?"”’\'»)…:;。！？」』')


def content_words(text: str) -> list:
    """The words that carry a text's topic: four letters or more, not a number, or one CJK character."""
    return [w for w in words(text) if (len(w) >= 4 and not w.isdigit()) or _CJK_RE.fullmatch(w)]


def _element_index(root, wanted: set) -> dict:
    """Normalised text -> the block element whose whole text it is (of nested ones the deepest, of
    repeated ones the last).

    Wrappers count only with text of their own: reading the text of every nested wrapper
    costs a quarter of a page's extraction time.
    """
    found: dict = {}
    for elem in root.iter(*_LINE_TAGS, *_TEXT_WRAPPERS):
        if elem.tag in _TEXT_WRAPPERS and not (elem.text or "").strip():
            continue
        key = " ".join(words(elem.text_content()))
        if key in wanted:
            found[key] = elem
    return found


def line_groups(lines: list, root) -> list:
    """[(container or None, [line indexes])]: runs of lines whose page elements share a parent.

    Lines not found in the page (text a wrapper holds in inline children) make runs of their own,
    with no container.
    """
    keys = [" ".join(words(line)) for line in lines]
    index = _element_index(root, set(keys))
    groups: list = []
    for i, key in enumerate(keys):
        elem = index.get(key)
        parent = elem.getparent() if elem is not None else None
        if elem is not None and elem.tag == "li" and parent is not None and parent.getparent() is not None:
            parent = parent.getparent()  # a list's items are one block
        if groups and parent is groups[-1][0]:
            groups[-1][1].append(i)
        else:
            groups.append((parent, [i]))
    return groups


def _same_block(a, b, levels: int = 3) -> bool:
    """Whether containers ``a`` and ``b`` are one article body: the same element, or wrappers of one tag
    and class (a body printed one wrapper per paragraph, or in chunks between ads) whose chains of
    such wrappers meet within ``levels`` levels."""
    if a is b:
        return True
    for _ in range(levels):
        if a is None or b is None or a.tag != b.tag or a.get("class") != b.get("class"):
            return False
        a, b = a.getparent(), b.getparent()
        if a is b:
            return True
    return False


def trim_short_article(text: str, root, title: Optional[str], min_words: int = 0) -> tuple:
    """``(text, groups dropped)``: ``text`` without the blocks unrelated to a short article (see module doc).

    ``root`` is the page's tree the text was read from; nothing is dropped when less than
    ``min_words`` words would be left.
    """
    head = set(content_words(title or ""))
    if not text or not head:
        return text, 0
    lines = text.split("\n")
    groups = line_groups(lines, root)
    # Containers, each once; a run of lines not found in the page is a container of its own.
    index: dict = {}
    containers, container_of = [], []
    for container, _ in groups:
        key = id(container) if container is not None else ("run", len(container_of))
        if key not in index:
            index[key] = len(containers)
            containers.append(container)
        container_of.append(index[key])
    if len(containers) < 2 or len(containers) > MAX_CONTAINERS:
        return text, 0
    bags = [content_words("\n".join(lines[i] for i in members)) for _, members in groups]
    counts = [count_words(line) for line in lines]
    sizes = [sum(counts[i] for i in members) for _, members in groups]
    own: list = [set() for _ in containers]
    size_of, prose_of = [0] * len(containers), [0] * len(containers)
    for g, bag in enumerate(bags):
        size_of[container_of[g]] += sizes[g]
        prose_of[container_of[g]] += sum(counts[i] for i in groups[g][1] if lines[i].rstrip().endswith(SENTENCE_END))
        # A group that is the headline again (a heading line kept in the text) is not the article.
        if sum(1 for w in bag if w not in head) >= 0.2 * len(bag):
            own[container_of[g]] |= set(bag)
    # The article is the block (a container, or wrappers of one kind around its paragraphs)
    # sharing most words with the headline; of equals, the one with more prose, then more text, then
    # the first. A rail's items are headlines, not sentences: counted by their text, a rail whose
    # item shared one word with the headline outweighed a brief that shared one too, and kept the
    # brief's page chrome (a 60-word brief under 500 words of rails on an unseen real-page corpus).
    best, best_score = None, (0,)
    for k, container in enumerate(containers):
        if not head & own[k]:
            continue
        block = [j for j, other in enumerate(containers)
                 if j == k or container is not None and _same_block(container, other)]
        score = (len(head & set().union(*(own[j] for j in block))), sum(prose_of[j] for j in block),
                 sum(size_of[j] for j in block))
        if score > best_score:
            best, best_score = block, score
    if best is None:
        return text, 0
    body = [g for g in range(len(groups)) if container_of[g] in best]
    first, last = body[0], body[-1]
    if sum(sizes[first:last + 1]) >= SHORT_WORDS:
        return text, 0
    vocabulary = head | {w for g in range(first, last + 1) for w in bags[g]}
    kept, kept_words, dropped = [], 0, 0
    for g, (_, members) in enumerate(groups):
        bag = bags[g]
        if (not first <= g <= last and bag and sizes[g] < SHORT_WORDS and len(head & set(bag)) <= 1
                and sum(1 for w in bag if w in vocabulary) < MIN_SHARED * len(bag)):
            dropped += 1
            continue
        kept.extend(lines[i] for i in members)
        kept_words += sizes[g]
    if not dropped or kept_words < min_words:
        return text, 0
    return "\n".join(kept), dropped
