"""transforms.tokens: one tokenizer for Latin, CJK and Hangul text."""
import itertools
import random

from transforms.extract.paragraphs import line_words
from transforms.tokens import content_hash, count_words, tokens_hash, words


def test_latin_words_are_case_folded_and_split_on_punctuation():
    assert words("The “Quick”, brown FOX! Straße") == ["the", "quick", "brown", "fox", "strasse"]


def test_chinese_and_japanese_characters_are_one_token_each():
    assert words("北京市政府宣布 budget 2025") == ["北", "京", "市", "政", "府", "宣", "布", "budget", "2025"]
    assert len(words("東京都は月曜日に新しい予算を発表した。")) == 18


def test_hangul_is_split_on_spaces_like_latin():
    assert words("서울시는 월요일 새 예산을 발표했다.") == ["서울시는", "월요일", "새", "예산을", "발표했다"]


def test_count_words_agrees_with_words():
    for text in ("Hello, world", "北京市政府宣布 budget", "서울시는 월요일", "ﬁne ＡＢＣ", ""):
        assert count_words(text) == len(words(text))


def test_content_hash_ignores_case_and_punctuation_only():
    assert content_hash("Hello, World") == content_hash("hello world")
    assert content_hash("hello world") != content_hash("hello there world")


def test_the_words_of_a_texts_lines_hash_as_the_text():
    # Extraction hashes an article from its lines' words (which presigning reads too): a token never spans a
    # line break, so they are the text's words, even where NFKC or case folding change characters at a break.
    alphabet = ["a", "Z", "İ", "ß", "ﬁ", "①", "Ａ", "\u0301", "\u0327", "ǰ", "北", "서", "_", "-", " ", "\t", "\r",
                "\n", "\n", "\u2028", "\u00a0", "’", "9", "\ufb01"]
    rng = random.Random(5)
    texts = ["Line one.\n\nLine two, İstanbul\n", "\n\u0301a\nb\u0327\n", "ǰ\nﬁ", "", "\n\n"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    for text in texts:
        lines = line_words(text)
        assert list(itertools.chain.from_iterable(lines)) == words(text), repr(text)
        assert tokens_hash(itertools.chain.from_iterable(lines)) == content_hash(text)
    assert tokens_hash(["hello", "world"]) == content_hash("Hello, World") != tokens_hash(["helloworld"])
