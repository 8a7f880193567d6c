"""Bytes to text for web pages and feeds: declared charsets verified, wrong ones corrected.

Servers and templates often mislabel their charset (a windows-1251 page served as
``text/html; charset=iso-8859-1`` decodes without a single error into mojibake),
so a declaration is a hint to verify, never a fact:

1. A byte-order mark wins outright (it cannot be there by accident).
2. Candidates in order: the HTTP ``Content-Type`` charset, then the document's own
   ``<meta charset>`` / ``http-equiv`` / ``<?xml encoding?>`` declaration. Labels are
   mapped the way browsers map them (WHATWG: ``iso-8859-1`` and ``ascii`` mean
   windows-1252, ``gb2312`` means GB18030, ``shift_jis`` means windows-31J ...).
3. A candidate is accepted when the bytes decode strictly with it and, for anything
   other than UTF-8, when charset-normalizer finds the result coherent (its mess
   ratio stays low). Bytes that are valid UTF-8 with non-ASCII characters are UTF-8,
   whatever the label says.
4. Otherwise charset-normalizer detects the encoding; the note records the
   mismatch (``charset_mismatch:declared=iso-8859-1,used=cp1251``).
5. Last resort: UTF-8 with ``errors="replace"`` and a ``decode_errors_replaced`` note.

Public: ``decode_bytes``, ``charset_from_content_type``, ``sniff_declared_charset``,
``looks_binary``.
"""
from __future__ import annotations

import codecs
import logging
import re
from typing import Optional

__all__ = ["decode_bytes", "charset_from_content_type", "sniff_declared_charset", "looks_binary"]

logger = logging.getLogger(__name__)

# Labels whose browser meaning differs from Python's codec of the same name.
_WHATWG_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "iso8859_1": "cp1252", "latin_1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "l1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "iso_8859-1": "cp1252", "windows-1252": "cp1252", "cp819": "cp1252",
    "iso-8859-9": "cp1254", "latin5": "cp1254", "iso-8859-11": "cp874", "tis-620": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "chinese": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932",
    "windows-31j": "cp932", "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "big5": "big5hkscs",
    "x-user-defined": "cp1252", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
}
# A page cannot declare itself UTF-16 in ASCII-compatible bytes; browsers read that as UTF-8.
_UTF16_LABELS = {"utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be", "ucs-2", "unicode"}

