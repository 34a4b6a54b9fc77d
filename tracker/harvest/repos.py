"""Which repositories to harvest: org and user listings plus single repos.

Runs in the writer thread before the per-repo workers start. Every listing
page is fetched conditionally with its stored ETag; a page that answers 304
means its repos are unchanged and their stored rows are used instead.
"""

from urllib.parse import urlsplit

import traceback

from ..classify import GONE_STATUSES, gone_reason
from ..db import save_state
from ..github import AuthError, GitHubError, RateLimitExhausted, Unreachable
from ..storage import is_storage_error
from .outcome import RunError
from .save import mark_repo_missing, save_repo, save_repo_stats, save_stats_from_db


def _stored_repos(db, where, params, present="missing_since is null"):
    return [
        dict(row) for row in db.query(
            f"select id, full_name, default_branch, pushed_at, updated_at, size, "
            f"open_issues_count from repos where ({present}) and {where}", params)
    ]


# An unchanged (304) listing still shows a repo blocked by 410/451 (not one that
# answers 404: deleted or private repos leave it), so those are asked about again.
LISTED = "missing_since is null or missing_reason not like '404%'"


def resolve_repos(client, db, config, state, now, *, only=(), log=print):
    """Save repo metadata and stats; return (repos to harvest, errors)."""
    errors = []
    found = {}
    excluded = {name.lower() for name in config.exclude}

    def keep(repo, via, fresh):
        name = repo["full_name"]
        if name.lower() in excluded or (repo.get("renamed_from") or "").lower() in excluded:
            return
        if fresh:
            answered = via.startswith("repo:")
            if only and db.execute("select 1 from repos where id = ?", [repo["id"]]).fetchone():
                via = None  # --repo limits this run only: what later runs watch stays (#19)
            save_repo(db, repo, tracked_via=via, now=now, bots=config.bots, answered=answered)
            save_repo_stats(db, repo, now)
        elif repo["id"] not in found:
            # Unchanged (304): this run's snapshot repeats the stored counts.
            save_stats_from_db(db, repo["id"], now)
        found[repo["id"]] = {
            "id": repo["id"], "full_name": name, "default_branch": repo.get("default_branch"),
            # What streams.repo_ops compares to skip quiet repos' commits/contributors.
            **{k: repo.get(k) for k in ("pushed_at", "updated_at", "size")},
            # What reconcile.py compares with the open rows (no extra request).
            "open_issues_count": repo.get("open_issues_count"),
        }

    if only:
        singles = list(only)
    else:
        singles = list(config.repos)
        for kind, names in (("orgs", config.orgs), ("users", config.users)):
            for name in names:
                via = f"{kind[:-1]}:{name}"
                try:
                    ok = _owner_listing(client, db, kind, name, via, state, keep, now, log)
                except FATAL:
                    raise
                except Exception as e:
                    if is_storage_error(e):
                        raise  # the disk's, not the owner's (#19)
                    # That owner's error; the other owners and single repos still run.
                    errors.append(_error(f"github.{kind}: {name}", e, name, "repos"))
                    continue
                if not ok:
                    errors.append(RunError(f"github.{kind}: {name!r} not found on GitHub (404)",
                                           target=name, stream="repos", status=404))
                    continue
                for repo in _stored_repos(db, "tracked_via = ?", [via], LISTED):
                    if repo["id"] not in found:
                        keep(repo, via, fresh=False)
                _recheck_missing(client, db, via, found, keep, now)
    for full_name in singles:
        if full_name.lower() in excluded:
            continue
        key = f"repo:{full_name.lower()}"
        st = state.get(key, {})
        # After a rename, ask for the new name: each 301 would cost a request.
        path = st.get("location") or f"repos/{full_name}"
        try:
            gone = _single_repo(client, db, full_name, path, key, st, keep, now, log)
            if gone and only:
                # Asked for by name on the command line: a 404/410/451 is that run's error.
                errors.append(RunError(f"--repo {full_name}: {gone[1]}", target=full_name,
                                       stream="repo", status=gone[0]))
        except FATAL:
            raise
        except Exception as e:  # that repo's error; the others still run
            if is_storage_error(e):
                raise  # the disk's, not the repo's: the run stops with one line (#19)
            errors.append(_error(full_name, e, full_name, "repo"))
    db.conn.commit()
    return list(found.values()), errors


