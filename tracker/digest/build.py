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

import json
import os
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .. import weeks
from . import compose, render, sections, shared
from .html import summary_line
from .layout import DigestSettings

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


def digest_row(issue, *, quiet="skip"):
    """The content columns of a ``digests`` row (no timestamps: see save_digest)
    from a composed issue. Links are site-relative ('/digest/2026-W47');
    outputs make them absolute. ``quiet``: digest.quiet; the ``quiet`` column
    says "left out of the feeds" (skip), section_count 0 says "quiet"."""
    html = render.render_html(issue)
    return {
        "week": issue["id"],
        "period": issue["period"],
        "period_start": issue["start"],
        "period_end": issue["last_day"],
        "title": issue["title"],
        "headline": issue["lead"] if issue["quiet"] else issue["counts"] or issue["title"],
        "content_html": html,
        "content_md": render.render_md(issue),
        "editor_note": issue["note"],
        "atom_id": TAG_PREFIX + issue["id"],
        "atom_link": (issue.get("urls") or {}).get("page") or f"/digest/{issue['id']}",
        "atom_content_html": html,
        "quiet": int(issue["quiet"] and quiet == "skip"),
        "section_count": issue["section_count"],
        "sections_json": json.dumps(issue, sort_keys=True, ensure_ascii=False),
    }


def compose_week(db, week, *, layout=None, db_name="tracker", note=None, memo=None):
    """A week's issue as data (``compose.compose``), counts shared through ``memo``."""
    start, end = week_bounds(week)
    memo = {} if memo is None else memo
    prev = (date.fromisoformat(start) - timedelta(7)).isoformat()
    metrics = {"this": _metrics(db, start, end, memo), "prev": _metrics(db, prev, start, memo)}
    return compose.compose(db, week, layout or DigestSettings().sections, start=start, end=end,
                           metrics=metrics, note=note, memo=memo,
                           urls=week_urls(week, db_name=db_name))


def _metrics(db, start, end, memo):
    if (start, end) not in memo:
        memo[(start, end)] = sections.metrics(db, start, end, firsts=memo.get(("firsts",)))
    return memo[(start, end)]


# From this many weeks on, a build reads everyone's first week once (one pass of
# an index, about a second at 1M issues) instead of per person and week (#26).
SHARED_READS_FROM = 8


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


def build_digests(db, week=None, all_weeks=False, *, db_name=None, now=None, settings=None):
    """(Re)build digests; default: the previous and the running week. Returns week ids.
    Raises DigestError for a malformed week or one outside ``week_range``.
    ``settings``: the ``digest:`` block (layout.DigestSettings; default: shipped).
    With ``period: month`` the months those weeks touch are built too."""
    settings = settings or DigestSettings()
    weeks = weeks_to_build(db, week, all_weeks, now=now)
    db_name = db_name or default_db_name(db)
    prune_digests(db, now=now)
    memo = {}
    if len(weeks) >= SHARED_READS_FROM:
        memo[("firsts",)] = shared.first_weeks(db)
    for w in weeks:
        existing = _existing(db, w)
        issue = compose_week(db, w, layout=settings.sections, db_name=db_name, memo=memo,
                             note=existing["editor_note"] if existing else None)
        with db.conn:
            save_digest(db, digest_row(issue, quiet=settings.quiet), now=now)
    if settings.period == "month":
        from .monthly import build_months
        build_months(db, weeks, settings, db_name=db_name, now=now, memo=memo)
    return weeks


def prune_digests(db, *, now=None):
    """Delete stored digests of weeks that cannot exist (built by older versions
    from a 1970 feed date, a future week, ...). Returns the weeks deleted."""
    first, running = week_range(db, now=now)
    where = "coalesce(period, 'week') = 'week' and (week < ? or week > ?)"
    gone = [w for (w,) in db.execute(f"select week from digests where {where}", [first, running])]
    if gone:
        with db.conn:
            db.execute(f"delete from digests where {where}", [first, running])
    return gone


def check_period(db, period_id, *, now=None):
    """('week', '2026-W47') or ('month', '2026-06') for an id or a date (a date is its week)."""
    from .monthly import check_month

    text = (period_id or "").strip() if isinstance(period_id, str) else period_id
    if isinstance(text, str) and re.match(r"^\d{4}-\d{2}$", text):
        return "month", check_month(text, now=now)
    return "week", check_week(db, text, now=now)


def rebuild_period(db, period, period_id, *, settings=None, now=None, db_name=None):
    settings = settings or DigestSettings()
    if period == "month":
        from .monthly import build_months
        build_months(db, [], settings, db_name=db_name or default_db_name(db), now=now,
                     months=[period_id])
    else:
        build_digests(db, week=period_id, settings=settings, now=now, db_name=db_name)


def edit_digest(db, period_id, item, action, text=None, *, undo=False, settings=None,
                now=None):
    """Pin, hide or comment on an item of one week or month, then rebuild it.
    Returns the ids of that period's items the edit matched ([] = none: a typo?)."""
    from .edits import EditError, save_edit, _keys, _norm

    period, period_id = check_period(db, period_id, now=now)

    def matches():
        row = _existing(db, period_id)
        issue = json.loads(row["sections_json"]) if row and row.get("sections_json") else None
        return [it["id"] for s in (issue or {}).get("sections", []) for it in s["items"]
                if _norm(item) in _keys(it)]

    before = matches()  # a hidden item is gone from the rebuilt issue: look first
    try:
        save_edit(db, period_id, item, action, text, undo=undo, now=now)
    except EditError as e:
        raise DigestError(str(e)) from None
    rebuild_period(db, period, period_id, settings=settings, now=now)
    return list(dict.fromkeys(before + matches()))


