"""What a build of many weeks reads once and every week shares (#26).

``tracker digest --all`` builds three years of weeks: per person and week, the
headline numbers and "Welcome, new contributors" ask whether someone opened
anything before, which at 1M issues cost 0.1-0.3 s a week. Read once instead
(``first_weeks``: everyone's first week anywhere, and who is a bot), they cost
a dictionary lookup. Same answers as the per-week reads
(tests/test_digest_shared_reads.py, tests/test_digest_golden.py); pure reads.
"""

from ..safe import clean, safe_link


def first_weeks(db):
    """({user: the first week they opened an issue or PR anywhere}, {bots' ids}):
    what ``sections._people_weekly`` looks up per person and week, read in one pass of
    people_weekly's first-week index for a build of many weeks (#26: a second
    for three years of weeks at 1M issues, instead of 60-80 ms a week)."""
    return (dict(db.execute("select user, min(week) from people_weekly where opened > 0 "
                            "group by user")),
            {i for (i,) in db.execute("select id from bots")})


def people_numbers(db, p, firsts):
    """``sections._people_weekly``'s numbers (bots' PRs, active people,
    first-timers) of whole weeks ``p`` ({"start", "end"}), everyone's first
    week known."""
    first, bots = firsts
    bot_prs = active = new = 0
    for user, opened, pulls in db.execute("""
            select w.user, sum(w.opened), sum(w.opened_pulls) from people_weekly w
            where w.week >= :start and w.week < :end
            group by w.user having sum(w.opened) > 0 or sum(w.comments) > 0""", p):
        if user in bots:
            bot_prs += pulls or 0
            continue
        active += 1
        # Opened something in the period, and nothing in an earlier week.
        new += opened > 0 and first.get(user, p["start"]) >= p["start"]
    return bot_prs, active, new


# first_time_contributors (tracker/queries/first_time_contributors.sql) for whole
# weeks: the same rows, new_to_ecosystem from everyone's first week, and only the
# columns the digest reads (the query's feed text of 5,400 rows a week at 1M
# issues is not made).
FIRST_TIMERS = """
    with week_firsts as materialized (
      select p.user, p.repo from people_weekly p join people on people.id = p.user
      where p.week >= :start and p.week < :end and p.opened > 0
        and not exists (select 1 from people_weekly e where e.user = p.user
                        and e.repo = p.repo and e.week < p.week and e.opened > 0)),
    firsts as materialized (
      select w.user, w.repo,
             (select e.id from live_issues e where e.user = w.user and e.repo = w.repo
                and e.created_at >= :start and e.created_at < :end
              order by e.created_at, e.id limit 1) as issue
      from week_firsts w)
    select f.user, users.login, repos.full_name, issues.type, issues.number, issues.title,
           issues.created_at, issues.html_url
    from firsts f join issues on issues.id = f.issue
    left join users on users.id = f.user left join repos on repos.id = f.repo
    where issues.created_at >= :start
"""


def first_timer_rows(db, start, end, firsts):
    """The first_time_contributors query's rows (the digest's columns, cleaned
    as ``sections._canned`` cleans them) of whole weeks [start, end)."""
    first, _bots = firsts
    out = []
    for user, login, repo, kind, number, title, created, url in db.execute(
            FIRST_TIMERS, {"start": start, "end": end}):
        # The query's atom_link: the issue's URL, else one made from its repo and number.
        made = None if repo is None or number is None else \
            f"https://github.com/{repo}/issues/{number}"
        out.append({"contributor": clean(login), "first_at": clean(created),
                    "type": clean(kind), "number": number, "title": clean(title),
                    "atom_link": clean(safe_link(url, made, "https://github.com/")),
                    "repo": clean(repo),
                    # Nothing opened anywhere before the period.
                    "new_to_ecosystem": int(first.get(user, start) >= start)})
    return out


def busiest(db, start, end, firsts, limit):
    """The busiest_this_week query's first ``limit`` rows (the digest's columns,
    cleaned as ``sections._canned`` cleans them) for [start, end), who is a bot
    known: the period's comments through their (created_at, user, issue) index,
    counted here, then only the busiest issues read, a tier of equal counts at a
    time. A comment on a transferred or deleted issue counts for that issue
    only, which is never listed: counting it changes nothing."""
    _first, bots = firsts
    counts = {}
    for issue, user, at in db.execute(
            "select issue, user, created_at from issue_comments "
            "where created_at >= ? and created_at < ? and issue is not null", [start, end]):
        if user is not None and user in bots:
            continue
        n = counts.get(issue)
        if n is None:
            counts[issue] = n = [0, set()]
        n[0] += 1
        if user is not None:  # count(distinct user) leaves NULL out
            n[1].add(user)
    tiers = {}
    for issue, (n, users) in counts.items():
        tiers.setdefault((n, len(users)), []).append(issue)
    out = []
    for n, people in sorted(tiers, reverse=True):
        if len(out) >= limit:
            break
        ids = tiers[(n, people)]
        rows = []
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            rows += db.execute(f"""
                select i.id, i.type, i.number, i.title, i.state, i.html_url, i.user,
                       repos.full_name
                from issues i left join repos on repos.id = i.repo
                where i.id in ({",".join("?" * len(part))})
                  and i.transferred_to is null and i.deleted_at is null""", part).fetchall()
        # The query's order within a tier: repository, then number (NULL first).
        rows.sort(key=lambda r: (r[7] is not None, r[7] or "", r[2] is not None, r[2] or 0))
        for issue, kind, number, title, state, url, author, repo in rows:
            if author is not None and author in bots:
                continue
            made = None if repo is None or number is None else \
                f"https://github.com/{repo}/issues/{number}"
            out.append({"id": issue, "type": clean(kind), "number": number,
                        "title": clean(title),
                        "html_url": clean(safe_link(url, made, "https://github.com/")),
                        "state": clean(state), "full_name": clean(repo),
                        "week_comments": n, "people": people})
    return out[:min(limit, QUERY_LIMIT)]


QUERY_LIMIT = 25  # busiest_this_week lists 25
