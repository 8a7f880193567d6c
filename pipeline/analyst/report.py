"""``storywire report``: one self-contained HTML page of the story clusters in a dataset.

``render_report(output, html_path, ...)`` reads the dataset through
``pipeline.analyst.query.connect`` and writes a page with no external resources (inline
CSS, one small inline script, inline SVG):

* story clusters sorted by size, then by most recent activity;
* each with its canonical headline, the sites that carried it, every member's
  role, similarity, published time, site and URL, and a timeline chart (one row
  per site, a dot per article at its published time, the original highlighted);
* large datasets are filtered (``since``/``until``/``site``/``min_size``) and cut
  to ``limit`` clusters with a note saying so; the page pages through them
  client-side, 20 at a time, and shows all of them when scripts are off.

Every piece of dataset text is HTML-escaped, links are only made for http(s)
URLs, and a Content-Security-Policy allows only the page's own script (by hash),
so a hostile headline shows as text and cannot run. Clusters merged into
another (``merged_into``) are shown as part of the cluster they were merged into.

    storywire report out/ --html report.html --since 2024-10-01 --site example.com --min-size 2
"""
from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime as dt
import hashlib
import html
import logging
import os
import re
import sys
import tempfile
from typing import Dict, List, Optional, Sequence
from urllib.parse import urlsplit

import duckdb

from pipeline.analyst.query import connect

__all__ = ["render_report", "register", "StoryMember", "Story"]

_LOG = logging.getLogger(__name__)

#: Members listed in a story's table; the rest are counted in a note.
MAX_MEMBER_ROWS = 50
#: Members drawn on a timeline (earliest first) and site rows in it.
MAX_TIMELINE_DOTS = 300
MAX_TIMELINE_SITES = 25
#: Sites named in a story's "carried by" line.
MAX_SITES_LISTED = 30
#: Stories per client-side page.
PAGE_SIZE = 20

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclasses.dataclass
class StoryMember:
    article_id: str
    cluster_id: str
    source: Optional[str]
    site: Optional[str]
    url: Optional[str]
    title: Optional[str]
    role: Optional[str]
    similarity: Optional[float]
    published: Optional[dt.datetime]
    credited_source: Optional[str]
    is_original: bool


@dataclasses.dataclass
class Story:
    story_id: str
    size: int
    n_sites: int
    first_seen: Optional[dt.datetime]
    last_seen: Optional[dt.datetime]
    first_published: Optional[dt.datetime] = None
    last_published: Optional[dt.datetime] = None
    title: Optional[str] = None
    merged_ids: List[str] = dataclasses.field(default_factory=list)
    sites: List[tuple] = dataclasses.field(default_factory=list)   # (site, articles, first published)
    members: List[StoryMember] = dataclasses.field(default_factory=list)
    #: Other stories of the same news event (rewrites, independent reports): (story_id, headline, articles).
    same_event: List[tuple] = dataclasses.field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

# A cluster's story is the cluster it was (transitively) merged into; depth-capped against cycles.
_STORY_OF_SQL = """
CREATE OR REPLACE TEMP TABLE story_of AS
WITH RECURSIVE chain(cluster_id, story_id, depth) AS (
    SELECT cluster_id, cluster_id, 0 FROM clusters
    WHERE merged_into IS NULL OR merged_into = cluster_id
    UNION ALL
    SELECT c.cluster_id, chain.story_id, chain.depth + 1
    FROM clusters c JOIN chain ON c.merged_into = chain.cluster_id
    WHERE c.cluster_id <> chain.cluster_id AND chain.depth < 32
)
SELECT cluster_id, min(story_id) AS story_id FROM chain GROUP BY cluster_id
"""

_MEMBERS_SQL = """
SELECT coalesce(s.story_id, a.cluster_id) AS story_id, a.*
FROM articles a LEFT JOIN story_of s USING (cluster_id)
"""

