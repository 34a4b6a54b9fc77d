"""Primary rate-limit buckets, secondary limits and injected faults.

Buckets are kept per identity (a token, or the client address when there is no
token) and per resource (``core``, ``search``), like GitHub's. A bucket refills
to its limit when its reset time passes; a fresh bucket resets one window later
(an hour for core, a minute for search).

Secondary limits (``SecondaryLimits``), also per identity: at most
``points_per_minute`` requests admitted in any sliding 60 s window (every GET is
one point, 304s included) and at most ``concurrency`` requests in flight.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

FAULT_KINDS = ("500", "502", "503", "drop", "truncate", "delay", "secondary", "429",
               # 200 with a complete body that is not JSON; 403 "contributor list is
               # too large" with budget left; 403 rate limit spent whose reset is
               # 30 s in the past; 301 / Link rel=next to ``location`` (another
               # origin); the real answer passed through ``rewrite(body) -> body``.
               "malformed", "too_large", "reset_past", "offsite_redirect", "offsite_link",
               "rewrite",
               # ``rewrite()`` called with no argument before the real answer is sent:
               # a test's hook into "before answer N" (Emulator.before), no sleeps.
               "call",
               # 422 Validation Failed with ``message`` (any text, control characters
               # included); "echo": the same, quoting every request header, as some
               # proxies and GitHub Enterprise front ends do.
               "422", "echo")
WINDOWS = {"core": 3600, "search": 60}


class Bucket:
    __slots__ = ("limit", "remaining", "reset")

    def __init__(self, limit, remaining, reset):
        self.limit, self.remaining, self.reset = limit, remaining, reset

    def headers(self, resource: str) -> list[tuple[str, str]]:
        return [("x-ratelimit-limit", str(self.limit)),
                ("x-ratelimit-remaining", str(self.remaining)),
                ("x-ratelimit-reset", str(int(self.reset))),
                ("x-ratelimit-used", str(self.limit - self.remaining)),
                ("x-ratelimit-resource", resource)]


class RateLimits:
    def __init__(self, *, core_limit=5000, unauth_limit=60, search_limit=30,
                 unauth_search_limit=10, clock=time.time):
        self.limits = {(True, "core"): core_limit, (False, "core"): unauth_limit,
                       (True, "search"): search_limit, (False, "search"): unauth_search_limit}
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._override: dict[str, tuple[int, float]] = {}

    def _bucket(self, ident: str, resource: str) -> Bucket:
        now = self.clock()
        bucket = self._buckets.get((ident, resource))
        limit = self.limits[(not ident.startswith("ip:"), resource)]  # token: or installation:
        if bucket is None:
            remaining, reset = limit, now + WINDOWS[resource]
            override = self._override.get(resource)
            if override and override[1] > now:
                remaining, reset = override
            bucket = self._buckets[(ident, resource)] = Bucket(limit, remaining, reset)
        elif now >= bucket.reset:
            bucket.remaining, bucket.reset = bucket.limit, now + WINDOWS[resource]
        return bucket

    def take(self, ident: str, resource: str) -> tuple[bool, Bucket]:
        """Spend one request if any is left: (spent, a snapshot of the bucket)."""
        with self._lock:
            bucket = self._bucket(ident, resource)
            if bucket.remaining <= 0:
                return False, Bucket(bucket.limit, 0, bucket.reset)
            bucket.remaining -= 1
            return True, Bucket(bucket.limit, bucket.remaining, bucket.reset)

    def peek(self, ident: str, resource: str) -> Bucket:
        with self._lock:
            b = self._bucket(ident, resource)
            return Bucket(b.limit, b.remaining, b.reset)

    def set(self, remaining: int, reset_in: float = 3600, resource: str = "core",
            ident: str | None = None) -> None:
        """Force a bucket's state; ident None means every identity, present and future."""
        with self._lock:
            reset = self.clock() + reset_in
            if ident is None:
                self._override[resource] = (remaining, reset)
                targets = [k for k in self._buckets if k[1] == resource]
            else:
                self._bucket(ident, resource)
                targets = [(ident, resource)]
            for key in targets:
                b = self._buckets[key]
                b.remaining, b.reset = min(remaining, b.limit), reset


class SecondaryLimits:
    """GitHub's secondary limits for one emulator; ``None`` or 0 turns a limit off.

    ``clock`` is monotonic seconds, shared with the request log's timestamps.
    """

    def __init__(self, points_per_minute: int | None = 900, concurrency: int | None = 100,
                 clock=time.monotonic):
        self.points_per_minute = points_per_minute
        self.concurrency = concurrency
        self.clock = clock
        self._lock = threading.Lock()
        self._admitted: dict[str, deque] = {}
        self._in_flight: dict[str, int] = {}
        self.peak_in_flight = 0  # most requests one identity had in flight at once

    def enter(self, ident: str) -> bool:
        """Count a request in flight; False when that goes over the concurrency limit."""
        with self._lock:
            n = self._in_flight[ident] = self._in_flight.get(ident, 0) + 1
            self.peak_in_flight = max(self.peak_in_flight, n)
            return not self.concurrency or n <= self.concurrency

    def leave(self, ident: str) -> None:
        with self._lock:
            self._in_flight[ident] -= 1

    def take(self, ident: str) -> int | None:
        """Admit one point: None, or the seconds (``retry-after``) until one is free."""
        if not self.points_per_minute:
            return None
        with self._lock:
            now = self.clock()
            window = self._admitted.setdefault(ident, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self.points_per_minute:
                return max(1, math.ceil(window[0] + 60 - now))
            window.append(now)
            return None


@dataclass
class Fault:
    kind: str
    path_contains: str | None = None
    query_contains: str | None = None
    count: int | None = 1  # None: every matching request
    seconds: float = 0.0  # for "delay"
    retry_after: int | None = None  # for "secondary" and "429"
    location: str | None = None  # for "offsite_redirect" and "offsite_link"
    rewrite: object = None  # for "rewrite": a function from the JSON body to a new one
    hits: int = 0
    message: str | None = None  # for "422" and "echo"


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: str, path_contains: str | None = None, count: int | None = 1,
            seconds: float = 0.0, retry_after: int | None = None,
            query_contains: str | None = None, location: str | None = None,
            rewrite=None, message: str | None = None) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {kind!r}")
        fault = Fault(kind, path_contains, query_contains, count, seconds, retry_after,
                      location, rewrite, message=message)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str, query: str) -> Fault | None:
        """The first armed fault whose substrings are in the path and the raw query."""
        with self._lock:
            for fault in self._faults:
                if fault.count is not None and fault.count <= 0:
                    continue
                if fault.path_contains and fault.path_contains not in path:
                    continue
                if fault.query_contains and fault.query_contains not in query:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                fault.hits += 1
                return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
