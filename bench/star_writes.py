"""What the stars/forks summary triggers (#26, tracker/star_summaries.py) cost a writer.

    python bench/star_writes.py [--stars 200000] [--forks 20000] [--repos 1000] [--weeks 150]

Writes the same synthetic rows (marked synthetic) into two fresh databases, one
with the triggers and one without, through sqlite-utils' upsert as the harvest
does: stars and forks in pages of 100 (a listing walk), then one repo_stats
snapshot per repository per harvest for ``--weeks`` weekly harvests, then the
same stars again unchanged (the next walk's re-upsert: the WHEN clause), then
an unstar of 1 %. Prints seconds per phase for both (best of two runs each)
and the load average; checks that the summaries equal a rebuild from scratch.
Nothing is asserted.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tracker import star_summaries  # noqa: E402
from tracker.db import open_db  # noqa: E402

START = datetime(2023, 1, 2, tzinfo=timezone.utc)


def stamp(seconds):
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def workload(args):
    rng = random.Random(1)
    span = args.weeks * 7 * 86400
    stars = [{"user": u, "repo": rng.randrange(args.repos), "starred_at": stamp(rng.randrange(span)),
              "unstarred_at": None, "seen_walk": 1, "synthetic": 1} for u in range(args.stars)]
    forks = [{"id": f, "repo": rng.randrange(args.repos), "created_at": stamp(rng.randrange(span)),
              "deleted_at": None, "seen_walk": 1, "synthetic": 1} for f in range(args.forks)]
    snapshots = [[{"repo": r, "harvested_at": stamp(w * 7 * 86400 + 3600 + r),
                   "stargazers_count": w * 3 + r % 17} for r in range(args.repos)]
                 for w in range(args.weeks)]
    return stars, forks, snapshots


def timed(results, name, fn):
    started = time.perf_counter()
    fn()
    results[name] = time.perf_counter() - started


def run(path, triggers, stars, forks, snapshots):
    db = open_db(str(path))
    if not triggers:
        star_summaries.drop_triggers(db)
    out = {}

    def pages(table, rows, pk):
        for i in range(0, len(rows), 100):
            with db.conn:
                db[table].upsert_all(rows[i:i + 100], pk=pk)

    timed(out, "stars (listing walk)", lambda: pages("stars", stars, ("user", "repo")))
    timed(out, "forks (listing walk)", lambda: pages("forks", forks, "id"))

    def harvests():
        for rows in snapshots:
            with db.conn:
                db["repo_stats"].upsert_all(rows, pk=("repo", "harvested_at"))
    timed(out, "repo_stats (weekly harvests)", harvests)
    again = [{**s, "seen_walk": 2} for s in stars]
    timed(out, "stars again, unchanged", lambda: pages("stars", again, ("user", "repo")))
    gone = [{**s, "unstarred_at": stamp(10**8)} for s in stars[::100]]
    timed(out, "unstar 1 %", lambda: pages("stars", gone, ("user", "repo")))
    if triggers:
        kept = {t: sorted(db.execute(f"select * from {t}").fetchall()) for t in star_summaries.TABLES}
        with db.conn:
            star_summaries.rebuild(db)
        fresh = {t: sorted(db.execute(f"select * from {t}").fetchall())
                 for t in star_summaries.TABLES}
        kept["history_listed_weekly"] = [r for r in kept["history_listed_weekly"] if r[3]]
        out["equal to a rebuild"] = kept == fresh
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stars", type=int, default=200_000)
    parser.add_argument("--forks", type=int, default=20_000)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=150)
    args = parser.parse_args()
    rows = workload(args)
    print(f"{args.stars:,} stars, {args.forks:,} forks, {args.repos:,} repos x {args.weeks} "
          f"weekly snapshots (synthetic); load average {os.getloadavg()[0]:.2f}")
    # Twice each, in the order without, with, with, without, the best of each
    # kept: the machine's load changes under a benchmark this long.
    runs = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for i, triggers in enumerate((False, True, True, False)):
            runs[triggers].append(run(Path(tmp) / f"{i}.db", triggers, *rows))
    without, with_ = ({k: min(r[k] for r in runs[t]) for k in runs[t][0]} for t in (False, True))
    print(f"{'phase (best of 2)':32} {'without s':>10} {'with s':>10}")
    for name, seconds in without.items():
        print(f"{name:32} {seconds:>10.2f} {with_[name]:>10.2f}")
    print(f"summaries equal to a rebuild: {with_['equal to a rebuild']}; "
          f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
