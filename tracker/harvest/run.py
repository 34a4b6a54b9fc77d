"""One harvest run: lock, GitHub (plan, then pump), feeds, sources, digest, summary.

The GitHub part is planned (``plan.py``: discovery, the watchlist, change
detection, reconciliation → jobs) and then pumped (``pump.py``: workers fetch
and yield typed ops, ``ops.py``; the calling thread is the one writer,
``writer.py``). One stop event (``signals.StopEvent``) drives it. A page that
cannot be saved is a recorded error and the states that depend on it are not
written, so the next run fetches it again. ``outcome.conclude`` turns how the
run ended into status + exit code; ``_finish_run`` records both.
(docs/design/pipeline.md)
"""

import fcntl
import json
import os
import sqlite3
import threading
import time
import traceback
from contextlib import contextmanager
from datetime import datetime, timezone

import httpx
import sqlite_utils

from ..auth import watched_owners
from ..github import USER_AGENT, GitHubClient, Stopped
from ..pacer import DEFAULT_RATE
from ..storage import StorageError, check_parent, is_storage_error, open_for_writing, storage_error
from .outcome import SIGNAL_NAMES, Summary, conclude
from .plan import plan_github
from .progress import Progress
from .pump import FATAL, POLL, SIGNAL_GRACE, in_background, pump
from .signals import StopEvent
from .writer import Run

__all__ = ["HarvestError", "Interrupted", "LockedError", "Progress", "Summary", "db_lock",
           "run_harvest"]

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
    check_parent(db_path)
    try:
        handle = open(path, "a")  # never "w": a second run would truncate the reserve
    except OSError as e:  # a read-only mount or another user's directory
        raise storage_error(e, path) from None
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
        try:
            os.posix_fallocate(handle.fileno(), 0, RESERVE)
        except OSError:
            pass  # already full: the run will say so, perhaps without a record
        yield handle
    finally:
        release_reserve(handle)
        handle.close()


# Bytes held in the lock file during a run and freed when the disk fills, so that the
# run can still be recorded (status, errors) beside the rows it kept (#19).
RESERVE = 256 * 1024


def release_reserve(handle):
    try:
        os.ftruncate(handle.fileno(), 0)
    except (OSError, ValueError):
        pass


