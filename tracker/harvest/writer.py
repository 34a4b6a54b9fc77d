"""The writer's side of a harvest: ops (``ops.py``) applied by the one writer thread.

``apply`` looks an op's type up in ``WRITERS`` and runs its handler with the run's
connection, one transaction per op. A ``Rows`` op whose save raises is recorded as
that repo/stream's error and the stream joins ``Run.failed``, like a ``Failed`` or
``Gone`` op; a ``State`` op that needs a failed stream is dropped, so the stream's
ETag, watermark or checkpoint (or a repo's ``synced`` mark) does not advance and the
next run fetches the lost page again. Nothing here raises.

Counts are of *changes* (``changed.py``): a row new to the database or different
from the stored one, so a page seen twice (the overlap window, the page-1 re-check)
is counted once.
"""

import threading
import traceback

from ..db import save_state
from ..github import GitHubError
from ..storage import StorageError, is_storage_error, storage_error
from . import save
from .changed import changed_items
from .changes import save_pull_fields
from .history_save import WRITERS as HISTORY_WRITERS
from .ops import Done, Failed, Gone, Note, Page, Permanent, Rows, State, state_key
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
        self.state = {}  # the harvest_state snapshot the plan was made from
        self.failed = set()  # (repo id, stream or None for the whole repo) not stored this run
        self._lock = threading.Lock()

    def fatal(self, error, detail=None):
        """First fatal error wins; it stops the whole run."""
        with self._lock:
            first = self.summary.fatal is None
            if first:
                self.summary.fatal = error
        if first:
            message = str(error) if isinstance(error, (GitHubError, StorageError)) else (
                f"{type(error).__name__}: {error}")
            where = ({"source": "storage", "target": str(self.db_path)}
                     if isinstance(error, StorageError) else {})
            self.summary.error(message, status=getattr(error, "status", None), detail=detail,
                               **where)
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

    def blocked(self, needs):
        """Whether a state that depends on ``needs`` (Stream values) must not be written."""
        return any(need.covers(repo, stream) for need in needs for repo, stream in self.failed)

    def count(self, name, n):
        self.summary.counts[name] = self.summary.counts.get(name, 0) + n


# -- the writer's op table: type -> handler(run, op) -------------------------------

def _on_rows(run, op):
    with run.db.conn:
        changed = changed_items(run.db, op.stream, op.items, op.repo)
        n = SAVERS[op.stream](run.db, op.items, op.repo, run.config.bots)
    run.count(op.stream, n if changed is None else len(changed))


def _on_state(run, op):
    if run.blocked(op.needs):
        return  # a page it depends on was not saved: fetch it again next run
    with run.db.conn:
        save_state(run.db, op.key, **op.fields, updated_at=run.now)


def _on_failed(run, op):
    run.failed.add((op.repo, op.stream))
    error = op.error
    run.error(f"{op.repo_name}{' ' + op.stream if op.stream else ''}: {error}",
              target=op.repo_name, stream=op.stream, status=getattr(error, "status", None),
              detail=getattr(error, "detail", None))


def _on_permanent(run, op):
    run.summary.permanent += 1
    run.progress.log(f"{op.repo_name} {op.stream}: {op.message} (recorded; skipped from now on)")
    with run.db.conn:
        save_state(run.db, state_key(op.repo, op.stream), permanent=op.message,
                   updated_at=run.now)


def _on_gone(run, op):
    run.failed.add((op.repo, None))
    with run.db.conn:
        first = save.mark_repo_missing(run.db, op.repo_name, run.now, op.reason)
    if first:  # warned once, the run it happens; no error: it will not change by asking
        run.progress.log(f"warning: repo {op.repo_name}: GitHub answered "
                         f"{op.reason or '404 Not Found'}; marked missing, stored rows kept")


def _on_note(run, op):
    run.progress.log(op.text)


def _on_done(run, op):
    pass  # the pump counts finished repositories


WRITERS = {Rows: _on_rows, State: _on_state, Failed: _on_failed, Permanent: _on_permanent,
           Gone: _on_gone, Note: _on_note, Done: _on_done, **HISTORY_WRITERS}


def apply(run, op):
    try:
        WRITERS[type(op)](run, op)
    except Exception as e:  # one bad page must not stop the writer (and wedge the workers)
        if is_storage_error(e):  # a full or read-only disk fails every page: stop once (#19)
            run.db.conn.rollback()
            run.fatal(storage_error(e, run.db_path))
            return
        if not isinstance(op, Page):
            run.error(f"cannot apply {type(op).__name__}: {type(e).__name__}: {e}",
                      detail=traceback.format_exc())
            return
        run.failed.add((op.repo, op.stream))
        name = run.names.get(op.repo, str(op.repo))
        run.error(f"{name} {op.stream}: cannot save a page: {type(e).__name__}: {e}",
                  target=name, stream=op.stream, detail=traceback.format_exc())
