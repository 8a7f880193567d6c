"""The plain-text cleaner on the seeds and on each kind of boilerplate."""
import datetime as dt
import pathlib
import re

import pytest

from transforms.extract.text import (_CRUFT_KEYS, _prefix_tree_pattern, _read_line, _read_lines, classify_line, clean_text, find_credit,
                                     forget_read_lines, parse_header)

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


def test_a_sites_own_copyright_line_is_no_credit():
    # The page's footer names its publisher; the article it carries credits no one. Read from the whole dump,
    # 13 of the 181 real pages rendered to text got such a "credit" (Dow Jones, Fox News, BBC ...), none of
    # them in the article, and a rewrite on such a template took the original's wire credit for it.
    paragraphs = [
        "City council approves the new riverside park after a long public debate over its cost and design.",
        "The plan adds six hectares of green space along the river, with paths, a playground and a small "
        "pier that the city expects to open to visitors in the spring of next year.",
        "Council members voted seven to two in favour after residents filled the chamber for three hours of "
        "comments, most of them asking for more trees and fewer parking spaces near the water.",
        "The mayor said the money comes from a regional fund and will not raise local taxes this year.",
    ]
    chrome_top = ["Home", "News", "Sport", "Weather", "Sign in", ""]
    footer = ["", "Terms of Use", "Privacy Policy", "Copyright © 2019 Fox News Network, LLC. All rights reserved."]
    page = "\n".join(chrome_top + ["Council approves riverside park", ""] + [p + "\n" for p in paragraphs] + footer)
    ext = clean_text(page)
    assert "riverside park" in ext.text and "Fox News" not in ext.text
    assert ext.credited_source is None
    # A credit in the article itself is still read.
    credited = page.replace("City council approves", "SPRINGFIELD (AP) — City council approves")
    assert clean_text(credited).credited_source == "AP"


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
    # Real pages rendered to text
    ("[ 167 comments ]", "boundary"),
    ("6 thoughts on “How to Adopt an Online Leader Success Mindset”", "boundary"),
    ("Top Rated Comments", "boundary"),
    ("2 days ago at 07:52 am", "cruft"),
    ("Skip to the content", "cruft"),
    ("Click to share on Facebook (Opens in new window)", "cruft"),
    ("Accessibility statement", "cruft"),
    ("We use cookies to improve your experience on our site.", "cruft"),
    ("As you comment, please be respectful of other commenters and other viewpoints.", "cruft"),
    ("Slate relies on advertising to support our journalism. If you value our work, please disable your ad blocker.",
     "cruft"),
    ("Readers said the comments section was the best part of the site.", "text"),
    ("Apple logo, Apple TV, App Store and iPhone are registered trademarks of Apple Inc.", "cruft"),
    ("The information provided on this website was originally intended for a US audience and is not medical advice.",
     "cruft"),
    ("These statements have not been evaluated by the Food and Drug Administration.", "cruft"),
    ("We are committed to protecting your personal information and we have updated our Privacy Policy.", "cruft"),
    ("I agree to the processing of my personal data for the purpose of creating a personal account on this site.",
     "cruft"),
    ("The regulator said the company's privacy policy breached the law on personal data.", "text"),
    ("The company said the name is a registered trademark it has used since 1998.", "text"),
    # An author's bio box is not the article; a sentence about a journalist is.
    ("Meg James is a corporate media reporter for the Los Angeles Times, covering the business of television.",
     "cruft"),
    ("Pulitzer Prize-winning journalist Michael Hiltzik writes a daily blog appearing on latimes.com. His business "
     "column appears in print every Sunday, and occasionally on other days. As a member of the Los Angeles Times "
     "staff, he has been a financial and technology writer and a foreign correspondent. He is the author of six "
     "books. Hiltzik and colleague Chuck Philips shared the 1999 Pulitzer Prize for articles exposing corruption.",
     "cruft"),
    ("Dallas Robinson is a freelance writer living in Minneapolis", "cruft"),
    # A call to click, in other languages too: a rail's items each began "Clique na imagem acima e veja ...",
    # read as prose and outweighed a standings table's short intro on a Brazilian page.
    ("Clique na imagem acima e veja como está o ranking dos pilotos nesta temporada da F1.", "cruft"),
    ("Cliquez ici pour recevoir les alertes de la rédaction.", "cruft"),
    ("Haga clic aquí para ver el calendario completo de la temporada.", "cruft"),
    ("Clique of insiders ran the party for years, the report said on Monday.", "text"),
    # A blog's author box under a brief, which outweighed it (its lines around a stock table score less).
    ("Pamela Wilson is an online educator, author, keynote speaker, and the founder of BIG Brand System. Learn how "
     "you can build your own online business.", "cruft"),
    ("Jane Doe is a former teacher and the founder of a charity for refugees, the mayor said on Monday.", "text"),
    ("President Trump is a frequent critic of the press, the reporter said.", "text"),
    ("Maria Ressa, the founder of Rappler, said the verdict was a blow to every journalist in the country.", "text"),
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


# --- Real pages rendered to text (inscriptis): shapes seen on the article-extraction-benchmark pages ---

_PARISE = [
    "BUFFALO, N.Y. — Hours before the forward's two-goal performance Tuesday, the coach expressed confidence that "
    "his veteran winger would keep scoring as the team tried to climb out of the division basement.",
    "“It takes a little longer now, but he’s playing well now, he’s getting a little bit of confidence back,” the "
    "coach said before the game against the Sabres.",
    "Having scored four times during a three-game streak, the forward is brimming with confidence, and his first-period "
    "goals gave the team a commanding two-goal lead it never gave up.",
    "The team still ranks at the bottom of the division, and the coach has been on his players to avoid looking at the "
    "standings while the season is still young.",
]


def test_rendered_page_with_nav_bullets_share_links_and_most_popular_above_article():
    dump = "\n".join([
        "Skip to content", "        * Home", "        * News", "        * Sports", "        * Things to Do",
        "        * Opinion", "        * Subscribe", "GET BREAKING NEWS IN YOUR BROWSER. CLICK HERE TO TURN ON NOTIFICATIONS.",
        "X", "    * Today’s Paper", "    * Manage My Account", "Share this:",
        "        * Click to share on Facebook (Opens in new window)",
        "        * Click to share on Twitter (Opens in new window)",
        "        * Click to email this to a friend (Opens in new window)", "        *",
        "OUR PICKS:", "  * Dangerous toys warning", "  * J.J. Hill Center for sale",
        "Parise heating up, scores twice as team beats Sabres 4-1",
        "By Bill Hoppe | Special to the Pioneer Press",
        "PUBLISHED: November 19, 2019 at 8:59 pm | UPDATED: November 19, 2019 at 10:16 pm",
        "Sign up for Newsletters and Alerts", "Most Popular",
        "1. St. Paul police chief sought state funding for gunshot-location system, but mayor unswayed",
        "2. The county fair will be free to attend starting next summer",
        "3. Man dies after crashing into power pole in St. Paul, flipping vehicle",
        *_PARISE,
        "    * Tags:", "    * Minnesota Wild", "Bill Hoppe",
        "As you comment, please be respectful of other commenters and other viewpoints. Our goal with article comments "
        "is to encourage civil and thoughtful discussion of the news.",
        "View Comments", "blog comments powered by Disqus", "More in Minnesota Wild",
        "  * Minnesotan finding his legs in Buffalo", "November 19, 2019 at 5:10 pm",
        "    * Today’s Paper", "    * Facebook", "    * Twitter", "Accessibility statement", "Privacy Policy",
    ])
    ext = clean_text(dump)
    assert ext.text == "\n\n".join(_PARISE)


def test_rendered_page_whose_rail_heading_sits_above_the_article_keeps_the_article():
    # A standfirst, then a "More on ..." rail with numbered teasers, then the article.
    article = [
        "Three years ago, over breakfast, my friend handed me a novel about a quest that, unknown to both of us, would "
        "send me on a quest of my own to find out why its author had disappeared from the shelves.",
        "The novel is an unfolding cabinet of wonders, written over a decade before fantasy epics of its kind became "
        "bestsellers, and it won a major award in the year it was published.",
        "I wanted to buy a copy, but it was out of print, and used copies of the paperback were selling online for far "
        "more than the cover price, which struck me as strange for a prize-winning book.",
        "It would take me eighteen months to answer my questions, and the answers took me to the writer's family, his "
        "friends and the editors who had tried for years to bring his books back.",
    ]
    dump = "\n".join([
        "Skip to the content", "Sign In", "My Account", "Menu",
        "News & Politics Culture Technology Business Human Interest Search", "Wide Angle",
        "The Disappearance of a Science Fiction Writer",
        "I wanted to learn why a beloved writer fell into obscurity after his death. I didn't expect the answer.",
        "By Isaac Butler", "Nov 15, 2019 5:45 AM",
        "More on Slate Book Review",
        "1. How to Turn a Punishment Bureaucracy Into a Justice System",
        "2. The 50 Best Nonfiction Books of the Past 25 Years",
        *article,
        "Books Fantasy Science Fiction", "Follow Us", "Facebook Twitter Instagram RSS Feed",
        "We Need to Talk About Your Ad Blocker",
        "This site relies on advertising to support our journalism. If you value our work, please disable your ad blocker.",
    ])
    ext = clean_text(dump)
    assert all(p in ext.text for p in article)
    assert "Punishment Bureaucracy" not in ext.text and "ad blocker" not in ext.text


def test_rendered_page_with_related_box_inside_the_article_keeps_both_halves():
    first = [
        "The band will unite with its former frontman for a 2020 North American tour celebrating the group's 50th "
        "anniversary, the musicians announced on stage in Nashville on Monday night.",
        "The singers and guitarists will be joined by the keyboard player for the first time since the band's last "
        "reunion, and the trek will feature songs from every era of the group's history.",
    ]
    second = [
        "Dressed in black, the white-haired keyboard player took his place at the piano and led the band through two "
        "of its biggest hits as the crowd rose to its feet at the end of the night.",
        "Tickets for the 50th anniversary tour go on sale to the general public starting Friday, December 6th, and the "
        "band's current tour continues in South Carolina on Tuesday.",
    ]
    dump = "\n".join([
        "Rolling Stone", "Send Us a Tip", "Subscribe", "Menu", "Get The Magazine",
        "The best in culture from a cultural icon. Subscribe now for more from the authority on music and entertainment.",
        "Newsletter Signup", "Sign up for our newsletter and go inside the world of music, culture and entertainment.",
        "Home Music Music News", "November 19, 2019 12:04AM ET",
        *first, "Related", "Lighting Up With the Stars of a Comedy Film",
        "Guitarist Talks New Album, Touring and Retirement", "Related", "21 Amazing Musical Cameos",
        *second, "Trending", "1. Rock Bands Set 2020 Stadium Tour", "2. Director on the Future of the Franchise",
    ])
    ext = clean_text(dump)
    assert ext.text == "\n\n".join(first + second)


