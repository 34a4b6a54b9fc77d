"""Stars and forks per week kept by triggers (#26, tracker/star_summaries.py):
the summaries equal a from-scratch count of the base tables after any write
and after real harvests (full, incremental, reconciliation, an unstar, a fork
deleted, GitHub's page cap); the views and queries that read them answer
exactly what the views that grouped the base tables answered."""

import random
import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlite_utils
from click.testing import CliRunner

from conftest import TOKEN, harvest
from test_history import DAILY, NO_RECONCILE, REPO, a_day_passes, world
from tracker import star_summaries
from tracker.canned import QUERIES, query_sql
from tracker.cli import cli
from tracker.config import Config
from tracker.db import MIGRATIONS, _migration_star_summaries, open_db
from tracker.emulator import Emulator
from tracker.emulator.history import forks, stargazers
from tracker.weeks import week_start

# The views as #25 wrote them, grouping the base tables with the Python
# week_start() per request: the reference the summaries must reproduce.
OLD_VIEWS = {
    "old_history_exact": """
        select repo, stream, case when coalesce(capped, 0) = 1
               then coalesce(week_start(capped_after), '0000-00-00')
               else '9999-12-31' end as exact_until
        from history_coverage where github_count is not null""",
    "old_history_weekly": """
        select s.repo as repo, week_start(s.starred_at) as week,
               'stargazers' as stream, count(*) as gained
        from stars s join old_history_exact e on e.repo = s.repo and e.stream = 'stargazers'
        where s.unstarred_at is null and s.starred_at is not null
          and s.starred_at < e.exact_until
        group by 1, 2
        union all
        select f.repo, week_start(f.created_at), 'forks', count(*)
        from forks f join old_history_exact e on e.repo = f.repo and e.stream = 'forks'
        where f.deleted_at is null and f.created_at is not null
          and f.created_at < e.exact_until
        group by 1, 2""",
    "old_stars_weekly": """
        with exact as (
            select e.repo, e.exact_until, case when e.exact_until < '9999' then (
                select count(*) from stars s where s.repo = e.repo and s.unstarred_at is null
                and s.starred_at < e.exact_until) end as listed
            from old_history_exact e where e.stream = 'stargazers'
        ),
        snap as (
            select repo, week_start(harvested_at) as week,
                   stargazers_count as n, max(harvested_at) as at
            from repo_stats where stargazers_count is not null group by 1, 2
        ),
        tail as (
            select s.repo, s.week, s.n, lag(s.n) over (partition by s.repo order by s.week) as prev,
                   x.listed, x.repo is not null as listed_before
            from snap s left join exact x on x.repo = s.repo
            where x.repo is null or s.week >= x.exact_until
        )
        select repo, week, gained, 'listing' as source from old_history_weekly
        where stream = 'stargazers'
        union all
        select repo, week, n - coalesce(prev, listed, 0),
               case when prev is not null then 'snapshot' when listed_before then 'backlog'
                    else 'baseline' end
        from tail""",
}
# The queries as #25 wrote them (stars_per_week.sql, charts/stars.sql) over the old views.
OLD_STARS_PER_WEEK = """
with series as (
  select repo as id,
         case when coalesce(trim(:org), '') = '' and coalesce(trim(:repo), '') = ''
              then org else full_name end as series
  from repo_orgs
  where org is not null
    and (coalesce(trim(:repo), '') = '' or lower(full_name) = lower(trim(:repo)))
    and (coalesce(trim(:org), '') = '' or lower(org) = lower(trim(:org)))
),
weekly as (
  select w.week, s.series,
         sum(case when w.source in ('listing', 'snapshot') then w.gained else 0 end)
           as stars_gained,
         sum(w.gained) as level_change,
         min(w.source = 'listing') as exact
  from old_stars_weekly w join series s on s.id = w.repo
  group by 1, 2
),
forks as (
  select h.week, s.series, sum(h.gained) as forks_gained
  from old_history_weekly h join series s on s.id = h.repo
  where h.stream = 'forks'
  group by 1, 2
)
select w.week, w.series, w.stars_gained,
       sum(w.level_change) over (partition by w.series order by w.week) as stars,
       coalesce(f.forks_gained, 0) as forks_gained, w.exact
from weekly w
left join forks f on f.week = w.week and f.series = w.series
order by w.series, w.week"""


