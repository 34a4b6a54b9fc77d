"""Stars and forks per repository and ISO week, kept by triggers (#26).

The ``stars_weekly`` and ``history_weekly`` views (tracker/views.py) read two
summary tables instead of grouping ``stars``, ``forks`` and ``repo_stats`` by
the Python ``week_start()`` on every request (9 s per dashboard request at
78,000 snapshots):

- ``history_listed_weekly`` (repo, stream, week): ``gained``, the entries of a
  listing (``stargazers``: stars not unstarred; ``forks``: forks not deleted)
  made in the week. Which weeks count as exact (``history_exact``) is decided
  when read: a cap found later moves it, and no summary would notice.
- ``stars_snapshot_weekly`` (repo, week): the week's last ``repo_stats``
  snapshot with a star count (``at``, ``stargazers``) and the repository's
  previous snapshot week (``prev_week``, ``prev``), so the views need no
  window function to tell a week's gain.

Triggers on ``stars``, ``forks`` and ``repo_stats`` keep them in the same
transaction as the rows they summarise, in built-in SQL only (a plain sqlite3
connection can write a row), with the week rule of tracker/summaries.py.
``rebuild`` recomputes them (``tracker rebuild-summaries``, and the migration
for older files). Design: docs/design/summaries.md.
"""

import time

from . import summaries
from .summaries import SQL_TYPES, WEEK, create_table

TABLES = {
    "history_listed_weekly": ({"repo": int, "stream": str, "week": str, "gained": int},
                              {"pk": ("repo", "stream", "week"), "without_rowid": True}),
    "stars_snapshot_weekly": ({"repo": int, "week": str, "at": str, "stargazers": int,
                               "prev_week": str, "prev": int},
                              {"pk": ("repo", "week"), "without_rowid": True}),
}
assert all(kind in SQL_TYPES for columns, _ in TABLES.values() for kind in columns.values())

# stream: (table, when the entry was made, when it went away)
LISTINGS = {"stargazers": ("stars", "starred_at", "unstarred_at"),
            "forks": ("forks", "created_at", "deleted_at")}


def _trigger(name, when, table, body, condition=None):
    cond = f" when {condition}" if condition else ""
    return (f"create trigger if not exists {name} after {when} on [{table}]{cond}\n"
            f"begin\n{body}\nend")


def _count(stream, row, sign):
    """Add (sign 1) or take away (-1) listing entry ``row`` (NEW or OLD) in its week."""
    _, made, gone = LISTINGS[stream]
    week = WEEK.format(f"{row}.{made}")
    return (f"insert into history_listed_weekly (repo, stream, week, gained) "
            f"select {row}.repo, '{stream}', {week}, {sign} "
            f"where {row}.{gone} is null and {row}.repo is not null and {week} is not null "
            f"on conflict (repo, stream, week) do update set gained = gained + excluded.gained;")


def _listing_triggers(stream):
    table, made, gone = LISTINGS[stream]
    changed = " or ".join(f"OLD.[{c}] is not NEW.[{c}]" for c in ("repo", made, gone))
    name = f"star_summaries_{table}"
    return {
        f"{name}_insert": _trigger(f"{name}_insert", "insert", table, _count(stream, "NEW", 1)),
        f"{name}_delete": _trigger(f"{name}_delete", "delete", table, _count(stream, "OLD", -1)),
        f"{name}_update": _trigger(f"{name}_update", "update", table,
                                   _count(stream, "OLD", -1) + "\n" + _count(stream, "NEW", 1),
                                   changed),
    }


def _refresh_snapshot_week(row):
    """The week of snapshot ``row`` (NEW or OLD) read again from repo_stats: its
    last snapshot with a star count (a seek on the primary key), then the
    previous-week fields of that week and of the repository's next one."""
    week = WEEK.format(f"{row}.harvested_at")
    prev = ("(select {col} from stars_snapshot_weekly p"
            " where p.repo = stars_snapshot_weekly.repo"
            " and p.week < stars_snapshot_weekly.week order by p.week desc limit 1)")
    return f"""delete from stars_snapshot_weekly where repo = {row}.repo and week = {week};
insert into stars_snapshot_weekly (repo, week, at, stargazers)
  select s.repo, {week}, s.harvested_at, s.stargazers_count from repo_stats s
  where s.repo = {row}.repo and s.harvested_at >= {week}
    and s.harvested_at < date({week}, '+7 days') and {WEEK.format('s.harvested_at')} = {week}
    and s.stargazers_count is not null
  order by s.harvested_at desc limit 1;
update stars_snapshot_weekly set prev_week = {prev.format(col='week')},
    prev = {prev.format(col='stargazers')}
  where repo = {row}.repo and (week = {week} or week = (
    select min(n.week) from stars_snapshot_weekly n where n.repo = {row}.repo and n.week > {week}));"""