_STORIES_SQL = f"""
CREATE OR REPLACE TEMP TABLE stories AS
SELECT story_id,
       count(DISTINCT article_id)                 AS size,
       count(DISTINCT site)                       AS n_sites,
       min(coalesce(published, ingested_at))      AS first_seen,
       max(coalesce(published, ingested_at))      AS last_seen,
       min(published)                             AS first_published,
       max(published)                             AS last_published,
       bool_or($site IS NOT NULL AND (lower(site) = $site OR ends_with(lower(site), '.' || $site))) AS has_site
FROM ({_MEMBERS_SQL}) m
GROUP BY story_id
"""

_FILTER = """
size >= $min_size
AND ($since IS NULL OR last_seen >= $since)
AND ($until IS NULL OR first_seen < $until)
AND ($site IS NULL OR has_site)
"""

_DETAIL_SQL = f"""
WITH picked AS (
    SELECT m.*, c.canonical_article_id
    FROM ({_MEMBERS_SQL}) m
    LEFT JOIN clusters c ON c.cluster_id = m.story_id
    WHERE m.story_id IN (SELECT story_id FROM selected)
    QUALIFY row_number() OVER (PARTITION BY m.article_id ORDER BY m.ingested_at DESC NULLS LAST) = 1
)
SELECT story_id, article_id, cluster_id, source, site, url, title, role, similarity, published, credited_source,
       coalesce(article_id = canonical_article_id,
                canonical_article_id IS NULL AND is_canonical AND cluster_id = story_id, false) AS is_original
FROM picked
QUALIFY row_number() OVER (PARTITION BY story_id
                           ORDER BY is_original DESC, published NULLS LAST, site, article_id) <= {MAX_TIMELINE_DOTS}
ORDER BY story_id, is_original DESC, published NULLS LAST, site, article_id
"""

_SITES_SQL = f"""
SELECT story_id, site, count(DISTINCT article_id) AS articles, min(published) AS first_published
FROM ({_MEMBERS_SQL}) m
WHERE story_id IN (SELECT story_id FROM selected)
GROUP BY story_id, site
ORDER BY story_id, first_published NULLS LAST, site
"""

# Stories that share a news event (articles.event_id) with a selected story, largest first.
_SAME_EVENT_SQL = f"""
WITH m AS ({_MEMBERS_SQL})
SELECT s.story_id, o.story_id,
       coalesce(any_value(o.title) FILTER (WHERE o.is_canonical), any_value(o.title)) AS headline,
       count(DISTINCT o.article_id) AS articles
FROM m s JOIN m o ON o.event_id = s.event_id AND o.story_id <> s.story_id
WHERE s.story_id IN (SELECT story_id FROM selected) AND s.event_id IS NOT NULL
GROUP BY s.story_id, o.story_id
ORDER BY s.story_id, articles DESC, o.story_id
"""

_CLUSTER_INFO_SQL = """
SELECT c.cluster_id, c.title,
       (SELECT list(k.cluster_id ORDER BY k.cluster_id) FROM story_of k
        WHERE k.story_id = c.cluster_id AND k.cluster_id <> c.cluster_id) AS merged_ids
FROM clusters c WHERE c.cluster_id IN (SELECT story_id FROM selected)
"""


def _normalise_site(site: Optional[str]) -> Optional[str]:
    if not site:
        return None
    site = site.strip().lower()
    if "://" in site:
        site = urlsplit(site).hostname or site
    return site[4:] if site.startswith("www.") else site


