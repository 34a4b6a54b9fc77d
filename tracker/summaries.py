"""Summary tables kept by triggers in the same transaction as the rows they count (#26).

Three tables summarise the facts of tracker/facts.py (``live_issues``,
``live_comments``, ``activity``) so weekly queries, charts and the digest read a
few hundred rows instead of a week of issues and comments:

- ``activity_weekly`` (repo, week): opened, closed, merged, releases, comments;
- ``activity_daily`` (day): the same counts for the whole ecosystem, per day;
- ``people_weekly`` (user, repo, week): issues/PRs opened and comments written
  by each user; the reader decides who is a bot (``people``/``bots`` views), and
  first activity is ``min(week)`` over it (a refcount, so a deletion or a
  transfer moves a person's first week back correctly).

SQLite triggers on ``issues``, ``issue_comments`` and ``releases`` add a row's
events on INSERT, subtract them on DELETE, and do both on an UPDATE that
changes a counted column, so every writer (harvest, demo, reconciliation,
migrations, a plain sqlite3 connection) keeps them right with no code of its
own. The triggers use built-in SQL only. ``rebuild`` recomputes them from the
base tables (``tracker rebuild-summaries``). Design: docs/design/summaries.md.
"""

import time

from .weeks import WEEK_START_SQL as WEEK  # week_start() in built-in SQL

DAY = "date(substr({0}, 1, 10))"

# Counted columns of each summary; an event row carries every one (0 when not its kind).
ACTIVITY = ["opened", "opened_issues", "opened_pulls", "closed_issues", "closed_pulls",
            "closed_unmerged", "merged", "releases", "comments"]
PEOPLE = ["opened", "opened_pulls", "comments"]

# WITHOUT ROWID, keyed for their readers: a week's rows are one range of the
# primary key (at 1M issues a rowid table plus its key index was +17 % of the file).
TABLES = {
    "activity_weekly": ({"repo": int, "week": str, **dict.fromkeys(ACTIVITY, int)},
                        {"pk": ("week", "repo"), "without_rowid": True}),
    "activity_daily": ({"day": str, **dict.fromkeys(ACTIVITY, int)},
                       {"pk": "day", "without_rowid": True}),
    "people_weekly": ({"user": int, "repo": int, "week": str, **dict.fromkeys(PEOPLE, int)},
                      {"pk": ("week", "user", "repo"), "without_rowid": True}),
}
SQL_TYPES = {int: "integer", str: "text"}
# A person's first week (in a repository, anywhere) is read through this partial
# index: only rows where they opened something, a quarter of the table.
INDEXES = {
    "people_weekly_first_opened":
        "create index if not exists people_weekly_first_opened "
        "on people_weekly (user, repo, week) where opened > 0",
}


def create_table(db, name, columns, options):
    """A summary table (sqlite-utils cannot say WITHOUT ROWID), if missing."""
    pk = options["pk"] if isinstance(options["pk"], tuple) else (options["pk"],)
    cols = ", ".join(f"[{c}] {SQL_TYPES[kind]}" + (" not null" if c in pk else "")
                     for c, kind in columns.items())
    db.conn.execute(f"create table if not exists [{name}] ({cols}, "
                    f"primary key ({', '.join(pk)})) without rowid")


# What a summary's key is made of, from an event (user, repo, at, counts...).
# In primary-key order.
KEYS = {
    "activity_weekly": {"week": WEEK.format("at"), "repo": "coalesce(repo, 0)"},
    "activity_daily": {"day": DAY.format("at")},
    "people_weekly": {"week": WEEK.format("at"), "user": "user", "repo": "coalesce(repo, 0)"},
}
MEASURES = {"activity_weekly": ACTIVITY, "activity_daily": ACTIVITY, "people_weekly": PEOPLE}
# Which events a summary takes: people_weekly only what a person did (opened, commented).
FILTERS = {"activity_weekly": "1", "activity_daily": "1",
           "people_weekly": "user is not null and (opened > 0 or comments > 0)"}