def _add_snapshot():
    """A new snapshot (the harvest's one write per repository and run), without
    reading its week again: it becomes the week's row when it is the latest, and
    the previous week of the repository's next snapshot week (if any: usually
    none) follows. Three seeks."""
    week = WEEK.format("NEW.harvested_at")
    before = ("(select {col} from stars_snapshot_weekly p where p.repo = NEW.repo"
              f" and p.week < {week} order by p.week desc limit 1)")
    return f"""insert into stars_snapshot_weekly (repo, week, at, stargazers, prev_week, prev)
  select NEW.repo, {week}, NEW.harvested_at, NEW.stargazers_count,
         {before.format(col='week')}, {before.format(col='stargazers')}
  where {week} is not null
  on conflict (repo, week) do update set at = excluded.at, stargazers = excluded.stargazers
  where excluded.at > at;
update stars_snapshot_weekly set prev_week = {week}, prev = NEW.stargazers_count
  where repo = NEW.repo and week = (select min(n.week) from stars_snapshot_weekly n
                                    where n.repo = NEW.repo and n.week > {week})
    and exists (select 1 from stars_snapshot_weekly t where t.repo = NEW.repo
                and t.week = {week} and t.at = NEW.harvested_at);"""


def _snapshot_triggers():
    name = "star_summaries_repo_stats"
    changed = " or ".join(f"OLD.[{c}] is not NEW.[{c}]"
                          for c in ("repo", "harvested_at", "stargazers_count"))
    counted = ("OLD.repo is NEW.repo and OLD.harvested_at is NEW.harvested_at"
               " and OLD.stargazers_count is null and NEW.stargazers_count is not null"
               " and NEW.repo is not null")
    return {
        f"{name}_insert": _trigger(f"{name}_insert", "insert", "repo_stats", _add_snapshot(),
                                   "NEW.repo is not null and NEW.stargazers_count is not null"),
        f"{name}_delete": _trigger(f"{name}_delete", "delete", "repo_stats",
                                   _refresh_snapshot_week("OLD"), "OLD.repo is not null"),
        # sqlite-utils' upsert inserts the key alone, then sets the counts: a
        # snapshot that gets its first star count is a new one (3x cheaper).
        f"{name}_counted": _trigger(f"{name}_counted", "update", "repo_stats",
                                    _add_snapshot(), f"{counted}"),
        f"{name}_update": _trigger(f"{name}_update", "update", "repo_stats",
                                   _refresh_snapshot_week("OLD") + "\n"
                                   + _refresh_snapshot_week("NEW"),
                                   f"({changed}) and not ({counted})"),
    }


TRIGGERS = {**_listing_triggers("stargazers"), **_listing_triggers("forks"),
            **_snapshot_triggers()}


def listed_rows():
    """SELECT of every history_listed_weekly row, from the base tables."""
    parts = []
    for stream, (table, made, gone) in LISTINGS.items():
        week = WEEK.format(made)
        parts.append(f"select repo, '{stream}' as stream, {week} as week, count(*) as gained "
                     f"from [{table}] where {gone} is null and repo is not null "
                     f"and {week} is not null group by repo, {week}")
    return " union all ".join(parts)


def snapshot_rows():
    """SELECT of every stars_snapshot_weekly row, from repo_stats (SQLite takes
    a bare column from the row of max(): the week's last snapshot)."""
    week = WEEK.format("harvested_at")
    return f"""select repo, week, at, stargazers,
          lag(week) over w as prev_week, lag(stargazers) over w as prev
        from (select repo, {week} as week, max(harvested_at) as at,
                     stargazers_count as stargazers
              from repo_stats where stargazers_count is not null and repo is not null
                and {week} is not null
              group by repo, {week})
        window w as (partition by repo order by week)"""


SOURCES = {"history_listed_weekly": listed_rows, "stars_snapshot_weekly": snapshot_rows}


def drop_triggers(db):
    summaries.drop_triggers(db, TRIGGERS)


def triggers_current(db):
    """True when both tables and every trigger exist, the triggers as defined now."""
    return summaries.definitions_current(db, list(TABLES), TRIGGERS)


def rebuild(db, progress=None):
    """Recompute both tables from the base tables and (re)create their triggers,
    in the caller's transaction; returns {table: rows}."""
    say = progress or (lambda text: None)
    out = {}
    drop_triggers(db)
    for table, (columns, options) in TABLES.items():
        started = time.monotonic()
        create_table(db, table, columns, options)
        db.conn.execute(f"delete from {table}")
        db.conn.execute(f"insert into {table} ({', '.join(columns)}) {SOURCES[table]()}")
        out[table] = db.conn.execute(f"select count(*) from {table}").fetchone()[0]
        say(f"{table}: {out[table]:,} rows ({time.monotonic() - started:.1f}s)")
    for sql in TRIGGERS.values():
        db.conn.execute(sql)
    return out
