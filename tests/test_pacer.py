"""The pacer (tracker/pacer.py) and the emulator's secondary limits, over loopback.

Minutes pass in no time: the pacer and the emulator share a FakeClock that only
moves when a worker sleeps, and the emulator stamps its request log with it, so
rates are read off the emulator's log, never off wall time.
"""

import bisect
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from conftest import TOKEN, Sleeps
from tracker.config import Config, ConfigError, parse_config
from tracker.emulator import Emulator, load_facts, synthetic_ecosystem
from tracker.github import GitHubClient
from tracker.harvest.run import Progress, run_harvest
from tracker.pacer import Pacer


class FakeClock:
    """Seconds that advance only by sleeping; each thread sleeps from its own last reading.

    A worker reads the clock, then sleeps until its slot: "until" is the reading
    plus the sleep, so concurrent sleepers do not add their sleeps together.
    """

    def __init__(self, start=1000.0):
        self.now = start
        self._lock = threading.Lock()
        self._seen = threading.local()

    def __call__(self):
        with self._lock:
            self._seen.at = self.now
            return self.now

    def sleep(self, seconds):
        with self._lock:
            self.now = max(self.now, getattr(self._seen, "at", self.now) + seconds)


def busiest_minute(stamps):
    """The most requests in any 60 s window starting at a request."""
    stamps = sorted(stamps)
    return max(bisect.bisect_left(stamps, t + 60) - i for i, t in enumerate(stamps))


def paced_harvest(tmp_path, emu, clock, config, *, concurrency=4, **pacer):
    client = GitHubClient(TOKEN, emu.url, sleep=Sleeps(),
                          pacer=Pacer(clock=clock, sleep=clock.sleep, **pacer))
    with client:
        summary = run_harvest(str(tmp_path / "t.db"), config, client=client, digest=False,
                              concurrency=concurrency, progress=Progress(quiet=True))
    return summary, client