def test_rendered_page_cookie_banner_and_footer_links_are_not_article():
    article = [
        "The regional council voted on Thursday to expand the bus network to the three towns north of the river, "
        "ending a decade of complaints from commuters who drive to the nearest station.",
        "The new lines will run every twenty minutes at peak times and every hour at night, the council said, and "
        "will be paid for by a fare increase of ten cents that takes effect in March.",
        "Opponents said the fare increase would hit the poorest riders hardest, but the plan passed by nine votes to "
        "four after a debate that lasted more than three hours.",
    ]
    dump = "\n".join([
        "We use cookies to improve your experience on our site and to show you relevant advertising. By continuing to "
        "use this website you agree to our use of cookies.",
        "Accept", "Manage preferences", "Council expands bus network north of the river", *article,
        "Share on Facebook", "Share on Twitter", "Contact us", "About us", "Accessibility statement", "Sitemap",
        "Terms and conditions", "Cookie policy",
    ])
    ext = clean_text(dump)
    assert ext.text == "\n\n".join(article)


def test_rendered_blog_post_ends_at_its_comments():
    post = ("Our goal with hosting quarterly open threads is to give blog readers an opportunity to publicly raise "
            "comments or questions about our research or related topics in the comments section below.")
    dump = "\n".join([
        "Home", "The Blog", "September open thread", "  * Previous Post", "  * Next Post",
        "September 10, 2018 | by Catherine", post, "You can view our June open thread here.",
        "Posted in Open thread | Permalink | 10 Comments", "Comments",
        "  * Milan on September 12, 2018 at 4:47 pm said:",
        "Any update on how the follow-up paper will affect the recommendation for the charity's cash programme?",
        "  * Catherine on September 13, 2018 at 5:23 pm said:",
        "We haven't yet reviewed the paper, but plan to consider it as part of our year-end review of cash transfers "
        "and will publish what we find in the new year.",
    ])
    ext = clean_text(dump)
    assert post in ext.text and "said:" not in ext.text and "year-end review" not in ext.text


@pytest.mark.parametrize("text", [
    "Text of the story.\n\nCNN's Jane Smith contributed to this report.",
    "Text.\n\nReuters’ Jane Smith and John Doe in London contributed.",
    "x " * 2000 + "AP's Jane Smith CONTRIBUTED to this story.",
    "A story nobody contributed to from a wire.",
    "The AP's reporting was widely shared.",
    # Letters a case-blind pattern matches to ASCII ones although lower-casing does not make them ASCII.
    "This story was \u017fhared with CNN.",
    "TH\u0130S ART\u0130CLE WAS OR\u0130G\u0130NALLY PUBL\u0130SHED BY REUTERS.",
    "This art\u0131cle first appeared on Al Jazeera.",
    "Text.\n\nShared with our partner ABC News.",
    "Photo courtesy of the AP.",
    "x " * 2000 + "This report was provided by Bloomberg.",
    "Distributed by Tribune Content Agency.",
])
def test_find_credit_literal_guard_changes_nothing(text):
    import re
    from transforms.extract import text as textmod

    def unguarded(t):
        head, tail = t[:2500], (t[-1500:] if len(t) > 2500 else "")
        for pattern in textmod._CREDIT_RES:
            m = pattern.search(head) or (pattern.search(tail) if tail else None)
            if m:
                return textmod._OUTLETS[re.sub(r"\s+", " ", m.group(1).lower())]
        return None

    assert find_credit(text) == unguarded(text)
    if "\u017f" in text or "\u0130" in text or "\u0131" in text:
        assert find_credit(text) is not None


def test_fold_keeps_every_letter_a_case_blind_pattern_matches_to_an_ascii_one():
    import re
    import string
    from transforms.extract.text import _fold
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    for letter in string.ascii_lowercase:
        matched = set(re.findall(letter, every, re.IGNORECASE))
        assert matched >= {letter, letter.upper()}
        assert all(letter in _fold(c) for c in matched), letter


def test_rendered_forum_style_comments_after_a_bracketed_count_are_not_the_article():
    article = [
        "Following the larger model, the company plans to release a new smaller laptop with a redesigned keyboard in "
        "the first half of next year, according to a report from a supply chain publication.",
        "The report claims the display size will remain the same, although given the source we would not rule out a "
        "slightly larger screen with thinner bezels like the one on the bigger model.",
        "An analyst has previously predicted that the company will move its entire notebook lineup to the new keyboard "
        "design by the end of next year, after years of complaints about the old one.",
    ]
    comments = [
        "I agree but it begs the question of who was really in charge of the company all those years, the designer or "
        "the chief executive, because somebody had to sign off on that keyboard.",
        "Before he died, the founder gave the designer a tremendous amount of veto power inside the company, and that "
        "power did not go away when the new chief executive took over, at least not for a long time.",
        "Again, this is conjecture on my part, I have no insider knowledge and only a few links to back up my assertion, "
        "but it is the only explanation that makes sense to me after all these years of watching them.",
        "These sorts of working relationships are fragile, egocentric and not prone to longevity, and the designer no "
        "longer has that power, which is why we are finally getting a keyboard that works.",
    ]
    dump = "\n".join([
        "Front Page", "Roundups", "Guides", "13-Inch Laptop With New Keyboard Expected in First Half of 2020",
        "Monday November 18, 2019 7:39 am PST by Joe Rossignol", *article,
        "Tag: DigiTimes", "[ 167 comments ]", "Top Rated Comments",
        "2 days ago at 07:52 am", comments[0], comments[1], "2 days ago at 07:47 am", comments[2], comments[3],
        "[ Read All Comments ]",
    ])
    ext = clean_text(dump)
    assert ext.text == "\n\n".join(article)


def test_short_article_on_a_blog_page_beats_the_long_comments_under_it():
    article = [
        "Binge eating disorder is considered the most common eating disorder in the United States, and it affects "
        "both men and women of every age, according to the national health survey published this year.",
        "It is about more than food: it is a recognized psychological condition, and people with the disorder may "
        "need a treatment plan drawn up by a doctor to deal with it in the long run.",
    ]
    comment = ("When I started out, making my website live was the scary level, {}. Fortunately I had already been "
               "blogging for six months, so the next step did not feel so strange to me and my readers.")
    dump = "\n".join([
        "Home", "Blog", "Workshops", "Pamela Wilson", "Check out my free workshops. Pick your topic and start watching now:",
        "Pamela Wilson", "How to Overcome Binge Eating", *article, "Pamela Wilson",
        "Pamela Wilson is an online educator, author, keynote speaker and the founder of a brand consultancy.",
        "6 thoughts on “How to Overcome Binge Eating”", "August 22, 2018 at 5:57 am",
        *[comment.format(name) for name in ("Pamela", "Mary", "Bo", "Ann")], "Pamela Wilson",
        "Yes! We all have our own comfort and discomfort continuum, don't we? And things become simpler over time.",
    ])
    ext = clean_text(dump)
    assert all(p in ext.text for p in article)
    assert "scary level" not in ext.text and "Pamela Wilson" not in ext.text.split("\n\n")


def test_rendered_headline_and_summary_teasers_under_a_rail_heading_are_not_the_article():
    teasers = [
        "Attention, Deal-Hunters: Here Are The Top Health And Fitness Deals In DetroitIn the market to save some "
        "money on health and fitness? Hoodline crunched the numbers to find the top deals in Detroit.",
        "The 4 Best Vegan Spots In DetroitHoodline crunched the numbers to find the top vegan spots around Detroit, "
        "using both Yelp data and our own secret sauce to produce a ranked list.",
        "Say Cheese? Detroit's Top 3 Cheese ShopsWondering where to find the best cheese near you? Hoodline crunched "
        "the numbers to find the top cheese shops in Detroit, using both Yelp data and our own secret sauce.",
        "Detroit's 5 Best Spots For DessertsNeed more desserts in your life? Hoodline crunched the numbers to find the "
        "top dessert spots in Detroit, using both Yelp data and our own secret sauce to produce a ranked list.",
    ]
    article = [
        "ST. JOSEPH, Mich. (AP) — Michigan health authorities are reporting a sixth death linked to a rare "
        "mosquito-borne virus that has sickened people in the south-west of the state this year.",
        "County health officials said Monday the victim was one of two people who contracted the virus in "
        "September, and that the other patient is recovering at home.",
        "The state's chief medical executive says the risk from the virus continues until the first hard frost, "
        "and urged residents to avoid being outdoors at dusk.",
    ]
    dump = "\n".join(["CBS Detroit", "News", "Sports", "Latest Headlines", *teasers, "Watch Now", "Live TV",
                      "Michigan Officials: 6th Fatality Linked To Virus Reported", *article,
                      "© 2019 Associated Press. All Rights Reserved.", "Comments", "Most Viewed"])
    ext = clean_text(dump)
    assert ext.text == "\n\n".join(article)


def test_a_comments_link_above_the_article_is_not_a_rail_over_its_paragraphs():
    # A blog's post header: "Posted by" and its comment count, a link, then the post. With no prose above it,
    # "Leave a comment" heads nothing: the paragraphs under it were taken for its teasers and lost.
    post = ["None of the games can be without bugs. Some bugs are noticeable at once at testing, and some can be "
            "noticed only at a certain combination of actions.",
            "So, if you notice that some game mechanic works incorrectly, spend a minute of time and write about it "
            "in the bug tracker. In such way you can help make my games better."]
    for link in ("Leave a comment", "0 Comments"):
        dump = "\n".join(["Blog", "Home", "About bugs", "August 13, 2018", "Posted by", "Vortex", link, *post,
                          "Facebook", "Twitter", "Email", "Main Games", "Contact Me"])
        assert clean_text(dump).text == "\n\n".join(post), link


def test_a_comments_link_in_a_share_bar_does_not_end_the_article():
    # A text node a line has no bullets: a share bar's "Comments" link stands alone between its neighbours.
    # Under a data provider's notice (prose, 40 words or more) it was taken for the comments heading and
    # cut the article below it off.
    notice = ("Quotes delayed at least 15 minutes. Real-time quotes provided by an exchange. Market data provided by "
              "a data vendor (terms and conditions apply). Company fundamental data provided by one firm, earnings "
              "estimates by another, and mutual fund data by a third.")
    article = ["The home-improvement retailer earned $2.8 billion in the third quarter, as revenue rose 3.5 percent "
               "to $27.2 billion, short of what analysts had expected.",
               "Comparable sales rose 3.6 percent, missing the 4.8 percent gain that was expected, and the company "
               "cut its sales outlook for the fiscal year."]
    dump = "\n".join(["Markets", notice, "Share", "Comments", "Print", "Email", "By", "A Reporter", *article,
                      "Terms of Use"])
    assert all(p in clean_text(dump).text for p in article)


def test_comments_under_the_article_stay_out():
    article = ["The city council voted on Tuesday to extend the bike lane network along the river by another "
               "twelve kilometres, after a year of consultations with residents.",
               "Work is due to start in the spring and the council expects the new lanes to open before the summer "
               "holidays, the transport committee's chair said."]
    comments = ["About time too, the old lanes stop right where the traffic is worst and nobody has fixed it.",
                "Twelve kilometres is nothing, they promised forty in the last election and we got none of it."]
    dump = "\n".join(["Menu", "News", *article, "2 Comments", comments[0], "Reply", comments[1], "Reply", "Footer"])
    assert clean_text(dump).text == "\n\n".join(article)


