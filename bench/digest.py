"""Time building one week's digest on the 1M-issue benchmark database.

    python bench/digest.py [DB] [--week 2026-W26] [--repeat 5]

DB defaults to bench/big.db and is built with bench/bigdb.py when missing
(1M issues, 3M comments, 50k releases, 3000 repos). The target is at most
1 s per week, end to end (every section's SQL, rendering, the row write).
Prints the first (cold-ish) and best of --repeat runs, then the time of
each section so a regression points at its query.
"""

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import sqlite_utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigdb import END, build_big_db  # noqa: E402
from tracker.digest import sections  # noqa: E402
from tracker.digest import build_digests, week_bounds, week_id  # noqa: E402
from tracker.safe import register_sql_functions  # noqa: E402

TARGET = 1.0


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", nargs="?", default="bench/big.db")
    parser.add_argument("--week", default=week_id(END.date()),
                        help="ISO week (default: the benchmark's last full week)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    if not Path(args.db).exists():
        print(f"building {args.db} (one-off, a few minutes)")
        build_big_db(args.db)
    # As built (bigdb.py applies tracker.db's schema and indexes): no
    # ensure_schema here, so a benchmark never changes the indexes it measures.
    db = sqlite_utils.Database(args.db)
    register_sql_functions(db.conn)  # the views and canned queries call them
    indexes = [r[0] for r in db.execute(
        "select name from sqlite_master where type = 'index' and tbl_name in "
        "('issues', 'issue_comments') and name not like 'sqlite_%' order by name")]
    counts = {t: db[t].count for t in ("issues", "issue_comments", "releases", "repos")}
    print(f"{args.db}: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    print("indexes: " + ", ".join(indexes))

    runs = [timed(build_digests, db, args.week)[0] for _ in range(args.repeat)]
    first, best, median = runs[0], min(runs), statistics.median(runs)
    verdict = "ok" if median <= TARGET else f"OVER the {TARGET:.0f} s target"
    print(f"digest {args.week}: first {first:.3f} s, best {best:.3f} s, "
          f"median {median:.3f} s of {len(runs)} ({verdict})")

    start, end = week_bounds(args.week)
    monday = date.fromisoformat(start)
    parts = {name: getattr(sections, name) for name in (
        "header", "daily_activity", "releases", "new_repos", "most_discussed",
        "most_reacted", "merged_prs", "first_timers", "posts")}
    print("per section (s):")
    for name, fn in parts.items():
        print(f"  {name:<16} {timed(fn, db, start, end)[0]:.3f}")
    total = 0.0
    for back in range(5):  # this week and the four before it, as collect() does
        s = (monday - timedelta(7 * back)).isoformat()
        e = (monday - timedelta(7 * (back - 1))).isoformat()
        total += timed(sections.metrics, db, s, e)[0]
    print(f"  {'metrics x5':<16} {total:.3f}")
    return 0 if median <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
