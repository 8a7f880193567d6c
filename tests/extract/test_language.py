"""transforms.extract.language: the article text's language, over the page template's declaration."""
from tests.extract.test_htmlextract import PARAGRAPHS, TITLE
from transforms.extract.document import extract_document
from transforms.extract.language import SAMPLE_CHARS, _sample, text_language
from transforms.model import RawDocument

ENGLISH = " ".join(PARAGRAPHS)
GERMAN = ("Der Stadtrat hat am Dienstag mit sieben zu zwei Stimmen beschlossen, das Pumpwerk am Flussufer für 48 "
          "Millionen Dollar neu zu bauen, nachdem es seit 2019 bei schweren Unwettern dreimal ausgefallen war. "
          "Die Leiterin des Bauamts sagte, die neue Anlage werde doppelt so viel Wasser fördern können.")
INDONESIAN = ("Pemerintah kota menyetujui rencana pembangunan kembali stasiun pompa di tepi sungai pada hari Selasa, "
              "setelah stasiun itu rusak tiga kali saat hujan deras sejak tahun 2019. Kepala dinas pekerjaan umum "
              "mengatakan stasiun baru akan memindahkan air dua kali lebih banyak dan melindungi sekitar 2.400 rumah.")


def test_a_wrong_declaration_gives_way_to_the_text():
    assert text_language(ENGLISH, "ja") == "en"
    assert text_language(ENGLISH, "de") == "en"
    assert text_language(GERMAN, "en") == "de"


def test_a_right_declaration_is_kept():
    assert text_language(ENGLISH, "en") == "en"
    assert text_language(GERMAN, "de") == "de"


def test_a_close_relative_declared_by_the_page_is_kept():
    # Indonesian and Malay share most of their words: the page's own word is trusted over a near tie.
    detected = text_language(INDONESIAN)
    assert detected in ("id", "ms")
    other = "ms" if detected == "id" else "id"
    assert text_language(INDONESIAN, other) == other


def test_no_declaration_is_detected_and_nothing_to_read_keeps_the_declaration():
    assert text_language(GERMAN) == "de"
    assert text_language("", "fr") == "fr"
    assert text_language("   \n ", None) is None
    # A code the identifier does not know cannot be contradicted.
    assert text_language(ENGLISH, "xx") == "xx"


def test_the_sample_is_the_longest_paragraphs():
    text = "Menu\nStartseite Politik Sport\n" + ENGLISH
    assert _sample(text) == ENGLISH[:SAMPLE_CHARS]
    # A brief on a page whose chrome is in another script: its paragraphs, not the menu, are read.
    brief = "\n".join(["칼럼진별", "분야별 뉴스", "- 악녀의 덫에 걸린 이유리"] + PARAGRAPHS[:2])
    sample = _sample(brief)
    assert sample == "\n".join(sorted(PARAGRAPHS[:2], key=len, reverse=True)) and "분야별" not in sample
    assert len(_sample("\n".join(PARAGRAPHS))) <= SAMPLE_CHARS + len(PARAGRAPHS)
    assert text_language(brief, "ko") == "en"
    short = "Menu\nHome News"
    assert _sample(short) == "Home News\nMenu"  # nothing longer to prefer


def test_the_language_of_most_paragraphs_wins_over_the_longest_one():
    # A text dump that kept its page's author biography after an English story: the biography is the
    # longest paragraph, and read alone (as before) it made the story Portuguese.
    bio = ("Pai de Francesco e Teresa e marido de Bárbara, Carlos é também coordenador pedagógico na escola "
           "do bairro, em Londrina, cidade onde mora. Junto com um amigo, é co-fundador do blog sobre educação, "
           "em que publica vídeos, entrevistas e artigos com dicas para os pais sobre educação infantil, "
           "especialmente no tocante à alfabetização domiciliar, e já ensinou pela internet 1630 pais e mães.")
    story = [p for p in PARAGRAPHS if len(p) * 3 >= len(bio)][:2]
    assert len(story) == 2 and all(len(p) < len(bio) for p in story)
    text = "\n\n".join(story + ["Sobre o autor", bio])
    assert text_language(text) == "en"
    assert text_language(text, "pt") == "en"


def test_an_english_story_on_a_german_page_is_english_in_the_record():
    page = (f"<!DOCTYPE html><html lang='de'><head><meta charset='utf-8'><title>{TITLE}</title></head><body>"
            f"<nav>Startseite Politik Wirtschaft Sport</nav><main><article><h1>{TITLE}</h1>"
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</article></main></body></html>")
    ext = extract_document(RawDocument(source="page.html", raw=page.encode("utf-8"), content_type="text/html"))
    assert ext.language == "en"
    # A text dump declares nothing: its language is read from the text.
    dump = extract_document(RawDocument(source="dump.txt", raw=(TITLE + "\n\n" + GERMAN * 2).encode("utf-8")))
    assert dump.language == "de"


def test_scores_are_py3langids_own_on_every_sample():
    import numpy as np
    from transforms.extract.language import _scores, load_identifier
    identifier = load_identifier()
    samples = [_sample(text) for text in (
        "\n".join(PARAGRAPHS),
        "Der Gemeinderat hat am Dienstag den Haushalt für das kommende Jahr beschlossen.",
        "Le conseil municipal a adopté mardi le budget de l'année prochaine.",
        "市议会周二通过了明年的预算。", "Городской совет во вторник утвердил бюджет на следующий год.",
        "x", "12 34 56", "Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ and emoji 😀 \udcff",
    )]
    for sample in samples:
        theirs = identifier.nb_classprobs(identifier.instance2fv(sample))
        ours = _scores(identifier, sample)
        # py3langid sums in float32 over every feature: the same up to its rounding.
        assert np.allclose(ours, theirs, rtol=0, atol=0.05)
        assert int(ours.argmax()) == int(theirs.argmax())
