"""One harvest run: lock, GitHub (workers + one writer), feeds, digest, summary."""

import fcntl
import json
import os
import queue
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from ..db import load_states, open_db, save_state
from ..github import USER_AGENT, AuthError, GitHubClient, GitHubError, RateLimitExhausted
from . import changes, save
from .repos import resolve_repos
from .streams import repo_ops


class HarvestError(Exception):
    exit_code = 1


class LockedError(HarvestError):
    exit_code = 75


def utcnow():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def db_lock(db_path, wait=False):
    """Hold an exclusive lock beside the database for the whole run."""
    path = f"{os.path.abspath(db_path)}.lock"
    handle = open(path, "w")
    try:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError:
            raise LockedError(
                f"another harvest is running on {db_path}; "
                "try again later or pass --wait"
            ) from None
        yield
    finally:
        handle.close()


@dataclass
class Summary:
    status: str = "ok"
    repos: int = 0
    counts: dict = field(default_factory=dict)
    requests: int = 0
    counted: int = 0
    not_modified: int = 0
    rate_remaining: int | None = None
    errors: list = field(default_factory=list)
    seconds: float = 0.0
    fatal: Exception | None = None

    @property
    def exit_code(self):
        """0 ok; 1 some sources failed; 3 token rejected; 4 rate limit spent."""
        if self.fatal is not None:
            return getattr(self.fatal, "exit_code", 1)
        return 1 if self.errors else 0

    def line(self):
        c = self.counts
        rate = "?" if self.rate_remaining is None else self.rate_remaining
        return (
            f"{self.status}: {self.repos} repos, {c.get('releases', 0)} releases, "
            f"{c.get('issues', 0)} issues/PRs, {c.get('comments', 0)} comments, "
            f"{c.get('feed_entries', 0)} feed entries; {self.requests} requests "
            f"({self.counted} counted, {self.not_modified} not modified), "
            f"rate limit left {rate}, {len(self.errors)} errors, {self.seconds:.1f}s"
        )