_CT_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
_META_RE = re.compile(rb"""<meta\b[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml\b[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:+-]+)["']""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BINARY_MAGIC = (
    b"%PDF-", b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"BZh",
    b"\xfd7zXZ\x00", b"7z\xbc\xaf", b"Rar!", b"\x7fELF", b"MZ", b"OggS", b"ID3", b"fLaC", b"\x00\x00\x01\x00",
    b"RIFF", b"wOFF", b"wOF2", b"\xd0\xcf\x11\xe0", b"\x28\xb5\x2f\xfd",
)
# Control characters that never appear in text (tab, LF, FF, CR and ESC are allowed).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
_SNIFF_BYTES = 4096
# Order of preference among detection near-ties, roughly by share of the web.
_WEB_PREFERENCE = [
    "utf-8", "cp1252", "cp1251", "gb18030", "cp932", "euc_jp", "cp949", "big5hkscs", "cp1250", "iso8859-2",
    "cp1256", "cp1253", "cp1254", "cp1255", "koi8-r", "cp874", "cp1257", "cp1258", "iso8859-15", "koi8-u",
]
# Above this mess ratio a decoded text is not what its author wrote.
_MAX_CHAOS = 0.1


def charset_from_content_type(ct: Optional[str]) -> Optional[str]:
    """The ``charset`` parameter of an HTTP ``Content-Type`` header, lower-cased, or None."""
    if not ct:
        return None
    m = _CT_CHARSET_RE.search(ct)
    return m.group(1).strip().lower() if m else None


def sniff_declared_charset(raw: bytes) -> Optional[str]:
    """The charset a document declares in its first 4 KB (meta tag or XML declaration), or None."""
    head = raw[:_SNIFF_BYTES]
    m = _XML_DECL_RE.search(head) or _META_RE.search(head)
    return m.group(1).decode("ascii", "replace").strip().lower() if m else None


def _codec_for(label: Optional[str]) -> Optional[str]:
    """Python codec name for a charset label as a browser reads it, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _UTF16_LABELS:
        return "utf-8"
    label = _WHATWG_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def looks_binary(raw: bytes) -> bool:
    """True when ``raw`` is an image, archive, executable or other non-text payload.

    Checks well-known magic numbers, then the density of NUL and other control
    bytes in the first 8 KB (UTF-16/32 text with a BOM, or BOM-less UTF-16 with its
    regular NUL pattern, is text).
    """
    if not raw:
        return False
    if raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if raw.startswith(_BINARY_MAGIC):
        return True
    sample = raw[:8192]
    if _utf16_without_bom(sample):
        return False
    nuls = sample.count(0)
    if nuls > max(2, len(sample) // 1000):
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls / len(sample) > 0.02


def _utf16_without_bom(sample: bytes) -> Optional[str]:
    """"utf-16-le"/"utf-16-be" when ``sample`` looks like BOM-less UTF-16 text, else None."""
    if len(sample) < 16:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _plausible(raw: bytes, codec: str) -> bool:
    """Whether ``raw`` decoded with ``codec`` reads as text rather than mojibake."""
    from charset_normalizer import from_bytes  # import here: heavy, and only needed for non-UTF-8 text

    matches = from_bytes(raw, cp_isolation=[codec], preemptive_behaviour=False, enable_fallback=False)
    best = matches.best()
    return best is not None and best.chaos <= _MAX_CHAOS


def _detect(raw: bytes) -> Optional[str]:
    """charset-normalizer's pick, with near-ties broken by how common each charset is on the web.

    Single-byte Latin charsets often tie exactly (Spanish text scores the same in
    cp1250 and cp1252, but ``ñ`` becomes ``ń`` in cp1250), so the more common one wins.
    """
    from charset_normalizer import from_bytes  # heavy, and only needed for non-UTF-8 text

    matches = list(from_bytes(raw, preemptive_behaviour=False))
    if not matches:
        return None
    best = matches[0]
    # With little non-ASCII text one odd character moves the mess ratio a lot: widen the tie.
    non_ascii = len(raw) - len(raw.translate(None, bytes(range(128))))
    slack = 0.1 if non_ascii < 200 else 0.01
    tied = [m for m in matches if m.chaos <= best.chaos + slack and m.coherence >= best.coherence - 0.02]

    def rank(match) -> int:
        names = [_codec_for(n) for n in [match.encoding, *match.could_be_from_charset]]
        return min((_WEB_PREFERENCE.index(n) for n in names if n in _WEB_PREFERENCE), default=len(_WEB_PREFERENCE))

    chosen = min(tied, key=rank)
    # Charsets that decode these bytes identically: report the most common one.
    names = [n for n in (_codec_for(x) for x in [chosen.encoding, *chosen.could_be_from_charset]) if n]
    return min(names, key=lambda n: _WEB_PREFERENCE.index(n) if n in _WEB_PREFERENCE else len(_WEB_PREFERENCE))


def _mostly_utf8(raw: bytes) -> Optional[str]:
    """The UTF-8 text of ``raw`` when only a few bytes are invalid (a truncated last
    character, a stray windows-1252 byte); None when the bytes are another charset.

    Text in a single-byte charset read as UTF-8 fails on nearly every non-ASCII byte;
    real UTF-8 with damage fails on a handful among many good sequences.
    """
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - raw.count(b"\xef\xbf\xbd")
    ascii_bytes = len(raw.translate(None, bytes(range(128, 256))))
    good = len(text) - ascii_bytes - bad
    if bad <= 0:
        return text
    if good >= 4 * bad or (bad <= 3 and text.rstrip("\ufffd").count("\ufffd") == raw[:-4].count(b"\xef\xbf\xbd")):
        return text
    return None


def _is_ascii(raw: bytes) -> bool:
    return raw.isascii()


def _strict(raw: bytes, codec: str) -> Optional[str]:
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _declared_codecs(raw: bytes, declared: Optional[str], notes: list) -> tuple:
    """The charset labels declared (header first, then the document's own) and ``[(label, codec)]`` known."""
    labels = []
    for label in (declared, sniff_declared_charset(raw)):
        if label and label.lower() not in [x.lower() for x in labels]:
            labels.append(label.lower())
    candidates = []
    for label in labels:
        codec = _codec_for(label)
        if codec is None:
            notes.append(f"unknown_charset:{label[:40]}")
        elif codec not in [c for _, c in candidates]:
            candidates.append((label, codec))
    return labels, candidates


def _detected(raw: bytes, candidates: list, notes: list) -> tuple:
    """``(text, codec)`` of bytes that are not UTF-8 and fit no declared charset: UTF-16 sniffing, then detection."""
    used = _utf16_without_bom(raw[:8192]) or _detect(raw)
    text = _strict(raw, used) if used else None
    if text is None and used:
        # Detection looks at samples; a stray bad byte elsewhere must not lose the page.
        text = raw.decode(used, errors="replace")
        notes.append(f"decode_errors_replaced:{used}")
    if text is None:
        used = candidates[0][1] if candidates else "utf-8"
        text = raw.decode(used, errors="replace")
        notes.append(f"decode_errors_replaced:{used}")
    return text, used


def decode_bytes(raw: bytes, declared: Optional[str] = None) -> tuple:
    """Decode a web page or feed body to text, verifying any declared charset.

    Args:
        raw: The undecoded bytes.
        declared: The charset from the HTTP ``Content-Type`` header (see
            ``charset_from_content_type``), or None.

    Returns:
        ``(text, encoding_used, notes)``: the text (BOM stripped), the Python codec
        name that produced it, and a tuple of notes such as ``"bom:utf-8"``,
        ``"charset_detected:shift_jis"``, ``"unknown_charset:x-foo"``,
        ``"charset_mismatch:declared=iso-8859-1,used=cp1251"`` or
        ``"decode_errors_replaced:utf-8"``. Never raises on bad bytes.
    """
    if not raw:
        return "", "utf-8", ()
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            text = raw[len(bom):].decode(codec, errors="replace")
            return text, codec, (f"bom:{codec}",)

    notes: list = []
    labels, candidates = _declared_codecs(raw, declared, notes)
    if _is_ascii(raw):
        codec = candidates[0][1] if candidates else "utf-8"
        return raw.decode(codec, errors="replace"), codec, tuple(notes)

    utf8 = _strict(raw, "utf-8")
    damaged_utf8 = _mostly_utf8(raw) if utf8 is None else None
    for label, codec in candidates:
        if codec == "utf-8":
            if utf8 is not None:
                return utf8, "utf-8", tuple(notes)
            if damaged_utf8 is not None:
                return damaged_utf8, "utf-8", tuple(notes) + ("decode_errors_replaced:utf-8",)
            continue
        if utf8 is not None:
            # Valid UTF-8 with non-ASCII bytes is practically never another charset's text.
            continue
        text = _strict(raw, codec)
        if text is not None and _plausible(raw, codec):
            if label != labels[0]:
                notes.append(f"charset_mismatch:declared={labels[0]},used={codec}")
            return text, codec, tuple(notes)

    declared_label = labels[0] if labels else None
    if utf8 is not None:
        if not declared_label:
            return utf8, "utf-8", tuple(notes)  # the default, not a guess: nothing to note
        used, text = "utf-8", utf8
    elif damaged_utf8 is not None:
        used, text = "utf-8", damaged_utf8
        notes.append("decode_errors_replaced:utf-8")
    else:
        text, used = _detected(raw, candidates, notes)
    if used in [c for _, c in candidates]:
        # Detection agrees with a label whose plausibility check was inconclusive.
        notes.append(f"charset_low_confidence:{used}")
    elif declared_label:
        notes.append(f"charset_mismatch:declared={declared_label},used={used}")
    else:
        notes.append(f"charset_detected:{used}")
    logger.debug("decoded as %s: %s", used, notes)
    return text, used, tuple(notes)
