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

* Both lists are kept decoded on disk (``STORYWIRE_CACHE_DIR``, else ``$XDG_CACHE_HOME/storywire`` or
  ``~/.cache/storywire``; ``off`` keeps nothing): the words as UTF-8 bytes one after another and their
  lemma numbers or bands, never their hashes. Decoding simplemma's and wordfreq's files took a process
  0.3-3 s a language (Russian 2.6 s, German 1.8 s), every run and in every extraction worker, and a run
  scheduled every few minutes pays it each time; read back, a language takes ~0.1-0.6 s. A file is
  written whole under another name and renamed, so a reader never sees half of one; one that does not
  read back is built again from the libraries' files.

``_Lexicon`` (``transforms.dedup.events``) learns each distinct token once per
process, so lookups here happen once per new word.

``word_frequency`` and ``zipf_frequency`` are wordfreq's, step for step, on these tables (a word
its tokenizer splits, or one with digits, is looked up as wordfreq would).

Public: ``lemma_dictionary``, ``lemmatize``, ``LemmaTable``, ``FrequencyTable``, ``frequency_table``, ``word_frequency``,
``zipf_frequency``.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import math
import os
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Dict, Mapping, Optional

import numpy as np
import simplemma
import wordfreq
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import (SUPPORTED_LANGUAGES, CachingDictionaryFactory,
                                                                 DecodedStrMapping, _load_dictionary_from_disk)
from wordfreq import digit_freq, get_language_info, lossy_tokenize, smash_numbers

__all__ = ["lemma_dictionary", "lemmatize", "LemmaTable", "FrequencyTable", "frequency_table", "word_frequency", "zipf_frequency"]


#: A word's UTF-8 bytes, as ``_code`` hashes them and the cached frequency lists keep them.
_utf8 = functools.partial(str.encode, encoding="utf-8", errors="surrogatepass")


def _code(word: str) -> int:
    """A word's 64-bit key: the ``hash`` of its UTF-8 bytes.

    Not ``hash(word)``: Python hashes a str over its internal buffer, one, two or four bytes a character,
    so "a1" (61 31) and "ㅡ" (U+3161) hash alike. Every wordfreq list has such pairs (English 16, Chinese 462),
    and a word then took the other's frequency in one process and not in the next.
    """
    return hash(_utf8(word))


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


#: Bumped when what a cached list holds changes: another name, never a misread file.
_CACHE_FORMAT = 1


def _cache_dir() -> Optional[Path]:
    """Where decoded word lists are kept (None: nowhere), one folder per version of both libraries."""
    root = os.environ.get("STORYWIRE_CACHE_DIR", "")
    if root.lower() == "off":
        return None
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        if not os.path.isabs(base):
            return None  # no home to find (a service account without one): no folder in the working one
        root = os.path.join(base, "storywire")
    return Path(root) / (f"wordlists-{_CACHE_FORMAT}-simplemma-{version('simplemma')}"
                         f"-wordfreq-{version('wordfreq')}")


def _cached(name: str, build: Callable[[], Dict[str, object]],
            valid: Callable[[Dict[str, object]], bool]) -> Dict[str, object]:
    """``build()``'s lists of byte strings (no NUL byte in any) and arrays, read from the cache when it holds
    them and they are ``valid`` (their lengths agree), else built and written there. A list is kept as its
    strings joined by NUL bytes."""
    folder = _cache_dir()
    path = None if folder is None else folder / f"{name}.npz"
    if path is not None:
        try:
            with np.load(path, allow_pickle=False) as stored:
                out: Dict[str, object] = {}
                for key in stored.files:
                    if key.endswith(".words"):
                        part = key.removesuffix(".words")
                        blob, count = stored[key].tobytes(), int(stored[part + ".count"])
                        words = blob.split(b"\0") if count else []
                        if len(words) != count:
                            raise ValueError(f"{path}: {key} holds {len(words)} words, not {count}")
                        out[part] = words
                    elif not key.endswith(".count"):
                        out[key] = stored[key]
            if valid(out):
                return out
        except Exception:  # noqa: BLE001 - absent, cut short, not a zip, other arrays: whatever it is, built again
            pass
    built = build()
    if path is not None:
        _store(path, built)
    return built