class Progress:
    """Plain log lines when not a terminal; one updating status line on a TTY."""

    def __init__(self, stream=None, quiet=False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self._lock = threading.Lock()

    def log(self, message):
        if self.quiet:
            return
        with self._lock:
            prefix = "\r\033[K" if self.tty else ""
            self.stream.write(f"{prefix}{message}\n")
            self.stream.flush()

    def clear(self):
        """Remove a pending status line, so the summary starts on a clean line."""
        if self.tty and not self.quiet:
            with self._lock:
                self.stream.write("\r\033[K")
                self.stream.flush()

    def status(self, message):
        if self.quiet:
            return
        if self.tty:
            with self._lock:
                self.stream.write(f"\r\033[K{message[:120]}")
                self.stream.flush()
        else:
            self.log(message)


SAVERS = {
    "releases": save.save_releases,
    "issues": save.save_issues,
    "pulls": save.save_pulls,
    "comments": save.save_comments,
    "commits": save.save_commits,
    "contributors": save.save_contributors,
    "pull_fields": changes.save_pull_fields,  # search-detected PR changes (changes.py)
}


def run_harvest(db_path, config, *, repos=(), only=None, wait=False, max_wait=900,
                concurrency=4, digest=True, quiet=False, client=None, feed_client=None,
                environ=None, progress=None, search=False):
    """Harvest everything the watchlist names; returns a Summary."""
    progress = progress or Progress(quiet=quiet)
    started = time.monotonic()
    with db_lock(db_path, wait):
        db = open_db(db_path)
        db.execute("update harvest_runs set status = 'interrupted' where status = 'running'")
        now = utcnow()
        run_id = db["harvest_runs"].insert(
            {"started_at": now, "source": only or "all", "status": "running"}, pk="id"
        ).last_pk
        db.conn.commit()
        summary = Summary()
        own_client = client is None
        if own_client:
            client = GitHubClient.from_env(environ, max_wait=max_wait, log=progress.log)
        try:
            if only != "feeds":
                if not client.authenticated:
                    progress.log("No GITHUB_TOKEN: unauthenticated, 60 requests/hour")
                _harvest_github(db, client, config, repos, concurrency, now, summary, progress,
                                search)
            if only != "github" and config.feeds and not repos:
                _harvest_feeds(db, config, feed_client, summary, progress)
        finally:
            stats = client.stats
            summary.requests += stats.requests
            summary.counted += stats.counted
            summary.not_modified += stats.not_modified
            summary.rate_remaining = stats.rate_remaining
            if own_client:
                client.close()
            summary.seconds = time.monotonic() - started
            _finish_run(db, run_id, summary)
        if digest and summary.status != "failed":
            _rebuild_digests(db, progress)
        progress.clear()
        return summary


def _harvest_github(db, client, config, only_repos, concurrency, now, summary, progress,
                    search=False):
    state = load_states(db)
    ops_of = repo_ops
    try:
        targets, errors = resolve_repos(client, db, config, state, now,
                                        only=only_repos, log=progress.log)
        if search:  # change detection: which streams each repo still needs (changes.py)
            ops_of = changes.plan_run(client, db, targets, state, log=progress.log).repo_ops
    except (AuthError, RateLimitExhausted) as e:
        summary.status = "failed" if isinstance(e, AuthError) else "partial"
        summary.errors.append(str(e))
        summary.fatal = e
        return
    summary.errors += errors
    for message in errors:
        progress.log(f"error: {message}")
    summary.repos = len(targets)
    # Bounded: a page of pulls parses to megabytes; workers wait for the writer.
    ops = queue.Queue(maxsize=2 * concurrency)
    stop = threading.Event()

    def work(repo):
        try:
            for op in ops_of(client, repo, state, stop):
                ops.put(op)
        except (AuthError, RateLimitExhausted) as e:
            stop.set()
            ops.put(("fatal", e))
        except GitHubError as e:
            ops.put(("error", f"{repo['full_name']}: {e}"))
        except Exception as e:  # a bug must not lose the other repos' work
            ops.put(("error", f"{repo['full_name']}: {type(e).__name__}: {e}"))
        finally:
            ops.put(("done", repo["full_name"]))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for repo in targets:
            pool.submit(work, repo)
        done = 0
        while done < len(targets):
            op = ops.get()
            kind = op[0]
            if kind == "done":
                done += 1
                progress.status(f"[{done}/{len(targets)}] {op[1]}")
            elif kind == "fatal":
                if not any(str(op[1]) == e for e in summary.errors):
                    summary.errors.append(str(op[1]))
                    progress.log(f"stopping: {op[1]}")
                summary.status = "failed" if isinstance(op[1], AuthError) else "partial"
                summary.fatal = op[1]
            elif kind == "error":
                summary.errors.append(op[1])
                progress.log(f"error: {op[1]}")
            elif kind == "missing":
                with db.conn:
                    save.mark_repo_missing(db, op[1], now)
                progress.log(f"{op[1]}: not found (404); stored rows kept")
            elif kind == "state":
                with db.conn:
                    save_state(db, op[1], **op[2], updated_at=now)
            else:
                with db.conn:
                    n = SAVERS[kind](db, op[2], op[1], config.bots)
                summary.counts[kind] = summary.counts.get(kind, 0) + n
    if summary.errors and summary.status == "ok":
        summary.status = "partial"


def _harvest_feeds(db, config, feed_client, summary, progress):
    from .feeds import harvest_feeds

    own = feed_client is None
    if own:
        feed_client = httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0),
                                   headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    try:
        result = harvest_feeds(db, feed_client, config.feeds, log=progress.log)
    finally:
        if own:
            feed_client.close()
    summary.counts["feed_entries"] = result.entries_new + result.entries_updated
    summary.requests += result.requests
    summary.not_modified += result.not_modified
    summary.errors += result.errors
    if result.errors and summary.status == "ok":
        summary.status = "partial"


def _finish_run(db, run_id, summary):
    c = summary.counts
    db["harvest_runs"].update(run_id, {
        "finished_at": utcnow(), "status": summary.status,
        "requests": summary.requests, "counted_requests": summary.counted,
        "not_modified": summary.not_modified,
        "rate_limit_remaining": summary.rate_remaining, "repos": summary.repos,
        "releases": c.get("releases", 0), "issues": c.get("issues", 0),
        "comments": c.get("comments", 0), "feed_entries": c.get("feed_entries", 0),
        "errors": len(summary.errors), "error_log": json.dumps(summary.errors),
    })
    db.conn.commit()


def _rebuild_digests(db, progress):
    try:
        from ..digest import build_digests
    except ImportError:
        return
    weeks = build_digests(db)
    progress.log(f"digest rebuilt: {', '.join(weeks)}")
