"""The digest as a static site: ``tracker site --output DIR``.

For hosts without Datasette (GitHub Pages, any web server, a file:// browse):

    DIR/index.html        every week, newest first: title, headline numbers, link
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
.archive small { color: #555; }
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


def _document(title, body, *, feed_title="Tracking Jupyter: the weekly digest"):
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="stylesheet" href="style.css">
<link rel="alternate" type="application/atom+xml" title="{esc(feed_title)}" href="{FEED}">
</head>
<body>
{body}
</body>
</html>
"""


def index_page(rows, *, today):
    items = "".join(
        f'<li><a href="{page_name(r["week"])}">{esc(r["title"])}</a>'
        + (" <strong>(in progress)</strong>" if r["period_end"] >= today else "")
        + f'<br><small>{esc(r["period_start"])} – {esc(r["period_end"])}'
        + (f' · {esc(r["headline"])}' if r.get("headline") else "") + "</small></li>\n"
        for r in rows)
    body = ("<h1>Tracking Jupyter: the weekly digest</h1>\n"
            "<p>One digest per ISO week (Monday to Sunday, UTC), written from the harvest. "
            f'<a href="{FEED}">Subscribe to the Atom feed</a> (complete weeks only).</p>\n'
            + (f'<ul class="archive">\n{items}</ul>' if rows else "<p>No digest yet.</p>"))
    return _document("Tracking Jupyter: every weekly digest", body)


def week_page(row, prev, next_, *, today, datasette_url=None):
    nav = ('<nav class="weeks">'
           + (f'<a rel="prev" href="{page_name(prev)}">← {esc(prev)}</a>' if prev else "")
           + '<a rel="index" href="index.html">All weeks</a>'
           + (f'<a rel="next" href="{page_name(next_)}">{esc(next_)} →</a>' if next_ else "")
           + f'<a href="{FEED}">Subscribe (Atom)</a></nav>')
    running = ('<p class="running"><strong>In progress:</strong> this week is still running; '
               "the digest changes with every harvest and reaches the feed once the week is "
               "over.</p>\n" if row["period_end"] >= today else "")
    body = (f"{nav}\n<h1>{esc(row['title'])}</h1>\n{running}"
            f"{clean(static_links(row['content_html'], datasette_url))}\n{nav}")
    return _document(row["title"], body)


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
                         "order by week desc"))
    written = []

    def write(name, text):
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)

    write("style.css", STYLE)
    write("index.html", index_page(rows, today=today))
    for i, row in enumerate(rows):
        next_ = rows[i - 1]["week"] if i > 0 else None
        prev = rows[i + 1]["week"] if i + 1 < len(rows) else None
        write(page_name(row["week"]),
              week_page(row, prev, next_, today=today, datasette_url=datasette_url))
    feed_rows = complete_digests(db, now=now, limit=feed_weeks)
    write(FEED, atom_feed(
        feed_rows, site_url=(site + "/") if site else None,
        feed_url=f"{site}/{FEED}" if site else None,
        link=lambda r: f"{site}/{page_name(r['week'])}" if site else page_name(r["week"]),
        content=lambda r: static_links(r["atom_content_html"], datasette_url)))
    return written
