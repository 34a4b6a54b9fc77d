"""The writer's side of the history streams (#25): rows, saves and coverage.

``history.py`` yields ops; these handlers apply them in the writer thread.
``stars`` follows github-to-sqlite's table (user, repo, starred_at; pk user +
repo); ``forks`` keeps one row per fork repository. A row seen again is upserted
(``seen_walk`` = the number of the full walk that saw it last, or of the last
completed one for rows found by a tail); one a full walk no longer lists is marked
``unstarred_at`` / ``deleted_at`` (the row stays: it is history). After every
state op the coverage row is brought in step: ``listed`` is what is held and
present, ``dirty`` says the next reconciliation must re-walk.
"""

from .ops import HistoryGone, HistoryRows, HistoryState
from .save import save_users

TABLE = {"stargazers": "stars", "forks": "forks"}
GONE = {"stargazers": "unstarred_at", "forks": "deleted_at"}
DATE = {"stargazers": "starred_at", "forks": "created_at"}
KEY = {"stargazers": "user", "forks": "id"}


def star_row(item, repo_id, seen_walk):
    """A stargazer answer (``{"starred_at", "user"}``, or a bare user without the
    star media type) -> (stars row, user)."""
    user = item.get("user") if "starred_at" in item else item
    return ({"user": user["id"], "repo": repo_id, "starred_at": item.get("starred_at"),
             "unstarred_at": None, "seen_walk": seen_walk}, user)


def fork_row(item, repo_id, seen_walk):
    """A forks-listing repository -> (forks row, owner)."""
    owner = item.get("owner") or {}
    return ({"id": item["id"], "repo": repo_id, "owner": owner.get("id"),
             "full_name": item.get("full_name"), "html_url": item.get("html_url"),
             "created_at": item.get("created_at"), "deleted_at": None,
             "seen_walk": seen_walk}, owner)


def save_history(db, stream, items, repo_id, seen_walk, bots=()):
    """Upsert one page of stargazers or forks; return how many rows."""
    make = star_row if stream == "stargazers" else fork_row
    rows, users = [], []
    for item in items:
        if not isinstance(item, dict):
            continue
        row, user = make(item, repo_id, seen_walk)
        if row[KEY[stream]] is None:
            continue
        if row.get(DATE[stream]) is None:
            del row[DATE[stream]]  # an answer without the date never erases a stored one
        rows.append(row)
        if user and user.get("id") is not None:
            users.append(user)
    save_users(db, users, bots)
    if rows:
        pk = ("user", "repo") if stream == "stargazers" else "id"
        db[TABLE[stream]].upsert_all(rows, pk=pk, alter=True)
    return len(rows)


def mark_gone(db, stream, repo_id, walk, now, until=None):
    """After full walk number ``walk``: entries it did not list are gone (from ``now``).
    ``until``: a capped walk only vouches for entries up to that date."""
    table, gone, date = TABLE[stream], GONE[stream], DATE[stream]
    sql = (f"update {table} set {gone} = ? where repo = ? and {gone} is null "
           f"and (seen_walk is null or seen_walk < ?)")
    params = [now, repo_id, walk]
    if until is not None:
        sql += f" and {date} <= ?"
        params.append(until)
    return db.execute(sql, params).rowcount


def save_coverage(db, repo_id, stream, fields):
    """Upsert the coverage row, then recount ``listed`` and re-derive ``dirty``."""
    table, gone = TABLE[stream], GONE[stream]
    db["history_coverage"].upsert({"repo": repo_id, "stream": stream, **fields},
                                  pk=("repo", "stream"), alter=True)
    listed = db.execute(f"select count(*) from {table} where repo = ? and {gone} is null",
                        [repo_id]).fetchone()[0]
    row = db.execute("select github_count, capped, listable, walk, dirty from history_coverage "
                     "where repo = ? and stream = ?", [repo_id, stream]).fetchone()
    count, capped, listable, walk, dirty = row
    if walk is None and count is not None and "github_count" in fields:
        # A finished sync that does not add up (an unstar hidden by a star, a
        # shrink seen mid-tail): the next reconciliation re-walks.
        expected = min(count, listable) if capped and listable is not None else count
        dirty = int(bool(dirty) or listed != expected)
    db.execute("update history_coverage set listed = ?, dirty = ? where repo = ? and stream = ?",
               [listed, dirty, repo_id, stream])
    if capped:
        # A cap met by a tail's 422 saw no page: the newest entry held is where it cuts.
        date = DATE[stream]
        db.execute(f"update history_coverage set capped_after = (select max({date}) from "
                   f"{table} where repo = ? and {gone} is null) where repo = ? and stream = ? "
                   "and capped_after is null", [repo_id, repo_id, stream])


# -- the writer's handlers (registered in writer.WRITERS) -----------------------

def on_history(run, op):
    with run.db.conn:
        n = save_history(run.db, op.stream, op.items, op.repo, op.walk, run.config.bots)
    name = TABLE[op.stream]
    run.summary.counts[name] = run.summary.counts.get(name, 0) + n


def on_history_state(run, op):
    if run.blocked(op.needs):
        return  # a page was not saved: the walk goes again from its checkpoint
    with run.db.conn:
        save_coverage(run.db, op.repo, op.stream, op.fields)


def on_history_gone(run, op):
    if run.blocked(op.needs):
        return
    with run.db.conn:
        n = mark_gone(run.db, op.stream, op.repo, op.walk, op.now, op.until)
    if n:
        what = "unstarred" if op.stream == "stargazers" else "forks deleted"
        run.progress.log(f"{run.names.get(op.repo, op.repo)}: {n} {what} since the last walk")


WRITERS = {HistoryRows: on_history, HistoryState: on_history_state,
           HistoryGone: on_history_gone}
__all__ = ["WRITERS", "fork_row", "mark_gone", "save_coverage", "save_history", "star_row"]
