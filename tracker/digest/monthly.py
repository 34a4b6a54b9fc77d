"""Monthly issues (``digest.period: month`` or ``--period month``): the same
sections over a calendar month (UTC), stored in ``digests`` with
``period = 'month'`` and an id like '2026-06', with their own archive
(/digest-monthly), pages (/digest/2026-06) and feed (digest_monthly.atom).
"""

import re
from datetime import date, timedelta

from . import compose
from .build import (DigestError, TAG_PREFIX, _existing, _utcnow, digest_row, save_digest,
                    week_bounds, week_range, parse_week)
from . import sections

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def check_month(text, *, now=None):
    """'2026-06' for '2026-06' or a date in that month; DigestError otherwise or
    for a month that has not started."""
    text = (text or "").strip()
    m = _MONTH.match(text) or _MONTH.match(text[:7])
    if not m or not 1 <= int(m[2]) <= 12 or (len(text) > 7 and not re.match(
            r"^\d{4}-\d{2}-\d{2}", text)):
        raise DigestError(f"month must look like 2026-06 or a date in it, not {text!r}")
    month = f"{m[1]}-{m[2]}"
    running = (now or _utcnow()).date().isoformat()[:7]
    if month > running:
        raise DigestError(f"{month} has not started yet (the running month is {running})")
    return month


def months_of(weeks):
    """The months (ids, oldest first) the given weeks touch."""
    out = set()
    for w in weeks:
        start, end = week_bounds(w)
        out.add(start[:7])
        out.add((date.fromisoformat(end) - timedelta(1)).isoformat()[:7])
    return sorted(out)


def every_month(db, *, now=None):
    first, running = week_range(db, now=now)
    month, last = parse_week(first).isoformat()[:7], (now or _utcnow()).date().isoformat()[:7]
    out = []
    while month <= last:
        out.append(month)
        y, m = int(month[:4]), int(month[5:])
        month = f"{y + (m == 12)}-{(m % 12) + 1:02d}"
    return out


def compose_month(db, month, *, layout, db_name="tracker", note=None, memo=None):
    start, end = compose.month_bounds(month)
    prev_start, _ = compose.month_bounds(
        (date.fromisoformat(start) - timedelta(1)).isoformat()[:7])
    memo = {} if memo is None else memo
    for key in ((start, end), (prev_start, start)):
        if key not in memo:
            memo[key] = sections.metrics(db, *key)
    urls = {"page": f"/digest/{month}"}
    return compose.compose(db, month, layout, start=start, end=end, period="month",
                           metrics={"this": memo[(start, end)], "prev": memo[(prev_start, start)]},
                           note=note, urls=urls, memo=memo)


def build_months(db, weeks, settings, *, db_name="tracker", now=None, memo=None, months=None):
    """(Re)build the months the given weeks touch (or ``months``). Returns month ids."""
    running = (now or _utcnow()).date().isoformat()[:7]
    months = [m for m in (months or months_of(weeks)) if m <= running]
    for month in months:
        existing = _existing(db, month)
        issue = compose_month(db, month, layout=settings.sections, db_name=db_name, memo=memo,
                              note=existing["editor_note"] if existing else None)
        row = digest_row(issue, quiet=settings.quiet)
        row["atom_id"] = TAG_PREFIX + "month/" + month
        with db.conn:
            save_digest(db, row, now=now)
    return months
