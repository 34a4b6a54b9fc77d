"""Time the weekly digest on the 1M-issue benchmark database.

    python bench/digest.py [DB] [--week 2026-W26] [--repeat 5] [--all [--all-parts]]

DB defaults to bench/big.db and is built with bench/bigdb.py when missing
(1M issues, 3M comments, 50k releases, 3000 repos). It writes digest rows:
run it on a copy of a database you keep. Targets (#26): one week's digest
at most 0.3 s end to end (every section's SQL, rendering, the row write),
median of --repeat; with --all, ``tracker digest --all`` over the three
years of weeks the database holds at most 60 s. Prints the load average
beside the figures, this process's CPU seconds beside the wall time (another
job on a shared machine inflates the wall time far more), and the CPU time of
each part of a build (each section kind, the headline numbers, what a build
of many weeks reads once, rendering), so a regression points at its query;
exits 1 when a target is missed.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlite_utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigdb import END, bring_up_to_date, build_big_db  # noqa: E402
from tracker.digest import build as build_module, compose, render  # noqa: E402
from tracker.digest import build_digests, week_id  # noqa: E402
from tracker.safe import register_sql_functions  # noqa: E402

TARGET = 0.3  # s, one week
ALL_TARGET = 60.0  # s, every week (--all)


CPU = {"s": 0.0}  # this process's CPU seconds in the last timed() call


def timed(fn, *args, **kwargs):
    """(wall seconds, result); CPU["s"] gets the CPU seconds, which another job on
    the shared machine inflates far less than the wall time (the digest's SQL
    runs in this process)."""
    cpu, started = time.process_time(), time.perf_counter()
    result = fn(*args, **kwargs)
    CPU["s"] = time.process_time() - cpu
    return time.perf_counter() - started, result


def breakdown(db, week, now, **options):
    """CPU seconds per part of one week's build: each section kind (with its rank),
    the headline numbers, the footer, the daily chart, rendering and the row
    write. The functions are wrapped for this one build, then put back."""
    spent = {}

    def wrap(owner, attr, label):
        fn = getattr(owner, attr) if not isinstance(owner, dict) else owner[attr]

        def timed_fn(*args, **kwargs):
            name = label(*args, **kwargs)
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - started
        if isinstance(owner, dict):
            owner[attr] = timed_fn
        else:
            setattr(owner, attr, timed_fn)
        return owner, attr, fn

    def kind_label(kind):
        return lambda db, start, end, selector, ctx: (
            f"section {kind}" + (f":{selector['rank']}" if selector.get("rank") else ""))

    wrapped = [wrap(compose.KIND_FUNCTIONS, kind, kind_label(kind))
               for kind in list(compose.KIND_FUNCTIONS)]
    wrapped += [wrap(build_module.sections, "metrics", lambda *a, **k: "metrics (headline counts)"),
                wrap(compose, "footer", lambda *a, **k: "footer (harvest details)"),
                wrap(compose.sections, "daily_activity", lambda *a, **k: "daily chart"),
                wrap(render, "render_html", lambda *a, **k: "render html"),
                wrap(render, "render_md", lambda *a, **k: "render markdown"),
                wrap(build_module, "save_digest", lambda *a, **k: "save row"),
                wrap(build_module.shared, "first_weeks", lambda *a, **k: "read once: first weeks"),
                wrap(build_module.shared, "bots", lambda *a, **k: "read once: bots")]
    try:
        started = time.process_time()
        built = build_digests(db, week, now=now, **options)
        total = time.process_time() - started
    finally:
        for owner, attr, fn in reversed(wrapped):
            if isinstance(owner, dict):
                owner[attr] = fn
            else:
                setattr(owner, attr, fn)
    spent["(whole build)"] = total
    spent["(other)"] = total - sum(v for k, v in spent.items() if not k.startswith("("))
    return spent, built


def show(spent):
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<32} {seconds:.3f}")


def load_average():
    try:
        return " ".join(f"{n:.2f}" for n in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", nargs="?", default="bench/big.db")
    parser.add_argument("--week", default=week_id(END.date()),
                        help="ISO week (default: the benchmark's last full week)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--all", action="store_true",
                        help="also time building every week's digest (tracker digest --all)")
    parser.add_argument("--all-parts", action="store_true",
                        help="with --all, build every week again and print each part's time")
    args = parser.parse_args(argv)

    if not Path(args.db).exists():
        print(f"building {args.db} (one-off, a few minutes)", file=sys.stderr)
        build_big_db(args.db)
    # Brought up to the current schema once (a file from an older checkout
    # lacks the summaries the digest reads), then opened as it is.
    bring_up_to_date(args.db)
    db = sqlite_utils.Database(args.db)
    register_sql_functions(db.conn)  # the views and canned queries call them
    counts = {t: db[t].count for t in ("issues", "issue_comments", "releases", "repos")}
    print(f"{args.db}: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    now = END + timedelta(days=1)  # the benchmark's data ends here: weeks after it are empty

    runs, cpus = [], []
    for _ in range(args.repeat):
        runs.append(timed(build_digests, db, args.week, now=now)[0])
        cpus.append(CPU["s"])
    first, best, median = runs[0], min(runs), statistics.median(runs)
    missed = []
    if median > TARGET:
        missed.append(f"one week's digest {median:.3f} s > {TARGET} s")
    print(f"digest {args.week}: first {first:.3f} s, best {best:.3f} s, "
          f"median {median:.3f} s of {len(runs)} (target {TARGET} s); "
          f"CPU median {statistics.median(cpus):.3f} s")

    print(f"per part of one build of {args.week} (CPU s; what compose and build_digests call):")
    show(breakdown(db, args.week, now)[0])

    if args.all:
        seconds, weeks = timed(build_digests, db, all_weeks=True, now=now)
        cpu = CPU["s"]
        print(f"digest --all: {len(weeks)} weeks ({weeks[0]} to {weeks[-1]}) in {seconds:.1f} s, "
              f"{seconds / len(weeks):.3f} s a week (target {ALL_TARGET:.0f} s); "
              f"CPU {cpu:.1f} s")
        if seconds > ALL_TARGET:
            missed.append(f"digest --all {seconds:.1f} s > {ALL_TARGET:.0f} s")
        if args.all_parts:
            print("per part of a second --all (CPU s, all weeks):")
            show(breakdown(db, None, now, all_weeks=True)[0])
    print(f"load average after: {load_average()}")
    if missed:
        print("missed: " + "; ".join(missed))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
