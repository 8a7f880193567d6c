"""Generate the HTML evaluation pages (``html/*.html`` + gold + meta) from ``articles.py``.

Run from the repository root::

    .venv/bin/python tests/data/extraction/make_pages.py

Every template imitates a different family of real news sites (WordPress blog,
wire service, local TV, UK paper with a consent wall, paywalled paper, live blog,
AMP, a Next.js site with hashed class names, a table-layout legacy site, ...).
The gold is the article body as a reader sees it: dateline and paragraphs,
in-article subheadings, quotes, lists and tables; never the headline, byline,
captions, navigation, teasers, ads, newsletter boxes or comments.

Output is deterministic (a fixed RNG seed), so re-running only rewrites
identical files.
"""
from __future__ import annotations

import datetime as dt
import html as htmlmod
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from articles import ARTICLES, FOREIGN, LIVEBLOG  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "html")
E = htmlmod.escape

NAV = ["News", "Local", "Politics", "Business", "Sports", "Opinion", "Entertainment", "Lifestyle",
       "Weather", "Obituaries", "Jobs", "Classifieds", "e-Edition", "Podcasts", "Video", "Real Estate"]

TEASERS = [
    ("Police identify driver killed in Route 9 crash", "The 34-year-old man was pronounced dead at the scene after his car left the road early Sunday."),
    ("New food hall opens in former department store", "Fourteen vendors, from ramen to Ethiopian stews, are now serving in the renovated building on Main Street."),
    ("High school quarterback commits to state university", "The senior threw for more than 3,000 yards last season and chose the Wildcats over three other offers."),
    ("County fair returns with new rides and a rodeo", "Organizers expect more than 200,000 visitors over the fair's ten days, a record if the weather holds."),
    ("Gas prices fall for third straight week", "The statewide average dropped to $3.41 a gallon, according to the motor club's weekly survey."),
    ("Five things to do this weekend", "A jazz festival, a vintage car show and the first farmers market of the season top our list."),
    ("Former mayor announces run for state senate", "The Democrat, who served two terms as mayor, will challenge the incumbent in the August primary."),
    ("Hospital names new chief executive", "The board picked a longtime administrator from a Midwestern health system after a nine-month search."),
    ("Opinion: Our city needs a real plan for its parks", "Neglected playgrounds and shuttered restrooms tell a story of decades of deferred maintenance."),
    ("Stocks close higher as tech shares rally", "The benchmark index gained 1.2 percent, led by chipmakers and software companies."),
    ("Man sentenced to 12 years in fraud scheme", "Prosecutors said he stole more than $4 million from elderly investors over six years."),
    ("Airport adds nonstop flights to three cities", "The new routes to Denver, Nashville and Orlando begin in June, the airport authority said."),
    ("Recipe: The only banana bread you will ever need", "Brown butter and a little yogurt make this loaf moist for days."),
    ("Storm damage closes state park trails", "Fallen trees and washouts have closed about half of the park's 40 miles of trails."),
    ("Team captures first conference title since 1998", "A last-second three-pointer sealed the championship in front of a sold-out crowd."),
    ("City council delays vote on plastic bag ban", "Members said they wanted more time to hear from grocery stores and restaurants."),
    ("Teen's science project wins national award", "Her low-cost water filter uses crushed walnut shells and sand to remove heavy metals."),
    ("Road work to snarl traffic on Interstate 70 this summer", "Lane closures will begin May 6 between exits 12 and 19 and last through October."),
    ("Celebrity chef to open restaurant downtown", "The restaurant will focus on wood-fired seafood and open in the fall, a spokesperson said."),
    ("Study finds surge in backyard chicken ownership", "Researchers say the trend began during the pandemic and has not slowed."),
]

COMMENTS = [
    ("riverrat62", "This has been a long time coming. Anyone who drives that road every day could have told you years ago it needed work, but nobody wanted to spend the money until it was an emergency."),
    ("J. Morales", "I appreciate the reporting, but I wish the article had asked why the cost went up so much since the original estimate. Someone should be held accountable for that."),
    ("kate_b", "Does anyone know if the shuttle will run on weekends too? My daughter works Saturdays downtown and doesn't have a car."),
    ("OldTimer", "We went through the same thing back in the eighties and the world didn't end. People will adjust, they always do. Give it a few weeks."),
    ("concerned_citizen", "Typical. They spend millions on this while the potholes on my street have been there since last winter. Where are our priorities?"),
    ("Linda Hsu", "Thank you for covering this. The mainstream outlets barely mentioned it, and it affects thousands of families in our area."),
    ("mark2020", "Read the actual report before commenting, folks. It's linked right there and explains exactly why the decision was made."),
    ("SunnySide", "I think this is great news for the neighborhood. More options are always better, and the people complaining will be using it within a year."),
]

SPONSORED = [
    ("This retirement trick is catching on with savvy seniors", "Smart Money Daily"),
    ("Doctors stunned by simple morning habit", "Health Insights"),
    ("The 15 most beautiful small towns you have never heard of", "TravelMax"),
    ("Homeowners are replacing their roofs for almost nothing", "Home Upgrade Guide"),
    ("Why everyone is switching to this new credit card", "CardCompare"),
    ("Here's what a walk-in bathtub should cost you in 2024", "Bath Pros"),
]

COOKIE_TEXT = ("We and our 842 partners store and access information on your device, such as cookies, and process personal "
               "data, such as unique identifiers and standard information sent by a device, for personalised advertising "
               "and content, advertising and content measurement, audience research and services development. You may click "
               "to consent to our and our partners' processing as described above. Alternatively you may access more detailed "
               "information and change your preferences before consenting or to refuse consenting.")

NEWSLETTER = ("Sign up for our Morning Briefing newsletter and get the day's most important stories delivered to your inbox "
              "every weekday at 6 a.m. It's free, and you can unsubscribe at any time.")

FOOTER = ("© 2024 {site}. All rights reserved. Use of this site constitutes acceptance of our User Agreement and Privacy "
          "Policy and Cookie Statement and Your Privacy Rights. The material on this site may not be reproduced, distributed, "
          "transmitted, cached or otherwise used, except with the prior written permission of {site}.")

BIO = ("{name} covers {section_lower} for {site}. Before joining the newsroom in 2019, {first} reported for newspapers in "
       "Texas and Oregon. Send tips to {email}.")


def iso_utc(s: str) -> str:
    return dt.datetime.fromisoformat(s).astimezone(dt.timezone.utc).isoformat()


def human_date(s: str) -> str:
    d = dt.datetime.fromisoformat(s)
    return d.strftime("%B %-d, %Y at %-I:%M %p").replace("AM", "a.m.").replace("PM", "p.m.")


def gold_text(a: dict) -> str:
    out = []
    for i, (kind, val) in enumerate(a["blocks"]):
        if kind == "p" and i == 0 and a.get("dateline"):
            out.append(f"{a['dateline']} {val}")
        elif kind in ("p", "h2", "quote"):
            out.append(val)
        elif kind in ("ul", "ol"):
            out.extend(val)
        elif kind == "table":
            out.extend(" ".join(row) for row in val)
    return "\n\n".join(out) + "\n"