LIVE_ISSUE = "{0}.transferred_to is null and {0}.deleted_at is null"


def _event(user, repo, at, **counts):
    cols = ", ".join(f"{counts.get(m, 0)} as {m}" for m in ACTIVITY)
    return f"select {user} as user, {repo} as repo, {at} as at, {cols}"


def issue_events(r, source=None, where="1"):
    """The events of issue rows ``r`` (an alias: NEW, OLD, or a table alias with
    ``source`` as its FROM): opened, closed, merged, as the ``activity`` view counts
    them (closed: issues in activity; PRs closed merged or not for the charts)."""
    frm = f" from {source}" if source else ""
    return " union all ".join([
        _event(f"{r}.user", f"{r}.repo", f"{r}.created_at", opened=1,
               opened_issues=f"({r}.type = 'issue')", opened_pulls=f"({r}.type = 'pull')")
        + f"{frm} where {where} and {r}.created_at is not null",
        _event(f"{r}.user", f"{r}.repo", f"{r}.closed_at",
               closed_issues=f"({r}.type = 'issue')", closed_pulls=f"({r}.type = 'pull')",
               closed_unmerged=f"({r}.type = 'pull' and {r}.merged_at is null)")
        + f"{frm} where {where} and {r}.closed_at is not null"
          f" and {r}.type in ('issue', 'pull')",
        _event(f"{r}.user", f"{r}.repo", f"{r}.merged_at", merged=1)
        + f"{frm} where {where} and {r}.merged_at is not null and {r}.type = 'pull'",
    ])


def comment_events(c, source=None, where="1"):
    frm = f" from {source}" if source else ""
    return (_event(f"{c}.user", f"{c}.repo", f"{c}.created_at", comments=1)
            + f"{frm} where {where} and {c}.created_at is not null")


def release_events(r, source=None, where="1"):
    frm = f" from {source}" if source else ""
    return (_event("null", f"{r}.repo", f"{r}.published_at", releases=1)
            + f"{frm} where {where} and {r}.published_at is not null"
              f" and not coalesce({r}.draft, 0)")


def _apply(table, events, sign, grouped=False):
    """SQL adding (sign 1) or subtracting (-1) ``events`` to summary ``table``.
    A trigger's few events go in one by one (ON CONFLICT adds each to its row);
    ``grouped`` sums them first, for a rebuild's millions."""
    keys, measures = KEYS[table], MEASURES[table]
    names = ", ".join(keys)
    key_sql = ", ".join(f"{expr} as {name}" for name, expr in keys.items())
    if grouped:
        values = ", ".join(f"{sign} * sum({m}) as {m}" for m in measures)
        group = f" group by {', '.join(keys.values())}"
    else:
        values = ", ".join(f"{sign} * {m} as {m}" for m in measures)
        group = ""
    not_null = " and ".join(f"{expr} is not null" for expr in keys.values())
    # "where true" before ON CONFLICT: SQLite's parser needs it after a SELECT.
    # A row whose counts fall to zero stays (deleting it would cost a scan of its
    # week per write): every reader asks for counts above zero; rebuild drops them.
    return (f"insert into {table} ({names}, {', '.join(measures)}) "
            f"select * from (select {key_sql}, {values} from ({events}) "
            f"where {FILTERS[table]} and {not_null}{group}) "
            f"where true on conflict ({names}) do update set "
            + ", ".join(f"{m} = {m} + excluded.{m}" for m in measures) + ";")


def _apply_all(events, sign, tables=tuple(TABLES)):
    return "\n".join(_apply(table, events, sign) for table in tables)


def _comments_of_issue(r):
    """Events of the comments on issue ``r`` (they live and die with it)."""
    return comment_events("c", "issue_comments c", f"c.issue = {r}.id")


def _comment_live(c):
    return (f"not exists (select 1 from issues i where i.id = {c}.issue"
            " and (i.transferred_to is not null or i.deleted_at is not null))")


