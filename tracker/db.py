"""Schema, migrations, indexes, full-text search and views.

Table and column names follow github-to-sqlite wherever both projects hold the
same data, so queries written for Jupyter's github-to-sqlite databases run here
unchanged. Every table is created up front (queries and feeds must work on an
empty database); harvesters upsert with ``alter=True`` so extra API fields land
as extra columns instead of failing.

The schema itself is data in tracker/schema.py (tables, indexes, FTS) and
tracker/views.py (views); this module creates, migrates and opens it.
"""

import sqlite_utils

from . import schema_history as history
from .schema import FTS, INDEXES, PARTIAL_INDEXES, TABLES  # noqa: F401  (re-exported: db.TABLES …)
from .views import VIEWS  # noqa: F401


def create_current(db):
    """A new file: every table of the current schema (its version: every migration)."""
    from .summaries import create_table

    for name, (columns, options) in TABLES.items():
        if options.get("without_rowid"):  # #26's summaries: sqlite-utils cannot say it
            create_table(db, name, columns, options)
            continue
        db[name].create(columns, if_not_exists=True, **options)


def _add_columns(db, number):
    """Columns migration ``number`` added (frozen in schema_history), where missing."""
    for name, columns in history.ADDED_COLUMNS.get(number, {}).items():
        existing = set(db[name].columns_dict)
        for column, kind in columns.items():
            if column not in existing:
                db[name].add_column(column, kind)


def _create_added(db, number):
    """Tables migration ``number`` created (frozen in schema_history), where missing."""
    for name, (columns, options) in history.ADDED_TABLES.items():
        if history.MIGRATION_OF_TABLE[name] == number:
            db[name].create(columns, if_not_exists=True, **options)


def _migration_1(db):
    """The first schema, as files of that version hold it (frozen: never TABLES)."""
    for name, (columns, options) in history.V1_TABLES.items():
        db[name].create(columns, if_not_exists=True, **options)


def _migration_harvest_errors(db):
    """#10: harvest_errors table; run exit codes; stream checkpoints and permanent answers."""
    _create_added(db, 2)
    _add_columns(db, 2)


# A stored feed date that is not a real one: not zero-padded ISO, before 1990, or
# more than a day after the entry was first seen (placeholders such as Go's zero time).
_PLACEHOLDER = """({col} not glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'
    or {col} < '1990-01-01' or julianday({col}) > julianday(first_seen) + 1)"""


def _migration_real_world_data(db):
    """Issue 14: feed warnings, placeholder dates, merged states, reconciliation."""
    # Fetch every feed once in full, so the new identity rules recover posts that
    # earlier releases stored as one (items sharing a link) or refused (small XML errors).
    db.execute("update feeds set etag = null, last_modified = null")
    # Placeholder dates stored by earlier releases become first-seen dates.
    db.execute(f"""update feed_entries set published = first_seen, date_is_first_seen = 1
                   where {_PLACEHOLDER.format(col='published')}""")
    db.execute(f"""update feed_entries set updated = published
                   where {_PLACEHOLDER.format(col='updated')}""")
    # The issues stream used to erase merged_at when its payload lacked it.
    db.execute("""update issues set merged_at = (
                      select p.merged_at from pull_requests p
                      where p.repo = issues.repo and p.number = issues.number)
                  where type = 'pull' and merged_at is null""")
    # Issues that left their repo (tracker/harvest/reconcile.py); rows stay as history.
    _add_columns(db, 3)


def _migration_run_credentials(db):
    """harvest_runs.credentials: none | token | app — which kind a run used, never the secret."""
    _add_columns(db, 4)


def _migration_digest_headline(db):
    """digests.headline: the week's numbers on one line, for the archive page."""
    _add_columns(db, 5)


def _migration_repo_sources(db):
    """Discovery (#13): the repo_sources table on databases made before it existed."""
    _create_added(db, 6)


def _migration_search_requests(db):
    """harvest_runs.search_requests: /search requests a run made (their own budget)."""
    _add_columns(db, 7)


def _migration_sources(db):
    """#23: events, papers and discourse_topics on databases made before them."""
    _create_added(db, 8)


def _migration_history(db):
    """#25: stars, forks and history_coverage on databases made before them."""
    _create_added(db, 9)


def _migration_packages(db):
    """#22: packages, package_releases and package_sources on older databases."""
    _create_added(db, 10)


def _migration_discovery_backfills(db):
    """#20: discovery_backfills. A source swept before it existed gets the latest
    whole sweep on record (``discovery-sweep:SOURCE``), the earliest that is
    known to have completed: older finds stay backfill, never false news."""
    columns, options = TABLES["discovery_backfills"]
    db["discovery_backfills"].create(columns, if_not_exists=True, **options)
    db.execute("""insert or ignore into discovery_backfills (source, completed_at)
                  select substr(key, length('discovery-sweep:') + 1), watermark
                  from harvest_state
                  where key like 'discovery-sweep:%' and watermark is not null""")


def _migration_missing_reason(db):
    """#19: repos.missing_reason, why a watched repo answers 404, 410 or 451."""
    if "missing_reason" not in db["repos"].columns_dict:
        db["repos"].add_column("missing_reason", str)


