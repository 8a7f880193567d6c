"""Feed lists and RSS/Atom bodies in, clean feed entries out (pure functions).

Hostile-input rules (see ``../shared/docs/input-hazards.md``):

* feedparser only ever receives bytes wrapped in ``io.BytesIO``; a string or
  bytes "path" would make it read local files;
* ``check_xml_safety`` refuses entity and DTD declarations before feedparser
  sees anything (its loose fallback parser would expand a 100 KB entity
  10,000 times), in UTF-8, UTF-16 and UTF-32 bodies alike;
* ``cap_field_text`` cuts over-long element texts in one linear pass, so the
  quadratic author/e-mail regex of feedparser (issue #562) and huge summaries
  never see more than the configured number of characters;
* the body is decoded here (``transforms.extract.charset`` verifies the declared
  charset with charset-normalizer, so a windows-1251 feed labelled iso-8859-1
  comes out as Cyrillic), checked again, and handed to feedparser as UTF-8
  with a matching declaration, so feedparser never guesses an encoding.

Public: ``read_feed_list``, ``check_xml_safety``, ``decode_xml``,
``cap_field_text``, ``parse_feed``, ``canonical_url``, ``html_to_text``,
``FeedEntry``, ``FeedParse``.
"""
from __future__ import annotations

import calendar
import codecs
import dataclasses
import datetime as dt
import html
import io
import logging
import re
from typing import Optional
from urllib.parse import quote, unquote_plus, urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_et  # forbids entities and external references
import feedparser
from defusedxml import DefusedXmlException

from transforms.extract.charset import charset_from_content_type, decode_bytes
from transforms.model import ExtractionError, Limits

__all__ = [
    "read_feed_list", "check_xml_safety", "decode_xml", "cap_field_text", "parse_feed", "canonical_url",
    "html_to_text", "FeedEntry", "FeedParse",
]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- feed lists


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def read_feed_list(data: bytes) -> list:
    """Feed URLs from an OPML document or a plain list of URLs.

    OPML: every ``outline`` element (at any depth) with an ``xmlUrl``
    attribute. Text: one URL per line; blank lines and ``#`` comments (whole
    line, or after whitespace) are ignored. Order is kept, duplicates dropped.

    Args:
        data: The file's bytes.

    Returns:
        The feed URLs, stripped.

    Raises:
        ExtractionError: ("feeds", "bad_feed_list") for OPML that does not parse
            or declares entities.
    """
    head = data.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    urls: list = []
    if head.startswith(b"<"):
        try:
            root = safe_et.fromstring(data)
        except (ParseError, DefusedXmlException, ValueError) as exc:
            raise ExtractionError("feeds", "bad_feed_list", str(exc)[:200]) from exc
        for element in root.iter():
            if _local_name(element.tag) != "outline":
                continue
            for name, value in element.attrib.items():
                if name.lower() == "xmlurl" and value and value.strip():
                    urls.append(value.strip())
    else:
        text = data.decode("utf-8-sig", errors="replace")
        for line in text.splitlines():
            line = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
            if line:
                urls.append(line.split()[0])
    return list(dict.fromkeys(urls))


# --------------------------------------------------------------------------- XML safety

_SAFETY_REASON = "dtd_or_entity_declared"
_ROOT_START_RE = re.compile(r"<[A-Za-z0-9_]", re.ASCII)  # feedparser's own head/body split
_DECLARATION_RE = re.compile(r"<!\s*(doctype|entity|element|attlist|notation)\b", re.IGNORECASE)
# The Netscape RSS 0.91 DTD is the only DOCTYPE real feeds still carry; it is
# external, never fetched by expat or feedparser, and has no internal subset.
_KNOWN_DOCTYPE_RE = re.compile(
    r"""<!DOCTYPE\s+rss\s+PUBLIC\s+(["'])-//Netscape\s+Communications//DTD\s+RSS\s+0\.91//EN\1"""
    r"""(?:\s+(["'])[^"'<>\[\]]*\2)?\s*>""",
    re.IGNORECASE)