def _day_start(day: Optional[dt.date]) -> Optional[dt.datetime]:
    if day is None:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def _load(con: duckdb.DuckDBPyConnection, since: Optional[dt.date], until: Optional[dt.date],
          site: Optional[str], min_size: int, limit: int) -> dict:
    params = {"site": site, "min_size": min_size, "since": _day_start(since),
              # --until is inclusive: anything before the next day's midnight.
              "until": _day_start(until + dt.timedelta(days=1)) if until else None}
    con.execute(_STORY_OF_SQL)
    con.execute(_STORIES_SQL, {"site": site})
    total = con.execute("SELECT count(*) FROM stories").fetchone()[0]
    articles = con.execute("SELECT coalesce(sum(size), 0) FROM stories").fetchone()[0]
    matching = con.execute(f"SELECT count(*) FROM stories WHERE {_FILTER}", params).fetchone()[0]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE selected AS
        SELECT row_number() OVER (ORDER BY size DESC, last_seen DESC NULLS LAST, story_id) AS rank, *
        FROM stories WHERE {_FILTER}
        ORDER BY size DESC, last_seen DESC NULLS LAST, story_id
        LIMIT $limit""", {**params, "limit": limit})
    stories: Dict[str, Story] = {}
    for row in con.execute("SELECT story_id, size, n_sites, first_seen, last_seen, first_published, "
                           "last_published FROM selected ORDER BY rank").fetchall():
        stories[row[0]] = Story(*row)
    for cluster_id, title, merged_ids in con.execute(_CLUSTER_INFO_SQL).fetchall():
        stories[cluster_id].title = title
        stories[cluster_id].merged_ids = list(merged_ids or [])
    for story_id, site_name, count, first_published in con.execute(_SITES_SQL).fetchall():
        stories[story_id].sites.append((site_name, count, first_published))
    for row in con.execute(_DETAIL_SQL).fetchall():
        stories[row[0]].members.append(StoryMember(*row[1:]))
    for story_id, other, headline, count in con.execute(_SAME_EVENT_SQL).fetchall():
        stories[story_id].same_event.append((other, headline, count))
    return {"total": total, "matching": matching, "articles": articles, "stories": list(stories.values())}


# ---------------------------------------------------------------------------------------------
# Rendering helpers
# ---------------------------------------------------------------------------------------------

def _e(value) -> str:
    """Escape any dataset value for HTML text or a quoted attribute."""
    if value is None:
        return ""
    return html.escape(_CONTROL_CHARS.sub("", str(value)), quote=True)


def _clip(text: Optional[str], width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _fmt_time(value: Optional[dt.datetime], with_zone: bool = True) -> str:
    if value is None:
        return "undated"
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%d %H:%M") + (" UTC" if with_zone else "")


def _fmt_duration(seconds: float) -> str:
    seconds = abs(int(seconds))
    if seconds < 60:
        return "under a minute"
    minutes, hours, days = seconds // 60 % 60, seconds // 3600 % 24, seconds // 86400
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _site_label(site: Optional[str]) -> str:
    return site or "(unknown site)"


def _safe_href(url: Optional[str]) -> Optional[str]:
    """The URL if it is a plain http(s) link, else None (no javascript:, data:, ...)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def _role_class(role: Optional[str]) -> str:
    return role if role in ("original", "copy", "rewrite") else "other"


def _shown_role(m: "StoryMember") -> tuple:
    """(label, css class, similarity) as the page shows a member's role.

    The original of a cluster later merged into this story is not this story's
    original, and its stored similarity (1.0, to itself) says nothing here.
    """
    if m.role == "original" and not m.is_original:
        return "original of merged cluster", "other", None
    return m.role or "—", _role_class(m.role), m.similarity


# ---------------------------------------------------------------------------------------------
# Timeline chart
# ---------------------------------------------------------------------------------------------

_W, _LEFT, _RIGHT, _TOP, _ROW = 780, 200, 24, 26, 22