def old_chart_sql():
    """charts/stars.sql as #25 wrote it: the same text over the old view, joined plainly."""
    text = (QUERIES / "charts" / "stars.sql").read_text()
    text = text.replace("series as materialized (", "series as (")
    text = text.replace("from stars_weekly w cross join series s", "from old_stars_weekly w join series s")
    assert "old_stars_weekly" in text
    return query_sql(text)


# -- from scratch: the same numbers by Python, from the base tables ----------------

def expected(db):
    listed = {}
    for stream, (table, made, gone) in star_summaries.LISTINGS.items():
        for repo, at, away in db.execute(f"select repo, {made}, {gone} from {table}"):
            week = week_start(at) if at is not None else None
            if away is None and repo is not None and week is not None:
                key = (repo, stream, week)
                listed[key] = listed.get(key, 0) + 1
    last = {}
    for repo, at, n in db.execute("select repo, harvested_at, stargazers_count from repo_stats"
                                  " where stargazers_count is not null and repo is not null"):
        week = week_start(at)
        if week is not None and ((repo, week) not in last or at > last[(repo, week)][0]):
            last[(repo, week)] = (at, n)
    snapshots, previous = {}, {}
    for (repo, week), (at, n) in sorted(last.items()):
        before = previous.get(repo)
        snapshots[(repo, week)] = (at, n, *(before or (None, None)))
        previous[repo] = (week, n)
    return listed, snapshots


def stored(db):
    listed = {(r, s, w): n for r, s, w, n in db.execute(
        "select repo, stream, week, gained from history_listed_weekly where gained != 0")}
    snapshots = {(r, w): (at, n, pw, p) for r, w, at, n, pw, p in db.execute(
        "select repo, week, at, stargazers, prev_week, prev from stars_snapshot_weekly")}
    return listed, snapshots


def assert_consistent(db):
    want = expected(db)
    assert stored(db) == want
    return want


def old_rows(db, view):
    return sorted(tuple(r) for r in db.execute(f"select * from old_{view}"))


def new_rows(db, view):
    return sorted(tuple(r) for r in db.execute(f"select * from {view}"))


def with_old_views(db):
    for name, sql in OLD_VIEWS.items():
        db.conn.execute(f"drop view if exists {name}")
        db.conn.execute(f"create view {name} as {sql}")
    return db


def assert_same_as_before(db, repos=("stellar/telescope",), weeks=()):
    """Views, canned query and chart: the summaries' answers are the old ones."""
    with_old_views(db)
    for view in ("stars_weekly", "history_weekly"):
        assert new_rows(db, view) == old_rows(db, view), view
    new_sql = query_sql((QUERIES / "stars_per_week.sql").read_text())
    params = [{"org": "", "repo": ""}] + [{"org": r.split("/")[0], "repo": ""} for r in repos] \
        + [{"org": "", "repo": r.upper()} for r in repos]
    for p in params:
        new = [tuple(r) for r in db.execute(new_sql, p)]
        assert new == [tuple(r) for r in db.execute(OLD_STARS_PER_WEEK, p)], p
    chart, old_chart = query_sql((QUERIES / "charts" / "stars.sql").read_text()), old_chart_sql()
    for week in weeks:
        for org in ("", *(r.split("/")[0] for r in repos)):
            p = {"org": org, "week": week}
            assert ([tuple(r) for r in db.execute(chart, p)]
                    == [tuple(r) for r in db.execute(old_chart, p)]), p


# -- seeded data: every kind of week ------------------------------------------------

REPOS = {1: "listed/exact", 2: "listed/capped", 3: "snap/only", 4: "snap/unwalked",
         5: "listed/forks-only", 6: "Listed/Other"}