def _sniff_wide_encoding(body: bytes) -> Optional[tuple]:
    """(codec, BOM length) for UTF-32/UTF-16 bodies, with or without a BOM."""
    if body.startswith(codecs.BOM_UTF32_LE):
        return "utf-32-le", 4
    if body.startswith(codecs.BOM_UTF32_BE):
        return "utf-32-be", 4
    if body.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if body.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    first = body[:4]
    if len(first) == 4:
        if first[0] and not first[1] and not first[2] and not first[3]:
            return "utf-32-le", 0
        if not first[0] and not first[1] and not first[2] and first[3]:
            return "utf-32-be", 0
        if first[0] and not first[1] and first[2] and not first[3]:
            return "utf-16-le", 0
        if not first[0] and first[1] and not first[2] and first[3]:
            return "utf-16-be", 0
    return None


def _check_text_safety(text: str) -> None:
    """Refuse declarations in ``text`` (see ``check_xml_safety``)."""
    match = _ROOT_START_RE.search(text)
    head_end = match.start() if match else len(text)
    # In the prolog nothing is exempt: feedparser's replace_doctype finds
    # ENTITY declarations with a regex, even inside comments.
    head = text[:head_end]
    for found in _DECLARATION_RE.finditer(head):
        if found.group(1).lower() == "doctype" and _KNOWN_DOCTYPE_RE.match(head, found.start()):
            continue
        raise ExtractionError("feed", _SAFETY_REASON, f"<!{found.group(1).upper()} in the prolog")
    # In the body a declaration is malformed anyway; skip CDATA sections, where
    # whole HTML pages (with <!DOCTYPE html>) legitimately appear.
    pos = head_end
    cdata_end_missing_from = None
    while True:
        i = text.find("<!", pos)
        if i < 0:
            return
        if text.startswith("<![CDATA[", i):
            if cdata_end_missing_from is None:
                j = text.find("]]>", i + 9)
                if j >= 0:
                    pos = j + 3
                    continue
                cdata_end_missing_from = i  # no terminator anywhere further on
            pos = i + 9
            continue
        found = _DECLARATION_RE.match(text, i)
        if found:
            raise ExtractionError("feed", _SAFETY_REASON, f"<!{found.group(1).upper()} in the document body")
        pos = i + 2


def check_xml_safety(body: bytes) -> None:
    """Refuse a feed that declares a DTD or entities, before any parser runs.

    Any ``<!DOCTYPE``, ``<!ENTITY``, ``<!ELEMENT``, ``<!ATTLIST`` or
    ``<!NOTATION`` declaration is refused, in the prolog (including inside
    comments, which feedparser's regexes do not skip) and in the body outside
    CDATA sections. The one exception is the bare Netscape RSS 0.91 DOCTYPE
    (public identifier, no internal subset), which legacy RSS 0.91 feeds carry
    and which ``parse_feed`` strips before parsing. UTF-16/32 bodies (with or
    without a BOM) are checked in their decoded form; ASCII-compatible bodies
    byte for byte.

    Args:
        body: The raw feed bytes.

    Raises:
        ExtractionError: ("feed", "dtd_or_entity_declared", detail).
    """
    wide = _sniff_wide_encoding(body)
    if wide:
        text = body[wide[1]:].decode(wide[0], errors="replace")
    else:
        text = body.decode("latin-1")  # 1:1 byte->char: exact for ASCII markup
    _check_text_safety(text)


# --------------------------------------------------------------------------- charset

_XML_DECL_RE = re.compile(r"^<\?xml[^>]{0,300}?\?>")


def decode_xml(body: bytes, content_type: Optional[str] = None) -> tuple:
    """Decode a feed body to text, trusting declarations only as far as they hold.

    UTF-16/32 bodies are recognised by BOM or by the byte pattern of their
    first characters (XML 1.0 appendix F), which page-oriented sniffing misses:
    BOM-less UTF-16 of Latin or Cyrillic text is all bytes below 0x80. Every
    other body goes through ``transforms.extract.charset.decode_bytes``, the same
    verification pages get: a declared charset (HTTP header, then the XML
    declaration) is used only when the text it yields is coherent, otherwise
    charset-normalizer decides (a windows-1251 feed labelled iso-8859-1 comes
    out as Cyrillic).

    Args:
        body: Raw bytes.
        content_type: The HTTP ``Content-Type`` (its charset is a hint).

    Returns:
        ``(text, codec_name, problems)``; ``problems`` lists the decoder's
        notes about overridden, guessed or damaged charsets, e.g.
        ``"charset_mismatch:declared=iso-8859-1,used=cp1251"``.
    """

    wide = _sniff_wide_encoding(body)
    if wide:
        return body[wide[1]:].decode(wide[0], errors="replace"), wide[0], []
    text, codec, notes = decode_bytes(body, charset_from_content_type(content_type))
    # "bom:utf-8" is information, not a problem with the feed.
    return text, codec, [note for note in notes if not note.startswith("bom:")]


