"""transforms.extract.charset: declared charsets verified, wrong ones corrected, bad bytes never fatal."""
import glob
import html
import json
import os
import random

import pytest

from transforms.extract.charset import charset_from_content_type, decode_bytes, looks_binary, sniff_declared_charset

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "extraction", "html")

RUSSIAN = ("В Новосибирске в пятницу открылась станция метро «Спортивная», строительство которой продолжалось "
           "почти десять лет. Первые пассажиры вошли на платформу в шесть часов утра. По словам мэра города, "
           "новая станция позволит разгрузить автобусные маршруты в Ленинском районе.")
SPANISH = ("La película argentina «El año del río», dirigida por Martín Aguirre, se llevó el premio a la mejor "
           "película, mientras que la actriz española Carmen Ibáñez fue reconocida como mejor intérprete.")
JAPANESE = "北陸新幹線の金沢―敦賀間が十六日、開業した。東京と福井県が新幹線で結ばれるのは初めてで、沿線の各駅では記念式典が開かれた。"
CHINESE = "经过两年多的建设，江城市东湖湿地公园于本周六正式对外开放。开园首日，前来游览的市民超过三万人次。"


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize("header,expected", [
    ("text/html; charset=UTF-8", "utf-8"),
    ('text/html; charset="windows-1251"', "windows-1251"),
    ("text/html;charset=ISO-8859-1", "iso-8859-1"),
    ("text/html", None),
    (None, None),
    ("", None),
])
def test_charset_from_content_type(header, expected):
    assert charset_from_content_type(header) == expected


