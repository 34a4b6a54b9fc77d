"""#26: the summary tables agree with the base tables after every kind of write.

The expected numbers are computed here by independent SQL over the facts' views
(live_issues, live_comments, activity) with the Python week rule (week_start()),
never by the summaries' own SQL."""

import random
import sqlite3
from datetime import date, timedelta

import pytest
import sqlite_utils
from click.testing import CliRunner

from conftest import harvest
from tracker import summaries
from tracker.cli import cli
from tracker.config import Config
from tracker.db import open_db
from tracker.weeks import week_start

SPAWNER, DEPLOY = "jupyterhub/dockerspawner", "jupyterhub/jupyterhub-deploy-docker"
DAILY = Config(repos=[SPAWNER, DEPLOY], reconcile_days=1)


def expected(db):
    """{table: {key: counts}} from the views, independently of tracker/summaries.py."""
    weekly, daily, people = {}, {}, {}

    def add(table, key, column, columns, n=1):
        row = table.setdefault(key, dict.fromkeys(columns, 0))
        row[column] += n

    A, P = summaries.ACTIVITY, summaries.PEOPLE
    events = db.execute("""
        select repo, at, kind, null, null from activity
        union all select repo, created_at, 'opened_' || type, user, 1 from live_issues
          where created_at is not null and type in ('issue', 'pull')
        union all select repo, closed_at, 'closed_pulls', null, null from live_issues
          where closed_at is not null and type = 'pull'
        union all select repo, closed_at, 'closed_unmerged', null, null from live_issues
          where closed_at is not null and type = 'pull' and merged_at is null
        union all select repo, created_at, 'comments', user, 1 from live_comments
          where created_at is not null
        union all select repo, created_at, 'people_opened', user, 1 from live_issues
          where created_at is not null
    """).fetchall()
    names = {"opened": "opened", "closed": "closed_issues", "merged": "merged",
             "released": "releases", "opened_issue": "opened_issues",
             "opened_pull": "opened_pulls", "closed_pulls": "closed_pulls",
             "closed_unmerged": "closed_unmerged", "comments": "comments"}
    for repo, at, kind, user, _ in events:
        week = week_start(at)
        if week is None:
            continue
        repo = repo or 0
        if kind == "people_opened":
            if user is not None:
                add(people, (week, user, repo), "opened", P)
            continue
        column = names[kind]
        add(weekly, (week, repo), column, A)
        add(daily, (at[:10],), column, A)
        if user is not None and column in ("opened_pulls", "comments"):
            add(people, (week, user, repo), column, P)
    return {"activity_weekly": weekly, "activity_daily": daily, "people_weekly": people}


def stored(db):
    out = {}
    for table in summaries.TABLES:
        keys = list(summaries.KEYS[table])
        measures = summaries.MEASURES[table]
        # Rows whose counts fell to zero may stay; they count nothing.
        out[table] = {tuple(r[:len(keys)]): dict(zip(measures, r[len(keys):]))
                      for r in db.execute(f"select {', '.join(keys + measures)} from {table}")
                      if any(r[len(keys):])}
    return out


def assert_consistent(db):
    got, want = stored(db), expected(db)
    for table in summaries.TABLES:
        assert got[table] == want[table], table
    return got


def test_the_sql_week_rule_is_week_start_on_every_day_of_sixteen_years():
    conn = sqlite3.connect(":memory:")
    day = date(2014, 12, 20)  # covers ISO weeks 53 (2015, 2020, 2026) and every year end
    while day < date(2031, 1, 10):
        for text in (day.isoformat(), day.isoformat() + "T23:59:59Z"):
            (got,) = conn.execute("select " + summaries.WEEK.format("?"), [text]).fetchone()
            assert got == week_start(text), text
        day += timedelta(1)
    assert conn.execute("select " + summaries.WEEK.format("?"), ["soon"]).fetchone() == (None,)


