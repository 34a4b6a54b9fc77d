"""One harvest run: lock, GitHub (workers + one writer), feeds, digest, summary.

The GitHub part is a small pipeline: daemon worker threads walk repositories
(``streams.repo_ops``) and put ops on a bounded queue; the calling thread is
the one writer, applying ops through ``WRITERS`` and committing per page. One
stop event (``signals.StopEvent``) drives it: every put/get has a timeout and
checks it, the client's sleeps wait on it. An exception while applying one op
becomes a recorded error for that repo/stream; the stream's state is then not
advanced, so the next run fetches that page again. ``outcome.conclude`` turns
how the run ended into status + exit code; ``_finish_run`` records both.
"""

import fcntl
import json
import os
import queue
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx
import sqlite_utils

from ..db import load_states, open_db, save_state
from ..github import (USER_AGENT, AuthError, GitHubClient, GitHubError, RateLimitExhausted,
                      Stopped, Unreachable)
from . import save
from .outcome import SIGNAL_NAMES, RunError, conclude
from .repos import resolve_repos
from .signals import StopEvent
from .streams import repo_ops

FATAL = (AuthError, RateLimitExhausted, Unreachable)
# After a stop, how long the writer waits for pages already in flight before
# recording the run without them: longer after a rate-limit stop (each page
# landed is one the next run need not fetch), short after a signal.
GRACE = 3.0
SIGNAL_GRACE = 1.0
POLL = 0.2

class HarvestError(Exception):
    exit_code = 1


class LockedError(HarvestError):
    exit_code = 75


def utcnow():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Interrupted(HarvestError):
    """Stopped by a signal before the run began (while waiting for the lock)."""

    def __init__(self, message, signum):
        super().__init__(message)
        self.exit_code = 128 + int(signum)


@contextmanager
def db_lock(db_path, wait=False, stop=None):
    """Hold an exclusive lock beside the database for the whole run.

    With ``wait``, poll for it; a stop event set meanwhile (a signal) raises
    Interrupted instead of blocking in flock where no signal can end the wait."""
    path = f"{os.path.abspath(db_path)}.lock"
    handle = open(path, "w")
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise LockedError(
                        f"another harvest is running on {db_path}; "
                        "try again later or pass --wait"
                    ) from None
                if stop is not None and stop.wait(0.5):
                    raise Interrupted("interrupted while waiting for another harvest to finish",
                                      getattr(stop, "signum", None) or 2) from None
                if stop is None:
                    time.sleep(0.5)
        yield
    finally:
        handle.close()


@dataclass
class Summary:
    status: str = "running"
    exit_code: int = 0
    repos: int = 0
    counts: dict = field(default_factory=dict)
    requests: int = 0
    counted: int = 0
    not_modified: int = 0
    rate_remaining: int | None = None
    errors: list = field(default_factory=list)  # RunError (str with .target, .stream, ...)
    seconds: float = 0.0
    fatal: Exception | None = None
    signal: str | None = None
    permanent: int = 0
    fatal_message: str | None = None

    def error(self, message, **where):
        error = message if isinstance(message, RunError) else RunError(str(message), **where)
        self.errors.append(error)
        return error

    def line(self):
        c = self.counts
        rate = "?" if self.rate_remaining is None else self.rate_remaining
        status = f"{self.status} ({self.signal})" if self.signal else self.status
        return (
            f"{status}: {self.repos} repos, {c.get('releases', 0)} releases, "
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
}


def run_harvest(db_path, config, *, repos=(), only=None, wait=False, max_wait=900,
                concurrency=4, digest=True, quiet=False, client=None, feed_client=None,
                environ=None, progress=None, stop=None, debug=False):
    """Harvest everything the watchlist names; returns a Summary (never raises for
    GitHub or feed failures: they are in ``summary.errors`` / ``summary.fatal``).

    ``stop``: a StopEvent; set it (a signal handler does) to end the run cleanly,
    recorded ``interrupted``. Raises LockedError when another run holds the lock.
    """
    progress = progress or Progress(quiet=quiet)
    started = time.monotonic()
    if stop is None:
        # A client built by the caller may carry the caller's stop event.
        stop = getattr(client, "stop", None) or StopEvent()
    with db_lock(db_path, wait, stop):
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
            client = GitHubClient.from_env(environ, max_wait=max_wait, log=progress.log, stop=stop)
        client.stop = stop
        run = Run(db, db_path, config, client, summary, progress, stop, now, debug)
        try:
            if only != "feeds":
                if not client.authenticated:
                    progress.log("No GITHUB_TOKEN: unauthenticated, 60 requests/hour")
                _harvest_github(run, repos, concurrency)
            if only != "github" and config.feeds and not repos and not stop.is_set():
                _harvest_feeds(run, feed_client)
        except Stopped:
            pass
        except FATAL as e:
            run.fatal(e)
        except Exception as e:  # a bug: record it, print one line (traceback with --debug)
            run.fatal(e, detail=traceback.format_exc())
        finally:
            stats = client.stats
            summary.requests += stats.requests
            summary.counted += stats.counted
            summary.not_modified += stats.not_modified
            summary.rate_remaining = stats.rate_remaining
            # Workers may still be blocked in a slow request: closing the pool
            # under them could wait for it, and the process is about to exit.
            if own_client and not stop.is_set():
                client.close()
            summary.seconds = time.monotonic() - started
            signum = getattr(stop, "signum", None)
            if signum is not None:
                summary.signal = SIGNAL_NAMES.get(signum, f"signal {signum}")
            conclude(summary, signum)
            _finish_run(db, run_id, summary, stats)
        if digest and summary.status in ("ok", "partial"):
            try:
                _rebuild_digests(db, progress)
            except Exception as e:  # the harvest is recorded; a digest bug must not hide it
                progress.log(f"error: digest not rebuilt: {type(e).__name__}: {e}")
        progress.clear()
        return summary


