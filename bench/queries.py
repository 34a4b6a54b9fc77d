"""Time every canned query (and dashboard chart) on a big synthetic database.

    python bench/queries.py [--db bench/big.db] [--runs 5] [--datasette] [--only NAME ...]
                            [--index TABLE:COL,COL ...]

Builds the database with bench/bigdb.py when it does not exist (a few
minutes: 1,000,000 issues, 3,000,000 comments, 50,000 releases, 3,000 repos),
or brings an existing one up to tracker.db's schema (it writes the file:
give it a copy of a benchmark file you want to keep; so an index added to
INDEXES takes effect; --index tries one that is not there yet), then runs
each query with the parameter defaults of its sidecar and prints the median
time beside the load average. By default the SQL runs through plain sqlite3,
read-only, exactly as Datasette sends it: the same SQL functions (the
plugin's ``register_connection_functions``), the request parameters
Datasette fills in (``:_header_host``, ...), and at most the rows it
reads (max_returned_rows + 1; the rows column says how many were read);
--datasette goes through Datasette's own client instead (adds JSON
rendering). Exits 1, naming them,
if any canned query or chart misses the target median.
"""

import argparse
import asyncio
import os
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bigdb import bring_up_to_date, build_big_db  # noqa: E402
from tracker.db import open_db  # noqa: E402
from tracker.datasette_plugin import register_connection_functions  # noqa: E402
from tracker.publish import build_config, load_queries, param_defaults  # noqa: E402

TARGET_MS = 100  # #26: every canned query and chart, median
# The request headers Datasette's magic parameters (:_header_NAME) read on a
# plain local request: a Host, nothing else.
HEADERS = {"host": "localhost:8001"}


def workload(db_name):
    """[(name, sql, params)]: canned queries, then the dashboard's charts and filters."""
    defaults = param_defaults()
    items = [(name, q["sql"], defaults.get(name, {})) for name, q in load_queries().items()]
    metadata, _settings = build_config(db_name)
    for slug, dashboard in metadata["plugins"]["datasette-dashboards"].items():
        for kind in ("filters", "charts"):
            for key, item in (dashboard.get(kind) or {}).items():
                if "query" in item:
                    # The dashboard sends its filters; blank means "all orgs, latest week".
                    items.append((f"{slug}/{key}", item["query"], {"org": "", "week": ""}))
    return items


def named_params(sql, params):
    """The parameters the SQL uses (sqlite3 rejects extra names), Datasette's
    magic request parameters included (``:_header_host``; a header not sent is '')."""
    found = {k: v for k, v in params.items() if f":{k}" in sql}
    for name in set(re.findall(r":_header_(\w+)", sql)):
        found[f"_header_{name}"] = HEADERS.get(name.replace("_", "-"), "")
    return found


def load_average():
    """'1.23 0.98 0.75' (1, 5, 15 minutes), or 'n/a' where the OS has none."""
    try:
        return " ".join(f"{n:.2f}" for n in os.getloadavg())
    except OSError:
        return "n/a"


def max_returned_rows(db_name):
    """The rows Datasette reads of a query: max_returned_rows + 1 (the + 1 tells it
    the answer was truncated), with the project's settings."""
    from datasette.app import SETTINGS

    _metadata, settings = build_config(db_name)
    default = next(s.default for s in SETTINGS if s.name == "max_returned_rows")
    return settings.get("max_returned_rows", default) + 1


def time_sqlite(db_path, items, runs):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.execute("pragma query_only = 1")
    register_connection_functions(conn)  # xml_text(), tracker_base_url(), ...: as served
    # As Datasette reads a canned query or chart (execute(..., truncate=True)):
    # the rows it shows, not every row the SQL could give.
    limit = max_returned_rows(Path(db_path).stem)
    for name, sql, params in items:
        params = named_params(sql, params)
        times, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            rows = conn.execute(sql, params).fetchmany(limit)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        yield name, times, len(rows), cpu


def time_datasette(db_path, items, runs):
    from tracker.publish import make_datasette

    ds = make_datasette(db_path, settings={"sql_time_limit_ms": 60_000})
    db_name = Path(db_path).stem

    async def one(name, sql, params):
        times, cpu, rows = [], [], 0
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            if "/" in name:
                response = await ds.client.get(
                    f"/{db_name}.json", params={"sql": sql, "_shape": "array", **params}
                )
            else:
                response = await ds.client.get(
                    f"/{db_name}/{name}.json", params={"_shape": "array", **params}
                )
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            response.raise_for_status()
            rows = len(response.json())
        return name, times, rows, cpu

    async def main():
        return [await one(*item) for item in items]

    yield from asyncio.run(main())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="bench/big.db", help="default: %(default)s")
    parser.add_argument("--runs", type=int, default=5, help="runs a query (default: %(default)s)")
    parser.add_argument("--datasette", action="store_true", help="Time through Datasette.")
    parser.add_argument("--only", nargs="*", help="Only these queries or charts.")
    parser.add_argument("--index", action="append", default=[], metavar="TABLE:COL,COL",
                        help="Create this index in the bench database first (repeatable).")
    args = parser.parse_args(argv)

    db_path = Path(args.db)
    if not db_path.exists():
        print(f"Building {db_path} (synthetic, a few minutes)...", file=sys.stderr)
        build_big_db(db_path)
    bring_up_to_date(db_path)
    db = open_db(str(db_path))
    for spec in args.index:
        table, _, columns = spec.partition(":")
        print(f"index {table} ({columns})", file=sys.stderr)
        db[table].create_index(columns.split(","), if_not_exists=True)
    db.close()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    counts = {t: conn.execute(f"select count(*) from [{t}]").fetchone()[0]
              for t in ("issues", "issue_comments", "releases", "repos")}
    conn.close()
    print(f"{db_path}: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    if args.datasette:
        import datasette.version

        via = f"Datasette {datasette.version.__version__}'s client (JSON), SQLite"
    else:
        via = "sqlite3, SQLite"
    print(f"median of {args.runs} runs via {via} {sqlite3.sqlite_version}, default parameters;"
          f" target {TARGET_MS} ms")
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)\n")

    items = workload(db_path.stem)
    if args.only:
        items = [item for item in items if item[0] in args.only]
    timer = time_datasette if args.datasette else time_sqlite
    slow = []
    # CPU ms (this process's, Datasette's threads included) beside the wall
    # time: on a shared machine the load inflates the wall time, much less the CPU.
    print(f"{'query':40} {'median ms':>10} {'min ms':>8} {'rows':>6} {'cpu ms':>8}")
    for name, times, rows, cpu in timer(db_path, items, args.runs):
        median = statistics.median(times)
        flag = ""
        if median > TARGET_MS:
            flag = "  SLOW"
            slow.append(name)
        print(f"{name:40} {median:10.1f} {min(times):8.1f} {rows:6} "
              f"{statistics.median(cpu):8.1f}{flag}", flush=True)
    print(f"\nload average after: {load_average()}")
    if slow:
        print(f"{len(slow)} of {len(items)} over {TARGET_MS} ms: " + ", ".join(slow))
        return 1
    print(f"all {len(items)} within {TARGET_MS} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