def body_blocks(a: dict, p_tag="p", p_attr="", h_tag="h2", h_attr="", quote="blockquote", inserts=None,
                table_attr="", br_mode=False) -> str:
    """The article body as HTML; ``inserts`` maps a block index to boilerplate HTML put before it."""
    inserts = inserts or {}
    parts = []
    for i, (kind, val) in enumerate(a["blocks"]):
        if i in inserts:
            parts.append(inserts[i])
        if kind == "p":
            text = E(val)
            if i == 0 and a.get("dateline"):
                text = f"<strong>{E(a['dateline'])}</strong> {text}" if not br_mode else f"{E(a['dateline'])} {text}"
            parts.append(f"{text}<br><br>" if br_mode else f"<{p_tag}{p_attr}>{text}</{p_tag}>")
        elif kind == "h2":
            parts.append(f"<b>{E(val)}</b><br><br>" if br_mode else f"<{h_tag}{h_attr}>{E(val)}</{h_tag}>")
        elif kind == "quote":
            if br_mode or quote == "p":
                parts.append(f"{E(val)}<br><br>" if br_mode else f"<{p_tag}{p_attr}>{E(val)}</{p_tag}>")
            else:
                parts.append(f"<blockquote><p>{E(val)}</p></blockquote>")
        elif kind in ("ul", "ol"):
            items = "".join(f"<li>{E(x)}</li>" for x in val)
            parts.append(f"<{kind}>{items}</{kind}>")
        elif kind == "table":
            head = "".join(f"<th>{E(c)}</th>" for c in val[0])
            rows = "".join("<tr>" + "".join(f"<td>{E(c)}</td>" for c in r) + "</tr>" for r in val[1:])
            parts.append(f"<table{table_attr}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts)


def nav_html(rng, cls="nav", n=10) -> str:
    items = rng.sample(NAV, n)
    return f'<nav class="{cls}"><ul>' + "".join(f'<li><a href="/{x.lower()}/">{x}</a></li>' for x in items) + "</ul></nav>"


def teasers(rng, n=4, with_summary=True, cls="teaser") -> str:
    out = []
    for h, s in rng.sample(TEASERS, n):
        slug = h.lower().replace(" ", "-")[:40]
        summ = f"<p>{E(s)}</p>" if with_summary else ""
        out.append(f'<div class="{cls}"><a href="/news/{slug}"><img src="/img/{slug}.jpg" alt=""><h3>{E(h)}</h3></a>{summ}</div>')
    return "\n".join(out)


def comments_html(rng, n=5, cls="comments", item_cls="comment") -> str:
    out = []
    for user, text in rng.sample(COMMENTS, n):
        out.append(f'<div class="{item_cls}"><div class="{item_cls}-author">{E(user)}</div>'
                   f'<div class="{item_cls}-date">3 hours ago</div><p>{E(text)}</p>'
                   f'<a href="#" class="reply">Reply</a> <span class="likes">12 likes</span></div>')
    return f'<section class="{cls}" id="{cls}"><h2>{n} Comments</h2>' + "\n".join(out) + "</section>"


def jsonld(a: dict, site: str, url: str, body: bool = False) -> str:
    data = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": a["title"],
        "datePublished": a["published"], "dateModified": a["published"],
        "author": [{"@type": "Person", "name": a["byline"]}],
        "publisher": {"@type": "Organization", "name": site, "logo": {"@type": "ImageObject", "url": url.split("/", 3)[0] + "//" + url.split("/")[2] + "/logo.png"}},
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "articleSection": a.get("section", "News"),
    }
    if body:
        data["articleBody"] = "\n\n".join(t for t in gold_text(a).split("\n\n"))
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def og(a: dict, site: str, url: str, description: str) -> str:
    return (f'<meta property="og:type" content="article"><meta property="og:title" content="{E(a["title"])}">'
            f'<meta property="og:site_name" content="{E(site)}"><meta property="og:url" content="{url}">'
            f'<meta property="og:description" content="{E(description)}">'
            f'<meta property="article:published_time" content="{a["published"]}">'
            f'<meta name="twitter:card" content="summary_large_image"><link rel="canonical" href="{url}">')


def figure(caption: str, cls="") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f'<figure{attr}><img src="/media/photo.jpg" alt="{E(caption[:60])}"><figcaption>{E(caption)}</figcaption></figure>'


def description(a: dict) -> str:
    first = a["blocks"][0][1]
    return first.split(". ")[0][:200]


# --------------------------------------------------------------------------- templates
# Each returns (html, meta) where meta lists what the page declares in machine-readable form.

