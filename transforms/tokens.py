"""Words: the one tokenizer every module that counts, compares or shingles text uses.

Text is NFKC-normalised and case-folded, so typography and case never split a
copy from its original. Han characters and kana are one token each: Chinese and
Japanese are written without spaces, and a character is the unit a shingle can
rely on there. Hangul is written with spaces between words, so a Korean word is
one token, like a Latin one. Punctuation and underscores separate tokens.

    >>> words("The “Quick”, brown FOX!")
    ['the', 'quick', 'brown', 'fox']
    >>> words("北京 budget")
    ['北', '京', 'budget']
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable

__all__ = ["CJK", "words", "count_words", "content_hash", "tokens_hash"]

#: Scripts written without spaces: kana, CJK ideographs (with extension A) and compatibility ideographs.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{CJK}]|[^\W_{CJK}]+", re.UNICODE)


def words(text: str) -> list:
    """NFKC, case-folded word tokens of ``text``."""
    return _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).casefold())


def count_words(text: str) -> int:
    """``len(words(text))`` without case folding.

    The matches are counted as ``findall``'s list, built in C: a Python loop over ``finditer``
    took 260 against 193 us on a 5 KB text, and a run counts each article's words 3-4 times.
    """
    return len(_TOKEN_RE.findall(unicodedata.normalize("NFKC", text)))


def content_hash(text: str) -> str:
    """Stable 64-bit hash (hex) of the normalised words: exact duplicates share it."""
    return tokens_hash(words(text))


def tokens_hash(tokens: Iterable[str]) -> str:
    """``content_hash`` of a text from its ``words``, when the caller has them: also the words of each of its
    lines, in order, as a token never spans a line break (neither NFKC nor case folding joins a character
    to a line break, and the tokenizer stops at one)."""
    return hashlib.blake2b(" ".join(tokens).encode(), digest_size=8).hexdigest()
