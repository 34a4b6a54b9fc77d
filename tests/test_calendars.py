"""Calendars (#23): recurrence expansion against hand-computed instances, overrides,
cancellations, all-day events, the window bound, updates and vanished instances."""

from datetime import datetime, timedelta, timezone

import sqlite_utils

from sources_helpers import COMMUNITY_ICS, JULY, MARCH
from tracker.db import open_db
from tracker.sources.calendars import AHEAD, BACK, calendar_rows, save_events

HUB = "hub-weekly@synthetic.example"
CAFE = "book-cafe@synthetic.example"


def rows(content=COMMUNITY_ICS, now=MARCH):
    return calendar_rows("community", content, now, tags=["community"]).rows


def by_uid(read_rows, uid):
    return {r["recurrence_id"]: r for r in read_rows if r["uid"] == uid}


def test_weekly_meeting_across_us_dst_change():
    # 08:00 America/Los_Angeles: PST (UTC-8) until Sunday 8 March 2026, then PDT (UTC-7).
    hub = by_uid(rows(), HUB)
    assert hub["2026-03-03T16:00:00Z"]["dtstart"] == "2026-03-03T16:00:00Z"
    assert hub["2026-03-03T16:00:00Z"]["dtend"] == "2026-03-03T17:00:00Z"
    assert hub["2026-03-10T15:00:00Z"]["dtstart"] == "2026-03-10T15:00:00Z"
    assert hub["2026-03-10T15:00:00Z"]["tzid"] == "America/Los_Angeles"


def test_monthly_cafe_across_eu_dst_change_with_vtimezone():
    # 17:00 Europe/Berlin (the calendar's own VTIMEZONE): CET until 29 March 2026, then CEST.
    cafe = by_uid(rows(), CAFE)
    assert [r["dtstart"] for r in sorted(cafe.values(), key=lambda r: r["dtstart"])] == [
        "2026-02-04T16:00:00Z", "2026-03-04T16:00:00Z", "2026-04-01T15:00:00Z",
        "2026-05-06T15:00:00Z", "2026-06-03T15:00:00Z"]


def test_overridden_exdated_and_cancelled_instances():
    hub = by_uid(rows(), HUB)
    moved = hub["2026-03-17T15:00:00Z"]  # RECURRENCE-ID is the original start
    assert moved["dtstart"] == "2026-03-18T16:00:00Z"  # Wednesday 09:00 PDT
    assert moved["summary"].endswith("(moved to Wednesday)")
    assert "2026-03-24T15:00:00Z" not in hub  # EXDATE
    assert hub["2026-03-31T15:00:00Z"]["status"] == "CANCELLED"
    assert hub["2026-03-10T15:00:00Z"]["status"] == "CONFIRMED"
    description = hub["2026-03-10T15:00:00Z"]["description"]
    assert description.startswith("Open to everyone: agenda in the HackMD") and "<" not in description


def test_all_day_and_single_events():
    sprint = [r for r in rows() if r["uid"] == "sprint@synthetic.example"]
    assert len(sprint) == 1
    assert sprint[0]["dtstart"] == "2026-03-20" and sprint[0]["all_day"] == 1
    assert sprint[0]["recurrence_id"] == "" and sprint[0]["tzid"] is None
    con = [r for r in rows(now=JULY) if r["uid"] == "jupytercon@synthetic.example"]
    assert [(r["dtstart"], r["dtend"], r["recurrence_id"]) for r in con] == [
        ("2026-07-28", "2026-07-31", "")]


def test_rdate_adds_an_instance():
    call = by_uid(rows(now=JULY), "community-call@synthetic.example")
    assert "2026-08-06T16:00:00Z" in call and "2026-07-28T16:00:00Z" in call


def test_expansion_is_bounded_to_the_window():
    endless = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:daily\r\n"
               b"DTSTART:20000101T120000Z\r\nRRULE:FREQ=DAILY\r\nSUMMARY:forever\r\n"
               b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    got = rows(endless)
    first, last = (MARCH - BACK), (MARCH + AHEAD)
    assert len(got) == (AHEAD + BACK).days
    assert min(r["dtstart"] for r in got) >= first.strftime("%Y-%m-%d")
    assert max(r["dtstart"] for r in got) < last.strftime("%Y-%m-%dT%H:%M:%SZ")
    hub = by_uid(rows(), HUB)  # weekly, no end: Tuesdays 20 Jan .. 2 Jun, minus the EXDATE
    assert len(hub) == 20 - 1


def test_moved_cancelled_and_vanished_instances_are_updated():
    db = open_db(sqlite_utils.Database(memory=True))
    first = calendar_rows("community", COMMUNITY_ICS, MARCH)
    assert save_events(db, "community", first, MARCH)[0] == len(first.rows)
    changed = (COMMUNITY_ICS.decode()
               .replace("DTSTART;TZID=America/Los_Angeles:20260318T090000",
                        "DTSTART;TZID=America/Los_Angeles:20260319T090000")
               .replace("DTEND;TZID=America/Los_Angeles:20260318T100000",
                        "DTEND;TZID=America/Los_Angeles:20260319T100000")
               .replace("EXDATE;TZID=America/Los_Angeles:20260324T080000",
                        "EXDATE;TZID=America/Los_Angeles:20260324T080000,20260407T080000"))
    changed = changed.replace("BEGIN:VEVENT\nUID:sprint@synthetic.example", "BEGIN:VX\nUID:s")
    changed = changed.replace("SUMMARY:[synthetic] Documentation sprint day\nEND:VEVENT",
                              "SUMMARY:x\nEND:VX")
    later = MARCH + timedelta(days=1)
    second = calendar_rows("community", changed.encode(), later)
    new, updated, vanished = save_events(db, "community", second, later)
    assert (updated, vanished) == (1, 2)

    def row(uid, rid):
        return db["events"].get(("community", uid, rid))
    assert row(HUB, "2026-03-17T15:00:00Z")["dtstart"] == "2026-03-19T16:00:00Z"
    assert row(HUB, "2026-04-07T15:00:00Z")["missing_since"] == "2026-03-16T00:00:00Z"
    assert row("sprint@synthetic.example", "")["missing_since"] == "2026-03-16T00:00:00Z"
    assert row(HUB, "2026-03-31T15:00:00Z")["status"] == "CANCELLED"
    # Rows before the window are history: kept as they were, never marked.
    db["events"].insert({**row(HUB, "2026-03-10T15:00:00Z"), "recurrence_id": "2025-01-07",
                         "dtstart": "2025-01-07T16:00:00Z"})
    save_events(db, "community", second, later)
    assert row(HUB, "2025-01-07")["missing_since"] is None
    # Back again: no longer missing.
    save_events(db, "community", first, later)
    assert row("sprint@synthetic.example", "")["missing_since"] is None


def test_event_text_is_clean_and_links_are_http_only():
    ics = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nBEGIN:VEVENT\r\nUID:x\r\n"
           b"DTSTART:20260316T120000Z\r\nSUMMARY:Call \x1b[31mred\r\nURL:javascript:alert(1)\r\n"
           b"DESCRIPTION:<script>alert(1)</script><p>Hi</p>\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    (row,) = rows(ics)
    assert row["summary"] == "Call red" and row["url"] is None
    assert "<" not in row["description"]
    assert datetime.fromisoformat(row["dtstart"].replace("Z", "+00:00")).tzinfo == timezone.utc