def test_read_more_button_inside_the_article_does_not_end_it():
    first = ["Hong Kong (CNN Business) A muddled view of trade talks once again seems to be weighing on investors "
             "across the region, as the major indexes opened mixed on Tuesday morning.",
             "Japan's Nikkei declined 0.3%, while South Korea's Kospi fell 0.5%, and Hong Kong's Hang Seng started in "
             "the red before trading up about 1% later in the morning session."]
    rest = ["US stock futures were last trading slightly positive during Asian trading hours after recording small "
            "losses earlier in the week, as traders waited for news from the trade talks.",
            "A breakthrough in the trade deal has remained just out of reach for quite some time, and the two "
            "presidents have yet to agree on when and where they would sign it."]
    dump = "\n".join(["Markets", "Tech", "Media", *first, "Read More", *rest, "Paid Content", "Search"])
    assert clean_text(dump).text == "\n\n".join(first + rest)


def test_short_sentences_in_other_languages_read_as_prose():
    article = ["Nesta página você terá sempre a classificação atualizada da NASCAR até a última corrida!",
               "Coloque nos seus favoritos e venha sempre conferir a classificação da NASCAR!",
               "Classificação final da Monster Energy NASCAR Cup Series em 2019 após 36 etapas:"]
    dump = "\n".join(["Welcome to our EUROPEAN UNION EXPERIENCE", "Learn More", *article,
                      "Pos. Piloto Pontos Vitórias Poles Top 5 Top 10 1 Kyle Busch 5040 5 1 17 27 2 Martin Truex Jr. 5035",
                      "Terms of Service Privacy Notice"])
    assert clean_text(dump).text == "\n\n".join(article)


def test_rail_headings_in_other_languages_and_a_read_also_box():
    article = ["E’ stato annunciato in queste ore che Netflix ospiterà il remake in computer grafica della serie "
               "animata, con una prima stagione di dodici episodi prevista per il prossimo anno.",
               "Gli appassionati della serie sono già sul piede di guerra, dopo il primo esperimento che non era "
               "piaciuto a nessuno, e chiedono che la storia resti fedele al fumetto originale."]
    after = ["Tornando al remake, il titolo provvisorio è quello della serie originale e la prima stagione dovrebbe "
             "arrivare sulla piattaforma in estate, secondo quanto riferito dalla produzione, che non ha ancora "
             "annunciato i doppiatori italiani né la data precisa di uscita degli episodi."]
    teasers = ["A vida requer da gente otimismo e coragem para esperar o melhor e fazer o melhor acontecer, e o "
               "pessimismo só faz engessar o sorriso e travar as articulações da alma.",
               "O que une uma família é o amor, o carinho, o querer bem, e família unida é força, é certeza de apoio, "
               "compreensão e mãos estendidas em qualquer tempo e lugar."]
    dump = "\n".join(["Home", "Cinema", "Serie TV", *article, "Leggi anche",
                      "I Cavalieri dello Zodiaco diventeranno un film: lo faranno i produttori de ‘Il Signore degli Anelli’?",
                      *after, "Você pode gostar...", "Whatsapp Facebook Pint Baixar", teasers[0],
                      "Whatsapp Facebook Pint Baixar", teasers[1], "Whatsapp Facebook Pint Baixar", "Temas"])
    ext = clean_text(dump)
    assert ext.text == "\n\n".join(article + after)


_SHORT_ARTICLE = [
    "PIERRE, S.D. — South Dakota's new anti-drug campaign drew laughs and criticism on Monday for its slogan.",
    "The governor said the campaign was meant to get people talking about methamphetamine in the state.",
    "State officials paid an agency in Minneapolis about $449,000 for the campaign and its website.",
]
_TEASERS = [
    ("Carlos Ghosn and the dark side of Japanese justice", "Anna Ghosn",
     "Our family always celebrates anniversaries, but not this week, because our father is still held on bail "
     "in Tokyo and cannot speak to his wife, which no court in any other democracy would allow for so long."),
    ("Prince Andrew struggles to dispel allegations", "Rob Crilly",
     "The television interview was devised as an opportunity for Britain's Prince Andrew to set the record "
     "straight about his friendship with a convicted sex offender, and it went about as badly as it could go."),
    ("Report on children in detention is bogus", "Becket Adams",
     "Various outlets, including news agencies and public radio, reported that the United States holds more "
     "children in detention than any other country, citing a report that counted them in a very odd way."),
    ("Ukraine relations remain very strong", "Tom Rogan",
     "Beyond the partisan whirlwind of the hearings in Washington, the relationship between the two countries "
     "remains strong, with military aid flowing again and joint exercises planned for the coming spring."),
]


def _rendered_rail(indent_summary: int) -> list:
    """A "More stories" box as inscriptis renders it: a bulleted headline, author and date indented under
    it, and the summary indented ``indent_summary`` blanks."""
    lines = ["    * More from the Examiner"]
    for headline, author, summary in _TEASERS:
        lines += [f"        + {headline}", f"              {author}", "              Tuesday November 19, 2019",
                  " " * indent_summary + summary]
    return lines


def test_rendered_teaser_list_with_summaries_inside_its_items_is_not_the_article():
    # Each summary outscores the three-sentence article and the box shares its own vocabulary;
    # what gives it away is that each summary sits alone inside a list item.
    dump = "\n".join(["Politics", "Opinion", "South Dakota doubles down on its slogan",
                      *("  " + p for p in _SHORT_ARTICLE), "Share this article", *_rendered_rail(12),
                      "Terms of Use", "Privacy Policy"])
    ext = clean_text(dump)
    assert ext.text == "\n\n".join(_SHORT_ARTICLE)


def test_paragraphs_after_bullets_but_not_inside_them_stay_the_article():
    # A deals article: each paragraph is followed by a bulleted "Get it at ..." link, so a bullet sits
    # in every gap, but the paragraphs are not indented into the items: not a teaser list.
    deals = [
        "The price of the wireless controller has dropped to its lowest level yet, and the deal includes every "
        "colour the maker sells, which rarely happens this early in the season for any accessory.",
        "Save on the handheld console bundled with either of the new games and a carrying case, a bundle that "
        "costs less than the console alone did at launch, according to the retailer's own price history.",
        "This is the lowest price we have seen for one of the best wide gaming monitors, and the deal is on the "
        "curved model with the faster refresh rate that most reviewers recommended over the flat one.",
    ]
    lines = ["Deals", "Reviews"]
    for i, paragraph in enumerate(deals):
        lines += [f"  Deal number {i + 1} of the day", "  " + paragraph, f"    * Get it at Store {i} for $39.99"]
    ext = clean_text("\n".join(lines))
    for paragraph in deals:
        assert paragraph in ext.text


def test_list_of_terms_and_explanations_inside_an_article_is_kept():
    intro = ("Hospitals in the region keep patient records in several kinds of electronic record systems, and "
             "the health ministry wants the electronic patient record systems to exchange those patient records.")
    terms = [
        ("Case record", "The case record system is kept by the doctors and holds the patient records of one "
                        "treatment, exchanged between hospitals only with the patient's consent."),
        ("Patient record", "The patient record system holds every patient record from all hospitals, and the "
                           "patient decides which doctors may read which electronic records."),
        ("Health record", "The health record system is often confused with the patient record system, but "
                          "the patient keeps the health records himself, with records from his own devices too."),
    ]
    dump = ["Home", "Blog", "Electronic patient records", intro, "Kinds of electronic records"]
    for term, explanation in terms:
        dump += [f"  * {term}", f"      {explanation}"]
    ext = clean_text("\n".join(dump))
    for _, explanation in terms:
        assert explanation in ext.text


def test_rendered_results_table_inside_the_article_is_kept():
    # A season's standings: one row per driver, as many as the real page's (36 races, 40 drivers).
    rows = [f"  {pos:<4}  {'Driver ' + chr(65 + pos % 26) + str(pos):<20} {5040 - 50 * pos:>6}  {pos % 4:>3}"
            for pos in range(1, 41)]
    dump = "\n".join(["Home", "Standings", "Cup Series standings",
                      "This page always has the latest standings of the series after its most recent race.",
                      "Bookmark it and come back after every race to check the standings of the series!",
                      "Kyle Busch",  # a photo caption between the lead and the table
                      "Final standings of the 2019 Cup Series after all 36 races of the season:",
                      "  Pos.  Driver                Points  Wins", *rows,
                      "Privacy Policy", "Contact us"])
    ext = clean_text(dump)
    assert "This page always has the latest standings" in ext.text
    assert "1 Driver B1 4990 1" in ext.text and "40 Driver O40 3040 0" in ext.text
    assert "Privacy Policy" not in ext.text


def _standings_page(cells):
    # The site's podcast promo, in its menu, is the page's longest paragraph.
    return "\n".join(["Home", "Standings", "Podcast", "Our podcast is back for its twelfth season with a long talk "
                      "about everything that has happened in motor racing this year, seriously and with a laugh!",
                      "Videos", "Forum", "Columns", "Cup Series standings", "Share this on WhatsApp",
                      "This page always has the latest standings of the series!",
                      "Bookmark it and check the standings after every race!",
                      "Kyle Busch",  # a photo caption between the lead and the table
                      "Final standings of the 2019 Cup Series after 36 races:", *cells,
                      "Click the link to see the whole calendar of the series", "Privacy Policy", "Contact us"])


def test_a_results_table_written_a_cell_a_line_is_kept():
    # A renderer that writes each text node on a line writes a table a cell a line: names and numbers alone on
    # their lines, the shape of a menu. The real page kept its three short sentences alone and was lost as too
    # short; read as one table, its rows follow the lead in the order the page gives them.
    cells = ["Pos.", "Driver", "Points", "Wins", "Top 5"]
    for pos in range(1, 41):
        cells += [str(pos), f"Driver {chr(65 + pos % 26)}{pos}", str(5040 - 50 * pos), str(pos % 4), str(pos % 9)]
    ext = clean_text(_standings_page(cells))
    assert "This page always has the latest standings" in ext.text
    assert "1 Driver B1 4990 1 1 2 Driver C2 4940 2 2" in ext.text and "40 Driver O40 3040 0 4" in ext.text
    assert "podcast" not in ext.text and "Privacy Policy" not in ext.text


def test_a_share_bars_comments_link_is_no_rail_heading():
    # "Copied!" is what a share bar's copy button says once pressed: cruft, so the "Comments" link between it and
    # "Read Later" (cruft: the page repeats it three times) is one of the bar's links. Read as a comments
    # heading, it made the article's paragraphs under it the rail's teasers, and an edited repost kept its
    # headline alone (13 words, lost as too short).
    paragraphs = [
        "You are promised a smooth ride in the fastest performance car available, but it would appear that this is "
        "not exactly the case for the new streaming service and its biggest launch title.",
        "Posted on a video by the performance analysts at a games site, the port of the western video game is not "
        "as smooth as the streaming service promised its first customers.",
        "Those playing on the recommended streaming stick will be treated to a 30fps experience of the game, while "
        "the browser version attempts to run at 60fps and fails.",
    ]
    dump = "\n".join(["Physics", "Mathematics", "Biology", "All Articles",
                      "The new streaming service does not run its biggest game at a stable 60fps.",
                      "Read Later", "Share", "Copied!", "Comments", "Read Later", "Read Later", *paragraphs,
                      "The Newsletter", "Privacy Policy"])
    assert clean_text(dump).text == "\n\n".join(paragraphs)


