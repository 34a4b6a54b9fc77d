"""The digest's "New papers": papers first published in the digest's week.

``new_papers_rows(db, start, end)`` is a pure read: ``papers.published`` in
``[start, end)``, with authors and venue, oldest first. The canned query
``new_papers`` selects the same papers (tests hold them to it).
"""

import json

from ..safe import clean, esc, safe_url
from .events import _with_urls
from .markdown import md
from .sections import EXTRA_SECTIONS, DigestSection

LIMIT = 20
AUTHORS = 4


def authors_line(authors):
    """'A, B, C et al.' (at most four names)."""
    names = [clean(a) for a in authors if isinstance(a, str) and a.strip()]
    if len(names) > AUTHORS:
        return ", ".join(names[:3]) + " et al."
    return ", ".join(names)


def new_papers_rows(db, start, end):
    """Papers first published in [start, end) (plain data)."""
    rows = []
    for r in db.query(
            "select id, doi, arxiv_id, title, authors, published, venue, url, sources, "
            "synthetic from papers where published >= :start and published < :end "
            "order by published, title, id", {"start": start, "end": end}):
        row = {k: clean(v) if isinstance(v, str) else v for k, v in r.items()}
        for name in ("authors", "sources"):
            try:
                value = json.loads(row[name] or "[]")
            except ValueError:
                value = []
            row[name] = [v for v in value if isinstance(v, str)] if isinstance(value, list) \
                else []
        row["url"] = safe_url(row["url"]) or (
            f"https://doi.org/{row['doi']}" if row["doi"] and safe_url(
                f"https://doi.org/{row['doi']}") else None)
        row["byline"] = authors_line(row["authors"])
        rows.append(row)
    return rows


def _html(rows, urls):
    if not rows:
        return []
    out = [f'<h2>New papers <small>(<a href="{esc(urls["new_papers"])}">all</a>)</small></h2>',
           "<ul>"]
    for r in rows[:LIMIT]:
        title = esc(r["title"])
        link = f'<a href="{esc(r["url"])}">{title}</a>' if r["url"] else title
        out.append(f"<li>{link}" + (f" — {esc(r['byline'])}" if r["byline"] else "")
                   + (f" <em>({esc(r['venue'])})</em>" if r["venue"] else "") + "</li>")
    if len(rows) > LIMIT:
        out.append(f'<li>… and <a href="{esc(urls["new_papers"])}">'
                   f"{len(rows) - LIMIT} more</a></li>")
    return out + ["</ul>"]


def _markdown(rows, urls):
    if not rows:
        return []
    out = [f"## New papers ([all]({urls['new_papers']}))", ""]
    for r in rows[:LIMIT]:
        title = f"[{md(r['title'])}](<{r['url']}>)" if r["url"] else md(r["title"])
        out.append(f"- {title}" + (f" — {md(r['byline'])}" if r["byline"] else "")
                   + (f" *({md(r['venue'])})*" if r["venue"] else ""))
    if len(rows) > LIMIT:
        out.append(f"- … and [{len(rows) - LIMIT} more]({urls['new_papers']})")
    return out


# Until the themed-sections mechanism (#21) calls new_papers_rows itself.
EXTRA_SECTIONS.append(DigestSection("new_papers", new_papers_rows,
                                    _with_urls(_html), _with_urls(_markdown)))