def _timeline_svg(story: Story) -> str:
    dated = [m for m in story.members if m.published is not None]
    undated = len(story.members) - len(dated)
    if not dated:
        return '<p class="note">No published times in this story, so no timeline.</p>'
    site_order = [s for s, _, first in story.sites if first is not None]
    rows = site_order[:MAX_TIMELINE_SITES]
    original = next((m for m in dated if m.is_original), None)
    if original is not None and original.site not in rows:
        # The original is the point of the chart: its row stays even when it is not among the earliest sites.
        keep = set(rows[:MAX_TIMELINE_SITES - 1]) | {original.site}
        rows = [s for s in site_order if s in keep]
    row_of = {site: i for i, site in enumerate(rows)}
    t0 = min(m.published for m in dated)
    t1 = max(m.published for m in dated)
    span = (t1 - t0).total_seconds()
    plot_w = _W - _LEFT - _RIGHT

    def x_of(t: dt.datetime) -> float:
        if span <= 0:
            return _LEFT + plot_w / 2
        return _LEFT + plot_w * (t - t0).total_seconds() / span

    height = _TOP + _ROW * len(rows) + 8
    parts = [f'<svg class="timeline" viewBox="0 0 {_W} {height}" width="{_W}" height="{height}" role="img" '
             f'aria-label="Timeline: published times of {len(dated)} articles across {len(rows)} sites">']
    # Time axis: ticks at quarters of the span, labelled shorter when the story spans one day.
    same_day = t0.date() == t1.date()
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if span > 0 else [0.5]
    for frac in ticks:
        t = t0 + dt.timedelta(seconds=span * frac)
        x = _LEFT + plot_w * frac
        if frac in (0.0, 1.0) or span <= 0:
            label = _fmt_time(t, with_zone=False)
        else:
            label = t.astimezone(dt.timezone.utc).strftime("%H:%M" if same_day else "%m-%d %H:%M")
        anchor = "start" if frac == 0.0 and span > 0 else "end" if frac == 1.0 else "middle"
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" y2="{height - 6}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{_TOP - 10}" text-anchor="{anchor}">{_e(label)}</text>')
    for i, site in enumerate(rows):
        y = _TOP + _ROW * i + _ROW / 2
        parts.append(f'<line class="row" x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text class="site" x="{_LEFT - 10}" y="{y + 4:.1f}" text-anchor="end">'
                     f'<title>{_e(_site_label(site))}</title>{_e(_clip(_site_label(site), 24))}</text>')
    # Originals last, so their highlighted dot is drawn on top.
    for m in sorted(dated, key=lambda m: m.is_original):
        if m.site not in row_of:
            continue
        y = _TOP + _ROW * row_of[m.site] + _ROW / 2
        label, role_cls, similarity = _shown_role(m)
        sim = "" if similarity is None else f", similarity {similarity:.2f}"
        tip = f"{_site_label(m.site)}: {label}{sim}, {_fmt_time(m.published)}"
        cls = "dot original-dot" if m.is_original else f"dot role-{role_cls}"
        radius = 7 if m.is_original else 5
        parts.append(f'<circle class="{cls}" cx="{x_of(m.published):.1f}" cy="{y:.1f}" r="{radius}">'
                     f'<title>{_e(tip)}</title></circle>')
    parts.append("</svg>")
    full_span = (story.last_published - story.first_published).total_seconds() \
        if story.first_published and story.last_published else span
    notes = [f"spread over {_fmt_duration(full_span)}" if full_span > 0 else "all published at the same time"]
    if len(site_order) > len(rows):
        notes.append(f"{len(site_order) - len(rows)} more sites not drawn")
    if undated:
        notes.append(f"{undated} undated article{'s' if undated != 1 else ''} not drawn")
    if len(story.members) < story.size:
        notes.append(f"earliest {len(story.members)} of {story.size} articles drawn")
    return "".join(parts) + f'<p class="note">{_e("; ".join(notes))}</p>'


# ---------------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------------

