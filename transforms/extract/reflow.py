"""A text dump's lines as the cleaner reads them, whatever HTML-to-text renderer made the dump.

Renderers differ in two ways that break reading a dump line by line:

* **Hard wraps.** lynx, w3m, html2text (by default) and ``fmt`` cut every paragraph into lines of at
  most a fixed width (60-80 characters). Each line then reads as a fragment: no closing punctuation,
  few words. ``unwrapped`` finds the width and joins each paragraph back into one line.
* **Markdown.** html2text and the crawlers that feed language models write links as
  ``[text](url)``, images as ``![alt](url)``, headings as ``# Title`` and emphasis as ``**bold**``.
  A menu of links then reads as long lines of URL words, and the article's own links add URL words
  to its sentences. ``demarkdown`` keeps the text and drops the markup.
* **A line per text node.** BeautifulSoup's ``get_text("\n")`` (the most common hand-made dump) and
  lxml's text nodes joined by newlines break a paragraph at every link and emphasis: "... write about
  it in the" / "bug-tracker" / ". In such way ...". ``rejoined`` puts such fragments back together.
* **No line per block.** BeautifulSoup's ``get_text()`` and lxml's ``text_content()`` run the text nodes
  together: a page whose HTML has no newlines between its tags becomes one line of thousands of characters,
  its menu's items glued ("HomeNewsSportWeather") and its paragraphs run into one another. ``unglued`` cuts
  such a line at the glue and at its sentences' ends.

Measured on the 181 AEB pages (``make bench-quality``): the cleaner's mean token F1 on html2text's
Markdown was 0.58, and 0.09 on its 78-column wrapped output, 0.79 on BeautifulSoup's text nodes and 0.83 on its
``get_text()``, against 0.92 on inscriptis' dumps, which no step changes.

Public: ``dump_lines``, ``unwrapped``, ``wrap_width``, ``is_markdown``, ``demarkdown``, ``fragmented``,
``rejoined``, ``unglued``.
"""
from __future__ import annotations

import collections
import re
from typing import List, Sequence

__all__ = ["dump_lines", "unwrapped", "wrap_width", "is_markdown", "demarkdown", "fragmented", "rejoined",
           "unglued"]

#: Widths a renderer wraps at (lynx 79, w3m and links 80, html2text 78, ``fmt`` 75).
MIN_WRAP_WIDTH = 40
MAX_WRAP_WIDTH = 200
#: Lines a wrap at the width would have ended (``wrap_width``): at least this many, and this share of
#: the lines that run on into a next one ...
WRAP_MIN_LINES = 4
WRAP_MIN_SHARE = 0.3
#: ... and this many times the lines just past the width (a wrap leaves none there, but a long URL).
WRAP_SHARPNESS = 3
WRAP_SLACK = 15
#: Lines longer than any width, with a blank a wrap could have broken them at: this many say a dump
#: is not wrapped.
UNWRAPPED_LONG_LINES = 3

#: What a table row's cells are set apart by once its ``|`` are gone (a plain-text renderer's layout).
TABLE_CELL_GAP = "    "
_TABLE_RULE_CHARS = frozenset("|-: \t")

# A line that starts a list item or a heading starts a new block: never the rest of the line above. The
# first characters such a line can start with are tested first (most lines start with none of them).
_BLOCK_START_RE = re.compile(r"^\s*(?:[*+•◦▪▸►·‣»›o-]|\d{1,3}[.)]|#{1,6})\s+\S")
_BLOCK_HEADS = frozenset("*+•◦▪▸►·‣»›o-#0123456789")
# Cells of a table row, as a renderer lays them out: a row is never a wrapped line. Two blanks after a
# comma or full stop are a typist's (a photo caption's "Volker,  testifies"), not a cell's.
_CELLS_RE = re.compile(r"[^\s.,;:!?)]\s{2,}\S|\S\s{3,}\S")


def _starts_block(line: str) -> bool:
    return line.lstrip()[:1] in _BLOCK_HEADS and bool(_BLOCK_START_RE.match(line))


def _first_word(line: str) -> str:
    """A line's first word, past a quote's ``>`` marks (a renderer repeats them on every line of a quote)."""
    body = line.lstrip()
    if body.startswith(">"):
        body = body.lstrip("> \t")
    return body.split(None, 1)[0] if body else ""


def _runs_on(line: str, following: str) -> bool:
    return bool(line.strip()) and bool(following.strip()) and not _starts_block(following)


