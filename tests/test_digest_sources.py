""""Coming up" and "New papers" (#23) agree with their canned queries for two weeks,
with SQL written independently, and their .atom feeds parse; the digest shows them."""

import asyncio

import feedparser
import pytest
import sqlite_utils

from sampledb import HOSTILE, populate_sample
from tracker.digest import build_digests, collect, week_bounds, week_urls
from tracker.digest.events import upcoming_events_rows, when
from tracker.digest.papers import new_papers_rows
from tracker.publish import load_queries, make_datasette

WEEKS = ["2026-W23", "2026-W24"]


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sources") / "sample.db"
    populate_sample(sqlite_utils.Database(path)).close()
    return path


@pytest.fixture(scope="module")
def db(path):
    from tracker.db import open_db
    return open_db(sqlite_utils.Database(path))


def canned(db, name, week):
    return [r for r in db.query(load_queries()[name]["sql"], {"week": week})
            if not r["atom_id"].startswith(f"tracker:{name}:")]  # the placeholder row


INDEPENDENT_EVENTS = """
    select uid, recurrence_id from events
    where date(substr(dtstart, 1, 10)) between date(:end) and date(:end, '+13 days')
      and coalesce(status, '') <> 'CANCELLED' and missing_since is null
    order by dtstart, calendar, summary, uid"""
INDEPENDENT_PAPERS = """
    select id from papers where date(published) between date(:start) and date(:end, '-1 day')
    order by published, title, id"""


@pytest.mark.parametrize("week", WEEKS)
def test_coming_up_agrees_with_its_query(db, week):
    start, end = week_bounds(week)
    rows = upcoming_events_rows(db, start, end)
    keys = [(r["uid"], r["recurrence_id"]) for r in rows]
    assert keys == [(r["uid"], r["recurrence_id"]) for r in canned(db, "upcoming_events", week)]
    assert keys == [tuple(r) for r in db.execute(INDEPENDENT_EVENTS, {"end": end})]
    if week == "2026-W24":
        assert [r["summary"] for r in rows] == [
            "[synthetic] Sample call", "[synthetic] Sprint <script>alert(1)</script>",
            "[synthetic] Sample call (moved)"]
        assert rows[0]["when"] == "Tue 16 Jun 2026, 14:00 UTC (Tue 16 Jun 10:00 America/New_York)"
        assert rows[1]["when"] == "Sat 20 Jun 2026 – Sun 21 Jun 2026 (all day)"
        assert rows[1]["url"] is None  # javascript: dropped
    else:
        assert keys == [("call@sample.example", "2026-06-09T14:00:00Z"),
                        ("call@sample.example", "2026-06-16T14:00:00Z"),
                        ("sprint@sample.example", "")]


@pytest.mark.parametrize("week", WEEKS)
def test_new_papers_agrees_with_its_query(db, week):
    start, end = week_bounds(week)
    rows = new_papers_rows(db, start, end)
    ids = [r["id"] for r in rows]
    assert ids == [r["paper"] for r in canned(db, "new_papers", week)]
    assert ids == [r[0] for r in db.execute(INDEPENDENT_PAPERS, {"start": start, "end": end})]
    if week == "2026-W24":
        assert ids == ["arxiv:2606.00001", "doi:10.21105/joss.99999"]
        assert rows[0]["byline"] == "Sample Author, Other Author"
        assert rows[1]["byline"].endswith("et al.") and rows[1]["venue"].startswith("Journal")
        assert rows[1]["url"] == "https://doi.org/10.21105/joss.99999"  # javascript: dropped
    else:
        assert ids == ["zenodo:1"]


def test_all_day_and_zone_rendering():
    assert when({"dtstart": "2026-03-10T15:00:00Z", "tzid": "Europe/Berlin", "all_day": 0}) == \
        "Tue 10 Mar 2026, 15:00 UTC (Tue 10 Mar 16:00 Europe/Berlin)"
    assert when({"dtstart": "2026-03-10T15:00:00Z", "tzid": "Not/AZone", "all_day": 0}) == \
        "Tue 10 Mar 2026, 15:00 UTC"
    assert when({"dtstart": "2026-03-10", "dtend": "2026-03-11", "all_day": 1}) == \
        "Tue 10 Mar 2026 (all day)"


@pytest.mark.parametrize("week", WEEKS)
def test_atom_feeds_parse_and_match(path, db, week):
    async def run():
        ds = make_datasette(path)
        return {q: await ds.client.get(f"/{path.stem}/{q}.atom", params={"week": week})
                for q in ("upcoming_events", "new_papers")}
    pages = asyncio.run(run())
    for name, response in pages.items():
        assert response.status_code == 200, response.text[:300]
        feed = feedparser.parse(response.text)
        assert not feed.bozo, feed.bozo_exception
        assert [e.id for e in feed.entries] == [r["atom_id"] for r in canned(db, name, week)]
        for entry in feed.entries:
            assert entry.link.startswith("https://")
            assert "<script" not in entry.get("summary", "")


def test_the_digest_shows_both_sections(db):
    week = "2026-W24"
    data = collect(db, week)
    start, end = week_bounds(week)
    assert data["upcoming_events"] == upcoming_events_rows(db, start, end)
    assert data["new_papers"] == new_papers_rows(db, start, end)
    build_digests(db, week)
    row = db["digests"].get(week)
    html, md = row["content_html"], row["content_md"]
    assert '<h2 id="coming-up">Coming up' in html
    assert '<h2 id="papers-and-research">Papers and research' in html
    assert "## Coming up" in md and "## Papers and research" in md
    assert "/upcoming_events?week=2026-W24" in html and "/new_papers?week=2026-W24" in html
    for hostile in HOSTILE:
        assert hostile not in html
    assert "javascript:" not in html.split(">Coming up")[1].split("<h2", 2)[0]
    urls = week_urls(week, db_name="sample")
    assert urls["posts_this_week"].replace("posts_this_week", "new_papers") in html


def test_empty_sections_are_left_out(tmp_path):
    from tracker.db import open_db
    db = open_db(sqlite_utils.Database(tmp_path / "e.db"))
    assert upcoming_events_rows(db, "2026-06-08", "2026-06-15") == []
    from tracker.digest.events import _html
    assert _html([], {}) == []


def test_upcoming_events_ics_merges_the_calendars(path):
    import icalendar

    async def run():
        ds = make_datasette(path)
        return await ds.client.get(f"/{path.stem}/upcoming_events.ics",
                                   params={"week": "2026-W24"})
    ics = asyncio.run(run())
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(ics.content)
    events = cal.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [
        "[synthetic] Sample call", "[synthetic] Sprint <script>alert(1)</script>",
        "[synthetic] Sample call (moved)"]
    assert events[1]["DTSTART"].dt.isoformat() == "2026-06-20" and "URL" not in events[1]
    assert events[2]["DTSTART"].dt.isoformat() == "2026-06-24T14:00:00+00:00"
