"""What the digest's sections read once, or more cheaply than the canned
queries whose questions they answer (#26).

``tracker digest --all`` builds three years of weeks: per person and week, the
headline numbers ask whether someone opened anything before, which at 1M
issues cost 60-80 ms a week. Read once instead
(``first_weeks``: everyone's first week anywhere, and who is a bot), they cost
a dictionary lookup. ``first_timer_rows`` and ``busiest`` answer the canned
queries first_time_contributors and busiest_this_week through their shared
fragments (``_first_timers.sql``, ``_busiest.sql``) without the feed's
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
        # The query's atom_link: the URL, else one made from its repo and number.
        made = None if repo is None or number is None else \
            f"https://github.com/{repo}/issues/{number}"
        out.append({"contributor": clean(r["login"]), "first_at": clean(r["created_at"]),
                    "type": clean(r["type"]), "number": number, "title": clean(r["title"]),
                    "atom_link": clean(safe_link(r["html_url"], made, "https://github.com/")),
                    "repo": clean(repo), "new_to_ecosystem": r["new_to_ecosystem"],
                    # Who they are, for the digest: read in the same pass (raw, as
                    # the users table holds them; sections.first_timers cleans them).
                    "user": r["user"], "name": r["user_name"], "user_url": r["user_url"]})
    return out


def busiest(db, start, end, limit):
    """The busiest_this_week query's first ``limit`` rows for [start, end), in its
    order, with the digest's columns cleaned as ``sections._canned`` cleans them:
    the query's own rows (its shared fragment, ``_busiest.sql``: one definition
    of who counts and how ties break), then the text of those 25 at most."""
    top = sorted(fragment_rows(db, "busiest", start, end), key=lambda r: (
        -r["week_comments"], -r["commenters"], r["sort_repo"] is not None,
        r["sort_repo"] or "", r["sort_number"] is not None, r["sort_number"] or 0))
    top = top[:min(limit, QUERY_LIMIT)]
    texts = {r[0]: r[1:] for r in db.execute(
        "select id, type, title, state, html_url from issues where id in ({})".format(
            ",".join("?" * len(top))), [r["id"] for r in top])} if top else {}
    out = []
    for r in top:
        kind, title, state, url = texts[r["id"]]
        repo, number = r["sort_repo"], r["sort_number"]
        made = None if repo is None or number is None else \
            f"https://github.com/{repo}/issues/{number}"
        out.append({"id": r["id"], "type": clean(kind), "number": number,
                    "title": clean(title),
                    "html_url": clean(safe_link(url, made, "https://github.com/")),
                    "state": clean(state), "full_name": clean(repo),
                    "week_comments": r["week_comments"], "people": r["commenters"]})
    return out


QUERY_LIMIT = 25  # busiest_this_week lists 25