def _store(path: Path, parts: Dict[str, object]) -> None:
    arrays = {}
    for key, value in parts.items():
        if isinstance(value, list):
            joined = b"\0".join(value)
            if joined.count(b"\0") != max(len(value) - 1, 0):
                return  # a word holds a NUL byte: not kept (none of the libraries' lists has one)
            arrays[key + ".words"] = np.frombuffer(joined, dtype=np.uint8)
            arrays[key + ".count"] = np.array(len(value))
        else:
            arrays[key] = value
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as fh:
            tmp = fh.name
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except OSError:  # a read-only or full cache: the lists are rebuilt by the next process
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _lemma_parts_valid(parts: Dict[str, object]) -> bool:
    keys, ids, lemmas, starts = parts["keys"], parts["ids"], parts["lemmas"], parts["starts"]
    return (len(keys) == len(ids) and starts.ndim == 1 and starts.size >= 1 and int(starts[-1]) == lemmas.size
            and (not ids.size or int(ids.max()) < starts.size - 1))


def _lemma_parts(raw: dict) -> Dict[str, object]:
    """A simplemma dictionary (bytes -> bytes) as its keys, the number of each key's lemma, and the lemmas one
    after another with where each starts."""
    numbers = dict(zip(dict.fromkeys(raw.values()), itertools.count()))
    ids = np.fromiter(map(numbers.__getitem__, raw.values()), dtype=np.uint32, count=len(raw))
    starts = np.zeros(len(numbers) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, numbers), dtype=np.int64, count=len(numbers)), out=starts[1:])
    return {"keys": list(raw), "ids": ids, "lemmas": np.frombuffer(b"".join(numbers), dtype=np.uint8),
            "starts": starts}


class LemmaTable(DecodedStrMapping):
    """A simplemma dictionary (bytes -> bytes) as the sorted ``hash`` of each key, the number of its lemma, and
    the lemmas once each in one buffer. Only ``get`` is needed by simplemma's strategies; the keys are not kept."""

    __slots__ = ("_keys", "_ids", "_lemmas", "_starts")

    def __init__(self, raw: Optional[dict] = None, parts: Optional[dict] = None):
        """From a simplemma dictionary ``raw``, or from its ``_lemma_parts``."""
        parts = _lemma_parts(raw) if parts is None else parts
        keys = parts["keys"]
        self._keys, self._ids = _sorted_by_hash(np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys)),
                                                np.asarray(parts["ids"], dtype=np.uint32))
        # The lemmas once each, one after another: lemma n is ``_lemmas[_starts[n]:_starts[n + 1]]``.
        self._lemmas = np.asarray(parts["lemmas"], dtype=np.uint8).tobytes()
        self._starts = np.asarray(parts["starts"], dtype=np.int64)

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
        return LemmaTable(parts=_cached(f"lemmas-{lang}", lambda: _lemma_parts(_load_dictionary_from_disk(lang)),
                                        _lemma_parts_valid))


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

    def __init__(self, bands: Optional[list] = None, parts: Optional[dict] = None):
        """``bands``: wordfreq's list of words by centibel band (``read_cBpack``), band k at -k cB; or their
        ``_frequency_parts``."""
        parts = _frequency_parts(bands) if parts is None else parts
        words = parts["words"]
        # ``_code`` of each word, its bytes hashed in C.
        self._keys, self._bands = _sorted_by_hash(np.fromiter(map(hash, words), dtype=np.int64, count=len(words)),
                                                  np.asarray(parts["bands"], dtype=np.uint16))

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
    return FrequencyTable(parts=_cached(f"frequencies-{os.path.basename(path)}",
                                        lambda: _frequency_parts(wordfreq.read_cBpack(path)),
                                        lambda parts: len(parts["words"]) == len(parts["bands"])))


def _frequency_parts(bands: list) -> Dict[str, object]:
    """wordfreq's bands as each word's UTF-8 bytes (as ``_code`` hashes them) and its band."""
    return {"words": list(map(_utf8, itertools.chain.from_iterable(bands))),
            "bands": np.repeat(np.arange(len(bands), dtype=np.uint16), [len(b) for b in bands])}


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
