"""Benchmark: a first harvest cut into cron runs by the rate limit, against one run.

    python bench/resume.py                       # 50 repos / 20k issues / 41k comments, budget 300
    python bench/resume.py --budget 150 --concurrency 8

One uninterrupted `tracker harvest` gives the baseline of counted requests.
Then a fresh database is harvested by runs with `--max-wait 0` and a budget of
``--budget`` counted requests per window, refilled between runs (what a cron
job sees when the first harvest needs more than one window), until a run
exits 0. Prints each run, the runs needed, total counted requests and the waste
against the baseline (work done twice). Each run is a subprocess against an
in-process emulator. Nothing is asserted; the target is waste <= 5 %.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.emulator import Emulator, synthetic_ecosystem  # noqa: E402

TOKEN = "bench-token"


def harvest(emu, db_path, config, args, label):
    emu.reset_log()
    cmd = [sys.executable, "-m", "tracker", "harvest", "--db", str(db_path), "--config",
           str(config), "--no-digest", "--quiet", "--max-wait", "0",
           "--concurrency", str(args.concurrency)]
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url,
           "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    counted = emu.counted_requests()
    print(f"{label:<22} exit {result.returncode:>3} {counted:>8} counted "
          f"{len(emu.requests):>8} requests {time.monotonic() - start:>7.1f}s", flush=True)
    if result.returncode not in (0, 4):
        print(result.stdout[-1500:], result.stderr[-1500:], file=sys.stderr)
    return result.returncode, counted


def rows(db_path):
    db = sqlite_utils.Database(db_path)
    return {t: db[t].count for t in ("repos", "issues", "issue_comments", "releases", "commits")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--issues", type=int, default=20000)
    parser.add_argument("--comments", type=int, default=41000)
    parser.add_argument("--budget", type=int, default=300, help="counted requests per window")
    parser.add_argument("--latency", type=float, default=0.01, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-runs", type=int, default=30)
    args = parser.parse_args()

    store = synthetic_ecosystem(orgs=args.orgs, repos=args.repos, issues=args.issues,
                                comments=args.comments, seed=0)
    orgs = sorted({r.owner.login for r in store.repos.values()})
    tmp = Path(tempfile.mkdtemp(prefix="bench-resume-"))
    config = tmp / "tracker.yml"
    config.write_text("github:\n  orgs: [" + ", ".join(orgs) + "]\n")
    print(f"synthetic ecosystem: {args.orgs} orgs, {args.repos} repos, {args.issues} issues, "
          f"{args.comments} comments; budget {args.budget}/window; concurrency {args.concurrency}")
    with Emulator(store, tokens={TOKEN}, latency=args.latency, core_limit=10**7) as emu:
        _, baseline = harvest(emu, tmp / "one.db", config, args, "one uninterrupted run")
        total, runs, code = 0, 0, None
        while code != 0 and runs < args.max_runs:
            emu.set_rate_limit(remaining=args.budget, reset_in=3600)  # the window refills
            runs += 1
            code, counted = harvest(emu, tmp / "cron.db", config, args, f"cron run {runs}")
            total += counted
    same = rows(tmp / "one.db") == rows(tmp / "cron.db")
    waste = total - baseline
    print(f"\nruns: {runs}; counted requests: {total} vs {baseline} in one run; "
          f"waste {waste} ({waste / baseline:.1%}); same rows as one run: {same}")
    print(f"databases in {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()
