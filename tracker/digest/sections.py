"""The digest's sections: SQL over the harvested tables -> plain data.

Pure reads. Every function takes ``db`` and a week's half-open bounds
``start <= t < end`` as ISO dates ('2026-11-16', '2026-11-23'); GitHub and feed
timestamps are UTC ISO strings, so plain string comparison selects the week
and the (created_at), (merged_at), ... indexes do the work.
"""

import re
from datetime import date, timedelta

from ..canned import canned_rows
from ..safe import clean, plain
from ..security import security_release
from ..weeks import is_whole_weeks
from . import shared

# Who is a person and which issues count are the views ``people``/``bots`` and
# ``live_issues`` (tracker/facts.py), as in every canned query: an author not
# known as a bot (or not stored at all) counts as a person.
BOT = "exists (select 1 from bots b where b.id = {})"
# A person, for queries that join the author as ``users u`` (the bots view's rule).
HUMAN = "not " + BOT.format("u.id")
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?(.*)$")
_PRE = re.compile(r"(?i)(a|b|rc|alpha|beta|dev|pre|preview)\.?\d*$")


# Where a standalone module adds a section (e.g. "New in the ecosystem",
# issue #13): append a DigestSection. Added sections are collected with the
# others and rendered, in list order, right after "New repositories" in the
# HTML and the Markdown. ``collect(db, start, end)`` must be a pure read
# returning plain data (clean harvested text with ``safe.clean``); ``html``
# and ``markdown`` take (that data, urls) and return a list of strings, HTML
# escaped with ``safe.esc`` / Markdown with ``markdown.md``.
# The watchlist's repos. Discovered ones (#13: tracked_via null, found by a topic
# or search) have their own sections, "New in the ecosystem" and "Rising".
WATCHED = "tracked_via is not null"


class DigestSection:
    def __init__(self, key, collect, html, markdown):
        self.key, self.collect, self.html, self.markdown = key, collect, html, markdown


EXTRA_SECTIONS = []


def _rows(db, sql, params):
    """Rows as dicts, harvested text cleaned (``safe.clean``) for every renderer."""
    return [{k: clean(v) if isinstance(v, str) else v for k, v in r.items()}
            for r in db.query(sql, params)]


