"""arXiv API queries -> paper records (https://info.arxiv.org/help/api/).

The API answers Atom with ``opensearch:totalResults``; results are paged with
``start``/``max_results`` and sorted newest first (``sortBy=submittedDate``).
Its terms ask for one request every 3 seconds (the host's pacer in
``sources.http``), and it sometimes answers a page with zero entries although
``totalResults`` says there are more: such a page is asked again, then it is
an error (nothing stored changes). A daily run reads pages until one holds
only papers already stored, at most ``MAX_PAGES``.
"""

import feedparser

from ...safe import clean, plain, safe_url
from ..http import SourceError, fetch
from .identity import PaperRecord, arxiv_base, normalize_doi

PAGE_SIZE = 50
MAX_PAGES = 4
ACCEPT = "application/atom+xml, */*;q=0.1"


def _total(parsed):
    value = parsed.feed.get("opensearch_totalresults")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_page(content):
    """(total, parsed) for an API answer; SourceError when it is not the API's Atom."""
    parsed = feedparser.parse(content)
    total = _total(parsed)
    if total is None or parsed.get("version", "") != "atom10":
        raise SourceError("not an arXiv API answer (no Atom feed with opensearch:totalResults)")
    return total, parsed


def fetch_arxiv_page(client, base_url, query, start, *, pacing, counter, size=PAGE_SIZE):
    """One page of a query, its empty-page answers retried; returns (total, parsed)."""
    params = {"search_query": query, "start": start, "max_results": size,
              "sortBy": "submittedDate", "sortOrder": "descending"}

    def empty(fetched):
        try:
            total, parsed = parse_page(fetched.content)
        except SourceError:
            return False
        return not parsed.entries and total > start

    fetched = fetch(client, base_url, params=params, pacing=pacing, counter=counter,
                    accept=ACCEPT, retry_if=empty)
    total, parsed = parse_page(fetched.content)
    if not parsed.entries and total > start:
        raise SourceError(f"zero entries although totalResults is {total}")
    return total, parsed


def arxiv_records(parsed):
    """Paper records of one API page (pure)."""
    records = []
    for entry in parsed.entries:
        arxiv_id = arxiv_base(entry.get("id", ""))
        if not arxiv_id:
            continue
        links = {link.get("rel"): link.get("href") for link in entry.get("links", [])}
        category = (entry.get("arxiv_primary_category") or {}).get("term")
        journal = clean(entry.get("arxiv_journal_ref"))
        records.append(PaperRecord(
            source="arxiv", source_id=arxiv_id,
            title=plain(entry.get("title")) or "(untitled)",
            published=(entry.get("published") or "")[:10] or None,
            authors=tuple(plain(a.get("name")) for a in entry.get("authors", [])
                          if a.get("name")),
            abstract=plain(entry.get("summary")) or None,
            doi=normalize_doi(entry.get("arxiv_doi")),
            arxiv_id=arxiv_id,
            venue=journal or (f"arXiv ({category})" if category else "arXiv"),
            url=safe_url(links.get("alternate")) or f"https://arxiv.org/abs/{arxiv_id}",
        ))
    return records


def harvest_arxiv(db, client, base_url, query, *, pacing, counter, save, known,
                  max_pages=MAX_PAGES):
    """Page through a query newest first; ``save(records)`` per page. Returns records seen."""
    seen, start = 0, 0
    for _ in range(max_pages):
        total, parsed = fetch_arxiv_page(client, base_url, query, start, pacing=pacing,
                                         counter=counter)
        records = arxiv_records(parsed)
        old = all(known(r) for r in records)  # asked before saving the page
        save(records)
        seen += len(records)
        start += len(parsed.entries)
        if start >= total or not parsed.entries or old:
            break
    return seen
