"""Paced, conditional, retried GETs for the non-GitHub sources.

Every host gets its own ``tracker.pacer.Pacer`` (burst 1, so two requests to a
host are never closer than its interval: arXiv asks for 3 s). Retries (5xx,
429 with ``Retry-After``, timeouts) take a new slot from the same pacer, so a
retry is paced like any request. Bodies are capped: a 10 MB "calendar" is an
error, not a parse.
"""

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from ..pacer import Pacer

ATTEMPTS = 3
MAX_RETRY_AFTER = 60.0
MAX_BYTES = 5 * 1024 * 1024
# Seconds between two requests to one host: arXiv's terms ask for 3 s; Discourse
# allows 200 requests a minute per IP, Zenodo 60 (anonymous); feeds are light.
INTERVALS = {"export.arxiv.org": 3.0, "zenodo.org": 1.0}
DEFAULT_INTERVAL = 1.0
# A host whose requests failed this many times in a row (each after its retries:
# refused, timed out, 5xx, 429) is not asked again this run: during a registry
# outage, 200 packages at three paced attempts each took ten minutes to learn
# what the first three said. The next run asks again.
BREAK_AFTER = 3


class SourceError(Exception):
    """A source could not be read; ``status`` is the HTTP status when there was one;
    ``skipped``: not asked, because its host kept failing this run."""

    def __init__(self, message, status=None, skipped=False):
        super().__init__(message)
        self.status = status
        self.skipped = skipped
        self.exhausted = False


@dataclass
class Fetched:
    status: int
    content: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""


@dataclass
class Counter:
    """What a source cost: requests sent and body bytes received."""

    requests: int = 0
    bytes: int = 0
    not_modified: int = 0
    per_host: dict = field(default_factory=dict)


class Pacing:
    """One pacer per host. ``intervals``: host -> seconds (``INTERVALS`` and
    ``default`` otherwise); ``clock``/``sleep`` injectable so tests never wait."""

    def __init__(self, intervals=None, default=DEFAULT_INTERVAL, *, clock=time.monotonic,
                 sleep=None, stop=None):
        self.intervals = {**INTERVALS, **(intervals or {})}
        self.default, self.clock, self.sleep, self.stop = default, clock, sleep, stop
        self._pacers = {}
        self._failures = {}  # host -> requests failed in a row, and the last error

    def check(self, url):
        """Raise a skipped SourceError when ``url``'s host has failed BREAK_AFTER
        times in a row this run."""
        host = urlsplit(url).netloc
        count, last = self._failures.get(host, (0, None))
        if count >= BREAK_AFTER:
            raise SourceError(f"not asked: {host} failed {count} times in a row this run "
                              f"(last: {last})", skipped=True)

    def failed(self, url, error):
        host = urlsplit(url).netloc
        self._failures[host] = (self._failures.get(host, (0, None))[0] + 1, error)

    def answered(self, url):
        self._failures.pop(urlsplit(url).netloc, None)

    def guarded(self, url, call):
        """``call()`` for ``url`` under the breaker: refused when its host kept
        failing; a request that failed every attempt counts, any answer resets."""
        self.check(url)
        try:
            result = call()
        except SourceError as e:
            if e.exhausted:
                self.failed(url, e)
            elif str(e) != "stopped":
                self.answered(url)  # a 404 or an oversized body: the host is up
            raise
        self.answered(url)
        return result

    def interval(self, host):
        return self.intervals.get(host, self.default)

    def pacer(self, url):
        host = urlsplit(url).netloc
        if host not in self._pacers:
            seconds = self.interval(host.split(":")[0]) if ":" in host else self.interval(host)
            seconds = self.intervals.get(host, seconds)
            rate = 60.0 / seconds if seconds else 0
            self._pacers[host] = Pacer(rate, burst=1, clock=self.clock, sleep=self.sleep,
                                       stop=self.stop)
        return self._pacers[host]

    def wait(self, url, seconds):
        """Pause this host (a 429's Retry-After) before its next request."""
        self.pacer(url).pause(seconds)


def fetch(client, url, *, pacing, counter, params=None, etag=None, last_modified=None,
          accept="*/*", attempts=ATTEMPTS, max_bytes=MAX_BYTES, retry_if=None):
    """GET url (paced, conditional); return Fetched (200 or 304) or raise SourceError.

    ``retry_if(Fetched)``: True for a 200 that must be asked again (arXiv's
    occasional empty page), retried like a 5xx."""
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return pacing.guarded(url, lambda: _fetch(
        client, url, pacing=pacing, counter=counter, params=params, headers=headers,
        etag=etag, last_modified=last_modified, attempts=attempts, max_bytes=max_bytes,
        retry_if=retry_if))


def _fetch(client, url, *, pacing, counter, params, headers, etag, last_modified, attempts,
           max_bytes, retry_if):
    pacer = pacing.pacer(url)
    last = None
    for attempt in range(1, attempts + 1):
        if pacer.acquire() is None:
            raise SourceError("stopped")
        counter.requests += 1
        host = urlsplit(url).netloc
        counter.per_host[host] = counter.per_host.get(host, 0) + 1
        try:
            with client.stream("GET", url, params=params, headers=headers,
                               follow_redirects=True) as r:
                if r.status_code == 304:
                    counter.not_modified += 1
                    return Fetched(304, etag=r.headers.get("etag") or etag,
                                   last_modified=r.headers.get("last-modified") or last_modified)
                if r.status_code == 429 or r.status_code >= 500:
                    last = SourceError(f"HTTP {r.status_code} {r.reason_phrase}", r.status_code)
                    # Never sooner than the host's own interval (arXiv: 3 s).
                    pacer.pause(max(_retry_after(r.headers.get("retry-after"), attempt),
                                    60.0 / pacer.rate if pacer.rate else 0.0))
                    continue
                if r.status_code >= 400:
                    raise SourceError(f"HTTP {r.status_code} {r.reason_phrase}", r.status_code)
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise SourceError(f"body of {declared} bytes is over the {max_bytes}-byte "
                                      "limit", r.status_code)
                chunks, size = [], 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    counter.bytes += len(chunk)
                    if size > max_bytes:
                        raise SourceError(f"body over the {max_bytes}-byte limit", r.status_code)
                    chunks.append(chunk)
                fetched = Fetched(r.status_code, b"".join(chunks), r.headers.get("etag"),
                                  r.headers.get("last-modified"),
                                  r.headers.get("content-type", ""))
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
            last = SourceError(f"{type(e).__name__}: {e}")
            continue
        except httpx.HTTPError as e:
            raise SourceError(f"{type(e).__name__}: {e}") from None
        if retry_if is not None and retry_if(fetched):
            last = SourceError("an empty page where results were promised", fetched.status)
            continue
        return fetched
    after = f" after {attempts} attempts" if attempts > 1 else ""
    raise exhausted(f"{last}{after}", last.status if last else None)


def exhausted(message, status=None):
    """The error of a request that failed every attempt: it counts toward BREAK_AFTER."""
    error = SourceError(message, status)
    error.exhausted = True
    return error


def _retry_after(value, attempt):
    delay = 2.0 ** attempt
    if value and value.strip().isdigit():
        delay = max(delay, min(float(value), MAX_RETRY_AFTER))
    return delay