def stamp(rng, start=date(2020, 11, 2), days=500):
    """A random moment in [start, start + days): ISO weeks 53 (2020) included."""
    moment = datetime(start.year, start.month, start.day, tzinfo=timezone.utc) + timedelta(
        seconds=rng.randrange(days * 86400))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(path, rng):
    db = open_db(str(path))
    db["repos"].insert_all([{"id": i, "full_name": n, "name": n.split("/")[1]}
                            for i, n in REPOS.items()], pk="id")
    db["history_coverage"].insert_all([
        {"repo": 1, "stream": "stargazers", "github_count": 60, "capped": 0},
        {"repo": 1, "stream": "forks", "github_count": 10, "capped": 0},
        {"repo": 2, "stream": "stargazers", "github_count": 90, "capped": 1,
         "capped_after": "2021-01-01T12:00:00Z"},  # week 53 of 2020
        {"repo": 2, "stream": "forks", "github_count": 5, "capped": 1, "capped_after": None},
        {"repo": 4, "stream": "stargazers", "github_count": None},  # never walked
        {"repo": 5, "stream": "forks", "github_count": 7, "capped": 0},
        {"repo": 6, "stream": "stargazers", "github_count": 3, "capped": 0},
    ], pk=("repo", "stream"))
    db["stars"].insert_all([
        {"user": u, "repo": rng.choice([1, 1, 2, 2, 4, 6]), "starred_at": stamp(rng),
         "unstarred_at": stamp(rng) if rng.random() < 0.15 else None}
        for u in range(400)], pk=("user", "repo"), ignore=True)
    db["forks"].insert_all([
        {"id": f, "repo": rng.choice([1, 2, 5]), "created_at": stamp(rng),
         "deleted_at": stamp(rng) if rng.random() < 0.2 else None}
        for f in range(120)], pk="id")
    level = {r: rng.randrange(100) for r in REPOS}
    rows = []
    for r in (1, 2, 3, 4, 6):
        for _ in range(rng.randrange(20, 60)):
            level[r] += rng.randrange(-2, 6)
            rows.append({"repo": r, "harvested_at": stamp(rng),
                         "stargazers_count": None if rng.random() < 0.1 else level[r]})
    db["repo_stats"].insert_all(rows, pk=("repo", "harvested_at"), ignore=True)
    return db


def test_the_tables_are_made_with_the_schema(tmp_path):
    db = open_db(str(tmp_path / "t.db"))
    assert star_summaries.triggers_current(db)
    assert {"history_listed_weekly", "stars_snapshot_weekly"} <= set(db.table_names())
    assert list(db.query("select * from stars_weekly")) == []


@pytest.mark.parametrize("seed_", range(3))
def test_seeded_weeks_equal_the_base_tables_and_the_old_views(tmp_path, seed_):
    rng = random.Random(seed_)
    db = seed(tmp_path / "t.db", rng)
    assert_consistent(db)
    sources = {r[0] for r in db.execute("select source from stars_weekly")}
    assert sources == {"listing", "snapshot", "baseline", "backlog"}
    assert_same_as_before(db, repos=list(REPOS.values()),
                          weeks=["2021-W10", "2020-W53", "2022-W10", "2021-01-04"])


def _random_writes(conn, rng, n=300):
    """Inserts, updates (an unstar, a star back, a fork deleted, a moved snapshot)
    and deletes, on a plain connection without the project's SQL functions."""
    for _ in range(n):
        kind = rng.randrange(10)
        repo = rng.choice(list(REPOS))
        if kind == 0:
            conn.execute("insert or ignore into stars (user, repo, starred_at) values (?, ?, ?)",
                         [rng.randrange(600), repo, stamp(rng)])
        elif kind == 1:
            conn.execute("update stars set unstarred_at = ? where user = ?",
                         [rng.choice([None, stamp(rng)]), rng.randrange(600)])
        elif kind == 2:
            conn.execute("update or ignore stars set starred_at = ?, repo = ? where user = ?",
                         [rng.choice([None, stamp(rng)]), repo, rng.randrange(600)])
        elif kind == 3:
            conn.execute("delete from stars where user = ?", [rng.randrange(600)])
        elif kind == 4:
            conn.execute("insert or ignore into forks (id, repo, created_at) values (?, ?, ?)",
                         [rng.randrange(300), repo, stamp(rng)])
        elif kind == 5:
            conn.execute("update forks set deleted_at = ?, created_at = ? where id = ?",
                         [rng.choice([None, stamp(rng)]), stamp(rng), rng.randrange(300)])
        elif kind == 6:
            conn.execute("insert into repo_stats (repo, harvested_at, stargazers_count) "
                         "values (?, ?, ?) on conflict do update set "
                         "stargazers_count = excluded.stargazers_count",
                         [repo, stamp(rng), rng.choice([None, rng.randrange(300)])])
        elif kind == 7:
            row = conn.execute("select repo, harvested_at from repo_stats order by random() "
                               "limit 1").fetchone()
            if row:
                conn.execute("update or ignore repo_stats set harvested_at = ?, repo = ?, "
                             "stargazers_count = ? where repo = ? and harvested_at = ?",
                             [stamp(rng), repo, rng.randrange(300), *row])
        elif kind == 8:
            conn.execute("delete from repo_stats where rowid in (select rowid from repo_stats "
                         "order by random() limit 1)")
        else:  # sqlite-utils' upsert: the key first, then the counts
            at = stamp(rng)
            conn.execute("insert or ignore into repo_stats (repo, harvested_at) values (?, ?)",
                         [repo, at])
            conn.execute("update repo_stats set stargazers_count = ? where repo = ? "
                         "and harvested_at = ?", [rng.randrange(300), repo, at])
    conn.commit()