def _migration_digest_sections(db):
    """#21: digests.period/quiet/section_count/sections_json and digest_edits."""
    columns, _ = TABLES["digests"]
    for name in ("period", "quiet", "section_count", "sections_json"):
        if name not in db["digests"].columns_dict:
            db["digests"].add_column(name, columns[name])
    columns, options = TABLES["digest_edits"]
    db["digest_edits"].create(columns, if_not_exists=True, **options)


# Numbered migrations, applied once each in order; PRAGMA user_version records
# the last one applied. Append, never edit a published migration.
MIGRATIONS = [_migration_1, _migration_harvest_errors, _migration_real_world_data,
              _migration_run_credentials, _migration_digest_headline, _migration_repo_sources,
              _migration_search_requests, _migration_sources, _migration_history,
              _migration_packages]
MIGRATIONS.append(_migration_discovery_backfills)
MIGRATIONS.append(_migration_missing_reason)
MIGRATIONS.append(_migration_digest_sections)


def _migration_summaries(db):
    """#26: the summary tables, filled from the base tables, and their triggers."""
    from . import summaries

    summaries.rebuild(db, transaction=False)


MIGRATIONS.append(_migration_summaries)


def _migration_star_summaries(db):
    """#26: stars and forks per week (tracker/star_summaries.py), filled, and their triggers."""
    from . import star_summaries

    star_summaries.rebuild(db)


MIGRATIONS.append(_migration_star_summaries)


def open_db(path):
    """Open (creating if needed) a tracker database in WAL mode, schema ensured."""
    db = sqlite_utils.Database(path) if not isinstance(path, sqlite_utils.Database) else path
    if db.conn.execute("pragma journal_mode").fetchone()[0] != "memory":
        db.conn.execute("pragma journal_mode=wal")
    db.conn.execute("pragma synchronous=normal")
    db.conn.execute("pragma busy_timeout=5000")
    # An INSERT OR REPLACE then fires the delete triggers of the row it replaces,
    # so the summary tables (tracker/summaries.py) stay right even then.
    db.conn.execute("pragma recursive_triggers=on")
    # xml_text(), html_text(), safe_link(), week_start(), iso_week(): as in Datasette.
    from .safe import register_sql_functions
    register_sql_functions(db.conn)
    if not schema_is_current(db):  # a read of sqlite_master: no write when nothing is due
        ensure_schema(db)
    return db


def schema_is_current(db):
    """True when every migration, index, full-text table and view (as defined now) is there."""
    if db.conn.execute("pragma user_version").fetchone()[0] != len(MIGRATIONS):
        return False
    master = {(row[0], row[1]): row[2] for row in db.conn.execute(
        "select type, name, sql from sqlite_master where type in ('table', 'view', 'index')")}
    from .facts import VIEWS as FACTS  # a fact redefined (#26: live_comments) is due too

    for name, sql in {**VIEWS, **FACTS}.items():
        if ("view", name) not in master or sql.strip() not in master[("view", name)]:
            return False
    if any(("table", f"{table}_fts") not in master for table in FTS):
        return False
    indexed = {}
    for (kind, name), _ in master.items():
        if kind == "index":
            table = db.conn.execute("select tbl_name from sqlite_master where name = ?",
                                    [name]).fetchone()[0]
            columns = [r[2] for r in db.conn.execute(f"pragma index_info([{name}])")]
            indexed.setdefault(table, []).append(columns)
    if not (all(columns in indexed.get(table, []) for table, columns in INDEXES)
            and all(("index", name) in master for name in PARTIAL_INDEXES)):
        return False
    from .summaries import triggers_current
    from . import star_summaries
    return triggers_current(db) and star_summaries.triggers_current(db)


def ensure_schema(db):
    """Apply pending migrations, then indexes, full-text search and views."""
    version = db.conn.execute("pragma user_version").fetchone()[0]
    if version == 0 and not db.table_names():  # a new file: the current schema at once
        with db.conn:
            create_current(db)
            db.conn.execute(f"pragma user_version={len(MIGRATIONS)}")
        version = len(MIGRATIONS)
    for number, migration in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        with db.conn:
            migration(db)
            db.conn.execute(f"pragma user_version={number}")
    from .summaries import ensure_summaries
    ensure_summaries(db)  # before the indexes: it recreates a summary table gone missing
    ensure_indexes(db)
    ensure_fts(db)
    ensure_views(db)


def ensure_indexes(db):
    for table, columns in INDEXES:
        db[table].create_index(columns, if_not_exists=True)
    for name, (table, columns, where) in PARTIAL_INDEXES.items():
        db.execute(f"create index if not exists [{name}] on [{table}] "
                   f"({', '.join(f'[{c}]' for c in columns)}) where {where}")


def ensure_fts(db):
    existing = set(db.table_names())
    for table, columns in FTS.items():
        if f"{table}_fts" not in existing:
            db[table].enable_fts(columns, create_triggers=True, tokenize="porter")


def ensure_views(db):
    """The views above, then the shared facts (tracker.facts) every query reads."""
    from .facts import VIEWS as FACTS

    for name, sql in {**VIEWS, **FACTS}.items():
        db.create_view(name, sql, replace=True)


def load_states(db):
    """Every harvest_state row (ETags, watermarks) keyed by listing or stream."""
    return {row["key"]: row for row in db["harvest_state"].rows}


def save_state(db, key, **fields):
    db["harvest_state"].upsert({"key": key, **fields}, pk="key")
