"""Boilerplate removal for plain-text page dumps (no markup to go by).

trafilatura and jusText keep teaser lists and blog tails when a page has been
flattened to text, so this module finds the article span from the lines alone:

1. ``parse_header`` strips the scraper's `` date YYYY-MM-DD`` header line.
2. Each line is classified: cruft (navigation, photo credits, "Play video",
   timestamps), a hard boundary ("Comments", "More stories", "Sponsored"), a
   byline, or text, and text lines are scored as prose (sentence length,
   terminal punctuation, stopword density) and for topic (vocabulary overlap
   with the article's core paragraphs).
3. The article span is the maximum-scoring run of lines (Kadane), so a teaser
   rail of one-sentence summaries separated by captions and timestamps scores
   below zero and ends the span, while a short subheading between two
   paragraphs does not.

Public: ``clean_text``, ``parse_header``, ``find_credit``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Iterable, Optional, Sequence

from transforms.model import Extracted
from transforms.tokens import words as words_of

__all__ = ["clean_text", "parse_header", "find_credit", "classify_line", "STOPWORDS"]

_HEADER_RE = re.compile(r"^\s*date\s+(\d{4})-(\d{2})-(\d{2})\b[ \t]*(.*)$")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours out over own same she should so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours said says told""".split()
)

_TERMINAL = tuple('.!?"”’\'»)。！？」』')

