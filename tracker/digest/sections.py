"""The digest's sections: SQL over the harvested tables -> plain data.

Pure reads. Every function takes ``db`` and a week's half-open bounds
``start <= t < end`` as ISO dates ('2026-11-16', '2026-11-23'); GitHub and feed
timestamps are UTC ISO strings, so plain string comparison selects the week
and the (created_at), (merged_at), ... indexes do the work.
"""

import itertools
import re
from datetime import date, timedelta

from ..safe import clean, plain

# Who is a person and which issues count are the views ``people``/``bots`` and
# ``live_issues`` (tracker/facts.py), as in every canned query: an author not
# known as a bot (or not stored at all) counts as a person.
BOT = "exists (select 1 from bots b where b.id = {})"
# A person, for queries that join the author as ``users u`` (the bots view's rule).
HUMAN = "not " + BOT.format("u.id")
# Reactions are stored as github-to-sqlite does: a JSON object. The score is
# the positive ones (+1, heart, hooray), as in the most_reacted_open_issues
# query; malformed JSON must not break the digest, so it scores zero.
REACTIONS = (
    "case when json_valid(i.reactions) then "
    "coalesce(json_extract(i.reactions, '$.\"+1\"'), 0) "
    "+ coalesce(json_extract(i.reactions, '$.heart'), 0) "
    "+ coalesce(json_extract(i.reactions, '$.hooray'), 0) else 0 end"
)
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


def _one(db, sql, params):
    return db.execute(sql, params).fetchone()[0] or 0


def metrics(db, start, end):
    """The headline numbers of one week.

    Each timestamp range (created, closed, merged) is read once: on a big
    database the cost is fetching the rows, so the week's new issues and PRs
    are materialised and counted, grouped by author and checked for
    first-timers in one statement."""
    p = {"start": start, "end": end}
    opened = db.execute(f"""
        with wk as materialized (
            select i.type, i.user from live_issues i
            where i.created_at >= :start and i.created_at < :end),
        active as (
            select w.user from wk w join people u on u.id = w.user
            union
            select c.user from live_comments c join people u on u.id = c.user
            where c.created_at >= :start and c.created_at < :end)
        select (select count(*) from wk where type = 'pull'),
               (select count(*) from wk w where w.type = 'pull' and {BOT.format("w.user")}),
               (select count(*) from wk where type = 'issue'),
               (select count(*) from active),
               (select count(distinct w.user) from wk w join people u on u.id = w.user
                where not exists (
                    select 1 from live_issues j where j.user = w.user and j.created_at < :start))
    """, p).fetchone()
    # '+' keeps SQLite off the merged_at index (merged_at IS NULL matches most
    # of the table); the closed_at range is the selective one.
    closed = db.execute("""select coalesce(sum(i.type = 'issue'), 0),
               coalesce(sum(i.type = 'pull' and +i.merged_at is null), 0)
        from live_issues i where i.closed_at >= :start and i.closed_at < :end""", p).fetchone()
    return {
        "bot_prs": opened[1],
        "releases": _one(db, """select count(*) from activity
            where kind = 'released' and at >= :start and at < :end""", p),
        "prs_opened": opened[0],
        "prs_merged": _one(db, """select count(*) from activity
            where kind = 'merged' and at >= :start and at < :end""", p),
        "prs_closed_unmerged": closed[1],
        "issues_opened": opened[2],
        "issues_closed": closed[0],
        "comments": _one(db, """select count(*) from live_comments c
            where c.created_at >= :start and c.created_at < :end""", p),
        "contributors": opened[3],
        "first_timers": opened[4],
        "new_repos": _one(db, f"""select count(*) from repos
            where created_at >= :start and created_at < :end and {WATCHED}""", p),
        "stars_gained": stars_gained(db, start, end),
    }


def stars_gained(db, start, end):
    """Sum over repos of stars at the week's last snapshot minus the baseline
    (last snapshot before the week, else the week's first snapshot). Three
    primary-key seeks per repo, not a scan of every snapshot."""
    snapshot = ("(select stargazers_count from repo_stats s where s.repo = r.id and {} "
                "order by s.harvested_at {} limit 1)")
    return _one(db, f"""
        select sum(after - coalesce(before, first_in, after)) from (
            select {snapshot.format("s.harvested_at < :end", "desc")} as after,
                   {snapshot.format("s.harvested_at < :start", "desc")} as before,
                   {snapshot.format("s.harvested_at >= :start and s.harvested_at < :end",
                                    "")} as first_in
            from repos r where r.tracked_via is not null)
    """, {"start": start, "end": end})


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
_SECURITY_ID = re.compile(r"\b(GHSA(?:-[0-9a-z]{4}){3}|CVE-\d{4}-\d{4,})\b", re.I)
_SECURITY_WORD = re.compile(r"(?i)\bsecurity\b")


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


def security_advisories(*texts):
    """(is_security, [GHSA/CVE ids]) from a release's name, tag and notes: a
    security release names an advisory or says "security"."""
    text = " ".join(t or "" for t in texts)
    ids = []
    for found in _SECURITY_ID.findall(text):
        found = found.upper() if found.upper().startswith("CVE") else "GHSA" + found[4:].lower()
        if found not in ids:
            ids.append(found)
    return bool(ids or _SECURITY_WORD.search(text)), ids


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
        r["security"], r["advisories"] = security_advisories(r["name"], r["tag_name"], r["body"])
        r["highlights"] = notes_highlights(r["body"])
        r["notes"] = r["highlights"][0] if r["highlights"] else ""
        del r["body"]
    rows.sort(key=lambda r: not r["security"])  # stable: security first, else as above
    return rows


