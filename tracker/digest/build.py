"""The weekly "Tracking Jupyter" digest: one row per ISO week in ``digests``.

A hand-written weekly newsletter stopped after nine issues because writing it
was not sustainable; this one writes itself from the harvest. Weeks run
Monday to Sunday UTC and are named like ``2026-W47``.

Which weeks exist (``week_range``): from the first week with activity dated
between 1990 and now up to the running week; nothing else is ever built. The
running week is built for the web but only *complete* weeks go into feeds and
exports (``complete_digests``).

- ``build_digests`` (re)builds weeks; ``tracker harvest`` calls it at its end.
- ``export_digest`` turns stored rows into Atom, HTML or Markdown; stored
  links are site-relative and become absolute under a known base URL.
- ``set_note`` stores the editor's note, which is never required.

Rebuilding is idempotent: when the rendered content is unchanged the row is
left exactly as it was, so ``atom_updated`` moves only when a reader would see
something new.
"""

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .. import weeks
from . import sections
from .markdown import render_md
from .html import headline, render_html, summary_line

# Stable entry ids: tag URIs (RFC 4151) never change when the site moves.
TAG_PREFIX = "tag:tracking-jupyter.github.io,2026:digest/"
QUERIES = (
    "releases_this_week", "new_repos_this_week", "busiest_this_week",
    "most_reacted_open_issues", "merged_prs_per_repo", "first_time_contributors",
    "posts_this_week", "ecosystem_pulse", "harvest_health", "new_in_ecosystem", "rising_repos",
)


class DigestError(Exception):
    """Bad input for the digest: a malformed week id, or a week outside the range."""


# Activity dated before this is a bad timestamp (a feed's 1970 epoch), not history.
EARLIEST = date(1990, 1, 1)
FEED_WEEKS = 26  # how many complete weeks the feed carries by default


def parse_week(text):
    """The Monday (a date) of an ISO week id such as '2026-W47', or of the week
    of a date such as '2026-11-18' (the one rule: tracker.weeks)."""
    try:
        return weeks.parse_week(text)
    except weeks.WeekError as e:
        raise DigestError(str(e)) from None


week_id = weeks.week_id


def normalise_week(text):
    """'2026-W47' for '2026-W47' or any date in that week."""
    return week_id(parse_week(text))


def week_bounds(week):
    """(start, end) ISO dates, Monday and the next Monday (exclusive)."""
    parse_week(week)  # DigestError for a bad week
    return weeks.week_bounds(week)


def _utcnow():
    return datetime.now(timezone.utc)


