"""Tests for ``pipeline.analyst.report``: the HTML story report, checked in headless Chromium.

The browser tests load the page from disk in Debian's ``chromium`` (``/usr/bin/chromium``,
or ``$CHROMIUM``) and read the DOM after scripts ran (``--dump-dom``): what is on the
screen is the text of elements that are not ``hidden``. Without Chromium they fail,
they do not skip: ``make test`` installs it.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import subprocess

import lxml.html
import pytest

from pipeline import cli

from pipeline.analyst import report
from tests.pipeline.test_query import HOSTILE_TITLE, T0, UTC, art, clusters_from, newsroom, write_dataset

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1200,900"]


# ---------------------------------------------------------------------------------------------
# Browser helpers
# ---------------------------------------------------------------------------------------------

def _require_chromium() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"headless Chromium not found at {CHROMIUM}: install Debian's package "
                    "(apt-get install -y chromium) or set $CHROMIUM; `make test` installs it", pytrace=False)
    return CHROMIUM


def browser_dom(html_path: str, profile_dir: str):
    """The page's DOM after its scripts ran in headless Chromium, parsed with lxml."""
    binary = _require_chromium()
    proc = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", "--dump-dom",
         "file://" + os.path.abspath(html_path)],
        capture_output=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    assert proc.stdout.strip(), "chromium dumped an empty DOM"
    return lxml.html.fromstring(proc.stdout.decode("utf-8"))


def _is_shown(el) -> bool:
    while el is not None:
        if el.get("hidden") is not None or el.tag in ("script", "style", "head", "title"):
            return False
        el = el.getparent()
    return True


