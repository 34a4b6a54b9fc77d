"""The writer's side of a harvest: one op table, applied by the one writer thread.

Workers yield ops (see ``streams.repo_ops``); ``apply`` looks the kind up in
``WRITERS`` and runs its handler with the run's connection, committing per op.
An exception in a handler is recorded as that repo/stream's error and the
stream is marked broken, so its state (ETag, watermark, checkpoint) does not
advance and the next run fetches the lost page again. Nothing here raises.
"""

import threading
import traceback

from ..db import save_state
from ..github import GitHubError
from . import save
from .changes import save_pull_fields
from .history_save import WRITERS as HISTORY_WRITERS
from .reconcile import save_reconciled

SAVERS = {
    "releases": save.save_releases,
    "issues": save.save_issues,
    "pulls": save.save_pulls,
    "comments": save.save_comments,
    "commits": save.save_commits,
    "contributors": save.save_contributors,
    "reconciled": save_reconciled,
    "pull_fields": save_pull_fields,  # search-detected PR changes (changes.py)
}


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
                self.progress.log(detail.rstrip(), oneline=False)
        self.stop.set()

    def error(self, message, **where):
        error = self.summary.error(message, **where)  # a RunError is kept as it is
        self.progress.log(f"error: {error}")
        if self.debug and error.detail:
            self.progress.log(error.detail.rstrip(), oneline=False)


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
    reason = op[2] if len(op) > 2 else None
    with run.db.conn:
        first = save.mark_repo_missing(run.db, op[1], run.now, reason)
    if first:  # warned once, the run it happens; no error: it will not change by asking
        run.progress.log(f"warning: repo {op[1]}: GitHub answered {reason or '404 Not Found'}; "
                         "marked missing, stored rows kept")


def _on_note(run, op):
    run.progress.log(op[1])


WRITERS = {"state": _on_state, "error": _on_error, "permanent": _on_permanent,
           "missing": _on_missing, "note": _on_note,
           **{stream: _on_rows for stream in SAVERS}, **HISTORY_WRITERS}


def apply(run, op):
    try:
        WRITERS[op[0]](run, op)
    except Exception as e:  # one bad page must not stop the writer (and wedge the workers)
        rid = op[1] if op[0] in SAVERS or op[0] == "history" else None
        if rid is not None:
            # A history page's stream is its third field (history_save.py).
            run.broken.add((rid, op[2] if op[0] == "history" else op[0]))
        name = run.names.get(rid, str(rid))
        run.error(f"{name} {op[0]}: cannot save a page: {type(e).__name__}: {e}",
                  target=name, stream=op[0], detail=traceback.format_exc())


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
