"""The GitHub REST client: auth, pagination, conditional requests, rate limits.

One ``GitHubClient`` per run, shared by worker threads. It does network I/O
only; callers store ETags and watermarks. Exceptions::

    GitHubError            anything that stops the GitHub part of a run
    ├── AuthError          401: the token was rejected (fatal)
    ├── RateLimitExhausted primary budget spent, reset too far away to wait
    ├── RequestFailed      retries exhausted (5xx, timeouts, dropped connections)
    └── SearchRateLimited  the search budget (30/min) is spent; the core budget is untouched
"""

import json
import os
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from . import __version__

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = f"tracker/{__version__} (+https://github.com/jupyter; activity tracker)"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SECONDARY_MIN_WAIT = 60.0
SEARCH_MAX_WAIT = 61.0  # the search budget refills every minute: one wait, then give up


class GitHubError(Exception):
    exit_code = 1


class AuthError(GitHubError):
    exit_code = 3


class RateLimitExhausted(GitHubError):
    exit_code = 4

    def __init__(self, message, reset_at=None):
        super().__init__(message)
        self.reset_at = reset_at


class RequestFailed(GitHubError):
    exit_code = 5


class SearchRateLimited(GitHubError):
    """A /search answer said the *search* budget is spent. Callers fall back to core
    listings; it never stops the core harvest nor touches the core budget state."""

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
    rate_limit: int | None = None
    rate_remaining: int | None = None
    rate_reset: int | None = None
    redirects: dict = field(default_factory=dict)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class GitHubClient:
    """GitHub REST API access for one run; thread-safe."""

    def __init__(self, token=None, base_url=None, *, transport=None, timeout=TIMEOUT,
                 max_wait=900, retries=5, sleep=time.sleep, clock=time.time, log=None):
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": USER_AGENT,
        }
        self.authenticated = bool(token)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            headers=headers, timeout=timeout, transport=transport,
            follow_redirects=False, limits=httpx.Limits(max_connections=16),
        )
        self.max_wait = max_wait
        self.retries = retries
        self.sleep = sleep
        self.clock = clock
        self.log = log or (lambda message: None)
        self.stats = Stats()
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ=None, **kwargs):
        environ = os.environ if environ is None else environ
        token = environ.get("GITHUB_TOKEN") or None
        return cls(token, environ.get("GITHUB_API_URL") or None, **kwargs)

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def url(self, path):
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + "/" + path.lstrip("/")

    def get(self, path, params=None, *, etag=None, last_modified=None):
        """GET one URL, following renames; returns a Page (status 200, 304 or 404)."""
        url = self.url(path)
        for _ in range(4):
            response = self._send(url, params, etag, last_modified)
            if response.status_code in (301, 302, 307, 308):
                location = urljoin(url, response.headers["location"])
                with self._lock:
                    self.stats.redirects[urlsplit(url).path] = urlsplit(location).path
                self.log(f"moved: {urlsplit(url).path} -> {urlsplit(location).path}")
                # The Location keeps the query string; don't send params twice.
                url, params = location, None
                continue
            return self._page(response)
        raise RequestFailed(f"too many redirects for {urlsplit(url).path}")

    def pages(self, path, params=None, *, etag=None, last_modified=None):
        """Yield the pages of a listing; the first is conditional, a 304 ends it."""
        params = dict(params or {})
        params.setdefault("per_page", 100)
        page = self.get(path, params, etag=etag, last_modified=last_modified)
        yield page
        while page.status == 200 and page.next_url:
            page = self.get(page.next_url)
            yield page

    def _page(self, response):
        data = None
        if response.status_code == 200:
            try:
                data = response.json()
            except json.JSONDecodeError as e:
                raise RequestFailed(f"invalid JSON from {response.url.path}: {e}") from None
        next_url = response.links.get("next", {}).get("url")
        return Page(
            url=str(response.url), status=response.status_code, data=data,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"), next_url=next_url,
        )

    def _send(self, url, params, etag, last_modified):
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        secondary_attempt = 0
        attempt = 0
        search_waited = False
        while True:
            self._wait_for_budget(url)
            try:
                response = self.http.get(url, params=params, headers=headers)
                response.read()
            except (httpx.TimeoutException, httpx.TransportError) as e:
                attempt += 1
                if attempt > self.retries:
                    raise RequestFailed(
                        f"{urlsplit(url).path}: {type(e).__name__} after {attempt} attempts"
                    ) from None
                self._backoff(min(2 ** (attempt - 1), 30), f"{type(e).__name__} on {urlsplit(url).path}")
                continue
            self._record(response)
            status = response.status_code
            if status == 401:
                raise AuthError(
                    "GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN"
                )
            if status in (403, 429) and self._is_search(response) and self._primary_exhausted(response):
                # The search budget only: wait once for its reset if that is near, else
                # let the caller fall back; the core budget state is never touched.
                reset = _int(response.headers.get("x-ratelimit-reset"))
                wait = reset - self.clock() + 1 if reset else None
                if not search_waited and wait is not None and wait <= min(self.max_wait,
                                                                         SEARCH_MAX_WAIT):
                    search_waited = True
                    self.log(f"search rate limit spent; waiting {max(wait, 0):.0f}s for its reset")
                    self.sleep(max(wait, 0))
                    continue
                raise SearchRateLimited(f"GitHub search rate limit spent ({urlsplit(url).path})",
                                        reset_at=reset)
            if status in (403, 429):
                wait = self._limit_wait(response)
                if wait is not None:
                    secondary_attempt += 1
                    if secondary_attempt > self.retries:
                        raise RequestFailed(f"{urlsplit(url).path}: secondary rate limit persists")
                    self._backoff(wait * 2 ** (secondary_attempt - 1) if wait >= SECONDARY_MIN_WAIT else wait,
                                  f"secondary rate limit on {urlsplit(url).path}")
                    continue
                if self._primary_exhausted(response):
                    self._wait_or_stop(_int(response.headers.get("x-ratelimit-reset")))
                    continue
            if status >= 500:
                attempt += 1
                if attempt > self.retries:
                    raise RequestFailed(f"{urlsplit(url).path}: HTTP {status} after {attempt} attempts")
                self._backoff(min(2 ** (attempt - 1), 30), f"HTTP {status} on {urlsplit(url).path}")
                continue
            # 204 (contributors of an empty repo) and 409 (commits of an empty
            # repo) are answers, not failures: the listing is empty.
            if status not in (200, 204, 301, 302, 304, 307, 308, 404, 409, 410):
                raise RequestFailed(f"{urlsplit(url).path}: unexpected HTTP {status}: {_message(response)}")
            return response

    def _record(self, response):
        h = response.headers
        with self._lock:
            self.stats.requests += 1
            if response.status_code == 304:
                self.stats.not_modified += 1
            elif self._is_search(response):
                self.stats.search += 1
            else:
                self.stats.counted += 1
            if h.get("x-ratelimit-resource", "core") == "core" and "x-ratelimit-remaining" in h:
                self.stats.rate_limit = _int(h.get("x-ratelimit-limit"))
                self.stats.rate_remaining = _int(h.get("x-ratelimit-remaining"))
                self.stats.rate_reset = _int(h.get("x-ratelimit-reset"))

    def _is_search(self, response):
        """A /search answer: it spends the search budget, never the core one."""
        prefix = urlsplit(self.base_url).path.rstrip("/") + "/search/"
        return (response.headers.get("x-ratelimit-resource") == "search"
                or response.url.path.startswith(prefix))

    @staticmethod
    def _primary_exhausted(response):
        return response.headers.get("x-ratelimit-remaining") == "0"

    def _limit_wait(self, response):
        """Seconds to wait for a secondary limit, or None if this is not one."""
        retry_after = response.headers.get("retry-after")
        if retry_after is not None:
            seconds = _int(retry_after)
            if seconds is None:
                try:
                    seconds = parsedate_to_datetime(retry_after).timestamp() - self.clock()
                except (TypeError, ValueError):
                    seconds = SECONDARY_MIN_WAIT
            return max(float(seconds), 0.0)
        if self._primary_exhausted(response):
            return None
        if "secondary rate limit" in _message(response).lower() or response.status_code == 429:
            return SECONDARY_MIN_WAIT
        return None

    def _wait_for_budget(self, url):
        with self._lock:
            remaining, reset = self.stats.rate_remaining, self.stats.rate_reset
        if remaining == 0 and reset and reset > self.clock():
            self._wait_or_stop(reset)

    def _wait_or_stop(self, reset):
        now = self.clock()
        wait = (reset - now + 1) if reset else None
        if wait is not None and wait <= self.max_wait:
            self.log(f"rate limit spent; waiting {wait:.0f}s for the reset")
            self.sleep(max(wait, 0))
            with self._lock:
                self.stats.rate_remaining = None
            return
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(reset)) if reset else "unknown"
        raise RateLimitExhausted(
            f"GitHub rate limit spent; it resets at {when}, beyond --max-wait "
            f"({self.max_wait}s). Harvested data is kept; the next run continues.",
            reset_at=reset,
        )

    def _backoff(self, seconds, why):
        with self._lock:
            self.stats.retries += 1
        self.log(f"retrying in {seconds:.0f}s: {why}")
        self.sleep(seconds)


def _message(response):
    try:
        return str(response.json().get("message", ""))[:200]
    except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
        return response.text[:200]
