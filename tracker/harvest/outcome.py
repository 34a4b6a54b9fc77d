"""How a harvest run ended: its errors, status and exit code, in one place.

Status and exit code always agree (docs/running.md, "Exit codes"):

    ok           0    everything harvested
    partial      1    some repos, streams, owners or feeds failed (harvest_errors says which)
    partial      4    rate limit spent (or answered too often); the next run continues
    failed       3    GitHub rejected the token
    failed       5    GitHub could not be reached at all
    failed       1    an unexpected error stopped the run (``--debug`` shows the traceback)
    failed       74   the disk is full or cannot be written (65 damaged file, 75 locked;
                      tracker/storage.py)
    interrupted  130  SIGINT (Ctrl-C);  143  SIGTERM
"""

import signal
from dataclasses import dataclass, field

from ..github import AuthError, RateLimitExhausted, Unreachable
from ..safe import scrub


@dataclass(frozen=True)
class RunError:
    """One recorded error, a value: what is printed plus where it happened.

    ``message`` is what a person reads (``str(error)``); ``source`` "github", "feeds"
    or a #23 source; ``target`` an owner, "owner/name" or a feed URL (a field, never
    parsed back out of the message); ``stream`` a stream name (issues, comments, ...)
    or None; ``status`` the HTTP status that caused it, when there was one;
    ``detail`` a traceback, shown with ``--debug`` only.
    """

    message: str
    source: str = "github"
    target: str | None = None
    stream: str | None = None
    status: int | None = None
    detail: str | None = None

    def __post_init__(self):
        # The one constructor of recorded errors: what is printed, logged and
        # stored in harvest_errors / harvest_runs is clean and redacted.
        object.__setattr__(self, "message", scrub(str(self.message)))
        if self.target is not None:
            object.__setattr__(self, "target", scrub(str(self.target)))

    def __str__(self):
        return self.message


@dataclass
class Summary:
    status: str = "running"
    exit_code: int = 0
    repos: int = 0
    counts: dict = field(default_factory=dict)
    requests: int = 0
    counted: int = 0
    not_modified: int = 0
    search: int = 0  # /search requests: the search budget, not counted in ``counted``
    rate_remaining: int | None = None
    errors: list = field(default_factory=list)  # RunError values
    seconds: float = 0.0
    fatal: Exception | None = None
    signal: str | None = None
    permanent: int = 0
    fatal_message: str | None = None
    unrecorded: bool = False  # the storage refused even the run record (disk full)

    def error(self, message, **where):
        """Record ``message`` (a RunError, kept as it is, or text placed by ``where``)."""
        error = message if isinstance(message, RunError) else RunError(str(message), **where)
        self.errors.append(error)
        return error

    def line(self):
        c = self.counts
        rate = "?" if self.rate_remaining is None else self.rate_remaining
        status = f"{self.status} ({self.signal})" if self.signal else self.status
        # #22: a run that asked the registries says what they gave; one that never
        # asked GitHub has no rate limit to tell.
        packages = f", {c.get('package_releases', 0)} package releases" \
            if "package_requests" in c else ""
        limit = f"rate limit left {rate}, " if self.rate_remaining is not None \
            or self.counted else ""
        return (
            f"{status}: {self.repos} repos, {c.get('releases', 0)} releases, "
            f"{c.get('issues', 0)} issues/PRs, {c.get('comments', 0)} comments, "
            f"{c.get('feed_entries', 0)} feed entries{packages}; {self.requests} requests "
            f"({self.counted} counted, {self.not_modified} not modified"
            f"{f', {self.search} search' if self.search else ''}), "
            f"{limit}{len(self.errors)} errors, {self.seconds:.1f}s"
            f"{'; run NOT recorded (storage full)' if self.unrecorded else ''}"
        )


def signal_exit_code(signum):
    return 128 + int(signum)


def conclude(summary, signum=None):
    """Set ``summary.status`` and ``summary.exit_code`` from how the run ended.

    ``signum``: the signal that stopped the run, if any. ``summary.fatal``: the
    exception that stopped it, if any. ``summary.errors``: RunErrors recorded.
    """
    fatal = summary.fatal
    if signum is not None:
        status, code = "interrupted", signal_exit_code(signum)
    elif isinstance(fatal, AuthError):
        status, code = "failed", fatal.exit_code
    elif isinstance(fatal, Unreachable):
        status, code = "failed", fatal.exit_code
    elif isinstance(fatal, RateLimitExhausted):
        status, code = "partial", fatal.exit_code
    elif fatal is not None:
        status, code = "failed", getattr(fatal, "exit_code", 1)
    elif summary.errors:
        status, code = "partial", 1
    else:
        status, code = "ok", 0
    summary.status, summary.exit_code = status, code
    return status, code


SIGNAL_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}
