"""What a page changes: its items that are new to the database or differ from the stored row.

Runs count changes, not rows written: a page seen twice (change detection's overlap
window, the page-1 re-check, a search hit walked again) changes nothing the second
time. An item is compared as the row its saver would write (``rows.py``), field by
field, so an edit within the same second as the stored copy (same ``updated_at``)
still counts; fields the payload lacks are not compared.
"""

import json

from . import rows as R

# stream -> (table, key column, row function)
ROWS = {
    "releases": ("releases", "id", R.release_row),
    "issues": ("issues", "id", R.issue_row),
    "pulls": ("pull_requests", "id", R.pull_row),
    "comments": ("issue_comments", "id", R.comment_row),
    "commits": ("commits", "sha", R.commit_row),
}


def changed_items(db, stream, items, repo_id):
    """The items of ``items`` that are new or differ from what is stored; None when
    ``stream`` is not compared this way (its saver's count is used instead)."""
    if stream not in ROWS:
        return None
    table, key, row_of = ROWS[stream]
    made = []
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            row, extras = row_of(item, repo_id)
        except Exception:  # the saver reports what is wrong with it
            continue
        if row.get(key) is not None:
            made.append((item, row, extras.get("absent") or ()))
    stored = _stored(db, table, key, [row[key] for _, row, _ in made])
    out, seen = [], set()
    for item, row, absent in made:
        if row[key] in seen:
            continue
        seen.add(row[key])
        old = stored.get(row[key])
        if old is None or any(_plain(value) != old[column] for column, value in row.items()
                              if column in old and column not in absent):
            out.append(item)
    return out


def _stored(db, table, key, keys):
    out = {}
    for k in range(0, len(keys), 500):
        chunk = keys[k:k + 500]
        cursor = db.execute(f"select * from [{table}] where [{key}] in "
                            f"({','.join('?' * len(chunk))})", chunk)
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values))
            out[row[key]] = row
    return out


def _plain(value):
    """A value as SQLite holds it after sqlite-utils wrote it."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=repr, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value
