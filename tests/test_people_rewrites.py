"""#26: first_time_contributors and busiest_this_week, rewritten for speed, answer
exactly what they answered before.

Their previous SQL is kept here verbatim (as it was before the rewrite, on the
previous live_comments view) and both run on the sample database plus synthetic
rows for every case the rewrite touches: transferred and deleted issues (and
comments on them), bots (by type, by login, by is_bot) as authors and as
commenters, a person whose first activity in a repository is not their first in
the ecosystem, a first issue that was later deleted, two first issues in the
same second, a period that starts mid-week (the digest's months), hostile
logins and links, more than a hundred issues commented on in a week (the busiest
query's bar) and a week whose busiest issues are all bots' (its fallback).
Speed is bench/queries.py's business, never asserted here.
"""

import pytest
import sqlite_utils

from sampledb import SAMPLE_WEEKS, at, populate_sample
from tracker.canned import PERIOD, bytes_arguments, canned_rows, canned_sql, expand, fragment_rows
from tracker.db import open_db

# live_comments before it read gone_issues (#26).
OLD_LIVE_COMMENTS = """
select * from issue_comments c
where not exists (select 1 from issues i where i.id = c.issue
                  and (i.transferred_to is not null or i.deleted_at is not null))
"""

OLD_FIRST_TIME_CONTRIBUTORS = """
with week as (/* include _week.sql */),
bounds as (select start, stop, week_start(start) as monday from week),
week_firsts as (
  select p.user, p.repo
  from people_weekly p
  join people on people.id = p.user
  where p.week >= (select monday from bounds) and p.week < (select stop from bounds)
    and p.opened > 0
    and not exists (select 1 from people_weekly e where e.user = p.user and e.repo = p.repo
                    and e.week < p.week and e.opened > 0)
),
firsts as (
  select * from (
    select week_firsts.*,
           (select e.id from live_issues as e
            where e.user = week_firsts.user and e.repo = week_firsts.repo
              and e.created_at >= (select monday from bounds)
              and e.created_at < (select stop from bounds)
            order by e.created_at, e.id limit 1) as issue,
           not exists (select 1 from people_weekly e where e.user = week_firsts.user
                       and e.week < (select monday from bounds) and e.opened > 0)
             and not exists (select 1 from live_issues j where j.user = week_firsts.user
                             and j.created_at >= (select monday from bounds)
                             and j.created_at < (select start from bounds))
             as new_to_ecosystem
    from week_firsts) f
  where (select created_at from issues where id = f.issue) >= (select start from bounds)
),
items as (
  select
    users.login as contributor,
    repos.full_name as repo,
    firsts.new_to_ecosystem,
    issues.type,
    issues.number,
    issues.title,
    issues.created_at as first_at,
    xml_text('tracker:first-contribution:' || firsts.user || ':' || firsts.repo) as atom_id,
    xml_text(coalesce(users.login, '?') || ': first '
      || case issues.type when 'pull' then 'pull request' else 'issue' end
      || ' in ' || coalesce(repos.full_name, '?')
      || case when firsts.new_to_ecosystem then ' (new to the ecosystem)' else '' end
     ) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', issues.created_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(issues.html_url,
      'https://github.com/' || repos.full_name || '/issues/' || issues.number,
      'https://github.com/') as atom_link,
    '<p>' || html_text(coalesce(users.login, '?')) || ' opened #' || coalesce(issues.number, '?')
      || ': ' || html_text(coalesce(issues.title, '')) || '</p>' as atom_content_html,
    xml_text(coalesce(users.login, 'unknown')) as atom_author_name
  from firsts
  join issues on issues.id = firsts.issue
  left join users on users.id = firsts.user
  left join repos on repos.id = firsts.repo
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null,
  'tracker:first_time_contributors:' || coalesce((select id from week), 'invalid-week'),
  'No first-time contributors in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>Nobody opened their first issue or pull request in a followed repository in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by new_to_ecosystem desc, atom_updated desc
"""