def _as_utf8_document(text: str) -> bytes:
    """Re-encode decoded XML as UTF-8, saying so in its declaration."""
    text = text.lstrip("\ufeff \t\r\n")  # leading blank lines make expat refuse the declaration
    match = _XML_DECL_RE.match(text)
    if match:
        text = '<?xml version="1.0" encoding="utf-8"?>' + text[match.end():]
    return text.encode("utf-8", errors="replace")


# --------------------------------------------------------------------------- field caps

# Elements that hold entries and fields rather than text of their own.
_CONTAINERS = frozenset({"rss", "channel", "item", "feed", "entry", "rdf", "image", "textinput",
                         "items", "seq", "li", "group"})
# Fields whose text is an article body or summary and gets the long cap.
_LONG_FIELDS = frozenset({"content", "encoded", "description", "summary", "subtitle", "body",
                          "fulltext", "full-text", "abstract", "tagline", "info"})
_OPEN_TAG_RE = re.compile(
    r"""<([A-Za-z_][-\w.:]*+)"""
    r"""(?>\s*+[^\s=/<>"']++(?:\s*+=\s*+(?:"[^"<]*+"|'[^'<]*+'|[^\s"'<>=`]++))?)*+"""
    r"""\s*+(/?)>""")
_CLOSE_TAG_RE = re.compile(r"</([A-Za-z_][-\w.:]*+)\s*+>")


class _Finder:
    """``str.find`` that remembers misses, so repeated openers stay linear."""

    def __init__(self, text: str):
        self.text = text
        self._cache: dict = {}

    def find(self, needle: str, start: int) -> int:
        hit = self._cache.get(needle)
        if hit is not None:
            searched_from, found = hit
            if start >= searched_from and (found == -1 or start <= found):
                return found
        found = self.text.find(needle, start)
        self._cache[needle] = (start, found)
        return found


def _cut(text: str, keep: int, cdata: bool = False) -> str:
    """``text[:keep]``, not ending inside an entity reference (``&amp;``)."""
    piece = text[:keep]
    if not cdata:
        amp = piece.rfind("&")
        if amp >= 0 and ";" not in piece[amp:] and len(piece) - amp <= 12:
            piece = piece[:amp]
    return piece


class _FieldCapper:
    """The state of one ``cap_field_text`` pass: the open elements, the field being filled and its budget."""

    def __init__(self, text: str, short_cap: int, long_cap: int):
        self.text, self.short_cap, self.long_cap = text, short_cap, long_cap
        self.finder = _Finder(text)
        self.out: list = []
        self.stack: list = []
        self.field_at = -1  # stack index of the field element being filled, -1 when none
        self.budget = 0
        self.cut_fields = 0
        self.cut_this = False

    def add_text(self, piece: str, cdata: bool = False) -> None:
        if not piece:
            return
        if self.field_at < 0:
            # Text directly inside a container (whitespace between items): limit each run on its own.
            if len(piece) > self.short_cap:
                piece = _cut(piece, self.short_cap, cdata)
                self.cut_fields += 1
            self.out.append(f"<![CDATA[{piece}]]>" if cdata else piece)
            return
        if len(piece) > self.budget:
            piece = _cut(piece, self.budget, cdata)
            if not self.cut_this:
                self.cut_this = True
                self.cut_fields += 1
        self.budget -= len(piece)
        if piece:
            self.out.append(f"<![CDATA[{piece}]]>" if cdata else piece)

    def markup(self, i: int) -> int:
        """Copy or cap the markup starting at ``text[i] == "<"``; the position after it, or -1 if unrecognised."""
        text = self.text
        if text.startswith("<![CDATA[", i):
            j = self.finder.find("]]>", i + 9)
            end = j if j >= 0 else len(text)
            self.add_text(text[i + 9:end], cdata=True)
            return end + 3 if j >= 0 else len(text)
        for opener, closer in (("<!--", "-->"), ("<?", "?>"), ("<!", ">")):
            if text.startswith(opener, i):
                j = self.finder.find(closer, i + len(opener))
                if j < 0:
                    return -1
                self.out.append(text[i:j + len(closer)])
                return j + len(closer)
        if text.startswith("</", i):
            return self._close(_CLOSE_TAG_RE.match(text, i))
        return self._open(_OPEN_TAG_RE.match(text, i))

    def _close(self, match) -> int:
        if not match:
            return -1
        name = _local_name(match.group(1).rsplit(":", 1)[-1])
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth] == name:
                del self.stack[depth:]
                break
        if self.field_at >= len(self.stack):
            self.field_at = -1
        self.out.append(match.group(0))
        return match.end()

    def _open(self, match) -> int:
        if not match:
            return -1
        self.out.append(match.group(0))
        if not match.group(2):  # not self-closing
            name = match.group(1).rsplit(":", 1)[-1].lower()
            self.stack.append(name)
            if self.field_at < 0 and name not in _CONTAINERS:
                self.field_at = len(self.stack) - 1
                self.budget = self.long_cap if name in _LONG_FIELDS else self.short_cap
                self.cut_this = False
        return match.end()