def test_a_comments_link_ending_a_share_bar_is_no_comments_heading():
    # "Tweet" / "Share" / "Comment" under the byline, with a photo's caption under it: the bar's last link stood
    # before a line that is no link, and read as the comments heading it cut off a 3,600-word article under its
    # 30-word standfirst (a magazine's page in text-node and run-together dumps: token F1 0.02 -> 1.00).
    standfirst = ("I wanted to learn why a beloved science fiction writer fell into obscurity after his death. I did "
                  "not expect that I would help bring his books back to life.")
    article = ["Three years ago, over breakfast, my friend handed me a novel about a quest that, unknown to both of "
               "us, would set me off on a quest of my own, through archives, letters and old fan magazines.",
               "The novel was written by the late science fiction and fantasy author, and it had been out of print "
               "for years, like almost everything else he wrote in a career of more than two decades.",
               "His friends remember a writer who made art in the most surprising places, from birthday cards to "
               "comment threads, and who never explained himself to his editors or his readers."]
    # The page's description opens the dump: with the standfirst, more prose than a comments heading needs above it.
    description = "His books are being republished, but how did a beloved writer fall into obscurity after his death?"
    dump = "\n".join([description, "Books", "Wide Angle", "The Disappearance of a Writer", standfirst, "By",
                      "By Isaac Butler", "Nov 15, 2019", "Tweet", "Share", "Comment", "The writer in 1987.", *article,
                      "Privacy Policy"])
    assert all(p in clean_text(dump).text for p in article)


def test_an_article_run_together_into_one_line_outweighs_teasers_above_it():
    # A renderer that runs text nodes together writes a whole article as one line, its paragraphs glued at a
    # sentence's end ("... wait and see.Comments"). Weighed as one paragraph (60 words at most), a 500-word copy
    # lost the span to three teasers of the template above it, and joined their story's cluster.
    teasers = ["Hoodline crunched the numbers to find the top cheese shops in the city to venture to next time "
               "you are in the market for cheese, with prices and opening hours for each shop.",
               "Hoodline crunched the numbers to find the best affordable dessert spots in the city, ranked by "
               "reviews, prices and opening hours, for the next time you are in the market for dessert.",
               "Wondering where to find the best cheese and dessert in the city this weekend?"]
    paragraphs = ["Crossovers may have become the vehicle of choice for most car buyers, but that does not mean the "
                  "sedan is no longer relevant, and the carmaker is proving it with its all-new compact sedan.",
                  "The new car gets a longer, lower and wider body than before, with a floating roof and a grille that "
                  "the carmaker shares with its crossovers. Inside there is a new dashboard with a larger screen.",
                  "Power comes from a 2.0-litre engine paired with a continuously variable transmission, and the "
                  "company says fuel economy is better than before. Safety features come as standard on every trim.",
                  "The new sedan is set to go on sale in the United States in late January. As to when it will arrive "
                  "here, we are not entirely sure yet. But will we still call it by its old name? Let us wait and see."]
    article = "".join(paragraphs)
    menu = ["Video", "All Videos", "News", "Weather", "Station Info", "Advertise", "Travel", "Autos", "More"]
    dump = "\n".join(["Local", "Food", *teasers, *menu, article + "Comments",
                      "You must log in to post a comment.", "Follow Us"])
    kept = clean_text(dump).text
    assert all(p[:60] in kept for p in paragraphs) and not any(t in kept for t in teasers)


def test_a_blogs_comments_title_glued_inside_a_line_ends_the_article():
    # Run together with the blog's category links before it and the first comment after it, WordPress's comments
    # title was no heading: the comments under every brief placed in the blog's template were kept as its
    # article, and joined the briefs into one cluster.
    brief = ("Binge eating disorder is considered the most common feeding and eating disorder in the country. It is "
             "about more than food: it is a recognized psychological condition that needs a treatment plan.")
    comments = ["Vatsala May 3, 2019 at 10:02 amThank you for this post, it came at the right moment for me and my "
                "business. I have been blogging for six months and writing posts was easy once I started.",
                "Pamela Wilson May 3, 2019 at 11:15 amSo glad to hear it, and thank you for reading the blog every "
                "week. Writing every week is the habit that makes an online business grow over the years."]
    dump = "\n".join(["Free Courses", "Workshops", "Books", brief,
                      "VISUAL MARKETING GROWING AN ONLINE BUSINESS 6 thoughts on \u201cHow to Adopt an Online Leader "
                      "Success Mindset\u201d " + comments[0], comments[1], "Privacy Policy"])
    kept = clean_text(dump).text
    assert kept == brief
    # A theme that writes the title in capitals: the same title.
    assert clean_text(dump.replace("6 thoughts on", "6 THOUGHTS ON")).text == brief


def test_a_paragraph_cut_short_by_a_paywall_is_kept():
    # A paywall shows an article's first paragraphs and cuts the last mid-sentence; a renderer that runs text
    # nodes together writes them as one line ending in "...". Taken for a truncated teaser, it was all the
    # article there was, and the page was lost as too short.
    cut = ("Gaming used to be so simple. We would buy a game, sit down in front of a console or PC, grind our way "
           "to the end, then repeat.Now we spend money over and over on virtual perks. We play on phones and "
           "tablets while socializing with far-flung friends. And there is no end, because developers keep "
           "updating their biggest hits with new maps, missions and characters.All...")
    # A teaser's summary is one paragraph, however long: it stays a truncated teaser.
    teaser = ("The best deals on games this week, from consoles to phones and tablets. Our editors picked the "
              "offers worth your money for every budget, and we checked every price twice. Some of them end on "
              "Sunday, so do not wait too long if you want one of the new consoles before the holidays...")
    dump = "\n".join(["Home", "Tech", "Subscribe", "So Many Ways to Play and Pay", cut, "Deals", teaser,
                      "Privacy Policy"])
    assert clean_text(dump).text == cut
    assert clean_text("\n".join(["Home", "Tech", "Deals", teaser, "Privacy Policy"])).text == ""


def test_paragraphs_cut_short_under_a_byline_box_are_kept_when_the_page_has_nothing_else():
    # The same paywall with the paragraphs apart ("... the head. The Pittsburgh ..."): the line reads as a
    # truncated teaser, and the page kept only its 18-word standfirst and was lost as too short.
    standfirst = "NFL assaults have led to lawsuits before. But a prosecutor would have difficulty proving a charge."
    cut = ("It was the shot to the head heard round the world. In the closing seconds of the game, the defensive "
           "end pulled off the quarterback's helmet. He then swung it at him, hitting him in the head. The "
           "quarterback did not suffer a concussion. Still, the defensive end has been suspended without pay by "
           "the league for the rest of the season and may receive further discipline....")
    box = ["By", "By Randy Maniloff", "Randy Maniloff", "The Wall Street Journal", "Nov. 18, 2019 7:04 pm ET"]
    page = ["Home", "Opinion", "Commentary", "Is Football Violence a Crime?", standfirst]
    tail = ["To Read the Full Story", "Subscribe", "Sign In", "Most Popular Videos"]
    assert clean_text("\n".join(page + box + [cut] + tail)).text == standfirst + "\n\n" + cut
    # A summary under a headline of its own, below such a span, is another story's teaser: not kept.
    assert cut not in clean_text("\n".join(page + ["Another story the paper wants you to read now", cut] + tail)).text


def test_a_rail_of_cards_each_under_headline_writer_and_date_is_no_article():
    # A text node a line: each card of an opinion rail is its headline, its writer's name, its date and its
    # summary. The summaries are longer than the brief above them and about one topic: left as prose they
    # made the page's core vocabulary, and two of them were kept as the article of every brief on the template.
    brief = ["COLUMBIA, S.C. (AP) — About a dozen small-business owners were gathered in a shared workspace on "
             "Tuesday night when the former governor walked in to talk about his late campaign for president.",
             "When he walked into the back of the room mid-meeting, the women turned around as he apologized for "
             "being late and asked them what the state's small businesses need from Washington."]
    cards = []
    for k in range(12):
        cards += [f"Impeachment witness number {k} has a legitimate gripe about the inquiry", f"Writer {chr(65 + k)}",
                  "Tuesday November 19, 2019",
                  f"After {k + 3} days of congressional hearings on the impeachment inquiry, the witness told the "
                  "committee about the ambassador, the president and the aid to Ukraine, and the hearings go on "
                  "with more witnesses from the State Department next week."]
    dump = "\n".join(["Politics", "Congress", "Opinion", "Former governor takes his campaign to South Carolina",
                      "by Jane Doe", "| November 18, 2019 12:01 PM", *brief, "Share your thoughts with friends.",
                      *cards, "Advertise", "Privacy Policy"])
    assert clean_text(dump).text == "\n\n".join(brief)


def test_a_subscription_pitch_is_cruft():
    # On a magazine's template the pitch (22 words, topical with itself) outweighed a 33-word brief by 0.04, and
    # the brief's page was lost as too short.
    pitch = ("The best in culture from a cultural icon. Subscribe now for more from the authority on music, "
             "entertainment, politics and pop culture.")
    assert classify_line(pitch) == "cruft"
    assert classify_line("Subscribe today and save 50% on your first year of unlimited digital access.") == "cruft"
    brief = ["Top entertainment and celebrity headlines for Nov. 19 are here. Check out what's clicking today.",
             "The actor has been eliminated from the dance show after his wife suffered a miscarriage."]
    dump = "\n".join(["Music", "Politics", pitch, "Subscribe", "The dance show's latest elimination", *brief,
                      "Privacy Policy"])
    assert clean_text(dump).text == "\n\n".join(brief)


def test_a_polls_options_with_their_share_of_the_votes_are_cruft():
    # A blog's sidebar poll: four short options, each a sentence, outscored a brief written as one line of 91
    # words by summing them (run-together dumps, 17 of them on one template), and the brief was lost.
    options = ["I do not have anyone to play with (41%, 1,680 Votes)", "Yes, the game is cool (29%, 1,186 Votes)",
               "No, but I know that the game is cool (15%, 625 Votes)",
               "And when will the next chapter of the game come out? (16%, 654 Votes)"]
    assert [classify_line(o) for o in options] == ["cruft"] * 4
    assert classify_line("Ja, das Spiel ist toll (29 %, 1.186 Stimmen)") == "cruft"
    # A sentence that gives a share in brackets is still one.
    assert classify_line("Turnout rose to 41% in the city (up from 35%), the election office said.") == "text"
    brief = ("Washington, DC, United States: Getting to the Moon, while not easy, has been done. Staying on the Moon "
             "and reaching Mars, however, have not, and the agency has asked private companies to bid for the "
             "landers that will carry its instruments there within the next few years, officials said on Monday.")
    dump = "\n".join(["Blog", "Leave a comment", brief, "Facebook", "Twitter", "Polls",
                      "Have you already played the new game? Tell us what you think of it so far", *options,
                      "Total Voters: 4,145", "Privacy Policy"])
    assert clean_text(dump).text == brief


def test_a_calendar_written_a_day_a_line_is_no_table():
    # A sidebar's calendar: weekday names, then the days counted one a line. Numbers beside names, but counting.
    calendar = ["November 2019", "Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", *map(str, range(1, 31)), "« Oct", "Dec »"]
    brief = ("The company said on Wednesday that it would close three of its factories in the region by the end of "
             "next year, cutting about 1,200 jobs, as demand for its older products keeps falling and costs rise.")
    dump = "\n".join(["Home", "Business", brief, "Archives", *calendar, "Privacy Policy"])
    assert clean_text(dump).text == brief