OLD_BUSIEST_THIS_WEEK = """
with week as (/* include _week.sql */),
counts as (
  select issue_comments.issue,
         count(*) as week_comments,
         count(distinct issue_comments.user) as commenters,
         max(issue_comments.created_at) as last_comment_at
  from old_live_comments as issue_comments
  where issue_comments.created_at >= (select start from week)
    and issue_comments.created_at < (select stop from week)
    and issue_comments.issue is not null
    and not exists (select 1 from bots where bots.id = issue_comments.user)
  group by issue_comments.issue
),
top as (
  select counts.*, issues.id as id
  from counts
  join live_issues as issues on issues.id = counts.issue
  left join repos on repos.id = issues.repo
  where not exists (select 1 from bots where bots.id = issues.user)
  order by counts.week_comments desc, counts.commenters desc, repos.full_name, issues.number
  limit 25
),
items as (
  select
    repos.full_name as repo,
    issues.number,
    issues.type,
    issues.title,
    issues.state,
    counts.week_comments,
    counts.commenters,
    issues.comments as all_comments,
    users.login as author,
    issues.id as issue,
    xml_text('tracker:busiest:' || (select id from week) || ':' || issues.id) as atom_id,
    xml_text(coalesce(repos.full_name, '?') || '#' || coalesce(issues.number, '?') || ': '
      || coalesce(issues.title, '')) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', counts.last_comment_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(issues.html_url,
      'https://github.com/' || repos.full_name || '/issues/' || issues.number,
      'https://github.com/') as atom_link,
    '<p>' || counts.week_comments || ' comments from ' || counts.commenters
      || ' people this week (' || html_text(coalesce(issues.state, '?')) || ' '
      || case issues.type when 'pull' then 'pull request' else 'issue' end || ').</p><p>'
      || replace(html_text(coalesce(nullif(substr(issues.body, 1, 1500), ''), 'No description.')),
                 char(10), '<br>') || '</p>' as atom_content_html,
    xml_text(coalesce(users.login, 'unknown')) as atom_author_name
  from top as counts
  join issues on issues.id = counts.id
  left join repos on repos.id = issues.repo
  left join users on users.id = issues.user
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null, null, null, null,
  'tracker:busiest_this_week:' || coalesce((select id from week), 'invalid-week'),
  'No comments in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>Nobody commented on an issue or pull request in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by week_comments desc, commenters desc, repo, number
"""

REPO_A, REPO_B, REPO_C = 2001, 2002, 2004
# Synthetic people and bots (ids far from the sample's).
PEOPLE = {
    9101: "ada-new", 9102: "bo-known", 9103: "cy-gone-first", 9104: "di-deleted-first",
    9105: "ed-twice", 9106: "fay-midweek", 9107: "gus-thursday", 9108: "hal<b>&'\"",
    9109: "ivy\x1b[31m\x07", 9110: "jo-transferred-only",
    9111: "kim-busy", 9112: "lu-busy", 9113: "mo-busy",  # the later weeks' authors
}
BOTS = {9201: ("helper[bot]", "User", 0), 9202: ("ci-app", "Bot", 0),
        9203: ("watchlisted", "User", 1)}
WEEKS = {"first": 24, "many": 25, "bots_on_top": 26}


def _issue(rows, iid, repo, user, created, *, kind="issue", gone=None, url=None, body="b"):
    rows.append({
        "id": iid, "node_id": f"I_syn{iid}", "number": iid - 800_000, "title": f"Synthetic {iid}",
        "user": user, "repo": repo, "type": kind, "state": "open", "locked": 0, "comments": 0,
        "created_at": created, "updated_at": created, "body": body,
        "html_url": url or f"https://github.com/sample/synthetic/issues/{iid - 800_000}",
        "transferred_to": "https://github.com/elsewhere/repo/issues/1" if gone == "transferred"
        else None,
        "deleted_at": created if gone == "deleted" else None,
    })


