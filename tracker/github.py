"""The GitHub REST client: auth, pagination, conditional requests, rate limits.

One ``GitHubClient`` per run, shared by worker threads. It does network I/O
only; callers store ETags and watermarks. What it hands back (``Page``,
``Stats``) and its exceptions live in ``tracker.github_types``, importable from here.

Every wait (back-off, rate-limit reset) is ``stop.wait(seconds)``, so a stop
request ends it at once; tests inject ``sleep`` instead.
"""

import os
import threading
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .auth import Credentials, TokenCredentials, credentials_from_env
from .classify import (DONE, GONE, PAUSE, REDIRECT, RENEW, RESET, RETRY, SECONDARY_MIN_WAIT,
                       classify, classify_failure)
from .github_types import (  # noqa: F401  (re-exported: callers import them from here)
    DEFAULT_API_URL, USER_AGENT, AuthError, GitHubError, OffOrigin, Page, PageCapped,
    Permanent, RateLimitExhausted, RequestFailed, SearchRateLimited, Stats, Stopped, Suspended,
    Unreachable, latest_budget,
)
from .pacer import DEFAULT_RATE, Pacer

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SEARCH_MAX_WAIT = 61.0  # the search budget refills every minute: one wait, then give up
# Connection refused / DNS failure: a few quick tries, then the API is down.
CONNECT_WAITS = (0.5, 1.5, 3.0)
# Rate-limit answers (primary or secondary) in a row tolerated before stopping.
LIMIT_ANSWER_BOUND = 20


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class GitHubClient:
    """GitHub REST API access for one run; thread-safe.

    ``stop``: a threading.Event; once set, no request is sent and every wait
    ends (Stopped). ``sleep``: inject instead of waiting on ``stop`` (tests).
    ``limit_bound``: rate-limit answers in a row before RateLimitExhausted.
    ``connect_waits``: pauses between connection attempts before Unreachable.
    """

    def __init__(self, token=None, base_url=None, *, credentials=None, transport=None,
                 timeout=TIMEOUT, max_wait=900, retries=5, sleep=None, clock=time.time,
                 log=None, stop=None, limit_bound=LIMIT_ANSWER_BOUND,
                 connect_waits=CONNECT_WAITS, max_rate=DEFAULT_RATE, pacer=None):
        self.base_url = (base_url or DEFAULT_API_URL).rstrip("/")
        self.origin = _origin(self.base_url)
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": USER_AGENT,
        }
        # The Authorization header is set per request (see _send): an App's
        # token changes during a run, and it only ever goes to base_url's origin.
        self.credentials = credentials or _credentials_for(token)
        self.authenticated = self.credentials.kind != "none"
        self.http = httpx.Client(
            headers=headers, timeout=timeout, transport=transport,
            follow_redirects=False, limits=httpx.Limits(max_connections=16),
        )
        self.max_wait = max_wait
        self.retries = retries
        self.stop = stop or threading.Event()
        self._injected_sleep = sleep
        self.limit_bound = limit_bound
        self.connect_waits = tuple(connect_waits)
        self._limit_streak = 0  # rate-limit answers since the last other answer
        self.clock = clock
        self.log = log or (lambda message: None)
        self.stats = Stats()
        self._lock = threading.Lock()
        # One bucket for every worker: GitHub's secondary limits count the token, not the thread.
        self.pacer = pacer or Pacer(max_rate, clock=time.monotonic if clock is time.time else clock,
                                    sleep=None if sleep is time.sleep else sleep,
                                    stop=self.stop, log=self.log)
        if self.pacer.stop is None:
            self.pacer.stop = self.stop  # a pause must end when the run stops
        self.credentials.pace = self.pacer.acquire  # App token calls are requests too

    @classmethod
    def from_env(cls, environ=None, *, owners=(), **kwargs):
        """A client with the credentials the environment names (tracker.auth);
        ``owners`` = auth.watched_owners(config), to find an App installation."""
        environ = os.environ if environ is None else environ
        base_url = environ.get("GITHUB_API_URL") or None
        credentials = credentials_from_env(environ, owners=owners, base_url=base_url)
        return cls(base_url=base_url, credentials=credentials, **kwargs)

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

    def sleep(self, seconds):
        """Wait ``seconds``, or less if the run is stopped (then raise Stopped)."""
        if self._injected_sleep is not None:
            self._injected_sleep(seconds)
        else:
            self.stop.wait(max(seconds, 0))
        if self.stop.is_set():
            raise Stopped()

    def _check_origin(self, url, why):
        # The Authorization header must never leave the API origin (PyGithub
        # refuses such redirects too): scheme, host and port must all match.
        if _origin(url) != self.origin:
            parts = urlsplit(url)
            raise OffOrigin(f"refused {why} to another origin {parts.scheme}://{parts.netloc} "
                            f"(API is {self.base_url}); not sent the token")

    def get(self, path, params=None, *, etag=None, last_modified=None, accept=None):
        """GET one URL, following renames; returns a Page (status 200, 204, 304, 409,
        or 404/410/451 for what is not there: see tracker.classify).

        ``accept``: a media type instead of the default (e.g. the stargazers'
        ``application/vnd.github.star+json``). Raises OffOrigin for an absolute URL
        (a Link) or redirect off the API origin; PageCapped past a listing's page cap."""
        url = self.url(path)
        self._check_origin(url, "a link")
        for _ in range(4):
            response = self._send(url, params, etag, last_modified, accept)
            if response.status_code in (301, 302, 307, 308):
                location = urljoin(url, response.headers["location"])
                self._check_origin(location, f"a {response.status_code} redirect")
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
        data = getattr(response, "parsed", None)
        next_url = response.links.get("next", {}).get("url")
        return Page(
            url=str(response.url), status=response.status_code, data=data,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"), next_url=next_url,
            last_url=response.links.get("last", {}).get("url"),
        )

    def search(self, kind, q, *, page=1, per_page=100, **params):
        """One page of ``GET /search/{kind}`` (repositories, issues) as a Page whose
        ``data`` is the answer's object; the one search-limit policy of the tracker.

        Search has its own budget (30 a minute). When the last answer said it is
        spent, or a search answers "rate limit exceeded", wait for its reset once
        if that is within a minute (``SEARCH_MAX_WAIT``, and ``max_wait``), else
        raise SearchRateLimited: the caller falls back (discovery stops, change
        detection takes the exact path), and the core budget is never touched.
        RequestFailed when the answer is not a search result."""
        with self._lock:
            remaining, reset = self.stats.search_remaining, self.stats.search_reset
        if remaining == 0 and reset:
            self._wait_for_search_reset(reset, f"search/{kind}")
            with self._lock:
                self.stats.search_remaining = None  # the next answer tells
        answer = self.get(f"search/{kind}", {"q": q, "per_page": per_page, "page": page,
                                              **params})
        if answer.status != 200 or not isinstance(answer.data, dict) \
                or not isinstance(answer.data.get("items"), list):
            raise RequestFailed(f"search/{kind} answered HTTP {answer.status} for {q!r}",
                                answer.status)
        return answer

    def _send(self, url, params, etag, last_modified, accept=None):
        """Send until classify() says the answer is final; a short loop over its Decision."""
        headers = {"Accept": accept} if accept else {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        path = urlsplit(url).path
        tries = {}  # decision kind -> how many times in a row for this request
        renewed = False
        search = self._is_search_url(url)
        while True:
            if self.stop.is_set():
                raise Stopped()
            if not search:
                self._wait_for_budget()
            episode = self.pacer.acquire()
            if episode is None:
                raise Stopped()
            token = self._authorize(url, headers)
            try:
                response = self.http.get(url, params=params, headers=headers)
                response.read()
            except (httpx.TimeoutException, httpx.TransportError) as e:
                decision = classify_failure(e, (httpx.ConnectError, httpx.ConnectTimeout))
                response, failure = None, e
            else:
                self._record(response)
                decision = classify(response, search=search, now=self._github_now())
            if decision.action not in (PAUSE, RESET):
                with self._lock:
                    self._limit_streak = 0
            n = tries[decision.kind or decision.action] = tries.get(
                decision.kind or decision.action, 0) + 1
            if decision.action in (DONE, GONE, REDIRECT):
                response.parsed = decision.data
                return response
            if decision.action == RETRY:
                self._retry(decision, n, path, failure if response is None else None)
            elif decision.action == PAUSE:
                self._count_limit_answer()
                with self._lock:
                    self.stats.secondary_limits += 1
                if n > self.retries:
                    raise RequestFailed(f"{path}: secondary rate limit persists", 403)
                # Pauses every worker, not just this one, and slows the pacer.
                self.pacer.pause(decision.wait * 2 ** (n - 1)
                                 if decision.wait >= SECONDARY_MIN_WAIT else decision.wait,
                                 episode)
            elif decision.action == RESET and decision.search:
                if n > 1:
                    raise SearchRateLimited(
                        f"GitHub search rate limit spent ({path}); search stops here, the rest "
                        "of the harvest goes on", reset_at=decision.reset)
                self._wait_for_search_reset(decision.reset, path)
            elif decision.action == RESET:
                self._count_limit_answer()
                self._wait_or_stop(decision.reset)
            elif decision.action == RENEW:
                # An App's token may have expired mid-run: one renewal, one retry.
                # Never a rate limit, whatever else the answer says.
                if token and not renewed and self.credentials.renew(token):
                    renewed = True
                    continue
                raise AuthError(self.credentials.rejected_message())
            else:
                raise _failure(decision, path, response.status_code, self.credentials)

    def _authorize(self, url, headers):
        # Credentials only ever go to the API's own origin (scheme, host, port).
        token = self.credentials.token() if _origin(url) == self.origin else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        else:
            headers.pop("Authorization", None)
        return token

    def _retry(self, decision, n, path, error):
        if decision.kind == "connect":
            # Refused / no route / DNS: the host is down for everyone, so
            # fail the run fast instead of backing off repo by repo.
            if n > len(self.connect_waits):
                raise Unreachable(f"cannot reach {self.base_url}: {_reason(error)}")
            self._backoff(self.connect_waits[n - 1], f"{_reason(error)} on {path}")
            return
        if n > self.retries:
            if decision.kind == "json":
                raise RequestFailed(f"invalid JSON from {path} after {n} attempts: "
                                    f"{decision.message}", 200)
            if decision.kind == "server":
                raise RequestFailed(f"{path}: {decision.message} after {n} attempts",
                                    decision.status)
            raise RequestFailed(f"{path}: {decision.message} after {n} attempts")
        self._backoff(min(2 ** (n - 1), 30), f"{decision.message} on {path}")

    def _count_limit_answer(self):
        # Bounded by limit answers in a row (any other answer resets the count),
        # so a long run waiting out many windows is fine, a reset that never
        # comes (skewed clocks, a proxy) is not.
        with self._lock:
            self.stats.limit_answers += 1
            self._limit_streak += 1
            n = self._limit_streak
        if n > self.limit_bound:
            raise RateLimitExhausted(
                f"GitHub answered 'rate limit exceeded' {n} times in a row; stopping. "
                "Harvested data is kept; the next run continues.")

    def _record(self, response):
        h = response.headers
        server_now = _http_date(h.get("date"))
        with self._lock:
            if server_now is not None:
                self.stats.clock_skew = server_now - self.clock()
            self.stats.requests += 1
            if response.status_code == 304:
                self.stats.not_modified += 1
            elif self._is_search(response):
                self.stats.search += 1
            else:
                self.stats.counted += 1
            seen = _int(h.get("x-ratelimit-remaining")), _int(h.get("x-ratelimit-reset"))
            s = self.stats
            if h.get("x-ratelimit-resource") == "search" and seen[0] is not None:
                s.search_limit = _int(h.get("x-ratelimit-limit"))
                s.search_remaining, s.search_reset = latest_budget(
                    (s.search_remaining, s.search_reset), seen)
            if h.get("x-ratelimit-resource", "core") == "core" and seen[0] is not None:
                s.rate_limit = _int(h.get("x-ratelimit-limit"))
                s.rate_remaining, s.rate_reset = latest_budget(
                    (s.rate_remaining, s.rate_reset), seen)

    def _is_search(self, response):
        """A /search answer: it spends the search budget, never the core one."""
        return (response.headers.get("x-ratelimit-resource") == "search"
                or self._is_search_url(str(response.url)))

    def _is_search_url(self, url):
        prefix = urlsplit(self.base_url).path.rstrip("/") + "/search/"
        return urlsplit(url).path.startswith(prefix)

    def _github_now(self):
        """Now on GitHub's clock (ours corrected by the last Date header)."""
        with self._lock:
            return self.clock() + self.stats.clock_skew

    def _wait_for_search_reset(self, reset, path):
        """The search budget is spent: wait for its reset when that is near (it refills
        every minute), else raise SearchRateLimited. Our clock, not GitHub's: a
        search reset is at most a minute away, less than the Date header's grain."""
        wait = max(reset - self.clock(), 0) + 1 if reset else None
        if wait is None or wait > min(self.max_wait, SEARCH_MAX_WAIT):
            raise SearchRateLimited(
                f"GitHub search rate limit spent ({path}); search stops here, the rest "
                "of the harvest goes on", reset_at=reset)
        self.log(f"search rate limit spent; waiting {wait:.0f}s for its reset")
        self.sleep(wait)

    def _wait_for_budget(self):
        # Core only: search has its own bucket, handled by search().
        with self._lock:
            remaining, reset = self.stats.rate_remaining, self.stats.rate_reset
        if remaining == 0 and reset and reset > self._github_now():
            self._wait_or_stop(reset)

    def _wait_or_stop(self, reset):
        # x-ratelimit-reset is on GitHub's clock: compare it with GitHub's Date,
        # not ours, and wait at least a second even when it seems to have passed.
        wait = max(reset - self._github_now(), 0) + 1 if reset else None
        if wait is not None and wait <= self.max_wait:
            self.log(f"rate limit spent; waiting {wait:.0f}s for the reset")
            self.sleep(wait)
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


def _origin(url):
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _reason(error):
    text = str(error).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "resolution" in text:
        return "host not found"
    if isinstance(error, httpx.ConnectTimeout):
        return "connection timed out"
    return str(error) or type(error).__name__


def _http_date(value):
    try:
        return parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError):
        return None


def _credentials_for(token):
    return TokenCredentials(token) if token else Credentials()


def _failure(decision, path, status, credentials):
    """The exception for a FAIL decision."""
    if decision.error == "suspended":
        return Suspended(f"{credentials.label}: GitHub answered {status} "
                         f"\"{decision.message}\": an owner of the account suspended the App's "
                         "installation; unsuspend it in the account's settings (Applications)")
    if decision.error == "page_capped":
        return PageCapped(f"{path}: {decision.message}", status)
    if decision.error == "permanent":
        return Permanent(f"{path}: HTTP {status}: {decision.message}", status)
    return RequestFailed(f"{path}: {decision.message}", status)
