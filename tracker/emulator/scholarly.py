"""Answers in the documented shapes of the arXiv API, JOSS feeds, Zenodo search
and Discourse topic lists, built from plain dicts (for ``emulator.sources``)."""

import json
from xml.sax.saxutils import escape, quoteattr

ATOM = "http://www.w3.org/2005/Atom"


def _matches(query, *texts):
    """arXiv/Zenodo query terms, loosely: every word (after a field prefix) appears."""
    words = [w.split(":", 1)[-1].strip('"').lower() for w in query.replace("+", " ").split()
             if w.upper() not in ("AND", "OR")]
    blob = " ".join(t or "" for t in texts).lower()
    return all(w in blob for w in words if w)


def arxiv_feed(papers, query, start, size, base_url):
    """An arXiv API answer: Atom with opensearch totals, entries newest first."""
    hits = sorted((p for p in papers if _matches(query, p["title"], p.get("summary"))),
                  key=lambda p: p["published"], reverse=True)
    page = hits[start:start + size]
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="{ATOM}" '
           'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
           'xmlns:arxiv="http://arxiv.org/schemas/atom">',
           f'<link href={quoteattr(base_url)} rel="self" type="application/atom+xml"/>',
           f"<title>arXiv Query: search_query={escape(query)}</title>",
           f"<id>{escape(base_url)}</id><updated>2026-01-01T00:00:00-05:00</updated>",
           f"<opensearch:totalResults>{len(hits)}</opensearch:totalResults>",
           f"<opensearch:startIndex>{start}</opensearch:startIndex>",
           f"<opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>"]
    for p in page:
        abs_url = f"http://arxiv.org/abs/{p['id']}v{p.get('version', 1)}"
        out.append(f"<entry><id>{escape(abs_url)}</id>"
                   f"<updated>{p.get('updated', p['published'])}</updated>"
                   f"<published>{p['published']}</published>"
                   f"<title>{escape(p['title'])}</title>"
                   f"<summary>{escape(p.get('summary', ''))}</summary>"
                   + "".join(f"<author><name>{escape(a)}</name></author>"
                             for a in p.get("authors", []))
                   + (f"<arxiv:doi>{escape(p['doi'])}</arxiv:doi>" if p.get("doi") else "")
                   + (f"<arxiv:journal_ref>{escape(p['journal_ref'])}</arxiv:journal_ref>"
                      if p.get("journal_ref") else "")
                   + f'<link href={quoteattr(abs_url)} rel="alternate" type="text/html"/>'
                   f'<link title="pdf" href={quoteattr(abs_url.replace("/abs/", "/pdf/"))} '
                   'rel="related" type="application/pdf"/>'
                   f'<arxiv:primary_category term="{escape(p.get("category", "cs.SE"))}" '
                   'scheme="http://arxiv.org/schemas/atom"/></entry>')
    out.append("</feed>\n")
    return "\n".join(out).encode()


def joss_feed(papers, title):
    """A JOSS Atom feed: one entry per paper, linked to its page (the DOI in the path)."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<feed xml:lang="en-US" xmlns="{ATOM}">',
           "<id>tag:joss.theoj.org,2005:/papers/published</id>",
           '<link rel="alternate" type="text/html" href="https://joss.theoj.org"/>',
           f"<title>{escape(title)}</title><updated>2026-01-01T00:00:00Z</updated>"]
    for n, p in enumerate(papers):
        page = f"https://joss.theoj.org/papers/{p['doi']}"
        out.append(f"<entry><id>tag:joss.theoj.org,2005:Paper/{p.get('number', n)}</id>"
                   f"<published>{p['published']}</published>"
                   f"<updated>{p.get('updated', p['published'])}</updated>"
                   f'<link rel="alternate" type="text/html" href={quoteattr(page)}/>'
                   f"<title>{escape(p['title'])}</title>"
                   f'<content type="html">{escape(p.get("summary", ""))}</content>'
                   + "".join(f"<author><name>{escape(a)}</name></author>"
                             for a in p.get("authors", []))
                   + f"<doi>https://doi.org/{escape(p['doi'])}</doi></entry>")
    out.append("</feed>\n")
    return "\n".join(out).encode()


def zenodo_search(records, query, page, size, base_url):
    """A Zenodo /api/records answer: hits.hits in the records' own shape, newest first."""
    hits = sorted((r for r in records if _matches(query, r["metadata"].get("title"),
                                                  r["metadata"].get("description"))),
                  key=lambda r: r["metadata"].get("publication_date", ""), reverse=True)
    chunk = hits[(page - 1) * size:page * size]
    links = {"self": f"{base_url}?q={query}&page={page}&size={size}"}
    if page * size < len(hits):
        links["next"] = f"{base_url}?q={query}&page={page + 1}&size={size}"
    return json.dumps({"hits": {"hits": chunk, "total": len(hits)}, "links": links}).encode()


def discourse_latest(topics, slug, category_id, page, size=30):
    """A Discourse /c/{slug}/{id}.json answer: the latest topics, 30 a page."""
    ordered = sorted(topics, key=lambda t: t.get("last_posted_at") or t["created_at"],
                     reverse=True)
    chunk = ordered[page * size:(page + 1) * size]
    topic_list = {"can_create_topic": False, "per_page": size, "topics": chunk}
    if (page + 1) * size < len(ordered):
        topic_list["more_topics_url"] = f"/c/{slug}/{category_id}/l/latest?page={page + 1}"
    return json.dumps({"users": [], "primary_groups": [], "topic_list": topic_list}).encode()
