"""transforms.dedup.wordlists: simplemma's and wordfreq's answers, from lists held compactly."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import simplemma
import wordfreq

from transforms.dedup import wordlists

# Fast-path languages (wordfreq's plain regex tokenizer) and languages wordfreq tokenises its own way
# (Arabic removes marks, Turkish has a dotless i and cedillas, Romanian commas under letters).
LANGS = ("en", "de", "ru", "pt", "ar", "tr", "ro", "he")
ODD_WORDS = ["covid-19", "mp3", "G7", "2020s", "l'homme", "e-mail", "1,000", "3.5", "B52", "İstanbul", "ŞEHİR",
             "Straße", "STRASSE", "الكتاب", "știre", "şţ", "", "-", "a1b2c3", "12345", "qwxzvbnm", "Häuser"]


def _sample(lang, n=3000):
    words = wordfreq.top_n_list(lang, n)
    # Every third word as it is, a few capitalised and in capitals, some with a number glued on.
    return words[::3] + [w.capitalize() for w in words[1::17]] + [w.upper() for w in words[2::61]] + \
        [w + "7" for w in words[::97]] + ODD_WORDS


def test_zipf_frequency_is_wordfreqs():
    for lang in LANGS:
        for word in _sample(lang):
            assert wordlists.zipf_frequency(word, lang) == wordfreq.zipf_frequency(word, lang), (lang, word)
            assert wordlists.word_frequency(word, lang) == wordfreq.word_frequency(word, lang), (lang, word)


def test_frequency_table_maps_words_to_wordfreqs_frequencies():
    table = wordlists.frequency_table("de")
    expected = wordfreq.get_frequency_dict("de")
    assert len(table) == len(expected)
    for word in list(expected)[::500] + ["Haus", "haus", "qwxzvbnm", ""]:
        assert table.get(word) == expected.get(word), word


def test_lemmatize_is_simplemmas():
    for lang in ("en", "de", "ru", "pt", "fr", "tr"):
        for word in filter(None, _sample(lang, 2000)):  # simplemma refuses an empty token; events never has one
            assert wordlists.lemmatize(word, lang) == simplemma.lemmatize(word, lang=lang), (lang, word)
    assert wordlists.lemma_dictionary("en").get("children") == "child"


def test_event_terms_hold_no_full_word_list_of_the_languages_they_meet():
    # Every extraction worker computes event terms: with simplemma's dicts and wordfreq's cached lists, each
    # language cost a worker 50-300 MB (nine European languages 1.3 GB, a Cyrillic page in make soak 250 MB).
    code = """
import sys, wordfreq
from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY
from transforms.dedup.events import event_terms
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
event_terms("Officials said the earthquake struck on Tuesday", language="en")
before = rss_mb()
texts = {"ru": "Землетрясение магнитудой 6,4 произошло во вторник в Хорватии, погибли семь человек",
         "de": "Ein Erdbeben der Stärke 6,4 hat am Dienstag Kroatien erschüttert, sieben Menschen starben",
         "ar": "ضرب زلزال بقوة 6.4 درجة كرواتيا يوم الثلاثاء وقتل سبعة أشخاص",
         "tr": "Salı günü Hırvatistan'da 6,4 büyüklüğünde deprem oldu, yedi kişi öldü"}
for lang, text in texts.items():
    assert event_terms(text, language=lang), lang
grown = rss_mb() - before
cached = (wordfreq.get_frequency_list.cache_info().currsize, wordfreq.get_frequency_dict.cache_info().currsize,
          DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_info().currsize)
print(grown, cached)
sys.exit(0 if cached == (0, 0, 0) and grown < 150 else 1)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_lemma_table_answers_as_the_dictionary_it_was_built_from():
    raw = {"walked".encode(): b"walk", "Häuser".encode(): "Haus".encode(), b"ran": b"run", b"runs": b"run"}
    table = wordlists.LemmaTable(raw)
    assert len(table) == 4
    assert [table.get(k.decode()) for k in raw] == ["walk", "Haus", "run", "run"]
    assert table.get("walk") is None and table.get("") is None and table.get("Walked") is None


def test_languages_resolving_to_one_word_list_share_its_table():
    # wordfreq answers Luxembourgish from its German list; a second table of it cost ~8 MB and 0.15 s.
    assert wordlists.frequency_table("lb") is wordlists.frequency_table("de")
    assert wordlists.zipf_frequency("Haus", "lb") == wordfreq.zipf_frequency("Haus", "lb")