def wrap_width(lines: Sequence[str], cells: bool = True) -> int:
    """The width ``lines`` were hard-wrapped at, or 0 when they were not.

    A line wrapped at width ``w`` is at most ``w`` long and the next line's first word would not have
    fit after it. The width taken is the one that explains most lines that run on into a next one;
    it must explain enough of them (``WRAP_MIN_LINES``, ``WRAP_MIN_SHARE``), and few lines may end
    just past it (``WRAP_SHARPNESS``): a menu of short items of similar length has lines there too.
    ``cells``: whether a line with blanks between cells is a table row (not in Markdown, whose tables
    have ``|`` and whose image captions keep the page's runs of blanks).
    """
    top = MAX_WRAP_WIDTH + WRAP_SLACK + 2
    # Most dumps are not wrapped, and say so in a few long lines a wrap would have broken: prose, not a
    # list item or a Markdown link (renderers leave those whole).
    breakable = 0
    for line in [line for line in lines if len(line) > top]:
        if " " in line[:MAX_WRAP_WIDTH].strip() and "](" not in line and not _starts_block(line):
            breakable += 1
            if breakable >= UNWRAPPED_LONG_LINES:
                return 0
    # Coverage counts, by difference: a line of length n followed by a word of length f would have
    # been wrapped there at any width in [n, n + f].
    lengths = [len(line.rstrip()) for line in lines]
    full = [0] * (top + 1)
    ends = [0] * (top + 1)
    pairs = 0
    for i in range(len(lines) - 1):
        n = lengths[i]
        if not n or not lengths[i + 1]:
            continue
        following = lines[i + 1]
        if _starts_block(following):
            continue
        pairs += 1
        # A line much shorter than any width only counts among those that run on (most lines are short).
        if n < MIN_WRAP_WIDTH - WRAP_SLACK or n >= top or (cells and _CELLS_RE.search(lines[i].strip())):
            continue
        full[n] += 1
        full[min(top, n + len(_first_word(following)) + 1)] -= 1
        ends[n] += 1
    if pairs < WRAP_MIN_LINES:
        return 0
    running, best, width = 0, 0, 0
    for w in range(top + 1):
        running += full[w]
        if MIN_WRAP_WIDTH <= w <= MAX_WRAP_WIDTH and running > best:
            best, width = running, w
    past = sum(ends[width + 1:width + WRAP_SLACK + 1])
    if best < WRAP_MIN_LINES or best < WRAP_MIN_SHARE * pairs or best < WRAP_SHARPNESS * past:
        return 0
    return width


def unwrapped(lines: Sequence[str], cells: bool = True) -> List[str]:
    """``lines`` with each hard-wrapped paragraph joined back into one line (unchanged when not wrapped).

    A line is joined to the one above when that one was full at the width (``wrap_width``): the first
    word would not have fit after it. A list item, a heading, a table row and a Markdown line break
    (two blanks at the end) start lines of their own. A line wrapped after a hyphen (a renderer breaks
    long words and URLs there) is joined without a blank. ``cells``: as for ``wrap_width``.
    """
    width = wrap_width(lines, cells)
    if not width:
        return list(lines)
    out: List[str] = []
    joined: List[str] = []  # the paragraph being joined back, in pieces: joined once (copied at each join: n^2)
    above = ""
    for line in lines:
        body = line.strip()
        if (joined and _runs_on(above, line) and not above.endswith("  ")
                and not (cells and (_CELLS_RE.search(above.strip()) or _CELLS_RE.search(body)))
                and len(above.rstrip()) + 1 + len(_first_word(body)) > width):
            if body.startswith(">") and above.lstrip().startswith(">"):
                body = body.lstrip("> \t")  # the quote goes on: its marks begin every line of it
            joined[-1] = joined[-1].rstrip()
            joined += (body,) if joined[-1].endswith("-") else (" ", body)
        else:
            if joined:
                out.append("".join(joined))
            joined = [line]
        above = line
    if joined:
        out.append("".join(joined))
    return out


