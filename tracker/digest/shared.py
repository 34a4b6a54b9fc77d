"""What the digest's sections read once, or more cheaply than the canned
queries whose questions they answer (#26).

``tracker digest --all`` builds three years of weeks: per person and week, the
headline numbers ask whether someone opened anything before, which at 1M
issues cost 60-80 ms a week. Read once instead
(``first_weeks``: everyone's first week anywhere, and who is a bot), they cost
a dictionary lookup. ``first_timer_rows`` and ``busiest`` answer the canned
queries first_time_contributors (through its shared fragment) and
busiest_this_week (counting the week's comments here) without the feed's
text: same rows, same order
(tests/test_digest_shared_reads.py holds them to the queries,
tests/test_digest_golden.py to the digest as it was). Pure reads.
"""

from ..canned import fragment_rows
from ..safe import clean, safe_link


def bots(db):
    """The ids of the users who are bots now (the ``bots`` view), a set."""
    return {i for (i,) in db.execute("select id from bots")}


def first_weeks(db):
    """({user: the first week they opened an issue or PR anywhere}, {bots' ids}):
    what ``sections._people_weekly`` looks up per person and week, read in one pass of
    people_weekly's first-week index for a build of many weeks (#26: a second
    for three years of weeks at 1M issues, instead of 60-80 ms a week)."""
    return (dict(db.execute("select user, min(week) from people_weekly where opened > 0 "
                            "group by user")),
            bots(db))


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


def first_timer_rows(db, start, end):
    """The first_time_contributors query's rows (the digest's columns, cleaned
    as ``sections._canned`` cleans them) of [start, end), from the query's own
    shared fragment (``tracker/queries/_first_timers.sql``) without the feed's
    text (5,400 rows a week at 1M issues, of which the digest shows 20)."""
    out = []
    for r in fragment_rows(db, "first_timers", start, end):
        repo, number = r["full_name"], r["number"]
        # The query's atom_link: the issue's URL, else one made from its repo and number.
        made = None if repo is None or number is None else \
            f"https://github.com/{repo}/issues/{number}"
        out.append({"contributor": clean(r["login"]), "first_at": clean(r["created_at"]),
                    "type": clean(r["type"]), "number": number, "title": clean(r["title"]),
                    "atom_link": clean(safe_link(r["html_url"], made, "https://github.com/")),
                    "repo": clean(repo), "new_to_ecosystem": r["new_to_ecosystem"]})
    return out


def busiest(db, start, end, bots, limit):
    """The busiest_this_week query's first ``limit`` rows (the digest's columns,
    cleaned as ``sections._canned`` cleans them) for [start, end), ``bots`` the
    ids of bots (``bots(db)``): the period's comments through their
    (created_at, user, issue) index, counted here, then only the busiest issues
    read, a tier of equal counts at a time (0.2 -> 0.03 s a week at 1M issues).
    A comment on a transferred or deleted issue counts for that issue only,
    which is never listed: counting it changes nothing."""
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