def t_wordpress(a, rng, site="The Millrace Gazette", host="millracegazette.com"):
    url = f"https://{host}/{a['published'][:4]}/{a['slug']}/"
    html = f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>{E(a['title'])} &#8211; {site}</title>
{og(a, site, url, description(a))}
<link rel='stylesheet' href='/wp-content/themes/newsup/style.css'></head>
<body class="post-template-default single single-post">
<div id="page" class="site"><header id="masthead" class="site-header"><div class="site-branding"><p class="site-title"><a href="/">{site}</a></p>
<p class="site-description">Independent news for the valley since 1911</p></div>
{nav_html(rng, "main-navigation", 9)}</header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-{rng.randint(1000, 99999)}" class="post type-post status-publish format-standard has-post-thumbnail">
<header class="entry-header"><h1 class="entry-title">{E(a['title'])}</h1>
<div class="entry-meta"><span class="posted-on">Posted on <time class="entry-date published" datetime="{a['published']}">{human_date(a['published'])}</time></span>
<span class="byline"> by <span class="author vcard"><a class="url fn n" href="/author/x/">{E(a['byline'])}</a></span></span></div></header>
<div class="post-thumbnail">{figure(a['captions'][0], 'wp-caption')}</div>
<div class="entry-content">
{body_blocks(a)}
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social"><h3 class="sd-title">Share this:</h3>
<ul><li><a href="#">Click to share on Facebook (Opens in new window)</a></li><li><a href="#">Click to share on X (Opens in new window)</a></li><li><a href="#">Click to email a link to a friend</a></li></ul></div></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3>{teasers(rng, 3, True, 'jp-relatedposts-post')}</div>
</div>
<footer class="entry-footer"><span class="cat-links">Posted in <a href="/category/{a['section'].lower()}/">{a['section']}</a></span><span class="tags-links">Tagged city, infrastructure</span></footer>
</article>
<nav class="navigation post-navigation"><h2 class="screen-reader-text">Post navigation</h2><div class="nav-links"><div class="nav-previous"><a href="/prev/">Previous: {E(rng.choice(TEASERS)[0])}</a></div><div class="nav-next"><a href="/next/">Next: {E(rng.choice(TEASERS)[0])}</a></div></div></nav>
<div id="comments" class="comments-area"><h2 class="comments-title">4 thoughts on &ldquo;{E(a['title'])}&rdquo;</h2><ol class="comment-list">
{''.join(f'<li class="comment"><article class="comment-body"><footer class="comment-meta"><b class="fn">{E(u)}</b> says:</footer><div class="comment-content"><p>{E(t)}</p></div></article></li>' for u, t in rng.sample(COMMENTS, 4))}
</ol><div id="respond" class="comment-respond"><h3>Leave a Reply</h3><p>Your email address will not be published. Required fields are marked *</p></div></div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>{''.join(f'<li><a href="#">{E(h)}</a></li>' for h, _ in rng.sample(TEASERS, 5))}</ul></section>
<section class="widget widget_text"><h2 class="widget-title">About us</h2><div class="textwidget"><p>{site} is an independent, reader-supported newsroom covering the Millrace valley. We rely on subscribers and donors to keep our reporting free for everyone.</p></div></section></aside>
</div><footer id="colophon" class="site-footer"><div class="site-info">{FOOTER.format(site=site)}</div></footer></div></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def t_cnn(a, rng, site="CNN", host="edition.cnn.com"):
    url = f"https://{host}/{a['published'][:10].replace('-', '/')}/{a['section'].lower()}/{a['slug']}/index.html"
    paras = []
    for i, (kind, val) in enumerate(a["blocks"]):
        text = E(val)
        if i == 0:
            text = f'<cite class="source__cite"><span class="source__location"></span><span class="source__text">CNN</span></cite> — {text}' if not a.get("dateline") else f"{E(a['dateline'])} {text}"
        if kind == "h2":
            paras.append(f'<h2 class="subheader" data-editable="text">{E(val)}</h2>')
        elif kind in ("ul", "ol"):
            paras.append(f'<ul class="list_unordered">{"".join(f"<li>{E(x)}</li>" for x in val)}</ul>')
        elif kind == "table":
            paras.append("<table>" + "".join("<tr>" + "".join(f"<td>{E(c)}</td>" for c in r) + "</tr>" for r in val) + "</table>")
        else:
            paras.append(f'<p class="paragraph inline-placeholder vossi-paragraph" data-component-name="paragraph">{text}</p>')
        if i == 2:
            paras.append('<div class="ad-slot-dynamic ad-slot-header__wrapper"><div class="ad-feedback-link-container"><span>Advertisement</span><div class="ad-feedback-link"><button>Ad Feedback</button></div></div></div>')
        if i == 4:
            rel = rng.choice(TEASERS)[0]
            paras.append(f'<div class="related-content related-content--article"><a href="/related"><div class="related-content__image"><img src="/r.jpg"></div><div class="related-content__headline"><span class="related-content__headline-text">{E(rel)}</span></div></a></div>')
    # the dateline "(CNN) —" is part of what a reader sees
    a2 = dict(a)
    if not a.get("dateline"):
        a2["dateline"] = "(CNN) —"
    html = f"""<!DOCTYPE html><html lang="en" data-layout-uri="cms.cnn.com/_layouts/layout-with-rail/instances/world-article-v1">
<head><meta charset="utf-8"><title>{E(a['title'])} | CNN</title>
<meta name="author" content="{E(a['byline'])}, CNN"><meta property="og:site_name" content="CNN">
<meta property="og:title" content="{E(a['title'])}"><meta name="description" content="{E(description(a))}">
<link rel="canonical" href="{url}">{jsonld(a, site, url)}</head>
<body class="layout layout-with-rail__body">
<header class="header" data-editable="header"><div class="header__container"><a class="brand-logo" href="/">CNN</a>
<nav class="header__nav">{''.join(f'<a class="header__nav-item-link" href="/{x.lower()}">{x}</a>' for x in ['World', 'US Politics', 'Business', 'Health', 'Entertainment', 'Style', 'Travel', 'Sports', 'Science', 'Climate', 'Weather', 'Ukraine-Russia War', 'Israel-Hamas War'])}</nav>
<div class="header__right"><button class="user-account-log-in-button">Log In</button><a class="header__subscribe" href="/subscribe">Subscribe</a></div></div></header>
<section class="layout__content-wrapper layout-with-rail__content-wrapper"><section class="layout__wrapper layout-with-rail__wrapper">
<section class="layout__top layout-with-rail__top"><div class="headline headline--has-lowertext"><div class="headline__wrapper"><h1 data-editable="headlineText" class="headline__text inline-placeholder" id="maincontent">{E(a['title'])}</h1></div>
<div class="headline__footer"><div class="headline__byline-sub-text"><div class="byline byline--with-lowertext"><div class="byline__names">By <span class="byline__name">{E(a['byline'])}</span>, CNN</div></div>
<div class="timestamp vossi-timestamp">Updated {human_date(a['published'])} EDT, Published {human_date(a['published'])}</div></div></div></div></section>
<section class="layout__main-wrapper layout-with-rail__main-wrapper"><section class="layout__main layout-with-rail__main">
<div class="article__lede-wrapper"><div class="video-resource"><div class="video-resource__details"><span class="video-resource__label">Video</span><h3 class="video-resource__headline">Watch: {E(a['title'][:70])}</h3><span class="video-resource__duration">02:14</span><button class="video-resource__play">Play video</button></div>
<div class="video-resource__caption">{E(a['captions'][0])}</div></div></div>
<main class="article__main"><div class="article__content-container"><div class="article__content" data-editable="content" itemprop="articleBody" data-reorderable="content">
{chr(10).join(paras)}
</div></div>
<div class="article__footer"><div class="footnote footnote--default">CNN’s Jane Hollis contributed to this report.</div></div></main>
<div class="zone zone--t-light"><div class="zone__title"><h2>More from CNN</h2></div>{teasers(rng, 4, False, 'card container__item')}</div>
<div class="ob-widget ob-strip-layout"><div class="ob-widget-header">Paid Content</div>{''.join(f'<a class="ob-dynamic-rec-link" href="#"><span class="ob-rec-text">{E(h)}</span><span class="ob-rec-source">{E(s)}</span></a>' for h, s in rng.sample(SPONSORED, 4))}</div>
</section><section class="layout__rail layout-with-rail__rail"><div class="zone"><h2 class="container__title-text">Most read</h2>{teasers(rng, 5, False, 'container__item--type-section')}</div></section></section></section></section>
<footer class="footer"><div class="footer__copyright-text">© 2024 Cable News Network. A Warner Bros. Discovery Company. All Rights Reserved. CNN Sans ™ &amp; © 2016 Cable News Network.</div></footer></body></html>"""
    a["_gold_override"] = gold_text(a2) + "\nCNN’s Jane Hollis contributed to this report.\n"
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def t_ap(a, rng, site="AP News", host="apnews.com"):
    url = f"https://{host}/article/{a['slug']}-{rng.getrandbits(64):016x}"
    ins = {}
    for k in range(2, len(a["blocks"]), 3):
        ins[k] = '<div class="Advertisement"><div class="ad-placeholder">ADVERTISEMENT</div></div>'
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>{E(a['title'])} | AP News</title>
{og(a, site, url, description(a))}{jsonld(a, site, url)}</head>
<body class="StoryPage"><div class="Page-header"><a href="/" class="Page-header-logo">AP</a>
<div class="Page-header-navigation"><ul class="Page-header-navigation-items">{''.join(f'<li class="Page-header-navigation-item"><a href="/hub/{x.lower()}">{x}</a></li>' for x in ['World', 'U.S.', 'Politics', 'Sports', 'Entertainment', 'Business', 'Science', 'Fact Check', 'Oddities', 'Be Well'])}</ul></div>
<div class="Page-header-search"><form><input placeholder="Search"></form></div><a class="Page-header-donate" href="/donate">Donate</a></div>
<main class="Page-main"><div class="Page-content"><div class="Page-storyBody">
<div class="Page-lead"><h1 class="Page-headline">{E(a['title'])}</h1></div>
<div class="Page-byline"><div class="Page-authors">By <a class="Link" href="#">{E(a['byline'].upper())}</a></div><div class="Page-dateModified"><bsp-timestamp data-timestamp="{int(dt.datetime.fromisoformat(a['published']).timestamp() * 1000)}">Updated {human_date(a['published'])}</bsp-timestamp></div>
<div class="Page-actions"><bsp-share-links><a href="#">Share</a><a href="#">Copy Link copied</a><a href="#">Email</a><a href="#">Facebook</a><a href="#">X</a><a href="#">LinkedIn</a></bsp-share-links></div></div>
<div class="Page-leadMedia"><div class="CarouselSlide"><figure class="Figure"><img src="/x.jpg"><div class="CarouselSlide-info"><div class="CarouselSlide-infoDescription"><p>{E(a['captions'][0])}</p></div></div></figure></div><div class="CarouselSlide-count">1 of 3 |</div></div>
<bsp-story-page><div class="RichTextStoryBody RichTextBody">
{body_blocks(a, quote='p', inserts=ins)}
</div></bsp-story-page>
<div class="Page-below"><div class="PageList-header"><h2 class="PageList-header-title">Related Stories</h2></div>{teasers(rng, 3, True, 'PagePromo')}</div>
</div></div>
<aside class="Page-aside"><div class="PageList"><h2>Most Read</h2><ol>{''.join(f'<li><a href="#">{E(h)}</a></li>' for h, _ in rng.sample(TEASERS, 5))}</ol></div></aside></main>
<footer class="Page-footer"><p>The Associated Press is an independent global news organization dedicated to factual reporting. Founded in 1846, AP today remains the most trusted source of fast, accurate, unbiased news in all formats.</p><p>Copyright 2024 The Associated Press. All Rights Reserved.</p></footer></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def t_localtv(a, rng, site="KSLTV.com", host="ksltv.com"):
    """Local-TV template like seed 001: syndicated CNN copy with credits and a sponsored rail."""
    url = f"https://{host}/{rng.randint(600000, 699999)}/{a['slug']}/"
    cap = a["captions"][0]
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(a['title'])}</title>
<meta property="og:title" content="{E(a['title'])}"><meta property="og:site_name" content="{site}"><meta name="description" content="{E(description(a))}">
<meta property="article:published_time" content="{a['published']}"></head><body>
<div class="drawer"><div class="drawer-title">On the Site:</div><ul><li><a href="#">Vote Watch</a></li><li><a href="#">Roads to Understanding</a></li><li><a href="#">Hope After the Hurricanes</a></li></ul><button>Close</button>
<ul class="drawer-menu"><li><a href="/">{site}</a></li><li>Shows</li><li>Features</li><li>Promotions</li><li>Connect with KSL</li></ul></div>
<div class="story-wrap"><div class="story-category">{E(a['section'].upper())} NEWS</div>
<h1 class="story-title">{E(a['title'])}</h1>
<div class="story-dates">{human_date(a['published'])} | Updated: 7:39 pm</div>
<div class="story-featured-image"><img src="/img.jpg" alt="{E(cap[:90])}..."><div class="image-caption"><span class="caption-text">{E(cap)}</span></div><div class="image-credit">({E(cap.split('(')[-1].rstrip(')'))})</div></div>
<div class="story-byline"><div class="author-image"><img src="/cnn.png" alt="CNN's Profile Picture"></div><div class="author-name">BY {E(a['byline'].upper())}, CNN</div></div>
<div class="share-buttons"><span>{site}</span></div>
<div class="story-body">
{body_blocks(a)}
</div>
<div class="story-livestream"><span>KSL 5 TV Live</span></div></div>
<div class="more-stories"><h2>World News</h2>{teasers(rng, 5, True, 'story-teaser')}</div>
<div class="sponsored-articles"><h2>Sponsored Articles</h2>{''.join(f'<div class="sponsored-article"><img src="/s.jpg" alt="stock photo..."><span>{E(s)}</span><h4>{E(h)}</h4><p>Learn more about what the experts recommend before you decide.</p></div>' for h, s in rng.sample(SPONSORED, 4))}</div>
</body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site}