def _canned(db, name, start, end, keep=None, **params):
    """The canned query ``name`` over [start, end) (tracker.canned), text cleaned:
    a section that answers a canned query's question runs that query. ``keep``:
    the columns the section reads, the only ones cleaned and returned (the feed's
    atom_* text of thousands of rows is not cleaned for nothing, #26)."""
    rows = canned_rows(db, name, start, end, **params)
    if keep is not None:
        rows = [{k: r[k] for k in keep} for r in rows]
    return [{k: clean(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]


def _one(db, sql, params):
    return db.execute(sql, params).fetchone()[0] or 0


def metrics(db, start, end, *, firsts=None):
    """The headline numbers of one week (or any run of days).

    Counts come from the summary tables kept at harvest time
    (tracker/summaries.py): activity_daily for any days, people_weekly for
    who was active, bots' PRs and first-timers when the period is whole weeks
    (else ``_people_scan`` reads the period's issues and comments).
    ``firsts``: ``shared.first_weeks(db)``, read once by a build of many weeks."""
    p = {"start": start[:10], "end": end[:10]}
    counts = db.execute("""select coalesce(sum(opened_pulls), 0), coalesce(sum(opened_issues), 0),
               coalesce(sum(closed_issues), 0), coalesce(sum(closed_unmerged), 0),
               coalesce(sum(merged), 0), coalesce(sum(releases), 0), coalesce(sum(comments), 0)
        from activity_daily where day >= :start and day < :end""", p).fetchone()
    if not is_whole_weeks(start, end):
        people = _people_scan(db, start, end)
    elif firsts is not None:
        people = shared.people_numbers(db, p, firsts)
    else:
        people = _people_weekly(db, p)
    return {
        "bot_prs": people[0],
        "releases": counts[5],
        "prs_opened": counts[0],
        "prs_merged": counts[4],
        "prs_closed_unmerged": counts[3],
        "issues_opened": counts[1],
        "issues_closed": counts[2],
        "comments": counts[6],
        "contributors": people[1],
        "first_timers": people[2],
        "new_repos": _one(db, f"""select count(*) from repos
            where created_at >= :start and created_at < :end and {WATCHED}""",
                          {"start": start, "end": end}),
        "stars_gained": stars_gained(db, start, end),
    }


def _people_weekly(db, p):
    """(bots' PRs, active people, first-timers) of whole weeks, from people_weekly:
    a person is active with an issue, PR or comment; a first-timer opened their
    first issue or PR anywhere in the period; who is a bot is read now. One pass:
    the period's users (a range of the primary key), each looked up once."""
    return db.execute(f"""
        with u as materialized (
            select w.user, sum(w.opened) as opened, sum(w.opened_pulls) as pulls,
                   {BOT.format("w.user")} as bot
            from people_weekly w where w.week >= :start and w.week < :end
            group by w.user having sum(w.opened) > 0 or sum(w.comments) > 0)
        select coalesce(sum(case when bot then pulls end), 0),
               coalesce(sum(not bot), 0),
               -- Opened anything before? Asked of the issues: one seek in
               -- (user, created_at) per person, not one per repository they
               -- opened in (people_weekly counts exactly the live issues; at 1M
               -- issues 55-62 -> 31-37 ms CPU a week, measured by i26e).
               coalesce(sum(not bot and opened > 0 and not exists (
                   select 1 from issues j
                   where j.user = u.user and j.created_at < :start
                     and j.id not in (select id from gone_issues))), 0)
        from u
    """, p).fetchone()


def _people_scan(db, start, end):
    """``_people_weekly``'s numbers for any days, from the issues and comments."""
    return db.execute(f"""
        with wk as materialized (
            select i.type, i.user from live_issues i
            where i.created_at >= :start and i.created_at < :end),
        active as (
            select w.user from wk w join people u on u.id = w.user
            union
            select c.user from live_comments c join people u on u.id = c.user
            where c.created_at >= :start and c.created_at < :end)
        select (select count(*) from wk w where w.type = 'pull' and {BOT.format("w.user")}),
               (select count(*) from active),
               (select count(distinct w.user) from wk w join people u on u.id = w.user
                where not exists (
                    select 1 from live_issues j where j.user = w.user and j.created_at < :start))
    """, {"start": start, "end": end}).fetchone()


def stars_gained(db, start, end):
    """Stars the watched repos gained in the week: exact from the stargazers
    history where it is held, else from snapshots (tracker/stargains.py, #25)."""
    from ..stargains import star_gains

    gains = star_gains(db, start, end, "select id from repos where tracked_via is not null")
    return sum(g for g, _ in gains.values())


def header(db, start, end):
    """Data freshness per source, coverage and harvest errors for the week.

    Freshness is "last harvest before the week ended", not "latest harvest",
    so a finished week's digest stops changing once the week is over.
    """
    p = {"start": start, "end": end}
    # A week harvested only after it ended (a first harvest, the demo) shows the
    # source's first run instead: that too never changes once it exists.
    sources = _rows(db, """select source, coalesce(
            max(case when finished_at < :end then finished_at end), min(finished_at)) as last
        from harvest_runs where finished_at is not null and source is not null
        group by source order by source""", p)
    # Feeds' last_fetched is current state, not history: only the count is
    # shown, so a later fetch does not rewrite past weeks.
    feeds = {"n": _one(db, "select count(*) from feeds", {})}
    cover = _rows(db, """select count(*) as repos, count(distinct owner) as owners
        from repos where (created_at is null or created_at < :end) and tracked_via is not null
          and (missing_since is null or missing_since >= :start)""", p)[0]
    # One harvest_errors row per error (runs before that table: their count).
    errors = _rows(db, """select count(*) as runs, coalesce(sum(n), 0) as errors from (
          select r.status, max(coalesce(r.errors, 0), (select count(*) from harvest_errors e
                                                       where e.run = r.id)) as n
          from harvest_runs r where r.started_at >= :start and r.started_at < :end)
        where n > 0 or status = 'failed'""", p)[0]
    return {"sources": sources, "feeds": feeds, **cover, "error_runs": errors["runs"],
            "errors": errors["errors"]}


def version_kind(tag):
    """'major' | 'minor' | 'patch' | None from a tag like 'v4.2.0' or 'app@1.0.3'."""
    m = _VERSION.search(tag or "")
    if not m:
        return None
    _major, minor, patch = int(m[1]), int(m[2]), int(m[3] or 0)
    return "patch" if patch else "minor" if minor else "major"


def is_prerelease(row):
    m = _VERSION.search(row.get("tag_name") or "")
    return bool(row.get("prerelease")) or bool(m and _PRE.search(m[4].strip("-.")))


_LABEL = re.compile(r"\s*([*_]{1,2})[^*_]+\1:?\s*")
_BORING = re.compile(r"(?i)^(what'?s changed|changelog|release notes|highlights|"
                     r"new contributors|full changelog)\W*$")


def _note_lines(body):
    """(is_bullet, text) for each readable line of release notes: headings and
    section labels skipped, Markdown links reduced to their text, code spans kept."""
    for line in (body or "").splitlines():
        if line.lstrip().startswith("#") or _LABEL.fullmatch(line):
            continue
        bullet = bool(re.match(r"\s*[-*+]\s+", line))
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # [text](url) -> text
        line = re.sub(r"\s+in https?://\S+$", "", line)  # "... in https://github.com/.../pull/1"
        line = line.strip().lstrip("*->=+ ").strip()
        if line and not re.fullmatch(r"[-=_*`~\s|:]*", line) and not _BORING.match(line):
            yield bullet, line


def notes_excerpt(body, limit=160):
    """The first line of release notes worth reading (headings and blanks skipped)."""
    for _bullet, line in _note_lines(body):
        return plain(line, limit)
    return ""


def notes_highlights(body, n=3, limit=140):
    """Up to ``n`` highlights: the notes' opening line, then their first bullet
    points, as plain text (code spans keep their backticks for the renderers)."""
    out = []
    for bullet, line in _note_lines(body):
        if out and not bullet:
            continue  # one opening line; after it, bullets only
        out.append(plain(line, limit))
        if len(out) == n:
            break
    return out


def releases(db, start, end):
    """The week's releases (drafts never); security releases first, flagged
    with their advisory ids; each with a few highlights from its notes."""
    rows = _rows(db, """
        select r.id, r.tag_name, r.name, r.prerelease, r.published_at, r.body,
               r.html_url, repos.full_name, repos.html_url as repo_url
        from releases r join repos on repos.id = r.repo
        where r.published_at >= :start and r.published_at < :end
          and coalesce(r.draft, 0) = 0
        order by lower(repos.full_name), r.published_at, r.id
    """, {"start": start, "end": end})
    for r in rows:
        r["pre"] = is_prerelease(r)
        r["kind"] = None if r["pre"] else version_kind(r["tag_name"])
        r["org"] = (r["full_name"] or "").split("/")[0]
        r["security"], r["advisories"] = security_release(r["name"], r["tag_name"], r["body"])
        r["highlights"] = notes_highlights(r["body"])
        r["notes"] = r["highlights"][0] if r["highlights"] else ""
        del r["body"]
    rows.sort(key=lambda r: not r["security"])  # stable: security first, else as above
    return rows


def new_repos(db, start, end):
    """Watched repositories created in the period: the new_repos_this_week query."""
    rows = [{"full_name": r["repo"], "description": r["description"], "html_url": r["atom_link"],
             "fork": r["fork"], "language": r["language"], "created_at": r["created_at"]}
            for r in _canned(db, "new_repos_this_week", start, end)]
    return sorted(rows, key=lambda r: (r["created_at"] or "", r["full_name"] or ""))


def most_discussed(db, start, end, limit=6):
    """Issues and PRs with the most comments written by people in the period: the
    busiest_this_week query's first rows (bots' comments not counted, bots' own
    items and transferred or deleted issues not listed); ``people`` = distinct
    commenters. Read through the query's shared fragment (``shared.busiest``)."""
    return shared.busiest(db, start, end, limit)


def most_reacted(db, start, end, limit=5):
    """Open issues active in the period (updated in it) and not opened by a bot, most
    reactions first: the most_reacted_open_issues query with the period given."""
    return [{"id": r["issue"], "number": r["number"], "title": r["title"], "html_url": r["html_url"],
             "full_name": r["repo"], "updated_at": r["updated_at"], "reactions": r["score"]}
            for r in _canned(db, "most_reacted_open_issues", start, end, week="period")[:limit]]


def merged_prs(db, start, end):
    """Merged PRs grouped by repo: counts include bots, listings leave them out."""
    rows = _rows(db, f"""
        select repos.full_name, i.number, i.title, i.html_url, u.login,
               {BOT.format("i.user")} as bot
        from live_issues i join repos on repos.id = i.repo left join users u on u.id = i.user
        where i.type = 'pull' and i.merged_at >= :start and i.merged_at < :end
        order by repos.full_name, i.merged_at, i.id
    """, {"start": start, "end": end})
    repos = {}
    for r in rows:
        g = repos.setdefault(r["full_name"], {"full_name": r["full_name"], "merged": 0,
                                              "bots": 0, "prs": []})
        g["merged"] += 1
        if r["bot"]:
            g["bots"] += 1
        else:
            g["prs"].append(r)
    return sorted(repos.values(), key=lambda g: (-g["merged"], g["full_name"]))


FIRST_TIMER_COLUMNS = ("contributor", "first_at", "type", "number", "title", "atom_link",
                       "repo", "new_to_ecosystem")


def first_timers(db, start, end):
    """First contributions of the period, one per person and repo, flagged when new
    to the whole ecosystem: the first_time_contributors query's rows, without its
    feed text (``shared.first_timer_rows``)."""
    rows = shared.first_timer_rows(db, start, end)
    out = [{"user": r["user"], "first_at": r["first_at"],
            "login": r["contributor"], "name": clean(r["name"]),
            "user_url": clean(r["user_url"]), "type": r["type"],
            "number": r["number"], "title": r["title"], "html_url": r["atom_link"],
            "full_name": r["repo"], "new_to_ecosystem": r["new_to_ecosystem"]} for r in rows]
    # One person's first issues in two repositories in one second stay in the
    # query's order: by user and repository (people_weekly's key).
    return sorted(out, key=lambda r: (not r["new_to_ecosystem"], r["first_at"] or "",
                                      r["login"] or ""))


def posts(db, start, end):
    """Feed entries published in the period, except those that are a release already
    listed under Releases (same URL): the posts_this_week query."""
    rows = [{"title": r["title"], "link": r["link"], "author": r["author"],
             "published": r["published"], "feed_title": r["feed"]}
            for r in _canned(db, "posts_this_week", start, end)]
    return sorted(rows, key=lambda r: r["published"] or "")


def daily_activity(db, start, end):
    """Per day: issues and PRs opened, comments, merges and releases, summed
    (activity_daily, kept at harvest time: tracker/summaries.py)."""
    days = [(date.fromisoformat(start) + timedelta(d)).isoformat() for d in range(7)]
    counts = dict.fromkeys(days, 0)
    for day, n in db.execute(
        """select day, opened + merged + releases + comments from activity_daily
           where day >= :start and day < :end""",
        {"start": start, "end": end},
    ):
        if day in counts:
            counts[day] += n
    return [counts[d] for d in days]


def first_activity_day(db, earliest, end):
    """The first day (YYYY-MM-DD) with activity dated in [earliest, end), or None.
    One index seek per source; timestamps outside the bounds (a feed's 1970
    epoch, a clock far in the future) never make a week."""
    days = []
    for table, col in (("issues", "created_at"), ("releases", "published_at"),
                       ("issue_comments", "created_at"), ("feed_entries", "published")):
        (day,) = db.execute(f"select min({col}) from {table} where {col} >= ? and {col} < ?",
                            [earliest, end]).fetchone()
        if day:
            days.append(day[:10])
    return min(days, default=None)