def shown_text(el) -> str:
    """Text of ``el`` a user sees: no hidden subtrees, no script/style."""
    if not _is_shown(el):
        return ""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(shown_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def shown(root, css_xpath: str) -> list:
    return [el for el in root.xpath(css_xpath) if _is_shown(el)]


def story_headlines(root) -> list:
    return [shown_text(h) for h in shown(root, "//article[contains(@class,'story')]//span[@class='headline']")]


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------

QUAKE = "Magnitude 6.1 earthquake strikes off the coast"
RATES = "Central bank holds interest rates steady"
SOLO = "A story only one site ran"


@pytest.fixture(scope="module")
def newsroom_page(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    out = newsroom(str(base / "out"))
    page = str(base / "report.html")
    summary = report.render_report(out, page)
    with open(page, encoding="utf-8") as fh:
        raw = fh.read()
    return {"out": out, "page": page, "summary": summary, "raw": raw, "base": base}


@pytest.fixture(scope="module")
def newsroom_dom(newsroom_page):
    return browser_dom(newsroom_page["page"], str(newsroom_page["base"] / "profile"))


def _days_dataset(root: str) -> str:
    """Three stories on three days, sizes 1..3, for date filters."""
    rows = []
    for i, day in enumerate(("2024-10-20", "2024-10-21", "2024-10-22")):
        t = dt.datetime.fromisoformat(day).replace(hour=8, tzinfo=UTC)
        for j in range(i + 1):
            rows.append(art(f"d{i}{j}", f"c{day}", f"site{j}.example", t + dt.timedelta(minutes=5 * j),
                            "original" if j == 0 else "copy", f"Story of {day}", similarity=0.9,
                            ingest_date=day))
    return write_dataset(root, rows, clusters_from(rows, {}), [])


# ---------------------------------------------------------------------------------------------
# In the browser
# ---------------------------------------------------------------------------------------------

def test_browser_shows_stories_sites_roles_and_timelines(newsroom_dom):
    root = newsroom_dom
    assert root.xpath("//body/@data-js") == ["ready"], "the page's own script did not run"
    assert story_headlines(root) == [QUAKE, RATES, HOSTILE_TITLE, SOLO]
    first = shown(root, "//article[@id='story-1']")[0]
    text = shown_text(first)
    assert "4 articles · 4 sites" in text
    chips = [shown_text(c) for c in first.xpath(".//*[contains(@class,'site-chip')]")]
    assert chips == ["reuters.com", "news-a.com", "news-b.com", "blog-c.net"]
    roles = [shown_text(r) for r in first.xpath(".//table//span[contains(@class,'role')]")]
    assert roles == ["original", "copy", "copy", "rewrite"]
    sims = [shown_text(td) for td in first.xpath(".//table//td[@class='num']")]
    assert sims == ["1.00", "0.97", "0.91", "0.42"]
    assert "2024-10-21 09:25 UTC" in text and "https://news-b.com/news/a3" in text
    # Timeline: one row per site, one dot per dated article, the original highlighted at the start.
    svg = first.xpath(".//*[local-name()='svg']")[0]
    labels = [t.xpath("string(./text())") for t in svg.xpath(".//*[local-name()='text'][@class='site']")]
    assert labels == ["reuters.com", "news-a.com", "news-b.com", "blog-c.net"]
    dots = svg.xpath(".//*[local-name()='circle']")
    assert len(dots) == 4
    originals = [d for d in dots if "original-dot" in d.get("class")]
    assert len(originals) == 1 and float(originals[0].get("cx")) == report._LEFT
    assert max(float(d.get("cx")) for d in dots) == report._W - report._RIGHT
    assert "spread over 3 h" in text
    # The undated single story says why it has no chart.
    assert "No published times" in shown_text(shown(root, "//article[@id='story-4']")[0])
    assert shown_text(root.get_element_by_id("page-info")) == "Stories 1–4 of 4"


def test_browser_shows_hostile_text_as_text_and_runs_none_of_it(newsroom_dom):
    root = newsroom_dom
    hostile = shown(root, "//article[@id='story-3']")[0]
    assert shown_text(hostile.xpath(".//span[@class='headline']")[0]) == HOSTILE_TITLE
    assert 'x.test"><b id="pwned-site">bold</b>' in [shown_text(c) for c in hostile.xpath(".//bdi")]
    # Nothing from the payloads became markup, and its script did not run.
    assert root.xpath("//*[@id='pwned' or @id='pwned-site']") == []
    assert root.xpath("//img | //b | //*[@onerror]") == []
    assert len(root.xpath("//script")) == 1
    assert root.xpath("string(//title)").startswith("storywire report")
    assert "PWNED" not in root.xpath("string(//title)")
    # The javascript: URL is shown, never linked.
    assert "javascript:document.title='PWNED3'" in shown_text(hostile)
    assert all(h.startswith("https://") for h in root.xpath("//a/@href"))


def test_browser_zero_clusters_page(tmp_path):
    out = write_dataset(str(tmp_path / "out"), [], [], [], empty_files=True)
    page = str(tmp_path / "r.html")
    summary = report.render_report(out, page)
    assert summary["clusters_total"] == 0 and summary["clusters_shown"] == 0
    root = browser_dom(page, str(tmp_path / "profile"))
    assert "No story clusters yet" in shown_text(root.get_element_by_id("empty"))
    assert root.xpath("//article") == []
    assert root.xpath("//body/@data-js") == ["ready"]
    assert shown_text(root.get_element_by_id("summary")) == "No story clusters to show."


def test_browser_site_filter_shows_only_that_sites_stories(tmp_path):
    out = newsroom(str(tmp_path / "out"))
    page = str(tmp_path / "r.html")
    summary = report.render_report(out, page, site="https://www.News-B.com/")
    assert (summary["clusters_shown"], summary["clusters_matching"], summary["clusters_total"]) == (1, 1, 4)
    root = browser_dom(page, str(tmp_path / "profile"))
    assert story_headlines(root) == [QUAKE]
    # The story is shown whole, not only the filtered site's article.
    assert len(shown(root, "//article[@id='story-1']//table/tbody/tr")) == 4
    summary_text = shown_text(root.get_element_by_id("summary"))
    assert "Showing 1 of 1 matching clusters (4 in the dataset)" in summary_text
    assert "site news-b.com" in shown_text(root.xpath("//header")[0])


def test_browser_pages_large_reports(tmp_path):
    rows = []
    for i in range(25):
        t = T0 + dt.timedelta(hours=i)
        rows += [art(f"p{i}a", f"cp{i:02d}", "origin.example", t, "original", f"Paged story {i:02d}"),
                 art(f"p{i}b", f"cp{i:02d}", "copier.example", t + dt.timedelta(minutes=3), "copy",
                     f"Paged story {i:02d}", similarity=0.9)]
    out = write_dataset(str(tmp_path / "out"), rows, clusters_from(rows, {}), [])
    page = str(tmp_path / "r.html")
    summary = report.render_report(out, page, limit=22)
    assert (summary["clusters_shown"], summary["clusters_matching"]) == (22, 25)
    root = browser_dom(page, str(tmp_path / "profile"))
    # Same size: most recent first; 20 on the first page, the other 2 hidden until "Next".
    assert story_headlines(root) == [f"Paged story {i:02d}" for i in range(24, 4, -1)]
    assert len(root.xpath("//article[@hidden]")) == 2
    assert shown_text(root.get_element_by_id("page-info")) == "Stories 1–20 of 22"
    assert "Showing 22 of 25 clusters" in shown_text(root.get_element_by_id("limit-note"))
    assert "narrow with --since/--site/--min-size" in shown_text(root.get_element_by_id("limit-note"))


# ---------------------------------------------------------------------------------------------
# The page's HTML and the filters
# ---------------------------------------------------------------------------------------------

def test_summary_order_and_merged_clusters(newsroom_page):
    assert newsroom_page["summary"] == {"clusters_shown": 4, "clusters_matching": 4, "clusters_total": 4,
                                        "articles_total": 10, "html_path": newsroom_page["page"]}
    raw = newsroom_page["raw"]
    assert re.findall(r'cluster <code>(\w+)</code>', raw) == ["cA", "cB", "cH", "cD"]
    story_b = lxml.html.fromstring(raw).get_element_by_id("story-2")
    assert "merged from 1 cluster" in story_b.text_content()
    roles = [r.text_content() for r in story_b.xpath(".//table//span[contains(@class,'role')]")]
    assert roles == ["original", "copy", "original of merged cluster"]
    assert [c.text_content() for c in story_b.xpath(".//*[contains(@class,'site-chip')]")] == [
        "reuters.com", "news-a.com", "news-d.org"]


def test_page_is_self_contained_and_escaped(newsroom_page):
    raw = newsroom_page["raw"]
    assert "<script>document" not in raw and "<img" not in raw and "<b " not in raw
    root = lxml.html.fromstring(raw)
    assert root.xpath("//*[@src or @srcset or @poster or @data] | //link | //iframe | //object | //embed") == []
    assert "@import" not in raw and "url(" not in raw
    assert all(h.startswith("https://") for h in root.xpath("//@href")), "only http(s) article links"
    scripts = re.findall(r"<script>(.*?)</script>", raw, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp


def test_min_size_and_date_filters(tmp_path):
    out = _days_dataset(str(tmp_path / "out"))
    page = str(tmp_path / "r.html")

    def headlines(**kw):
        summary = report.render_report(out, page, **kw)
        with open(page, encoding="utf-8") as fh:
            root = lxml.html.fromstring(fh.read())
        found = [h.text_content() for h in root.xpath("//span[@class='headline']")]
        assert summary["clusters_shown"] == len(found)
        return found

    assert headlines() == ["Story of 2024-10-22", "Story of 2024-10-21", "Story of 2024-10-20"]
    assert headlines(min_size=2) == ["Story of 2024-10-22", "Story of 2024-10-21"]
    assert headlines(until=dt.date(2024, 10, 21)) == ["Story of 2024-10-21", "Story of 2024-10-20"]
    assert headlines(since=dt.date(2024, 10, 21), until=dt.date(2024, 10, 21)) == ["Story of 2024-10-21"]
    assert headlines(since=dt.date(2024, 10, 23)) == []
    with open(page, encoding="utf-8") as fh:
        assert "No story clusters match these filters (since 2024-10-23)" in fh.read()


def test_articles_without_a_clusters_table(tmp_path):
    rows = [art("x1", "cx", "a.example", T0, "original", "Lonely wire story"),
            art("x2", "cx", "b.example", T0 + dt.timedelta(minutes=1), "copy", "Lonely wire story", similarity=0.9)]
    out = write_dataset(str(tmp_path / "out"), rows, [], [])
    summary = report.render_report(out, str(tmp_path / "r.html"))
    assert (summary["clusters_shown"], summary["articles_total"]) == (1, 2)
    with open(tmp_path / "r.html", encoding="utf-8") as fh:
        root = lxml.html.fromstring(fh.read())
    assert [h.text_content() for h in root.xpath("//span[@class='headline']")] == ["Lonely wire story"]
    assert len(root.xpath("//*[contains(@class,'original-dot')]")) == 1


def test_bad_arguments(tmp_path):
    out = newsroom(str(tmp_path / "out"))
    page = str(tmp_path / "r.html")
    with pytest.raises(ValueError):
        report.render_report(out, page, min_size=0)
    with pytest.raises(ValueError):
        report.render_report(out, page, limit=0)
    with pytest.raises(ValueError):
        report.render_report(out, page, since=dt.date(2024, 2, 1), until=dt.date(2024, 1, 1))
    with pytest.raises(FileNotFoundError):
        report.render_report(str(tmp_path / "missing"), page)
    assert not os.path.exists(page)


def test_cli_report(tmp_path, capsys):
    out = newsroom(str(tmp_path / "out"))
    page = str(tmp_path / "sub" / "report.html")
    assert cli.main(["report", out, "--html", page, "--min-size", "3", "--since", "2024-10-01"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {page}: 2 of 2 clusters matching the filters (4 in total)"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(page).st_mode & 0o777 == 0o666 & ~umask, "the page gets the usual file permissions"
    assert cli.main(["report", out, "--html", page, "--limit", "1"]) == 0
    assert "narrow with --since/--site/--min-size" in capsys.readouterr().out
    assert cli.main(["report", out, "--html", page, "--since", "2024-10-02", "--until", "2024-10-01"]) == 2
    assert "after until" in capsys.readouterr().err
    for bad in (["--since", "yesterday"], ["--min-size", "0"], ["--limt", "3"], []):
        with pytest.raises(SystemExit) as exc:
            cli.main(["report", out, *(["--html", page] if bad else []), *bad])
        assert exc.value.code == 2, bad


def test_site_filter_matches_host_and_its_subdomains_only(tmp_path):
    out = newsroom(str(tmp_path / "out"))
    page = str(tmp_path / "r.html")
    assert report.render_report(out, page, site="reuters.com")["clusters_shown"] == 2
    assert report.render_report(out, page, site="www.reuters.com")["clusters_shown"] == 2
    assert report.render_report(out, page, site="com")["clusters_shown"] == 2   # every *.com story
    assert report.render_report(out, page, site="b.com")["clusters_shown"] == 0  # not news-b.com
    assert report.render_report(out, page, site="news_b.com")["clusters_shown"] == 0


def test_stories_of_one_event_point_at_each_other(tmp_path):
    m = dt.timedelta(minutes=1)
    rows = [
        art("a1", "cA", "reuters.com", T0, "original", "Quake strikes coast", event_id="e1", event_role="original"),
        art("a2", "cA", "news-a.com", T0 + 5 * m, "copy", "Quake strikes coast", event_id="e1", event_role="copy"),
        art("b1", "cB", "blog.net", T0 + 60 * m, "original", "Residents describe the night the ground shook",
            event_id="e1", event_role="related"),
        art("z1", "cZ", "other.org", T0, "original", "Rates held", event_id="e2", event_role="original"),
    ]
    out = write_dataset(str(tmp_path / "d"), rows, clusters_from(rows, {}))
    page = str(tmp_path / "r.html")
    report.render_report(out, page)
    doc = lxml.html.parse(page).getroot()
    by_headline = {s.xpath(".//span[@class='headline']")[0].text_content(): s
                   for s in doc.xpath("//article[contains(@class, 'story')]")}
    quake = by_headline["Quake strikes coast"].xpath(".//div[@class='same-event']//li/bdi")
    assert [b.text_content() for b in quake] == ["Residents describe the night the ground shook"]
    assert "Quake strikes coast" in by_headline["Residents describe the night the ground shook"].xpath(
        ".//div[@class='same-event']")[0].text_content()
    assert not by_headline["Rates held"].xpath(".//div[@class='same-event']")
