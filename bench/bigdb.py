"""A large, clearly synthetic tracker database for benchmarks.

Every row is made up from a seeded RNG: logins are ``synthetic-user-N``, repos
``synthetic-org-N/synthetic-repo-N``, text is drawn from a small vocabulary and
all URLs point at ``https://example.invalid/``. Activity spans the three years
before ``END`` (a fixed instant, so the "latest complete week" of every query
is always 2026-W26 and figures are comparable between runs).

Speed: the schema comes from ``tracker.db`` but indexes and full-text search
are dropped during the load and rebuilt by ``ensure_schema`` afterwards (one
sort per index beats a million B-tree insertions); rows go in with
``executemany`` in chunks, all inside one transaction per table.
"""

import argparse
import bisect
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlite_utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tracker.db import FTS, ensure_schema, open_db, schema_is_current  # noqa: E402

END = datetime(2026, 6, 28, 23, 0, 0, tzinfo=timezone.utc)  # a Sunday: week 2026-W26
SPAN_DAYS = 3 * 365
CHUNK = 50_000
WORDS = (
    "synthetic kernel widget notebook server extension spawner hub lab console "
    "terminal cell output display render theme toolbar sidebar debugger lsp "
    "contents manager handler token proxy config docs test build release fix "
    "crash slow memory leak unicode export import upgrade python node typescript"
).split()
BOTS = ["dependabot[bot]", "pre-commit-ci[bot]", "github-actions[bot]", "renovate[bot]"]


def _ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _skewed(rng, n, power=3.0):
    """An index in [0, n) where low indexes are much more likely (a few busy repos, users)."""
    return min(n - 1, int(n * rng.random() ** power))


def _insert(conn, table, columns, rows):
    sql = "insert into [{}] ({}) values ({})".format(
        table, ", ".join(f"[{c}]" for c in columns), ", ".join("?" * len(columns))
    )
    chunk = []
    with conn:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                conn.executemany(sql, chunk)
                chunk.clear()
        if chunk:
            conn.executemany(sql, chunk)


