"""The event level: all coverage of one news event, copies, rewrites and independent reports alike.

A story cluster (``cluster_id``) holds the same text. An event (``event_id``)
holds every text about the same happening within a date window, written in
other words too, so shingles cannot find it. What is shared instead is the
vocabulary of the facts: names, places, numbers, rare words.

- ``event_terms``: the top-weighted terms of a document's title and lead (its
  first ``LEAD_WORDS`` words: a long article's background blends events). Words are lemmatised
  (``simplemma``, where the language is supported) and weighted by rarity in
  the language (``wordfreq``'s Zipf frequency: a word seen less than once per
  million words weighs most), times a dampened term frequency; numbers count
  as rare words. Common words (Zipf >= 5.2: "the", "said", "year") are dropped.
- Candidates: every pair of a document's 6 top terms is a band key, grouped with
  ``GroupByKey`` like the MinHash bands, so the event level scales out the same
  way. On the rewrites set, 94 of 96 same-event pairs share a key. A key held by
  more than ``bucket_cap`` texts is a common pair of terms: its holders are paired
  with one of them only (``lsh.bucket_pairs``), as LSH pairs a capped bucket. A key's holders
  are paired within date slots of ``window_days`` (``date_slots``, ``window_buckets``), so texts
  that no date window allows are no candidates and a key stays a key of one news period.
- Verification: cosine of the term vectors >= ``threshold`` and dates at most
  ``window_days`` apart (``within_window``: an undated member has its cluster's
  dates). On the rewrites set and the real-page benchmark, same-event texts score
  0.31-0.70 and pages on the same topic but another event up to 0.55.
- Events: the connected components of those links and of cluster membership (a
  condensed rewrite joins through the close one), each split by group-average
  linkage of its story clusters at ``merge_threshold`` (``split_event``), so one
  page carrying two stories does not join their events.

Roles within an event (``event_role``): ``original`` for the canonical of the
event's earliest cluster, ``copy`` for every non-canonical member of any cluster
(same text). The canonical of any other cluster is told by the sources the texts
credit (``credited_source``: "(AP)", "Reuters contributed"), the one offline sign of
where a text comes from: ``rewrite`` when its cluster credits a source the
original's cluster credits (a wire story in other words), ``independent`` when both
credit sources and none is shared (another agency's report), else ``related``: a
rewrite or an independent report, not guessed. On the rewrites set, 7 of 8
paraphrases of credited stories keep the credit and no independent report carries
it; no two outlets' reports of one AEB event credit one source.
"""
from __future__ import annotations

import bisect
import collections.abc
import functools
import hashlib
import itertools
import math
import re
import threading
import unicodedata
from typing import Iterable, Iterator, Mapping, Optional, Sequence

import numpy as np
import wordfreq
from simplemma.strategies.apostrophe_boundary import APOSTROPHE_BOUNDARY_LANGS
from simplemma.utils import canonicalize_token

from transforms.dedup.roles import source_slug
from transforms.dedup.shingles import WORD_WIDTH, hash_terms, hash_words, in_sorted, mix_hashes, span_indexes
from transforms.dedup.wordlists import FrequencyTable, frequency_table, lemma_dictionary, lemmatize, zipf_frequency
from transforms.extract.text import page_title
from transforms.tokens import words

__all__ = ["EventConfig", "event_terms", "articles_event_terms", "load_language", "pack_terms", "unpack_terms",
           "event_keys", "packed_key_terms", "term_pair_keys", "packed_event_keys", "event_key_hashes", "cosine",
           "packed_cosine", "TermSplits", "verify_event_pairs", "term_weights", "summed_terms", "summed_vectors",
           "within_window", "cluster_dates", "date_slots", "window_buckets", "split_event", "event_id_for",
           "EVENT_ROLES", "event_roles"]

#: Values of ``event_role``; ``related`` = a rewrite or an independent report, not told apart (module docstring).
EVENT_ROLES = ("original", "copy", "rewrite", "independent", "related")


class EventConfig:
    """Event-level parameters; defaults were measured on the rewrites set (module docstring).

    ``bucket_cap``: 20, not 50. On 100,000 generated documents, 95% of the candidate pairs of different
    clusters shared one key only (two top terms), and 0.4% of those passed; pairs from keys of 21-50
    holders were half of all pairs (733,000) and gave 742 links, nearly all joined through other
    links anyway. At 20: 785,000 pairs instead of 1.48 million, event pair F1 0.9994 both, recall
    0.9989 -> 0.9988; at 10,000, F1 0.9972 -> 0.9967 (two more documents outside their event). No key of
    the real-page corpora has more than 16 holders, so nothing changes there; at 12 or 8, pairs fell
    further but links and recall went with them.
    """

    def __init__(self, threshold: float = 0.5, window_days: float = 3.0, top_terms: int = 40, key_terms: int = 6,
                 bucket_cap: int = 20, merge_threshold: float = 0.4):
        if not 0.0 < threshold < 1.0 or not 0.0 < merge_threshold < 1.0:
            raise ValueError(f"event thresholds must be in (0, 1), got {threshold} and {merge_threshold}")
        if window_days < 0 or top_terms < key_terms or key_terms < 2 or bucket_cap < 2:
            raise ValueError("window_days >= 0, top_terms >= key_terms >= 2 and bucket_cap >= 2 are required")
        self.threshold, self.window_days = threshold, window_days
        self.top_terms, self.key_terms, self.bucket_cap = top_terms, key_terms, bucket_cap
        self.merge_threshold = merge_threshold

    def to_metadata(self) -> dict:
        return dict(vars(self))


