"""Static exports of stored digests: an Atom 1.0 feed and a standalone HTML page.

For hosting without Datasette (GitHub Pages, any static host). The Atom is
built with ElementTree, so every text node and attribute is XML-escaped by
the library; the HTML content goes in as ``type="html"`` text, as Atom wants.
"""

import xml.etree.ElementTree as ET

from ..safe import clean, esc, safe_url

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_ID = "tag:tracking-jupyter.github.io,2026:digest"
FEED_TITLE = "Tracking Jupyter: the weekly digest"
# A feed with no entries is valid Atom but needs an updated time; use a fixed
# one so an empty export is byte-for-byte stable.
EPOCH = "2026-01-01T00:00:00Z"


def atom_feed(rows, *, feed_url=None, site_url=None, title=FEED_TITLE, link=None,
              content=None, feed_id=FEED_ID):
    """Atom 1.0 XML for digest rows (newest first). ``link(row)`` and
    ``content(row)`` override the entry's page URL and HTML (the static site
    links its own pages); by default the stored ones, made absolute."""
    ET.register_namespace("", ATOM_NS)
    q = lambda tag: f"{{{ATOM_NS}}}{tag}"
    feed = ET.Element(q("feed"))
    ET.SubElement(feed, q("id")).text = feed_id
    ET.SubElement(feed, q("title")).text = title
    ET.SubElement(feed, q("updated")).text = max(
        (r["atom_updated"] for r in rows), default=EPOCH)
    author = ET.SubElement(feed, q("author"))
    ET.SubElement(author, q("name")).text = "Tracking Jupyter"
    ET.SubElement(feed, q("generator"), uri="https://github.com/jupyter").text = "tracker"
    if safe_url(feed_url):
        ET.SubElement(feed, q("link"), rel="self", href=feed_url)
    if safe_url(site_url):
        ET.SubElement(feed, q("link"), rel="alternate", href=site_url)
    for row in rows:
        # Stored rows were cleaned when built; cleaning again guards rows
        # written by older versions (ElementTree would write unparseable XML).
        entry = ET.SubElement(feed, q("entry"))
        ET.SubElement(entry, q("id")).text = clean(row["atom_id"])
        ET.SubElement(entry, q("title")).text = clean(row["title"])
        ET.SubElement(entry, q("updated")).text = row["atom_updated"]
        href = link(row) if link else _absolute(row["atom_link"], site_url)
        if href:
            ET.SubElement(entry, q("link"), rel="alternate", type="text/html", href=clean(href))
        # The counts are in the title already: a summary only when it adds something.
        summary = clean(row.get("headline") or "")
        if summary and summary not in clean(row["title"]):
            ET.SubElement(entry, q("summary")).text = summary
        html = content(row) if content else absolute_links(row["atom_content_html"], site_url)
        ET.SubElement(entry, q("content"), type="html").text = clean(html)
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        feed, encoding="unicode") + "\n"


def absolute_links(text, site_url, *, markdown=False):
    """Our site-relative links ('href="/tracker/..."', Markdown '](/...)') made
    absolute under ``site_url``; unchanged when no http(s) site is known."""
    site = safe_url(site_url)
    if not text or not site:
        return text
    site = site.rstrip("/")
    if markdown:
        return text.replace("](/", f"]({site}/")
    return text.replace('href="/', f'href="{esc(site)}/')


def _absolute(link, site_url):
    """Our stored links are site-relative ('/digest/2026-W47'): prefix the site."""
    if not link:
        return None
    if link.startswith("/") and safe_url(site_url):
        return site_url.rstrip("/") + link
    return link


def html_page(row, *, site_url=None):
    """A standalone, dependency-free HTML document for one week (links absolute
    under ``site_url`` when given; the static site has its own pages: site.py)."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(row["title"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto;
        padding: 0 1em; line-height: 1.45; color: #222; }}
blockquote {{ border-left: 4px solid #f37726; margin-left: 0; padding-left: 1em; }}
</style>
</head>
<body>
<h1>{esc(row["title"])}</h1>
{clean(absolute_links(row["content_html"], site_url))}
</body>
</html>
"""
