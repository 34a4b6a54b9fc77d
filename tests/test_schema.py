"""#20: ``db.TABLES`` is the current schema; migrations bring every older file up to it.

A file is built at each earlier version (migration 1 from the frozen v1 schema, then
the migrations up to that version, as an older release left it) and opened: it must
end with exactly the schema a new file gets, rows kept.
"""

import sqlite3

import pytest
import sqlite_utils

from tracker import db as D


def schema(path):
    """Tables -> sorted (column, type, pk position) and sorted foreign keys; indexes; views."""
    conn = sqlite3.connect(path)
    out = {}
    for (name,) in conn.execute("select name from sqlite_master where type = 'table' "
                                "and name not like '%_fts%' and name not like 'sqlite_%'"):
        columns = sorted((c[1], c[2], c[5]) for c in conn.execute(f"pragma table_info([{name}])"))
        keys = sorted((f[3], f[2], f[4]) for f in conn.execute(
            f"pragma foreign_key_list([{name}])"))
        out[name] = (columns, keys)
    out["indexes"] = sorted(r[0] for r in conn.execute(
        "select name from sqlite_master where type = 'index' and name not like 'sqlite_%'"))
    out["views"] = sorted(r[0] for r in conn.execute(
        "select name from sqlite_master where type = 'view'"))
    out["version"] = conn.execute("pragma user_version").fetchone()[0]
    conn.close()
    return out


def at_version(path, version):
    """A file as a release with ``version`` migrations left it, with one issue in it."""
    db = sqlite_utils.Database(path)
    for migration in D.MIGRATIONS[:version]:
        with db.conn:
            migration(db)
    db["issues"].insert({"id": 1, "number": 7, "title": "kept", "state": "open"})
    db.conn.execute(f"pragma user_version={version}")
    db.conn.commit()
    db.conn.close()


def test_a_new_file_has_exactly_tables(tmp_path):
    D.open_db(str(tmp_path / "new.db")).conn.close()
    got = schema(tmp_path / "new.db")
    assert got["version"] == len(D.MIGRATIONS)
    for name, (columns, _) in D.TABLES.items():
        assert sorted(c for c, _, _ in got[name][0]) == sorted(columns), name
    assert {n for n in got if n not in ("indexes", "views", "version")} == set(D.TABLES)


@pytest.mark.parametrize("version", range(1, len(D.MIGRATIONS)))
def test_every_older_version_upgrades_to_exactly_the_current_schema(tmp_path, version):
    D.open_db(str(tmp_path / "new.db")).conn.close()
    at_version(tmp_path / "old.db", version)
    D.open_db(str(tmp_path / "old.db")).conn.close()
    assert schema(tmp_path / "old.db") == schema(tmp_path / "new.db")
    assert sqlite_utils.Database(tmp_path / "old.db").execute(
        "select title from issues where id = 1").fetchone() == ("kept",)


def test_migration_1_is_frozen_not_the_live_tables(tmp_path):
    at_version(tmp_path / "v1.db", 1)
    columns = set(sqlite_utils.Database(tmp_path / "v1.db")["issues"].columns_dict)
    assert "deleted_at" not in columns  # added by migration 3, as it was