def run_harvest(db_path, config, *, repos=(), only=None, wait=False, max_wait=900,
                concurrency=4, digest=True, quiet=False, client=None, feed_client=None,
                environ=None, progress=None, stop=None, debug=False, max_rate=None,
                exact=False, now=None, source_client=None, sources_now=None,
                sources_pacing=None):
    """Harvest everything the watchlist names; returns a Summary (never raises for
    GitHub or feed failures: they are in ``summary.errors`` / ``summary.fatal``).

    ``stop``: a StopEvent; set it (a signal handler does) to end the run cleanly,
    recorded ``interrupted``. ``max_rate``: GitHub requests per minute (None: the
    config's ``github.max_rate``, else 720; 0: unpaced). ``exact``: walk every
    stream of every watched repo instead of detecting changed issues/PRs with
    /search/issues first (tracker/harvest/changes.py, the default). ``now``: the
    run's UTC stamp (default: the clock), for tests. Calendars,
    papers and Discourse (#23, tracker/sources/) run whatever GitHub answered:
    ``source_client`` (httpx), ``sources_now`` (the calendars' window) and
    ``sources_pacing`` are for tests and the demo. Raises LockedError when
    another run holds the lock.
    """
    progress = progress or Progress(quiet=quiet)
    started = time.monotonic()
    if stop is None:
        # A client built by the caller may carry the caller's stop event.
        stop = getattr(client, "stop", None) or StopEvent()
    with db_lock(db_path, wait, stop) as lock:
        db = open_for_writing(db_path)  # StorageError: one line, nothing recorded (cannot be)
        now = now or utcnow()
        try:
            with db.conn:
                db.execute("update harvest_runs set status = 'interrupted' "
                           "where status = 'running'")
                run_id = db["harvest_runs"].insert(
                    # "repos": a --repo run, complete for no source (tracker status)
                    {"started_at": now, "source": "repos" if repos else (only or "all"),
                     "status": "running"}, pk="id"
                ).last_pk
        except (OSError, sqlite3.Error) as e:
            if is_storage_error(e):
                raise storage_error(e, db_path) from None
            raise
        summary = Summary()
        own_client = client is None
        if own_client:
            rate = next((r for r in (max_rate, config.max_rate) if r is not None), DEFAULT_RATE)
            client = GitHubClient.from_env(environ, owners=watched_owners(config),
                                           max_wait=max_wait, log=progress.log, stop=stop,
                                           max_rate=rate)
        client.stop = client.pacer.stop = stop
        # Which kind of credentials (never the secret), for `tracker status`; a
        # feeds-only run sends none to GitHub.
        db["harvest_runs"].update(run_id, {
            "credentials": "none" if only in ("feeds", "sources", "packages") else client.credentials.kind})
        db.conn.commit()
        run = Run(db, db_path, config, client, summary, progress, stop, now, debug)
        try:
            if only not in ("feeds", "sources", "packages"):
                if not client.authenticated:
                    progress.log("No GITHUB_TOKEN: unauthenticated, 60 requests/hour")
                _harvest_github(run, repos, concurrency, exact)
        except Stopped:
            pass
        except FATAL as e:
            run.fatal(e)
        except Exception as e:  # a bug: record it, print one line (traceback with --debug)
            if is_storage_error(e):  # the disk, not a bug: one line that says what to do
                run.fatal(storage_error(e, db_path))
            else:
                run.fatal(e, detail=traceback.format_exc())
        finally:
            # Feeds, calendars, papers, Discourse and packages owe nothing to GitHub's answers
            # or its budget (#19): harvested whatever GitHub said, unless a signal stopped the
            # run or the disk refuses; a --repo run is about those repos only.
            others = not repos and not isinstance(summary.fatal, StorageError)
            if others and only not in ("github", "sources", "packages") and config.feeds \
                    and getattr(stop, "signum", None) is None:
                _harvest_feeds_anyway(run, feed_client)
            if others and only in (None, "sources"):
                _harvest_sources(run, source_client, sources_now, sources_pacing, environ)
            if others and only in (None, "packages"):
                _harvest_packages(run, source_client, sources_now, sources_pacing, environ)
            stats = client.stats
            summary.requests += stats.requests
            summary.counted += stats.counted
            summary.not_modified += stats.not_modified
            summary.search = stats.search
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
            _record_run(db, db_path, run_id, summary, stats, lock)
        if digest and summary.status in ("ok", "partial"):
            try:
                _rebuild_digests(db, progress, getattr(config, "digest", None))
            except Exception as e:  # the harvest is recorded; a digest bug must not hide it
                progress.log(f"error: digest not rebuilt: {type(e).__name__}: {e}")
        progress.clear()
        return summary


# -- GitHub ----------------------------------------------------------------------

def _harvest_github(run, only_repos, concurrency, exact=False):
    """Plan (what to fetch), then pump (fetch → write); see plan.py and pump.py."""
    jobs = plan_github(run, only_repos, exact)
    if jobs:
        pump(run, jobs, concurrency)
    repeated = run.client.pacer.repeated()  # GitHub warns clients that keep tripping its limits
    if repeated:
        run.error(repeated)


# -- feeds -----------------------------------------------------------------------

def _harvest_feeds_anyway(run, feed_client):
    """The feeds, even after GitHub stopped the run (rate limit, bad token): their own
    errors are recorded as the feeds', a full disk stops the run."""
    try:
        _harvest_feeds(run, feed_client)
    except Stopped:
        pass
    except Exception as e:
        if is_storage_error(e):
            run.fatal(storage_error(e, run.db_path))
        else:
            run.error(f"feeds: {type(e).__name__}: {e}", source="feeds",
                      detail=traceback.format_exc())