class Run:
    """What the writer needs while a run goes on; the writer thread alone uses ``db``."""

    def __init__(self, db, db_path, config, client, summary, progress, stop, now, debug):
        self.db, self.db_path, self.config, self.client = db, db_path, config, client
        self.summary, self.progress, self.stop, self.now = summary, progress, stop, now
        self.debug = debug
        self.names = {}  # repo id -> full_name
        self.broken = set()  # (repo id, stream) whose state must not advance
        self._lock = threading.Lock()

    def fatal(self, error, detail=None):
        """First fatal error wins; it stops the whole run."""
        with self._lock:
            first = self.summary.fatal is None
            if first:
                self.summary.fatal = error
        if first:
            message = str(error) if isinstance(error, GitHubError) else (
                f"{type(error).__name__}: {error}")
            self.summary.error(message, http_status=getattr(error, "status", None),
                               detail=detail)
            self.summary.fatal_message = message
            self.progress.log(f"stopping: {message}")
            if self.debug and detail:
                self.progress.log(detail.rstrip())
        self.stop.set()

    def error(self, message, **where):
        error = self.summary.error(message, **where)  # a RunError is kept as it is
        self.progress.log(f"error: {error}")
        if self.debug and error.detail:
            self.progress.log(error.detail.rstrip())


# -- the writer's op table: ("kind", ...) -> handler(run, op) ------------------

def _on_rows(run, op):
    stream, rid, items = op
    with run.db.conn:
        n = SAVERS[stream](run.db, items, rid, run.config.bots)
    run.summary.counts[stream] = run.summary.counts.get(stream, 0) + n


def _on_state(run, op):
    _, key, fields = op
    parts = key.split(":")
    if len(parts) == 3 and ((_int(parts[1]), parts[2]) in run.broken or (
            parts[2] == "quiet" and any(rid == _int(parts[1]) for rid, _ in run.broken))):
        return  # a page of this stream was not saved: fetch it again next run
    with run.db.conn:
        save_state(run.db, key, **fields, updated_at=run.now)


def _on_error(run, op):
    _, full_name, stream, error = op
    run.error(f"{full_name}{' ' + stream if stream else ''}: {error}", target=full_name,
              stream=stream, http_status=getattr(error, "status", None),
              detail=getattr(error, "detail", None))


def _on_permanent(run, op):
    _, full_name, stream, key, message = op
    run.summary.permanent += 1
    run.progress.log(f"{full_name} {stream}: {message} (recorded; skipped from now on)")
    with run.db.conn:
        save_state(run.db, key, permanent=message, updated_at=run.now)


def _on_missing(run, op):
    with run.db.conn:
        save.mark_repo_missing(run.db, op[1], run.now)
    run.progress.log(f"{op[1]}: not found (404); stored rows kept")


def _on_note(run, op):
    run.progress.log(op[1])


WRITERS = {"state": _on_state, "error": _on_error, "permanent": _on_permanent,
           "missing": _on_missing, "note": _on_note,
           **{stream: _on_rows for stream in SAVERS}}


def _apply(run, op):
    try:
        WRITERS[op[0]](run, op)
    except Exception as e:  # one bad page must not stop the writer (and wedge the workers)
        rid = op[1] if op[0] in SAVERS else None
        if rid is not None:
            run.broken.add((rid, op[0]))
        name = run.names.get(rid, str(rid))
        run.error(f"{name} {op[0]}: cannot save a page: {type(e).__name__}: {e}",
                  target=name, stream=op[0], detail=traceback.format_exc())


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


# -- GitHub ----------------------------------------------------------------------

