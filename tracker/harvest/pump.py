"""Pumping: run the planned jobs (fetch in workers → bounded queue → the one writer).

Daemon worker threads take jobs (``plan.Job``: a repository and its producers),
run each producer and put its ops (``ops.py``) on a bounded queue; the calling
thread is the one writer and applies them (``writer.apply``), one transaction
per op. One stop event drives it: every put/get has a timeout and checks it, and
the client's sleeps wait on it. After a stop, ops already in flight are still
applied for a short grace (each saved page is one the next run need not fetch).
"""

import queue
import threading
import time
import traceback

import sqlite_utils

from ..github import AuthError, GitHubError, RateLimitExhausted, Stopped, Unreachable
from .ops import Done, Failed
from .writer import apply

FATAL = (AuthError, RateLimitExhausted, Unreachable)
# After a stop, how long the writer waits for pages already in flight before
# recording the run without them: longer after a rate-limit stop (each page
# landed is one the next run need not fetch), short after a signal.
GRACE = 3.0
SIGNAL_GRACE = 1.0
POLL = 0.2


def pump(run, jobs, concurrency):
    """Fetch and write every job; returns when all are done or the run stopped."""
    state, stop = run.state, run.stop
    # Bounded: a page of pulls parses to megabytes; workers wait for the writer.
    ops = queue.Queue(maxsize=2 * concurrency)
    todo = queue.SimpleQueue()
    for job in jobs:
        todo.put(job)

    def put(op):
        while True:
            try:
                ops.put(op, timeout=POLL)
                return True
            except queue.Full:
                if stop.is_set():
                    return False

    def work(job):
        full, rid = job.repo["full_name"], job.repo["id"]
        try:
            for producer in job.producers:
                for op in producer(run.client, job.repo, state, stop):
                    if not put(op):
                        return
        except Stopped:
            return
        except FATAL as e:
            run.fatal(e)
            return
        except GitHubError as e:
            put(Failed(full, rid, None, e))
        except Exception as e:  # a bug must not lose the other repos' work
            error = RuntimeError(f"{type(e).__name__}: {e}")
            error.detail = traceback.format_exc()
            put(Failed(full, rid, None, error))
        put(Done(full))

    def worker():
        while not stop.is_set():
            try:
                job = todo.get_nowait()
            except queue.Empty:
                return
            work(job)

    # Daemon threads, not a pool: a worker stuck in a slow request must not
    # keep a stopped process alive.
    threads = [threading.Thread(target=worker, daemon=True, name=f"harvest-{i}")
               for i in range(min(concurrency, len(jobs)))]
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
                # Let pages already in flight land, but never wait on a slow answer for long.
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at > grace(stop):
                    break
            continue
        if isinstance(op, Done):
            done += 1
            run.progress.status(f"[{done}/{len(jobs)}] {op.repo_name}")
        else:
            apply(run, op)


def grace(stop):
    return SIGNAL_GRACE if getattr(stop, "signum", None) is not None else GRACE


def in_background(run, fn):
    """Run fn(db) in a daemon thread with its own connection; the caller stays
    responsive to the stop event even while fn waits on a slow answer.

    Returns fn's result or raises its exception; raises Stopped when the run
    was stopped and fn did not finish within the grace.
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
            if time.monotonic() - stopped_at > grace(run.stop):
                raise Stopped()
    if "error" in box:
        raise box["error"]
    return box["result"]
