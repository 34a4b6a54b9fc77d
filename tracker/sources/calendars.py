"""Calendars (iCalendar) -> ``events``: one row per instance in a bounded window.

``fetch_calendar`` is HTTP only; ``calendar_rows`` parses with ``icalendar`` and
expands recurrences (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, VTIMEZONE
and IANA zones) with ``recurring-ical-events`` between ``window(now)``'s
bounds, so an RRULE without end yields weeks of instances, not an infinity;
``save_events`` writes. A bad VEVENT (no DTSTART, a TZID neither IANA nor
defined by a VTIMEZONE, FREQ=SECONDLY/MINUTELY) is left out with one error for
the calendar, and its stored instances are kept as they were. A document that
is not iCalendar at all (an HTML page) stores nothing.

Updates: an instance present again is rewritten (moved: new DTSTART under the
same RECURRENCE-ID; cancelled: ``status`` CANCELLED); a stored instance inside
the window that the calendar no longer has gets ``missing_since``.

Conditional GET: a 304 saves the download, but the window moves every day, so
a calendar is read in full again when its last full read is a week old.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import icalendar
import recurring_ical_events

from ..safe import clean, plain, safe_url
from .http import SourceError, fetch

BACK = timedelta(weeks=8)
AHEAD = timedelta(weeks=12)
MAX_INSTANCES = 5000  # per calendar and window; far above any community calendar
REREAD = timedelta(days=7)
ACCEPT = "text/calendar, */*;q=0.1"
TOO_FREQUENT = {"SECONDLY", "MINUTELY"}


@dataclass
class CalendarRead:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # one string per bad VEVENT
    bad_uids: set = field(default_factory=set)  # their stored rows are kept


def window(now):
    """(start, end) aware UTC datetimes: 8 weeks back, 12 weeks ahead of now."""
    return now - BACK, now + AHEAD


def iso_utc(value):
    """'YYYY-MM-DDTHH:MM:SSZ' for a datetime (naive = UTC), 'YYYY-MM-DD' for a date."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


# -- fetch (network only) ---------------------------------------------------------

def fetch_calendar(client, url, state, *, pacing, counter, now):
    """GET the calendar, conditionally while its last full read is under a week old."""
    fresh = state and state.get("updated_at") and \
        state["updated_at"] >= iso_utc(now - REREAD)
    return fetch(client, url, pacing=pacing, counter=counter, accept=ACCEPT,
                 etag=state.get("etag") if fresh else None,
                 last_modified=state.get("last_modified") if fresh else None)


# -- rows (pure) --------------------------------------------------------------------

