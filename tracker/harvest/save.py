"""Database writes for GitHub data, one page (or one object) at a time.

Every function takes ``db`` plus raw API dicts, upserts with an explicit pk
(never replace=True: other harvesters own other columns of shared tables) and
leaves committing to the caller, which commits once per page.
"""

from . import rows as R


def save_users(db, users, bots=()):
    """Upsert users, never overwriting stored values with missing ones."""
    seen = {}
    for user in users:
        if user and user.get("id") is not None:
            row = R.user_row(user, bots)
            merged = seen.setdefault(row["id"], {})
            merged.update({k: v for k, v in row.items() if v is not None})
    if seen:
        db["users"].upsert_all(list(seen.values()), pk="id", alter=True)
        # Nested users carry no name; like github-to-sqlite, show the login instead,
        # but only where no real name was ever stored.
        ids = list(seen)
        db.execute(f"update users set name = login where name is null and id in "
                   f"({','.join('?' * len(ids))})", ids)


def save_repo(db, repo, *, tracked_via=None, now=None, bots=(), answered=False):
    row, extras = R.repo_row(repo, tracked_via, now, answered)
    save_users(db, extras["users"], bots)
    if extras["license"]:
        db["licenses"].upsert(R.license_row(extras["license"]), pk="key", alter=True)
    old = db.execute("select full_name from repos where id = ?", [row["id"]]).fetchone()
    if old is None:
        row["first_seen_at"] = now
    # A repo that answered under a new name keeps its id; the old name is history.
    if old and old[0] != row.get("full_name"):
        row["renamed_from"] = old[0]
    elif repo.get("renamed_from"):
        row["renamed_from"] = repo["renamed_from"]
    db["repos"].upsert(row, pk="id", alter=True)
    return row["id"]


def save_repo_stats(db, repo, harvested_at):
    db["repo_stats"].upsert(R.repo_stats_row(repo, harvested_at),
                            pk=("repo", "harvested_at"), alter=True)


def save_stats_from_db(db, repo_id, harvested_at):
    """Snapshot stored counts for a repo whose listing answered 304 (unchanged)."""
    fields = ", ".join(R.STAT_FIELDS)
    row = db.execute(f"select {fields} from repos where id = ?", [repo_id]).fetchone()
    if row:
        stats = {"repo": repo_id, "harvested_at": harvested_at, **dict(zip(R.STAT_FIELDS, row))}
        db["repo_stats"].upsert(stats, pk=("repo", "harvested_at"), alter=True)


def mark_repo_missing(db, full_name, now, reason=None):
    """Record that GitHub answered 404, 410 or 451 (``reason``); the repo's rows stay.
    True when the repo was not known as missing before (the one run that warns)."""
    cur = db.execute(
        "update repos set missing_since = ?, missing_reason = coalesce(?, missing_reason) "
        "where full_name = ? collate nocase and missing_since is null",
        [now, reason, full_name],
    )
    if cur.rowcount:
        return True
    db.execute("update repos set missing_reason = coalesce(?, missing_reason) "
               "where full_name = ? collate nocase", [reason, full_name])
    known = db.execute("select 1 from repos where full_name = ? collate nocase",
                       [full_name]).fetchone()
    return known is None  # never stored: still worth one line


def save_releases(db, releases, repo_id, bots=()):
    rows, users, assets = [], [], []
    for release in releases:
        if release.get("draft"):
            continue
        row, extras = R.release_row(release, repo_id)
        rows.append(row)
        users += extras["users"]
        assets += extras["assets"]
    save_users(db, users, bots)
    if rows:
        db["releases"].upsert_all(rows, pk="id", alter=True)
    if assets:
        db["assets"].upsert_all(assets, pk="id", alter=True)
    return len(rows)


def _save_milestones(db, milestones):
    milestones = {m["id"]: m for m in milestones if m}
    if milestones:
        db["milestones"].upsert_all(list(milestones.values()), pk="id", alter=True)


def _keep_known(db, table, rows, absent):
    """Give each row's absent fields their stored values (None if never stored).

    Every row then has every column, so one upsert_all cannot null a column
    that a row of the same batch lacks (sqlite-utils writes the union of keys).
    """
    wanted = {row["id"]: absent[row["id"]] for row in rows if absent.get(row["id"])}
    if not wanted:
        return
    ids = list(wanted)
    stored = {r["id"]: r for r in db.query(
        f"select * from [{table}] where id in ({','.join('?' * len(ids))})", ids)}
    for row in rows:
        for name in wanted.get(row["id"], ()):
            row[name] = (stored.get(row["id"]) or {}).get(name)