#: Words of a text that make its terms: the lead. News puts the event (who, what, where, when) first;
#: a long article's later paragraphs are background that every story of a running topic repeats (each
#: impeachment hearing's report retells the July 25 call), and they joined two hearings of one inquiry
#: into one event. On the real-page benchmark: 300 words lose rewrites and independent reports (12 and
#: 14 of 16 join their event), 400-500 keep all of them and part the hearings, 700 or more join them.
LEAD_WORDS = 450
_COMMON_ZIPF = 5.2
_MAX_IDF = 7.0
_NUMBER_ZIPF = 2.0
_LEMMA_LANGS = frozenset(("ar", "bg", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "ga",
                          "gl", "he", "hi", "hu", "hy", "id", "is", "it", "ka", "la", "lb", "lt", "lv", "mk", "ms",
                          "nb", "nl", "nn", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sv", "sw", "tl", "tr", "uk"))


@functools.lru_cache(maxsize=None)
def _frequencies(lang: str) -> Optional[FrequencyTable]:
    """wordfreq's frequency table for ``lang`` when a plain word can be looked up in it as it is.

    ``zipf_frequency`` re-tokenises and normalises every word it is asked about (~40-70 us a
    word, the most of a cold run's event cost). For a language whose words wordfreq only
    NFC-normalises, case-folds and splits with its regex, an alphabetic word is its own single
    token, so the table answers directly (measured identical on every word and lemma of the
    real-page and generated benchmark corpora). Others take the slow path.
    """
    try:
        info = wordfreq.get_language_info(lang)
        if (info["tokenizer"] != "regex" or info["remove_marks"] or info["dotless_i"] or info["diacritics_under"]
                or info["transliteration"] or info["lookup_transliteration"]):
            return None
        # Not wordfreq's own dict: it keeps that and the list it was made from for the process's life.
        return frequency_table(lang, "best")
    except (ImportError, LookupError, ValueError, KeyError):
        return None


@functools.lru_cache(maxsize=4096)
def _zipf_of(frequency: Optional[float]) -> float:
    """``zipf_frequency``'s value for a table frequency (3 significant digits, Zipf to 2 decimals).

    wordfreq stores frequencies in steps of a centibel: a few hundred values, so each is computed once.
    """
    if not frequency:
        return 0.0
    frequency = round(frequency, math.floor(-math.log10(frequency)) + 3)
    return round(math.log10(frequency) + 9, 2)


@functools.lru_cache(maxsize=200_000)
def _zipf(word: str, lang: str) -> float:
    table = _frequencies(lang)
    if table is not None and word.isalpha():
        # Lemmas of names come capitalised (simplemma); wordfreq case-folds what it looks up.
        return _zipf_of(table.get(word.casefold()))
    if lang in _NO_FREQUENCIES:
        return 0.0
    try:
        return zipf_frequency(word, lang)
    except ImportError:
        # Chinese and Japanese need tokenizers wordfreq does not ship: every term is rare. Python does
        # not remember a failed import, so it is not tried again for every new word.
        _NO_FREQUENCIES.add(lang)
        return 0.0
    except (LookupError, ValueError):
        return 0.0


_NO_FREQUENCIES: set = set()


def _zipfs(words: list, lang: str) -> list:
    """``[_zipf(word, lang) for word in words]``, the words the frequency table answers looked up in one search."""
    table = _frequencies(lang)
    if table is None:
        return [_zipf(word, lang) for word in words]
    out = [_zipf(word, lang) if not word.isalpha() else None for word in words]
    direct = [i for i, word in enumerate(words) if word.isalpha()]
    for i, frequency in zip(direct, table.get_all([words[i].casefold() for i in direct])):
        out[i] = _zipf_of(frequency)
    return out


def _terms(tokens: list, lang: str) -> list:
    """Each token's (term, rarity weight), its lemma's, or None for a common word.

    A worker learns new words in batches (``_Lexicon.numbers``), the lemma and frequency tables searched for
    all of them at once: one at a time, a word cost ~9 us, most of a short run's event tier.
    """
    out: list = [None] * len(tokens)
    worded = []
    for i, token in enumerate(tokens):
        if token.isdigit():
            out[i] = (token, _MAX_IDF - _NUMBER_ZIPF) if len(token) >= 2 else None
        elif len(token) >= 2:
            worded.append(i)
    plain = [tokens[i] for i in worded]
    lemmas = _lemmas(plain, lang) if lang in _LEMMA_LANGS else plain
    # Packed terms are separated by spaces and tabs: a lemma with either is the word itself.
    lemmas = [lemma if lemma and lemma.split() == [lemma] else token for lemma, token in zip(lemmas, plain)]
    changed = [k for k, (lemma, token) in enumerate(zip(lemmas, plain)) if lemma != token]
    zipfs = _zipfs(lemmas + [plain[k] for k in changed], lang)
    spoken = zipfs[:len(plain)]
    for k, z in zip(changed, zipfs[len(plain):]):
        spoken[k] = z
    for i, token, lemma, rarity, said in zip(worded, plain, lemmas, zipfs, spoken):
        # A common word is dropped when its lemma or the word itself is common.
        if rarity >= _COMMON_ZIPF or said >= _COMMON_ZIPF:
            continue
        if not rarity and said:
            # A lemma the language's word list does not know, of a word it does, is a rule's guess gone
            # wrong (simplemma: "growing" -> "growe", "unpaid" -> "unpay"): the word stands for itself.
            # Weighed as the unknown lemma, a word was the heaviest term of unrelated texts.
            lemma, rarity = token, said
        out[i] = (lemma, max(0.5, _MAX_IDF - rarity))
    return out


@functools.lru_cache(maxsize=None)
def _lemma_table(lang: str) -> Optional[Mapping[str, str]]:
    """simplemma's dictionary of ``lang`` (``wordlists.lemma_dictionary``), when its lookup can be made here.

    ``simplemma.lemmatize`` first looks a word up as it is and then with its first letter's case
    reversed; half of a first pass's new words are found so, and each one cost ~3 us through
    simplemma's strategy chain against ~1 us here (measured on simplemma's own dicts; a ``LemmaTable``
    lookup adds ~2 us to either). Turkish goes through simplemma (its apostrophe rule comes first).
    """
    if lang in APOSTROPHE_BOUNDARY_LANGS:
        return None
    return lemma_dictionary(lang)


def _lemmas(tokens: list, lang: str) -> list:
    """``simplemma.lemmatize(token, lang=lang)`` of each token, its dictionary hits looked up directly, for all
    of them in one search."""
    table = _lemma_table(lang)
    found: list = [None] * len(tokens)
    if table is not None:
        normal = [unicodedata.normalize("NFC", token) for token in tokens]
        asked = [i for i, word in enumerate(normal) if not word.isnumeric()]
        keys = [canonicalize_token(normal[i], lang) for i in asked]
        for i, lemma in zip(asked, table.get_all(keys)):
            found[i] = lemma
        # Then with the first letter's case reversed, as simplemma tries it.
        again = [(i, key) for i, key in zip(asked, keys) if found[i] is None]
        swapped = [key.lower() if key[:1].isupper() else key.capitalize() for _, key in again]
        for (i, _), lemma in zip(again, table.get_all(swapped)):
            found[i] = lemma
    return [lemmatize(token, lang) if lemma is None else lemma for token, lemma in zip(tokens, found)]


class _Lexicon:
    """One language's tokens as term numbers, learnt once per distinct token.

    Lemmatising a word costs ~15 us and wordfreq's slow path 40-70 us; a document has ~170
    distinct tokens, mostly seen before. Each token is resolved once per process, and a
    document is then counted as an array of term numbers (0 = a common word, dropped).
    """

    def __init__(self, lang: str):
        self.lang = lang
        self.number = {}                     # token -> term number
        self._term_number = {}               # term -> term number
        self.term_count = 1                  # terms numbered so far (0: a common word)
        # Term number -> its rarity weight, whether it is a three-digit number ("000"), the term, and its first
        # 8 UTF-8 bytes as a big-endian number, which orders terms as their strings do where it differs (a
        # batch's terms are named and their ties sorted in a few array operations, ``_ranked_in``). Slots from
        # ``term_count`` on are unused.
        self.idf = np.zeros(1024)
        self.group = np.zeros(1024, dtype=bool)
        self.names = np.zeros(1024, dtype=object)
        self.prefix = np.zeros(1024, dtype=np.uint64)
        # ``hash_words`` of each learnt token of at most ``WORD_WIDTH`` characters -> its term number, open
        # addressed (0: an empty slot): keys and values, swapped together when the table grows.
        self._hashed = (np.zeros(1 << 12, dtype=np.uint64), np.zeros(1 << 12, dtype=np.int64))
        self._hashed_count = 0
        # A DoFn may run in several threads of one worker; only learning new tokens needs the lock.
        self._lock = threading.Lock()
        # The language's lemma and frequency lists load here, once per worker, rather than with
        # whichever of its first words reaches each of them (about a second per language).
        if lang in _LEMMA_LANGS:
            lemmatize("news", lang)
        if _frequencies(lang) is None:
            _zipf("news", lang)

    def numbers(self, tokens: Sequence, hashes: Optional[np.ndarray] = None) -> np.ndarray:
        """Term number of each token (0 for a common word). ``hashes``: the tokens' ``hash_words``, when the
        caller has them (the new ones go into ``hashed_numbers``' table without hashing them again)."""
        number = self.number
        # One lookup per token in C (-1: not learnt yet); on a warm worker nearly every token is known.
        found = np.fromiter(map(number.get, tokens, itertools.repeat(-1)), dtype=np.int64, count=len(tokens))
        if not found.size or found.min() >= 0:
            return found
        missing = np.flatnonzero(found < 0).tolist()
        with self._lock:
            # Each missing token once, in the order met, with a position it is at.
            at = dict(zip(map(tokens.__getitem__, missing), missing))
            new = [token for token in at if token not in number]
            number.update(zip(new, self._learn(_terms(new, self.lang))))
            self._remember(new, None if hashes is None else hashes[[at[token] for token in new]])
        found[missing] = np.fromiter(map(number.__getitem__, map(tokens.__getitem__, missing)), dtype=np.int64,
                                     count=len(missing))
        return found

    def hashed_numbers(self, hashes: np.ndarray, tokens: Sequence) -> np.ndarray:
        """``numbers(tokens)``, given the tokens' ``hash_words`` too: a warm worker's tokens are found by their
        hashes in a few array operations (~10 ns a token, against ~70 for a dict lookup each), and only the
        tokens the table does not hold (new ones, and those longer than ``WORD_WIDTH``) are read.
        """
        if not self._hashed_count:
            # Nothing learnt yet (a worker's first batch of a language): every word is new.
            return self.numbers(_listed(tokens), hashes)
        keys, values = self._hashed
        mask = keys.size - 1
        slot = (hashes & np.uint64(mask)).astype(np.intp)
        # Keys before values: another thread may be placing a key, and it writes the value first.
        held = keys[slot]
        found = values[slot]
        probe = np.flatnonzero((held != hashes) | (hashes == 0))
        found[probe] = -1
        while probe.size:
            # Linear probing: a key is in a later slot when its own was taken, up to the next empty one.
            slot[probe] = at = (slot[probe] + 1) & mask
            held = keys[at]
            hit = held == hashes[probe]
            found[probe[hit]] = values[at[hit]]
            probe = probe[~hit & (held != 0)]
        missing = np.flatnonzero(found < 0)
        if 2 * missing.size > found.size:
            # Mostly new words (a worker's first batches): read as words, as picking them out costs more.
            return self.numbers(_listed(tokens), hashes)
        if missing.size:
            found[missing] = self.numbers(_taken(tokens, missing), hashes[missing])
        return found

    def _remember(self, new: Sequence[str], hashes: Optional[np.ndarray] = None) -> None:
        """Newly learnt tokens (``hashes``: their ``hash_words``, when known) into the table ``hashed_numbers``
        reads (under the lock). Two of them share a hash only if 64-bit hashes collide: both are placed, and
        a lookup finds the first."""
        fits = [len(token) <= WORD_WIDTH for token in new]
        if not any(fits):
            return
        fitting = list(itertools.compress(new, fits))
        hashes = hash_words(fitting) if hashes is None else hashes[np.array(fits)]
        values = np.fromiter(map(self.number.__getitem__, fitting), dtype=np.int64, count=len(fitting))
        keep = hashes != 0
        hashes, values = hashes[keep], values[keep]
        keys, held = self._hashed
        count = self._hashed_count + hashes.size
        if 2 * count > keys.size:
            # Kept at most half full, so a lookup probes ~1.5 slots: a new table, swapped in whole, four times
            # as large, so a growing lexicon places its words again less often.
            size = keys.size
            while 2 * count > size:
                size *= 4
            taken = np.flatnonzero(keys)
            hashes, values = np.concatenate([keys[taken], hashes]), np.concatenate([held[taken], values])
            keys, held = np.zeros(size, dtype=np.uint64), np.zeros(size, dtype=np.int64)
        _place(keys, held, hashes, values)
        self._hashed, self._hashed_count = (keys, held), count

    def _learn(self, terms: Sequence[Optional[tuple]]) -> list:
        """The term number of each of ``_terms``' results (0 for None), new terms numbered next (under the
        lock). A new term's weight, name and prefix are in the arrays before the caller maps any token to it,
        so a thread that finds the token finds them; they are written for all new terms at once, not a cell per
        term and array."""
        known = self._term_number
        start = self.term_count
        out, added, weights = [], [], []
        for term in terms:
            if term is None:
                out.append(0)
                continue
            n = known.get(term[0])
            if n is None:
                n = known[term[0]] = start + len(added)
                added.append(term[0])
                weights.append(term[1])
            out.append(n)
        if added:
            end = start + len(added)
            if end > len(self.idf):
                size = len(self.idf)
                while end > size:
                    size *= 2
                self.idf, self.group, self.names, self.prefix = (
                    np.concatenate([a, np.zeros(size - len(a), dtype=a.dtype)])
                    for a in (self.idf, self.group, self.names, self.prefix))
            self.idf[start:end] = weights
            self.group[start:end] = [len(term) == 3 and term.isdigit() for term in added]
            self.names[start:end] = added
            self.prefix[start:end] = np.fromiter(
                (int.from_bytes(term.encode("utf-8")[:8].ljust(8, b"\0"), "big") for term in added),
                dtype=np.uint64, count=len(added))
            self.term_count = end
        return out

    def joined_numbers(self, tokens: Sequence, owner: np.ndarray, texts: Sequence[str],
                       hashes: Optional[np.ndarray] = None) -> np.ndarray:
        """``numbers(tokens)`` with each number written in groups of three digits ("12,000", "1.200.000",
        "12 000", "250,000") as one term ("12000") at its first token, its groups counting for nothing.

        The tokenizer splits such a number at its separators, and "000" became a heavy term of every
        text with a few round numbers in it (three "12,000"s and a "$47,000" weighed it third of a
        layoffs story's terms): the shared "000" and "12" put a company's layoffs and an inquiry into
        it at cosine 0.503, over the 0.5 that joins. ``owner``: each token's document, as a number
        never runs from one document's lead into the next.

        A number that starts with a group of three ("250,000") is one only as its document writes it
        (``texts``: each document's text), with a comma, a point or an apostrophe between its groups:
        "roughly 400 737 Max jets" are two numbers, and "737" names the plane.

        ``hashes``: the tokens' ``hash_words``, when the caller has them (``hashed_numbers``).
        """
        numbers = self.numbers(tokens) if hashes is None else self.hashed_numbers(hashes, tokens)
        # Groups that follow a token of their own document, in runs of consecutive ones (few in a text:
        # the arrays are built over them, not over every token).
        at = np.flatnonzero(self.group[numbers])
        at = at[at > 0]
        at = at[owner[at] == owner[at - 1]]
        if not at.size:
            return numbers
        first = np.empty(at.size, dtype=bool)
        first[0] = True
        np.not_equal(at[1:], at[:-1] + 1, out=first[1:])
        ends = at[np.append(first[1:], True)]  # each run's last: the group before the next run's first
        heads = at[first] - 1
        runs = np.diff(np.append(np.flatnonzero(first), at.size))
        # A number's first part is one to three digits: the token before the run, or else the run's own first
        # group when more follow it, written with separators ("250,000"; one group alone is a number of its
        # own, as in "2019 200"). The heads are read in C, only the short ones' digits tested (a lead has a run
        # per three-digit number; with a Python loop over them, 45.1 against 44.0 us a text at 30,000 generated).
        head_tokens = _taken(tokens, heads)
        short = np.flatnonzero(np.fromiter(map(len, head_tokens), dtype=np.int64, count=len(head_tokens)) <= 3)
        digits = np.fromiter(map(str.isdigit, map(head_tokens.__getitem__, short.tolist())), dtype=bool,
                             count=short.size)
        starts = np.full(heads.size, -1, dtype=np.int64)
        starts[short[digits]] = heads[short[digits]]
        # A run's groups, and a number's parts, are one document's tokens (``at`` follow their own document's).
        grouped = np.flatnonzero((starts < 0) & (runs > 1))
        for i, groups in zip(grouped.tolist(), _sliced(tokens, heads[grouped] + 1, heads[grouped] + runs[grouped] + 1)):
            if _written_as_one(groups, texts[owner[heads[i]]]):
                starts[i] = heads[i] + 1
        kept = starts >= 0
        if not kept.any():
            return numbers
        # Learnt as the number written without separators is ("12000": a number's term and weight).
        joined = self.numbers(list(map("".join, _sliced(tokens, starts[kept], ends[kept] + 1))))
        numbers[at[kept[np.cumsum(first) - 1]]] = 0
        numbers[starts[kept]] = joined
        return numbers


class _Leads(collections.abc.Sequence):
    """Each document's first ``LEAD_WORDS`` tokens, one document after another, read where they lie. With the
    tokens' hashes, ``hashed_numbers`` and ``joined_numbers`` read only a few of them by position (new words, a
    number's parts): a list of every lead token was ~10% of ``_ranked_in`` on the real-page benchmark."""

    def __init__(self, token_lists: Sequence[list], leads: Sequence[int]):
        self._lists, self._leads = token_lists, leads
        self._starts = list(itertools.accumulate(leads, initial=0))

    def __len__(self) -> int:
        return self._starts[-1]

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(map(itertools.islice, self._lists, self._leads))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        doc = bisect.bisect_right(self._starts, i) - 1
        return self._lists[doc][i - self._starts[doc]]

    def _located(self, at: np.ndarray) -> tuple:
        """``(document, offset in it)`` of each of the valid positions ``at``, found for all at once."""
        starts = np.asarray(self._starts)
        doc = np.searchsorted(starts, at, side="right") - 1
        return doc, at - starts[doc]

    def take(self, at: np.ndarray) -> list:
        """The tokens at positions ``at`` (an array of valid ones)."""
        doc, offset = self._located(at)
        lists = self._lists
        return [lists[d][k] for d, k in zip(doc.tolist(), offset.tolist())]

    def spans(self, begins: np.ndarray, ends: np.ndarray) -> list:
        """``[self[b:e] for b, e in zip(begins, ends)]`` for non-empty spans of valid positions: a span within one
        document (a number's parts are) is its own list's slice."""
        doc, offset = self._located(begins)
        stop = offset + (ends - begins)
        within = (stop <= np.asarray(self._leads)[doc]).tolist()
        lists = self._lists
        return [lists[d][b:e] if one else self[a:z]
                for d, b, e, one, a, z in zip(doc.tolist(), offset.tolist(), stop.tolist(), within,
                                              begins.tolist(), ends.tolist())]


def _listed(tokens: Sequence) -> list:
    return tokens if isinstance(tokens, list) else list(tokens)


def _taken(tokens: Sequence, at: np.ndarray) -> list:
    """``[tokens[i] for i in at]``."""
    return tokens.take(at) if isinstance(tokens, _Leads) else list(map(tokens.__getitem__, at.tolist()))


def _sliced(tokens: Sequence, begins: np.ndarray, ends: np.ndarray) -> list:
    """``[tokens[b:e] for b, e in zip(begins, ends)]`` (non-empty spans)."""
    if isinstance(tokens, _Leads):
        return tokens.spans(begins, ends)
    return [tokens[b:e] for b, e in zip(begins.tolist(), ends.tolist())]


#: What separates the groups of three digits of one number ("250,000", "250.000", "250'000").
_GROUP_SEPARATORS = (",", ".", "'", "\u2019")


def _place(keys: np.ndarray, values: np.ndarray, hashes: np.ndarray, numbers: np.ndarray) -> None:
    """Non-zero ``hashes`` into the open-addressed table ``keys``/``values``, each in its own slot or the next
    free one after it. A value is written before its key, so a reader in another thread that finds the key
    finds its value."""
    mask = keys.size - 1
    slot = (hashes & np.uint64(mask)).astype(np.intp)
    pending = np.arange(hashes.size)
    while pending.size:
        at = slot[pending]
        free = keys[at] == 0
        # Of the hashes that want one free slot, the first takes it; the others find it taken next round.
        wanting = pending[free]
        winners = wanting[np.unique(at[free], return_index=True)[1]]
        values[slot[winners]] = numbers[winners]
        keys[slot[winners]] = hashes[winners]
        taken = pending[~free]
        slot[taken] = (slot[taken] + 1) & mask
        left = np.ones(hashes.size, dtype=bool)
        left[winners] = False
        pending = pending[left[pending]]


def _written_as_one(groups: Sequence[str], text: str) -> bool:
    """Whether ``text`` writes ``groups`` (digit tokens) as one number, with a separator between them."""
    return any(sep.join(groups) in text for sep in _GROUP_SEPARATORS)


_LEXICONS: dict = {}
#: Distinct tokens a language's lexicon learns before it starts afresh (~270 bytes each: ~135 MB). A streaming
#: job meets new names, numbers and misspellings for months, and a lexicon that only grew grew with them.
#: Relearning costs ~10 us a token; term numbers live for one batch, which keeps the lexicon it started with.
MAX_LEXICON_TOKENS = 500_000


def _lexicon(lang: str) -> _Lexicon:
    found = _LEXICONS.get(lang)
    if found is None or len(found.number) > MAX_LEXICON_TOKENS:
        found = _LEXICONS[lang] = _Lexicon(lang)
    return found


def load_language(language: Optional[str]) -> None:
    """Load a language's lemma and frequency lists now (a ``DoFn.setup``), not with its first document."""
    _lexicon(_base_lang(language))


def _base_lang(language: Optional[str]) -> str:
    return (language or "en").split("-")[0].split("_")[0].lower() or "en"


def _ranked_batch(docs: Sequence[tuple], top: int, packed: bool = False) -> list:
    """``[(tokens, title or None, language, text, hash_words(tokens) or None)]`` -> each document's
    ``([term, ...], [weight x 10^4, ...])``:
    ``event_terms`` with the weights as the integers they are rounded to, so ``packed`` spells each from a
    table rather than formatting a float (``packed``: each document's ``pack_terms`` string instead).

    A batch is counted, weighed and cut to its top terms in a few array operations for all its
    documents, where one document at a time spent ~25 us a document in the overheads of ~30 small ones.
    """
    out: list = ["" if packed else ([], [])] * len(docs)
    # Grouped by the language as written first: one ``_base_lang`` per spelling, not per document.
    by_written: dict = {}
    for i, (_, _, language, _, _) in enumerate(docs):
        by_written.setdefault(language, []).append(i)
    by_lang: dict = {}
    for language, idx in by_written.items():
        by_lang.setdefault(_base_lang(language), []).extend(idx)
    if len(by_lang) < len(by_written):
        by_lang = {lang: sorted(idx) for lang, idx in by_lang.items()}
    for lang, idx in by_lang.items():
        for i, ranked in zip(idx, _ranked_in(_lexicon(lang), [docs[i] for i in idx], top, packed)):
            out[i] = ranked
    return out


#: A page title's tag in brackets at its start ("[Video]", "[The Show's Name] ...").
_TITLE_TAG_RE = re.compile(r"^\s*[\[【][^\]】]{1,80}[\]】]\s*")
#: A page title's last part after a separator ("... - Site Name", "... | Section").
_TITLE_TAIL_RE = re.compile(r"\s+[-|–—·•]\s+([^-|–—·•]{1,80})$")
#: Words a title's last part has at most, and the headline before it at least, for it to be the site's.
TITLE_TAIL_WORDS = 4


def headline(title: str) -> str:
    """The part of a page's title that names its story: without a tag in brackets at its start or the
    site's name after a separator at its end (when the rest is the longer), which label the page.

    Counted as the headline, a blog's series tag ("[The Palace: Tale of Jang Noksu] ...", over every post
    about one show) and its site's name put two posts about different happenings of one show into one
    event on a real-page corpus (0.51 against 0.42 without the title; 0.5 joins).
    """
    head = _TITLE_TAG_RE.sub("", title)
    tail = _TITLE_TAIL_RE.search(head)
    if tail and len(tail.group(1).split()) <= TITLE_TAIL_WORDS < len(head[:tail.start()].split()):
        head = head[:tail.start()]
    return head if head.strip() else title


def _ranked_in(lexicon: _Lexicon, docs: list, top: int, packed: bool = False) -> list:
    """``_ranked_batch`` for documents of one language."""
    leads = [min(len(tokens), LEAD_WORDS) for tokens, _, _, _, _ in docs]
    owner = np.repeat(np.arange(len(docs), dtype=np.int64), leads)
    texts = [text for _, _, _, text, _ in docs]
    hashed = None
    if docs and all(hashes is not None for _, _, _, _, hashes in docs):
        # Signing hashed every token already: the leads are looked up by their hashes, and few tokens are read.
        hashed = np.concatenate([hashes[:n] for (_, _, _, _, hashes), n in zip(docs, leads)])
        lead = _Leads([tokens for tokens, _, _, _, _ in docs], leads)
    else:
        lead = list(itertools.chain.from_iterable(itertools.islice(tokens, LEAD_WORDS) for tokens, _, _, _, _ in docs))
    numbers = lexicon.joined_numbers(lead, owner, texts, hashed)
    headlines = [headline(title) if title else "" for _, title, _, _, _ in docs]
    titled = [(k, words(head)) for k, head in enumerate(headlines) if head]
    heading_owner = np.repeat(np.array([k for k, _ in titled], dtype=np.int64), [len(ws) for _, ws in titled])
    heading = lexicon.joined_numbers([w for _, ws in titled for w in ws], heading_owner, headlines)
    # Every (document, term) as one int64 key, once the lexicon has learnt the batch's words.
    span = lexicon.term_count
    # Equal integers cannot be told apart, so any sort gives these keys in one order: numpy's default one
    # (vectorised) took a quarter of the stable one's time on a batch of 512 documents.
    keys = np.sort((owner * span + numbers)[numbers > 0])
    heading_keys = (heading_owner * span + heading)[heading > 0]
    if heading_keys.size and keys.size:
        # The headline names the event: its terms count twice more. A title that shares no term with the
        # lead is the page's, not the article's (a text dump's template headline, in another language even):
        # counted, it outweighed a short lead's own terms and kept a paraphrase from its event.
        shares = in_sorted(keys, heading_keys)[1]
        counted = np.zeros(len(docs), dtype=bool)
        counted[heading_keys[shares] // span] = True
        extra = heading_keys[counted[heading_keys // span]]
        if extra.size:
            keys = np.sort(np.concatenate([keys, extra, extra]))
    if not keys.size:
        return ["" if packed else ([], [])] * len(docs)
    # Every token counted by its term number: the tokens of one lemma add up to one term.
    first = np.empty(keys.size, dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    tf = np.diff(starts, append=keys.size)
    doc, term = np.divmod(keys[starts], span)
    weights = (1.0 + np.log(tf)) * lexicon.idf[term]
    # Every term as heavy as a document's top-th one is kept, so a tie at the cut is settled by the term
    # below: the top-th weight of each document's row, its row padded with -inf (``doc`` is sorted).
    bounds = np.searchsorted(doc, np.arange(len(docs) + 1))
    counts = np.diff(bounds)
    if counts.max() > top:
        rows = np.full((len(docs), int(counts.max())), -np.inf)
        rows[doc, np.arange(doc.size) - bounds[doc]] = weights
        cut = np.partition(rows, -top, axis=1)[:, -top]
        keep = weights >= cut[doc]
        doc, term, weights = doc[keep], term[keep], weights[keep]
        bounds = np.searchsorted(doc, np.arange(len(docs) + 1))
    # Each document's terms heaviest first, ties by the term, and its first ``top`` of them: sorted for the
    # batch at once by weight (a sort of ~40 tuples a document was a fifth of the tier's time), then each
    # run of equal weights by its terms.
    minus = -weights
    prefix = lexicon.prefix[term]
    order = _order_by(doc, minus, prefix)
    doc, term, minus, prefix = doc[order], term[order], minus[order], prefix[order]
    names = lexicon.names[term].tolist()
    # Terms that tie on weight are in the order of their first 8 bytes already: only those that share
    # these too are compared whole.
    tied = np.flatnonzero((doc[1:] == doc[:-1]) & (minus[1:] == minus[:-1]) & (prefix[1:] == prefix[:-1]))
    if tied.size:
        # Runs of ties: each a stretch of consecutive tied neighbours.
        breaks = np.flatnonzero(np.diff(tied) != 1)
        for lo, hi in zip(tied[np.r_[0, breaks + 1]].tolist(), (tied[np.r_[breaks, tied.size - 1]] + 2).tolist()):
            names[lo:hi] = sorted(names[lo:hi])
    # ``bounds`` still holds: the sort kept each document's terms where they were.
    kept = np.arange(doc.size) - bounds[doc] < top
    if not kept.all():
        doc, minus = doc[kept], minus[kept]
        names = list(itertools.compress(names, kept.tolist()))
    bounds = np.searchsorted(doc, np.arange(len(docs) + 1))
    starts, counts = bounds[:-1], np.diff(bounds)
    # The heaviest term weighs no more than the next: one shared name (the company, the country) is a
    # topic, not an event. Left alone, it put a company's layoffs and its inquiry at cosine 0.5.
    paired = starts[counts > 1]
    minus[paired] = minus[paired + 1]
    spans = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
    # Each document's norm from its squared weights (negated: the same squares), all documents at once: a
    # dot product per document was ~6 us of a document's ~40 in the tier.
    norms = np.sqrt(np.bincount(doc, weights=minus * minus, minlength=len(docs)))
    norms[norms == 0] = 1.0
    # ``np.round(x, 4)`` is ``rint(x * 10^4) / 10^4``: the integers are taken before the division.
    scaled = np.rint(-minus / np.repeat(norms, counts) * 1e4).astype(np.int64).tolist()
    if packed:
        # ``pack_terms``' spelling: each term, then its weight and a tab, for the whole batch in one list; a
        # document's string is its stretch joined, less the last tab. (Each term and its weight concatenated
        # first made ~40 strings a document only to join them.)
        pieces = [None] * (2 * len(names))
        pieces[0::2] = names
        pieces[1::2] = map(_WEIGHT_TEXT.__getitem__, scaled)
        return ["".join(pieces[2 * lo:2 * hi])[:-1] for lo, hi in spans]
    return [(names[lo:hi], scaled[lo:hi]) for lo, hi in spans]


def _order_by(first: np.ndarray, second: np.ndarray, third: np.ndarray) -> np.ndarray:
    """``np.lexsort((third, second, first))`` up to the order of rows equal in all three, for ``first`` of
    small non-negative integers: ``first`` and the dense ranks of the others as one int64 key, sorted once,
    where ``lexsort`` made three stable passes (1.2 against 2.8 ms for the ~20,000 terms of 512 documents).
    Columns whose ranks do not fit one int64 are lexsorted."""
    if not first.size:
        return np.zeros(0, dtype=np.intp)
    ranks = [np.unique(column, return_inverse=True)[1].astype(np.int64).ravel() for column in (second, third)]
    sizes = [int(first.max()) + 1, *(int(rank.max()) + 1 for rank in ranks)]
    if sizes[0] * sizes[1] * sizes[2] >= 1 << 62:
        return np.lexsort((third, second, first))
    return np.argsort((first.astype(np.int64) * sizes[1] + ranks[0]) * sizes[2] + ranks[1])


def event_terms(text: str, title: Optional[str] = None, language: Optional[str] = None,
                top: int = 40, tokens: Optional[list] = None) -> list:
    """The ``top`` heaviest ``(term, weight)`` pairs of a document's title and lead (``LEAD_WORDS``),
    L2-normalised and rounded to 4 decimals, heaviest first.

    ``tokens``: ``words(text)`` when the caller has them already (signing tokenises the same text).
    Ties are broken by the term, so the result does not depend on the order documents were seen in.
    """
    names, scaled = _ranked_batch([(words(text) if tokens is None else tokens, title, language, text, None)], top)[0]
    return [(t, k / 1e4) for t, k in zip(names, scaled)]


#: ``f" {k / 10^4:g}"`` for every weight a term can have (0 to 1 in steps of 10^-4), and the tab after it:
#: ``pack_terms``' spelling after a term, looked up (formatting 40 floats was ~10 us of a document's 80).
_WEIGHT_TEXT = tuple(f" {k / 1e4:g}\t" for k in range(10001))


class _WrittenWeights(dict):
    """A weight as packed (``f"{w:g}"``) -> the float it spells: looked up for the 10,001 spellings packing
    writes, ``float()`` for any other (a hand-made list). Reading a term list parses its weights, and
    ``float()`` on 40 strings was ~6 us of ``term_weights``' ~16 (``float(f"{k / 10^4:g}") == k / 10^4``
    for every k: both are the double nearest the same decimal)."""

    def __missing__(self, written: str) -> float:
        return float(written)


_WEIGHT_OF = _WrittenWeights((text.strip(), k / 1e4) for k, text in enumerate(_WEIGHT_TEXT))
_weight_of = _WEIGHT_OF.__getitem__


def articles_event_terms(articles: Sequence[dict], tokens: Optional[Sequence[list]] = None,
                         word_hashes: Optional[Sequence[np.ndarray]] = None) -> list:
    """Article records' packed ``event_terms``, each title counted only when its page gave it one, made
    for the batch together (``_ranked_batch``). ``tokens``: each text's ``words``, when the caller has them;
    ``word_hashes``: each one's ``hash_words`` (of its first ``LEAD_WORDS`` tokens at least), when it has those.

    A text dump's title is the cleaner's guess: the line above the article that shares its lead's words,
    which can be a template's own headline over its standfirst. Counted twice, such titles drew a condensed
    rewrite into its template's story and two stories of one company (its layoffs, its inquiry) into one
    event on the real-page corpora.
    """
    if tokens is None:
        tokens = [words(a["text"]) for a in articles]
    hashes = itertools.repeat(None) if word_hashes is None else word_hashes
    docs = [(t, page_title(a), a.get("language"), a.get("text") or "", h) for a, t, h in zip(articles, tokens, hashes)]
    return _ranked_batch(docs, 40, packed=True)


def pack_terms(terms: Iterable) -> str:
    """``event_terms`` as one compact string for the index (terms never hold spaces or tabs)."""
    return "\t".join(f"{t} {w:g}" for t, w in terms)


def _split_packed(packed: Optional[str]) -> tuple:
    """A packed term list's terms and their weights as written (strings), in order.

    Read once or twice per candidate pair: two splits in C rather than one per term.
    """
    parts = packed.replace("\t", " ").split(" ") if packed else []
    n = len(parts) // 2
    return parts[0:2 * n:2], parts[1:2 * n:2]


def unpack_terms(packed: Optional[str]) -> list:
    names, weights = _split_packed(packed)
    return list(zip(names, map(_weight_of, weights)))


def event_keys(terms: list, key_terms: int = 6) -> list:
    """Band keys of the event level: every pair of the ``key_terms`` heaviest terms."""
    return term_pair_keys([t for t, _ in terms[:key_terms]])


def packed_key_terms(packed: Optional[str], key_terms: int = 6) -> list:
    """The ``key_terms`` heaviest terms of a packed term list, reading no more of it."""
    if not packed:
        return []
    return [term.partition(" ")[0] for term in packed.split("\t", key_terms)[:key_terms]]


def term_pair_keys(top: list) -> list:
    """The event keys of a text's heaviest terms: every pair of them, each pair in sorted order."""
    return [f"{a}\x1f{b}" for a, b in itertools.combinations(sorted(top), 2)]


def packed_event_keys(packed: Optional[str], key_terms: int = 6) -> list:
    """``event_keys(unpack_terms(packed), key_terms)``, reading only the ``key_terms`` heaviest terms."""
    return term_pair_keys(packed_key_terms(packed, key_terms))


def event_key_hashes(packed_terms: Sequence[Optional[str]], key_terms: int = 6) -> tuple:
    """``packed_event_keys`` of many packed term lists at once, each key a 64-bit number: ``(keys, owner)``,
    uint64 keys in the order of the lists and of each list's ``packed_event_keys``, and for each the index of
    its list.

    Two lists share a number exactly when they share the key, up to 64-bit collisions (a colliding pair
    of keys pairs texts that verification then judges). Sorted and cut where they change
    (``lsh.split_buckets``), the numbers form the buckets a dict of the strings formed, with no string made.
    """
    # Sorted as ``term_pair_keys`` sorts them: the keys then come in the order of its strings.
    tops = [sorted(packed_key_terms(packed, key_terms)) for packed in packed_terms]
    counts = np.fromiter(map(len, tops), dtype=np.int64, count=len(tops))
    # Each list's key terms' hashes in a row of ``key_terms`` cells, the cells past its own terms unused.
    hashed = np.zeros((len(tops), max(key_terms, 0)), dtype=np.uint64)
    owner = np.repeat(np.arange(len(tops)), counts)
    hashed[owner, span_indexes(np.zeros_like(counts), counts)] = \
        hash_terms(list(itertools.chain.from_iterable(tops)))
    # Every pair of cells in ``itertools.combinations``' order; a pair is the list's when both cells are.
    first, second = np.triu_indices(hashed.shape[1], 1)
    held = second[None, :] < counts[:, None]
    # The smaller of a pair's term hashes first: a key does not depend on which term is heavier.
    keys = mix_hashes(np.minimum(hashed[:, first], hashed[:, second]), np.maximum(hashed[:, first], hashed[:, second]))
    return keys[held], np.nonzero(held)[0]


def packed_cosine(a: Optional[str], b: Optional[str], b_weights: Optional[dict] = None,
                  a_split: Optional[tuple] = None) -> float:
    """``cosine(unpack_terms(a), unpack_terms(b))`` on packed term lists, the same sum in the same order.

    Two texts share a few of their 40 terms: only ``a``'s shared weights are read as numbers.
    ``b_weights``: ``term_weights(b)``, when ``b`` meets several texts (then ``b`` is not read): each pair
    then reads one packed list, not two. ``a_split``: ``a`` split (``TermSplits``), when it meets several too.
    """
    if b_weights is None:
        b_weights = term_weights(b)
    names, weights = _split_packed(a) if a_split is None else a_split
    # The shorter list is summed over, in its order (the first on a tie), as ``cosine`` does.
    if len(names) <= len(b_weights):
        return sum(_weight_of(w) * b_weights[t] for t, w in zip(names, weights) if t in b_weights)
    wa = dict(zip(names, weights))
    return sum(w * _weight_of(wa[t]) for t, w in b_weights.items() if t in wa)


class TermSplits:
    """Packed term lists split into their terms and weights (``packed_cosine``'s ``a_split``), kept by a key
    (an article id), at most ``max_entries`` at a time (~5 KB each: a runner may hold one per thread).

    The event verification meets each text as the first of several pairs (6,484 cosines of 2,590 first texts
    at 10k generated documents), and splitting a 40-term list (~8 us) was most of a cosine's cost. A text's
    pairs come close together: 1,024 entries kept 3,837 of the 3,894 splits an unbounded cache saves there.
    """

    def __init__(self, max_entries: int = 1024):
        self._max = max_entries
        self._split: dict = {}

    def get(self, key, packed: Optional[str]) -> tuple:
        found = self._split.get(key)
        if found is None:
            if len(self._split) >= self._max:
                self._split.clear()  # the next texts fill it again
            found = self._split[key] = _split_packed(packed)
        return found


def term_weights(packed: Optional[str]) -> dict:
    """term -> weight of a packed term list, heaviest first (``packed_cosine``'s ``b_weights``)."""
    names, weights = _split_packed(packed)
    return dict(zip(names, map(_weight_of, weights)))


def summed_terms(packed_terms: Iterable[Optional[str]]) -> dict:
    """term -> summed weight over several packed term lists: the vector of a group of texts."""
    total: dict = {}
    for packed in packed_terms:
        for term, weight in unpack_terms(packed):
            total[term] = total.get(term, 0.0) + weight
    return total


def summed_vectors(groups: Sequence[Sequence[Optional[str]]]) -> np.ndarray:
    """One row per group of packed term lists: the group's ``summed_terms``, its columns the terms in the
    order they first appear (groups in order, then their lists, then their terms).

    Each cell is summed in the order ``summed_terms`` sums it (``np.bincount`` adds its weights one by one, in
    order, from 0), so the rows are its sums exactly; every list is split in one pass rather than term by term
    in Python.
    """
    names, weights, rows = [], [], []
    for i, group in enumerate(groups):
        for packed in group:
            terms, written = _split_packed(packed)
            names += terms
            weights += written
            rows += [i] * len(terms)
    column = {term: j for j, term in enumerate(dict.fromkeys(names))}
    width = max(1, len(column))
    if not names:
        return np.zeros((len(groups), width))
    cells = np.fromiter(map(column.__getitem__, names), dtype=np.int64, count=len(names))
    cells += np.array(rows, dtype=np.int64) * width
    return np.bincount(cells, np.fromiter(map(_weight_of, weights), dtype=np.float64, count=len(weights)),
                       minlength=len(groups) * width).reshape(len(groups), width)


def verify_event_pairs(value_b: tuple, pairs: list, config: EventConfig, splits: TermSplits) -> tuple:
    """The candidates ``a`` of one text ``b`` that are event edges: ``(the edges' a, candidates left unverified)``.
    ``value_b``: b's ``(packed terms, dates, cluster)``; ``pairs``: ``[(a, a's value)]``.

    An edge needs the dates within the window and the term vectors' cosine at ``threshold``. A candidate
    whose story cluster already has an edge to b is not verified: the cluster's members are one event's
    (cluster membership is part of the event graph), so its edge would join nothing more. On 100,000
    generated documents 28,303 of 96,943 candidates went unverified, and the events were the same.
    """
    terms_b, dates_b, _ = value_b
    weights_b = term_weights(terms_b)
    joined: set = set()
    edges, linked = [], 0
    for a, (terms_a, dates_a, cluster_a) in pairs:
        if cluster_a in joined:
            linked += 1
            continue
        if not within_window(dates_a, dates_b, config.window_days):
            continue
        if packed_cosine(terms_a, terms_b, weights_b, splits.get(a, terms_a)) >= config.threshold:
            joined.add(cluster_a)
            edges.append(a)
    return edges, linked


def cosine(a: list, b: list) -> float:
    """Cosine of two normalised ``(term, weight)`` lists."""
    if len(a) > len(b):
        a, b = b, a
    wb = dict(b)
    return sum(w * wb[t] for t, w in a if t in wb)


def within_window(a: Sequence[int], b: Sequence[int], window_days: float) -> bool:
    """Whether two members' dates (UTC microseconds, as they travel) allow one event: some date of
    each at most ``window_days`` apart.

    A member's dates are its own published date, or, when it has none, those of its story
    cluster's dated members: an undated copy is as old as the story it copies. Without any
    date, nothing rules the pair out.
    """
    if not a or not b:
        return True
    limit = window_days * 86_400_000_000
    return any(abs(x - y) <= limit for x in a for y in b)


#: Dates an undated member borrows from its story cluster, at most (the earliest ones).
MAX_CLUSTER_DATES = 8


def cluster_dates(published: Iterable) -> list:
    """The dates an undated member takes from its story cluster's members' ``published`` values
    (``within_window``): the earliest ``MAX_CLUSTER_DATES`` distinct ones."""
    return sorted({d for d in published if d is not None})[:MAX_CLUSTER_DATES]


def date_slots(micros: Iterable[int], window_days: float) -> tuple:
    """The date slots a member's event keys are paired in, from its dates (UTC microseconds).

    Time is cut into slots of ``window_days``; a member is in the slot of each of its dates and in
    the next one. Two members with some dates at most ``window_days`` apart then share a slot, so
    pairing each key's holders slot by slot (``window_buckets``) finds every pair ``within_window``
    allows, and only a few up to twice the window apart, which it then refuses. An undated member
    has no slot.
    """
    width = max(1, int(window_days * 86_400_000_000))
    if isinstance(micros, (list, tuple)) and len(micros) == 1:
        # A member dated by its own publication: most of them.
        slot = micros[0] // width
        return slot, slot + 1
    return tuple(sorted({slot + step for slot in {m // width for m in micros} for step in (0, 1)}))


def window_buckets(buckets: Iterable[Sequence], slots_of, cap: int, cluster_of=None,
                   mixed_only: bool = False) -> Iterator[Sequence]:
    """Event keys' holders (a bucket per key) -> the buckets they are paired in: each key's holders of
    each date slot (``date_slots``; ``slots_of``: holder -> its slots), buckets of one holder left out.
    ``cap``: the bucket cap the caller pairs them with (``lsh.bucket_pairs``). ``cluster_of``: holder ->
    its story cluster, when two members of one cluster are no candidate pair: a bucket all of one
    cluster is then left out too.

    Without this a key held across months paired texts that no date window allows: on 100,000
    generated documents over 700 days, 785,000 candidate pairs of which 84,000 were in the window;
    by slot, 151,000. A key's holders on one story day are few, so a common pair of terms is rarely
    capped. A key of at most ``cap`` holders that share a slot stays one bucket: the same pairs, each
    found once (overlapping slots would find them twice). An undated holder (neither it nor its cluster
    has a date) may be in an event with anyone, so a key with one is one bucket, as it was without slots.
    ``mixed_only``: every bucket holds two or more clusters already (``lsh.split_mixed_buckets``), so only
    the buckets of its slots are checked.
    """
    def mixed(holders) -> bool:
        if cluster_of is None:
            return True
        if len(holders) == 2:  # most keys' holders
            return cluster_of[holders[0]] != cluster_of[holders[1]]
        return len(set(map(cluster_of.__getitem__, holders))) > 1

    for holders in buckets:
        if len(holders) < 3:
            # One pair, and most keys' holders: the verification's window check costs what slotting
            # would (on 100,000 generated documents, 7% more candidates than slotting every key).
            if len(holders) == 2 and (mixed_only or mixed(holders)):
                yield holders
            continue
        # A story's copies share its top terms: on 100,000 generated documents 289,000 of 394,000
        # buckets were all of one cluster, 2.3 million pairs made only to be dropped.
        if not mixed_only and not mixed(holders):
            continue
        holder_slots = [slots_of[holder] for holder in holders]
        if not all(holder_slots):
            yield holders
            continue
        latest_start = max(slots[0] for slots in holder_slots)
        if len(holders) <= cap and all(latest_start in slots for slots in holder_slots):
            yield holders
            continue
        by_slot: dict = {}
        for holder, slots in zip(holders, holder_slots):
            for slot in slots:
                by_slot.setdefault(slot, []).append(holder)
        yield from (bucket for bucket in by_slot.values() if len(bucket) > 1 and mixed(bucket))


def split_event(members: list, threshold: float, max_clusters: int = 200) -> list:
    """One connected component of the event graph -> its events, as lists of members.

    Connected components chain: a page that carries two stories (a copy wrapped in another
    page's teaser text, a digest) links both, and two events with the same people link
    through their closest pair. Each story cluster is instead one group whose vector is the
    sum of its members' term vectors, and groups merge, closest first, while the cosine of
    their summed vectors is at least ``threshold`` (group-average linkage on centroids): a
    bridge is outweighed by the rest of its cluster, and two events merge only when they are
    close as a whole. A component of more than ``max_clusters`` clusters stays one event,
    so the cost per component is bounded (quadratic in its clusters).

    Args:
        members: Dicts with ``cluster_id`` and ``event_terms`` (packed).
    """
    by_cluster: dict = {}
    for m in members:
        by_cluster.setdefault(m["cluster_id"], []).append(m)
    if len(by_cluster) < 2 or len(by_cluster) > max_clusters:
        return [members]
    clusters = sorted(by_cluster)
    vectors = summed_vectors([[m.get("event_terms") for m in by_cluster[c]] for c in clusters])
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1), 1e-12)[:, None]
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    groups = {i: [i] for i in range(len(clusters))}
    while len(groups) > 1:
        best = np.unravel_index(int(np.argmax(sims)), sims.shape)
        if sims[best] < threshold:
            break
        keep, gone = int(min(best)), int(max(best))
        groups[keep] += groups.pop(gone)
        if len(groups) == 1:
            # Nothing left to compare the merged group with. Most components of two or more clusters have two
            # (5,453 of 7,531 on 100,000 generated documents), and end here on merging.
            break
        vectors[keep] += vectors[gone]
        # Only the merged group's similarities change: one row, not the whole matrix.
        unit[keep] = vectors[keep] / max(float(np.linalg.norm(vectors[keep])), 1e-12)
        row = unit @ unit[keep]
        sims[gone, :] = sims[:, gone] = -np.inf
        row[list(set(range(len(clusters))) - set(groups))] = -np.inf
        row[keep] = -np.inf
        sims[keep, :] = sims[:, keep] = row
    return [[m for i in sorted(g) for m in by_cluster[clusters[i]]] for _, g in sorted(groups.items())]


def event_id_for(article_id: str) -> str:
    """The id of an event first seen with this article (stable across runs)."""
    return "e" + hashlib.blake2b(article_id.encode(), digest_size=8).hexdigest()


def event_roles(members: list) -> dict:
    """article_id -> event role for the members of one event (dicts with ``article_id``, ``cluster_id``,
    ``is_canonical``, ``published`` and, when known, ``credited_source``).

    The event's original is the canonical of its earliest cluster: the cluster
    whose earliest dated member is earliest (undated clusters last, ties by id).
    Another cluster's canonical is a ``rewrite`` when that cluster and the original's credit one
    source (any of their members: a copy can keep a credit its canonical's page dropped),
    ``independent`` when both credit sources and share none, else ``related`` (module docstring).
    """
    first: dict = {}
    credits: dict = {}
    for m in members:
        p = m.get("published")
        key = (p is None, p.timestamp() if p is not None else 0.0, m["cluster_id"])
        first[m["cluster_id"]] = min(first.get(m["cluster_id"], key), key)
        credit = source_slug(m.get("credited_source"))
        if credit:
            credits.setdefault(m["cluster_id"], set()).add(credit)
    origin = min(first.values())[2] if first else None
    roles = {}
    for m in members:
        if not m.get("is_canonical"):
            roles[m["article_id"]] = "copy"
        elif m["cluster_id"] == origin:
            roles[m["article_id"]] = "original"
        else:
            roles[m["article_id"]] = _credited_role(credits.get(m["cluster_id"]), credits.get(origin))
    return roles


def _credited_role(mine: Optional[set], original: Optional[set]) -> str:
    """``rewrite``, ``independent`` or ``related`` for a cluster crediting ``mine`` in an event whose
    original's cluster credits ``original`` (``source_slug``s). Extraction writes each source under one name
    (``transforms.extract.text.find_credit``: "AP" for "(AP)" and "The Associated Press"), so the names
    compare whole: a part of one ("AP" in "Japan Times") is no match."""
    if not mine or not original:
        return "related"
    return "rewrite" if mine & original else "independent"