def _synthetic_rows():
    issues, comments = [], []
    w = WEEKS["first"]
    _issue(issues, 800_001, REPO_A, 9101, at(w, 2))                      # new everywhere
    _issue(issues, 800_002, REPO_A, 9102, at(20, 3))                     # known in A ...
    _issue(issues, 800_003, REPO_B, 9102, at(w, 3))                      # ... first in B
    _issue(issues, 800_004, REPO_A, 9103, at(18, 1), gone="transferred")  # gone: not a first
    _issue(issues, 800_005, REPO_A, 9103, at(w, 4))                      # so this one is
    _issue(issues, 800_006, REPO_B, 9104, at(19, 1), gone="deleted")
    _issue(issues, 800_007, REPO_B, 9104, at(w, 1, hour=3), url="javascript:alert(1)")
    _issue(issues, 800_008, REPO_C, 9105, at(w, 5, hour=9))              # two in one second
    _issue(issues, 800_009, REPO_C, 9105, at(w, 5, hour=9), kind="pull")
    _issue(issues, 800_010, REPO_A, 9106, at(w, 1, hour=8))              # Monday, before a
    _issue(issues, 800_011, REPO_B, 9106, at(w, 4, hour=8))              # mid-week period
    _issue(issues, 800_012, REPO_C, 9107, at(w, 4, hour=10))
    _issue(issues, 800_013, REPO_A, 9108, at(w, 2, hour=5), url="https://github.com/x/y/issues/1'\"")
    _issue(issues, 800_014, REPO_B, 9109, at(w, 3, hour=5), url="https://github.com/a b")
    _issue(issues, 800_015, REPO_C, 9110, at(w, 3, hour=6), gone="transferred")
    _issue(issues, 800_016, None, 9110, at(w, 6, hour=6))                # repo unknown
    for n, bot in enumerate(BOTS):
        _issue(issues, 800_020 + n, REPO_A, bot, at(w, 2, hour=n))
    # Week "many": 130 issues commented on, counts spread so ties fall on the bar.
    w = WEEKS["many"]
    users = [*PEOPLE, *BOTS, None]
    cid = [900_000]

    def comment(issue, user, when, *, issue_id=True):
        comments.append({"id": cid[0], "issue": issue if issue_id else None, "user": user,
                         "repo": REPO_A, "created_at": when, "updated_at": when,
                         "body": "c", "html_url": f"https://github.com/c/{cid[0]}"})
        cid[0] += 1

    for k in range(130):
        iid = 810_000 + k
        author = [9111, 9112, 9201, 9202, 9113][k % 5]
        gone = {7: "deleted", 11: "transferred"}.get(k % 13)
        _issue(issues, iid, [REPO_A, REPO_B, REPO_C][k % 3], author, at(w - 3, 1), gone=gone)
        for j in range(1 + k % 6):
            comment(iid, users[(k + j) % len(users)], at(w, 1 + j % 7, hour=k % 20))
    comment(None, 9101, at(w, 2), issue_id=False)  # a comment on no stored issue
    comment(899_999, 9102, at(w, 2))               # ... on an issue not stored
    # Week "bots_on_top": the 120 busiest are bots' issues; people's come after.
    w = WEEKS["bots_on_top"]
    for k in range(150):
        iid = 820_000 + k
        author = list(BOTS)[k % 3] if k < 120 else [9111, 9112, 9113][k % 3]
        _issue(issues, iid, REPO_B, author, at(w - 2, 1))
        for j in range(6 if k < 120 else 1 + k % 3):
            comment(iid, [9101, 9102, 9103, 9104, 9105, 9106][j], at(w, 1 + j, hour=1 + k % 20))
    return issues, comments


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("people_rewrites") / "tracker.db"
    db = populate_sample(sqlite_utils.Database(path))
    issues, comments = _synthetic_rows()
    with db.conn:
        db["users"].upsert_all(
            [{"id": i, "login": login, "type": "User", "is_bot": 0} for i, login in PEOPLE.items()]
            + [{"id": i, "login": login, "type": kind, "is_bot": flag}
               for i, (login, kind, flag) in BOTS.items()], pk="id")
        db["issues"].upsert_all(issues, pk="id")
        db["issue_comments"].upsert_all(comments, pk="id")
    db.close()
    db = open_db(path)
    db.execute(f"create temp view old_live_comments as {OLD_LIVE_COMMENTS}")
    return db


def served(sql, period=False):
    return bytes_arguments(expand(sql, fragments=PERIOD if period else None))


def rows(db, sql, params):
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


WEEK_CASES = ["", *SAMPLE_WEEKS, *(f"2026-W{w}" for w in WEEKS.values()), "2025-W10",
              "not a week"]


def test_live_comments_answer_as_before(db):
    order = " order by id"
    old = rows(db, "select * from old_live_comments" + order, {})
    assert rows(db, "select * from live_comments" + order, {}) == old
    assert len(old) < db.execute("select count(*) from issue_comments").fetchone()[0]


def test_gone_issues_are_the_complement_of_live_issues(db):
    live = {r[0] for r in db.execute("select id from live_issues")}
    gone = {r[0] for r in db.execute("select id from gone_issues")}
    every = {r[0] for r in db.execute("select id from issues")}
    assert live | gone == every and not live & gone and gone


