"""The one definition of "the week": ISO 8601 weeks, Monday to Sunday, UTC.

Python code (the digest, the Datasette plugin) calls these functions; SQL gets
the same rule as ``week_start(x)`` and ``iso_week(x)``, registered on every
connection the project opens (``tracker.safe.register_sql_functions``), so a
canned query, a chart and a digest section cannot disagree about where a week
begins or what it is called. ``x`` is an ISO week id ('2026-W47'), a date
('2026-11-18') or a timestamp ('2026-11-18T10:00:00Z'); SQL gets NULL for
anything else, Python a ``WeekError``.
"""

import re
from datetime import date, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})([T ].*)?$")


class WeekError(ValueError):
    """Not a week: a malformed id, a week its year does not have, a bad date."""


def parse_week(text):
    """The Monday (a date) of an ISO week id such as '2026-W47', or of the week
    of a date such as '2026-11-18' (a timestamp's date part is read)."""
    text = text.strip() if isinstance(text, str) else text
    m = _WEEK.match(text) if isinstance(text, str) else None
    if not m:
        d = _DATE.match(text) if isinstance(text, str) else None
        if d:
            try:
                day = date.fromisoformat(d[1])
            except ValueError:
                raise WeekError(f"{text!r} is not a date") from None
            return day - timedelta(day.weekday())
        raise WeekError(f"week must look like 2026-W47 or a date in it, not {text!r}")
    try:
        return date.fromisocalendar(int(m[1]), int(m[2]), 1)
    except ValueError:
        raise WeekError(f"{text!r} is not a week: year {m[1]} has no week {m[2]}") from None


def week_id(day):
    """'2026-W47' for a date (ISO year and week number)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week):
    """(start, end) ISO dates, Monday and the next Monday (exclusive)."""
    monday = parse_week(week)
    return monday.isoformat(), (monday + timedelta(7)).isoformat()


def week_start(value):
    """SQL ``week_start(x)``: the Monday 'YYYY-MM-DD' of x's week, NULL if x is not one."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    try:
        return parse_week(value).isoformat()
    except WeekError:
        return None


def iso_week(value):
    """SQL ``iso_week(x)``: x's ISO week id ('2026-W47'), NULL if x is not a week."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    try:
        return week_id(parse_week(value))
    except WeekError:
        return None


# week_start() in built-in SQL, for SQLite triggers (tracker/summaries.py), which
# must run on a plain connection without our functions: the Monday of the date
# part of {0}, NULL when it is not a date. tests/test_summaries.py checks it
# against week_start() on every day of sixteen years.
WEEK_START_SQL = "date(substr({0}, 1, 10), 'weekday 0', '-6 days')"


def is_whole_weeks(start, end):
    """True when [start, end) (ISO dates) is one or more whole ISO weeks."""
    first, stop = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    return stop > first and first == parse_week(start[:10]) and (stop - first).days % 7 == 0