def _iso_z(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_complete(week, *, now=None):
    """True once the week's Sunday is over (UTC): only those go in feeds and exports."""
    return parse_week(week) + timedelta(7) <= (now or _utcnow()).date()


def week_range(db, *, now=None):
    """(first, running): the first ISO week with harvested activity dated between
    1990 and now, and the running week. An empty database has the running week only."""
    today = (now or _utcnow()).date()
    running = week_id(today)
    first = sections.first_activity_day(db, EARLIEST.isoformat(),
                                        (today + timedelta(1)).isoformat())
    first = week_id(date.fromisoformat(first)) if first else running
    return min(first, running, key=parse_week), running


def every_week(db, *, now=None):
    """Every week id from the first with data to the running week, oldest first."""
    first, running = week_range(db, now=now)
    monday, last = parse_week(first), parse_week(running)
    weeks = []
    while monday <= last:
        weeks.append(week_id(monday))
        monday += timedelta(7)
    return weeks


def check_week(db, week, *, now=None):
    """The normalised week id if a digest can exist for it, else DigestError."""
    week = normalise_week(week)
    first, running = week_range(db, now=now)
    if parse_week(week) > parse_week(running):
        raise DigestError(f"{week} has not started yet (the running week is {running})")
    if parse_week(week) < parse_week(first):
        raise DigestError(f"{week} is before the first week with harvested data ({first})")
    return week


def default_db_name(db):
    """The database file's stem, which is Datasette's name for it."""
    row = db.execute("pragma database_list").fetchone()
    return Path(row[2]).stem if row and row[2] else "tracker"


def week_urls(week, *, base_url="", db_name="tracker"):
    """Links to the canned queries (with the week filled in) and the week's page."""
    base = base_url.rstrip("/")
    urls = {q: f"{base}/{db_name}/{q}?week={week}" for q in QUERIES}
    urls["page"] = f"{base}/digest/{week}"
    return urls


def collect(db, week, *, memo=None):
    """All section data for one week (pure reads). ``memo`` (a dict) shares the
    headline numbers between weeks built together: each week's comparison
    needs the four before it."""
    start, end = week_bounds(week)
    monday = date.fromisoformat(start)
    memo = {} if memo is None else memo

    def metrics(back):
        s = (monday - timedelta(7 * back)).isoformat()
        if s not in memo:
            memo[s] = sections.metrics(db, s, (date.fromisoformat(s) + timedelta(7)).isoformat())
        return memo[s]

    this = metrics(0)
    past = [metrics(back) for back in range(1, 5)]
    avg4 = {k: round(sum(p[k] for p in past) / 4, 1) for k in this}
    data = {
        "week": week, "start": start, "end": end,
        "last_day": (monday + timedelta(6)).isoformat(),
        "header": sections.header(db, start, end),
        "metrics": {"this": this, "prev": past[0], "avg4": avg4},
        "daily": sections.daily_activity(db, start, end),
        "releases": sections.releases(db, start, end),
        "new_repos": sections.new_repos(db, start, end),
        "discussed": sections.most_discussed(db, start, end),
        "reacted": sections.most_reacted(db, start, end),
        "merged": sections.merged_prs(db, start, end),
        "first_timers": sections.first_timers(db, start, end),
        "posts": sections.posts(db, start, end),
    }
    for section in sections.EXTRA_SECTIONS:  # added by other modules: see sections.py
        data[section.key] = section.collect(db, start, end)
    data["title"] = summary_line(data)
    return data


def digest_row(data, urls, *, note=None):
    """The content columns of a ``digests`` row (no timestamps: see save_digest).
    Links are site-relative ('/digest/2026-W47'); outputs make them absolute."""
    data = {**data, "note": note}
    html = render_html(data, urls)
    return {
        "week": data["week"],
        "period_start": data["start"],
        "period_end": data["last_day"],
        "title": data["title"],
        "headline": headline(data),
        "content_html": html,
        "content_md": render_md(data, urls),
        "editor_note": note,
        "atom_id": TAG_PREFIX + data["week"],
        "atom_link": urls["page"],
        "atom_content_html": html,
    }


def save_digest(db, row, *, now=None):
    """Write a digest row; an unchanged row keeps its timestamps. True if written."""
    existing = _existing(db, row["week"])
    if existing and all(existing.get(k) == v for k, v in row.items()):
        return False
    stamp = _iso_z(now or _utcnow())
    db["digests"].upsert({**row, "generated_at": stamp, "atom_updated": stamp}, pk="week")
    return True


def _existing(db, week):
    rows = list(db.query("select * from digests where week = ?", [week]))
    return rows[0] if rows else None


def weeks_to_build(db, week=None, all_weeks=False, *, now=None):
    """Week ids to (re)build, oldest first: one week (checked against the range),
    every week (--all), or by default the previous and the running week plus
    any week of the range that has no digest yet (a first harvest of history,
    a month without harvests), so the archive never has holes."""
    if week is not None and all_weeks:
        raise DigestError("give either a week or --all, not both")
    if week is not None:
        return [check_week(db, week, now=now)]
    weeks = every_week(db, now=now)
    if all_weeks:
        return weeks
    stored = {w for (w,) in db.execute("select week from digests where content_html is not null")}
    return [w for w in weeks[:-2] if w not in stored] + weeks[-2:]


def build_digests(db, week=None, all_weeks=False, *, db_name=None, now=None):
    """(Re)build digests; default: the previous and the running week. Returns week ids.
    Raises DigestError for a malformed week or one outside ``week_range``."""
    weeks = weeks_to_build(db, week, all_weeks, now=now)
    db_name = db_name or default_db_name(db)
    prune_digests(db, now=now)
    memo = {}
    for w in weeks:
        existing = _existing(db, w)
        row = digest_row(collect(db, w, memo=memo), week_urls(w, db_name=db_name),
                         note=existing["editor_note"] if existing else None)
        with db.conn:
            save_digest(db, row, now=now)
    return weeks


def prune_digests(db, *, now=None):
    """Delete stored digests of weeks that cannot exist (built by older versions
    from a 1970 feed date, a future week, ...). Returns the weeks deleted."""
    first, running = week_range(db, now=now)
    gone = [w for (w,) in db.execute("select week from digests where week < ? or week > ?",
                                     [first, running])]
    if gone:
        with db.conn:
            db.execute("delete from digests where week < ? or week > ?", [first, running])
    return gone


def set_note(db, week, text, **options):
    """Set (empty text: clear) a week's editor's note and rebuild that week."""
    week = check_week(db, week, now=options.get("now"))
    text = (text or "").strip() or None
    with db.conn:
        if _existing(db, week):
            db.execute("update digests set editor_note = ? where week = ?", [text, week])
        else:
            db["digests"].insert({"week": week, "editor_note": text}, pk="week")
    build_digests(db, week=week, **options)


def base_url_from_env(base_url=None):
    """``base_url`` if given, else TRACKER_BASE_URL, else '' (links stay site-relative)."""
    return (base_url if base_url is not None else os.environ.get("TRACKER_BASE_URL", "")).rstrip("/")


def complete_digests(db, *, now=None, limit=None):
    """Stored digests of complete weeks, newest first (``limit``: at most that many)."""
    today = (now or _utcnow()).date().isoformat()
    sql = ("select * from digests where atom_updated is not null and content_html is not null "
           "and period_end < ? order by week desc")
    rows = [r for r in db.query(sql, [today])]
    return rows[:limit] if limit else rows


def export_digest(db, fmt="atom", week=None, *, base_url=None, feed_weeks=FEED_WEEKS,
                  now=None, **options):
    """Atom: the feed of the latest ``feed_weeks`` complete weeks. HTML, Markdown: one
    complete week (default: the newest). Links are absolute when a base URL is known."""
    from .atom import absolute_links, atom_feed, html_page

    site = base_url_from_env(base_url)
    if fmt == "atom":
        rows = complete_digests(db, now=now, limit=feed_weeks)
        if site:
            options.setdefault("feed_url", site + "/digest.atom")
        return atom_feed(rows, site_url=site or None, **options)
    if fmt not in ("html", "md"):
        raise DigestError(f"unknown format {fmt!r}: use atom, html or md")
    if week is not None:
        week = check_week(db, week, now=now)
        if not is_complete(week, now=now):
            raise DigestError(f"{week} is still running; exports carry complete weeks only")
        row = _existing(db, week)
    else:
        rows = complete_digests(db, now=now, limit=1)
        row = rows[0] if rows else None
    if not row or row.get("content_html") is None:
        raise DigestError(f"no digest for {week or 'any complete week'}; run `tracker digest` first")
    if fmt == "html":
        return html_page(row, site_url=site or None)
    return absolute_links(row["content_md"], site, markdown=True)
