"""Renderers' hard wraps, Markdown and text-node lines undone before the text-dump cleaner reads a dump line by line."""
import textwrap

from tests.extract.test_textclean import _PARISE
from transforms.extract.boilerplate import candidate_lines
from transforms.extract.reflow import (demarkdown, dump_lines, fragmented, is_markdown, rejoined, unglued, unwrapped,
                                       wrap_width)
from transforms.extract.text import clean_text

MENU = ["Home", "News", "Sports", "Things to Do", "Opinion", "Subscribe"]
HEADLINE = "Parise heating up, scores twice as team beats Sabres 4-1"
RAIL = ["Minnesotan finding his legs in Buffalo", "Wild sign defenseman to a two-year deal",
        "Gophers open the season with a win at home"]


def _plain_dump() -> str:
    """The page as inscriptis renders it: a paragraph a line."""
    return "\n".join(["Skip to content", *(f"  * {m}" for m in MENU), HEADLINE, "By Bill Hoppe",
                      *_PARISE, "More in Minnesota Wild", *(f"  * {r}" for r in RAIL), "Privacy Policy"])


def _markdown_dump(width: int = 0) -> str:
    """The same page as html2text writes it: links, a heading, emphasis, escapes; wrapped at ``width``."""
    def para(text):
        return textwrap.fill(text, width, break_long_words=False) if width else text
    body = [para(p.replace("Sabres", "[Sabres](https://example.com/teams/buffalo-sabres)")
                 .replace("confidence", "**confidence**").replace("4-1", "4\\-1")) for p in _PARISE]
    return "\n\n".join([
        "[Skip to content](#main)", "\n".join(f"  * [{m}](https://example.com/{m.lower().replace(' ', '-')})" for m in MENU),
        "![Logo](https://example.com/logo.png)", f"# {HEADLINE}", "By [Bill Hoppe](https://example.com/staff/hoppe)",
        *body, "## More in Minnesota Wild",
        "\n".join(f"  * [{r}](https://example.com/wild/{k})" for k, r in enumerate(RAIL)),
        "[Privacy Policy](https://example.com/privacy)"])


def _nodes_dump() -> str:
    """The same page as BeautifulSoup's ``get_text("\\n", strip=True)`` writes it: a text node a line, so each
    paragraph breaks at its links ("Sabres") and emphasis ("confidence"), and a byline at its author's link."""
    body = []
    for p in _PARISE:
        body += [part.strip() for part in p.replace("Sabres", "\nSabres\n").replace("confidence", "\nconfidence\n")
                 .split("\n") if part.strip()]
    return "\n".join(["Skip to content", *MENU, HEADLINE, "By", "Bill Hoppe", *body, "More in Minnesota Wild", *RAIL,
                      "Privacy Policy"])


def test_wrap_width_finds_a_renderers_width_and_no_width_in_unwrapped_text():
    text = "\n\n".join(_PARISE * 3)
    for width in (60, 72, 78, 80):
        # The narrowest width that explains the wraps (a few characters under ``width`` give the same lines).
        wrapped = "\n\n".join(textwrap.fill(p, width) for p in _PARISE * 3).splitlines()
        assert width - 3 <= wrap_width(wrapped) <= width
        assert width - 3 <= wrap_width(_markdown_dump(width).splitlines()) <= width
    assert wrap_width(text.splitlines()) == 0
    assert wrap_width(_plain_dump().splitlines()) == 0 and wrap_width(_markdown_dump().splitlines()) == 0
    # A menu of short items of about the same length is not a wrapped paragraph.
    menu = [f"{word} and more {word} news today" for word in ("world", "sport", "money", "style", "local")] * 4
    assert wrap_width(menu) == 0


