"""The plain-text cleaner on the seeds and on each kind of boilerplate."""
import datetime as dt
import pathlib

import pytest

from transforms.extract.text import classify_line, clean_text, find_credit, parse_header

SEEDS = pathlib.Path(__file__).resolve().parents[2] / "seeds"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(prefix + "_*.txt")).read_text(encoding="utf-8")


def test_parse_header_reads_date_and_keeps_rest_of_line():
    published, rest, body = parse_header(" date 2024-10-21 Play Brightcove video\n\nFirst paragraph.")
    assert published == dt.datetime(2024, 10, 21, tzinfo=dt.timezone.utc)
    assert rest == "Play Brightcove video"
    assert body.strip() == "First paragraph."


def test_parse_header_absent_or_invalid():
    assert parse_header("No header here\nText") == (None, None, "No header here\nText")
    published, rest, _ = parse_header(" date 2024-13-45 x\nbody")
    assert published is None and rest == "x"


def test_header_is_not_article_text():
    ext = clean_text(seed("000"))
    assert "date 2024" not in ext.text
    assert "Play Brightcove video" not in ext.text
    assert ext.published == dt.datetime(2024, 10, 21, tzinfo=dt.timezone.utc)


def test_seed_001_navigation_and_teasers_removed():
    ext = clean_text(seed("001"))
    for cruft in ("Vote Watch", "KSLTV.com", "Connect with KSL", "Profile Picture", "via CNN Newsource",
                  "Dog spotted hanging out", "Liam Payne", "Sponsored Articles", "lighting guide",
                  "41 minutes ago", "KSL 5 TV Live", "BY ISAAC YEE"):
        assert cruft not in ext.text, cruft
    assert ext.text.startswith("(CNN) — North Korean soldiers have been filmed")
    assert ext.text.rstrip().endswith("many of its troops lack combat experience.")
    assert "‘This is just the beginning’" in ext.text  # in-article subheading kept
    assert ext.title == "North Korean troops seen being equipped in Russia ahead of likely deployment to Ukraine"
    assert ext.byline == "ISAAC YEE, VICTORIA BUTENKO AND NIAMH KENNEDY, CNN"
    assert ext.credited_source == "CNN"


def test_seed_002_comments_and_popular_posts_tail_removed():
    ext = clean_text(seed("002"))
    assert "Comments" not in ext.text.split()
    assert "Popular posts" not in ext.text
    assert "TB Joshua" not in ext.text and "Carabao Cup" not in ext.text
    assert ext.text.rstrip().endswith("increasing isolation from the West.")
    assert ext.title.startswith("North Korean Troops Sent To Russia")


def test_seed_000_credit_from_shared_with_partner():
    assert clean_text(seed("000")).credited_source == "CNN"


@pytest.mark.parametrize("line,kind", [
    ("Play Brightcove video", "cruft"),
    ("(Ukrainian Center for Strategic Communication and Information Security via CNN Newsource)", "cruft"),
    ("41 minutes ago", "cruft"),
    ("Sponsored Articles", "boundary"),
    ("Popular posts from this blog", "boundary"),
    ("More stories", "boundary"),
    ("Related Articles", "boundary"),
    ("Comments", "boundary"),
    ("BY JANE DOE, Associated Press", "byline"),
    ("Soldiers receive Russian uniforms and equipment at the far east Ru...", "cruft"),
    ("The minister said the talks would resume next week.", "text"),
    ("READ MORE: Council approves new budget after long debate", "cruft"),
    ("Firefighters battle the blaze near the highway on Monday. (Jane Doe/Getty Images)", "cruft"),
    ("Sign up for our free morning newsletter and get the news in your inbox.", "cruft"),
    ("The agency said it would subscribe to the new rules, officials told reporters.", "text"),
])
def test_classify_line(line, kind):
    assert classify_line(line) == kind


@pytest.mark.parametrize("text,credit", [
    ("WASHINGTON (AP) — The Senate voted on Tuesday.", "AP"),
    ("KYIV, Ukraine (Reuters) - Ukraine said on Monday.", "Reuters"),
    ("(CNN) — North Korean soldiers have been filmed.", "CNN"),
    ("The footage, shared with ITV News' US partner CNN, appears to confirm.", "CNN"),
    ("Text of the story.\n\nCNN's Jane Smith contributed to this report.", "CNN"),
    ("A local story with no wire credit at all.", None),
])
def test_find_credit(text, credit):
    assert find_credit(text) == credit


def test_teaser_rail_and_nav_in_synthetic_dump():
    article = [
        "The city council approved a new budget on Tuesday after a long debate over funding for public schools.",
        "Council members voted seven to two in favour of the plan, which raises spending on schools by four percent.",
        "The mayor said the budget would protect teachers' jobs while keeping property taxes flat for a second year.",
    ]
    dump = "\n\n".join(["Home", "News", "Sports", "Weather", "Budget passes after long debate", *article,
                        "More stories", "Dog spotted on top of pyramid in Egypt",
                        "Stray dogs are a familiar sight at the ancient pyramids, but usually not on top of them.",
                        "2 days ago"])
    ext = clean_text(dump)
    assert ext.text == "\n\n".join(article)
    assert ext.title == "Budget passes after long debate"


def test_site_boilerplate_lines_from_run_are_dropped():
    para = ("Officials confirmed the bridge will close for repairs next month, diverting traffic through the "
            "town centre for at least six weeks while engineers replace the deck.")
    promo = "Get the latest local news delivered to your inbox every single morning with our free newsletter."
    dump = "\n\n".join([para, promo, para.replace("six", "eight")])
    from transforms.extract.text import words_of
    assert promo in clean_text(dump).text
    assert promo not in clean_text(dump, boilerplate=frozenset({" ".join(words_of(promo))})).text