def cap_field_text(text: str, short_cap: int, long_cap: int) -> tuple:
    """Cut over-long element texts of a decoded feed before feedparser sees it; (text, fields cut).

    Each field element (any element that is not a feed/channel/item/entry
    container) gets a character budget for all the text inside it, CDATA and
    nested markup included: ``long_cap`` for content/description/summary-like
    fields, ``short_cap`` for everything else (title, author, name, email,
    category...). Text past the budget is dropped; the markup stays, so the
    document keeps its structure. One pass, linear in the input even for
    hostile markup (unterminated comments or CDATA, thousands of broken tags).
    """
    capper = _FieldCapper(text, short_cap, long_cap)
    pos, n = 0, len(text)
    while pos < n:
        i = text.find("<", pos)
        if i < 0:
            capper.add_text(text[pos:])
            break
        if i > pos:
            capper.add_text(text[pos:i])
        pos = capper.markup(i)
        if pos < 0:
            # Not markup we recognise: a literal "<", counted as text.
            capper.add_text("<")
            pos = i + 1
    return "".join(capper.out), capper.cut_fields


# --------------------------------------------------------------------------- URLs

_TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
    "igshid", "igsh", "mc_cid", "mc_eid", "ocid", "cmpid", "cmp", "_ga", "_gl", "_hsenc", "_hsmi",
    "hsctatracking", "mkt_tok", "ref", "ref_src", "ref_url", "smid", "smtyp", "wt.mc_id", "wt_mc_id",
    "xtor", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "__twitter_impression",
    "guccounter", "guce_referrer", "guce_referrer_sig", "vero_id", "vero_conv", "oly_anon_id",
    "oly_enc_id", "_openstat", "fb_action_ids", "fb_action_types", "fb_ref", "fb_source", "sr_share",
    "rss_id", "rssfeed",
})
_TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "itm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/?%:@!$&'()*+,;=-._~"


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    output: list = []
    for segment in path.split("/"):
        if segment == "..":
            if len(output) > 1:
                output.pop()
        elif segment != ".":
            output.append(segment)
    result = "/".join(output)
    if path.endswith(("/.", "/..")):
        result += "/"
    return result if result.startswith("/") else "/" + result