def test_unwrapped_joins_each_paragraph_back_and_leaves_lists_tables_and_breaks_alone():
    paragraphs = [textwrap.fill(p, 50) for p in _PARISE]
    assert unwrapped("\n\n".join(paragraphs).splitlines()) == "\n\n".join(_PARISE).splitlines()
    # A URL or long word broken after a hyphen is joined without a blank.
    url_line = "x" * 35 + " see https://example.com/news/a-long-"
    lines = textwrap.fill("\n\n".join(_PARISE), 50).splitlines() + [url_line, "headline-of-the-story today."]
    assert unwrapped(lines)[-1].endswith("https://example.com/news/a-long-headline-of-the-story today.")
    # List items, table rows and a Markdown line break (two blanks) each keep their line.
    wrapped = textwrap.fill(" ".join(_PARISE), 60).splitlines()
    kept = ["  * an item that follows a full line", "Team    Wins    Losses", "a line that ends in a break  "]
    out = unwrapped(wrapped + kept + ["and the line after it."])
    assert out[-4:] == kept + ["and the line after it."]
    assert out[0] == " ".join(_PARISE)
    # A quote's marks begin every line of it: the paragraph is joined once, without the inner marks.
    quoted = ["> " + line for line in textwrap.fill(" ".join(_PARISE), 60).splitlines()]
    assert unwrapped(quoted) == ["> " + " ".join(_PARISE)]
    # Two blanks after a comma or a full stop are a caption's typing, not a table's cells.
    caption = "The envoy, Kurt Volker,  testifies before the committee.  (Photo by Jane Doe/Agency)"
    wrapped = textwrap.fill(" ".join(_PARISE) + " " + caption, 60).splitlines()
    joined = unwrapped(wrapped)
    assert len(joined) == 1 and joined[0].split() == (" ".join(_PARISE) + " " + caption).split()


def test_demarkdown_keeps_the_text_of_links_headings_and_emphasis():
    lines = ["# A heading #", "Read [the report](https://example.com/a_(b) \"Title\") and ![a chart](c.png) here.",
             "**Bold** and _slanted_ and *starred* words, snake_case stays, 2 * 3 * 4 stays.",
             "> quoted text", "An \\*escaped\\* star and 1\\. a number", "[1]: https://example.com/ref",
             "See [the ref][1] for more.", "Crafted with __by [Studio](https://s.example)"]
    assert demarkdown(lines) == [
        "A heading", "Read the report and  here.", "Bold and slanted and starred words, snake_case stays, 2 * 3 * 4 stays.",
        "quoted text", "An *escaped* star and 1. a number", "See the ref for more.", "Crafted with by Studio"]
    # A link's title can be a long excerpt of the page it points to.
    assert demarkdown([f'  * [A teaser](https://example.com/a "{"An excerpt. " * 100}")']) == ["  * A teaser"]
    # As markdownify writes a video rail and a teaser whose link holds its heading: an image whose alt text is
    # its URL in brackets, inside a link; a link opened on one line and closed on another. Both had left
    # their URLs' words in lines that read as prose.
    assert demarkdown(["* [![[https://v.example/a.jpg]](https://v.example/a.jpg)](https://example.com/video/a)",
                       "[", "", "Plague outbreak: a third case confirmed](/news/world/1203947/plague-news)",
                       "See [the [full] report](https://example.com/r) now"]) == [
        "* ", "", "", "Plague outbreak: a third case confirmed", "See the [full] report now"]
    assert is_markdown(_markdown_dump()) and not is_markdown(_plain_dump())
    # A plain dump with a bracket or two is not Markdown: dump_lines leaves its lines as they are.
    plain = _plain_dump() + "\nThe [sic] quote (see above) stays [as written](in print)."
    assert dump_lines(plain) == plain.splitlines()


def test_clean_text_reads_the_same_article_from_markdown_and_wrapped_dumps():
    expected = "\n\n".join(_PARISE)
    assert clean_text(_plain_dump()).text == expected
    for width in (0, 60, 78):
        # Before, the Markdown dump kept its link URLs' words and a wrapped one lost the article.
        assert clean_text(_markdown_dump(width)).text == expected, width