def test_a_page_with_nothing_but_a_teaser_list_keeps_the_list_rather_than_nothing():
    # A calendar or photo page: no prose of its own. Dropping the list would leave it too short to keep.
    dump = "\n".join(["Politics", "Opinion", "Race calendar 2018", *_rendered_rail(12), "Terms of Use"])
    ext = clean_text(dump)
    assert _TEASERS[1][2] in ext.text


def test_a_photo_gallery_is_not_the_article():
    # A page's gallery rendered to text: numbered captions, each ending in a photographer's credit handed
    # on by an agency. They are longer than the brief below them and read as prose; they are not the story.
    captions = [f"{i} of 3 A shopper looks at extension cords at a hardware store, Tuesday, Nov. 19, 2019, in Grass "
                f"Valley, Calif., in preparation of the planned power shutdown scheduled for Wednesday and Thursday. "
                f"(Elias Funez/The Union via AP)" for i in (1, 2, 3)]
    brief = ("This holiday season I was thinking of flavors that would put me in the holiday spirit when it came to "
             "me. Not to be confused with a grunge band, pear jam is a delicious gift to give for the holidays.")
    page = "\n".join(["* News", "* Sports", "* Business", "Back to Gallery", *captions, "Most Popular",
                      "* Fire damages club in Albany", brief, "Return to Top"])
    assert all(classify_line(c) == "cruft" for c in captions)
    assert classify_line("Photo 2 of 12") == "cruft"
    # An agency's caption style: the photographer and agency after the caption's last sentence.
    assert classify_line("A man rides a donkey in the village of Kifl Hares on November 19, 2019. The settlement is "
                         "seen in the background. Jaafar ASHTIYEH / AFP") == "cruft"
    assert classify_line("The input/output ratio rose to 3 percent, analysts at the bank said in a note.") == "text"
    assert clean_text(page).text == brief


def test_a_short_article_beats_the_rules_and_rails_a_page_renders_below_its_footer():
    # A brief of two paragraphs, the page's copyright footer, then what the renderer wrote out after it:
    # a comment policy of long sentences and a rail of other stories' summaries, more prose than the brief.
    brief = [
        "Two hostages, an American and an Australian who had been held by the Taliban in Afghanistan since 2016, "
        "were released on Tuesday in exchange for three militant commanders held by the Afghan government, "
        "officials in Kabul and in the southern province of Zabul said.",
        "American Kevin King and Australian Timothy Weeks, both professors at the American University of Kabul, "
        "were handed over to American forces in Zabul and flown out of the region on helicopters, according to "
        "a local police source.",
    ]
    rules = [
        "The fact of registration and authorization of users on our websites via their accounts on social "
        "networks indicates acceptance of these rules and of every later change made to them by the editors.",
        "Users are obliged to abide by national and international laws and to speak respectfully to the other "
        "participants in the discussion, to readers and to the individuals referenced in the posts.",
        "The administration has the right to delete comments made in languages other than the language of the "
        "majority of the content, and to block the account of a user who breaks these rules more than once.",
    ]
    rail = [
        "Why farmers may want to paint their cows with zebra stripes, and what the scientists who studied the "
        "herds in a Japanese pasture found when they counted the flies around them.",
        "Cities urge a boycott of meat companies linked to the fires in the Amazon, as lawmakers in the two "
        "biggest American cities want to cut their ties with the businesses involved.",
    ]
    page = "\n".join(["* World", "* Politics", "Hostages freed in Afghanistan", *brief,
                      "First published on November 19, 2019", "© 2019 Example Media Inc. All Rights Reserved.",
                      "More World", *rail, "Community standards", *rules, "Log in", "Register"])
    assert clean_text(page).text == "\n\n".join(brief)
    # Above the article, the same notice under a header's menu (and one notice line of its own) is no footer.
    header = ["* Markets", "* Opinion", "Quotes delayed at least 15 minutes. Real-time quotes provided by the "
              "exchange; market data provided by a data vendor, all of it for information only.",
              "This material may not be redistributed. ©2019 Example Network, LLC. All rights reserved."]
    article = brief + [r.replace("rules", "reports") for r in rail] * 2
    kept = clean_text("\n".join(header + ["Hostages freed", *article])).text
    assert all(p in kept for p in article)


def test_an_article_without_sentence_punctuation_is_kept_rather_than_lost():
    # A repost that dropped its full stops (or a results table flattened into lines) beside one short
    # punctuated line of the page's own: the article was under 30 words and the document was lost.
    article = [
        "Chelsea have this morning paid the 71.6 million pound fee to the Spanish league to secure the world "
        "record signing of Athletic Bilbao goalkeeper Kepa Arrizabalaga",
        "The 23-year-old flew to London yesterday evening and will spend the day completing the formalities of "
        "the deal with the club",
    ]
    page = "\n".join(["* Home", "* Football", "Our reporters have covered football in this city since 1920, and we are "
                      "proud of every one of them.",
                      "Transfer news", *article, "Share this article", "Back to top"])
    assert all(p in clean_text(page).text for p in article)


def test_the_headline_is_the_line_above_the_article_that_names_what_its_lead_reports():
    # A rendered page: menus, a rail's headlines and a repeated slogan above the article, the headline a few
    # lines above it with a byline and a date between. The repeated slogan and the date line just above the
    # article were taken for the headline before.
    article = [
        "Two United States service members were killed on Wednesday when their helicopter crashed in eastern "
        "Afghanistan, the US military said in a statement.",
        "The cause of the crash is under investigation, but preliminary reports do not indicate that it was "
        "caused by enemy fire, the statement said.",
    ]
    page = "\n".join(["* World", "* Politics", "Find us on Facebook", "Most read",
                      "Apple releases a new update to fix a multitasking bug", "Find us on Facebook",
                      "US service members killed in Afghanistan helicopter crash", "By Jane Doe",
                      "Updated November 20, 2019 at 4:15 PM", *article, "Find us on Facebook"])
    ext = clean_text(page)
    assert ext.text == "\n\n".join(article)
    assert ext.title == "US service members killed in Afghanistan helicopter crash"
    # No line above shares the lead's words: no title rather than a menu item or a slogan.
    assert clean_text("\n".join(["* World", "Find us on Facebook", "Find us on Facebook", *article])).title is None


def test_a_paragraph_that_lost_its_full_stop_between_two_others_stays_in_the_article():
    # An edited repost changed the last word of a sentence and its full stop with it. Between two
    # paragraphs, a line of 20 words or more is one of them; a video's title beside its summary is shorter.
    article = [
        "A case of the bubonic plague was reported in China over the weekend, after two people there were "
        "diagnosed with the pneumonic form of the disease last week.",
        "Both diseases are linked with the Black Death pandemic that killed an estimated 25 million people in "
        "Europe during the Middle Ages and many more elsewhere",
        "The person, who was not identified, was hospitalized in the county of Huade in Inner Mongolia, the "
        "regional health commission said on Sunday.",
    ]
    page = "\n".join(["* News", "* Health", "Plague case reported in China", *article, "With Post wires"])
    assert clean_text(page).text == "\n\n".join(article)


def test_a_most_popular_box_of_bylined_summaries_is_not_the_article():
    # A short article, then a "most popular" box: each item a section label, a headline, a byline and a
    # summary. The summaries outweighed the article; an article has one byline, the box one per story.
    article = [
        "With protests in Hong Kong growing, President Xi Jinping of China is likely to deploy the army to end "
        "them, and the cost in lives could be high, a former official warned on Tuesday.",
        "The police and the intelligence service have lost control of the streets, he said, and Beijing has "
        "run out of patience with the city's leaders.",
    ]
    box = []
    for label, head, author, summary in (
            ("Elections", "A poll of voters in the state", "Jane Roe",
             "A new university poll of voters in South Carolina found the mayor still at zero percent among one "
             "group of voters, weeks before the primary that will decide the race."),
            ("Economy", "Who owns the company?", "John Doe",
             "The founder objects so strongly to a newspaper report about the taxes his company paid that he has "
             "challenged the paper's publisher to a public debate about it."),
            ("Sports", "The saga drags on off the field", "Mary Major",
             "The quarterback's workout for the league's teams this weekend did not go smoothly, and the league "
             "said it was disappointed that he had moved it at the last minute.")):
        box += [label, head, f"By {author}", summary]
    page = "\n".join(["* Sections", "* Podcasts", "Why Beijing will bring slaughter to Hong Kong", *article,
                      "Most Popular", *box, "© 2019 Example Review"])
    assert clean_text(page).text == "\n\n".join(article)


def test_a_sentence_ended_by_an_emoji_is_prose():
    # A brief of three lines, the second ending in an emoji rather than a full stop: it was dropped, and
    # with it the document (under 30 words left).
    article = [
        "Visitors who booked their tickets through the box office came to the theatre to watch the new musical "
        "and have left their reviews of the show online! 🙂",
        "We have brought some of these memorable reviews here, check them out below ⬇️",
    ]
    page = "\n".join(["Skip to main content", "* News", "* Sports", "* Life", "Nov. 20, 2019 5:52 AM EST",
                      *article, "©2019 The Associated Press. All rights reserved."])
    assert clean_text(page).text == "\n\n".join(article)


def test_a_two_column_page_reads_its_left_column_before_its_right():
    # A renderer lays a page's article column beside its rail, row by row: read in that order, each
    # paragraph of a brief sat between two teasers, which outweighed it. Two spaces inside a sentence
    # are a typist's habit, not a column.
    article = [
        "Chargers coach Anthony Lynn recognizes that his team's playoff hopes are somewhere between slim and "
        "none after the loss to the Chiefs.",
        "Lynn said after the game that the Chargers saw winning Monday night as the most important step toward "
        "getting back into the playoff race.  Instead, they lost 24-17.",
    ]
    rail = ["Home", "Latest news",
            "Armenia named most popular spot for Russian travelers in 2019, a booking service reveals in its "
            "yearly report on where people went.",
            "Iconic props and costumes from a television sitcom will be auctioned next month, including replicas "
            "of the famous couch.",
            "A historic church is on the verge of destruction after years of raids by treasure hunters, local "
            "activists have warned the government."]
    left = ["Sports", article[0], "", article[1], "Related links:", "Top stories", "Share this page"]
    width = max(map(len, left)) + 6
    rows = [f"{(left[i] if i < len(left) else ''):<{width}}{rail[i] if i < len(rail) else ''}".rstrip()
            for i in range(max(len(left), len(rail)))]
    expected = "\n\n".join(" ".join(p.split()) for p in article)
    assert clean_text("\n".join(rows)).text == expected
    # One column: the same text as before.
    assert clean_text("\n".join(left)).text == expected


