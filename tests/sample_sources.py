"""Calendars, papers and Discourse topics for the sample database (#23), all made up.

For ``LATEST_WEEK`` (2026-W24) "Coming up" covers 15-28 June 2026: three
instances of a weekly call (America/New_York), a cancelled fourth and a
vanished fifth that must not show, an all-day sprint; one event after the
window. "New papers" in W24: two papers (one with hostile title and link),
one in W23.
"""

import json

from sampledb import XSS_LINK, XSS_SCRIPT

CAL = "sample-calendar"


def _event(uid, rid, start, end, **extra):
    row = {"calendar": CAL, "uid": uid, "recurrence_id": rid, "dtstart": start, "dtend": end,
           "tzid": "America/New_York", "all_day": 0, "summary": "[synthetic] Sample call",
           "location": None, "url": "https://example.org/call", "description": None,
           "status": "CONFIRMED", "tags": '["community"]', "updated_at": "2026-06-01T00:00:00Z",
           "missing_since": None, "synthetic": 1}
    row.update(extra)
    return row


def events():
    call = "call@sample.example"
    return [
        _event(call, "2026-06-09T14:00:00Z", "2026-06-09T14:00:00Z", "2026-06-09T15:00:00Z"),
        _event(call, "2026-06-16T14:00:00Z", "2026-06-16T14:00:00Z", "2026-06-16T15:00:00Z"),
        _event(call, "2026-06-23T14:00:00Z", "2026-06-24T14:00:00Z", "2026-06-24T15:00:00Z",
               summary="[synthetic] Sample call (moved)"),
        _event(call, "2026-06-30T14:00:00Z", "2026-06-30T14:00:00Z", "2026-06-30T15:00:00Z"),
        _event(call, "2026-06-26T14:00:00Z", "2026-06-26T14:00:00Z", "2026-06-26T15:00:00Z",
               status="CANCELLED"),
        _event(call, "2026-06-19T14:00:00Z", "2026-06-19T14:00:00Z", "2026-06-19T15:00:00Z",
               missing_since="2026-06-10T00:00:00Z"),
        _event("sprint@sample.example", "", "2026-06-20", "2026-06-22", all_day=1, tzid=None,
               summary=f"[synthetic] Sprint {XSS_SCRIPT}", url=XSS_LINK,
               location="<b>Room</b> & hall"),
    ]


def papers():
    def paper(pid, title, published, **extra):
        row = {"id": pid, "doi": None, "arxiv_id": None, "title": title,
               "authors": '["Sample Author", "Other Author"]', "abstract": "[synthetic]",
               "published": published, "venue": "arXiv (cs.SE)",
               "url": "https://arxiv.org/abs/2606.00001", "sources": '["arxiv"]',
               "first_seen_at": published + "T12:00:00Z", "synthetic": 1, "records": "{}"}
        row.update(extra)
        return row
    return [
        paper("arxiv:2606.00001", "[synthetic] Notebooks at scale", "2026-06-09",
              arxiv_id="2606.00001"),
        paper("doi:10.21105/joss.99999", f"[synthetic] A tool {XSS_SCRIPT}", "2026-06-12",
              doi="10.21105/joss.99999", url=XSS_LINK, venue="Journal of Open Source Software",
              sources='["joss", "zenodo"]', authors=json.dumps([XSS_SCRIPT, "A", "B", "C", "D"])),
        paper("zenodo:1", "[synthetic] Workshop materials", "2026-06-03", venue="Zenodo (lesson)",
              url="https://zenodo.org/records/1", sources='["zenodo"]'),
    ]


def populate_sources(db):
    with db.conn:
        db["events"].upsert_all(events(), pk=("calendar", "uid", "recurrence_id"))
        db["papers"].upsert_all(papers(), pk="id")
    return db