def _changed(columns):
    return " or ".join(f"OLD.[{c}] is not NEW.[{c}]" for c in columns)


ISSUE_COLUMNS = ["user", "repo", "type", "created_at", "closed_at", "merged_at",
                 "transferred_to", "deleted_at"]
COMMENT_COLUMNS = ["user", "repo", "created_at", "issue"]
RELEASE_COLUMNS = ["repo", "published_at", "draft"]


def _trigger(name, when, table, body, condition=None):
    cond = f" when {condition}" if condition else ""
    return (f"create trigger if not exists {name} after {when} on [{table}]{cond}\n"
            f"begin\n{body}\nend")


def _issue_triggers():
    """An issue's own events; and its comments, which count while it is live (or
    not stored) and follow it when it stops or starts being live. Each trigger's
    WHEN says which case it is, so a plain insert of a live issue does only its own."""
    live_new, live_old = LIVE_ISSUE.format("NEW"), LIVE_ISSUE.format("OLD")
    comments = {"NEW": _comments_of_issue("NEW"), "OLD": _comments_of_issue("OLD")}
    return {
        "summaries_issues_insert": _trigger(
            "summaries_issues_insert", "insert", "issues",
            _apply_all(issue_events("NEW"), 1), live_new),
        "summaries_issues_insert_gone": _trigger(
            "summaries_issues_insert_gone", "insert", "issues",
            _apply_all(comments["NEW"], -1), f"not ({live_new})"),
        "summaries_issues_delete": _trigger(
            "summaries_issues_delete", "delete", "issues",
            _apply_all(issue_events("OLD"), -1), live_old),
        "summaries_issues_delete_gone": _trigger(
            "summaries_issues_delete_gone", "delete", "issues",
            _apply_all(comments["OLD"], 1), f"not ({live_old})"),
        "summaries_issues_update": _trigger(
            "summaries_issues_update", "update", "issues",
            _apply_all(issue_events("OLD", where=live_old), -1) + "\n"
            + _apply_all(issue_events("NEW", where=live_new), 1),
            _changed(ISSUE_COLUMNS)),
        "summaries_issues_gone": _trigger(
            "summaries_issues_gone", "update", "issues",
            _apply_all(comments["NEW"], -1), f"({live_old}) and not ({live_new})"),
        "summaries_issues_back": _trigger(
            "summaries_issues_back", "update", "issues",
            _apply_all(comments["NEW"], 1), f"not ({live_old}) and ({live_new})"),
    }


def _simple_triggers(table, events, columns, live=None, tables=tuple(TABLES)):
    """Insert and delete triggers with the row's liveness as their WHEN; the
    update trigger fires when a counted column changed."""
    new_where = live("NEW") if live else "1"
    old_where = live("OLD") if live else "1"
    return {
        f"summaries_{table}_insert": _trigger(
            f"summaries_{table}_insert", "insert", table,
            _apply_all(events("NEW"), 1, tables), live("NEW") if live else None),
        f"summaries_{table}_delete": _trigger(
            f"summaries_{table}_delete", "delete", table,
            _apply_all(events("OLD"), -1, tables), live("OLD") if live else None),
        f"summaries_{table}_update": _trigger(
            f"summaries_{table}_update", "update", table,
            _apply_all(events("OLD", where=old_where), -1, tables) + "\n"
            + _apply_all(events("NEW", where=new_where), 1, tables), _changed(columns)),
    }


TRIGGERS = {
    **_issue_triggers(),
    **_simple_triggers("issue_comments", comment_events, COMMENT_COLUMNS, _comment_live),
    # A release is nobody's activity in people_weekly.
    **_simple_triggers("releases", release_events, RELEASE_COLUMNS,
                       tables=("activity_weekly", "activity_daily")),
}