# Each mark's content excludes the characters that would close it, so a scan from one opening ends at
# the next delimiter: linear in the line, whatever a hostile page repeats ("[[[[", "_x _x _x").
_URL = r"(?:[^()\\\s]|\\.|\([^()\s]{0,2048}\)){0,2048}(?:\s+\"[^\"\n]{0,4096}\")?\s*"
# A link's text may hold one level of brackets: an image whose alt text is its own URL in brackets
# ("[![[https://.../a.jpg]](https://.../a.jpg)](https://...)", as markdownify writes a video rail).
_LINK_TEXT = r"((?:[^\[\]\\\n]|\\.|\[[^\[\]\\\n]{0,500}\]){0,500})"
_IMAGE_RE = re.compile(r"!\[" + _LINK_TEXT + r"\]\(" + _URL + r"\)")
_LINK_RE = re.compile(r"\[" + _LINK_TEXT + r"\]\(" + _URL + r"\)")
_REF_LINK_RE = re.compile(r"\[" + _LINK_TEXT + r"\]\[\d+\]")
# A link around a block (a teaser's heading) opens on a line of its own ("[") and closes after its text on
# another ("Plague outbreak: China hit by ...](/news/world/1203947/...)"), as markdownify writes it.
_LINK_END_RE = re.compile(r"\]\(" + _URL + r"\)")
_REF_DEF_RE = re.compile(r"^\s*\[\d+\]:\s*\S")
_HEADING_RE = re.compile(r"^(\s{0,3})#{1,6}\s")
_STRONG_RE = re.compile(r"\*\*(?=\S)([^*\n]{1,500})(?<=\S)\*\*|__(?=\S)([^_\n]{1,500})(?<=\S)__")
_EMPHASIS_RE = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]{1,500})(?<=[^\s\\])\*(?![\w*])|"
                          r"(?<![\w_\\])_(?=[^\s_])([^_\n]{1,500})(?<=[^\s\\])_(?![\w_])")
# What an icon font leaves of a link or button ("Crafted with __by").
_STRAY_RE = re.compile(r"(?<!\S)__(?=\S|$)|(?<=\S)__(?!\S)")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
_QUOTE_RE = re.compile(r"^\s*(?:>\s?)+")
_HEADING_LINE_RE = re.compile(r"\n#{1,6}[ \t]")
#: Links, images and headings: a dump with fewer is not Markdown (a bracket in a sentence stays).
MARKDOWN_MIN_MARKS = 3


def is_markdown(text: str) -> bool:
    """Whether a dump holds ``MARKDOWN_MIN_MARKS`` Markdown links, images or headings."""
    # Counted in C first: the pattern tried at every position of a long dump cost ~100 us.
    links = text.count("](")
    if links >= MARKDOWN_MIN_MARKS or "#" not in text:
        return links >= MARKDOWN_MIN_MARKS
    headings = len(_HEADING_LINE_RE.findall(text)) + bool(_HEADING_LINE_RE.match("\n" + text[:8]))
    return links + headings >= MARKDOWN_MIN_MARKS


def _table_rows(lines: Sequence[str]) -> dict:
    """Index -> cells, for the rows of each Markdown table: the header above a ``---|---`` rule and the
    rows below it, up to the first line without a ``|``."""
    rows: dict = {}
    for i, line in enumerate(lines):
        if i == 0 or "|" not in line or "---" not in line or not _TABLE_RULE_CHARS.issuperset(line.strip()):
            continue
        rows[i] = []
        below = i + 1
        while below < len(lines) and "|" in lines[below]:
            below += 1
        for k in [i - 1, *range(i + 1, below)]:
            if "|" in lines[k]:
                rows[k] = [cell.strip() for cell in lines[k].strip().strip("|").split("|")]
    return rows


def _marked_text(match: re.Match) -> str:
    return match.group(1) if match.group(1) is not None else match.group(2)


def demarkdown(lines: Sequence[str]) -> List[str]:
    """Markdown ``lines`` as text: links by their text, images and link definitions gone, headings,
    quotes, emphasis and escapes without their marks, a table's rows laid out in cells as a plain-text
    renderer lays them out (the cleaner keeps a data table inside an article by its cells)."""
    tables = _table_rows(lines)
    out = []
    for i, line in enumerate(lines):
        if i in tables:
            if not tables[i]:
                continue  # the rule under a table's header
            line = TABLE_CELL_GAP.join(tables[i])
        # Each pattern runs only on a line holding the characters every match of it holds: most lines of a
        # Markdown dump are plain sentences, and nine substitutions on each were ~40% of such a dump's cleaning.
        if "[" in line:
            if _REF_DEF_RE.match(line):
                continue
            if "![" in line:
                line = _IMAGE_RE.sub("", line)
            if "](" in line:
                line = _LINK_RE.sub(r"\1", line)
            if "][" in line:
                line = _REF_LINK_RE.sub(r"\1", line)
        if "](" in line:
            line = _LINK_END_RE.sub("", line)
        if line.strip() == "[":
            line = ""
        if line.lstrip().startswith(">"):
            line = _QUOTE_RE.sub("", line)
        heading = "#" in line and _HEADING_RE.match(line)
        if heading:
            # "## Title ##": the closing hashes go too, when a blank sets them apart.
            title = line[heading.end():].strip()
            bare = title.rstrip("#")
            line = heading.group(1) + (bare.rstrip() if bare != title and (not bare or bare[-1].isspace()) else title)
        if "*" in line or "_" in line:
            line = _EMPHASIS_RE.sub(_marked_text, _STRONG_RE.sub(_marked_text, line))
            if "__" in line:
                line = _STRAY_RE.sub("", line)
        out.append(_ESCAPE_RE.sub(r"\1", line) if "\\" in line else line)
    return out