FATAL = (AuthError, RateLimitExhausted, Unreachable)


def _error(prefix, e, target, stream):
    message = str(e) if isinstance(e, GitHubError) else f"{type(e).__name__}: {e}"
    return RunError(f"{prefix}: {message}", target=target, stream=stream,
                    status=getattr(e, "status", None),
                    detail=None if isinstance(e, GitHubError) else traceback.format_exc())


def _recheck_missing(client, db, via, found, keep, now):
    """Listed repos stored as missing: a listing still shows a blocked repo, so their
    own answer (one request each) says whether they are back; if not, their streams
    are not asked for this run."""
    missing = db.execute("select id, full_name from repos where tracked_via = ? "
                         "and missing_since is not null", [via]).fetchall()
    for rid, full_name in missing:
        if rid not in found:
            continue  # no longer listed: gone for good, not asked about
        page = client.get(f"repos/{full_name}")
        if page.status in GONE_STATUSES:
            mark_repo_missing(db, full_name, now, gone_reason(page.status, page.data))
            found.pop(rid, None)
        elif page.status == 200 and isinstance(page.data, dict):
            save_repo(db, page.data, tracked_via=via, now=now, answered=True)
            keep(page.data, via, fresh=True)
    db.conn.commit()


def _single_repo(client, db, full_name, path, key, st, keep, now, log):
    """Fetch one watchlist repo (conditionally) and keep it; (status, reason) when
    GitHub answers that it is not there (404, 410 deleted, 451 blocked), else None.

    A permanent answer marks the repo missing with its reason and keeps its rows:
    one warning the run it happens, then silence until it changes (no error, so
    an hourly run stays ``ok``; the repo is asked again each run, one request)."""
    page = client.get(path, etag=st.get("etag"), last_modified=st.get("last_modified"))
    if page.status in GONE_STATUSES:
        reason = gone_reason(page.status, page.data)
        if mark_repo_missing(db, full_name, now, reason):
            log(f"warning: repo {full_name}: GitHub answered {reason}; marked missing, "
                "stored rows kept")
        db.conn.commit()
        return page.status, reason
    if page.status == 304:
        stored = _stored_repos(db, "full_name = ? collate nocase", [path.split("/", 1)[1]])
        if stored:
            keep(stored[0], f"repo:{full_name}", fresh=False)
            return None
        page = client.get(path)
    repo = page.data
    if repo["full_name"].lower() != full_name.lower():
        log(f"{full_name} is now {repo['full_name']} (GitHub redirected)")
        repo = {**repo, "renamed_from": full_name}
    keep(repo, f"repo:{full_name}", fresh=True)
    save_state(db, key, etag=page.etag, last_modified=page.last_modified,
               location=f"repos/{repo['full_name']}", updated_at=now)
    db.conn.commit()
    return None


def _owner_listing(client, db, kind, name, via, state, keep, now, log):
    """Walk an org's or user's repo listing; False if the owner does not exist."""
    params = {"type": "public" if kind == "orgs" else "owner", "per_page": 100}
    number, url = 1, f"{kind}/{name}/repos"
    while url:
        key = f"list:{kind}/{name.lower()}:{number}"
        st = state.get(key, {})
        page = client.get(url, params if number == 1 else None,
                          etag=st.get("etag"), last_modified=st.get("last_modified"))
        if page.status in GONE_STATUSES:
            return False
        if page.status == 200:
            for repo in page.items:
                keep(repo, via, fresh=True)
            save_state(db, key, etag=page.etag, last_modified=page.last_modified,
                       next_url=page.next_url, updated_at=now)
            db.conn.commit()
            url = page.next_url
        else:
            url = st.get("next_url")
        if url:
            log(f"{kind}/{name}: page {number + 1} ({urlsplit(url).path})")
        number += 1
    return True