def test_teaser_cards_whose_headline_runs_into_the_summary_are_not_the_article():
    # A menu of teaser cards, each rendered as one line: a headline run into its summary with no break
    # ("... NeighborhoodVisiting ..."). Each line reads like a sentence, and two of them outweighed the brief.
    teasers = [
        "Explore The 3 Top Spots in Detroit's Rivertown NeighborhoodVisiting Rivertown, or just looking to better "
        "appreciate what it has to offer? From a dining establishment known for its brunch plates to a salon.",
        "Ford Recalls F-150s; Loose Cable Can Cause Stalling Or FiresFord is recalling over 168,000 pickup trucks "
        "in North America to fix an electrical problem that could cause engine stalling or fires.",
    ]
    article = [
        "With content engagement migrating from desktop to mobile devices, the ad platform is adding mobile "
        "marketing pioneer Ivan Braiker to its team as Chief Strategy Officer.",
        "Braiker served as the chief executive of a mobile marketing company from 2004 to 2014, achieving a "
        "successful exit for the company's investors.",
        # A brand inside a sentence is no headline run into a summary.
        "Mobile Marketing Association members ran PlayStation and YouTube campaigns with him for years, and "
        "several of them joined the platform.",
    ]
    page = "\n".join(["* Menu", "    Travel", *("        " + t for t in teasers), "    Autos",
                      "Ad platform names mobile marketing pioneer chief strategy officer", "November 19, 2019",
                      *article, "Comments", "You must log in to post a comment."])
    assert clean_text(page).text == "\n\n".join(article)


def test_the_cruft_literals_are_found_where_a_flat_alternation_finds_them():
    flat = re.compile("|".join(re.escape(k) for k in _CRUFT_KEYS))
    tree = re.compile(_prefix_tree_pattern(_CRUFT_KEYS))
    lines = ["jane doe is a freelance writer based in toronto.", "the privacy policy changed.", "privacy matters",
             "by continuing you accept cookies", "songwriters met on monday", "read more...", "the mayor said.",
             "council approved the budget on tuesday", "a/b test", "(photo)", "consult your doctor"]
    assert [bool(tree.search(x)) for x in lines] == [bool(flat.search(x)) for x in lines]
    assert sum(bool(tree.search(x)) for x in lines) == len(lines) - 2
    # A literal that begins another is still found on its own, and the longer one whole.
    assert [m.group() for m in re.finditer(_prefix_tree_pattern(["ab", "abc", "b"]), "xabcx ab b")] == ["abc", "ab", "b"]


def test_a_paragraph_a_page_cut_short_after_a_finished_sentence_stays_the_articles_last():
    # A real page's article ended "... and could receive further discipline....": its last paragraph was
    # taken for a teaser cut short, and an edited repost of it kept one line, too short to stay.
    article = [
        "The quarterback was suspended on Friday after the fight at the end of the game in Cleveland, the "
        "league said in a statement.",
        "The Pittsburgh quarterback did not suffer a concussion. Garrett, who was the first pick of the 2017 "
        "draft, has been suspended without pay for the rest of the season and could receive further discipline....",
    ]
    page = "\n".join(["* Home", "* Sport", "Opinion | Is Football Violence a Crime?", *article, "Related stories"])
    assert clean_text(page).text.split() == " ".join(article).split()
    # Alone, or under a headline (a list's teaser the list cut at a sentence's end), such a line is cruft;
    # so is a call to join or click under a paragraph, shorter than one.
    assert classify_line(article[1]) == "cruft"
    call = "To join the group, click: https://www.example.com/groups/news And click Join...."
    assert clean_text(page.replace("Related stories", call)).text.split() == " ".join(article).split()
    teasers = ["Cleric takes aim at the prime minister",
               "KARACHI: The cleric fired a fresh salvo at the prime minister, saying his government has its "
               "days numbered....",
               "Court asks state for a temple law",
               "NEW DELHI: The court asked the state government to come out with a law on the temple. A bench "
               "headed by the chief justice..."]
    story = ["NEW DELHI: Nearly 150 people returned home on Wednesday after being deported for violating visa "
             "rules, officials at the airport said on Wednesday morning.",
             "The special aircraft carrying them landed at the airport at six in the morning, an official said, "
             "and all of them were allowed to go home after questioning."]
    page = "\n".join(["* News", *teasers, "0 Comments", *story, "Deported in October", "Related Articles", "Yes"])
    assert clean_text(page).text.split() == " ".join(story).split()


def test_a_most_read_box_opening_with_a_headline_that_stands_alone_is_not_the_article():
    # Under "Most Read", the first item's headline ran into its summary without a full stop; the other
    # items read as prose. The box then ran on unbroken, outweighed the brief above it and was kept.
    article = [
        "If you have followed the program, you have seen firsthand how its timed nutrition plan helps you "
        "meet your goals without giving up the foods you love.",
        "The new plan follows the same rules, so you can simply use the first phase's numbers to work out "
        "the containers you need for each meal of the day.",
        "This meal plan works for both programs, so there is no need to work out a new one when you move "
        "from the first to the second.",
    ]
    box = [
        "Tuesday's hearings were a disaster for the committee Even its own witnesses said damaging things",
        "One of the witnesses confirmed the deal on television This may be the biggest moment in the "
        "hearings so far, and the members of the committee know it.",
        "The chairman keeps calling the hearing a circus. It is not as clever as he thinks, and the "
        "witnesses have made that plain in three days of testimony.",
        "Office workers could be the most affected by automation A new study of artificial intelligence "
        "finds that better paid and better educated workers face the most exposure.",
        "How partisan journalism helped start the inquiry A smear campaign by the president's allies laid "
        "the groundwork for the scandal that followed, reporters found.",
    ]
    kept = lambda heading: clean_text("\n\n".join(["* Politics", "* Culture", "The meal plan for the new program",
                                                 *article, "Next Up", heading, *box, "Email (required)",
                                                 "Zip Code"])).text.split()
    assert kept("Most Read") == " ".join(article).split()
    # "Trending" and "Related" boxes of one link sit inside articles, whose paragraphs go on below them:
    # under those, a line standing alone still ends the box.
    assert kept("Trending") != " ".join(article).split()


def test_markdown_teaser_cards_of_a_bold_headline_and_an_italic_summary_are_not_the_article():
    # html2text writes a teaser card as a link around its image, a bold headline and an italic summary. In a
    # row of cards, each summary's closing mark runs into the next card, so it stays: the cleaner read
    # "Headline _Summary ..._Next headline _Its summary ..." as sentences, which outweighed a brief below.
    image = "![](https://example.com/images/blank_1x1.gif)"
    cards = [
        f"[{image}**Your Weather Today In Detroit for 11/15** _You can leave your umbrella at home through Sunday, "
        "but light rainfall is in the forecast for Detroit later in the week._](https://example.com/2019/11/15/w/)",
        f"[{image}**Explore The 3 Top Spots in Detroit's Rivertown Neighborhood** _Visiting Rivertown, or just "
        "looking to better appreciate what it has to offer? Hoodline crunched the numbers to find the top spots._]"
        "(https://example.com/2019/11/14/rivertown/)",
        f"[{image}**Fantasy Football Waiver Wire Week 12: Receivers Emerging As Strong Options** _The waiver wire "
        "has plenty of receivers on offer this week, and two of them look like starters for the rest of the "
        "season._](https://example.com/2019/11/18/fantasy/)",
    ]
    article = [
        "With content engagement migrating from desktop to mobile devices, the ad platform is adding mobile "
        "marketing pioneer Ivan Braiker to its team as Chief Strategy Officer.",
        "Braiker served as the chief executive of a mobile marketing company from 2004 to 2014, achieving a "
        "successful exit for the company's investors.",
    ]
    # With no width to wrap at, html2text writes a row of cards as one line.
    page = "\n\n".join(["* [News](https://example.com/news)", "* [Weather](https://example.com/weather)", "".join(cards),
                        "* Autos", *article, "Images by Getty Images"])
    assert clean_text(page).text.split() == " ".join(article).split()


def test_a_photos_caption_above_its_credit_line_is_not_the_article():
    # A business site's dump: key points, then the top photo's caption and its credit on a line of its
    # own, then the story. The caption, 40 words of prose about another day, was kept as the lead.
    caption = ("Sheikh Mohammed bin Rashid Al Maktoum, United Arab Emirates vice president and prime minister, "
               "passes a passenger aircraft during the 15th Dubai Air Show in Dubai, United Arab Emirates, on "
               "Monday, Nov. 13, 2017.")
    story = ["DUBAI, United Arab Emirates — The carrier finalized a deal to purchase 30 of the jets, executives "
             "of both companies announced Wednesday at the air show.",
             "The deal sets up a reduction to a prior commitment of larger jets from the plane-maker, which "
             "the airline is opting for by employing its substitution rights.",
             "The order is crucial for the manufacturer, whose sales have been badly hit following two crashes "
             "of its popular jet in less than five months."]
    for credit in ("Natalie Naccache | Bloomberg | Getty Images", "Photo: Jon Gambrell, AP",
                   "Photo by Kamran Jebreili/Getty Images", "Credit...\n\nKamran Jebreili/The New York Times",
                   "Credit: Kamran Jebreili/The New York Times"):
        page = "\n\n".join(["* Markets", "* Business", caption, credit, *story, "Related Tags"])
        assert clean_text(page).text.split() == " ".join(story).split(), credit
    # A "Credit" heading (a personal-finance story's section) is no credit label: the paragraph above it stays.
    page = "\n\n".join(["* Markets", *story[:2], "Credit", story[2], "Related Tags"])
    assert clean_text(page).text.split() == " ".join(story[:2] + ["Credit", story[2]]).split()
    # A caption of its own ("Image: ...") is no credit: the paragraph above it stays.
    page = "\n\n".join(["* Markets", *story, "Image: Jose Mourinho, left, has replaced Mauricio Pochettino as "
                        "manager of the club", "Related Tags"])
    assert clean_text(page).text.split() == " ".join(story).split()
    assert classify_line("This copy is for your personal, non-commercial use only. To order copies visit "
                         "www.example.com.") == "cruft"
    # A caption that closes with its credit, as the Guardian prints one.
    assert classify_line("‘Excessive force and police brutality have accelerated and magnified these protests.’ "
                         "Photograph: AFP via Getty") == "cruft"
    assert classify_line("The photo: a crowd outside the court, the agency said.") == "text"


def test_an_author_box_headed_by_the_authors_name_is_not_the_article():
    # A blog template's author box under every post: "Sobre <name>" (pt), "Über <name>" (de), "About <name>".
    article = ["Quando você mora num estado tão bonito como o Colorado, é impossível ficar em casa. Mudamos para cá "
               "há dois anos e ainda estamos encantados com a paisagem.",
               "Nosso kit de sobrevivência para as trilhas é muito simples: água, um carregador de bebê, barras de "
               "cereal e uma câmera."]
    bio = ("Pai de Francesco e Teresa e marido de Bárbara, Carlos Nadalim é também coordenador pedagógico numa "
           "escola em Londrina, cidade onde mora, e cofundador de um blog sobre educação.")
    for heading in ("Sobre Carlos Nadalim", "Über Carlos Nadalim", "About Carlos Nadalim"):
        page = "\n\n".join(["* Início", "* Contato", *article, heading, bio, "* Comente"])
        assert clean_text(page).text.split() == " ".join(article).split(), heading
    assert classify_line("About the company") == "text" and classify_line("About Us") == "cruft"