def test_sniff_meta_charset_forms():
    assert sniff_declared_charset(b'<html><head><meta charset="Shift_JIS">') == "shift_jis"
    assert sniff_declared_charset(
        b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">') == "windows-1251"
    assert sniff_declared_charset(b'<?xml version="1.0" encoding="ISO-8859-1"?><rss>') == "iso-8859-1"
    assert sniff_declared_charset(b"<html><body>no declaration</body></html>") is None


def test_cp1251_labelled_iso_8859_1_comes_out_cyrillic():
    raw = page(RUSSIAN).encode("cp1251")
    text, used, notes = decode_bytes(raw, "iso-8859-1")
    assert RUSSIAN in text
    assert used == "cp1251"
    assert "charset_mismatch:declared=iso-8859-1,used=cp1251" in notes


def test_cp1251_labelled_utf8_in_header_and_meta():
    raw = page(RUSSIAN, '<meta charset="utf-8">').encode("cp1251")
    text, used, notes = decode_bytes(raw, "utf-8")
    assert RUSSIAN in text and used == "cp1251"
    assert "charset_mismatch:declared=utf-8,used=cp1251" in notes


def test_correct_cp1251_meta_declaration_has_no_note():
    raw = page(RUSSIAN, '<meta charset="windows-1251">').encode("cp1251")
    text, used, notes = decode_bytes(raw)
    assert RUSSIAN in text and used == "cp1251" and notes == ()


def test_utf8_page_labelled_windows_1251_is_read_as_utf8():
    raw = page(RUSSIAN, '<meta charset="windows-1251">').encode("utf-8")
    text, used, notes = decode_bytes(raw)
    assert RUSSIAN in text and used == "utf-8"
    assert "charset_mismatch:declared=windows-1251,used=utf-8" in notes


def test_header_beats_meta_when_both_plausible_and_wrong_header_falls_back_to_meta():
    raw = page(RUSSIAN, '<meta charset="koi8-r">').encode("cp1251")
    text, used, _ = decode_bytes(raw, "windows-1251")
    assert used == "cp1251" and RUSSIAN in text
    # Header wrong (utf-8 cannot decode these bytes), meta right.
    raw = page(SPANISH, '<meta charset="iso-8859-1">').encode("cp1252")
    text, used, notes = decode_bytes(raw, "utf-8")
    assert SPANISH in text and used == "cp1252"
    assert "charset_mismatch:declared=utf-8,used=cp1252" in notes


def test_latin1_without_declaration_keeps_spanish_letters():
    text, used, notes = decode_bytes(page(SPANISH).encode("iso-8859-1"))
    assert SPANISH in text, (used, text[:200])
    assert notes == (f"charset_detected:{used}",)


@pytest.mark.parametrize("sample,codec,label", [
    (JAPANESE, "shift_jis", None),
    (JAPANESE, "euc_jp", "utf-8"),
    (CHINESE, "gb2312", "utf-8"),
    (CHINESE, "gb2312", None),
])
def test_cjk_detected_when_label_missing_or_wrong(sample, codec, label):
    raw = page(sample * 3).encode(codec)
    text, used, _ = decode_bytes(raw, label)
    assert sample in text, used


@pytest.mark.parametrize("bom,codec", [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_bom_wins_over_declarations(bom, codec):
    raw = bom + page(RUSSIAN, '<meta charset="iso-8859-1">').encode(codec)
    text, used, notes = decode_bytes(raw, "windows-1252")
    assert RUSSIAN in text and used == codec and notes == (f"bom:{codec}",)
    assert not text.startswith("\ufeff")


def test_unknown_label_is_noted_and_text_still_decoded():
    text, used, notes = decode_bytes(page(RUSSIAN).encode("utf-8"), "x-made-up-charset")
    assert RUSSIAN in text and used == "utf-8"
    assert "unknown_charset:x-made-up-charset" in notes


def test_ascii_and_empty():
    assert decode_bytes(b"") == ("", "utf-8", ())
    text, used, notes = decode_bytes(b"<p>plain ascii</p>", "iso-8859-1")
    assert text == "<p>plain ascii</p>" and notes == ()


def test_never_raises_on_random_bytes():
    rng = random.Random(7)
    for n in (1, 2, 7, 64, 1000, 20000):
        for _ in range(15):
            raw = bytes(rng.randrange(256) for _ in range(n))
            for label in (None, "utf-8", "shift_jis", "nonsense", "utf-16"):
                text, used, notes = decode_bytes(raw, label)
                assert isinstance(text, str) and isinstance(used, str) and isinstance(notes, tuple)


def test_invalid_utf8_tail_is_replaced_with_a_note():
    raw = page("Grüße aus München " * 50).encode("utf-8") + b"\xff\xfe\xfa truncated"
    text, used, notes = decode_bytes(raw, "utf-8")
    assert "Grüße aus München" in text and used == "utf-8"
    assert "decode_errors_replaced:utf-8" in notes


@pytest.mark.parametrize("raw,binary", [
    (b"\x89PNG\r\n\x1a\n" + bytes(100), True),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", True),
    (b"PK\x03\x04" + bytes(50), True),
    (b"\x1f\x8b\x08\x00" + bytes(50), True),
    (random.Random(1).randbytes(50000), True),
    (b"<html>" + b"\x00" * 40 + b"</html>" * 100, True),
    (b"<html><body><p>Hello</p></body></html>", False),
    ("Привет".encode("cp1251") * 100, False),
    (b"\xff\xfe" + "<html>text</html>".encode("utf-16-le") * 20, False),
    ("<html>bom-less utf-16 text</html>".encode("utf-16-le") * 20, False),
    (b"", False),
])
def test_looks_binary(raw, binary):
    assert looks_binary(raw) is binary


def charset_pages():
    out = []
    for path in sorted(glob.glob(os.path.join(DATA, "*_charset_*.html")) + glob.glob(os.path.join(DATA, "*_bom_*.html"))):
        stem = path[:-5]
        with open(stem + ".meta.json", encoding="utf-8") as fh:
            meta = json.load(fh)
        out.append(pytest.param(path, meta, id=os.path.basename(stem)))
    return out


@pytest.mark.parametrize("path,meta", charset_pages())
def test_eval_set_charset_pages_decode_to_their_gold(path, meta):
    with open(path, "rb") as fh:
        raw = fh.read()
    with open(path[:-5] + ".gold.txt", encoding="utf-8") as fh:
        gold = [p for p in fh.read().split("\n\n") if p.strip()]
    text, used, notes = decode_bytes(raw, charset_from_content_type(meta.get("content_type")))
    text = html.unescape(text)
    for paragraph in gold:
        assert paragraph.strip() in text, (used, notes)


def test_utf8_cut_mid_character_at_the_byte_cap_stays_utf8():
    raw = page("Привет из Москвы. " * 40).encode("utf-8")
    cut = raw[: raw.rindex("Москвы".encode("utf-8")) + 1]  # ends inside the two-byte "М"
    text, used, notes = decode_bytes(cut)
    assert used == "utf-8" and "Привет из Москвы" in text
    assert "decode_errors_replaced:utf-8" in notes