def test_words_whose_str_hashes_collide_keep_their_own_frequencies():
    # Python hashes a str over its internal bytes: "a1" (61 31) and "ㅡ" (U+3161) hash alike, and each took
    # whichever frequency its table had sorted first. Every wordfreq list holds such pairs (Spanish: these two).
    assert hash("a1") == hash("\u3161")
    table = wordlists.FrequencyTable([["a1", "x"], ["\u3161"]])
    assert (table.get("a1"), table.get("\u3161")) == (wordfreq.cB_to_freq(0), wordfreq.cB_to_freq(-1))
    assert table.get_all(["\u3161", "a1", "zz"]) == [wordfreq.cB_to_freq(-1), wordfreq.cB_to_freq(0), None]
    for word in ("a1", "\u3161"):
        assert wordlists.zipf_frequency(word, "es") == wordfreq.zipf_frequency(word, "es")


_LOOKUPS = """
import json, sys, wordfreq
from transforms.dedup import wordlists
words = wordfreq.top_n_list("de", 4000)[::7] + ["Häuser", "Straße", "qwxzvbnm", "a1", "\\u3161", "Gelegenheiten"]
ours = [wordlists.lemma_dictionary("de").get_all(words), wordlists.frequency_table("de").get_all(words),
        [wordlists.lemmatize(w, "de") for w in words[:300]], [wordlists.zipf_frequency(w, "de") for w in words[:300]]]
if len(sys.argv) > 1:  # and what the libraries answer
    import simplemma
    assert ours[2] == [simplemma.lemmatize(w, lang="de") for w in words[:300]]
    assert ours[3] == [wordfreq.zipf_frequency(w, "de") for w in words[:300]]
print(json.dumps(ours))
"""


def _lookups(cache, seed: str, check: bool = False) -> list:
    env = {**os.environ, "STORYWIRE_CACHE_DIR": str(cache), "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", _LOOKUPS] + (["check"] if check else []), env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def fresh() -> list:
    """The lookups of a process that keeps nothing on disk: what every cached process must answer."""
    return _lookups("off", "1")


def test_word_lists_kept_on_disk_answer_as_the_libraries_in_every_process(tmp_path, fresh):
    # A process's ``hash`` differs from the next one's: the cache keeps words, never their hashes.
    assert not list(tmp_path.iterdir())
    assert _lookups(tmp_path, "2") == fresh  # built from the libraries' files, and kept
    kept = sorted(p.name for p in tmp_path.rglob("*.npz"))
    assert kept == ["frequencies-large_de.msgpack.gz.npz", "lemmas-de.npz"]
    assert _lookups(tmp_path, "3", check=True) == fresh  # read back in another process, with another hash


def test_a_damaged_word_list_file_is_built_again(tmp_path, fresh):
    _lookups(tmp_path, "2")
    lemmas = next(tmp_path.rglob("lemmas-de.npz"))
    good = lemmas.read_bytes()
    with np.load(lemmas) as stored:
        kept = {key: stored[key] for key in stored.files}
    for damaged in (good[:len(good) // 2], b"not a numpy file", b""):
        lemmas.write_bytes(damaged)
        assert _lookups(tmp_path, "4") == fresh
        with np.load(lemmas) as stored:  # and written whole again
            assert sorted(stored.files) == sorted(kept)
            assert all(np.array_equal(stored[key], kept[key]) for key in kept)


def test_a_word_list_holding_other_counts_than_it_says_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYWIRE_CACHE_DIR", str(tmp_path))
    valid = lambda parts: len(parts["words"]) == len(parts["bands"])  # noqa: E731
    build = lambda: {"words": [b"alpha", b"beta"], "bands": np.array([1, 2])}  # noqa: E731
    built = wordlists._cached("probe", build, valid)
    path = next(tmp_path.rglob("probe.npz"))
    with np.load(path) as stored:
        parts = dict(stored)
    for damaged in ({**parts, "words.count": np.array(3)}, {**parts, "bands": np.array([1, 2, 3])}):
        np.savez(path, **damaged)
        again = wordlists._cached("probe", build, valid)
        assert again["words"] == built["words"] == [b"alpha", b"beta"] and list(again["bands"]) == [1, 2]
        assert wordlists._cached("probe", lambda: 1 / 0, valid)["words"] == [b"alpha", b"beta"]  # rewritten whole


def test_lemma_lists_whose_arrays_disagree_are_not_read():
    parts = wordlists._lemma_parts({b"walked": b"walk", b"ran": b"run", b"runs": b"run"})
    assert wordlists._lemma_parts_valid(parts)
    assert not wordlists._lemma_parts_valid({**parts, "ids": parts["ids"][:2]})
    assert not wordlists._lemma_parts_valid({**parts, "starts": parts["starts"][:2]})
    assert not wordlists._lemma_parts_valid({**parts, "ids": parts["ids"] + 5})


def test_word_lists_still_load_where_the_cache_cannot_be_written(tmp_path, fresh):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    assert _lookups(blocked, "2") == fresh


def test_without_a_home_nothing_is_kept_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("STORYWIRE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert wordlists._cache_dir() is None
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # as when no home directory is known
    assert wordlists._cache_dir() is None
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert wordlists._cache_dir().parent == tmp_path / "storywire"