def test_site_lines_are_counted_as_the_cleaner_reads_them():
    # FindRepeatedLines' lines must be the cleaner's: a Markdown menu line counts by its text.
    lines = candidate_lines(("[Subscribe to our daily newsletter today](https://example.com/newsletter)\n"
                             + _markdown_dump()).encode())
    assert "subscribe to our daily newsletter today" in lines
    assert not any("https" in line for line in lines)


def test_a_markdown_table_is_laid_out_in_cells_as_a_plain_text_renderer_lays_it_out():
    lines = ["Standings | Site | News", "", "**Pos.** | **Driver** | **Points**  ", "---|:---:|---  ",
             "1 | Kyle Busch | 5040  ", "2 | Martin Truex Jr. | 5035", "", "The season ends | next week."]
    # A title with pipes is not a table; the rule under a table's header goes, its rows keep their cells.
    assert demarkdown(lines) == ["Standings | Site | News", "", "Pos.    Driver    Points",
                                 "1    Kyle Busch    5040", "2    Martin Truex Jr.    5035", "",
                                 "The season ends | next week."]


def test_hostile_lines_are_read_in_one_pass():
    # An opening mark repeated with nothing to close it. A mark's content excludes its closing character,
    # so each scan ends at the next delimiter and a line takes one pass (6,000 "[" had taken 1.5 s, growing
    # with the square of the line; a 5 MB dump would not have finished).
    lines = ["[" * 300_000, "_x " * 100_000, "**x " * 100_000, "![" * 100_000, "#" + " " * 100_000 + "x",
             "a | b", "---|---" + " " * 100_000]
    assert demarkdown(lines) == lines[:4] + ["x", "a    b"]
    # Brackets inside a link's text, and link ends with no opening: each line's marks are read once.
    assert demarkdown(["[[a]](" * 100_000, "](x)" * 100_000]) == ["[[a]](" * 100_000, ""]
    # One paragraph of 300,000 text nodes, and one of 70,000 wrapped lines: each joined once (built by
    # copying the line at every join, 40,000 nodes took 210 s and 35,000 wrapped lines 3.5 s).
    assert rejoined(["x", ", and", "y", ", or"] + ["ab cd ef gh ij"] * 300_000) == [
        "x, and", "y, or " + " ".join(["ab cd ef gh ij"] * 300_000)]
    wrapped = textwrap.wrap("lorem ipsum dolor sit amet consectetur " * 128_000, 72)
    assert len(wrapped) > 70_000 and unwrapped(wrapped) == [" ".join(wrapped)]
    parts = unglued(["aaBbbCcc " * 500_000, "x" * 5_000_000])
    assert parts[-1] == "x" * 5_000_000 and "".join(parts[:-1]).replace(" ", "") == "aaBbbCcc" * 500_000
    assert wrap_width(["x " * 50_000] * 3 + ["y"] * 10) == 0


def test_rejoined_puts_a_paragraphs_text_nodes_back_together():
    lines = _nodes_dump().splitlines()
    assert fragmented(lines)
    joined = rejoined(lines)
    assert all(p in joined for p in _PARISE)
    # The menu, the headline, the byline and the rail keep their lines.
    assert [ln for ln in joined if ln not in _PARISE] == ["Skip to content", *MENU, HEADLINE, "By", "Bill Hoppe",
                                                          "More in Minnesota Wild", *RAIL, "Privacy Policy"]


def test_rejoined_leaves_menus_lists_and_dumps_of_whole_paragraphs_alone():
    # Two lines that go on from the ones above make the dump one of text nodes ...
    lines = ["Data provided by Interactive Data (", "Terms & Conditions", "). Powered by", "", "Read the findings of the",
             "report", ".", "home", "world news", "  * sport", "opinion and letters", "# Weather",
             "warnings", "Terms", ", and conditions"]
    assert rejoined(lines) == ["Data provided by Interactive Data (Terms & Conditions). Powered by", "",
                               "Read the findings of the report.", "home", "world news", "  * sport", "opinion and letters", "# Weather",
                               "warnings", "Terms, and conditions"]
    # ... and fewer leave it as it is: inscriptis writes a paragraph a line, and its second-level bullet is "o".
    whole = ["o Video", "o Puzzles", "The council met on Tuesday and the mayor said that the budget", "was approved.",
             "Read more", "..."]
    assert not fragmented(whole) and rejoined(whole) == whole