_CSS = """
:root { --fg:#1d2330; --muted:#5d6676; --line:#e3e6ec; --bg:#f6f7f9; --card:#fff;
        --orig:#d9480f; --copy:#1c7ed6; --rewrite:#7048e8; --other:#868e96; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--fg); background: var(--bg); }
header { padding: 20px 28px 12px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 22px; }
main { padding: 16px 28px 40px; max-width: 1100px; }
.meta, .note { color: var(--muted); margin: 4px 0; }
.note { font-size: 12.5px; }
.summary { margin: 8px 0 4px; font-weight: 600; }
.legend span { margin-right: 14px; white-space: nowrap; }
.lg-original { background: var(--orig); } .lg-copy { background: var(--copy); }
.lg-rewrite { background: var(--rewrite); }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px;
            vertical-align: -1px; }
#controls { margin-top: 10px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#controls input { padding: 5px 8px; min-width: 280px; border: 1px solid #c8cdd6; border-radius: 6px; font: inherit; }
#controls button { padding: 5px 12px; border: 1px solid #c8cdd6; border-radius: 6px; background: #fff; font: inherit;
                   cursor: pointer; }
#controls button:disabled { opacity: .45; cursor: default; }
.story { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px;
         margin: 0 0 16px; }
.story h2 { margin: 0 0 6px; font-size: 17px; line-height: 1.3; overflow-wrap: anywhere; }
.rank { color: var(--muted); font-weight: 400; margin-right: 6px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
         background: #edf2ff; color: #364fc7; margin-right: 6px; white-space: nowrap; }
.sites { margin: 6px 0; overflow-wrap: anywhere; }
.site-chip { display: inline-block; padding: 0 7px; margin: 2px 4px 2px 0; border-radius: 4px; background: #f1f3f5;
             font-size: 12.5px; }
svg.timeline { display: block; max-width: 100%; height: auto; margin: 8px 0 2px; }
svg .grid { stroke: #eef0f3; }
svg .row { stroke: #dde1e7; stroke-dasharray: 2 3; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .site { fill: var(--fg); font-size: 12px; }
svg .dot { fill-opacity: .85; stroke: #fff; stroke-width: 1; }
svg .role-copy { fill: var(--copy); }
svg .role-rewrite { fill: var(--rewrite); }
svg .role-original, svg .role-other { fill: var(--other); }
svg .original-dot { fill: var(--orig); stroke: #fff; stroke-width: 2; fill-opacity: 1; }
table { border-collapse: collapse; width: 100%; margin-top: 8px; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.when { white-space: nowrap; }
td.what { overflow-wrap: anywhere; }
td.what .url { color: var(--muted); font-size: 12px; display: block; }
a { color: #1864ab; text-decoration: none; }
a:hover { text-decoration: underline; }
.role { font-weight: 600; font-size: 12px; }
.role-original-t { color: var(--orig); }
.role-copy-t { color: var(--copy); }
.role-rewrite-t { color: var(--rewrite); }
.role-other-t { color: var(--other); }
tr.original-row td { background: #fff4e6; }
.empty { background: var(--card); border: 1px dashed #c8cdd6; border-radius: 10px; padding: 28px; font-size: 15px; }
"""