def t_ukpaper(a, rng, site="The Evening Courier", host="eveningcourier.co.uk"):
    url = f"https://www.{host}/news/{a['slug']}-{rng.randint(10**7, 10**8)}"
    n = len(a["blocks"])
    ins = {
        2: f'<aside class="inline-newsletter"><h3>Get the Morning Briefing</h3><p>{NEWSLETTER}</p><form><input type="email" placeholder="Enter your email"><button>Sign up</button></form><p class="small">By signing up you agree to our privacy notice.</p></aside>',
        n - 2: f'<div class="read-more-inline"><strong>Read more:</strong> <a href="#">{E(rng.choice(TEASERS)[0])}</a></div>',
    }
    html = f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{E(a['title'])} | {site}</title>
{og(a, site, url, description(a))}<meta name="author" content="{E(a['byline'])}"></head><body>
<div id="consent-overlay" class="gdpr-consent-modal" role="dialog"><div class="gdpr-inner"><h2>We value your privacy</h2><p>{COOKIE_TEXT}</p>
<p>Your preferences will apply to this website only. You can change your preferences at any time by returning to this site or visiting our privacy policy.</p>
<div class="gdpr-buttons"><button>MORE OPTIONS</button><button>AGREE</button></div></div></div>
<header class="site-header"><div class="logo">{site}</div>{nav_html(rng, 'primary-nav', 12)}
<div class="header-cta"><a href="/subscribe">Subscribe</a><a href="/login">Sign in</a></div></header>
<div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/news">News</a> &gt; <a href="/news/{a['section'].lower()}">{a['section']}</a></div>
<div class="article-container"><article class="article">
<h1 class="headline">{E(a['title'])}</h1>
<p class="standfirst">{E(description(a))}.</p>
<div class="article-meta"><div class="author-card"><span class="author-name">By {E(a['byline'])}</span><span class="author-role">Senior Reporter</span></div>
<time datetime="{a['published']}">{human_date(a['published'])}</time><span class="comment-count"><a href="#comments">27 comments</a></span></div>
{figure(a['captions'][0], 'lead-image')}
<div class="article-body">
{body_blocks(a, inserts=ins)}
</div>
<div class="article-tags"><h4>Topics</h4><ul><li>{a['section']}</li><li>Council</li><li>Transport</li></ul></div>
</article>
<aside class="sidebar"><div class="most-read"><h3>Most Read</h3><ol>{''.join(f'<li><a href="#"><span class="rank">{i + 1}</span>{E(h)}</a></li>' for i, (h, _) in enumerate(rng.sample(TEASERS, 6)))}</ol></div></aside></div>
<div id="comments" class="comments-section"><h3>Comments</h3><p>Comments are closed on this article.</p></div>
<footer class="site-footer"><p>{FOOTER.format(site=site)}</p></footer></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def t_paywall(a, rng, site="The Lakeside Tribune", host="lakesidetribune.com"):
    url = f"https://www.{host}/{a['section'].lower()}/{a['slug']}.html"
    visible = 3
    a2 = dict(a)
    a2["blocks"] = a["blocks"][:visible]
    a["_gold_override"] = gold_text(a2)
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{E(a['title'])} - {site}</title>
{og(a, site, url, description(a))}{jsonld(a, site, url)}</head><body>
<div class="top-bar"><span>Today's Paper</span><span>Subscribe for $1</span><span>Log in</span></div>
<header>{nav_html(rng, 'site-nav', 11)}</header>
<main><article class="story"><h1>{E(a['title'])}</h1>
<div class="story-meta"><p class="byline">By {E(a['byline'])} | <span class="date">{human_date(a['published'])}</span></p></div>
<div class="story-text">
{body_blocks(a2)}
</div>
<div class="paywall-stub"><div class="paywall-fade"></div><h2>Continue reading with a subscription</h2>
<p>You've read your 3 free articles this month. Subscribe now for unlimited access to award-winning local journalism, our e-Edition and exclusive newsletters.</p>
<ul><li>Unlimited digital access</li><li>The daily e-Edition</li><li>Ad-light experience</li></ul>
<a class="btn" href="/subscribe">Subscribe for $1 for 6 months</a><p>Already a subscriber? <a href="/login">Log in</a></p></div>
</article></main>
<section class="recirc"><h2>Trending Now</h2>{teasers(rng, 4, True, 'recirc-item')}</section>
<footer>{FOOTER.format(site=site)}</footer></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def t_liveblog(lb, rng, site="Coastal Bend Today", host="coastalbendtoday.com"):
    url = f"https://{host}/live/{lb['slug']}"
    entries = []
    gold = []
    for time, head, paras in lb["entries"]:
        ps = "".join(f"<p>{E(p)}</p>" for p in paras)
        entries.append(f'<div class="live-post" id="post-{rng.randint(1000, 9999)}"><div class="live-post__meta"><time class="live-post__time">{time}</time><span class="live-post__author">{E(lb["byline"])}</span></div>'
                       f'<h3 class="live-post__title">{E(head)}</h3><div class="live-post__body">{ps}</div>'
                       f'<div class="live-post__share"><button>Share</button><button>Copy link</button></div></div>')
        gold.append(head)
        gold.extend(paras)
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(lb['title'])}</title>
<meta property="og:title" content="{E(lb['title'])}"><meta property="og:site_name" content="{site}"><link rel="canonical" href="{url}">
<script type="application/ld+json">{json.dumps({"@context": "https://schema.org", "@type": "LiveBlogPosting", "headline": lb["title"], "datePublished": lb["published"], "coverageStartTime": lb["published"], "publisher": {"@type": "Organization", "name": site}})}</script></head>
<body><header>{nav_html(rng, 'nav-main', 8)}</header>
<main class="liveblog"><div class="live-badge">LIVE</div><h1>{E(lb['title'])}</h1>
<div class="liveblog__summary"><h2>What we know</h2><p class="updated">Last updated 1:45 p.m.</p></div>
{figure(lb['captions'][0])}
<div class="liveblog__feed">{''.join(entries)}</div>
<button class="load-more">Load more updates</button></main>
<aside class="related"><h2>Related coverage</h2>{teasers(rng, 3, False, 'related-link')}</aside>
<footer>{FOOTER.format(site=site)}</footer></body></html>"""
    return html, "\n\n".join(gold) + "\n", {"title": lb["title"], "published": iso_utc(lb["published"]), "site": site, "url": url}


def t_amp(a, rng, site="Metro Daily", host="metrodaily.com"):
    url = f"https://www.{host}/{a['section'].lower()}/{a['slug']}"
    ins = {3: '<amp-ad width="300" height="250" type="doubleclick" data-slot="/123/article"><div placeholder>Advertisement</div></amp-ad>'}
    html = f"""<!doctype html><html amp lang="en"><head><meta charset="utf-8"><title>{E(a['title'])}</title>