def test_a_numbered_most_read_box_whose_items_stand_alone_here_and_there_is_not_the_article():
    # A sports blog's "Most Read" box numbers its items; the first and third are headlines alone, the rest
    # headline and summary run into one sentence. The last two outweighed a one-paragraph brief above it.
    brief = ("In case you are living in the capital, chances are you have an app or two to find out the latest "
             "air quality index in your area. Since the festival, despite the court's ban, the air quality has "
             "plunged to alarming levels with the monitoring agency announcing an air emergency.")
    box = ["1. Coach admits club's role in the helmet fight Longtime head coach takes partial responsibility",
           "2. Daily Chow (11/19/19) More of the latest news and notes from around the web in today's dose of the "
           "Daily Chow.",
           "3. Playoff Watch 2.0 – Where does the team stand? Cleveland will need lots of help",
           "4. Team places its safety on injured reserve First season in Cleveland is done for the veteran safety "
           "after he suffers an Achilles injury.",
           "5. Power Rankings: the team is edging closer to its rivals heading into Week 12 Cleveland rises two "
           "spots while its rivals drop three spots."]
    page = "\n\n".join(["* Community Guidelines", "Photo by Jane Doe/Getty Images", brief, "More From Our Blog",
                        "* Daily Chow (11/20/19)", "* Playoff Watch 2.0", "Most Read", *box, "Find Tickets",
                        "Sun Nov 24", "Miami @ Cleveland"])
    assert clean_text(page).text.split() == brief.split()


def test_a_we_recommend_rail_of_videos_is_not_the_article():
    # A magazine's brief page ends in a "We Recommend" rail of videos, each a summary and a title with its
    # length; the rail held more prose than the one-paragraph brief above it.
    brief = ("A man's innocent decision to change his bedding caused him to develop a strange, rare condition that "
             "left him gasping for air, his doctors say. In a new case study out Monday, they detail how the man "
             "came down with a rare form of allergy to the bird feathers that filled his new duvet and pillows.")
    rail = ["The 1930s Were Not a Good Time for the Royal Family (3:05)",
            "The country was racked by devastating economic hardship in the 1930s and ordinary people began to take "
            "their anger out on what was seen as the ultimate symbol of entitlement.",
            "How Fast Can Gibbons Swing Through the Forest? (3:04)",
            "Operation Desert Rock was the codename for a series of military tests in the 1950s aimed at "
            "understanding the effects of atomic radiation on ground troops.",
            "These Atomic Bomb Tests Used Troops as Guinea Pigs (3:29)",
            "In this exclusive clip from the 1930s, veterans step up to the mic and let out their version of the "
            "fearsome rallying cry.",
            "What Did the Rally Cry Sound Like? (4:22)"]
    page = "\n\n".join(["By Jane Doe", "November 18, 2019", brief, "Like this article?", "Previous Article",
                        "Next Article", "We Recommend", *rail, "Comment on this Story"])
    assert clean_text(page).text.split() == brief.split()
    assert classify_line("We Recommend") == "boundary" and classify_line(rail[0]) == "cruft"
    assert classify_line("The meeting ran from 9:30 to 11:15, the clerk said.") == "text"


def test_a_byline_broken_at_its_link_is_a_byline_not_the_article():
    # A dump of one text node a line writes "By <a>Ana Swanson</a>" as two lines. Read as two short lines
    # of text between the standfirst and the story, both were kept with them.
    story = ["A phase one trade deal between the two countries was supposed to be a limited agreement that "
             "would let leaders claim an easy victory.",
             "But it may morph into something bigger if the president agrees to roll back existing tariffs, "
             "people familiar with the talks say."]
    page = "\n".join(["World", "Asia", "By", "Ana Swanson", "Nov. 19, 2019", *story, "Related Coverage"])
    cleaned = clean_text(page)
    assert cleaned.text.split() == " ".join(story).split()
    assert cleaned.byline == "Ana Swanson"
    # A "By" that starts a sentence a renderer broke is no byline: its next line is prose.
    page = "\n".join(["World", story[0], "By", "the end of the year the talks had stalled again, and both "
                      "sides blamed the other for the delay.", story[1]])
    assert "By the end of the year" in " ".join(clean_text(page).text.split())


def test_links_to_a_sites_editions_in_other_scripts_are_not_the_article():
    # A news site's links to its Chinese editions sat between the standfirst and the story: a character is a
    # word, so they weighed as much as a sentence of it.
    story = ["Hong Kong (CNN Business) A muddled view of trade talks once again seems to be weighing on "
             "investors across the region.",
             "The major Asian market indexes were mixed in early trading Tuesday after reports that the mood "
             "in Beijing was pessimistic.",
             "Hong Kong's Hang Seng Index fell 0.2%, while Japan's Nikkei gained 0.1% by the middle of the day."]
    page = "\n\n".join(["Markets", story[0], "阅读简体中文版", "閱讀繁體中文版", *story[1:], "Русский"])
    assert clean_text(page).text.split() == " ".join(story).split()
    # In a dump written in Chinese, its lines in Chinese are the article.
    chinese = ["美国和中国之间的第一阶段贸易协议本应是一项有限的协议，让两国领导人都能轻松宣布胜利。",
               "但知情人士说，如果总统同意北京取消现有关税的要求，协议可能会扩大。",
               "中国商务部本月表示，取消关税是任何协议的重要条件。"]
    lines = _read_lines([chinese[0], "关税谈判", *chinese[1:]], frozenset())
    assert [ln.kind for ln in lines] == ["text"] * 4
    # A short line without letters ("№ 5", "— 12 —") is in no other script.
    lines = _read_lines([story[0], "№ 5", story[1], "— 12 —"], frozenset())
    assert [ln.kind for ln in lines] == ["text"] * 4


def test_a_short_article_reaches_its_paragraphs_over_the_labels_between_them():
    # A fact check of two paragraphs, parted by its labels: alone, the longer paragraph (27 words) was too
    # short to be an article, and the document was lost.
    claim = "A former ambassador to Ukraine has a net worth of $17 million, according to posts shared online."
    origin = ("On Nov. 15, 2019, the former ambassador testified before the House Intelligence Committee in the "
              "impeachment inquiry against the president.")
    page = "\n".join(["Home", "World", "Politics", "By", "Jane Doe", "Nov. 18, 2019 7:04 pm ET", "Claim", claim,
                      "Rating", "Unproven", "About this rating", "Origin", origin, "To Read the Full Story",
                      "Subscribe Sign In", "Most Popular Videos", "Volker Saw No Harm in Investigating Theories",
                      "Standoff at a University Following Night of Violence", "Most Popular Articles"])
    assert clean_text(page).text.split() == " ".join(
        [claim, "Rating Unproven About this rating Origin", origin]).split()
    # An article long enough alone does not reach over labels to a teaser's summary.
    story = [origin, "The committee heard from two more witnesses later that week, and both described the same "
             "call in detail."]
    page = "\n".join(["Home", *story, "Rating", "Unproven", "Origin", claim, "Most Popular Articles"])
    assert clean_text(page).text.split() == " ".join(story).split()


def test_a_sites_edition_picker_written_as_one_line_is_not_the_article():
    # A news portal writes its editions on one line, each with its language in brackets: read as prose (a
    # long line), it outweighed a brief under it.
    picker = "Change language & content: " + " ".join(
        f"{place} ({language})" for place, language in [
            ("Afrique francophone", "français"), ("América Latina", "español"), ("Argentina", "español"),
            ("Australia", "English"), ("België", "Nederlands"), ("Belgique", "français"), ("Brasil", "português"),
            ("Canada", "English"), ("Canada", "français"), ("Chile", "español"), ("Colombia", "español"),
            ("Danmark", "Dansk"), ("Deutschland", "Deutsch"), ("España", "español"), ("France", "français"),
            ("India", "English"), ("Italia", "italiano"), ("Japan", "日本語"), ("Nederland", "Nederlands")])
    brief = ["(CNN) The president made an unscheduled trip to the hospital on Saturday for a quick exam and "
             "labs, the White House said.",
             "Which is not to say that whatever happened on Saturday was not minor or maybe even routine."]
    page = "\n".join(["Skip To Content", "Sign in", picker, "Feedback", "Help", "Headlines", "US", "World", *brief,
                      "YOU MAY LIKE"])
    assert clean_text(page).text.split() == " ".join(brief).split()
    # A sentence with a few brackets in it is prose.
    sentence = ("Sen. Jane Doe (R-Texas), Sen. John Roe (D-Calif.) and Rep. Ann Poe (D-N.Y.) said on Tuesday "
                "(local time) that the vote (the third this year) would go ahead.")
    assert clean_text("\n".join(["Home", sentence, *brief])).text.split()[:10] == sentence.split()[:10]


BOX_SCORE = [
    "GIRLS BASKETBALL",
    "Eastview d. Lakeside 61-48",
    "Lakeside 12 10 14 12 — 48",
    "Eastview 15 17 13 16 — 61",
    "Eastview (2-0): Moreno 22 points. Okafor 14 points. Lindqvist 11 points. Patel 8 points. Reyes 6 points.",
    "Lakeside (0-2): Hart 17 points. Dube 9 points. Yamada 8 points. Cole 4 points. Ames 3 points. Ford 2 points.",
    "Northgate d. Riverside 55-12",
    "Northgate (1-1): Castillo 18 points and 4 steals. Brennan 12 points.",
    "Riverside (0-1): Sato 6 points.",
]


def test_a_brief_of_box_scores_keeps_its_score_lines():
    # A renderer writes a results table's text nodes one blank apart: the rows read as short lines, the shape
    # of a menu. Counted as one, a brief of scores kept its one sentence and was lost as too short.
    dump = "\n".join(["Skip to content", "Home", "Sport", "News", "Money", "Travel", "Puzzles",
                      "HS Roundup: Eastview stays unbeaten", "Jane Reporter", *BOX_SCORE,
                      "Topics", "Sport", "Popular Articles", "Celebrity reveals her holiday plans",
                      "Soap fans stunned by twist", "Privacy Policy"])
    text = clean_text(dump).text
    assert "Lakeside 12 10 14 12 — 48" in text and "Riverside (0-1): Sato 6 points." in text
    assert len(text.split()) >= 30
    assert "Popular Articles" not in text and "Money" not in text


def test_a_box_score_under_a_template_block_reaches_its_rows_across_the_block():
    # A fact-check template keeps its quoted claim above whatever is put on the page. The claim is the one
    # long paragraph; the score lines under its labels are the article, and must not be dropped for it.
    claim = ("“The situation in the southern region remains a serious concern, as armed groups operating in the "
             "border zone continue to block the evacuation of civilians from the camp, and the promised convoy "
             "was delayed again after the other side failed to meet its obligations under the plan,” the "
             "ministry said in its statement on the operation in the south of the country.")
    dump = "\n".join(["Home", "Economy", "Politics", "About", "Breaking News", "HS Roundup", "November 18, 2019",
                      "Share", "The ministries", claim, "Source: Defense Ministry, October 25, 2019", "False",
                      "Information from several sources disputes the claims", *BOX_SCORE,
                      "Most popular", "Most Viewed", "1", "A headline about something else entirely"])
    text = clean_text(dump).text
    assert "Eastview 15 17 13 16 — 61" in text and "Northgate (1-1)" in text
    assert "Most Viewed" not in text