# Pages through the stories client-side and filters them by headline/site text. It only toggles
# ``hidden`` and sets textContent, so it never turns dataset text into markup.
_JS = """
(function () {
  var stories = Array.prototype.slice.call(document.querySelectorAll('article.story'));
  var controls = document.getElementById('controls');
  document.body.setAttribute('data-js', 'ready');
  if (!stories.length || !controls) { return; }
  var perPage = parseInt(controls.getAttribute('data-page-size'), 10) || 20;
  var box = document.getElementById('filter'), info = document.getElementById('page-info');
  var prev = document.getElementById('prev'), next = document.getElementById('next');
  var page = 0;
  function matching() {
    var q = box.value.trim().toLowerCase();
    return stories.filter(function (s) { return !q || s.getAttribute('data-search').indexOf(q) !== -1; });
  }
  function show() {
    var m = matching(), pages = Math.max(1, Math.ceil(m.length / perPage));
    if (page >= pages) { page = pages - 1; }
    stories.forEach(function (s) { s.hidden = true; });
    m.slice(page * perPage, (page + 1) * perPage).forEach(function (s) { s.hidden = false; });
    info.textContent = m.length
      ? 'Stories ' + (page * perPage + 1) + '\\u2013' + Math.min(m.length, (page + 1) * perPage) + ' of ' + m.length
      : 'No story matches the filter';
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  prev.addEventListener('click', function () { page -= 1; show(); window.scrollTo(0, 0); });
  next.addEventListener('click', function () { page += 1; show(); window.scrollTo(0, 0); });
  box.addEventListener('input', function () { page = 0; show(); });
  controls.hidden = false;
  show();
})();
"""


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_JS.encode("utf-8")).digest()).decode("ascii")
    # Only this page's script may run, nothing may load: defence in depth behind the escaping.
    return (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def _members_table(story: Story) -> str:
    rows = []
    for m in story.members[:MAX_MEMBER_ROWS]:
        label, role_cls, similarity = _shown_role(m)
        sim = "" if similarity is None else f"{similarity:.2f}"
        href = _safe_href(m.url)
        if href:
            url_html = (f'<a class="url" href="{_e(href)}" rel="noopener noreferrer nofollow">'
                        f'{_e(_clip(m.url, 110))}</a>')
        else:
            # No web link: show the URL as text, or where the document came from (a dump file).
            shown_as = m.url or m.source
            url_html = f'<span class="url">{_e(_clip(shown_as, 110))}</span>' if shown_as else ""
        credit = f' <span class="note">credits {_e(m.credited_source)}</span>' if m.credited_source else ""
        rows.append(
            f'<tr class="{"original-row" if m.is_original else "member-row"}">'
            f'<td><span class="role role-{role_cls}-t">{_e(label)}</span></td>'
            f'<td class="num">{_e(sim)}</td>'
            f'<td class="when">{_e(_fmt_time(m.published))}</td>'
            f'<td><bdi class="member-site">{_e(_site_label(m.site))}</bdi></td>'
            f'<td class="what"><bdi class="member-title">{_e(m.title or "(no headline)")}</bdi>{credit}{url_html}</td>'
            "</tr>")
    more = ""
    if story.size > MAX_MEMBER_ROWS:
        more = (f'<p class="note">{story.size - MAX_MEMBER_ROWS} more articles not listed; '
                f'storywire query lists them all (cluster_id {_e(story.story_id)}).</p>')
    return ('<table class="members"><thead><tr><th>Role</th><th>Similarity</th><th>Published</th>'
            '<th>Site</th><th>Article</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>" + more)


def _story_html(rank: int, story: Story) -> str:
    original = next((m for m in story.members if m.is_original), None)
    headline = story.title or (original.title if original else None) or next(
        (m.title for m in story.members if m.title), None) or "(untitled story)"
    site_names = [_site_label(s) for s, _, _ in story.sites]
    chips = "".join(f'<bdi class="site-chip">{_e(s)}</bdi>' for s in site_names[:MAX_SITES_LISTED])
    if len(site_names) > MAX_SITES_LISTED:
        chips += f' <span class="note">and {len(site_names) - MAX_SITES_LISTED} more</span>'
    search = " ".join([headline] + site_names).lower()
    sites_badge = f"{story.n_sites} site{'s' if story.n_sites != 1 else ''}" if story.n_sites else "site unknown"
    merged = f" · merged from {len(story.merged_ids)} cluster(s)" if story.merged_ids else ""
    when = (f"first published {_fmt_time(story.first_published)} · last {_fmt_time(story.last_published)}"
            if story.first_published else f"ingested {_fmt_time(story.first_seen)}")
    return (
        f'<article class="story" id="story-{rank}" data-search="{_e(search)}">'
        f'<h2 dir="auto"><span class="rank">#{rank}</span><span class="badge">{story.size} article'
        f'{"s" if story.size != 1 else ""} · {sites_badge}</span>'
        f'<span class="headline">{_e(headline)}</span></h2>'
        f'<p class="meta">{_e(when)} · cluster <code>{_e(story.story_id)}</code>{_e(merged)}</p>'
        f'<p class="sites">Carried by: {chips or "<span class=note>(no site recorded)</span>"}</p>'
        f"{_same_event_html(story)}{_timeline_svg(story)}{_members_table(story)}</article>")


def _same_event_html(story: Story) -> str:
    """The event's other stories: the same news told in other words (rewrites, independent reports)."""
    if not story.same_event:
        return ""
    items = "".join(
        f'<li><bdi dir="auto">{_e(_clip(headline, 120) or "(untitled story)")}</bdi> '
        f'<span class="note">{count} article{"s" if count != 1 else ""} · cluster <code>{_e(other)}</code></span></li>'
        for other, headline, count in story.same_event[:MAX_SITES_LISTED])
    more = (f'<li class="note">and {len(story.same_event) - MAX_SITES_LISTED} more</li>'
            if len(story.same_event) > MAX_SITES_LISTED else "")
    return f'<div class="same-event"><p>Same event, other stories:</p><ul>{items}{more}</ul></div>'



def _filters_text(since, until, site, min_size) -> str:
    parts = []
    if since:
        parts.append(f"since {since.isoformat()}")
    if until:
        parts.append(f"until {until.isoformat()}")
    if site:
        parts.append(f"site {site}")
    if min_size > 1:
        parts.append(f"at least {min_size} articles")
    return ", ".join(parts)


def _page(output: str, data: dict, since, until, site, min_size, limit) -> str:
    stories: List[Story] = data["stories"]
    shown, matching, total = len(stories), data["matching"], data["total"]
    filters = _filters_text(since, until, site, min_size)
    generated = dt.datetime.now(dt.timezone.utc)
    head = (f"Dataset <code>{_e(output)}</code> · {total:,} story clusters, {data['articles']:,} articles · "
            f"generated {_e(_fmt_time(generated))}" + (f" · filters: {_e(filters)}" if filters else ""))
    if not total:
        body = ('<p class="empty" id="empty">No story clusters yet: this dataset has no articles. '
                "Run <code>storywire run --output …</code> to ingest some, then render the report again.</p>")
        summary = "No story clusters to show."
    elif not matching:
        body = (f'<p class="empty" id="empty">No story clusters match these filters ({_e(filters)}). '
                f"The dataset has {total:,} clusters; widen --since/--until/--site/--min-size.</p>")
        summary = f"Showing 0 of {total:,} clusters."
    else:
        body = "".join(_story_html(i + 1, s) for i, s in enumerate(stories))
        of = f"{matching:,} matching clusters ({total:,} in the dataset)" if filters else f"{total:,} clusters"
        summary = f"Showing {shown:,} of {of}, largest first."
    notes = ""
    if shown < matching:
        notes = (f'<p class="note" id="limit-note">Showing {shown:,} of {matching:,} clusters (--limit {limit}); '
                 "narrow with --since/--site/--min-size, or raise --limit.</p>")
    legend = ('<p class="legend note"><span><i class="lg-original"></i>original</span>'
              '<span><i class="lg-copy"></i>copy (near-verbatim)</span>'
              '<span><i class="lg-rewrite"></i>rewrite</span>'
              "<span>Timeline: one row per site, one dot per article at its published time (UTC).</span></p>"
              if stories else "")
    controls = ("" if not stories else
                f'<div id="controls" hidden data-page-size="{PAGE_SIZE}">'
                '<input id="filter" type="search" placeholder="Filter by headline or site" aria-label="Filter">'
                '<button id="prev" type="button">&larr; Previous</button><span id="page-info"></span>'
                '<button id="next" type="button">Next &rarr;</button></div>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_csp())}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>storywire report: {shown} of {matching} story clusters</title>"
        f"<style>{_CSS}</style></head><body>"
        f'<header><h1>Story report</h1><p class="meta">{head}</p>'
        f'<p class="summary" id="summary">{_e(summary)}</p>{notes}{legend}{controls}</header>'
        f'<main id="stories">{body}</main>'
        f"<script>{_JS}</script></body></html>\n")


def _write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # Created exclusively under an unpredictable name (a planted symlink is never followed), then
    # given the usual umask permissions rather than mkstemp's 0600, as a plain open() would.
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def render_report(output: str, html_path: str, since: Optional[dt.date] = None, until: Optional[dt.date] = None,
                  site: Optional[str] = None, min_size: int = 1, limit: int = 200) -> dict:
    """Write the HTML story report of a dataset.

    Args:
        output: Dataset folder (``storywire run --output``).
        html_path: Where to write the page (replaced atomically).
        since: Only clusters with an article published (or, undated, ingested) on or after this day (UTC).
        until: Only clusters with an article on or before this day (UTC), inclusive.
        site: Only clusters carried by this site (host, ``www.`` ignored; subdomains match).
        min_size: Only clusters with at least this many articles.
        limit: At most this many clusters on the page (largest, then most recent, first).

    Returns:
        ``{"clusters_shown", "clusters_matching", "clusters_total", "articles_total", "html_path"}``.

    Raises:
        ValueError: Bad filter values.
        FileNotFoundError: ``output`` does not exist.
    """
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if since and until and since > until:
        raise ValueError(f"since {since} is after until {until}")
    site_key = _normalise_site(site)
    con = connect(output)
    try:
        data = _load(con, since, until, site_key, min_size, limit)
    finally:
        con.close()
    _write_atomically(html_path, _page(output, data, since, until, site_key, min_size, limit))
    summary = {"clusters_shown": len(data["stories"]), "clusters_matching": data["matching"],
               "clusters_total": data["total"], "articles_total": data["articles"], "html_path": html_path}
    _LOG.info("report %s: %s", html_path, summary)
    return summary


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------

def _date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from exc
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def cmd_report(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Handler of ``storywire report``; returns the exit code."""
    parser = args._report_parser
    # The top-level CLI tolerates unknown flags (they are Beam's for `run`); here a typo is an error.
    _, unknown = parser.parse_known_args(list(argv))
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        summary = render_report(args.output, args.html, since=args.since, until=args.until, site=args.site,
                                min_size=args.min_size, limit=args.limit)
    except (ValueError, FileNotFoundError, duckdb.Error) as exc:
        print(f"storywire report: {exc}", file=sys.stderr)
        return 2
    line = f"wrote {summary['html_path']}: {summary['clusters_shown']} of {summary['clusters_matching']} clusters"
    if summary["clusters_matching"] != summary["clusters_total"]:
        line += f" matching the filters ({summary['clusters_total']} in total)"
    print(line)
    if summary["clusters_shown"] < summary["clusters_matching"]:
        print("narrow with --since/--site/--min-size, or raise --limit, to see the rest")
    return 0


def register(sub) -> None:
    """Add the ``report`` sub-command to the ``storywire`` CLI's sub-parsers."""
    p = sub.add_parser(
        "report", help="Render the story clusters of a dataset as one self-contained HTML page.",
        description="Render story clusters (largest, then most recent, first) with their canonical headline, "
                    "the sites that carried them, each member's role, similarity and published time, and a "
                    "timeline of how the story spread. The page has no external resources.")
    p.add_argument("output", metavar="OUTPUT", help="Dataset folder written by `storywire run --output`.")
    p.add_argument("--html", required=True, metavar="FILE", help="Where to write the page, e.g. report.html.")
    p.add_argument("--since", type=_date_arg, metavar="YYYY-MM-DD",
                   help="Only stories with an article on or after this day (UTC).")
    p.add_argument("--until", type=_date_arg, metavar="YYYY-MM-DD",
                   help="Only stories with an article on or before this day (UTC).")
    p.add_argument("--site", metavar="HOST", help="Only stories carried by this site (e.g. example.com).")
    p.add_argument("--min-size", dest="min_size", type=_positive_int, default=1, metavar="N",
                   help="Only stories with at least N articles (default 1).")
    p.add_argument("--limit", type=_positive_int, default=200, metavar="N",
                   help="At most N stories on the page (default 200).")
    p.set_defaults(func=cmd_report, _report_parser=p)
