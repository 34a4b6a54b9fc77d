"""Primary rate-limit buckets and injected faults.

Buckets are kept per identity (a token, or the client address when there is no
token) and per resource (``core``, ``search``), like GitHub's. A bucket refills
to its limit when its reset time passes; a fresh bucket resets one window later
(an hour for core, a minute for search).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

FAULT_KINDS = ("500", "502", "503", "drop", "truncate", "delay", "secondary", "429")
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

    def refund(self, ident: str, resource: str) -> Bucket:
        """Give back a request that turned out to be a 304 (which GitHub does not count)."""
        with self._lock:
            bucket = self._bucket(ident, resource)
            bucket.remaining = min(bucket.limit, bucket.remaining + 1)
            return Bucket(bucket.limit, bucket.remaining, bucket.reset)

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


@dataclass
class Fault:
    kind: str
    path_contains: str | None = None
    query_contains: str | None = None
    count: int | None = 1  # None: every matching request
    seconds: float = 0.0  # for "delay"
    retry_after: int | None = None  # for "secondary" and "429"
    hits: int = 0


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: str, path_contains: str | None = None, count: int | None = 1,
            seconds: float = 0.0, retry_after: int | None = None,
            query_contains: str | None = None) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {kind!r}")
        fault = Fault(kind, path_contains, query_contains, count, seconds, retry_after)
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