def _harvest_feeds(run, feed_client):
    from .feeds import harvest_feeds

    own = feed_client is None
    if own:
        feed_client = httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0),
                                   headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    try:
        result = in_background(run, lambda db: harvest_feeds(
            db, feed_client, run.config.feeds, log=run.progress.log),
            stopped=lambda: getattr(run.stop, "signum", None) is not None)
    finally:
        if own and getattr(run.stop, "signum", None) is None:
            feed_client.close()
    summary = run.summary
    summary.counts["feed_entries"] = result.entries_new + result.entries_updated
    summary.requests += result.requests
    summary.not_modified += result.not_modified
    for error in result.errors:  # RunErrors naming their feed (already logged)
        summary.error(error)


def _harvest_sources(run, client, now, pacing, environ):
    """#23: calendars, papers, Discourse; each target's failure is one recorded error."""
    from ..sources.run import configured, harvest_sources, sleep_unless
    from ..sources.http import Pacing

    if not configured(run.config) or getattr(run.stop, "signum", None) is not None:
        return
    own = client is None
    if own:
        client = httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0),
                              headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    signalled = lambda: getattr(run.stop, "signum", None) is not None  # noqa: E731
    box = {}

    def target():  # its own connection; the run's stop (set by a fatal GitHub error) is ignored
        db = sqlite_utils.Database(run.db_path)
        db.conn.execute("pragma busy_timeout=5000")
        try:
            box["result"] = harvest_sources(
                db, run.config, client, now=now, environ=environ, log=run.progress.log,
                pacing=pacing or Pacing(sleep=sleep_unless(run.stop)), stopped=signalled)
        except BaseException as e:  # handed to the caller
            box["error"] = e
        finally:
            db.conn.close()

    thread = threading.Thread(target=target, daemon=True, name="harvest-sources")
    thread.start()
    signalled_at = None
    while thread.is_alive():
        thread.join(POLL)
        if signalled():  # a signal: wait briefly for the target in hand, then leave it
            signalled_at = signalled_at or time.monotonic()
            if time.monotonic() - signalled_at > SIGNAL_GRACE:
                return
    if own:
        client.close()
    if "error" in box:  # a bug in a source module must not hide the run's record
        e = box["error"]
        run.summary.error(f"sources: {type(e).__name__}: {e}", source="sources")
        return
    result = box["result"]
    for problem in result.problems:
        run.summary.error(problem.message, source=problem.source, target=problem.target,
                          status=problem.http_status)
    for name, n in result.counts.items():
        run.summary.counts[name] = n
    run.summary.requests += result.requests
    run.summary.not_modified += result.not_modified
    run.summary.counts["source_requests"] = result.requests
    run.summary.counts["source_not_modified"] = result.not_modified
    run.progress.log("sources: " + ", ".join(
        f"{name} {c.requests} requests, {c.bytes} bytes" for name, c in result.costs.items()))