<link rel="canonical" href="{url}"><meta name="viewport" content="width=device-width">
<script async src="https://cdn.ampproject.org/v0.js"></script>{jsonld(a, site, url)}
<style amp-custom>body{{font-family:sans-serif}}</style></head><body>
<amp-sidebar id="sidebar" layout="nodisplay" side="left"><ul>{''.join(f'<li><a href="/{x.lower()}">{x}</a></li>' for x in rng.sample(NAV, 12))}</ul></amp-sidebar>
<header class="amp-header"><button on="tap:sidebar.toggle">Menu</button><a href="/">{site}</a></header>
<article class="amp-article"><h1 class="amp-title">{E(a['title'])}</h1>
<div class="amp-byline">By {E(a['byline'])} &middot; <time datetime="{a['published']}">{human_date(a['published'])}</time></div>
<amp-img src="/lead.jpg" width="1200" height="800" layout="responsive" alt="lead"></amp-img><p class="amp-caption">{E(a['captions'][0])}</p>
<amp-social-share type="facebook"></amp-social-share><amp-social-share type="twitter"></amp-social-share>
<div class="amp-article-body">
{body_blocks(a, inserts=ins)}
</div></article>
<section class="amp-related"><h2>More Stories</h2>{teasers(rng, 4, False, 'amp-related-item')}</section>
<footer class="amp-footer">{FOOTER.format(site=site)}<a href="{url}">View full site</a></footer></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def _hc(rng):
    return "css-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(6))


def t_nextjs(a, rng, site="The Current", host="thecurrent.news"):
    """Hashed class names everywhere: class-based boilerplate rules cannot help."""
    url = f"https://{host}/{a['slug']}"
    pc, hc, dc = _hc(rng), _hc(rng), _hc(rng)
    blocks = []
    for i, (kind, val) in enumerate(a["blocks"]):
        if kind == "p" or kind == "quote":
            text = (f"{E(a['dateline'])} " if i == 0 and a.get("dateline") else "") + E(val)
            blocks.append(f'<div class="{dc}"><p class="{pc}">{text}</p></div>')
        elif kind == "h2":
            blocks.append(f'<h2 class="{hc}">{E(val)}</h2>')
        elif kind in ("ul", "ol"):
            blocks.append(f'<{kind} class="{_hc(rng)}">' + "".join(f'<li class="{_hc(rng)}">{E(x)}</li>' for x in val) + f"</{kind}>")
        elif kind == "table":
            blocks.append(f'<table class="{_hc(rng)}">' + "".join("<tr>" + "".join(f"<td>{E(c)}</td>" for c in r) + "</tr>" for r in val) + "</table>")
        if i == 1:
            blocks.append(f'<div class="{_hc(rng)}"><div class="{_hc(rng)}"><span class="{_hc(rng)}">{E(NEWSLETTER)}</span><input class="{_hc(rng)}" placeholder="Email address"><button class="{_hc(rng)}">Subscribe</button></div></div>')
        if i == 3:
            t = rng.choice(TEASERS)
            blocks.append(f'<div class="{_hc(rng)}"><a class="{_hc(rng)}" href="#"><span class="{_hc(rng)}">Related</span><span class="{_hc(rng)}">{E(t[0])}</span></a></div>')
    rail = "".join(f'<div class="{_hc(rng)}"><a href="#" class="{_hc(rng)}"><h3 class="{_hc(rng)}">{E(h)}</h3><p class="{_hc(rng)}">{E(s)}</p></a></div>' for h, s in rng.sample(TEASERS, 4))
    next_data = json.dumps({"props": {"pageProps": {"article": {"id": rng.randint(10000, 99999), "slug": a["slug"], "headline": a["title"]}}}, "page": "/[slug]", "buildId": "a1b2c3"})
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(a['title'])} | {site}</title>
<meta name="description" content="{E(description(a))}"><meta property="og:site_name" content="{site}"><meta property="og:title" content="{E(a['title'])}">
<meta property="article:published_time" content="{a['published']}"><meta name="author" content="{E(a['byline'])}"><link rel="canonical" href="{url}">
<style>.{pc}{{margin:0 0 1em}}</style></head><body><div id="__next"><div class="{_hc(rng)}">
<div class="{_hc(rng)}"><div class="{_hc(rng)}"><a href="/" class="{_hc(rng)}">{site}</a><div class="{_hc(rng)}">{''.join(f'<a class="{_hc(rng)}" href="/{x.lower()}">{x}</a>' for x in rng.sample(NAV, 8))}</div></div></div>
<div class="{_hc(rng)}"><div class="{_hc(rng)}"><span class="{_hc(rng)}">{a['section']}</span><h1 class="{_hc(rng)}">{E(a['title'])}</h1>
<div class="{_hc(rng)}"><span class="{_hc(rng)}">By {E(a['byline'])}</span><span class="{_hc(rng)}">{human_date(a['published'])}</span></div>
<div class="{_hc(rng)}"><img src="/i.jpg"><span class="{_hc(rng)}">{E(a['captions'][0])}</span></div>
<div class="{_hc(rng)}">{''.join(blocks)}</div></div>
<div class="{_hc(rng)}"><h2 class="{_hc(rng)}">Read next</h2>{rail}</div></div>
<div class="{_hc(rng)}"><p class="{_hc(rng)}">{FOOTER.format(site=site)}</p></div></div></div>
<script id="__NEXT_DATA__" type="application/json">{next_data}</script></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def t_tables_legacy(a, rng, site="Valley Herald Online", host="valleyherald.net", charset="utf-8"):
    """A 2000s table layout: font tags, paragraphs as <br><br> runs, nav in a left cell."""
    html = f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"><title>{site} - {E(a['title'])}</title></head>