@pytest.mark.parametrize("week", WEEK_CASES)
def test_first_time_contributors_answer_as_before(db, week):
    new = rows(db, canned_sql("first_time_contributors"), {"week": week})
    assert new == rows(db, served(OLD_FIRST_TIME_CONTRIBUTORS), {"week": week})
    if week == f"2026-W{WEEKS['first']}":
        people = {(r[1], r[3]) for r in new}
        assert ("ada-new", 1) in people and ("bo-known", 0) in people
        assert ("cy-gone-first", 1) in people and ("di-deleted-first", 1) in people
        assert not {login for login, _ in people} & {b[0] for b in BOTS.values()}


# Periods as the digest gives them (canned_rows): whole weeks, a month, mid-week starts.
PERIODS = [("2026-06-08", "2026-06-15"), ("2026-06-10", "2026-06-17"),
           ("2026-06-11", "2026-07-01"), ("2026-06-01", "2026-07-01"),
           ("2026-05-01", "2026-06-01"), ("2026-06-22", "2026-06-29")]


@pytest.mark.parametrize("start, end", PERIODS)
def test_first_time_contributors_in_a_period_answer_as_before(db, start, end):
    params = {"start": start, "end": end}
    new = rows(db, canned_sql("first_time_contributors", True), params)
    assert new == rows(db, served(OLD_FIRST_TIME_CONTRIBUTORS, True), params)
    if start == "2026-06-10":  # a Wednesday: fay's Monday issue came before it
        firsts = {(r[1], r[2], r[3]) for r in new}
        assert ("gus-thursday", "jupyterhub/sample-hub", 1) in firsts
        assert [f for f in firsts if f[0] == "fay-midweek"] == [
            ("fay-midweek", "jupyterlab/sample-lab", 0)]


@pytest.mark.parametrize("week", WEEK_CASES)
def test_busiest_this_week_answers_as_before(db, week):
    new = rows(db, canned_sql("busiest_this_week"), {"week": week})
    assert new == rows(db, served(OLD_BUSIEST_THIS_WEEK), {"week": week})
    if week in (f"2026-W{WEEKS['many']}", f"2026-W{WEEKS['bots_on_top']}"):
        assert len(new) == 25 and new[0][1] is not None


@pytest.mark.parametrize("start, end", PERIODS)
def test_busiest_in_a_period_answers_as_before(db, start, end):
    params = {"start": start, "end": end}
    new = rows(db, canned_sql("busiest_this_week", True), params)
    assert new == rows(db, served(OLD_BUSIEST_THIS_WEEK, True), params)


def test_the_bar_and_its_fallback_are_both_reached(db):
    """Week "many" has over 100 issues commented on (the bar is set and enough pass
    it); in week "bots_on_top" the 120 busiest are bots', so too few pass and all
    candidates are read."""
    sql = canned_sql("busiest_this_week")  # its ranking is the _busiest.sql fragment's
    head = sql[:sql.index("busiest as (")] + sql[sql.index("with counts as (") + len("with "):]
    head = head[:head.index("  select * from candidates where")].rstrip().rstrip(",")
    probe = head + "\nselect (select count(*) from ranked), (select count(*) from candidates)"
    many = db.execute(probe, {"week": f"2026-W{WEEKS['many']}"}).fetchone()
    assert many[0] > 100 and many[1] >= 25
    bots = db.execute(probe, {"week": f"2026-W{WEEKS['bots_on_top']}"}).fetchone()
    assert bots[0] > 100 and bots[1] < 25


@pytest.mark.parametrize("start, end", PERIODS)
def test_first_timers_fragment_is_the_query_without_its_text(db, start, end):
    """The digest may read _first_timers.sql alone: the same rows as the canned query."""
    key = ("contributor", "repo", "new_to_ecosystem", "type", "number", "title", "first_at")
    canned = sorted(tuple(r[k] for k in key) for r in canned_rows(
        db, "first_time_contributors", start, end))
    raw = sorted((r["login"], r["full_name"], r["new_to_ecosystem"], r["type"], r["number"],
                  r["title"], r["created_at"])
                 for r in fragment_rows(db, "first_timers", start, end))
    assert raw == canned
    if start == "2026-06-08":
        assert len(raw) >= 10
