"""Benchmark: what following 500 packages on PyPI, npm and conda-forge costs per run.

    python bench/registries.py                       # 250 PyPI, 150 npm, 100 conda-forge
    python bench/registries.py --pypi 1000 --versions 40

Runs tracker.registries.run.harvest_packages against the loopback registry
emulator (tracker/emulator/registries.py), every package with --versions
versions. Three runs: the first harvest; a quiet run (nothing changed: PyPI's
changelog says so in one XML-RPC call, npm and conda-forge answer 304); a run
after 5 new versions per registry. Pacing runs on a simulated clock, so nothing
waits: "wall" is the real time over loopback, "paced" the time the default per-host
rate (60 requests a minute; XML-RPC at most one a second) would make the run take,
registries in parallel hosts. Prints requests, 304s, full documents and bytes per
registry. A fourth run points every registry at a closed port (an outage): each
host is given up after three packages failed in a row (tracker.sources.http.
BREAK_AFTER), so "simulated" (the run's time on the paced clock, retries' backoff
included) stays short. Nothing is asserted.
"""

import argparse
import socket
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tracker.config import Config  # noqa: E402
from tracker.db import open_db  # noqa: E402
from tracker.emulator.registries import RegistryServer  # noqa: E402
from tracker.registries.run import REGISTRIES, harvest_packages  # noqa: E402
from tracker.registries.settings import DEFAULT_RATE, Packages  # noqa: E402
from tracker.sources.http import Pacing  # noqa: E402

NOW = datetime(2026, 6, 15, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.t = 0.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def fill(reg, pypi, npm, conda, versions):
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for i in range(pypi):
        for v in range(versions):
            at = start + timedelta(days=7 * v, hours=i % 24)
            reg.add_pypi(f"bench-py-{i:04d}", f"1.{v}.0", at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                         project_urls={"Source": f"https://github.com/bench/py-{i}"})
    for i in range(npm):
        for v in range(versions):
            at = start + timedelta(days=7 * v, hours=i % 24)
            reg.add_npm(f"@bench/js-{i:04d}", f"1.{v}.0", at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        repository=f"github:bench/js-{i}")
    for i in range(conda):
        for v in range(versions):
            at = start + timedelta(days=7 * v, hours=1 + i % 24)
            reg.add_conda(f"bench-conda-{i:04d}", f"1.{v}.0",
                          at.strftime("%Y-%m-%d %H:%M:%S.%f+00:00"), subdirs=("noarch",))


def run(db, reg, config, now, label):
    clock = Clock()
    seconds = 60.0 / DEFAULT_RATE
    paced = {"pacing": Pacing(default=seconds, clock=clock.now, sleep=clock.sleep),
             "xmlrpc_pacing": Pacing(default=max(seconds, 1.0), clock=clock.now,
                                     sleep=clock.sleep)}
    before = len(reg.requests)
    started = time.perf_counter()
    with httpx.Client(timeout=httpx.Timeout(30.0)) as client:
        result = harvest_packages(db, config, client, now=now, environ={}, **paced)
    wall = time.perf_counter() - started
    hosts = {r: c.requests * seconds for r, c in result.costs.items()}
    print(f"{label}: {result.requests} requests ({result.not_modified} answered 304), "
          f"wall {wall:.2f} s over loopback, paced ~{max(hosts.values()):.0f} s "
          f"(one host per registry), simulated {clock.t:.0f} s, {len(result.problems)} errors; "
          f"{result.counts.get('package_releases', 0)} release rows written")
    for registry in REGISTRIES:
        c = result.costs[registry]
        posts = len([r for r in reg.requests[before:] if r.method == "POST"]) \
            if registry == "pypi" else 0
        print(f"  {registry:12} {c.requests:5} requests ({posts} XML-RPC), "
              f"{c.not_modified:4} x 304, {result.fetched[registry]:4} full documents, "
              f"{c.bytes / 1e6:6.2f} MB")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pypi", type=int, default=250)
    parser.add_argument("--npm", type=int, default=150)
    parser.add_argument("--conda", type=int, default=100)
    parser.add_argument("--versions", type=int, default=20)
    args = parser.parse_args(argv)
    with RegistryServer() as reg:
        t = time.perf_counter()
        fill(reg, args.pypi, args.npm, args.conda, args.versions)
        total = args.pypi + args.npm + args.conda
        print(f"{total} packages ({args.pypi} PyPI, {args.npm} npm, {args.conda} conda-forge), "
              f"{args.versions} versions each; emulator filled in {time.perf_counter() - t:.1f} s;"
              f" load average {os.getloadavg()[0]:.2f}")
        config = Config(packages=Packages(
            pypi=[f"bench-py-{i:04d}" for i in range(args.pypi)],
            npm=[f"@bench/js-{i:04d}" for i in range(args.npm)],
            conda_forge=[f"bench-conda-{i:04d}" for i in range(args.conda)],
            pypi_url=reg.url, npm_url=reg.url, anaconda_url=reg.url))
        db = open_db(":memory:")
        run(db, reg, config, NOW, "first harvest")
        run(db, reg, config, NOW + timedelta(hours=1), "quiet run")
        for i in range(5):
            reg.add_pypi(f"bench-py-{i:04d}", "9.0.0", "2026-06-15T10:00:00Z")
            reg.add_npm(f"@bench/js-{i:04d}", "9.0.0", "2026-06-15T10:00:00.000Z")
            reg.add_conda(f"bench-conda-{i:04d}", "9.0.0", "2026-06-15 10:00:00+00:00")
        run(db, reg, config, NOW + timedelta(hours=2), "after 5 new versions per registry")
        for key in ("pypi_url", "npm_url", "anaconda_url"):  # three hosts, all down
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                setattr(config.packages, key, f"http://127.0.0.1:{sock.getsockname()[1]}")
        run(db, reg, config, NOW + timedelta(hours=3), "every registry refusing connections")
        print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
