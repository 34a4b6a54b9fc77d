"""JOSS Atom feeds (published papers, or one tag's) -> paper records.

``https://joss.theoj.org/papers/published.atom`` and
``https://joss.theoj.org/papers/tagged/TAG.atom``: one entry per paper, its
link the paper page ``/papers/10.21105/joss.NNNNN`` (the DOI), a ``<doi>``
element too. A feed repeating an entry is stored once, with an error saying
so; an HTML page instead of a feed is an error and stores nothing.
"""

import re

import feedparser

from ...safe import plain, safe_url
from ..http import SourceError, fetch
from .identity import PaperRecord, normalize_doi

ACCEPT = "application/atom+xml, application/xml;q=0.9, */*;q=0.1"
VENUE = "Journal of Open Source Software"
_DOI_IN_URL = re.compile(r"/papers/(10\.\d{4,9}/[^/?#\s]+)")


def fetch_joss(client, url, state, *, pacing, counter):
    return fetch(client, url, pacing=pacing, counter=counter, accept=ACCEPT,
                 etag=state.get("etag"), last_modified=state.get("last_modified"))


def joss_records(content):
    """(records, duplicates) of a JOSS feed (pure); SourceError when it is no feed."""
    parsed = feedparser.parse(content)
    if not parsed.get("version") or (parsed.bozo and not parsed.entries):
        raise SourceError("not an Atom feed (an HTML page?)")
    records, seen, duplicates = [], set(), []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        doi = normalize_doi(entry.get("doi")) or (
            normalize_doi(_DOI_IN_URL.search(link)[1]) if _DOI_IN_URL.search(link) else None)
        source_id = doi or entry.get("id") or link
        if not source_id:
            continue
        if source_id in seen:
            duplicates.append(source_id)
            continue
        seen.add(source_id)
        records.append(PaperRecord(
            source="joss", source_id=source_id,
            title=plain(entry.get("title")) or "(untitled)",
            published=(entry.get("published") or entry.get("updated") or "")[:10] or None,
            authors=tuple(plain(a.get("name")) for a in entry.get("authors", [])
                          if a.get("name")),
            abstract=plain(entry.get("summary")) or None,
            doi=doi, venue=VENUE,
            url=safe_url(link) or (f"https://doi.org/{doi}" if doi else None),
        ))
    return records, duplicates
