"""docs/schema.md: the current schema, from ``tracker.db`` and the Datasette metadata."""

import textwrap

SQL_TYPES = {int: "INTEGER", str: "TEXT", float: "FLOAT", bytes: "BLOB", bool: "INTEGER"}

HEADER = """# Database schema

Generated from `tracker/db.py` (`TABLES`, `INDEXES`, `FTS`, `VIEWS`) and the descriptions in
`tracker/metadata.yml` by `python -m tracker.docs`; do not edit by hand (`tests/test_docs.py`
fails when this page is stale).

One SQLite file (WAL mode). Table and column names follow
[github-to-sqlite](https://github.com/dogsheep/github-to-sqlite) wherever both hold the same
data, so queries written for its databases run here unchanged (`tests/test_compat.py` saves
GitHub's official examples through both and compares). Times are UTC text,
`YYYY-MM-DDTHH:MM:SSZ`. Older files are brought up to this schema by the numbered migrations in
`db.MIGRATIONS` (`PRAGMA user_version` records the last one applied); harvesters upsert with
`alter=True`, so a field GitHub adds lands as an extra column.
"""


def _fk_target(fk):
    """(column, other table, other column) from a tuple or a sqlite-utils ForeignKey."""
    if isinstance(fk, (tuple, list)):
        return fk[0], fk[1], (fk[2] if len(fk) > 2 else "id")
    return fk.column, fk.other_table, fk.other_column


def _cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def table_markdown(name, columns, options, meta):
    pk = options.get("pk") or ()
    pk = (pk,) if isinstance(pk, str) else tuple(pk)
    fks = {col: (table, other) for col, table, other in map(_fk_target,
                                                             options.get("foreign_keys", []))}
    described = meta.get("columns") or {}
    out = [f"## {name}", ""]
    if meta.get("description"):
        out += [meta["description"].strip(), ""]
    out += ["| column | type | key | description |", "|---|---|---|---|"]
    for col, kind in columns.items():
        key = []
        if col in pk:
            key.append("primary key" if len(pk) == 1 else f"primary key ({', '.join(pk)})")
        if col in fks:
            table, other = fks[col]
            key.append(f"→ [{table}](#{table}).{other}")
        out.append(f"| `{col}` | {SQL_TYPES.get(kind, getattr(kind, '__name__', kind))} | "
                   f"{'; '.join(key)} | {_cell(described.get(col, ''))} |")
    return "\n".join(out) + "\n"


def schema_markdown(tables, indexes, fts, views, metadata, partial=None):
    """The whole page. ``metadata`` is tracker/metadata.yml, parsed; ``partial``
    the partial indexes ({name: (table, columns, where)})."""
    meta = ((metadata.get("databases") or {}).get("*") or {}).get("tables") or {}
    out = [HEADER, "Tables: " + ", ".join(f"[{t}](#{t})" for t in tables) + ".",
           "Views: " + ", ".join(f"[{v}](#{v})" for v in views) + ".", ""]
    for name, (columns, options) in tables.items():
        out.append(table_markdown(name, columns, options, meta.get(name) or {}))
    out += ["## Indexes", "",
            "Each justified where it is declared (`db.INDEXES`, with benchmark figures).", ""]
    out += [f"- `{table}` ({', '.join(columns)})" for table, columns in indexes]
    out += [f"- `{table}` ({', '.join(columns)}) where `{where}` (partial: `{name}`)"
            for name, (table, columns, where) in (partial or {}).items()]
    out += ["", "## Full-text search", "",
            "Porter stemming, kept in sync by triggers; the search box of each table in "
            "Datasette.", ""]
    out += [f"- `{table}_fts`: {', '.join(columns)} of [{table}](#{table})"
            for table, columns in fts.items()]
    out.append("")
    for name, sql in views.items():
        description = (meta.get(name) or {}).get("description", "")
        out += [f"## {name}", "", f"View. {description}".rstrip(), "",
                "```sql", textwrap.dedent(sql).strip(), "```", ""]
    return "\n".join(out).rstrip() + "\n"
