"""simplemma's lemma dictionaries and wordfreq's frequency lists, held compactly.

Both libraries keep a language's whole list as Python objects once it is used:
simplemma a ``dict`` of bytes (Russian ~170 MB, German ~140 MB), wordfreq the
list of words by frequency band and a ``dict`` of them (Russian ~130 MB). Every
extraction worker of a local run computes event terms (``transforms.dedup.features``)
and holds a copy of each language it has met, so memory grew with the languages of
a run times the processes: nine European languages took 1.3 GB a process, and one
Cyrillic page of ``make soak``'s hazards added 250 MB to a worker.

* Lemmas: simplemma's dictionary of a language is read once and kept as the sorted
  64-bit ``hash`` of each key with the number of its lemma, and the lemmas once each
  (``LemmaTable``: 12 bytes a word, Russian's 1.36 million words ~19 MB), looked up
  by the same strategy chain as ``simplemma.lemmatize``. simplemma's own low-memory
  backend (a front-coded stream decoded on each lookup) was as small, but a word not in
  the dictionary took 42 us to lemmatise against 7 us before, in Python's searches.
* Frequencies are read from wordfreq's file once and kept as two arrays: the
  sorted 64-bit ``hash`` of every word's UTF-8 bytes (``_code``) and its frequency band (10 bytes a word,
  ~7 MB for Russian's 713,000 words).

``hash`` is the process's own, so a table is never shared between processes. Two different
words of one list, or a word and an absent one, share a 64-bit hash with odds of about
1 in 10^7 a language.

``_Lexicon`` (``transforms.dedup.events``) learns each distinct token once per
process, so lookups here happen once per new word.

``word_frequency`` and ``zipf_frequency`` are wordfreq's, step for step, on these tables (a word
its tokenizer splits, or one with digits, is looked up as wordfreq would).

Public: ``lemma_dictionary``, ``lemmatize``, ``LemmaTable``, ``FrequencyTable``, ``frequency_table``, ``word_frequency``,
``zipf_frequency``.
"""
from __future__ import annotations

import functools
import itertools
import math
from typing import Mapping, Optional

import numpy as np
import simplemma
import wordfreq
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import (SUPPORTED_LANGUAGES, CachingDictionaryFactory,
                                                                 DecodedStrMapping, _load_dictionary_from_disk)
from wordfreq import digit_freq, get_language_info, lossy_tokenize, smash_numbers

__all__ = ["lemma_dictionary", "lemmatize", "LemmaTable", "FrequencyTable", "frequency_table", "word_frequency", "zipf_frequency"]


def _code(word: str) -> int:
    """A word's 64-bit key: the ``hash`` of its UTF-8 bytes.

    Not ``hash(word)``: Python hashes a str over its internal buffer, one, two or four bytes a character,
    so "a1" (61 31) and "ㅡ" (U+3161) hash alike. Every wordfreq list has such pairs (English 16, Chinese 462),
    and a word then took the other's frequency in one process and not in the next.
    """
    return hash(word.encode("utf-8", "surrogatepass"))


def _sorted_by_hash(hashes: np.ndarray, values: np.ndarray) -> tuple:
    """``(hashes, values)`` in the order of the hashes, for ``_find``."""
    order = np.argsort(hashes)
    return hashes[order], values[order]


def _find(hashes: np.ndarray, code: int) -> int:
    """Where ``code`` is in the sorted ``hashes``, or -1."""
    at = int(hashes.searchsorted(code))
    return at if at < hashes.size and hashes[at] == code else -1


def _find_all(hashes: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``_find`` of each of ``codes``, in one search."""
    if not hashes.size:
        return np.full(codes.size, -1, dtype=np.int64)
    at = np.minimum(hashes.searchsorted(codes), hashes.size - 1)
    return np.where(hashes[at] == codes, at, -1)


class LemmaTable(DecodedStrMapping):
    """A simplemma dictionary (bytes -> bytes) as the sorted ``hash`` of each key, the number of its lemma, and
    the lemmas once each in one buffer. Only ``get`` is needed by simplemma's strategies; the keys are not kept."""

    __slots__ = ("_keys", "_ids", "_lemmas", "_starts")

    def __init__(self, raw: dict):
        numbers = dict(zip(dict.fromkeys(raw.values()), itertools.count()))
        ids = np.fromiter(map(numbers.__getitem__, raw.values()), dtype=np.uint32, count=len(raw))
        self._keys, self._ids = _sorted_by_hash(np.fromiter(map(hash, raw), dtype=np.int64, count=len(raw)), ids)
        self._lemmas = b"".join(numbers)
        self._starts = np.zeros(len(numbers) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, numbers), dtype=np.int64, count=len(numbers)), out=self._starts[1:])

    def _lookup(self, key: str) -> Optional[str]:
        at = _find(self._keys, _code(key))
        if at < 0:
            return None
        n = int(self._ids[at])
        return self._lemmas[self._starts[n]:self._starts[n + 1]].decode()

    def get_all(self, keys: list) -> list:
        """``[self.get(key) for key in keys]`` in one search: a worker's new words are learnt in batches."""
        at = _find_all(self._keys, np.fromiter(map(_code, keys), dtype=np.int64, count=len(keys)))
        out: list = [None] * len(keys)
        hits = np.flatnonzero(at >= 0)
        ids = self._ids[at[hits]]
        lemmas = self._lemmas
        for i, start, end in zip(hits.tolist(), self._starts[ids].tolist(), self._starts[ids + 1].tolist()):
            out[i] = lemmas[start:end].decode()
        return out

    def __iter__(self):
        raise TypeError("a LemmaTable keeps its keys' hashes, not the keys")

    def __len__(self) -> int:
        return int(self._keys.size)


