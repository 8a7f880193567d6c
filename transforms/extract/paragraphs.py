"""Each paragraph of an article's text as ``DropSiteBoilerplate`` compares it, without Apache Beam.

A paragraph (a line of the text) is keyed by a digest of its words, and it is the article's own
when it holds words of the article's page title. The extraction workers of a local run compute
this index from the tokens they sign the article with (``transforms.extract.parallel``), so the
runner's process does not tokenise every paragraph again; this module is what they import of it.

Public: ``MIN_WORDS``, ``TITLE_WORDS``, ``PARAGRAPH_INDEX``, ``BELOW_WORDS``, ``line_words``, ``text_keys``,
``story_words``, ``paragraph_index``.
"""
from __future__ import annotations

from typing import Optional

from transforms.extract.text import FUNCTION_WORDS, page_title
from transforms.tokens import tokens_hash, words

__all__ = ["MIN_WORDS", "TITLE_WORDS", "PARAGRAPH_INDEX", "BELOW_WORDS", "line_words", "text_keys", "story_words",
           "paragraph_index"]

#: A paragraph of fewer words has no key: too short to tell boilerplate from a common phrase.
MIN_WORDS = 8
#: Title words a paragraph must hold to be the article's own (a headline and its lead share names).
TITLE_WORDS = 2
#: The key of an article record that carries its ``paragraph_index``, made where it was extracted.
PARAGRAPH_INDEX = "paragraph_index"
#: Words of the text below an article's first paragraph that tell its story (~a brief, or the lead of a
#: longer text), for ``DropSiteBoilerplate`` to tell the stories under one head apart.
BELOW_WORDS = 400


def _key_of(toks: list) -> str:
    return tokens_hash(toks) if len(toks) >= MIN_WORDS else ""


def line_words(text: str) -> list:
    """``words`` of each line of a text (a paragraph of an article record), empty lines included."""
    return [words(line) for line in text.split("\n")]


def text_keys(text: str) -> list:
    """The key of each of a text's paragraphs (its lines), "" for one of fewer than 8 words."""
    return [_key_of(toks) for toks in line_words(text)]


def story_words(tokens: list) -> list:
    """The words of a text that tell its story from another's (neither short, nor numbers, nor function
    words), each once, in the order they come: the same in every process, unlike a set's."""
    return list(dict.fromkeys(w for w in tokens if len(w) >= 4 and not w.isdigit() and w not in FUNCTION_WORDS))


def _title_terms(article: dict) -> frozenset:
    """The words of an article's page title that can tie a paragraph to it; none when the title was guessed."""
    return frozenset(story_words(words(page_title(article) or "")))


def paragraph_index(article: dict, lines: Optional[list] = None) -> tuple:
    """(``text_keys`` of its text, whether each paragraph is the article's own by its title, the
    ``story_words`` of the first ``BELOW_WORDS`` words below its first keyed paragraph when none is
    its own, else None).

    The story words are one string, separated by spaces: they travel with the record from an
    extraction worker and through ``DropSiteBoilerplate``'s grouping, and a set of ~150 strings cost
    Beam's coder a pickle per word (at 10,000 documents a single-worker run took 4 s more CPU).

    A paragraph is the article's own when it holds ``TITLE_WORDS`` of its title's words; with a title of
    fewer such words, or a guessed one, none is. ``lines``: ``line_words`` of the text, when the caller
    has them.
    """
    terms = _title_terms(article)
    if lines is None:
        lines = line_words(article.get("text") or "")
    keys = [_key_of(toks) for toks in lines]
    if len(terms) >= TITLE_WORDS:
        own = [len(terms.intersection(toks)) >= TITLE_WORDS for toks in lines]
        if any(own):
            return keys, own, None
    else:
        own = [False] * len(keys)
    head = next((i for i, key in enumerate(keys) if key), None)
    if head is None:
        return keys, own, None
    below: list = []
    for toks in lines[head + 1:]:
        below += toks
        if len(below) >= BELOW_WORDS:
            break
    return keys, own, " ".join(story_words(below[:BELOW_WORDS]))
