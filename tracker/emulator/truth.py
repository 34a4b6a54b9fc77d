"""Compare a tracker database with the emulator's world (tests and benchmarks).

``differences(store, db)`` lists, per table, the rows whose stored values differ from
what the emulator serves now: issues and PRs (state, title, dates, comment count, merge
date), pull_requests (state, title, updated_at, merge date and SHA, head ref), comments
(id, updated_at), releases and commits. An empty list means the database is exact.
"""

from __future__ import annotations

from .records import iso
from .render import Renderer, text

LIMIT = 20  # differences reported, at most


def _expected(store, repos):
    issues, pulls, comments, releases, commits = {}, {}, set(), set(), set()
    for repo in store.repos.values():
        if repos is not None and repo.full_name.lower() not in repos:
            continue
        for i in repo.issues.values():
            title = text(i.title, Renderer._made_up_title(i))
            merged = iso(i.pull.merged_at) if i.pull else None
            issues[i.id] = (repo.id, i.number, i.state, title, iso(i.updated_at),
                            iso(i.closed_at), i.comments, merged)
            if i.pull:
                pulls[(repo.id, i.number)] = (i.state, title, iso(i.updated_at), merged,
                                              i.pull.merge_commit_sha, i.pull.head_ref)
        comments |= {(c.id, iso(c.updated_at)) for c in repo.comments_by_created}
        releases |= {r.id for r in repo.releases if not r.draft}
        commits |= {c.sha for c in repo.commits}
    return issues, pulls, comments, releases, commits


def differences(store, db, repos=None) -> list[str]:
    """Human-readable differences between ``db`` (sqlite_utils) and ``store``, limited to
    ``repos`` (full names) when given; [] if exact."""
    repos = None if repos is None else {name.lower() for name in repos}
    with store.lock:
        issues, pulls, comments, releases, commits = _expected(store, repos)
    out = []
    got = {r[0]: tuple(r[1:]) for r in db.execute(
        "select id, repo, number, state, title, updated_at, closed_at, comments, merged_at "
        "from issues")}
    out += _diff("issues", issues, got)
    got = {(r[0], r[1]): tuple(r[2:]) for r in db.execute(
        "select repo, number, state, title, updated_at, merged_at, merge_commit_sha, head_ref "
        "from pull_requests")} if db["pull_requests"].exists() else {}
    out += _diff("pull_requests", pulls, got)
    got = set(db.execute("select id, updated_at from issue_comments").fetchall())
    out += _set_diff("issue_comments", comments, got)
    got = {r[0] for r in db.execute("select id from releases")}
    out += _set_diff("releases", releases, got)
    got = {r[0] for r in db.execute("select sha from commits")}
    out += _set_diff("commits", commits, got)
    return out


def _diff(table, expected, got):
    out = []
    for key, value in expected.items():
        if got.get(key) != value:
            out.append(f"{table} {key}: expected {value}, stored {got.get(key)}")
    out += [f"{table} {key}: stored but not on GitHub" for key in got.keys() - expected.keys()]
    return out[:LIMIT]


def _set_diff(table, expected, got):
    missing, extra = expected - got, got - expected
    out = [f"{table}: missing {x}" for x in sorted(missing, key=str)[:LIMIT]]
    return out + [f"{table}: stored but not on GitHub {x}" for x in sorted(extra, key=str)[:LIMIT]]