<body bgcolor="#FFFFFF" leftmargin="0" topmargin="0"><table width="100%" border="0" cellpadding="0" cellspacing="0">
<tr><td colspan="3" bgcolor="#003366"><font face="Arial" size="5" color="#FFFFFF"><b>{site}</b></font><br><font size="1" color="#CCCCCC">Serving the valley since 1887</font></td></tr>
<tr><td width="160" valign="top" bgcolor="#EEEEEE"><font face="Verdana" size="2">{''.join(f'<a href="/{x.lower()}.html">{x}</a><br>' for x in rng.sample(NAV, 12))}<br><b>Weather</b><br>Today: 72&deg; Sunny<br>Tonight: 51&deg;</font></td>
<td valign="top" width="70%"><font face="Georgia" size="3"><font size="5"><b>{E(a['title'])}</b></font><br><i>By {E(a['byline'])}<br>Staff Writer</i><br>{human_date(a['published'])}<br><br>
{body_blocks(a, br_mode=True)}
<hr><font size="2"><a href="/email.html">E-mail this story</a> | <a href="/print.html">Printer-friendly version</a> | <a href="/letters.html">Write a letter to the editor</a></font></font></td>
<td width="180" valign="top"><font face="Verdana" size="2"><b>Top Stories</b><br>{''.join(f'<a href="#">{E(h)}</a><br><br>' for h, _ in rng.sample(TEASERS, 5))}<b>Classifieds</b><br>Cars | Homes | Jobs | Garage Sales</font></td></tr>
<tr><td colspan="3" align="center"><font size="1">Copyright &copy; 2024 {site}. All rights reserved. Reproduction prohibited without permission.</font></td></tr></table></body></html>"""
    return html, {"title": a["title"]}


def t_gallery(a, rng, site="Northern Post", host="northernpost.com"):
    url = f"https://{host}/news/{a['slug']}"
    caps = list(a["captions"]) + [
        "Residents gather at the scene on Tuesday afternoon. (Photo: Staff)",
        "An aerial view of the area taken by drone. Photo courtesy of the county",
    ]
    ins = {2: figure(caps[1], "inline-photo") + '<div class="photo-credit">Photo: Handout / Getty Images</div>', 4: figure(caps[2], "inline-photo")}
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(a['title'])}</title>
<meta property="og:title" content="{E(a['title'])}"><meta property="og:site_name" content="{site}"><meta name="pubdate" content="{a['published']}"></head><body>
<div class="masthead"><a href="/">{site}</a></div>{nav_html(rng, 'menu', 10)}
<div class="container"><div class="story-column"><h1>{E(a['title'])}</h1><div class="byline-block">By {E(a['byline'])}<br><span class="dateline-time">{human_date(a['published'])}</span></div>
<div class="gallery"><div class="gallery-counter">Image 1 of 8</div>{figure(caps[0])}<button>Next</button><button>Previous</button></div>
<div class="story-body">{body_blocks(a, inserts=ins)}</div>
<div class="corrections"><p>Have a news tip? Contact the newsroom at tips@northernpost.com.</p></div></div>
<div class="right-rail"><div class="weather-widget"><h4>Weather</h4><p>68°F Partly Cloudy</p></div><div class="latest"><h4>Latest News</h4>{teasers(rng, 4, False, 'latest-item')}</div></div></div>
<footer><p>{FOOTER.format(site=site)}</p></footer></body></html>"""
    return html, {"title": a["title"], "site": site}


def t_magazine(a, rng, site="The Atlas Review", host="atlasreview.org"):
    url = f"https://{host}/features/{a['slug']}"
    first = a["blocks"][0][1]
    a2 = dict(a)
    # Drop cap: the first letter in its own span, as long-form templates do.
    body = body_blocks(a2).replace(f"<p>{E(first)}</p>", f'<p class="has-dropcap"><span class="dropcap">{E(first[0])}</span>{E(first[1:])}</p>', 1)
    name = a["byline"]
    bio = BIO.format(name=name, section_lower=a["section"].lower(), site=site, first=name.split()[0], email=f"{name.split()[0].lower()}@{host}")
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(a['title'])}</title>
{og(a, site, url, description(a))}{jsonld(a, site, url)}</head><body class="longform">
<header class="site-header">{nav_html(rng, 'header-nav', 7)}<a class="donate" href="/donate">Donate</a></header>
<article class="longform-article"><header class="article-hero"><p class="kicker">{a['section']}</p><h1>{E(a['title'])}</h1><p class="dek">{E(description(a))}.</p>
<p class="byline">Words by {E(name)} &middot; <time datetime="{a['published']}">{human_date(a['published'])}</time> &middot; 6 min read</p>{figure(a['captions'][0], 'hero')}</header>
<div class="article-body prose">{body}</div>
<section class="author-bio"><h3>About the author</h3><p>{E(bio)}</p></section>
<section class="support-box"><h3>Support independent journalism</h3><p>The Atlas Review is a nonprofit newsroom. Our journalism is free to read because readers like you chip in. If you value this story, please consider making a tax-deductible donation today.</p><a href="/donate">Donate now</a></section>
</article>
<section class="more-features"><h2>More features</h2>{teasers(rng, 3, True, 'feature-card')}</section>
<footer>{FOOTER.format(site=site)}</footer></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def t_comments_heavy(a, rng, site="Riverside Voice", host="riversidevoice.net"):
    """A short community-news post with a comment thread longer than the post, in neutral class names."""
    url = f"https://{host}/posts/{a['slug']}"
    replies = []
    for user, text in rng.sample(COMMENTS, 8):
        replies.append(f'<div class="reader-response"><div class="rr-head"><strong>{E(user)}</strong> <span>Oct 3, 2024</span></div><div class="rr-text"><p>{E(text)}</p></div><div class="rr-actions">Reply · Report</div></div>')
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{E(a['title'])} | {site}</title><meta property="og:site_name" content="{site}"></head><body>
<div class="top">{site} — <a href="/">Home</a> <a href="/events">Events</a> <a href="/submit">Submit news</a></div>
<div class="post"><h1>{E(a['title'])}</h1><div class="post-info">Posted by {E(a['byline'])} on {human_date(a['published'])}</div>
<div class="post-text">{body_blocks(a)}</div></div>
<div class="responses"><h3>Reader responses (8)</h3>{''.join(replies)}
<div class="respond-box"><p>You must be logged in to post a response.</p></div></div>
<div class="bottom">{site} is a volunteer-run community website.</div></body></html>"""
    return html, {"title": a["title"], "site": site}


def t_portal(a, rng, site="DailyFeed", host="dailyfeed.com"):
    """An aggregator page showing a partner's story (Yahoo-style) with 'Story continues' stubs."""
    url = f"https://news.{host}/{a['slug']}-{rng.randint(10**8, 10**9)}.html"
    n = len(a["blocks"])
    ins = {2: '<div class="caas-da"><p>Story continues below advertisement</p></div>', n - 1: '<div class="caas-readmore"><button>Story continues</button></div>'}
    html = f"""<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"><title>{E(a['title'])}</title>
{og(a, site, url, description(a))}</head><body>
<div id="ybar"><a href="/">{site}</a><ul>{''.join(f'<li>{x}</li>' for x in ['Mail', 'News', 'Finance', 'Sports', 'Weather', 'Shopping', 'Games', 'More'])}</ul><input placeholder="Search the web"></div>
<div id="module-article"><div class="caas-container"><header class="caas-header"><h1>{E(a['title'])}</h1></header>
<div class="caas-attr"><div class="caas-logo"><img alt="The Valley Ledger logo"> The Valley Ledger</div><div class="caas-attr-meta">{E(a['byline'])} · <time datetime="{iso_utc(a['published'])}">{human_date(a['published'])}</time> · 3 min read</div></div>
<div class="caas-body">{body_blocks(a, inserts=ins)}</div></div></div>
<div id="recommended"><h2>Recommended Stories</h2>{teasers(rng, 6, True, 'stream-item')}</div>
<div id="footer">Terms and Privacy Policy · Privacy Dashboard · About our ads</div></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site}


def t_microdata(a, rng, site="Plainfield Observer", host="plainfieldobserver.com"):
    url = f"https://{host}/article/{a['slug']}"
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(a['title'])}</title><link rel="canonical" href="{url}"></head>
<body><div class="wrapper">{nav_html(rng, 'topnav', 6)}
<div itemscope itemtype="https://schema.org/NewsArticle"><h1 itemprop="headline">{E(a['title'])}</h1>
<p class="meta">By <span itemprop="author">{E(a['byline'])}</span>, <time itemprop="datePublished" datetime="{a['published']}">{human_date(a['published'])}</time></p>
<div itemprop="publisher" itemscope itemtype="https://schema.org/Organization"><meta itemprop="name" content="{site}"></div>
<section itemprop="articleBody">{body_blocks(a)}</section></div>
<div class="pager"><a href="#">« Previous story</a> | <a href="#">Next story »</a></div></div></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "url": url}


def t_deep(a, rng, site="Deep Nest News", depth=300):
    """An article nested in hundreds of wrapper divs: trafilatura 2.3.1 returns None past ~254 levels."""
    opening = "".join(f'<div class="w{i % 7}">' for i in range(depth))
    closing = "</div>" * depth
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{E(a['title'])} - {site}</title></head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sports">Sports</a></nav></header>
{opening}<article><h1>{E(a['title'])}</h1><p class="by">By {E(a['byline'])}</p>{body_blocks(a)}</article>{closing}
<footer>{FOOTER.format(site=site)}</footer></body></html>"""
    return html, {"title": a["title"]}


