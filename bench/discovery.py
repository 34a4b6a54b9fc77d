"""Benchmark: discovering N repos over topics, then a quiet re-run, against the emulator.

    python bench/discovery.py                      # 5,000 repos over 3 topics, light tier
    python bench/discovery.py --repos 20000 --tier none

Runs the real harvest (tracker.harvest.run.run_harvest: discovery, then the light
tier) in-process against an in-process emulator holding only synthetic repos
outside any watched org. The search budget is GitHub's (30 a minute); its waits
are not slept but added up on a simulated clock shared with the emulator's
buckets, and printed as "waited", the time GitHub would make the run take.
Prints, per run: search requests, core requests (sent, counted against the
rate limit, 304s), repos found, wall time. Nothing is asserted.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.config import Config, Discovery  # noqa: E402
from tracker.emulator import Emulator, Store, add_discoverable_repos  # noqa: E402
from tracker.github import GitHubClient  # noqa: E402
from tracker.harvest.run import Progress, run_harvest  # noqa: E402

TOKEN = "bench-token"
TOPICS = ["jupyterlab-extension", "jupyter-kernel", "ipywidgets"]


class Clock:
    def __init__(self):
        self.t, self.waited = time.time(), 0.0

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds
        self.waited += seconds


def one_run(db_path, emu, clock, config, label):
    emu.reset_log()
    started = time.monotonic()
    waited = clock.waited
    with GitHubClient(TOKEN, emu.url, clock=clock, sleep=clock.sleep) as client:
        summary = run_harvest(str(db_path), config, client=client, digest=False,
                              progress=Progress(quiet=True))
    seconds = time.monotonic() - started
    log = list(emu.requests)
    search = [r for r in log if r.path.startswith("/search/")]
    core = [r for r in log if not r.path.startswith("/search/")]
    print(f"{label:<10} search requests {len(search):>4} (over the limit: "
          f"{sum(1 for r in search if r.status in (403, 429))}), waited "
          f"{clock.waited - waited:>5.0f}s (simulated: search resets, pacing) | "
          f"core requests {len(core):>5} sent, "
          f"{sum(1 for r in core if r.counted):>5} counted, "
          f"{sum(1 for r in core if r.status == 304):>5} not modified | "
          f"new repos {summary.counts.get('discovered', 0):>5} | status {summary.status} | "
          f"{seconds:.1f}s wall")
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=5000)
    parser.add_argument("--tier", choices=("none", "light", "full"), default="light")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    store = Store()
    add_discoverable_repos(store, args.repos, TOPICS, seed=args.seed, releases=1)
    per_topic = {t: sum(1 for r in store.repos.values() if t in r.topics) for t in TOPICS}
    print(f"{args.repos} synthetic repos; matching per topic: {per_topic}; tier {args.tier}")
    config = Config(topics=TOPICS, discovery=Discovery(tier=args.tier))
    clock = Clock()
    # One simulated clock for the client (its pacer and search waits) and the emulator
    # (rate limits, the 900-a-minute secondary limit): waits are added up, not slept.
    with tempfile.TemporaryDirectory() as tmp, Emulator(store, tokens={TOKEN},
                                                        clock=clock) as emu:
        emu.limits.clock = clock
        db_path = Path(tmp) / "bench.db"
        one_run(db_path, emu, clock, config, "first")
        clock.t += 3600  # an hour later, nothing new
        one_run(db_path, emu, clock, config, "quiet")
        clock.t += 3600
        with store.lock:
            add_discoverable_repos(store, 3, TOPICS[:1], seed=args.seed + 1, releases=1,
                                   start=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                       time.gmtime(clock.t - 600)),
                                   end=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                     time.gmtime(clock.t - 60)),
                                   first_id=790_000_000)
        one_run(db_path, emu, clock, config, "3 new")
        recheck = Config(topics=TOPICS, discovery=Discovery(tier=args.tier, releases_every_hours=0))
        one_run(db_path, emu, clock, recheck, "re-check")


if __name__ == "__main__":
    main()
