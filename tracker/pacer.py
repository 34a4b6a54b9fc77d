"""One request pacer per GitHub client: stay under GitHub's secondary rate limits.

GitHub allows at most 900 points a minute on its REST API (a GET is one point;
a 304 is free against the hourly budget but still a request here), besides the
hourly budget. Going over it earns a 403/429 "secondary rate limit" answer, and
clients that keep tripping it can have their access restricted. So every
request of a run, from every worker, first takes a token from one shared
bucket, and a secondary-limit answer pauses *all* workers, not just the one
that got it.

The bucket is GCRA-style (a token bucket kept as one "next free slot" time):
``rate`` tokens a minute, and at most ``burst`` of them at once after an idle
spell. Over any 60 s window a run therefore sends at most ``rate + burst``
requests; the default burst is 5 % of the rate, so at 720/min a window never
holds more than 756 requests, and two runs back to back stay under 900.

After a pause the pacer restarts at ``backoff`` times its rate (never below
``min_rate``); each new episode lowers it again. Answers to requests that were
already in flight when a pause began belong to that episode and do not lower
it twice. ``episodes`` above one are "repeated" answers the run reports.
"""

import threading
import time

DEFAULT_RATE = 720  # 80 % of GitHub's 900 points a minute: headroom for other clients
BACKOFF = 0.5
MIN_RATE = 60


class Pacer:
    """A thread-safe token bucket shared by every worker of a run.

    ``rate``: requests per minute (``0`` or ``None``: no pacing; pauses still
    apply). ``clock``: seconds, monotonic. ``sleep``: blocks for seconds; by
    default a wait on ``stop`` (a ``threading.Event``), so setting it wakes
    every waiting worker at once.
    """

    def __init__(self, rate=DEFAULT_RATE, *, burst=None, clock=time.monotonic, sleep=None,
                 stop=None, backoff=BACKOFF, min_rate=MIN_RATE, log=None):
        if rate is not None and rate < 0:
            raise ValueError(f"rate must be >= 0 requests/minute, not {rate}")
        self.rate = float(rate or 0)
        self.configured_rate = self.rate
        self.burst = burst
        self.clock = clock
        self.stop = stop
        self.backoff = backoff
        self.min_rate = min_rate
        self.log = log or (lambda message: None)
        self._sleep = sleep
        self._idle = threading.Event()  # never set: a plain interruptible sleep
        self._lock = threading.Lock()
        self._next = float("-inf")  # the next free slot (GCRA's theoretical arrival time)
        self._paused_until = float("-inf")
        # Time as the pacer has seen it: a slot once waited for has passed, even
        # when an injected sleep does not move an injected clock.
        self._floor = float("-inf")
        self.episodes = 0
        self.paused_seconds = 0.0
        self.granted = 0

    # -- the bucket ------------------------------------------------------------
    def _now(self):
        return max(self.clock(), self._floor)

    def _interval(self):
        return 60.0 / self.rate if self.rate else 0.0

    def _tolerance(self):
        burst = self.burst if self.burst is not None else max(1, round(self.rate / 20))
        return (burst - 1) * self._interval()

    def acquire(self):
        """Wait for this request's slot; return the episode it was sent in.

        Returns None without waiting further when ``stop`` is set: the request
        must not be sent.
        """
        while True:
            if self.stop is not None and self.stop.is_set():
                return None
            with self._lock:
                now = self._now()
                slot = max(now, self._next - self._tolerance(), self._paused_until)
                self._next = max(self._next, slot) + self._interval()
                episode = self.episodes
            if slot > now + 1e-6:  # not float dust from the arithmetic above
                self._wait(slot - now)
                if self.stop is not None and self.stop.is_set():
                    return None
                with self._lock:
                    self._floor = max(self._floor, slot)
                    if self.episodes != episode:
                        continue  # a pause began while this worker slept
            with self._lock:
                self.granted += 1
            return episode

    def _wait(self, seconds):
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            (self.stop or self._idle).wait(seconds)

    # -- secondary-limit answers ----------------------------------------------
    def pause(self, seconds, episode=None):
        """Send nothing from any worker for ``seconds``; return the new rate.

        ``episode``: what ``acquire`` returned for the request that got the
        answer. An answer to a request sent before the current pause began
        extends that pause; any other starts a new episode at a lower rate.
        """
        with self._lock:
            now = self._now()
            until = now + max(float(seconds), 0.0)
            new = episode is None or episode >= self.episodes
            if new:
                self.episodes += 1
                if self.rate:
                    self.rate = max(min(self.min_rate, self.configured_rate),
                                    self.rate * self.backoff)
            if until > self._paused_until:
                self.paused_seconds += until - max(now, self._paused_until)
                self._paused_until = until
            # Restart from an empty window: up to a burst right after the pause.
            self._next = min(self._next, self._paused_until)
            rate = self.rate
        if new:
            paced = f"; pacing at {rate:.0f} requests/minute from then" if rate else ""
            self.log(f"secondary rate limit: every request waits {seconds:.0f}s{paced}")
        return rate

    def repeated(self):
        """A line for the run's errors when GitHub answered secondary limits more than once."""
        if self.episodes < 2:
            return None
        return (f"GitHub answered a secondary rate limit {self.episodes} times; paused "
                f"{self.paused_seconds:.0f}s and slowed to {self.rate:.0f} requests/minute "
                f"(--max-rate {self.configured_rate:.0f}): lower --max-rate or github.max_rate")