def t_clientside(a, rng, site="Newsroom One", host="newsroomone.com"):
    """A client-rendered page: the HTML body is an app shell; the article exists only as JSON-LD."""
    url = f"https://{host}/story/{a['slug']}"
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(a['title'])} | {site}</title>
<meta property="og:title" content="{E(a['title'])}"><meta property="og:site_name" content="{site}"><link rel="canonical" href="{url}">
{jsonld(a, site, url, body=True)}<script src="/static/js/main.8f3a.js" defer></script></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"><div class="app-shell"><div class="spinner">Loading…</div></div></div></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


def t_readmore_inline(a, rng, site="Capital Ledger", host="capitalledger.com"):
    """Inline 'READ MORE' teasers, a newsletter box, a poll and a 'Recommended' list inside the body column."""
    url = f"https://www.{host}/{a['section'].lower()}/{a['slug']}"
    n = len(a["blocks"])
    t1, t2 = rng.sample(TEASERS, 2)
    ins = {
        1: f'<p class="rm"><strong>READ MORE: </strong><a href="#">{E(t1[0])}</a></p>',
        3: '<div class="poll"><h4>Quick poll</h4><p>Do you support the proposal?</p><label><input type="radio"> Yes</label><label><input type="radio"> No</label><button>Vote</button></div>',
        n - 1: f'<p class="rm"><strong>RELATED: </strong><a href="#">{E(t2[0])}</a></p>',
    }
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(a['title'])}</title>
{og(a, site, url, description(a))}</head><body>
<div class="alert-banner">BREAKING: Storm warning in effect until 9 p.m. <a href="#">Get the latest</a></div>
<header class="hdr"><div class="brand">{site}</div>{nav_html(rng, 'hdr-nav', 10)}</header>
<div class="content-wrap"><div class="main-col"><h1>{E(a['title'])}</h1>
<div class="article-byline">{E(a['byline'])}, {site} &nbsp; <span>{human_date(a['published'])}</span></div>
{figure(a['captions'][0])}
<div class="article-text">{body_blocks(a, inserts=ins)}</div>
<div class="newsletter-signup"><h3>Never miss a story</h3><p>{NEWSLETTER}</p><input placeholder="you@example.com"><button>Sign up</button></div>
<div class="recommended"><h3>Recommended for you</h3><ul>{''.join(f'<li><a href="#">{E(h)}</a></li>' for h, _ in rng.sample(TEASERS, 5))}</ul></div></div></div>
<footer>{FOOTER.format(site=site)}</footer></body></html>"""
    return html, {"title": a["title"], "published": iso_utc(a["published"]), "site": site, "url": url}


# ----------------------------------------------------------------- non-UTF-8 pages

LOCAL = {
    "ru": {"nav": ["Главная", "Новости", "Политика", "Экономика", "Общество", "Спорт", "Культура", "Погода"],
           "related": "Читайте также", "teasers": ["Синоптики обещают тёплую погоду до конца недели", "В городе отремонтируют двадцать дворов", "Футбольный клуб подписал контракт с новым тренером", "Цены на бензин снова выросли"],
           "footer": "Все права защищены. При использовании материалов ссылка на сайт обязательна.", "by": "Автор"},
    "ja": {"nav": ["トップ", "国内", "国際", "経済", "スポーツ", "エンタメ", "天気"],
           "related": "関連記事", "teasers": ["週末は全国的に晴れる見込み", "市役所の新庁舎が完成", "高校野球の県大会が開幕", "円相場が一時大幅に下落"],
           "footer": "記事の無断転載を禁じます。", "by": "記者"},
    "zh": {"nav": ["首页", "新闻", "财经", "体育", "娱乐", "科技", "天气"],
           "related": "相关阅读", "teasers": ["本周末全市将迎来降雨天气", "地铁新线路预计年底通车", "市民文化节下月开幕", "多家银行下调存款利率"],
           "footer": "版权所有，未经授权不得转载。", "by": "记者"},
    "de": {"nav": ["Startseite", "Politik", "Wirtschaft", "Sport", "Kultur", "Wetter", "Regional"],
           "related": "Mehr zum Thema", "teasers": ["Stadtrat beschließt neuen Haushalt", "Hitzewelle erreicht Norddeutschland", "Hafen meldet Rekordumschlag", "Neue Radwege für die Innenstadt"],
           "footer": "Alle Rechte vorbehalten. Datenschutz | Impressum", "by": "Von"},
    "fr": {"nav": ["Accueil", "Actualité", "Économie", "Sports", "Culture", "Météo", "Région"],
           "related": "À lire aussi", "teasers": ["Le conseil municipal adopte le budget", "Un nouveau festival de musique cet été", "La circulation perturbée sur l'A6", "Les prix de l'immobilier en baisse"],
           "footer": "Tous droits réservés. Mentions légales | Politique de confidentialité", "by": "Par"},
    "es": {"nav": ["Portada", "Nacional", "Economía", "Deportes", "Cultura", "Tiempo", "Opinión"],
           "related": "Te puede interesar", "teasers": ["El ayuntamiento aprueba los presupuestos", "Llega la primera ola de calor del verano", "El equipo local asciende de categoría", "Suben los precios del alquiler"],
           "footer": "Todos los derechos reservados. Aviso legal | Política de cookies", "by": "Por"},
}


def t_foreign(f, rng, meta_charset, http_charset, encoding, layout=0):
    loc = LOCAL[f["lang"]]
    site = f["site"]
    head_meta = ""
    if meta_charset and layout % 2 == 0:
        head_meta = f'<meta charset="{meta_charset}">'
    elif meta_charset:
        head_meta = f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">'
    body = "".join(f"<p>{E(t)}</p>" for _, t in f["blocks"])
    nav = "".join(f'<li><a href="#">{x}</a></li>' for x in loc["nav"])
    rel = "".join(f'<li><a href="#">{E(x)}</a></li>' for x in loc["teasers"])
    if layout == 0:
        page = f"""<html lang="{f['lang']}"><head>{head_meta}<title>{E(f['title'])} | {E(site)}</title>