def _random_writes(conn, rng, n=400):
    """Writes as any client might make them, on a plain sqlite3 connection."""
    days = [(date(2026, 12, 20) + timedelta(d)).isoformat() for d in range(20)]  # W52..W02

    def ts():
        return rng.choice(days) + "T%02d:00:00Z" % rng.randrange(24)

    for step in range(n):
        op = rng.random()
        if op < 0.3:
            created = ts()
            closed = rng.choice([None, ts()])
            kind = rng.choice(["issue", "pull"])
            conn.execute("""insert or ignore into issues (id, repo, user, type, created_at,
                            closed_at, merged_at, number) values (?, ?, ?, ?, ?, ?, ?, ?)""",
                         [rng.randrange(60), rng.choice([1, 2, None]), rng.choice([7, 8, 9, None]),
                          kind, created, closed,
                          closed if kind == "pull" and closed and rng.random() < .5 else None,
                          step])
        elif op < 0.5:
            conn.execute("""insert or replace into issue_comments (id, issue, repo, user,
                            created_at) values (?, ?, ?, ?, ?)""",
                         [rng.randrange(200), rng.randrange(70), rng.choice([1, 2]),
                          rng.choice([7, 8, None]), rng.choice([ts(), None, "bad"])])
        elif op < 0.6:
            conn.execute("update issues set transferred_to = 'https://github.com/a/b/issues/1' "
                         "where id = ?", [rng.randrange(60)])
        elif op < 0.65:
            conn.execute("update issues set transferred_to = null where id = ?",
                         [rng.randrange(60)])
        elif op < 0.7:
            conn.execute("update issues set deleted_at = ? where id = ?", [ts(), rng.randrange(60)])
        elif op < 0.75:
            conn.execute("update issues set closed_at = ?, merged_at = null, repo = ? where id = ?",
                         [ts(), rng.choice([1, 2]), rng.randrange(60)])
        elif op < 0.8:
            conn.execute("delete from issues where id = ?", [rng.randrange(60)])
        elif op < 0.85:
            conn.execute("delete from issue_comments where id = ?", [rng.randrange(200)])
        elif op < 0.95:
            conn.execute("""insert into releases (id, repo, published_at, draft) values (?, ?, ?, ?)
                            on conflict (id) do update set published_at = excluded.published_at,
                            draft = excluded.draft""",
                         [rng.randrange(30), rng.choice([1, 2]), ts(), rng.random() < .2])
        else:
            conn.execute("delete from releases where id = ?", [rng.randrange(30)])


@pytest.mark.parametrize("seed", range(3))
def test_any_write_on_a_plain_connection_keeps_them_right(tmp_path, seed):
    path = tmp_path / "t.db"
    open_db(str(path)).conn.close()
    conn = sqlite3.connect(path)  # no project SQL functions: the triggers need none
    conn.execute("pragma recursive_triggers=on")
    _random_writes(conn, random.Random(seed))
    conn.commit()
    conn.close()
    got = assert_consistent(open_db(str(path)))
    assert got["activity_weekly"] and got["people_weekly"]


def test_a_plain_insert_or_replace_without_recursive_triggers_is_caught_by_rebuild(tmp_path):
    path = tmp_path / "t.db"
    db = open_db(str(path))
    db.execute("pragma recursive_triggers=off")
    db.execute("insert into issues (id, repo, user, type, created_at) "
               "values (1, 1, 7, 'issue', '2026-12-02T10:00:00Z')")
    db.execute("insert or replace into issues (id, repo, user, type, created_at) "
               "values (1, 1, 7, 'issue', '2026-12-03T10:00:00Z')")
    with pytest.raises(AssertionError):
        assert_consistent(db)  # why open_db turns recursive_triggers on
    summaries.rebuild(db)
    assert_consistent(db)


def test_full_incremental_and_reconciliation_runs(emulator, tmp_path):
    path = tmp_path / "tracker.db"
    assert harvest(path, emulator, DAILY).status == "ok"
    db = sqlite_utils.Database(path)
    first = assert_consistent(open_db(db))
    assert sum(r["opened"] for r in first["activity_weekly"].values()) > 20
    store = emulator.store
    # Incremental: new issues, comments and a closed one.
    issue = store.add_issue(SPAWNER, "a new one", "someone-new")
    store.add_comment(SPAWNER, issue.number, "someone-else", "hello")
    assert harvest(path, emulator, DAILY).status == "ok"
    assert_consistent(db)
    # Reconciliation: one issue transferred to another watched repo, two deleted.
    open_issues = sorted(n for n, i in store.repo(SPAWNER).issues.items()
                         if i.state == "open" and not i.pull)
    store.transfer_issue(SPAWNER, open_issues[0], DEPLOY)
    store.delete_issue(SPAWNER, open_issues[1])
    store.delete_issue(SPAWNER, issue.number, status=404)
    from test_reconcile import a_day_passes

    a_day_passes(path)
    assert harvest(path, emulator, DAILY).status == "ok"
    gone = db.execute("select count(*) from issues where transferred_to is not null "
                      "or deleted_at is not null").fetchone()[0]
    assert gone == 3
    assert_consistent(db)


