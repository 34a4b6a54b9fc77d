"""Zenodo record searches -> paper records (https://developers.zenodo.org/).

``GET {zenodo_url}?q=QUERY&sort=mostrecent&size=N&page=P`` answers JSON:
``{"hits": {"hits": [record, ...], "total": N}, "links": {"next": ...}}``.
A record related to a paper DOI (``isIdenticalTo``, ``isSupplementTo``: a
JOSS paper's archive) carries that DOI, so it joins the paper's row; its own
DOI is kept for matching. Paced like every host (Zenodo allows 60 requests a
minute to anonymous clients).
"""

import json

from ...safe import clean, plain, safe_url
from ..http import SourceError, fetch
from .identity import PaperRecord, arxiv_base, normalize_doi

PAGE_SIZE = 25
MAX_PAGES = 2
SAME_PAPER = {"isidenticalto", "issupplementto"}


def fetch_zenodo_page(client, base_url, query, page, *, pacing, counter, size=PAGE_SIZE):
    fetched = fetch(client, base_url, params={"q": query, "sort": "mostrecent", "size": size,
                                              "page": page},
                    pacing=pacing, counter=counter, accept="application/json")
    try:
        data = json.loads(fetched.content)
        hits = data["hits"]["hits"]
        total = int(data["hits"].get("total") or 0)
    except (ValueError, KeyError, TypeError):
        raise SourceError("not a Zenodo search answer (JSON with hits.hits)") from None
    if not isinstance(hits, list):
        raise SourceError("not a Zenodo search answer (hits.hits is not a list)")
    return total, hits, bool((data.get("links") or {}).get("next"))


def zenodo_records(hits):
    """Paper records of one page of Zenodo hits (pure)."""
    records = []
    for hit in hits:
        if not isinstance(hit, dict) or not isinstance(hit.get("metadata"), dict):
            continue
        meta = hit["metadata"]
        own = normalize_doi(hit.get("doi") or meta.get("doi"))
        paper_doi, arxiv_id = None, None
        for rel in meta.get("related_identifiers") or []:
            if not isinstance(rel, dict):
                continue
            scheme = str(rel.get("scheme") or "").lower()
            if scheme == "arxiv" or str(rel.get("identifier", "")).lower().startswith("arxiv:"):
                arxiv_id = arxiv_id or arxiv_base(str(rel.get("identifier")))
            elif scheme == "doi" and str(rel.get("relation", "")).lower() in SAME_PAPER:
                paper_doi = paper_doi or normalize_doi(rel.get("identifier"))
        kind = (meta.get("resource_type") or {}).get("type")
        journal = (meta.get("journal") or {}).get("title")
        links = hit.get("links") or {}
        records.append(PaperRecord(
            source="zenodo", source_id=str(hit.get("id") or own),
            title=plain(meta.get("title")) or "(untitled)",
            published=str(meta.get("publication_date") or "")[:10] or None,
            authors=tuple(plain(c.get("name")) for c in meta.get("creators") or []
                          if isinstance(c, dict) and c.get("name")),
            abstract=plain(meta.get("description")) or None,
            doi=paper_doi or own, arxiv_id=arxiv_id,
            venue=clean(journal) or (f"Zenodo ({kind})" if kind else "Zenodo"),
            url=safe_url(links.get("self_html") or links.get("html")) or (
                f"https://doi.org/{own}" if own else None),
            also=(own,) if own and paper_doi else (),
        ))
    return records


def harvest_zenodo(db, client, base_url, query, *, pacing, counter, save, known,
                   max_pages=MAX_PAGES):
    seen = 0
    for page in range(1, max_pages + 1):
        total, hits, more = fetch_zenodo_page(client, base_url, query, page, pacing=pacing,
                                              counter=counter)
        records = zenodo_records(hits)
        old = all(known(r) for r in records)  # asked before saving the page
        save(records)
        seen += len(records)
        if not more or not hits or old:
            break
    return seen
