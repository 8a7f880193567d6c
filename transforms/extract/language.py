"""The language of an article's own text, not of the page around it.

A page declares one language (``<html lang>``, ``og:locale``) for its whole
template. A wire story in English carried by a Japanese or German site keeps
the site's declaration, and text dumps declare nothing. Measured on the 181
real AEB pages: 5 of 158 declarations are wrong (English articles declared
``de``, German ones ``en``), 23 pages declare none. The event level lemmatises
and weighs words in the article's language, so a wrong one turns "the" and "and"
into the heaviest terms of an English text, and it misses its event.

``text_language`` asks py3langid (a naive Bayes over byte n-grams, 97 languages)
about a sample of the text. A declared language is kept unless the text scores
clearly worse in it than in the best language: closely related languages (Malay
and Indonesian differ by 0.003 per character on a real page) stay as the page
declared them, a wrong declaration scores 0.4-0.7 per character worse.
"""
from __future__ import annotations

import functools
from typing import Optional

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

__all__ = ["text_language", "load_identifier"]

#: Characters the identifier reads: its cost grows with them, and 300 already agree with the
#: whole text on 180 of the 181 AEB bodies.
SAMPLE_CHARS = 500
#: Paragraphs read, sharing ``SAMPLE_CHARS`` equally: most of the sample is then the language of most
#: of them.
SAMPLE_PARAGRAPHS = 3
#: A declared language is kept while the text's log-probability in it is at most this much per
#: sampled character below the best language's.
DECLARED_MARGIN = 0.05


@functools.lru_cache(maxsize=1)
def load_identifier() -> LanguageIdentifier:
    """The identifier, loaded once per process (about 50 ms; called from ``DoFn.setup``)."""
    return LanguageIdentifier.from_pickled_model(MODEL_FILE)


def _sample(text: str) -> str:
    """The text's longest paragraphs, longest first: up to ``SAMPLE_PARAGRAPHS``, sharing ``SAMPLE_CHARS``.

    A page's leftover chrome (menus, a headline list in the site's own language) comes in lines
    much shorter than the article's paragraphs (under a third of the longest is not read), and
    mixing both confuses the identifier. A page's own paragraph can be as long as the article's
    (an author's biography kept at the end of a text dump): read first and whole, it filled the
    sample, and one English story was read as Portuguese. Equal shares of several paragraphs let
    the article's language outweigh it."""
    lines = sorted((line.strip() for line in text.split("\n")), key=len, reverse=True)
    chosen = []
    for line in lines[:SAMPLE_PARAGRAPHS]:
        if not line or 3 * len(line) < len(lines[0]):
            break
        chosen.append(line)
    share = SAMPLE_CHARS // max(1, len(chosen))
    return "\n".join(line[:share] for line in chosen)


def _scores(identifier: LanguageIdentifier, sample: str) -> np.ndarray:
    """Each language's log-probability of ``sample``: py3langid's ``nb_classprobs(instance2fv(sample))``.

    py3langid counts the sample's n-grams into a dense vector (a ``Counter``, then one assignment per
    n-gram) and multiplies all 7,480 rows of its model by it, in float32: 180 us a sample, an eighth of
    a text dump's extraction. The few hundred n-grams a sample has are counted with ``bincount`` and only
    their rows are summed, in float64 (py3langid's float32 sum differs from an exact one by ~0.002;
    the same language on every document of the benchmark corpora): 80 us.
    """
    nextmove, output = identifier.tk_nextmove, identifier.tk_output
    state, found = 0, []
    extend, get = found.extend, output.get
    # The tokenizer's state machine over the sample's UTF-8 bytes, as ``instance2fv`` runs it.
    for byte in sample.encode("utf8", errors="surrogatepass"):
        state = nextmove[(state << 8) + byte]
        extend(get(state, ()))
    counts = np.bincount(np.asarray(found, dtype=np.intp), minlength=identifier.nb_numfeats)
    present = np.flatnonzero(counts)
    return counts[present].astype(np.float64) @ identifier.nb_ptc[present] + identifier.nb_pc


def text_language(text: str, declared: Optional[str] = None) -> Optional[str]:
    """The primary language subtag of ``text``; ``declared`` (the page's) unless the text contradicts it.

    A language the identifier does not know is kept as declared; an empty text keeps ``declared``.
    """
    sample = _sample(text or "")
    if not sample:
        return declared
    identifier = load_identifier()
    scores = _scores(identifier, sample)
    best = int(scores.argmax())
    if declared:
        try:
            mine = identifier.nb_classes.index(declared)
        except ValueError:
            return declared
        if scores[best] - scores[mine] <= DECLARED_MARGIN * len(sample):
            return declared
    return str(identifier.nb_classes[best])