def all_events(tables=("issues", "issue_comments", "releases")):
    """Every counted event in the base tables: the rule of the live_issues and
    live_comments views (tracker/facts.py), written out so a migration can run it
    on a file whose views are older."""
    parts = {
        "issues": issue_events("i", "issues i", LIVE_ISSUE.format("i")),
        "issue_comments": comment_events("c", "issue_comments c", _comment_live("c")),
        "releases": release_events("r", "releases r"),
    }
    return " union all ".join(parts[t] for t in tables)


def drop_triggers(db, triggers=None):
    """Drop the summary triggers (``triggers``: another module's, same rule)."""
    for name in TRIGGERS if triggers is None else triggers:
        db.conn.execute(f"drop trigger if exists {name}")


def _definition(sql, name):
    """A trigger's SQL after its name (SQLite keeps the text as written)."""
    return " ".join(sql.split(name, 1)[1].split()) if sql and name in sql else None


def definitions_current(db, names, triggers):
    """True when every table or index in ``names`` and every trigger of
    ``triggers`` ({name: SQL}) exist, the triggers as defined now."""
    wanted = [*names, *triggers]
    have = dict(db.conn.execute("select name, sql from sqlite_master where name in ({})".format(
        ", ".join("?" * len(wanted))), wanted).fetchall())
    return set(names) <= set(have) and all(
        name in have and _definition(have[name], name) == _definition(sql, name)
        for name, sql in triggers.items())


def triggers_current(db):
    """True when every summary table and trigger exists, the triggers as defined now."""
    return definitions_current(db, [*TABLES, *INDEXES], TRIGGERS)


def ensure_summaries(db):
    """Triggers missing or changed (an older release, a hand edit): rebuild."""
    if not triggers_current(db):
        rebuild(db)
    from . import star_summaries  # #26: stars and forks per week (tracker/star_summaries.py)
    if not star_summaries.triggers_current(db):
        with db.conn:
            star_summaries.rebuild(db)


def _rebuild(db, say):
    out = {}
    drop_triggers(db)
    for table, (columns, options) in TABLES.items():
        create_table(db, table, columns, options)
    for sql in INDEXES.values():
        db.conn.execute(sql)
    events = all_events()
    for table in TABLES:
        started = time.monotonic()
        db.conn.execute(f"delete from {table}")
        sources = events if table != "people_weekly" else all_events(
            ("issues", "issue_comments"))
        db.conn.execute(_apply(table, sources, 1, grouped=True))
        out[table] = db.conn.execute(f"select count(*) from {table}").fetchone()[0]
        say(f"{table}: {out[table]:,} rows ({time.monotonic() - started:.1f}s)")
    for sql in TRIGGERS.values():
        db.conn.execute(sql)
    from . import star_summaries  # #26: stars and forks per week, rebuilt with the rest
    out.update(star_summaries.rebuild(db, say))
    return out


def rebuild(db, progress=None, transaction=True):
    """Recompute every summary from the base tables and (re)create the triggers
    that keep them, in one transaction (``transaction=False``: the caller's, as a
    migration's); returns {table: rows}."""
    say = progress or (lambda text: None)
    if not transaction:
        return _rebuild(db, say)
    with db.conn:
        return _rebuild(db, say)


def rebuild_file(path, opener, progress=None):
    """Rebuild the summaries of the database at ``path`` once: ``opener`` (which
    brings the schema up to date) already rebuilds them when their triggers are
    missing or outdated, else this does; returns {table: rows}."""
    import sqlite3

    say = progress or (lambda text: None)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = {r[0] for r in conn.execute("select name from sqlite_master")}
    finally:
        conn.close()
    if names >= set(TRIGGERS) | set(TABLES) | set(INDEXES):
        db = opener(path)
        if triggers_current(db):
            return rebuild(db, say)
    say("Summaries missing or out of date: rebuilding them while the file is opened "
        "(minutes on a big file)")
    db = opener(path)
    from . import star_summaries
    return {t: db.conn.execute(f"select count(*) from {t}").fetchone()[0]
            for t in [*TABLES, *star_summaries.TABLES]}