# A line that can only go on from the one above: closing punctuation, or a possessive ("'s plan"); an
# ellipsis starts teasers ("... read more"), and "![" a Markdown image.
_CLOSING = ",.;:?)]}%»”’"
_GOES_ON_RE = re.compile(f"[{re.escape(_CLOSING)}]|!(?!\\[)|['’]s\\b")
# What such a line can start with, and a dump's flush-left lines that do.
_GOES_ON_FIRST = frozenset(_CLOSING + "!'")
_FLUSH_GOES_ON_RE = re.compile(f"\\n[{re.escape(''.join(sorted(_GOES_ON_FIRST)))}]")
_LOWER_WORD_RE = re.compile(r"[^\W\d_]{2}")
# What a line cannot end with but for a link or emphasis right after it ("data by Interactive Data (" / "Terms").
_OPENERS = ("(", "[", "“", "‘", "«")
# Where a sentence or a quoted or bracketed phrase can end.
_ENDED_RE = re.compile(r"[.!?:;…\"”’)\]]$")
#: Lines that go on from the one above (``_GOES_ON_RE``) that make a dump one of text nodes, a line each.
#: Seen on 2 of 181 AEB pages rendered by inscriptis, against 83 of them as text nodes.
FRAGMENTED_MIN_LINES = 2
#: A lowercase line joins an unfinished one when either has this many words (a menu's items have fewer).
FRAGMENT_RUN_WORDS = 5
#: A link's text between two parts of a sentence, at most (a capitalised name: "according to" / "Joe Biden" / ", who").
LINK_TEXT_WORDS = 6


def _goes_on(body: str) -> bool:
    return bool(_GOES_ON_RE.match(body)) and not body.startswith(("..", "…"))


def _lower_start(body: str) -> bool:
    return body[:1].islower() and bool(_LOWER_WORD_RE.match(body))


def fragmented(lines: Sequence[str]) -> bool:
    """Whether ``lines`` were written a text node a line: ``FRAGMENTED_MIN_LINES`` lines or more go on from
    the line above them ("bug-tracker" / ". In such way")."""
    seen = 0
    for k, line in enumerate(lines):
        # The first character is tested first: almost every line fails there.
        if line.lstrip()[:1] in _GOES_ON_FIRST and k and _goes_on(line.lstrip()) and lines[k - 1].strip():
            seen += 1
            if seen >= FRAGMENTED_MIN_LINES:
                return True
    return False


def rejoined(lines: Sequence[str]) -> List[str]:
    """``lines`` with a paragraph's text nodes joined back into one line, when the dump was written a text
    node a line (``fragmented``; unchanged otherwise).

    A line joins the line right above it (no blank between, not a list item or heading) when it

    * goes on from it (closing punctuation, a possessive), or the line above ends in an opening bracket or
      quote: joined without a blank;
    * starts with a lowercase word under an unfinished line (no closing punctuation), either of them
      ``FRAGMENT_RUN_WORDS`` long or more: a link's text in a sentence, or the sentence after it;
    * is a short link text (``LINK_TEXT_WORDS``, unfinished) under a long unfinished line that ends in a
      lowercase word or comma, when the line below it goes on in either way.
    """
    if not fragmented(lines):
        return list(lines)
    out: List[str] = []
    # The line being joined, in pieces, and its words: joined once when it ends. Built by copying at each
    # join, a paragraph of n text nodes took n^2 (40,000 lines of one hostile paragraph: 210 s).
    joined: List[str] = []
    size = 0
    for k, line in enumerate(lines):
        body = line.strip()
        if joined and body and not _starts_block(line):
            last = joined[-1].rstrip()
            end = last[-1]
            unfinished = not _ENDED_RE.search(end)
            words = len(body.split())
            if _goes_on(body) or end in _OPENERS:
                joined[-1:] = (last, body)
                size += words - 1  # no blank between: the last word above and the first here are one
                continue
            below = lines[k + 1].lstrip() if k + 1 < len(lines) else ""
            if unfinished and ((_lower_start(body) and max(words, size) >= FRAGMENT_RUN_WORDS)
                               or (size >= FRAGMENT_RUN_WORDS and (end.islower() or end == ",")
                                   and words <= LINK_TEXT_WORDS and not _ENDED_RE.search(body)
                                   and (_goes_on(below) or _lower_start(below)))):
                joined[-1:] = (last, " ", body)
                size += words
                continue
        if joined:
            out.append("".join(joined))
        if body:
            joined, size = [line], len(line.split())
        else:
            joined = []
            out.append(line)
    if joined:
        out.append("".join(joined))
    return out


