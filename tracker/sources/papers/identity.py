"""Which paper is which: one ``papers`` row per paper, whatever the sources.

Identity (``paper_id``): ``doi:<lowercased DOI>`` when there is one, else
``arxiv:<id without version>``, else ``<source>:<source id>``. Each source's
view of a paper is kept as a *record* (``papers.records``, JSON keyed by
``source:source id``) and the row is merged from its records, so a later
answer from one source never overwrites what a better source said:
title, authors, abstract, url and venue come from JOSS, then arXiv, then
Zenodo; ``published`` is the earliest date any source gives.

The same paper seen through two sources becomes one row: an arXiv preprint
whose entry later carries the JOSS DOI, a Zenodo deposit related to a JOSS DOI
(``isIdenticalTo``/``isSupplementTo``: its ``doi`` is the paper's, its own
DOI goes in ``also``) or to an arXiv id. When a record links
two stored rows (a row kept under its arXiv id that now has a DOI) they are
merged into one under the better identity.
"""

import json
import re
from dataclasses import asdict, dataclass, field

RANK = ("joss", "arxiv", "zenodo")
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?\s*(10\.\d{4,9}/\S+)$", re.I)
_ARXIV = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|arxiv:)?((?:\d{4}\.\d{4,5})|(?:[a-z-]+(?:\.[A-Z]{2})?/\d{7}))"
                    r"(?:v\d+)?(?:\.pdf)?$", re.I)


@dataclass(frozen=True)
class PaperRecord:
    """One source's view of a paper (pure data, from the *_records functions)."""

    source: str  # arxiv | joss | zenodo
    source_id: str
    title: str
    published: str | None  # YYYY-MM-DD
    authors: tuple = ()
    abstract: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    venue: str | None = None
    url: str | None = None
    also: tuple = field(default=())  # the source's own other DOIs (Zenodo's), matched only

    @property
    def key(self):
        return f"{self.source}:{self.source_id}"


def normalize_doi(value):
    """'10.21105/joss.01234' (lowercased) from a DOI, doi: or https://doi.org/ form."""
    if not isinstance(value, str):
        return None
    m = _DOI.match(value.strip())
    return m[1].lower().rstrip(".") if m else None


def arxiv_base(value):
    """'2401.01234' from 'http://arxiv.org/abs/2401.01234v2', 'arXiv:2401.01234' ..."""
    if not isinstance(value, str):
        return None
    m = _ARXIV.search(value.strip())
    return m[1] if m else None


def paper_id(doi, arxiv_id, source, source_id):
    if doi:
        return f"doi:{doi}"
    if arxiv_id:
        return f"arxiv:{arxiv_id}"
    return f"{source}:{source_id}"


def merge(records):
    """The ``papers`` columns for a list of PaperRecord dicts (one paper)."""
    ranked = sorted(records, key=lambda r: (RANK.index(r["source"]) if r["source"] in RANK
                                            else len(RANK), r["source_id"]))

    def first(name):
        return next((r[name] for r in ranked if r.get(name)), None)

    doi = first("doi")
    arxiv_id = first("arxiv_id")
    dates = [r["published"] for r in ranked if r.get("published")]
    top = ranked[0]
    return {
        "id": paper_id(doi, arxiv_id, top["source"], top["source_id"]),
        "doi": doi, "arxiv_id": arxiv_id, "title": first("title"),
        "authors": json.dumps(list(first("authors") or [])),
        "abstract": first("abstract"), "published": min(dates) if dates else None,
        "venue": first("venue"), "url": first("url"),
        "sources": json.dumps(sorted({r["source"] for r in ranked},
                                     key=lambda s: RANK.index(s) if s in RANK else 9)),
    }


def _links(record):
    dois = [d for d in [record.doi, *record.also] if d]
    return dois, record.arxiv_id


def save_papers(db, records, now_iso, *, synthetic=False):
    """Merge each record into its paper's row; return (new, updated)."""
    new = updated = 0
    for record in records:
        dois, arxiv_id = _links(record)
        marks = ",".join("?" * len(dois)) or "null"
        found = list(db.query(
            f"select * from papers where id = ? or doi in ({marks}) "
            "or (arxiv_id is not null and arxiv_id = ?) "
            "or exists (select 1 from json_each(case when json_valid(records) then records "
            "else '{}' end) where key = ?)",
            [paper_id(record.doi, record.arxiv_id, record.source, record.source_id), *dois,
             arxiv_id, record.key]))
        records_of = {}
        for row in found:
            records_of.update(json.loads(row["records"] or "{}"))
        records_of[record.key] = _jsonable(record)
        row = merge(list(records_of.values()))
        row["records"] = json.dumps(records_of, sort_keys=True)
        row["first_seen_at"] = min([r["first_seen_at"] for r in found if r["first_seen_at"]]
                                   or [now_iso])
        row["synthetic"] = int(synthetic or any(r["synthetic"] for r in found))
        if not found:
            new += 1
        elif len(found) > 1 or any(found[0].get(k) != v for k, v in row.items()):
            updated += 1
        for old in found:
            if old["id"] != row["id"]:
                db["papers"].delete(old["id"])
        db["papers"].upsert(row, pk="id")
    return new, updated


def _jsonable(record):
    data = asdict(record)
    data["authors"], data["also"] = list(record.authors), list(record.also)
    return data