@pytest.mark.parametrize("seed_", range(3))
def test_any_write_on_a_plain_connection_keeps_them_right(tmp_path, seed_):
    rng = random.Random(100 + seed_)
    path = tmp_path / "t.db"
    seed(path, rng).conn.close()
    conn = sqlite3.connect(path)
    _random_writes(conn, rng)
    conn.close()
    db = open_db(str(path))
    assert_consistent(db)
    assert_same_as_before(db, repos=list(REPOS.values()), weeks=["2021-W20"])


def test_the_rebuild_command_repairs_them(tmp_path):
    path = tmp_path / "t.db"
    db = seed(path, random.Random(7))
    want = assert_consistent(db)
    db.execute("update history_listed_weekly set gained = gained + 3")
    db.execute("delete from stars_snapshot_weekly where repo = 3")
    db.execute("drop trigger star_summaries_stars_insert")
    db.conn.commit()
    result = CliRunner().invoke(cli, ["rebuild-summaries", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "stars_snapshot_weekly" in result.output.strip().splitlines()[-1]
    db = sqlite_utils.Database(path)
    assert stored(db) == want and star_summaries.triggers_current(db)
    # A table gone missing comes back when the file is opened.
    db.execute("drop table stars_snapshot_weekly")
    db.conn.commit()
    assert stored(open_db(str(path))) == want


def test_an_older_file_gets_them_from_its_migration(tmp_path):
    path = tmp_path / "t.db"
    db = seed(path, random.Random(8))
    want = assert_consistent(db)
    for name in star_summaries.TRIGGERS:
        db.execute(f"drop trigger {name}")
    for name in star_summaries.TABLES:
        db.execute(f"drop table {name}")
    # The file as migration 14 left it: this one (the next) has not run.
    db.execute(f"pragma user_version = {MIGRATIONS.index(_migration_star_summaries)}")
    db.conn.commit()
    db = open_db(str(path))
    assert db.execute("pragma user_version").fetchone()[0] == len(MIGRATIONS)
    assert stored(db) == want


# -- real harvests against the emulator ---------------------------------------------

def test_full_incremental_reconciliation_unstar_and_fork_deletion(tmp_path):
    path = tmp_path / "t.db"
    with Emulator(world(), tokens={TOKEN}) as emu:
        assert harvest(path, emu, Config(**DAILY)).status == "ok"
        db = open_db(str(path))
        full = assert_consistent(db)
        assert sum(n for (_, s, _), n in full[0].items() if s == "stargazers") == 250
        assert_same_as_before(db)
        # Incremental: new stars.
        for _ in range(7):
            emu.store.add_star(REPO)
        assert harvest(path, emu, Config(**NO_RECONCILE)).status == "ok"
        assert_consistent(db)
        # An unstar and a deleted fork, found by the reconciliation walk.
        store = emu.store
        store.remove_star(REPO, stargazers(store.repo(REPO))[17].login)
        store.remove_fork(REPO, forks(store.repo(REPO))[3].id)
        harvest(path, emu, Config(**NO_RECONCILE))
        a_day_passes(path)
        assert harvest(path, emu, Config(**DAILY)).status == "ok"
        assert db.execute("select count(*) from stars where unstarred_at is not null"
                          ).fetchone()[0] == 1
        assert db.execute("select count(*) from forks where deleted_at is not null"
                          ).fetchone()[0] == 1
        now = assert_consistent(db)
        assert sum(n for (_, s, _), n in now[0].items() if s == "stargazers") == 256
        assert sum(n for (_, s, _), n in now[0].items() if s == "forks") == 39
        assert_same_as_before(db)


def test_past_githubs_cap_the_backlog_is_the_same_as_before(tmp_path):
    path = tmp_path / "t.db"
    store = world()
    store.star_page_cap = 2
    with Emulator(store, tokens={TOKEN}) as emu:
        assert harvest(path, emu, Config(**DAILY)).status == "ok"
        for _ in range(30):
            emu.store.add_star(REPO)
        assert harvest(path, emu, Config(**NO_RECONCILE)).status == "ok"
    db = open_db(str(path))
    assert_consistent(db)
    assert "backlog" in {r[0] for r in db.execute("select source from stars_weekly")}
    assert_same_as_before(db)
