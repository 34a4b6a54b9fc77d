"""The digest's "Coming up": calendar events in the two weeks after the digest's week.

``upcoming_events_rows(db, start, end)`` is a pure read for the week
``[start, end)``: instances starting in ``[end, end + 14 days)``, one per
recurring instance, cancelled and vanished ones left out, each with its start
in UTC and in its own time zone. The canned query ``upcoming_events`` selects
the same instances (tests hold them to it).
"""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..safe import clean, esc, safe_url
from .markdown import md
from .sections import EXTRA_SECTIONS, DigestSection

AHEAD_DAYS = 14
LIMIT = 25


def upcoming_window(end):
    """[end, end + 14 days) as ISO dates: what "Coming up" covers after a week."""
    return end, (date.fromisoformat(end) + timedelta(AHEAD_DAYS)).isoformat()


def _local(dtstart, tzid):
    """'08:00 America/Los_Angeles' for a UTC start in a known IANA zone, else None."""
    if not tzid or len(dtstart) <= 10 or tzid == "UTC":
        return None
    try:
        zone = ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    moment = datetime.fromisoformat(dtstart.replace("Z", "+00:00")).astimezone(zone)
    return f"{moment:%a %d %b %H:%M} {tzid}"


def when(row):
    """How a reader sees the start: 'Tue 21 Jul 2026, 15:00 UTC (Tue 21 Jul 08:00 ...)'."""
    start = row["dtstart"]
    if row["all_day"] or len(start) <= 10:
        day = date.fromisoformat(start[:10])
        end = row.get("dtend")
        last = date.fromisoformat(end[:10]) - timedelta(1) if end and len(end) == 10 else day
        span = f"{day:%a %d %b %Y}" + (f" – {last:%a %d %b %Y}" if last > day else "")
        return f"{span} (all day)"
    moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    local = _local(start, row.get("tzid"))
    return f"{moment:%a %d %b %Y, %H:%M} UTC" + (f" ({local})" if local else "")


def upcoming_events_rows(db, start, end):
    """Events of the two weeks after [start, end), soonest first (plain data)."""
    lo, hi = upcoming_window(end)
    rows = []
    for r in db.query(
            "select calendar, uid, recurrence_id, dtstart, dtend, tzid, all_day, summary, "
            "location, url, tags, synthetic from events "
            "where dtstart >= :lo and dtstart < :hi and status != 'CANCELLED' "
            "and missing_since is null order by dtstart, calendar, summary, uid",
            {"lo": lo, "hi": hi}):
        row = {k: clean(v) if isinstance(v, str) else v for k, v in r.items()}
        row["url"] = safe_url(row["url"])
        try:
            row["tags"] = [t for t in json.loads(row["tags"] or "[]") if isinstance(t, str)]
        except ValueError:
            row["tags"] = []
        row["when"] = when(row)
        rows.append(row)
    return rows


def _html(rows, urls):
    if not rows:
        return []
    out = [f'<h2>Coming up <small>(<a href="{esc(urls["upcoming_events"])}">'
           "calendar</a>)</small></h2>", "<ul>"]
    for r in rows[:LIMIT]:
        title = esc(r["summary"])
        link = f'<a href="{esc(r["url"])}">{title}</a>' if r["url"] else title
        out.append(f"<li>{esc(r['when'])}: {link} <small>({esc(r['calendar'])})</small></li>")
    if len(rows) > LIMIT:
        out.append(f'<li>… and <a href="{esc(urls["upcoming_events"])}">'
                   f"{len(rows) - LIMIT} more</a></li>")
    return out + ["</ul>"]


def _markdown(rows, urls):
    if not rows:
        return []
    out = [f"## Coming up ([calendar]({urls['upcoming_events']}))", ""]
    for r in rows[:LIMIT]:
        title = f"[{md(r['summary'])}](<{r['url']}>)" if r["url"] else md(r["summary"])
        out.append(f"- {md(r['when'])}: {title} ({md(r['calendar'])})")
    if len(rows) > LIMIT:
        out.append(f"- … and [{len(rows) - LIMIT} more]({urls['upcoming_events']})")
    return out


def query_url(urls, name):
    """A canned query's URL for the week, made from one the digest already has."""
    return urls["posts_this_week"].replace("/posts_this_week?", f"/{name}?")


def _with_urls(render):
    def wrapped(data, urls):
        return render(data, {**urls, "upcoming_events": query_url(urls, "upcoming_events"),
                             "new_papers": query_url(urls, "new_papers")})
    return wrapped


# Until the themed-sections mechanism (#21) calls upcoming_events_rows itself.
EXTRA_SECTIONS.append(DigestSection("upcoming_events", upcoming_events_rows,
                                    _with_urls(_html), _with_urls(_markdown)))
