"""transforms.extract.short_article: a short article loses the unrelated blocks around it, a long one nothing."""
from lxml.html import fromstring

from transforms.extract.short_article import SHORT_WORDS, content_words, line_groups, trim_short_article

TITLE = "Council approves $48 million rebuild of flood-prone pumping station"
LEAD = ("The city council voted 7-2 on Tuesday to approve a $48 million plan to rebuild the Riverside pumping "
        "station, which has failed three times during heavy storms since 2019.")
SECOND = ("Public works director Hannah Ellis said the new station would move twice as much water and would be "
          "raised four feet above the current flood line, protecting about 2,400 homes.")
BIO = ("Dana Whitfield is a city hall reporter for the Riverside Post, covering budgets and zoning. She previously "
       "wrote for the Lakeside Herald and grew up in the valley, where her family runs a hardware store.")
TEASERS = ["Mayor unveils plan to plant 10,000 trees along school yards and bus stops by 2030",
           "High school robotics team heads to the national championship in Houston next month",
           "Library extends weekend hours after a year of record visits and new memberships"]


def page(body: str) -> object:
    return fromstring(f"<html><body><h1>{TITLE}</h1>{body}</body></html>")


def brief_with_chrome() -> tuple:
    body = (f"<div class='a'><p>{LEAD}</p><p>{SECOND}</p></div><div class='bio'><p>{BIO}</p></div>"
            "<ul class='rail'>" + "".join(f"<li><a href='#'>{t}</a></li>" for t in TEASERS) + "</ul>")
    return page(body), "\n".join([LEAD, SECOND, BIO] + TEASERS)


def test_content_words_leave_out_short_words_and_numbers_and_keep_cjk_characters():
    assert content_words("The 2019 plan was set at 48 million by the city") == ["plan", "million", "city"]
    assert content_words("北京 budget") == ["北", "京", "budget"]


def test_line_groups_follow_the_page_containers():
    root, text = brief_with_chrome()
    groups = line_groups(text.split("\n") + ["a line the page does not have"], root)
    # the brief's two paragraphs, the bio, the list (its items are one block), the line not found
    assert [members for _, members in groups] == [[0, 1], [2], [3, 4, 5], [6]]
    assert groups[0][0].get("class") == "a" and groups[1][0].get("class") == "bio"
    assert groups[3][0] is None


def test_a_brief_loses_the_bio_and_teasers_under_it():
    root, text = brief_with_chrome()
    trimmed, dropped = trim_short_article(text, root, TITLE)
    assert trimmed == f"{LEAD}\n{SECOND}" and dropped == 2


def test_a_block_about_the_story_in_another_container_is_kept():
    related = ("The pumping station flooded again in March, and the council ordered the rebuild plan after "
               "storms left the east side without drainage for two days.")
    root = page(f"<div class='a'><p>{LEAD}</p></div><aside><p>{related}</p></aside><div class='bio'><p>{BIO}</p></div>")
    trimmed, _ = trim_short_article("\n".join([LEAD, related, BIO]), root, TITLE)
    assert trimmed == f"{LEAD}\n{related}"


def test_a_body_printed_one_wrapper_per_paragraph_is_one_article():
    # Each paragraph in its own <div class="para"> (between ads): the article is all of them, even a
    # paragraph that shares no word with the headline; the bio after them still goes.
    quote = "“We have been lucky so far, and luck is not a plan,” Ellis told them before the vote."
    paras = "".join(f"<div class='para'><p>{p}</p></div>" for p in (LEAD, quote, SECOND))
    root = page(f"<div class='body'>{paras}</div><div class='bio'><p>{BIO}</p></div>")
    trimmed, dropped = trim_short_article("\n".join([LEAD, quote, SECOND, BIO]), root, TITLE)
    assert trimmed == "\n".join([LEAD, quote, SECOND]) and dropped == 1


def test_a_long_article_is_left_alone():
    long_para = " ".join([SECOND] * (SHORT_WORDS // 25))
    root = page(f"<div class='a'><p>{LEAD}</p><p>{long_para}</p></div><div class='bio'><p>{BIO}</p></div>")
    text = "\n".join([LEAD, long_para, BIO])
    assert trim_short_article(text, root, TITLE) == (text, 0)


def test_nothing_is_dropped_without_a_headline_that_matches_or_below_min_words():
    root, text = brief_with_chrome()
    assert trim_short_article(text, root, None) == (text, 0)
    assert trim_short_article(text, root, "Weather: sunny and warm") == (text, 0)
    assert trim_short_article(text, root, TITLE, min_words=100) == (text, 0)


def test_a_rail_sharing_as_many_headline_words_as_the_brief_is_not_taken_for_the_article():
    # One word of the headline in the brief and one in a rail's teaser: the rail has more text, but its
    # items are headlines and the brief is sentences. Taken for the article, the rail kept every block.
    title = "Neighbourhood bakery wins national award"
    brief = ["A family bakery on Elm Street took first prize at the bread championship on Sunday.",
             "Its owners beat 300 entrants from across the country with a rye loaf baked for forty years."]
    teasers = ["Local theatre group picks up regional award for its winter show",
               "Road works on the ring road to last until the end of next spring",
               "Two new cycle lanes open in the city centre after months of delays",
               "School governors vote to keep the swimming pool open for another year",
               "Police appeal for witnesses after a van hits a lamp post on High Street",
               "Council sets out plans for a new car park beside the railway station"]
    rails = "".join("<ul class='rail'>" + "".join(f"<li><a href='#'>{t}</a></li>" for t in half) + "</ul>"
                    for half in (teasers[:3], teasers[3:]))
    root = fromstring(f"<html><body><h1>{title}</h1><div class='a'><p>{brief[0]}</p><p>{brief[1]}</p></div>"
                      f"<div class='side'>{rails}</div></body></html>")
    trimmed, dropped = trim_short_article("\n".join(brief + teasers), root, title)
    assert trimmed == "\n".join(brief) and dropped == 1