def _harvest_packages(run, client, now, pacing, environ):
    """#22: PyPI, npm, conda-forge (tracker/registries/); each package's failure is one
    recorded error. Runs in the calling thread: every request is paced and timed out,
    and a signal stops it between packages."""
    from ..registries.run import configured, harvest_packages, registry_pacing
    from ..sources.run import sleep_unless

    if not configured(run.config) or getattr(run.stop, "signum", None) is not None:
        return
    xmlrpc_pacing = pacing
    if pacing is None:  # a fatal GitHub error does not stop the registries; a signal does
        pacing, xmlrpc_pacing = registry_pacing(run.config.packages.rate,
                                                sleep=sleep_unless(run.stop))
    own = client is None
    if own:
        client = httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0),
                              headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    try:
        result = harvest_packages(
            run.db, run.config, client, now=now, pacing=pacing, xmlrpc_pacing=xmlrpc_pacing,
            environ=environ, log=run.progress.log,
            stopped=lambda: getattr(run.stop, "signum", None) is not None)
    except Exception as e:  # a bug in a registry module must not hide the run's record
        run.summary.error(f"packages: {type(e).__name__}: {e}", source="packages")
        return
    finally:
        if own:
            client.close()
    for problem in result.problems:
        run.summary.error(problem.message, source=problem.registry, target=problem.target,
                          status=problem.http_status)
    run.summary.counts["package_releases"] = result.counts.get("package_releases", 0)
    run.summary.counts["package_requests"] = result.requests
    run.summary.counts["package_not_modified"] = result.not_modified
    run.summary.requests += result.requests
    run.summary.not_modified += result.not_modified
    run.progress.log("packages: " + ", ".join(
        f"{name} {c.requests} requests ({c.not_modified} not modified)"
        for name, c in result.costs.items()))


def _record_run(db, db_path, run_id, summary, stats, lock):
    """_finish_run; when the storage refuses it (disk full), free the reserve held in the
    lock file and try again, then the least that keeps the record true."""
    for attempt in range(2):
        try:
            _finish_run(db, run_id, summary, stats)
            return
        except (OSError, sqlite3.Error) as e:
            if not is_storage_error(e):
                raise
            db.conn.rollback()
            release_reserve(lock)
            # A checkpoint would spend the freed space growing the database file.
            db.conn.execute("pragma wal_autocheckpoint=0")
            if not isinstance(summary.fatal, StorageError):
                error = storage_error(e, db_path)
                summary.fatal, summary.fatal_message = error, str(error)
                summary.error(str(error), source="storage", target=str(db_path))
                conclude(summary)
    try:
        with db.conn:
            db.execute("update harvest_runs set finished_at = ?, status = ?, exit_code = ?, "
                       "errors = ? where id = ?", [utcnow(), summary.status, summary.exit_code,
                                                   len(summary.errors), run_id])
    except (OSError, sqlite3.Error) as e:
        if not is_storage_error(e):
            raise
        db.conn.rollback()
        summary.unrecorded = True  # said on the summary line; the next run marks it interrupted


def _finish_run(db, run_id, summary, stats=None):
    c = summary.counts
    reset = getattr(stats, "rate_reset", None)
    db["harvest_runs"].update(run_id, {
        "finished_at": utcnow(), "status": summary.status,
        "requests": summary.requests, "counted_requests": summary.counted,
        "not_modified": summary.not_modified, "search_requests": summary.search,
        "rate_limit_remaining": summary.rate_remaining, "repos": summary.repos,
        "rate_limit_reset": (datetime.fromtimestamp(reset, timezone.utc)
                             .strftime("%Y-%m-%dT%H:%M:%SZ") if reset else None),
        "releases": c.get("releases", 0), "issues": c.get("issues", 0),
        "comments": c.get("comments", 0), "feed_entries": c.get("feed_entries", 0),
        "errors": len(summary.errors),
        "error_log": json.dumps([e.message for e in summary.errors]),
        "exit_code": summary.exit_code,
    })
    at = utcnow()
    db["harvest_errors"].insert_all(
        [{"run": run_id, "source": e.source, "target": e.target, "stream": e.stream,
          "http_status": e.status, "message": e.message, "at": at} for e in summary.errors])
    db.conn.commit()


def _rebuild_digests(db, progress, settings=None):
    from ..digest import build_digests

    weeks = build_digests(db, settings=settings)
    if len(weeks) > 4:  # a first harvest fills every week since the oldest data
        progress.log(f"digest rebuilt: {len(weeks)} weeks ({weeks[0]} … {weeks[-1]})")
    elif weeks:
        progress.log(f"digest rebuilt: {', '.join(weeks)}")