def test_headline_and_summary_teasers_under_a_rail_heading_do_not_make_a_brief_off_topic():
    # "Top stories" as a dump without bullets writes it: each teaser a headline over one summary paragraph.
    # They were the page's longest paragraphs, so they made its core vocabulary, the brief above them read
    # as off topic and the page kept one teaser.
    brief = ["A HUNTER who killed and ate a wild hare in the north of the country has been hit by a rare plague.",
             "The 55-year-old is the third resident of the capital to contract the disease this month, officials say.",
             "Health officials said that 28 people in close contact with the hunter were quarantined as a precaution."]
    teasers = [
        ("Parliament votes to recognise the anniversary", "The lower house overwhelmingly voted on Tuesday to "
         "recognise the anniversary of the founding of the republic as a national day."),
        ("Veteran actor dies aged 96", "The veteran stage and film actor, best known for his comic roles in the "
         "sixties, died at the age of 96, a national newspaper reports."),
        ("Ancient relics unearthed near the border", "Archaeological relics of an ancient kingdom that ruled the "
         "highlands have recently been found on a mountain near the border town."),
        ("Ministry announces new equipment deal", "The work will be carried out in two countries and is expected "
         "to be completed in September next year, the defence ministry announced."),
    ]
    dump = "\n".join(["Home", "All news", "World", "Politics", "Society",
                      "Hunter diagnosed with plague after eating a hare", *brief,
                      "Related links:", "Health agency: more cases believed to be reported as officials meet",
                      "Top stories", *(line for pair in teasers for line in pair),
                      "Partner news", "Loading...", "About us | Advertise with us | Terms of service"])
    assert clean_text(dump).text == "\n\n".join(brief)


def test_the_site_description_between_footer_links_and_the_copyright_is_not_the_article():
    # A site's footer describes it in one long paragraph; a brief of fewer words under its headline lost to it.
    brief = ("More than a third of the company's 12,000 employees will likely receive notice this week that they "
             "no longer have a job, according to people familiar with the plans, as the firm tries to cut costs.")
    blurb = ("examplebikes.co.uk features the latest bike reviews news events and kit get latest bike launch reports "
             "as they happen kit reviews events know-how and compelling blogs to enjoy every day you will find a "
             "mixture of the best photography great videos and the hottest kit news before anyone else.")
    dump = "\n".join(["Skip to content", "News", "Bike Reviews", "Kit Reviews", "Company to lay off staff this week",
                      "21/06/2014 Jane Writer All , Books , News", brief, "bookreview", "Post navigation",
                      "Previous Post: Free scooter training", "Next Post: A new chain cleaner", "BIKES FOR SALE",
                      "A nod from the editor", "Terms and conditions", "Privacy Policy", "Sitemap", "Advertise",
                      "Contact editorial", blurb, "Copyright © Example Media Group Ltd, Media Centre",
                      "Privacy Policy | Terms & Conditions"])
    assert clean_text(dump).text == brief


def test_an_article_above_the_copyright_notice_keeps_its_last_paragraph():
    # The notice right under the article's own paragraph: no footer menu between them, so it is the article's.
    paragraph = ("The son of a former president was stabbed to death on Tuesday evening while giving a lecture at "
                 "a Berlin clinic, police said, and a suspect was arrested at the scene by officers called there.")
    slogan = ("Example News brings you the latest entertainment stories, interviews and reviews from Korea and around "
              "the world, every single day of the year.")
    dump = "\n".join([slogan, "Home", "Culture", "Sport", "Main news", "A teaser about a drama series,..",
                      "Another teaser about an actor,..",
                      "A third teaser about a show,..", paragraph, "Copyright (c) Example.co.kr. All rights reserved"])
    assert clean_text(dump).text == paragraph


def test_a_consent_boxs_cookie_categories_are_cruft():
    assert classify_line("Necessary cookies are absolutely essential for the website to function properly. This "
                         "category only includes cookies that ensure basic functionalities of the website.") == "cruft"
    assert classify_line("Any cookies that may not be particularly necessary for the website to function and is used "
                         "to collect user personal data via analytics are termed as non-necessary cookies.") == "cruft"
    # A report on cookies is not a consent box.
    assert classify_line("Regulators said the browser will stop accepting third-party cookies next year, a change "
                         "advertisers have warned could cut their revenue sharply.") == "text"


def test_short_russian_sentences_read_as_prose():
    # Prose needs a few function words when its sentences are short; with none known for Russian, a brief of
    # 9-14-word sentences read as a menu and was lost as too short.
    brief = ["В этом году городской совет решил построить новый мост через реку у старого порта.",
             "По словам мэра, работы начнутся весной и продлятся не больше двух лет.",
             "Жители района давно просили о мосте, потому что паром ходит только летом.",
             "Стоимость проекта оценивается в три миллиарда рублей из городского бюджета."]
    dump = "\n".join(["Главная", "Новости", "Политика", "Экономика", "Спорт", "Город построит новый мост",
                      *brief, "Популярное", "Контакты", "Реклама"])
    assert clean_text(dump).text == "\n\n".join(brief)


RAIL_HEADINGS = [
    "Related", "Related Articles", "Related stories:", "[ 167 comments ]", "(Comments)", "5 Comments", "12 thoughts on "
    "“A long post title”", "3 responses to Another title", "Leave a Reply", "Join the conversation", "Popular Posts",
    "More stories", "More from the author", "Sponsored Content", "We Recommend", "Recommended for you",
    "You may also like", "You might like", "Read more:", "See also", "Read next", "Trending Now", "Most Read",
    "Most popular", "Latest News", "Top Stories", "Paid Content", "Around the Web", "From our partners",
    "Editor's Picks", "What to read next", "Up Next", "Promoted Stories", "Other stories", "In case you missed it",
    "Newsletter sign-up", "Share this article", "About the author", "Top-rated comments", "Readers' comments",
    "User comments", "All comments", "Show comments", "View comments", "Most liked comments", "Latest comments",
    "Você pode gostar", "Voce tambem pode gostar", "Leia também", "Veja mais", "Notícias relacionadas",
    "Noticias relacionadas", "Matérias relacionadas", "Mais lidas", "Te puede interesar", "Lee también",
    "Artículos relacionados", "Lo más leído", "Lo mas leido", "À lire aussi", "A lire aussi", "Lire aussi",
    "Sur le même sujet", "Articles liés", "Les plus lus", "Articoli correlati", "Leggi anche", "Potrebbe interessarti",
    "I più letti", "Das könnte Sie auch interessieren", "Mehr zum Thema", "Lesen Sie auch", "Ähnliche Artikel",
    "Ahnliche Artikel", "Meistgelesen", "Baca juga", "Berita terkait", "Artikel terkait", "Terpopuler",
    "Читайте также", "Похожие новости", "Популярное", "Самое читаемое",
]
# An author box's heading: the word, then the name as it is written (capitalised).
AUTHOR_HEADINGS = ["About Jane Doe", "ABOUT Jane Doe", "Sobre Maria Silva", "Über Hans Müller", "ÜBER Hans Müller",
                   "Acerca de Ana Pérez", "À propos de Jean Dupont", "à propos de Jean Dupont"]


@pytest.mark.parametrize("heading", RAIL_HEADINGS)
def test_rail_headings_are_boundaries_in_any_case(heading):
    # The heading patterns are tried only on lines that may begin one (``_HEADING_STARTS``): none is missed,
    # whatever its case.
    for text in (heading, heading.upper(), heading.lower(), heading.title()):
        assert classify_line(text) == "boundary", text


@pytest.mark.parametrize("heading", AUTHOR_HEADINGS)
def test_author_box_headings_are_boundaries(heading):
    assert classify_line(heading) == "boundary"


def test_a_blogs_archive_of_months_is_not_a_results_table():
    # Numbers alone are no table row: a blog's archive links ("2019年11月"), 78 of them, outweighed a brief as one.
    brief = ("Ascom, a global solutions provider focused on healthcare ICT and mobile workflow solutions, announced a "
             "new North American integrated clinical alarm management solution with Dräger, a producer of medical "
             "and safety technology, to integrate its software with patient monitoring systems.")
    months = [f"{year}年{month}月" for year in range(2019, 2012, -1) for month in range(12, 0, -1)]
    dump = "\n".join(["サイトマップ", "プライバシーポリシー", "Home", "›", "ソフトウェア", "2018-08-16",
                      "Ascom introduces an alarm management solution", "BAAR, SWITZERLAND", brief, "関連記事",
                      "月別", "月を選択", *months, "運営サイト", "© Copyright 2011-2019"])
    assert clean_text(dump).text == brief


def test_teaser_bylines_with_dates_are_not_a_results_table():
    # A rail's bylines run into their dates and counts ("Jane Doe11/13/19 9:00AM12 ..."): numbers beside names,
    # as a box score's rows are, but no results.
    brief = ("The company said on Wednesday that it would close three of its factories in the region by the end of "
             "next year, cutting about 1,200 jobs, as demand for its older products keeps falling and costs rise.")
    dump = "\n".join(["Home", "Business", brief,
                      "Jane Doe11/13/19 9:00AM12338.3KA Brief Explanation of a New Phone Bug",
                      "John Roe11/12/19 4:40PM Apple Opens a Store",
                      "Opening Bell 11.18.19 Jane Doe", "Privacy Policy"])
    assert clean_text(dump).text == brief


def test_a_line_read_before_is_read_again_for_the_page_it_is_on():
    """Short lines are remembered once read (``_read_line``): a site prints its menu and footer on every
    page. What depends on the page, the run's boilerplate and a bullet before the line, is not remembered."""
    from transforms.extract.text import words_of
    para = ("Officials confirmed the bridge will close for repairs next month, diverting traffic through the "
            "town centre for at least six weeks while engineers replace the deck.")
    promo = "Get the latest local news delivered to your inbox every single morning with our free newsletter."
    dump = "\n\n".join([para, promo, para.replace("six", "eight")])
    assert promo not in clean_text(dump, boilerplate=frozenset({" ".join(words_of(promo))})).text
    assert promo in clean_text(dump).text
    # A heading alone; after a bullet, a link in a menu.
    for line, kind in [("Related", "boundary"), ("* Related", "cruft"), ("Related", "boundary")]:
        assert [ln.kind for ln in _read_lines([line], frozenset())] == [kind]
    # A sentence of 14 words is prose; after a bullet it is a list item, not prose (items need 20 words).
    sentence = "The council approved the new budget on Tuesday after a long debate over funding for schools."
    for item, prose in [(True, False), (False, True), (True, False)]:
        assert _read_line(sentence, item)[1:] == ("text", prose)
    # Forgotten (as the cleaner's benchmark does before each pass), a line reads as before.
    remembered = _read_line(sentence, False)
    forget_read_lines()
    assert _read_line(sentence, False) == remembered and _read_line(sentence, False) is not remembered


def test_remembered_lines_hold_their_words_compactly():
    """A line of 200 Chinese characters is 200 words: remembered as 200 strings it held ~15 KB, and the
    memo of 16,384 lines up to ~250 MB a process. Remembered as one string, under 2 KB with its key."""
    import gc
    import random
    import tracemalloc

    from transforms.extract.text import words_of
    rng = random.Random(7)
    lines = ["".join(chr(0x4E00 + rng.randrange(20000)) for _ in range(199)) + "。" for _ in range(500)]
    forget_read_lines()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for line in lines:
            assert _read_line(line, False)[0] == words_of(line)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        forget_read_lines()
    assert held / len(lines) < 2000
    # A line of no words but an underscore (a word character the tokenizer drops) has no words, remembered or not.
    assert _read_line("_ _", False)[0] == [] == _read_line("_ _", False)[0]