<meta property="og:title" content="{E(f['title'])}"><meta property="og:site_name" content="{E(site)}"><meta property="article:published_time" content="{f['published']}"></head>
<body><div class="header"><div class="logo">{E(site)}</div><ul class="menu">{nav}</ul></div>
<div class="main"><div class="article"><h1>{E(f['title'])}</h1><div class="info">{loc['by']} {E(f['byline'])}</div>
<div class="article-text">{body}</div></div>
<div class="related-block"><h3>{loc['related']}</h3><ul>{rel}</ul></div></div>
<div class="footer">&copy; 2024 {E(site)}. {loc['footer']}</div></body></html>"""
    else:
        page = f"""<!DOCTYPE html><html lang="{f['lang']}"><head>{head_meta}<title>{E(f['title'])}</title>
<script type="application/ld+json">{json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": f["title"], "datePublished": f["published"], "author": {"@type": "Person", "name": f["byline"]}, "publisher": {"@type": "Organization", "name": site}}, ensure_ascii=False)}</script></head>
<body><header><nav><ul>{nav}</ul></nav></header><main><article><header><h1>{E(f['title'])}</h1><p><time datetime="{f['published']}">{f['published'][:10]}</time> | {E(f['byline'])}</p></header>
<section class="content">{body}</section></article><aside><h2>{loc['related']}</h2><ul>{rel}</ul></aside></main>
<footer><p>&copy; 2024 {E(site)}. {loc['footer']}</p></footer></body></html>"""
    raw = page.encode(encoding, errors="strict")
    meta = {"title": f["title"], "published": iso_utc(f["published"]), "site": site, "language": f["lang"],
            "encoding": encoding}
    if http_charset:
        meta["content_type"] = f"text/html; charset={http_charset}"
    gold = "\n\n".join(t for _, t in f["blocks"]) + "\n"
    return raw, gold, meta


# --------------------------------------------------------------------------- driver

PLAN = [
    # (template, article slug, kwargs)
    (t_wordpress, "bridge-closure", {}),
    (t_wordpress, "library-reopens", {"site": "Eastside Dispatch", "host": "eastsidedispatch.org"}),
    (t_cnn, "coral-heat", {}),
    (t_cnn, "cyberattack-hospital", {}),
    (t_ap, "quake-hillside", {}),
    (t_ap, "measles-cases", {}),
    (t_localtv, "wildfire-evac", {}),
    (t_localtv, "zoo-panda", {"site": "KOMO News", "host": "komonews.com"}),
    (t_ukpaper, "school-budget", {}),
    (t_ukpaper, "transit-strike", {"site": "The Northern Echo-Star", "host": "northernechostar.co.uk"}),
    (t_paywall, "chip-plant", {}),
    (t_paywall, "museum-return", {"site": "The Harbor Times", "host": "harbortimes.com"}),
    (t_amp, "marathon-record", {}),
    (t_amp, "ev-chargers", {"site": "Tri-State Journal", "host": "tristatejournal.com"}),
    (t_nextjs, "rate-decision", {}),
    (t_nextjs, "court-ruling-privacy", {"site": "Ledger Now", "host": "ledgernow.com"}),
    (t_nextjs, "heat-warning", {"site": "Desert Sun Daily", "host": "desertsundaily.com"}),
    (t_tables_legacy, "drought-farmers", {}),
    (t_tables_legacy, "obit-teacher", {"site": "Westbrook Weekly", "host": "westbrookweekly.com"}),
    (t_gallery, "bakery-flood", {}),
    (t_gallery, "wildfire-evac", {"site": "Foothills Free Press", "host": "foothillsfreepress.com"}),
    (t_magazine, "restaurant-review", {}),
    (t_magazine, "obit-teacher", {"site": "Alumni Quarterly", "host": "alumniquarterly.org"}),
    (t_comments_heavy, "library-reopens", {}),
    (t_comments_heavy, "zoo-panda", {"site": "Parkside Neighbors", "host": "parksideneighbors.net"}),
    (t_portal, "drought-farmers", {}),
    (t_portal, "vaccine-trial", {}),
    (t_microdata, "housing-vote", {}),
    (t_microdata, "election-turnout", {"site": "County Line", "host": "countyline.news"}),
    (t_readmore_inline, "ai-regulation", {}),
    (t_readmore_inline, "housing-vote", {"site": "Metro Ledger", "host": "metroledger.com"}),
    (t_readmore_inline, "rocket-launch", {"site": "Space Coast Wire", "host": "spacecoastwire.com"}),
    (t_wordpress, "election-turnout", {"site": "Prairie Press", "host": "prairiepress.blog"}),
    (t_ap, "rocket-launch", {"site": "Reuters", "host": "reuters.com"}),
    (t_deep, "marathon-record", {}),
    (t_deep, "transit-strike", {"site": "Nested Times", "depth": 400}),
    (t_clientside, "ai-regulation", {}),
]

FOREIGN_PLAN = [
    # (slug, meta charset, http charset, real encoding, layout)
    ("ru-metro", "windows-1251", None, "cp1251", 0),
    ("ru-harvest", "utf-8", "utf-8", "cp1251", 1),
    ("ru-theatre", None, "iso-8859-1", "cp1251", 0),
    ("ru-metro", "windows-1251", None, "utf-8", 1),      # a UTF-8 page mislabelled windows-1251
    ("ja-train", "Shift_JIS", None, "shift_jis", 1),
    ("ja-rice", None, None, "shift_jis", 0),
    ("zh-park", "gb2312", None, "gb2312", 0),
    ("zh-battery", "utf-8", None, "gb2312", 1),
    ("de-bahn", "iso-8859-1", "iso-8859-1", "cp1252", 0),  # labelled latin-1, „“ quotes only exist in cp1252
    ("fr-vendanges", "iso-8859-1", "utf-8", "cp1252", 1),  # header says utf-8, meta latin-1: bytes are cp1252
    ("es-festival", None, None, "iso-8859-1", 0),
]


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    by_slug = {a["slug"]: a for a in ARTICLES}
    count = 0
    for i, (tmpl, slug, kw) in enumerate(PLAN):
        rng = random.Random(f"{i}-{slug}")
        a = dict(by_slug[slug])
        html, meta = tmpl(a, rng, **kw)
        gold = a.pop("_gold_override", None) or gold_text(a)
        name = f"{i:02d}_{tmpl.__name__[2:]}_{slug}"
        _write(name, html.encode("utf-8"), gold, meta)
        count += 1
    rng = random.Random("live")
    html, gold, meta = t_liveblog(LIVEBLOG, rng)
    _write(f"{len(PLAN):02d}_liveblog_{LIVEBLOG['slug']}", html.encode("utf-8"), gold, meta)
    count += 1
    # A UTF-8 page with a BOM whose meta claims windows-1252: the BOM wins.
    a = dict(by_slug["measles-cases"])
    html, meta = t_microdata(a, random.Random("bom"), site="Health Beat", host="healthbeat.org")
    html = html.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
    _write(f"{len(PLAN) + 1:02d}_bom_measles-cases", b"\xef\xbb\xbf" + html.encode("utf-8"), gold_text(a), meta)
    count += 1
    fby = {f["slug"]: f for f in FOREIGN}
    for j, (slug, mc, hc, enc, layout) in enumerate(FOREIGN_PLAN):
        raw, gold, meta = t_foreign(fby[slug], random.Random(slug), mc, hc, enc, layout)
        _write(f"{len(PLAN) + 2 + j:02d}_charset_{slug}_{enc}", raw, gold, meta)
        count += 1
    print(f"wrote {count} pages to {OUT}")


def _write(name: str, raw: bytes, gold: str, meta: dict) -> None:
    with open(os.path.join(OUT, name + ".html"), "wb") as fh:
        fh.write(raw)
    with open(os.path.join(OUT, name + ".gold.txt"), "w", encoding="utf-8") as fh:
        fh.write(gold)
    with open(os.path.join(OUT, name + ".meta.json"), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
