"""``.ics`` for event-shaped queries: the tracked calendars merged, as iCalendar.

Any query returning ``calendar``, ``uid``, ``recurrence_id``, ``dtstart`` and
``summary`` (the ``upcoming_events`` canned query) gets an ``.ics`` URL: one
VEVENT per instance (a row), times in UTC, all-day events as dates, only
http(s) URLs. Registered through ``tracker.datasette_plugin``.
"""

import hashlib
from datetime import date, datetime, timezone

import icalendar
from datasette import Response, hookimpl

from .safe import clean, safe_url

NEEDED = {"calendar", "uid", "recurrence_id", "dtstart", "summary"}


def _when(value):
    if not value:
        return None
    try:
        if len(value) <= 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def events_ics(rows, *, name="Tracked Jupyter calendars"):
    """iCalendar bytes for rows shaped like the events table (pure)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//tracker//upcoming events//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for row in rows:
        start = _when(row.get("dtstart"))
        if row.get("uid") is None or start is None:
            continue  # the feed's placeholder row, or a bad date
        key = f"{row.get('calendar')}\n{row['uid']}\n{row.get('recurrence_id')}"
        event = icalendar.Event()
        event.add("uid", hashlib.sha256(key.encode()).hexdigest()[:32] + "@tracker")
        event.add("dtstamp", datetime(2026, 1, 1, tzinfo=timezone.utc))
        event.add("dtstart", start)
        end = _when(row.get("dtend"))
        if end is not None and type(end) is type(start) and end > start:
            event.add("dtend", end)
        event.add("summary", clean(row.get("summary")) or "(untitled)")
        if row.get("location"):
            event.add("location", clean(row["location"]))
        url = safe_url(row.get("url"))
        if url:
            event.add("url", url)
        if row.get("calendar"):
            event.add("categories", [clean(row["calendar"])])
        cal.add_component(event)
    return cal.to_ical()


def _can_render(columns):
    return NEEDED <= set(columns)


async def _render(columns, rows):
    body = events_ics([dict(zip(columns, row)) for row in rows])
    return Response(body, content_type="text/calendar; charset=utf-8")


@hookimpl
def register_output_renderer(datasette):
    return {"extension": "ics", "render": _render, "can_render": _can_render}