# A boundary line ends the article: what follows is the page's rail or footer.
_BOUNDARY_RE = re.compile(
    r"""^(?:\d+\s+)?(?:comments?|leave\s+a\s+(?:comment|reply)|join\s+the\s+(?:conversation|discussion)|
    popular\s+posts(?:\s+from\s+this\s+blog)?|related(?:\s+(?:articles?|stories|posts|coverage|content|news|links|topics))?|
    more\s+(?:stories|news|from|on|headlines|to\s+explore|in)\b.*|sponsored(?:\s+(?:content|articles?|stories|links|posts))?|
    recommended(?:\s+(?:for\s+you|stories|reading|articles))?|you\s+(?:may|might)\s+(?:also\s+)?like|
    (?:read|see)\s+(?:more|also|next)|trending(?:\s+(?:now|stories|news))?|most\s+(?:read|popular|viewed|shared)|
    latest\s+(?:news|stories|headlines|videos?)|top\s+stories|paid\s+(?:content|post|partner\s+content)|
    around\s+the\s+web|from\s+(?:our|the)\s+(?:partners?|web|network)|editor'?s?\s+picks?|what\s+to\s+read\s+next|
    up\s+next|promoted\s+(?:content|stories|links)|other\s+stories|in\s+case\s+you\s+missed\s+it|
    newsletter\s+sign[\s-]?up|share\s+this\s+(?:article|story)|about\s+the\s+author)\s*:?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

_CRUFT_RES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:play|watch|replay)\b.{0,40}\bvideo\b",
        r"^(?:video|watch|listen|photos?|gallery|image|advertisement|ad|sponsored|share|tweet|email|print|close|menu|search|skip to (?:main )?content|log ?in|sign ?in|sign ?up|subscribe|follow us)\s*:?\s*$",
        r"^\(?(?:photo|image|picture|credit|video)s?\s*(?:credit)?\s*:",
        r"^[(\[][^()\[\]]{0,300}\b(?:via|getty|reuters|ap photo|afp|shutterstock|courtesy|handout|file|photo|images?)\b"
        r"[^()\[\]]{0,300}[)\]]\.?$",
        r"(?:'s)?\s+profile\s+picture$",
        r"^(?:copyright|©|\(c\))\s",
        r"all rights reserved",
        r"^\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago$",
        r"^(?:updated|published|posted|last updated)\s*:?.{0,40}\d",
        r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b.{0,40}$",
        r"^\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{4}\b.{0,40}$",
        r"^(?:click|tap)\s+(?:here|to)\b",
        r"^(?:on the site|in this section|navigation|main menu|quick links)\s*:?$",
        r"\.\.\.$|…$",  # a truncated caption or teaser
        r"^(?:image|photo|picture) \d+ of \d+",
        r"^(?:read more|more|related|see also|also read|read also|watch|listen|recommended)\s*[:|]",
        # A caption ending in its photo credit: "... on Monday. (Jane Doe/Getty Images)"
        r"\((?:[^()]{0,80}/)?\s*(?:getty images|ap photo|ap|reuters|afp|epa|shutterstock|bloomberg|alamy|pa images)"
        r"[^()]{0,40}\)\.?$",
        r"^.{0,200}\b(?:sign up|subscribe)\b.{0,120}\b(?:newsletter|inbox|e-?mail)\b.{0,120}$",
        r"\b(?:cookies?|privacy policy|terms of (?:use|service))\b.{0,60}\b(?:accept|agree|consent|manage)\b",
    )
]

_BYLINE_RE = re.compile(r"^(?:by|written by|words by|reporting by)\s+(.{3,200})$", re.IGNORECASE)

# Outlets and wires a copy may credit; normalised to a short canonical name.
_OUTLETS = {
    "cnn": "CNN", "cnn newsource": "CNN", "cnn wire": "CNN",
    "ap": "AP", "associated press": "AP", "the associated press": "AP",
    "reuters": "Reuters", "thomson reuters": "Reuters",
    "afp": "AFP", "agence france-presse": "AFP", "agence france presse": "AFP",
    "bloomberg": "Bloomberg", "upi": "UPI", "pa": "PA Media", "pa media": "PA Media",
    "dpa": "dpa", "xinhua": "Xinhua", "ani": "ANI", "pti": "PTI", "ians": "IANS", "efe": "EFE",
    "kyodo": "Kyodo", "yonhap": "Yonhap", "tass": "TASS", "ria novosti": "RIA Novosti",
    "bbc": "BBC", "bbc news": "BBC", "nbc news": "NBC News", "abc news": "ABC News", "cbs news": "CBS News",
    "npr": "NPR", "the new york times": "The New York Times", "new york times": "The New York Times",
    "the washington post": "The Washington Post", "washington post": "The Washington Post",
    "the guardian": "The Guardian", "al jazeera": "Al Jazeera", "sky news": "Sky News", "itv news": "ITV News",
    "fox news": "Fox News", "the wall street journal": "The Wall Street Journal", "dow jones": "Dow Jones",
    "nexstar media wire": "Nexstar Media Wire", "gray news": "Gray News", "states newsroom": "States Newsroom",
    "kaiser health news": "KFF Health News", "kff health news": "KFF Health News", "the conversation": "The Conversation",
}
_OUTLET_ALT = "|".join(sorted((re.escape(k) for k in _OUTLETS), key=len, reverse=True))
_CREDIT_RES = [
    # Dateline credit: "(CNN) —", "WASHINGTON (AP) --", "KYIV, Ukraine (Reuters) -"
    re.compile(r"\((" + _OUTLET_ALT + r")\)\s*(?:[—–-]{1,2}|:)", re.IGNORECASE),
    re.compile(r"\bshared with\s+(?:[\w'’.\s]{0,40}?\b(?:partner|affiliate)\s+)?(" + _OUTLET_ALT + r")\b", re.IGNORECASE),
    re.compile(r"\b(" + _OUTLET_ALT + r")['’]s\s+[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}\s+(?:and\s+[^.]{0,80})?contributed", re.IGNORECASE),
    re.compile(r"\b(?:this (?:story|article|report) (?:was )?(?:originally )?(?:appeared|published|first appeared|provided) (?:in|on|by)|(?:distributed|provided) by|courtesy of)\s+(?:the\s+)?(" + _OUTLET_ALT + r")\b", re.IGNORECASE),
    re.compile(r"©\s*\d{4}\s+(?:the\s+)?(" + _OUTLET_ALT + r")\b", re.IGNORECASE),
]
_BYLINE_CREDIT_RE = re.compile(r",\s*(" + _OUTLET_ALT + r")\s*$", re.IGNORECASE)


@dataclasses.dataclass
class _Line:
    text: str
    kind: str  # "text", "cruft", "boundary", "byline"
    words: list
    prose: bool = False
    score: float = 0.0


def parse_header(text: str) -> tuple:
    """Split the scraper's ``date YYYY-MM-DD`` header off a dump.

    Returns:
        (published, first_line_rest, body): ``published`` is a UTC datetime at
        midnight or None; ``first_line_rest`` is whatever followed the date on the
        header line (often the page's first line, e.g. its headline) or None when
        there was no header; ``body`` is the text after the header line.
    """
    first, sep, rest = text.partition("\n")
    m = _HEADER_RE.match(first)
    if not m:
        return None, None, text
    try:
        published = dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=dt.timezone.utc)
    except ValueError:
        published = None
    return published, m.group(4).strip(), rest


def find_credit(text: str, byline: Optional[str] = None) -> Optional[str]:
    """The wire service or outlet an article credits, normalised ("CNN", "AP"), or None."""
    if byline:
        m = _BYLINE_CREDIT_RE.search(byline.strip())
        if m:
            return _OUTLETS[m.group(1).lower()]
    # Credits sit in the dateline, the first paragraphs or the closing line: scan only those.
    head = text[:2500]
    tail = text[-1500:] if len(text) > 2500 else ""
    for pattern in _CREDIT_RES:
        m = pattern.search(head) or (pattern.search(tail) if tail else None)
        if m:
            return _OUTLETS[re.sub(r"\s+", " ", m.group(1).lower())]
    return None


#: Cruft is short: longer lines skip the pattern tests, which keeps classification linear in the input.
MAX_CRUFT_CHARS = 600


def classify_line(text: str) -> str:
    """One of "boundary", "cruft", "byline" or "text" for a single stripped line."""
    if len(text) > MAX_CRUFT_CHARS:
        return "text"
    if _BOUNDARY_RE.match(text):
        return "boundary"
    if _BYLINE_RE.match(text) and len(text.split()) <= 20 and not text.rstrip().endswith("."):
        return "byline"
    for pattern in _CRUFT_RES:
        if pattern.search(text):
            return "cruft"
    return "text"


def _is_prose(line: _Line) -> bool:
    n = len(line.words)
    if n < 8:
        return False
    stop = sum(w in STOPWORDS for w in line.words) / n
    terminal = line.text.rstrip().endswith(_TERMINAL)
    # Non-English prose has few English stopwords but still ends in sentence punctuation.
    return (terminal and (stop >= 0.12 or n >= 15)) or (n >= 30 and stop >= 0.2)


def _content_words(words: Iterable[str]) -> set:
    return {w for w in words if w not in STOPWORDS and len(w) > 2 and not w.isdigit()}


def _score(lines: Sequence[_Line]) -> None:
    prose = [ln for ln in lines if ln.prose]
    # The article's core vocabulary: its longest paragraphs (teasers are one-liners), plus every
    # word the article's prose repeats across paragraphs (teasers about other stories do not).
    core: set = set()
    seen_in: dict = {}
    for ln in prose:
        for w in _content_words(ln.words):
            seen_in[w] = seen_in.get(w, 0) + 1
    core = {w for w, n in seen_in.items() if n >= 3}
    for ln in sorted(prose, key=lambda ln: len(ln.words), reverse=True)[:4]:
        core |= _content_words(ln.words)
    for ln in lines:
        if ln.kind in ("cruft", "byline"):
            ln.score = -1.0
        elif ln.prose:
            cw = _content_words(ln.words)
            overlap = len(cw & core) / len(cw) if cw else 0.0
            weight = min(len(ln.words), 60) / 10.0
            # Off-topic prose is still prose: barely positive, so it joins the article only when it
            # sits right beside it (a closing line) and never carries the span across a teaser rail.
            ln.score = weight * (1.0 if overlap >= 0.25 else (0.3 if overlap >= 0.1 else 0.05))
        else:
            # A short non-prose line: a subheading or pull quote inside the article costs
            # a little, a run of them (a rail or menu) costs a lot.
            ln.score = -1.5


def _best_span(lines: Sequence[_Line]) -> tuple:
    best, best_span = 0.0, (0, 0)
    run, start = 0.0, 0
    for i, ln in enumerate(lines):
        if run <= 0:
            run, start = 0.0, i
        run += ln.score
        if run > best:
            best, best_span = run, (start, i + 1)
    return best_span


def _normalise(line: str) -> str:
    return " ".join(words_of(line))


def clean_text(
    text: str,
    source: str = "",
    boilerplate: frozenset = frozenset(),
) -> Extracted:
    """Extract the article from a plain-text dump.

    Args:
        text: The decoded dump, header included.
        source: Where it came from (only used for messages).
        boilerplate: Normalised lines (see ``_normalise``) known to repeat across
            many documents of the same site in this run; they never count as text.

    Returns:
        An ``Extracted`` with ``extractor="textclean"``; ``text`` may be empty when
        nothing reads as an article (the caller decides what is too short).
    """
    published, first_rest, body = parse_header(text)
    raw_lines = ([first_rest] if first_rest else []) + body.splitlines()
    lines = []
    for raw in raw_lines:
        stripped = " ".join(raw.split())
        if not stripped:
            continue
        kind = "cruft" if boilerplate and _normalise(stripped) in boilerplate else classify_line(stripped)
        ln = _Line(stripped, kind, words_of(stripped))
        ln.prose = kind == "text" and _is_prose(ln)
        lines.append(ln)

    if not any(ln.prose for ln in lines):
        # Unpunctuated text (transcripts, feeds flattened badly): long lines are the best evidence of prose.
        for ln in lines:
            ln.prose = ln.kind == "text" and len(ln.words) >= 15

    # Everything from the first boundary that follows real article text is the page's tail.
    seen_prose = 0
    for i, ln in enumerate(lines):
        if ln.prose:
            seen_prose += 1
        elif ln.kind == "boundary" and seen_prose >= 1:
            lines = lines[:i]
            break

    byline = next((_BYLINE_RE.match(ln.text).group(1).strip() for ln in lines if ln.kind == "byline"), None)
    _score(lines)
    start, end = _best_span(lines)
    title = _pick_title(lines, first_rest, start)
    kept, seen = [], set()
    for ln in lines[start:end]:
        if ln.kind != "text":
            continue
        norm = _normalise(ln.text)
        if not norm or norm in seen or (title and norm == _normalise(title)):
            continue
        # Inside the span a long line without sentence punctuation is a caption or standfirst.
        if not ln.prose and len(ln.words) > 14:
            continue
        seen.add(norm)
        kept.append(ln.text)
    # A trailing short line (a caption, a "KSL 5 TV Live" label) is not the article's end.
    while kept and len(words_of(kept[-1])) < 8 and not kept[-1].endswith(_TERMINAL):
        kept.pop()
    article = "\n\n".join(kept)
    return Extracted(
        text=article,
        title=title,
        byline=byline,
        published=published,
        credited_source=find_credit(article, byline) or find_credit(text, byline),
        extractor="textclean",
    )


def _pick_title(lines: Sequence[_Line], first_rest: Optional[str], span_start: int) -> Optional[str]:
    """A headline: a repeated headline-shaped line, else the one just above the article, else the first line."""
    def headline_shaped(ln: _Line) -> bool:
        return ln.kind == "text" and 4 <= len(ln.words) <= 30 and not ln.text.endswith(("...", "…", ":"))

    counts: dict = {}
    for ln in lines:
        if headline_shaped(ln) and not ln.prose:
            counts[_normalise(ln.text)] = counts.get(_normalise(ln.text), 0) + 1
    repeated = [ln.text for ln in lines if headline_shaped(ln) and counts.get(_normalise(ln.text), 0) >= 2]
    if repeated:
        return repeated[0]
    for ln in reversed(lines[:span_start]):
        if ln.kind in ("cruft", "byline"):
            continue
        if headline_shaped(ln) and not ln.prose and len(ln.words) <= 20:
            return ln.text
        break
    if lines and headline_shaped(lines[0]) and (not lines[0].prose or (first_rest and lines[0].text == first_rest)):
        # The first line of a dump is its headline when a paragraph follows it.
        if len(lines) > 1 and lines[1].prose and len(lines[0].words) <= 25:
            return lines[0].text
    return None