def new_repos(db, start, end):
    return _rows(db, f"""
        select full_name, description, html_url, fork, language, created_at
        from repos where created_at >= :start and created_at < :end and {WATCHED}
        order by created_at, full_name
    """, {"start": start, "end": end})


def most_discussed(db, start, end, limit=6):
    """Issues and PRs with the most comments written by people during the week
    (as the busiest_this_week query): bots' comments are not counted and
    bots' own issues and PRs are not listed; ``people`` = distinct commenters;
    ties by repository and number. Comments whose issue is not stored yet
    (issue is null until the harvester links it) are left out.

    The week's comments are ranked from the covering index alone; issue rows
    are read only for the leading ranks, so a busy week costs a few lookups,
    not one per commented issue."""
    ranked = db.execute(f"""
        select c.issue, count(*), count(distinct c.user) from live_comments c
        where c.created_at >= :start and c.created_at < :end and c.issue is not null
          and not {BOT.format("c.user")}
        group by c.issue order by 2 desc, 3 desc
    """, {"start": start, "end": end})
    found = []
    for (comments, people), group in itertools.groupby(ranked, key=lambda r: (r[1], r[2])):
        ids = [r[0] for r in group]
        for chunk in range(0, len(ids), 500):
            found += [{**r, "week_comments": comments, "people": people} for r in _rows(db, f"""
                select i.id, i.type, i.number, i.title, i.html_url, i.state, repos.full_name
                from live_issues i left join repos on repos.id = i.repo
                where i.id in ({",".join("?" * len(ids[chunk:chunk + 500]))})
                  and not {BOT.format("i.user")}
            """, ids[chunk:chunk + 500])]
        if len(found) >= limit:
            break
    # SQLite's order: NULL first, then by UTF-8 bytes (= code points).
    found.sort(key=lambda r: (-r["week_comments"], -r["people"], r["full_name"] is not None,
                              r["full_name"] or "", r["number"] is not None, r["number"] or 0))
    return found[:limit]


def most_reacted(db, start, end, limit=5):
    """Open issues active this week (updated in it) and not opened by a bot, most
    reactions first (as most_reacted_open_issues with the week given)."""
    return _rows(db, f"""
        select * from (
            select i.id, i.number, i.title, i.html_url, repos.full_name, i.updated_at,
                   {REACTIONS} as reactions
            from live_issues i join repos on repos.id = i.repo
            where i.type = 'issue' and i.state = 'open'
              and i.updated_at >= :start and i.updated_at < :end
              and not {BOT.format("i.user")})
        where reactions > 0 order by reactions desc, updated_at desc, id limit :limit
    """, {"start": start, "end": end, "limit": limit})


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


def first_timers(db, start, end):
    """First contributions of the week, one per person and repo (as the
    first_time_contributors query), flagged when new to the whole ecosystem."""
    return _rows(db, f"""
        with firsts as (
            select i.user, i.repo, min(i.created_at) as first_at
            from live_issues i join people u on u.id = i.user
            where i.created_at >= :start and i.created_at < :end
            group by i.user, i.repo)
        select f.user, f.first_at, u.login, u.name, u.html_url as user_url,
               i.type, i.number, i.title, i.html_url, repos.full_name,
               not exists (select 1 from live_issues j where j.user = f.user
                           and j.created_at < :start) as new_to_ecosystem
        from firsts f
        join live_issues i on i.user = f.user and i.repo = f.repo and i.created_at = f.first_at
        left join users u on u.id = f.user left join repos on repos.id = f.repo
        where not exists (select 1 from live_issues j where j.user = f.user
                          and j.repo = f.repo and j.created_at < :start)
        group by f.user, f.repo
        order by new_to_ecosystem desc, f.first_at, u.login
    """, {"start": start, "end": end})


def posts(db, start, end):
    """Feed entries published in the week (as posts_this_week), except those
    that are a release already listed under Releases (same URL)."""
    return _rows(db, """
        select e.title, e.link, e.author, e.published, coalesce(f.title, e.feed) as feed_title
        from feed_entries e left join feeds f on f.url = e.feed
        where e.published >= :start and e.published < :end
          and not (e.link like 'http%' and exists (
              select 1 from releases r where r.html_url = e.link and coalesce(r.draft, 0) = 0))
        order by e.published, e.id
    """, {"start": start, "end": end})


def daily_activity(db, start, end):
    """Per day: issues and PRs opened, comments, merges and releases, summed."""
    days = [(date.fromisoformat(start) + timedelta(d)).isoformat() for d in range(7)]
    counts = dict.fromkeys(days, 0)
    for day, n in db.execute(
        """select substr(at, 1, 10), count(*) from activity
           where kind in ('opened', 'merged', 'released') and at >= :start and at < :end
           group by 1
           union all
           select substr(created_at, 1, 10), count(*) from live_comments
           where created_at >= :start and created_at < :end group by 1""",
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