def _is_tracking(piece: str) -> bool:
    key = unquote_plus(piece.split("=", 1)[0]).strip().lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def canonical_url(url: Optional[str], base: Optional[str] = None) -> Optional[str]:
    """The one spelling of an article URL used for dedup and fetching.

    Resolves ``url`` against ``base``, lower-cases scheme and host, drops
    the default port, an empty path becomes "/", dot segments are removed,
    spaces and non-ASCII are percent-encoded, the fragment is dropped and
    tracking parameters (utm_*, fbclid, gclid, mc_cid, mc_eid, ocid, cmpid,
    _ga, ref, ref_src, at_* ...) are removed; the other parameters keep their
    order and spelling. A ``user:password@`` becomes ``***@``.

    Args:
        url: An absolute or relative URL (as found in a feed).
        base: The URL it is relative to (the feed, or the entry's xml:base).

    Returns:
        The canonical http(s) URL, or None for anything else or garbage.
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    try:
        if base:
            url = urljoin(base.strip(), url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    if parts.username is not None:
        netloc = "***@" + host  # credentials are never stored (the fetcher refuses such URLs anyway)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = _remove_dot_segments(quote(parts.path, safe=_PATH_SAFE)) if parts.path else "/"
    query = "&".join(piece for piece in parts.query.split("&") if piece and not _is_tracking(piece))
    return urlunsplit((scheme, netloc, path, quote(query, safe=_QUERY_SAFE), ""))


# --------------------------------------------------------------------------- parsing

_TAG_STRIP_RE = re.compile(r"<[^<>]*>")
_SPACE_RE = re.compile(r"\s+")
def html_to_text(fragment: Optional[str]) -> str:
    """Tags stripped, entities decoded, whitespace collapsed (linear time)."""
    if not fragment:
        return ""
    text = _TAG_STRIP_RE.sub(" ", fragment)
    return _SPACE_RE.sub(" ", html.unescape(text)).strip()


@dataclasses.dataclass
class FeedEntry:
    """One feed item, cleaned.

    Attributes:
        url: Canonical article URL (see ``canonical_url``).
        title: Plain-text title ("" when absent).
        published: Published (else updated) time, UTC-aware, or None.
        summary: Plain-text summary, at most ``max_field_chars``.
        content_html: The fullest HTML the feed carries for the entry (its
            longest ``content`` or the summary), at most ``max_text_chars``.
        feed_url: The feed it came from.
    """

    url: str
    title: str
    published: Optional[dt.datetime]
    summary: str
    content_html: str
    feed_url: str

    def to_dict(self) -> dict:
        """A picklable, JSON-friendly dict (``published`` as ISO 8601 or None)."""
        data = dataclasses.asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data


@dataclasses.dataclass
class FeedParse:
    """What ``parse_feed`` found.

    Attributes:
        entries: Entries with a usable URL, first occurrence of each URL.
        problems: Things that went wrong but did not stop the parse:
            ``bozo:<exception>``, ``charset_override:a->b``,
            ``fields_capped:<n>``, ``entries_without_url:<n>``, ...
        title: The feed's title.
        version: feedparser's version string ("rss20", "atom10", "rss10"...).
        encoding: The codec the body was decoded with.
        entries_cut: Distinct entries dropped by ``max_entries`` (the oldest).
    """

    entries: list
    problems: list
    title: str = ""
    version: str = ""
    encoding: str = ""
    entries_cut: int = 0


def _newest(candidates: list, keep: int) -> list:
    """The ``keep`` newest of ``(url, item, published)``, still in document order."""
    def rank(index: int) -> tuple:
        published = candidates[index][2]
        return (0, -published.timestamp(), index) if published else (1, 0.0, index)

    kept = set(sorted(range(len(candidates)), key=rank)[:keep])
    return [c for i, c in enumerate(candidates) if i in kept]


def _struct_to_utc(value) -> Optional[dt.datetime]:
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _entry_link(entry) -> Optional[str]:
    link = entry.get("link")
    if link:
        return link
    for candidate in entry.get("links") or ():
        if candidate.get("href") and candidate.get("rel", "alternate") == "alternate":
            return candidate["href"]
    guid = entry.get("id") or ""
    if guid.startswith(("http://", "https://")):
        return guid
    return None


def _entry_content(entry) -> str:
    values = [c.get("value") or "" for c in entry.get("content") or ()]
    values.append(entry.get("summary") or "")
    return max(values, key=len)


_HTML_DOCTYPE_RE = re.compile(r"<!doctype\s+html\b[^\[>]*>", re.IGNORECASE)


def _looks_like_html(body: bytes) -> bool:
    wide = _sniff_wide_encoding(body)
    head = body[wide[1]:wide[1] + 8192].decode(wide[0], errors="replace") if wide else body[:2048].decode("latin-1")
    return bool(_HTML_DOCTYPE_RE.search(head)) and "<html" in head.lower()


def _classify_empty(result, text: str) -> ExtractionError:
    version = result.get("version") or ""
    if version:
        return ExtractionError("feed", "no_entries", f"{version} feed without entries")
    head = text[:2048].lower()
    if not text.strip():
        return ExtractionError("feed", "not_a_feed", "empty body")
    if not text.lstrip("\ufeff \t\r\n").startswith("<"):
        return ExtractionError("feed", "not_a_feed", "not XML")
    if "<html" in head or "<!doctype html" in head:
        return ExtractionError("feed", "not_a_feed", "an HTML page, not a feed")
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        return ExtractionError("feed", "malformed", f"{type(exc).__name__}: {exc}"[:200])
    return ExtractionError("feed", "not_a_feed", "no RSS/Atom root element")


def parse_feed(body: bytes, base_url: str, content_type: Optional[str] = None,
               limits: Optional[Limits] = None, max_entries: int = 1000,
               feed_url: Optional[str] = None) -> FeedParse:
    """Parse an RSS 0.9x/1.0/2.0 or Atom body into clean entries.

    Steps: ``check_xml_safety`` on the raw bytes; ``decode_xml``; the check
    again on the decoded text (so what feedparser parses is what was checked);
    ``cap_field_text``; feedparser on a ``BytesIO`` of the UTF-8 document, with
    ``base_url`` as Content-Location for relative links.

    Args:
        body: The feed bytes (already capped by the fetcher).
        base_url: The feed's final URL, the base for relative links.
        content_type: The response's Content-Type (charset hint).
        limits: ``max_field_chars`` for titles/authors/summaries,
            ``max_text_chars`` for content; ``Limits()`` when None.
        max_entries: Entries kept per feed: the newest by date (undated ones after
            dated ones, in document order); ``FeedParse.entries_cut`` says how many
            were cut.
        feed_url: The feed's URL as listed (``FeedEntry.feed_url``); ``base_url``
            when None.

    Returns:
        A ``FeedParse``; a feed that parses with problems but yields entries
        is returned with the problems listed.

    Raises:
        ExtractionError: stage "feed", reason "dtd_or_entity_declared",
            "not_a_feed", "no_entries" or "malformed".
    """

    limits = limits or Limits()
    text, encoding, problems = _safe_text(body, content_type, limits)
    result = feedparser.parse(io.BytesIO(_as_utf8_document(text)), response_headers={
        "content-type": "application/xml; charset=utf-8",
        "content-location": base_url,
    })
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        problems.append(f"bozo:{type(exc).__name__}: {exc}"[:200])
    if not result.entries:
        raise _classify_empty(result, text)

    candidates, missing_url = _distinct_links(result.entries, base_url)
    cut = max(0, len(candidates) - max_entries)
    if cut:
        # Keep the newest: an oldest-first feed must not lose its new items to the cap.
        candidates = _newest(candidates, max_entries)
        problems.append(f"entries_capped:{cut} of {cut + max_entries} cut, the newest {max_entries} kept")
    entries = [_entry(url, item, published, limits, feed_url or base_url) for url, item, published in candidates]
    if missing_url:
        problems.append(f"entries_without_url:{missing_url}")
    if not entries:
        raise ExtractionError("feed", "no_entries", f"{len(result.entries)} entries, none with an http(s) link")
    return FeedParse(entries=entries, problems=problems, title=html_to_text(result.feed.get("title"))
                     [:limits.max_field_chars], version=result.get("version") or "", encoding=encoding,
                     entries_cut=cut)


def _safe_text(body: bytes, content_type: Optional[str], limits: Limits) -> tuple:
    """The feed decoded, checked before and after decoding, its fields capped: (text, encoding, problems)."""
    try:
        check_xml_safety(body)
    except ExtractionError as exc:
        if _looks_like_html(body):
            # A feed URL answered with a web page: say so, not "DTD declared".
            raise ExtractionError("feed", "not_a_feed", "an HTML page, not a feed") from exc
        raise
    text, encoding, problems = decode_xml(body, content_type)
    _check_text_safety(text)
    text = _KNOWN_DOCTYPE_RE.sub("", text, count=1)
    text, cut = cap_field_text(text, limits.max_field_chars, limits.max_text_chars)
    if cut:
        problems.append(f"fields_capped:{cut}")
    return text, encoding, problems


def _distinct_links(items, base_url: str) -> tuple:
    """([(url, item, published)] per distinct canonical link, in document order; items without a link)."""
    candidates: list = []
    seen: set = set()
    missing_url = 0
    for item in items:
        url = canonical_url(_entry_link(item), base_url)
        if not url:
            missing_url += 1
            continue
        if url in seen:
            continue
        seen.add(url)
        candidates.append((url, item, _struct_to_utc(item.get("published_parsed") or item.get("updated_parsed")
                                                     or item.get("created_parsed"))))
    return candidates, missing_url


def _entry(url: str, item, published, limits: Limits, feed_url: str) -> FeedEntry:
    title = item.get("title") or ""
    if (item.get("title_detail") or {}).get("type", "text/plain") != "text/plain":
        title = html_to_text(title)
    return FeedEntry(
        url=url,
        title=_SPACE_RE.sub(" ", title).strip()[:limits.max_field_chars],
        published=published,
        summary=html_to_text(item.get("summary"))[:limits.max_field_chars],
        content_html=_entry_content(item)[:limits.max_text_chars],
        feed_url=feed_url,
    )