# -- the bucket alone -----------------------------------------------------------
def test_bucket_keeps_any_minute_within_5_percent_of_the_rate():
    clock = FakeClock()
    pacer = Pacer(720, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(2000):
        pacer.acquire()
        stamps.append(clock())
    assert busiest_minute(stamps) <= 720 * 1.05  # the default burst is 5 % of the rate
    assert stamps[35] == stamps[0] < stamps[36]  # 36 at once after an idle spell, then paced
    assert (len(stamps) - 36) / (stamps[-1] - stamps[0]) * 60 == pytest.approx(720)


def test_pause_stops_every_worker_and_slows_the_rate():
    clock = FakeClock()
    pacer = Pacer(720, burst=1, clock=clock, sleep=clock.sleep)
    episode = pacer.acquire()
    pacer.pause(30, episode)
    started = clock()
    granted = []

    def worker():
        pacer.acquire()
        granted.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(granted) == 4 and min(granted) >= started + 30
    assert pacer.rate == 360 and pacer.episodes == 1
    # An answer to a request sent before that pause is the same episode: no second cut.
    pacer.pause(30, episode)
    assert pacer.rate == 360 and pacer.episodes == 1 and pacer.repeated() is None
    pacer.pause(60, pacer.acquire())
    assert pacer.rate == 180 and pacer.episodes == 2
    assert "2 times" in pacer.repeated() and "180 requests/minute" in pacer.repeated()


def test_rate_never_falls_below_the_floor_and_zero_means_unpaced():
    pacer = Pacer(100, min_rate=60, clock=FakeClock(), sleep=Sleeps())
    for _ in range(5):
        pacer.pause(1, pacer.acquire())
    assert pacer.rate == 60
    sleeps = Sleeps()
    unpaced = Pacer(0, clock=FakeClock(), sleep=sleeps)
    for _ in range(1000):
        unpaced.acquire()
    assert sleeps == []


def test_stop_wakes_a_worker_waiting_out_a_pause():
    stop = threading.Event()
    pacer = Pacer(720, stop=stop)  # real clock, real (interruptible) waits
    pacer.pause(600)
    result = []
    worker = threading.Thread(target=lambda: result.append(pacer.acquire()))
    worker.start()
    stop.set()
    worker.join(5)
    assert not worker.is_alive() and result == [None]


# -- the emulator's limits ----------------------------------------------------
def test_emulator_answers_github_secondary_limits():
    clock = FakeClock()
    with Emulator(load_facts(), tokens={TOKEN}, clock=clock) as emu, \
            httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        assert emu.secondary.points_per_minute == 900  # GitHub's documented REST limit
        statuses = {c.get("/repos/ines/juniper").status_code for _ in range(900)}
        assert statuses == {200}
        refused = c.get("/repos/ines/juniper")
        assert refused.status_code == 403 and refused.headers["retry-after"] == "60"
        assert "secondary rate limit" in refused.json()["message"]
        assert int(refused.headers["x-ratelimit-remaining"]) == 5000 - 900  # not spent
        clock.sleep(60)
        assert c.get("/repos/ines/juniper").status_code == 200
        assert emu.secondary_answers() == 1 and [r.secondary for r in emu.requests][900]


def test_emulator_concurrency_limit_answers_429():
    with Emulator(load_facts(), tokens={TOKEN}, concurrency=1, latency=0.3) as emu:
        def get(results):
            with httpx.Client(base_url=emu.url) as c:
                results.append(c.get("/repos/ines/juniper",
                                     headers={"Authorization": f"Bearer {TOKEN}"}))
        results = []
        threads = [threading.Thread(target=get, args=(results,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert sorted(r.status_code for r in results) == [200, 429]
    refused = next(r for r in results if r.status_code == 429)
    assert refused.headers["retry-after"] == "60" and "x-ratelimit-remaining" not in refused.headers


# -- harvests over loopback -----------------------------------------------------
def test_harvest_at_default_rate_gets_no_secondary_answer_and_holds_its_rate(tmp_path):
    # ~1,000 requests: more than the emulator's 900 a minute let through.
    store = synthetic_ecosystem(orgs=1, repos=100, issues=200, comments=100,
                                releases_per_repo=1, commits_per_repo=2)
    clock = FakeClock()
    with Emulator(store, tokens={TOKEN}, clock=clock) as emu:
        # Burst 2.5 %: stamps of concurrent workers may bunch by a few slots.
        summary, client = paced_harvest(tmp_path, emu, clock,
                                        Config(orgs=["synthetic-org-1"]), burst=18)
        stamps = sorted(r.at for r in emu.requests)
    assert summary.status == "ok", summary.errors
    assert len(stamps) > 900 and emu.secondary_answers() == 0
    assert client.stats.secondary_limits == 0
    assert busiest_minute(stamps) <= 720 * 1.05
    first_minute = bisect.bisect_left(stamps, stamps[0] + 60)
    assert first_minute >= 720 * 0.95  # paced, not merely slow


class GatedClock(FakeClock):
    """A FakeClock whose long sleeps (a pause) block until the test opens the gate."""

    def __init__(self):
        super().__init__()
        self.gate = threading.Event()
        self.blocked = threading.Condition()
        self.waiting = 0

    def sleep(self, seconds):
        if seconds >= 10:
            with self.blocked:
                self.waiting += 1
                self.blocked.notify_all()
            self.gate.wait(20)
        super().sleep(seconds)


def test_secondary_answer_stops_every_worker_until_retry_after(tmp_path):
    # More repos than workers, so every worker is busy when the answer comes.
    store = synthetic_ecosystem(orgs=1, repos=12, issues=120, comments=60,
                                releases_per_repo=1, commits_per_repo=2)
    clock = GatedClock()
    result = []
    with Emulator(store, tokens={TOKEN}, clock=clock) as emu:
        emu.add_fault("secondary", path_contains="synthetic-repo-2/pulls", retry_after=30)
        run = threading.Thread(target=lambda: result.append(
            paced_harvest(tmp_path, emu, clock, Config(orgs=["synthetic-org-1"]))))
        run.start()
        try:
            with clock.blocked:  # all four workers wait out the pause, not just the one answered
                assert clock.blocked.wait_for(lambda: clock.waiting == 4, timeout=15)
            stopped = len(emu.requests)
        finally:
            clock.gate.set()
            run.join(30)
        log = list(emu.requests)
    summary, client = result[0]
    assert summary.status == "ok", summary.errors  # one answer, waited out: not an error
    assert client.stats.secondary_limits == 1 and client.pacer.episodes == 1
    answer = next(r for r in log if r.secondary)
    assert answer.path.endswith("synthetic-repo-2/pulls")
    # Nothing went out before retry-after had passed, from any worker.
    resumed = log[stopped:]
    assert len(resumed) > 20 and min(r.at for r in resumed) >= answer.at + 30
    assert len({r.path.split("/")[3] for r in resumed}) >= 4
    assert client.pacer.rate == 360  # restarted at half the rate


def test_repeated_secondary_answers_are_the_runs_error(tmp_path):
    clock = FakeClock()
    with Emulator(load_facts(), tokens={TOKEN}, clock=clock) as emu:
        emu.add_fault("secondary", path_contains="/releases", retry_after=5, count=2)
        summary, client = paced_harvest(tmp_path, emu, clock, Config(repos=["ines/juniper"]),
                                        concurrency=1)
    assert summary.status == "partial" and summary.exit_code == 1
    assert [e.message for e in summary.errors] == [client.pacer.repeated()]
    assert "secondary rate limit 2 times" in summary.errors[0].message


# -- configuration -------------------------------------------------------------
def test_max_rate_config_key():
    assert parse_config("github:\n  max_rate: 300\n").max_rate == 300
    assert parse_config("github:\n  max_rate: 0\n").max_rate == 0
    assert parse_config("github:\n  orgs: [jupyter]\n").max_rate is None
    for bad in ("-1", "fast", "yes", "1.5"):
        with pytest.raises(ConfigError, match="github.max_rate"):
            parse_config(f"github:\n  max_rate: {bad}\n")


def test_max_rate_option_is_validated(tmp_path):
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "harvest", "--db", str(tmp_path / "t.db"),
         "--max-rate", "-1"], capture_output=True, text=True, timeout=60, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)})
    assert result.returncode == 2 and "--max-rate" in result.stderr
    assert not (tmp_path / "t.db").exists()