def period_items(db, period_id, *, now=None):
    """[(section title, item id, title, url)] of a stored week or month."""
    _, period_id = check_period(db, period_id, now=now)
    row = _existing(db, period_id)
    if not row or not row.get("sections_json"):
        raise DigestError(f"no digest for {period_id}; run `tracker digest` first")
    issue = json.loads(row["sections_json"])
    return [(s["title"], it["id"], it["title"], it.get("url"))
            for s in issue["sections"] if s["kind"] != "numbers" for it in s["items"]]


def set_note(db, week, text, *, settings=None, **options):
    """Set (empty text: clear) a week's editor's note and rebuild that week."""
    week = check_week(db, week, now=options.get("now"))
    text = (text or "").strip() or None
    with db.conn:
        if _existing(db, week):
            db.execute("update digests set editor_note = ? where week = ?", [text, week])
        else:
            db["digests"].insert({"week": week, "editor_note": text}, pk="week")
    build_digests(db, week=week, settings=settings, **options)


def base_url_from_env(base_url=None):
    """``base_url`` if given, else TRACKER_BASE_URL, else '' (links stay site-relative)."""
    return (base_url if base_url is not None else os.environ.get("TRACKER_BASE_URL", "")).rstrip("/")


def complete_digests(db, *, now=None, limit=None, period="week", quiet=True):
    """Stored digests of complete periods, newest first (``limit``: at most that many).
    ``quiet=False`` leaves quiet periods out (the feed's default: digest.quiet skip)."""
    today = (now or _utcnow()).date().isoformat()
    sql = ("select * from digests where atom_updated is not null and content_html is not null "
           "and period_end < :today and coalesce(period, 'week') = :period "
           + ("" if quiet else "and not coalesce(quiet, 0) ") + "order by week desc")
    rows = [r for r in db.query(sql, {"today": today, "period": period})]
    return rows[:limit] if limit else rows


def _no_export_reason(db, week, now):
    """Why there is nothing to export: no digest built yet, or no week is over yet (#19)."""
    built = [r["week"] for r in db.query("select week from digests "
                                         "where content_html is not null order by week")]
    if week is None and built:
        running = week_id((now or _utcnow()).date())
        sunday = parse_week(running) + timedelta(6)
        return (f"no week is complete yet: the digests cover {', '.join(built)}, and "
                f"{running} ends on Sunday {sunday.isoformat()}; exports carry complete "
                f"weeks only (the running week is on `tracker serve`'s /digest)")
    return f"no digest for {week or 'any complete week'}; run `tracker digest` first"


FORMATS = ("atom", "html", "md", "email")


def export_digest(db, fmt="atom", week=None, *, base_url=None, feed_weeks=FEED_WEEKS,
                  now=None, period="week", quiet="skip", **options):
    """Atom: the feed of the latest ``feed_weeks`` complete periods (quiet ones left
    out unless ``quiet='line'``). HTML, Markdown, email (.eml text): one complete
    period (default: the newest). Links are absolute when a base URL is known."""
    from .atom import absolute_links, atom_feed, html_page

    site = base_url_from_env(base_url)
    if fmt == "atom":
        rows = complete_digests(db, now=now, limit=feed_weeks, period=period,
                                quiet=quiet == "line")
        if site:
            options.setdefault("feed_url", site + ("/digest.atom" if period == "week"
                                                   else "/digest-monthly.atom"))
        if period == "month":
            options.setdefault("title", "Tracking Jupyter: the monthly digest")
            options.setdefault("feed_id", FEED_ID_MONTHLY)
        return atom_feed(rows, site_url=site or None, **options)
    if fmt not in FORMATS:
        raise DigestError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")
    row = _export_row(db, week, now=now, period=period)
    if fmt == "html":
        return html_page(row, site_url=site or None)
    if fmt == "email":
        return render.email_message(stored_issue(row), base_url=site or None,
                                    now=now or _utcnow()).as_string()
    return absolute_links(row["content_md"], site, markdown=True)


FEED_ID_MONTHLY = "tag:tracking-jupyter.github.io,2026:digest-monthly"


def _export_row(db, period_id, *, now=None, period="week"):
    if period_id is not None:
        if period == "month":
            from .monthly import check_month
            period_id = check_month(period_id, now=now)
            complete = period_id < (now or _utcnow()).date().isoformat()[:7]
        else:
            period_id = check_week(db, period_id, now=now)
            complete = is_complete(period_id, now=now)
        if not complete:
            raise DigestError(f"{period_id} is still running; exports carry complete "
                              f"{period}s only")
        row = _existing(db, period_id)
    else:
        rows = complete_digests(db, now=now, limit=1, period=period)
        row = rows[0] if rows else None
    if not row or row.get("content_html") is None:
        if period == "week":
            raise DigestError(_no_export_reason(db, period_id, now))
        raise DigestError(f"no digest for {period_id or 'any complete ' + period}; "
                          "run `tracker digest` first")
    return row


def stored_issue(row):
    """The composed issue stored with a digest row (rows built before #21 have
    none: their HTML and Markdown still export, their email is rebuilt first)."""
    if not row.get("sections_json"):
        raise DigestError(f"{row['week']} was built by an older version; run "
                          f"`tracker digest --week {row['week']}` first")
    return json.loads(row["sections_json"])
