"""Time the dashboard's whole set of chart requests through Datasette.

    python bench/dashboard.py [--db bench/big.db] [--runs 5] [--org ORG] [--week WEEK]

Sends, one after another as Datasette's client, every request the
ecosystem-pulse page makes (each filter's options and each chart's data,
``/DB.json?sql=...&org=&week=&_shape=objects`` as datasette-dashboards'
JavaScript does), and prints per request the median time and, per round,
the sum of all of them beside the load average. The target (#26) is at most
300 ms for the whole set, median of the rounds; exits 1 when it is missed.
The database must exist (bench/bigdb.py builds it); it is opened read-only.
"""

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tracker.publish import make_datasette  # noqa: E402  (before the plugin: see register())
from bench.bigdb import bring_up_to_date  # noqa: E402
from bench.queries import load_average, workload  # noqa: E402

TARGET_MS = 300


def chart_requests(db_name, org="", week=""):
    """[(name, params)]: what the dashboard page asks Datasette for."""
    return [(name, {"sql": sql, "org": org, "week": week, "_shape": "objects"})
            for name, sql, _params in workload(db_name) if "/" in name]


async def time_rounds(ds, db_name, requests, runs):
    """{name: [ms per round]} and [total ms per round]."""
    times, totals = {name: [] for name, _ in requests}, []
    cpu, cpu_totals = {name: [] for name, _ in requests}, []
    for _ in range(runs):
        total = cpu_total = 0.0
        for name, params in requests:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = await ds.client.get(f"/{db_name}.json", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            elapsed_cpu = (time.process_time() - started_cpu) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}: {response.text[:300]}")
            times[name].append(elapsed)
            cpu[name].append(elapsed_cpu)
            total += elapsed
            cpu_total += elapsed_cpu
        totals.append(total)
        cpu_totals.append(cpu_total)
    return times, totals, cpu, cpu_totals


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="bench/big.db")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--org", default="", help="the Organisation filter (default: all)")
    parser.add_argument("--week", default="", help="the week filter (default: latest complete)")
    args = parser.parse_args(argv)
    db_path = Path(args.db)
    if not db_path.exists():
        parser.error(f"{db_path} does not exist: build it with bench/bigdb.py {db_path}")
    bring_up_to_date(db_path)

    ds = make_datasette(db_path, settings={"sql_time_limit_ms": 60_000})
    requests = chart_requests(db_path.stem, args.org, args.week)
    print(f"{db_path}: {len(requests)} dashboard requests through Datasette, "
          f"median of {args.runs} rounds; target {TARGET_MS} ms for all of them")
    print(f"load average before: {load_average()}\n")
    times, totals, cpu, cpu_totals = asyncio.run(
        time_rounds(ds, db_path.stem, requests, args.runs))
    # CPU ms: this process's (Datasette's threads included), less inflated by load.
    print(f"{'request':40} {'median ms':>10} {'min ms':>8} {'cpu ms':>8}")
    for name, values in times.items():
        print(f"{name:40} {statistics.median(values):10.1f} {min(values):8.1f} "
              f"{statistics.median(cpu[name]):8.1f}")
    median = statistics.median(totals)
    print(f"{'all requests (one round)':40} {median:10.1f} {min(totals):8.1f} "
          f"{statistics.median(cpu_totals):8.1f}")
    print(f"\nload average after: {load_average()}")
    if median > TARGET_MS:
        print(f"the dashboard's requests take {median:.0f} ms, over {TARGET_MS} ms")
        return 1
    print(f"the dashboard's requests take {median:.0f} ms, within {TARGET_MS} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