def save_issues(db, issues, repo_id, bots=()):
    rows, users, milestones, labels, links, absent = [], [], [], {}, [], {}
    for issue in issues:
        row, extras = R.issue_row(issue, repo_id)
        rows.append(row)
        users += extras["users"]
        milestones.append(extras["milestone"])
        absent[row["id"]] = extras["absent"]
        for label in extras["labels"]:
            labels[label["id"]] = label
            links.append({"issues_id": row["id"], "labels_id": label["id"]})
    save_users(db, users, bots)
    _save_milestones(db, milestones)
    if labels:
        db["labels"].upsert_all(list(labels.values()), pk="id", alter=True)
    _keep_known(db, "issues", rows, absent)
    for row in rows:
        if row["type"] == "pull" and "merged_at" in absent[row["id"]] and not row["merged_at"]:
            # Not stored on the issue yet: the pulls stream may have it already.
            found = db.execute("select merged_at from pull_requests where repo = ? and number = ?",
                               [repo_id, row["number"]]).fetchone()
            row["merged_at"] = found[0] if found else None
    if rows:
        db["issues"].upsert_all(rows, pk="id", alter=True)
        # Labels can be removed on GitHub: replace each issue's set wholesale.
        ids = [r["id"] for r in rows]
        # Listed again (transferred back, or the same id now in its new repo): it is here.
        db.execute(
            "update issues set transferred_to = null, transferred_at = null, deleted_at = null "
            f"where id in ({','.join('?' * len(ids))}) "
            "and (transferred_to is not null or deleted_at is not null)", ids)
        db.execute(
            f"delete from issues_labels where issues_id in ({','.join('?' * len(ids))})", ids
        )
    if links:
        db["issues_labels"].insert_all(links, pk=("issues_id", "labels_id"), ignore=True)
    if rows:
        # Comments stored before their issue (another page, another run) find it now.
        db.conn.executemany(
            "update issue_comments set issue = ? where repo = ? and issue_number = ? "
            "and issue is null", [(r["id"], repo_id, r["number"]) for r in rows])
    return len(rows)


def save_pulls(db, pulls, repo_id, bots=()):
    rows, users, milestones = [], [], []
    for pull in pulls:
        row, extras = R.pull_row(pull, repo_id)
        rows.append(row)
        users += extras["users"]
        milestones.append(extras["milestone"])
    save_users(db, users, bots)
    _save_milestones(db, milestones)
    if rows:
        db["pull_requests"].upsert_all(rows, pk="id", alter=True)
        # The pulls listing always knows merged_at; the issues listing sometimes
        # does not, so this is where issues.merged_at is made right.
        db.conn.executemany(
            "update issues set merged_at = ? where repo = ? and number = ? and type = 'pull'",
            [(p["merged_at"], repo_id, p["number"]) for p in pulls if "merged_at" in p])
    return len(rows)


def save_comments(db, comments, repo_id, bots=()):
    rows, users, absent = [], [], {}
    for comment in comments:
        row, extras = R.comment_row(comment, repo_id)
        rows.append(row)
        users += extras["users"]
        absent[row["id"]] = extras["absent"]
    save_users(db, users, bots)
    _keep_known(db, "issue_comments", rows, absent)
    if rows:
        db["issue_comments"].upsert_all(rows, pk="id", alter=True)
        # The issue may not be stored yet; save_issues links it when it is.
        ids = [r["id"] for r in rows]
        db.execute(
            f"""update issue_comments set issue = (
                   select issues.id from issues
                   where issues.repo = issue_comments.repo
                     and issues.number = issue_comments.issue_number)
               where id in ({','.join('?' * len(ids))})""", ids)
    return len(rows)


def save_commits(db, commits, repo_id, bots=()):
    rows, users, raw = [], [], {}
    for commit in commits:
        row, extras = R.commit_row(commit, repo_id)
        rows.append(row)
        users += extras["users"]
        for person in extras["raw_authors"]:
            raw[person["id"]] = person
    save_users(db, users, bots)
    if raw:
        db["raw_authors"].upsert_all(list(raw.values()), pk="id", alter=True)
    if rows:
        db["commits"].upsert_all(rows, pk="sha", alter=True)
    return len(rows)


def save_contributors(db, contributors, repo_id, bots=()):
    rows, users = [], []
    for contributor in contributors:
        row, extras = R.contributor_row(contributor, repo_id)
        if row["user_id"] is not None:
            rows.append(row)
            users += extras["users"]
    save_users(db, users, bots)
    if rows:
        db["contributors"].upsert_all(rows, pk=("repo_id", "user_id"), alter=True)
    return len(rows)