def test_clean_text_reads_the_article_from_a_dump_of_text_nodes():
    # Before, the cleaner kept 46 of the article's 119 words, starting mid-sentence (", and his first-period goals").
    assert clean_text(_nodes_dump()).text == "\n\n".join(_PARISE)


def _one_line_dump() -> str:
    """The same page as BeautifulSoup's ``get_text()`` writes a page whose HTML has no newlines between its tags:
    one line, the menu's items glued together, the paragraphs run into one another."""
    return "".join(["Skip to content", *MENU, HEADLINE, "By Bill Hoppe", " ".join(_PARISE), " More in Minnesota Wild",
                    *RAIL, "Privacy PolicyTerms of UseContact UsAdvertise with UsCareers"])


def test_unglued_cuts_a_line_that_ran_a_pages_blocks_together():
    parts = unglued([_one_line_dump()])
    assert ["Home", "News", "Sports"] == parts[1:4] and "Gophers open the season with a win at home" in parts
    assert all(p in parts for p in _PARISE[1:])  # cut where each sentence ends
    # A brand the page writes the same way each time is not cut; a line under GLUED_LINE_CHARS is left alone.
    brand = " ".join(["The new MacBook Pro has a keyboard much like the old MacBook Pro's, said the iFixit team."] * 12)
    assert unglued([brand]) == [brand] and unglued(["HomeNewsSportWeather Opinion"]) == ["HomeNewsSportWeather Opinion"]


def test_clean_text_reads_the_article_from_a_one_line_dump():
    # Before, the cleaner kept the whole line: menu, headline, rail and footer with the article.
    text = clean_text(_one_line_dump()).text
    assert all(p in text for p in _PARISE[1:])
    assert "HomeNews" not in text and "Sports" not in text and "Gophers" not in text


def test_demarkdown_reads_a_line_as_every_pattern_would_whatever_it_skips():
    """``demarkdown`` runs a pattern only on a line holding the characters every match of it holds: on
    every line here, each with some of the marks (and the marks' look-alikes: a lone "[", "_" in a word),
    it gives what running every pattern on every line gives."""
    from transforms.extract import reflow as rf

    def every_pattern(line):
        if rf._REF_DEF_RE.match(line):
            return None
        line = rf._LINK_RE.sub(r"\1", rf._IMAGE_RE.sub("", line))
        line = rf._REF_LINK_RE.sub(r"\1", line)
        line = rf._LINK_END_RE.sub("", line)
        if line.strip() == "[":
            line = ""
        line = rf._QUOTE_RE.sub("", line) if line.lstrip().startswith(">") else line
        heading = rf._HEADING_RE.match(line)
        if heading:
            title = line[heading.end():].strip()
            bare = title.rstrip("#")
            line = heading.group(1) + (bare.rstrip() if bare != title and (not bare or bare[-1].isspace()) else title)
        line = rf._EMPHASIS_RE.sub(rf._marked_text, rf._STRONG_RE.sub(rf._marked_text, line))
        return rf._ESCAPE_RE.sub(r"\1", rf._STRAY_RE.sub("", line))

    parts = ["Plain words.", "[", "]", "[1]: https://e.example/r", " [2]:  x", "![alt](a.png)", "[text](https://e.example)",
             "[ref][3]", "](/tail/of-a-link)", "## Head ##", "#hashtag", "**strong**", "__under__", "*em*", "_em_",
             "snake_case", "a __ b", "__by", "\\*", "\\_x\\_", "> quote", "2 * 3", "a\\b"]
    lines = [a + " " + b for a in parts for b in parts] + parts
    assert demarkdown(lines) == [out for out in map(every_pattern, lines) if out is not None]
