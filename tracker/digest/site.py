"""The digest as a static site: ``tracker site --output DIR``.

For hosts without Datasette (GitHub Pages, any web server, a file:// browse):

    DIR/index.html        the latest week, then this year's weeks (quiet ones folded);
                          index-2025.html ... the other years
    DIR/2026-W47.html     one page per week, with previous / next / index / feed links
    DIR/digest.atom       the feed: the latest complete weeks (``feed_weeks``)
    DIR/style.css

Every link between these files is relative, so the site works under any path
(a GitHub Pages project site lives under /NAME/). The digest's "all" links point
at Datasette's canned queries, which a static host does not have: they become
absolute under ``datasette_url`` when one is given, else plain text. The feed's
links are absolute when ``base_url`` (or TRACKER_BASE_URL) is known.
"""

import re
from pathlib import Path

from markupsafe import Markup

from ..safe import clean, esc, safe_url
from .atom import atom_feed
from .build import FEED_WEEKS, _utcnow, base_url_from_env, complete_digests

FEED = "digest.atom"
STYLE = """body { font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; color: #222; }
blockquote { border-left: 4px solid #f37726; margin-left: 0; padding-left: 1em; }
nav a { margin-right: 1em; }
.running { background: #fff3cd; padding: 0.5em 1em; }
.archive li { margin-bottom: 0.6em; list-style: none; }
.archive small, .quiet { color: #555; }
.latest { border-left: 4px solid #f37726; padding: 0.2em 1em; margin: 1em 0; }
nav.years a { margin-right: 0.8em; }
h2 { border-bottom: 1px solid #eee; }
li { margin-bottom: 0.4em; }
"""
_OWN_LINK = re.compile(r'<a href="(/[^"]*)">(.*?)</a>')


def page_name(week):
    return f"{week}.html"


def static_links(html, datasette_url=None):
    """Our site-relative links (Datasette queries) made absolute, or plain text."""
    site = (safe_url(datasette_url) or "").rstrip("/")
    if site:
        return _OWN_LINK.sub(lambda m: f'<a href="{esc(site)}{m[1]}">{m[2]}</a>', html)
    return _OWN_LINK.sub(lambda m: m[2], html)


FEED_TITLE = "Tracking Jupyter: the weekly digest"


def _render(name, **context):
    from .render import _HTML

    return _HTML.get_template(name).render(feed=FEED, feed_title=FEED_TITLE, **context)


def archive_entries(rows):
    """Rows (newest first) with runs of quiet weeks folded into one entry each."""
    out = []
    for r in rows:
        quiet = bool(r.get("quiet")) or r.get("section_count") == 0
        if quiet and out and out[-1]["quiet"]:
            out[-1].update(first=r["week"], n=out[-1]["n"] + 1)
            continue
        out.append({**r, "quiet": quiet, "first": r["week"], "n": 1})
    return out


def index_pages(rows, *, today):
    """{file name: HTML}: index.html holds the latest year, index-YEAR.html the others."""
    for r in rows:
        r["running"] = r["period_end"] >= today
    years = sorted({r["week"][:4] for r in rows}, reverse=True) or [""]
    pages = {y: "index.html" if i == 0 else f"index-{y}.html" for i, y in enumerate(years)}
    loud = [r for r in rows if not (r.get("quiet") or r.get("section_count") == 0)]
    latest = loud[0] if loud else (rows[0] if rows else None)
    out = {}
    for i, year in enumerate(years):
        entries = archive_entries([r for r in rows if r["week"][:4] == year])
        out[pages[year]] = _render(
            "site_index.html", title="Tracking Jupyter: every weekly digest", latest=latest,
            entries=entries, years=years, year=year, pages=pages,
            older=years[i + 1] if i + 1 < len(years) else None,
            newer=years[i - 1] if i > 0 else None)
    return out


def index_page(rows, *, today):
    return index_pages(rows, today=today)["index.html"]


def week_page(row, prev, next_, *, today, datasette_url=None):
    return _render("site_week.html", title=row["title"], row=row, prev=prev, next=next_,
                   running=row["period_end"] >= today,
                   content=Markup(clean(static_links(row["content_html"], datasette_url))))


def write_site(db, output, *, base_url=None, datasette_url=None, feed_weeks=FEED_WEEKS,
               now=None):
    """Write the static site into ``output`` (created if needed); returns the
    list of files written (Paths). Only stored digests are published."""
    now = now or _utcnow()
    today = now.date().isoformat()
    site = base_url_from_env(base_url)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    rows = list(db.query("select * from digests where content_html is not null "
                         "and coalesce(period, 'week') = 'week' order by week desc"))
    written = []

    def write(name, text):
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("style.css", STYLE)
    for name, text in index_pages(rows, today=today).items():
        write(name, text)
    for i, row in enumerate(rows):
        next_ = rows[i - 1]["week"] if i > 0 else None
        prev = rows[i + 1]["week"] if i + 1 < len(rows) else None
        write(page_name(row["week"]),
              week_page(row, prev, next_, today=today, datasette_url=datasette_url))
    feed_rows = complete_digests(db, now=now, limit=feed_weeks, quiet=False)
    write(FEED, atom_feed(
        feed_rows, site_url=(site + "/") if site else None,
        feed_url=f"{site}/{FEED}" if site else None,
        link=lambda r: f"{site}/{page_name(r['week'])}" if site else page_name(r["week"]),
        content=lambda r: static_links(r["atom_content_html"], datasette_url)))
    return written