def calendar_rows(name, content, now, *, tags=(), synthetic=False):
    """Parse an iCalendar document and expand it over ``window(now)``.

    Returns CalendarRead; raises SourceError when the document is not iCalendar."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    if not text.lstrip("\ufeff \r\n\t").upper().startswith("BEGIN:VCALENDAR"):
        kind = "an HTML page" if "<html" in text[:2000].lower() else "something else"
        raise SourceError(f"not an iCalendar document (got {kind})")
    try:
        cal = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as e:
        raise SourceError(f"not a valid iCalendar document: {e}") from None
    read = CalendarRead()
    for event in list(cal.walk("VEVENT")):
        problem = _problem(event)
        if problem:
            uid = str(event.get("UID") or "?")
            read.errors.append(f"event {uid!r} left out: {problem}")
            read.bad_uids.add(uid)
            _remove(cal, event)
    # recurring-ical-events gives every instance a RECURRENCE-ID, single events too.
    series = {str(e.get("UID")) for e in cal.walk("VEVENT")
              if any(e.get(k) is not None for k in ("RRULE", "RDATE", "RECURRENCE-ID"))}
    start, end = window(now)
    try:
        # between(), not after(): after() walks every instance since DTSTART (7 s for a
        # daily event from 2000), between() jumps to the window. With SECONDLY and
        # MINUTELY rules left out, a window holds at most ~3,400 instances per event.
        instances = recurring_ical_events.of(cal).between(start, end)
    except Exception as e:  # a malformed rule the libraries reject: the whole document
        raise SourceError(f"cannot expand the calendar: {type(e).__name__}: {e}") from None
    if len(instances) > MAX_INSTANCES:
        raise SourceError(f"more than {MAX_INSTANCES} instances in the window "
                          f"{iso_utc(start)[:10]} .. {iso_utc(end)[:10]}")
    for instance in instances:
        read.rows.append(event_row(name, instance, tags=tags, synthetic=synthetic,
                                   series=str(instance.get("UID")) in series))
    return read


def _problem(event):
    start = event.get("DTSTART")
    if start is None:
        return "no DTSTART"
    tzid = start.params.get("TZID")
    if isinstance(start.dt, datetime) and start.dt.tzinfo is None and tzid:
        return f"unknown time zone TZID={tzid}"
    for rule in _rules(event):
        freq = [str(f).upper() for f in rule.get("FREQ", [])]
        if TOO_FREQUENT & set(freq):
            return f"RRULE FREQ={freq[0]} is not a calendar event's rhythm"
    return None


def _rules(event):
    rules = event.get("RRULE")
    if rules is None:
        return []
    return rules if isinstance(rules, list) else [rules]


def _remove(cal, event):
    for component in [cal] + list(cal.walk("VCALENDAR")):
        if event in component.subcomponents:
            component.subcomponents.remove(event)


def _tzid(value, prop):
    if not isinstance(value, datetime):
        return None
    if prop is not None and prop.params.get("TZID"):
        return str(prop.params["TZID"])
    if value.tzinfo is None:
        return None
    key = getattr(value.tzinfo, "key", None) or getattr(value.tzinfo, "zone", None)
    return key or ("UTC" if value.utcoffset() == timedelta(0) else None)


def event_row(name, instance, *, tags=(), synthetic=False, series=False):
    """One instance (as recurring-ical-events yields it) -> an ``events`` row."""
    begin = instance["DTSTART"].dt
    all_day = not isinstance(begin, datetime)
    end = instance.get("DTEND").dt if instance.get("DTEND") is not None else None
    recurrence = instance.get("RECURRENCE-ID") if series else None
    recurrence_id = iso_utc(recurrence.dt) if recurrence is not None else (
        iso_utc(begin) if series else "")
    # Not DTSTAMP: Google stamps every event with the export time.
    stamp = instance.get("LAST-MODIFIED") or instance.get("CREATED")
    status = str(instance.get("STATUS") or "CONFIRMED").upper()
    return {
        "calendar": name,
        "uid": str(instance.get("UID") or f"{iso_utc(begin)} {instance.get('SUMMARY')}"),
        "recurrence_id": recurrence_id,
        "dtstart": iso_utc(begin),
        "dtend": iso_utc(end) if end is not None else None,
        "tzid": _tzid(begin, instance.get("DTSTART")),
        "all_day": int(all_day),
        "summary": clean(str(instance.get("SUMMARY") or "")) or "(untitled)",
        "location": clean(str(instance.get("LOCATION") or "")) or None,
        "url": safe_url(str(instance.get("URL") or "")),
        "description": plain(str(instance.get("DESCRIPTION") or "")) or None,
        "status": status if status in ("CONFIRMED", "TENTATIVE", "CANCELLED") else "CONFIRMED",
        "tags": json.dumps(list(tags)),
        "updated_at": iso_utc(stamp.dt) if stamp is not None and hasattr(stamp, "dt") else None,
        "missing_since": None,
        "synthetic": int(bool(synthetic)),
    }


# -- writes -------------------------------------------------------------------------

def save_events(db, name, read, now):
    """Upsert the read instances; mark stored ones in the window that vanished.

    Returns (new, updated, vanished)."""
    start, end = (iso_utc(t) for t in window(now))
    stamp = iso_utc(now)
    pk = ("calendar", "uid", "recurrence_id")
    stored = {(r["calendar"], r["uid"], r["recurrence_id"]): r for r in db.query(
        "select * from events where calendar = ?", [name])}
    seen, new, updated = set(), 0, 0
    changed = []
    for row in read.rows:
        key = tuple(row[k] for k in pk)
        if key in seen:
            continue
        seen.add(key)
        old = stored.get(key)
        if old is None:
            new += 1
            changed.append(row)
        elif any(old.get(k) != v for k, v in row.items()):
            updated += 1
            changed.append(row)
    if changed:
        db["events"].upsert_all(changed, pk=pk)
    vanished = [key for key, old in stored.items()
                if key not in seen and old["uid"] not in read.bad_uids
                and old["missing_since"] is None and start[:10] <= old["dtstart"] < end]
    for key in vanished:
        db["events"].update(key, {"missing_since": stamp})
    return new, updated, len(vanished)
