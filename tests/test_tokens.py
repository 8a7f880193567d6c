"""transforms.tokens: one tokenizer for Latin, CJK and Hangul text."""
from transforms.tokens import content_hash, count_words, words


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