class _LemmaTables(CachingDictionaryFactory):
    """simplemma's dictionaries as ``LemmaTable``s, every language met kept (simplemma's factories keep 8, and
    a run of more languages would read them again for every batch: 0.2-2.7 s each)."""

    def __init__(self):
        super().__init__(cache_max_size=len(SUPPORTED_LANGUAGES))

    def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
        return LemmaTable(_load_dictionary_from_disk(lang))


_DICTIONARIES = _LemmaTables()
_LEMMATIZER = simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=_DICTIONARIES))


def lemma_dictionary(lang: str) -> Mapping[str, str]:
    """simplemma's dictionary of ``lang`` (str -> str), as a ``LemmaTable``."""
    return _DICTIONARIES.get_dictionary(lang)


def lemmatize(token: str, lang: str) -> str:
    """``simplemma.lemmatize(token, lang=lang)``, with the dictionaries held compactly."""
    return _LEMMATIZER.lemmatize(token, lang)


class FrequencyTable:
    """A wordfreq word list as ``word -> frequency`` (what ``get_frequency_dict`` maps it to)."""

    __slots__ = ("_keys", "_bands")

    def __init__(self, bands: list):
        """``bands``: wordfreq's list of words by centibel band (``read_cBpack``), band k at -k cB."""
        n = sum(map(len, bands))
        self._keys, self._bands = _sorted_by_hash(
            np.fromiter((_code(w) for band in bands for w in band), dtype=np.int64, count=n),
            np.repeat(np.arange(len(bands), dtype=np.uint16), [len(b) for b in bands]))

    def get(self, word: str) -> Optional[float]:
        at = _find(self._keys, _code(word))
        return None if at < 0 else wordfreq.cB_to_freq(-int(self._bands[at]))

    def get_all(self, words: list) -> list:
        """``[self.get(word) for word in words]`` in one search."""
        at = _find_all(self._keys, np.fromiter(map(_code, words), dtype=np.int64, count=len(words)))
        bands = self._bands[np.maximum(at, 0)].tolist()
        return [None if k < 0 else wordfreq.cB_to_freq(-band) for k, band in zip(at.tolist(), bands)]

    def __len__(self) -> int:
        return int(self._keys.size)


@functools.lru_cache(maxsize=None)
def frequency_table(lang: str, wordlist: str = "best") -> FrequencyTable:
    """The frequency table of ``lang``, read as ``wordfreq.get_frequency_list`` finds it (the closest
    language wordfreq has), without wordfreq's cached copies of it. Languages that resolve to one list
    (Luxembourgish to German, "pt-BR" to "pt") share its table.

    Raises ``LookupError`` when wordfreq has no list near ``lang``.
    """
    import langcodes
    available = wordfreq.available_languages(wordlist)
    best, _ = langcodes.closest_match(lang, list(available), max_distance=60)
    if best == "und":
        raise LookupError(f"No wordlist {wordlist!r} available for language {lang!r}")
    return _table_of(available[best])


@functools.lru_cache(maxsize=None)
def _table_of(path: str) -> FrequencyTable:
    return FrequencyTable(wordfreq.read_cBpack(path))


def word_frequency(word: str, lang: str, wordlist: str = "best", minimum: float = 0.0) -> float:
    """``wordfreq.word_frequency`` (uncached) on ``frequency_table``: the same tokens, digits and rounding."""
    tokens = lossy_tokenize(word, lang)
    if not tokens:
        return minimum
    table = frequency_table(lang, wordlist)
    # A text of several tokens is as rare as 1 / f = 1 / f1 + 1 / f2 + ...; one unknown token makes it unknown.
    one_over_result = 0.0
    for token in tokens:
        smashed = smash_numbers(token)
        freq = table.get(smashed)
        if freq is None:
            return minimum
        if smashed != token:
            freq *= digit_freq(token)
        one_over_result += 1.0 / freq
    freq = 1.0 / one_over_result
    if get_language_info(lang)["tokenizer"] == "jieba":
        freq *= wordfreq.INFERRED_SPACE_FACTOR ** -(len(tokens) - 1)
    unrounded = max(freq, minimum)
    if unrounded == 0.0:
        return 0.0
    return round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)


def zipf_frequency(word: str, lang: str, wordlist: str = "best", minimum: float = 0.0) -> float:
    """``wordfreq.zipf_frequency`` on ``frequency_table``."""
    freq = word_frequency(word, lang, wordlist, wordfreq.zipf_to_freq(minimum))
    return round(wordfreq.freq_to_zipf(freq), 2)