def build_big_db(path, issues=1_000_000, repos=3000, comments=3_000_000,
                 releases=50_000, seed=0, users=60_000, orgs=60, log=None):
    """Create ``path`` (must not exist) filled with synthetic activity; return the path."""
    path = Path(path)
    log = log or (lambda text: print(text, file=sys.stderr))  # progress is a diagnostic
    if path.exists():
        raise FileExistsError(f"{path} exists; remove it or reuse it")
    rng = random.Random(seed)
    started = time.monotonic()

    def step(message):
        log(f"[{time.monotonic() - started:6.1f}s] {message}")

    db = open_db(sqlite_utils.Database(path))
    conn = db.conn
    conn.execute("pragma synchronous=off")
    conn.execute("pragma cache_size=-400000")
    # Loading without indexes and FTS triggers, then rebuilding, is several
    # times faster than maintaining them row by row.
    for (name,) in conn.execute(
        "select name from sqlite_master where type='index' and name like 'idx_%'"
    ).fetchall():
        conn.execute(f"drop index [{name}]")
    for table in FTS:
        db[table].disable_fts()

    start = END - timedelta(days=SPAN_DAYS)

    def when(lo=start, hi=END):
        return lo + timedelta(seconds=rng.randrange(max(1, int((hi - lo).total_seconds()))))

    step(f"users ({users} + {len(BOTS)} bots + {orgs} orgs)")
    user_rows = [
        (i, f"synthetic-user-{i}", "User", 0, f"https://example.invalid/synthetic-user-{i}")
        for i in range(1, users + 1)
    ]
    bot_ids = list(range(users + 1, users + 1 + len(BOTS)))
    user_rows += [(uid, login, "Bot", 1, f"https://example.invalid/{login}")
                  for uid, login in zip(bot_ids, BOTS)]
    org_ids = list(range(users + 1000, users + 1000 + orgs))
    user_rows += [(oid, f"synthetic-org-{n}", "Organization", 0,
                   f"https://example.invalid/synthetic-org-{n}")
                  for n, oid in enumerate(org_ids)]
    _insert(conn, "users", ["id", "login", "type", "is_bot", "html_url"], user_rows)

    step(f"repos ({repos})")
    repo_rows, repo_names = [], []
    for n in range(repos):
        rid = 100_000 + n
        org_n = _skewed(rng, orgs, 1.5)
        full_name = f"synthetic-org-{org_n}/synthetic-repo-{n}"
        created = when(start - timedelta(days=2000), END)
        repo_names.append(full_name)
        repo_rows.append((
            rid, f"synthetic-repo-{n}", full_name, org_ids[org_n],
            f"https://example.invalid/{full_name}", "Synthetic " + _text(rng, 8),
            0, rng.choice(["Python", "TypeScript", "Jupyter Notebook", "C++"]),
            int(5000 * rng.random() ** 4), _ts(created), _ts(END), "synthetic",
        ))
    _insert(conn, "repos", [
        "id", "name", "full_name", "owner", "html_url", "description", "fork",
        "language", "stargazers_count", "created_at", "updated_at", "tracked_via",
    ], repo_rows)

    step("repo_stats (26 weekly snapshots per repo)")
    def stats():
        for rid, *_rest in repo_rows:
            stars = rng.randrange(0, 3000)
            for w in range(26, 0, -1):
                stars += rng.randrange(0, 12)
                yield (rid, _ts(END - timedelta(weeks=w - 1, hours=2)), stars, stars // 10)
    _insert(conn, "repo_stats", ["repo", "harvested_at", "stargazers_count", "forks_count"],
            stats())

    step(f"issues ({issues})")
    # Kept for comments: (issue id, repo id, number, created) per issue.
    issue_meta = []
    numbers = [0] * repos

    def issue_rows():
        for n in range(issues):
            iid = 10_000_000 + n
            repo_n = _skewed(rng, repos, 2.0)
            numbers[repo_n] += 1
            is_pull = rng.random() < 0.45
            bot = is_pull and rng.random() < 0.15
            user = rng.choice(bot_ids) if bot else 1 + _skewed(rng, users)
            created = when()
            age_days = (END - created).days
            # Old items are mostly closed, recent ones often open: like real trackers.
            p_open = 0.5 if age_days < 30 else 0.2 if age_days < 180 else 0.04
            closed = merged = None
            if rng.random() >= p_open:
                closed = created + timedelta(hours=rng.randrange(1, 24 * 60))
                if closed > END:  # not closed yet (clipping to END would pile up on one week)
                    closed = None
                elif is_pull and rng.random() < 0.7:
                    merged = closed
            updated = max(created, closed or created) + timedelta(hours=rng.randrange(0, 72))
            if updated > END:
                updated = closed or created
            reactions = {"total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
                         "confused": 0, "heart": 0, "rocket": 0, "eyes": 0}
            if rng.random() < 0.1:
                for key in ("+1", "heart", "hooray", "rocket"):
                    reactions[key] = int(40 * rng.random() ** 6)
                reactions["total_count"] = sum(v for k, v in reactions.items()
                                               if k != "total_count")
            full_name = repo_names[repo_n]
            number = numbers[repo_n]
            issue_meta.append((iid, 100_000 + repo_n, number, created))
            kind = "pull" if is_pull else "issues"
            yield (
                iid, number, _text(rng, 6), user, "closed" if closed else "open", 0, _ts(created),
                _ts(updated), _ts(closed) if closed else None, _ts(merged) if merged else None,
                f"{full_name}/pulls/{number}" if is_pull else None, _text(rng, 30),
                100_000 + repo_n, "pull" if is_pull else "issue", json.dumps(reactions),
                f"https://example.invalid/{full_name}/{kind}/{number}", "CONTRIBUTOR",
                0 if not is_pull else int(rng.random() < 0.1),
            )
    _insert(conn, "issues", [
        "id", "number", "title", "user", "state", "comments", "created_at", "updated_at",
        "closed_at", "merged_at", "pull_request", "body", "repo", "type", "reactions",
        "html_url", "author_association", "draft",
    ], issue_rows())

    step(f"issue_comments ({comments})")
    counts = {}

    # Comments arrive at a steady rate; each goes to an issue opened in the 90
    # days before it, recent issues more often (a comment is never older than
    # its issue, and no week gets an unrealistic pile-up).
    issue_meta.sort(key=lambda meta: meta[3])
    created_list = [meta[3] for meta in issue_meta]

    def comment_rows():
        for n in range(comments):
            at = when()
            hi = bisect.bisect_right(created_list, at)
            lo = bisect.bisect_left(created_list, at - timedelta(days=90))
            if hi == 0:
                continue
            lo = min(lo, hi - 1)
            iid, rid, number, _created = issue_meta[hi - 1 - _skewed(rng, hi - lo, 1.5)]
            counts[iid] = counts.get(iid, 0) + 1
            yield (
                50_000_000 + n, iid, rid, number, 1 + _skewed(rng, users), _ts(at), _ts(at),
                _text(rng, 15), f"https://example.invalid/comment/{n}", "CONTRIBUTOR",
            )
    _insert(conn, "issue_comments", [
        "id", "issue", "repo", "issue_number", "user", "created_at", "updated_at", "body",
        "html_url", "author_association",
    ], comment_rows())
    with conn:
        conn.executemany("update issues set comments = ? where id = ?",
                         ((c, i) for i, c in counts.items()))
    del issue_meta, created_list

    step(f"releases ({releases})")
    versions = [0] * repos

    def release_rows():
        for n in range(releases):
            repo_n = _skewed(rng, repos, 1.5)
            versions[repo_n] += 1
            v = versions[repo_n]
            pre = rng.random() < 0.2
            tag = f"v{v // 100}.{v // 10 % 10}.{v % 10}" + ("rc1" if pre else "")
            at = _ts(when())
            yield (
                1_000_000 + n, 100_000 + repo_n, tag, tag, int(pre), 0, at, at,
                "Synthetic release notes: " + _text(rng, 40), 1 + _skewed(rng, users),
                f"https://example.invalid/{repo_names[repo_n]}/releases/tag/{tag}",
            )
    _insert(conn, "releases", [
        "id", "repo", "tag_name", "name", "prerelease", "draft", "created_at",
        "published_at", "body", "author", "html_url",
    ], release_rows())

    step("feeds, feed_entries, harvest_runs")
    feed_urls = [f"https://example.invalid/feed/{n}.xml" for n in range(20)]
    _insert(conn, "feeds", ["url", "title", "site_link", "last_fetched", "last_status"],
            [(u, f"Synthetic feed {n}", f"https://example.invalid/site/{n}", _ts(END), 200)
             for n, u in enumerate(feed_urls)])

    def entries():
        for n in range(20_000):
            at = _ts(when())
            feed = rng.choice(feed_urls)
            yield (f"{feed} synthetic-entry-{n}", f"synthetic-entry-{n}", feed, "Synthetic post " + _text(rng, 5),
                   f"https://example.invalid/post/{n}", "Synthetic Author", at, at, 0,
                   _text(rng, 40), at)
    _insert(conn, "feed_entries", [
        "id", "entry_id", "feed", "title", "link", "author", "published", "updated",
        "date_is_first_seen", "summary", "first_seen",
    ], entries())

    def runs():
        for n in range(1000):
            at = END - timedelta(hours=6 * n)
            yield (n + 1, _ts(at), _ts(at + timedelta(minutes=3)),
                   "github" if n % 2 else "feeds", "ok" if n % 17 else "failed",
                   rng.randrange(50, 400), rng.randrange(0, 5000), _ts(at + timedelta(hours=1)),
                   0 if n % 17 else 1)
    _insert(conn, "harvest_runs", [
        "id", "started_at", "finished_at", "source", "status", "requests",
        "rate_limit_remaining", "rate_limit_reset", "errors",
    ], runs())

    step("indexes and full-text search (ensure_schema)")
    ensure_schema(db)
    # No ANALYZE: real tracker databases have no sqlite_stat1 either, and the
    # bench must see the query plans users get.
    conn.execute("pragma wal_checkpoint(truncate)")
    db.close()
    step(f"done: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return path


def bring_up_to_date(path):
    """Bring a benchmark database built by an older checkout up to the current
    schema (migrations, summary tables, indexes, views), saying so on stderr: at
    1M issues the summaries take one to a few minutes, which a silent benchmark
    would seem to hang on. A current file is left as it is."""
    import sqlite3

    probe = sqlite_utils.Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    try:
        current = schema_is_current(probe)
    finally:
        probe.conn.close()
    if current:
        return
    print(f"{path}: bringing it up to the current schema (summary tables, indexes; "
          "one to a few minutes at 1M issues)...", file=sys.stderr, flush=True)
    started = time.monotonic()
    open_db(str(path)).conn.close()
    print(f"{path}: up to date in {time.monotonic() - started:.0f} s", file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] + " Progress goes to standard error; the "
        "path and size of the database built to standard output.")
    parser.add_argument("path", nargs="?", default="bench/big.db",
                        help="database file to build (default: %(default)s; about 2 GB)")
    args = parser.parse_args(argv)
    path = Path(args.path)
    if not path.parent.is_dir():
        parser.error(f"{path.parent} does not exist: create it or pass another path")
    if path.exists():
        parser.error(f"{path} exists: the benchmarks reuse it as it is; remove it to rebuild")
    built = build_big_db(path)
    print(f"{built} ({built.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
