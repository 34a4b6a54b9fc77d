"""What the GitHub client hands back (``Page``, ``Stats``) and what can end a
request, as exceptions; all re-exported by tracker.github::

    GitHubError            anything that stops the GitHub part of a run
    ├── AuthError          401: the token (or an App's key, JWT, installation) was
    │   │                  rejected (fatal, exit 3)
    │   └── Suspended      403: the App's installation is suspended (fatal, exit 3)
    ├── RateLimitExhausted primary budget spent, reset too far away to wait,
    │                      or too many limit answers in one run (fatal, exit 4)
    ├── SearchRateLimited  the separate search budget spent (30/min); core untouched
    ├── Unreachable        the API cannot be connected to at all (fatal, exit 5)
    ├── RequestFailed      retries exhausted (5xx, timeouts, dropped connections,
    │                      malformed JSON); that listing's error
    │   ├── OffOrigin      a redirect or Link URL leaves the API origin; refused
    │   └── PageCapped     422 past the last page GitHub serves of a listing
    │                      (stargazers of a huge repo; tracker/harvest/history.py)
    └── Permanent          an answer that will not change (e.g. "contributor list
                           is too large"); recorded once, then skipped
    Stopped                the run's stop event was set (not an error)

``exit_code`` is the process exit code a run ends with when this is what stopped it;
``status`` the HTTP status that caused it, when there was one. The constants every
GitHub caller shares (``DEFAULT_API_URL``, ``USER_AGENT``) live here too, so that
tracker.auth and tracker.github need not import each other.
"""

from dataclasses import dataclass, field

from . import __version__
from .safe import scrub

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = f"tracker/{__version__} (+https://github.com/jupyter; activity tracker)"


class GitHubError(Exception):
    exit_code = 1

    def __init__(self, message="", status=None):
        # Built from answers (messages, bodies, URLs): terminal-safe and
        # redacted here, once, whatever path later prints or stores it.
        super().__init__(scrub(message))
        self.status = status


class AuthError(GitHubError):
    exit_code = 3


class Suspended(AuthError):
    """The GitHub App's installation is suspended: nothing can be read until an
    owner unsuspends it, so the run stops with one line."""

    def __init__(self, message):
        super().__init__(message, 403)


class RateLimitExhausted(GitHubError):
    exit_code = 4

    def __init__(self, message, reset_at=None):
        super().__init__(message)
        self.reset_at = reset_at


class RequestFailed(GitHubError):
    exit_code = 5


class Unreachable(GitHubError):
    exit_code = 5


class OffOrigin(RequestFailed):
    exit_code = 1


class PageCapped(RequestFailed):
    """GitHub serves this listing only up to a fixed page; this page is past it."""

    exit_code = 1

    def __init__(self, message, status=422):
        super().__init__(message)
        self.status = status


class Permanent(GitHubError):
    """GitHub answers this the same way every time: not worth a request per run."""


class Stopped(Exception):
    """The run was asked to stop (signal, fatal error elsewhere)."""


class SearchRateLimited(GitHubError):
    """The search budget (``x-ratelimit-resource: search``) is spent and its reset is
    beyond ``max_wait``. Only search stops: the core budget state is not touched."""

    exit_code = 4

    def __init__(self, message, reset_at=None):
        super().__init__(message)
        self.reset_at = reset_at


@dataclass
class Page:
    """One page of a listing (``items``) or a single object (``data``)."""

    url: str
    status: int
    data: object = None
    etag: str | None = None
    last_modified: str | None = None
    next_url: str | None = None
    last_url: str | None = None  # Link rel="last": how far GitHub will page

    @property
    def not_modified(self):
        return self.status == 304

    @property
    def items(self):
        return self.data if isinstance(self.data, list) else []


@dataclass
class Stats:
    requests: int = 0
    counted: int = 0
    not_modified: int = 0
    search: int = 0  # /search requests: they spend the search budget, not ``counted``
    retries: int = 0
    limit_answers: int = 0
    clock_skew: float = 0.0  # GitHub's clock minus ours, from the Date header
    secondary_limits: int = 0  # 403/429 secondary-limit answers (each paused every worker)
    rate_limit: int | None = None
    rate_remaining: int | None = None
    rate_reset: int | None = None
    redirects: dict = field(default_factory=dict)
    # The search resource is a separate bucket (30/min): kept apart from core.
    search_limit: int | None = None
    search_remaining: int | None = None
    search_reset: int | None = None


def latest_budget(known: tuple[int | None, int | None], seen: tuple[int | None, int | None]
                  ) -> tuple[int | None, int | None]:
    """The budget left, (remaining, reset), after one more answer's headers.

    Answers to concurrent requests arrive in any order, so the last one read is not
    the newest. Within one window (the same ``x-ratelimit-reset``) what is left only
    goes down, so the lowest figure is the newest; an answer from a later window
    replaces it, and a late answer from an earlier window is stale."""
    (remaining, reset), (new_remaining, new_reset) = known, seen
    if new_remaining is None:
        return known
    if remaining is None or reset is None or new_reset is None or new_reset > reset:
        return new_remaining, new_reset
    if new_reset < reset:
        return known
    return min(remaining, new_remaining), reset