# Two words run together with no blank, as a menu's items are by a renderer that runs text nodes together
# ("HomeNews"). A brand is written so too ("MacBook"), but the same way every time.
_GLUE_RE = re.compile(r"[a-z]{2}[A-Z][a-z]{2}")
_GLUE_AT_RE = re.compile(r"(?<=[a-z]{2})(?=[A-Z][a-z]{2})")
# A sentence's end inside a line: a full stop, question or exclamation mark (after a closing quote too), a blank,
# and a capital or opening quote.
_SENTENCE_END_RE = re.compile(r"(?<=[a-z0-9%)][.!?])\s+(?=[A-Z\"“])|(?<=[.!?][\"”])\s+(?=[A-Z])")
#: A line this long or longer, with ``GLUED_MIN_WORDS`` glued words or more, ran a page's blocks together (an
#: inscriptis paragraph of the AEB pages is at most ~900 characters, with 7 brand names in it).
GLUED_LINE_CHARS = 1000
GLUED_MIN_WORDS = 3


def _glued_words(line: str) -> List[str]:
    return [w for w in line.split() if _GLUE_RE.search(w)]


def unglued(lines: Sequence[str]) -> List[str]:
    """``lines`` with each line that ran a page's blocks together cut where two words were glued and where its
    sentences end: a line ``GLUED_LINE_CHARS`` long or more, with ``GLUED_MIN_WORDS`` glued words or more that
    the dump holds once or that hold two glues ("EmailTwitterPosts"). A brand recurs as it is ("MacBook"), a
    menu's run-together items do not: a long paragraph that names a brand is left alone.
    """
    # Measured in C first: most dumps have no such line, and a long line is tokenised only when it may be one.
    if not lines or max(map(len, lines)) < GLUED_LINE_CHARS:
        return list(lines)
    long_lines = [k for k, line in enumerate(lines)
                  if len(line) >= GLUED_LINE_CHARS and len(_GLUE_RE.findall(line)) >= GLUED_MIN_WORDS]
    if not long_lines:
        return list(lines)
    glued = {k: _glued_words(line) for k, line in enumerate(lines) if _GLUE_RE.search(line)}
    times = collections.Counter(w for words in glued.values() for w in words)
    cuts = {}
    for k in long_lines:
        cut = [w for w in glued[k] if times[w] == 1 or len(_GLUE_AT_RE.findall(w)) >= 2]
        if len(cut) >= GLUED_MIN_WORDS:
            cuts[k] = set(cut)
    out: List[str] = []
    for k, line in enumerate(lines):
        if k not in cuts:
            out.append(line)
            continue
        words = [_GLUE_AT_RE.sub("\n", w) if w in cuts[k] else w for w in line.split()]
        for part in " ".join(words).split("\n"):
            out.extend(_SENTENCE_END_RE.split(part))
    return out


def dump_lines(text: str) -> List[str]:
    """A dump's lines, unwrapped (``unwrapped``) and, when it is Markdown, without its marks (``demarkdown``),
    or else with lines that ran blocks together cut (``unglued``) and the text nodes of each paragraph joined
    (``rejoined``)."""
    markdown = is_markdown(text)
    lines = unwrapped(text.splitlines(), cells=not markdown)
    if markdown:
        return demarkdown(lines)
    lines = unglued(lines)
    # A text node a line is written flush left: lines that may go on from the one above are counted in C
    # first (~8 us a dump), where ``fragmented`` tests every line (~25 us, 1% of the cleaner).
    return rejoined(lines) if len(_FLUSH_GOES_ON_RE.findall(text)) >= FRAGMENTED_MIN_LINES else lines