def test_rebuild_command_repairs_dropped_or_corrupted_summaries(emulator, tmp_path):
    path = tmp_path / "tracker.db"
    assert harvest(path, emulator, DAILY).status == "ok"
    db = sqlite_utils.Database(path)
    want = assert_consistent(db)
    db.execute("update activity_weekly set opened = opened + 5")
    db.execute("delete from people_weekly where user % 2 = 0")
    db.execute("drop trigger summaries_issues_insert")
    db.conn.commit()
    result = CliRunner().invoke(cli, ["rebuild-summaries", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("Rebuilt the summaries")
    assert stored(db) == want
    assert summaries.triggers_current(db)
    db.execute("drop table people_weekly")
    db.conn.commit()
    assert CliRunner().invoke(cli, ["rebuild-summaries", "--db", str(path)]).exit_code == 0
    assert stored(db) == want


def test_rebuild_command_on_a_missing_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["rebuild-summaries", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "Error:" in result.output


# The readers switched to the summaries answer as their base-table SQL did.

def _sample(tmp_path):
    from sampledb import populate_sample

    db = open_db(str(tmp_path / "sample.db"))
    populate_sample(db)
    # A transferred and a deleted issue, and a comment on the deleted one.
    db.execute("update issues set transferred_to = 'https://github.com/x/y/issues/1' "
               "where id = (select min(id) from issues where type = 'issue')")
    db.execute("update issues set deleted_at = '2026-06-10T00:00:00Z' "
               "where id = (select max(id) from issues where type = 'issue')")
    db.conn.commit()
    return db


def test_digest_metrics_from_summaries_equal_the_scan_of_issues_and_comments(tmp_path):
    from tracker.digest import sections

    db = _sample(tmp_path)
    assert_consistent(db)
    for start in ("2026-05-11", "2026-06-01", "2026-06-08"):
        end = (date.fromisoformat(start) + timedelta(7)).isoformat()
        got = sections.metrics(db, start, end)
        assert (got["bot_prs"], got["contributors"], got["first_timers"]) == \
            tuple(sections._people_scan(db, start, end)), start
        p = {"start": start, "end": end}
        assert got["comments"] == db.execute(
            "select count(*) from live_comments where created_at >= :start "
            "and created_at < :end", p).fetchone()[0]
        assert got["issues_closed"] == db.execute(
            "select count(*) from activity where kind = 'closed' and at >= :start "
            "and at < :end", p).fetchone()[0]
        assert got["prs_closed_unmerged"] == db.execute(
            "select count(*) from live_issues where type = 'pull' and merged_at is null "
            "and closed_at >= :start and closed_at < :end", p).fetchone()[0]
        daily = sections.daily_activity(db, start, end)
        assert sum(daily) == db.execute("""select count(*) from activity where kind
            in ('opened', 'merged', 'released') and at >= :start and at < :end""", p
        ).fetchone()[0] + got["comments"]
    # A month is not whole weeks: the people counts come from the scan.
    month = sections.metrics(db, "2026-05-01", "2026-06-01")
    assert month["contributors"] == sections._people_scan(db, "2026-05-01", "2026-06-01")[1]
    assert month["issues_opened"] > 0


def _firsts_by_scan(db, start, end):
    """(login, repo, new_to_ecosystem) of people whose first live issue in a repo is
    in [start, end): by the issues alone."""
    return {(login, full, int(first_any >= start)) for login, full, first_any in db.execute("""
        select u.login, r.full_name, (select min(j.created_at) from live_issues j
                                      where j.user = f.user)
        from (select user, repo, min(created_at) as first_at from live_issues
              where user is not null group by user, repo) f
        join people u on u.id = f.user join repos r on r.id = f.repo
        where f.first_at >= :start and f.first_at < :end""", {"start": start, "end": end})}


@pytest.mark.parametrize("start,end", [("2026-06-08", "2026-06-15"),  # W24
                                       ("2026-05-01", "2026-06-01"),  # a month
                                       ("2026-06-10", "2026-06-13")])  # mid-week
def test_first_time_contributors_from_people_weekly(tmp_path, start, end):
    from tracker.canned import canned_rows

    db = _sample(tmp_path)
    rows = canned_rows(db, "first_time_contributors", start, end)
    got = {(r["contributor"], r["repo"], r["new_to_ecosystem"]) for r in rows}
    assert got == _firsts_by_scan(db, start, end)
    assert all(start <= r["first_at"] < end for r in rows)
    if start == "2026-06-08":
        assert ("sample-dave", "jupyterhub/sample-hub", 1) in got
        assert any(c == "sample-erin" and new == 0 for c, _, new in got)
        assert not any("[bot]" in (c or "") for c, _, _ in got)


@pytest.mark.parametrize("chart,sql", [
    ("opened", "select count(*) from live_issues where created_at >= :s and created_at < :e"),
    ("merged", "select count(*) from activity where kind = 'merged' and at >= :s and at < :e"),
    ("releases", "select count(*) from activity where kind = 'released' and at >= :s "
                 "and at < :e"),
])
def test_count_charts_from_activity_weekly(tmp_path, chart, sql):
    from tracker.publish import QUERIES, query_sql

    db = _sample(tmp_path)
    from tracker.safe import register_sql_functions
    register_sql_functions(db.conn)
    chart_sql = query_sql((QUERIES / "charts" / f"{chart}.sql").read_text())
    for week, s, e in (("2026-W24", "2026-06-08", "2026-06-15"),
                       ("2026-W21", "2026-05-18", "2026-05-25")):
        got = db.execute(chart_sql, {"week": week, "org": ""}).fetchone()[0]
        assert got == db.execute(sql, {"s": s, "e": e}).fetchone()[0], week
        assert got > 0 or week != "2026-W24"
        by_org = db.execute(chart_sql, {"week": week, "org": "JupyterLab"}).fetchone()[0]
        in_org = ("repo in (select repo from repo_orgs where org = 'jupyterlab') and "
                  + sql.split(" where ", 1)[1])
        assert by_org == db.execute(sql.split(" where ", 1)[0] + " where " + in_org,
                                    {"s": s, "e": e}).fetchone()[0]