def _harvest_github(run, only_repos, concurrency):
    state = load_states(run.db)
    targets, errors = _in_background(run, lambda db: resolve_repos(
        run.client, db, run.config, state, run.now, only=only_repos, log=run.progress.log))
    for error in errors:
        run.error(error)  # RunErrors from repos.py keep their target and traceback
    run.summary.repos = len(targets)
    if run.stop.is_set():
        return
    state = load_states(run.db)  # listings just saved repo states too
    run.names = {repo["id"]: repo["full_name"] for repo in targets}
    # Bounded: a page of pulls parses to megabytes; workers wait for the writer.
    ops = queue.Queue(maxsize=2 * concurrency)
    todo = queue.SimpleQueue()
    for repo in targets:
        todo.put(repo)
    stop = run.stop

    def put(op):
        while True:
            try:
                ops.put(op, timeout=POLL)
                return True
            except queue.Full:
                if stop.is_set():
                    return False

    def work(repo):
        full = repo["full_name"]
        try:
            for op in repo_ops(run.client, repo, state, stop):
                if not put(op):
                    return
        except Stopped:
            return
        except FATAL as e:
            run.fatal(e)
            return
        except GitHubError as e:
            put(("error", full, None, e))
        except Exception as e:  # a bug must not lose the other repos' work
            error = RuntimeError(f"{type(e).__name__}: {e}")
            error.detail = traceback.format_exc()
            put(("error", full, None, error))
        put(("done", full))

    def worker():
        while not stop.is_set():
            try:
                repo = todo.get_nowait()
            except queue.Empty:
                return
            work(repo)

    # Daemon threads, not a pool: a worker stuck in a slow request must not
    # keep a stopped process alive.
    threads = [threading.Thread(target=worker, daemon=True, name=f"harvest-{i}")
               for i in range(min(concurrency, len(targets)))]
    for thread in threads:
        thread.start()
    done, stopped_at = 0, None
    while True:
        try:
            op = ops.get(timeout=POLL)
        except queue.Empty:
            if not any(t.is_alive() for t in threads):
                break  # every worker has exited after its last put: all applied
            if stop.is_set():
                # Let pages already in flight land (they save work for the next
                # run), but never wait on a slow answer for long.
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at > _grace(stop):
                    break
            continue
        if op[0] == "done":
            done += 1
            run.progress.status(f"[{done}/{len(targets)}] {op[1]}")
        else:
            _apply(run, op)


def _grace(stop):
    return SIGNAL_GRACE if getattr(stop, "signum", None) is not None else GRACE


def _in_background(run, fn):
    """Run fn(db) in a daemon thread with its own connection; the caller stays
    responsive to the stop event even while fn waits on a slow answer.

    Returns fn's result or raises its exception; raises Stopped when the run
    was stopped and fn did not finish within GRACE seconds.
    """
    box = {}

    def target():
        db = sqlite_utils.Database(run.db_path)
        db.conn.execute("pragma busy_timeout=5000")
        try:
            box["result"] = fn(db)
        except BaseException as e:  # handed to the caller
            box["error"] = e
        finally:
            db.conn.close()

    thread = threading.Thread(target=target, daemon=True, name="harvest-listing")
    thread.start()
    stopped_at = None
    while thread.is_alive():
        thread.join(POLL)
        if run.stop.is_set():
            stopped_at = stopped_at or time.monotonic()
            if time.monotonic() - stopped_at > _grace(run.stop):
                raise Stopped()
    if "error" in box:
        raise box["error"]
    return box["result"]


# -- feeds -----------------------------------------------------------------------

def _harvest_feeds(run, feed_client):
    from .feeds import harvest_feeds

    own = feed_client is None
    if own:
        feed_client = httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0),
                                   headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    try:
        result = _in_background(run, lambda db: harvest_feeds(
            db, feed_client, run.config.feeds, log=run.progress.log))
    finally:
        if own and not run.stop.is_set():
            feed_client.close()
    summary = run.summary
    summary.counts["feed_entries"] = result.entries_new + result.entries_updated
    summary.requests += result.requests
    summary.not_modified += result.not_modified
    for message in result.errors:
        url = message.split(": ", 1)[0] if ": " in message else None
        summary.error(message, source="feeds", target=url)


def _finish_run(db, run_id, summary, stats=None):
    c = summary.counts
    reset = getattr(stats, "rate_reset", None)
    db["harvest_runs"].update(run_id, {
        "finished_at": utcnow(), "status": summary.status,
        "requests": summary.requests, "counted_requests": summary.counted,
        "not_modified": summary.not_modified,
        "rate_limit_remaining": summary.rate_remaining, "repos": summary.repos,
        "rate_limit_reset": (datetime.fromtimestamp(reset, timezone.utc)
                             .strftime("%Y-%m-%dT%H:%M:%SZ") if reset else None),
        "releases": c.get("releases", 0), "issues": c.get("issues", 0),
        "comments": c.get("comments", 0), "feed_entries": c.get("feed_entries", 0),
        "errors": len(summary.errors), "error_log": json.dumps(summary.errors),
        "exit_code": summary.exit_code,
    })
    at = utcnow()
    db["harvest_errors"].insert_all(
        [{"run": run_id, "source": e.source, "target": e.target, "stream": e.stream,
          "http_status": e.http_status, "message": str(e), "at": at}
         for e in summary.errors if isinstance(e, RunError)])
    db.conn.commit()


def _rebuild_digests(db, progress):
    try:
        from ..digest import build_digests
    except ImportError:
        return
    weeks = build_digests(db)
    progress.log(f"digest rebuilt: {', '.join(weeks)}")
