"""Greedy SQL against a real server process: status, seconds, bytes, peak memory.

    python bench/greedy_sql.py [--db PATH] [--only tracker|plain]

Starts each server in turn on an ephemeral port and sends the same greedy
queries (tests/test_public.py's GREEDY): ``tracker`` is `tracker serve
--public` (the capped connections and the public profile), ``plain`` is
`datasette serve` on the same file with Datasette's defaults (what a
`publish-config` deployment ran before). Prints one line per query and the
server's peak RSS (VmHWM from /proc); Linux only. The plain server may take
seconds and gigabytes per query: that is the figure.
"""

import argparse
import http.client
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from test_public import GREEDY, fetch, peak_rss_mb, start  # noqa: E402

SERVERS = {
    "tracker": lambda db: ["tracker", "serve", "--db", str(db), "--public", "--base-url",
                           "https://tracker.example.org"],
    "plain": lambda db: ["datasette", "serve", str(db)],
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database file (default: a fresh sample database)")
    parser.add_argument("--only", choices=sorted(SERVERS), action="append")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="greedy-"))
    db = Path(args.db) if args.db else tmp / "sample.db"
    if not args.db:
        import sqlite_utils

        from sampledb import populate_sample

        populate_sample(sqlite_utils.Database(db)).close()
    for name in args.only or sorted(SERVERS, reverse=True):
        proc, url = start(SERVERS[name](db), tmp / f"{name}.log")
        try:
            print(f"{name}: {' '.join(SERVERS[name](db.name))}")
            for label, sql in GREEDY.items():
                try:
                    status, body, seconds = fetch(f"{url}/{db.stem}.json?sql="
                                                  f"{urllib.request.quote(sql)}", timeout=600)
                except (OSError, http.client.HTTPException) as e:  # the server gave up
                    print(f"  {label:22} no complete answer: {type(e).__name__}")
                    if proc.poll() is not None:
                        print(f"  the server died (exit {proc.returncode})")
                        break
                    continue
                print(f"  {label:22} HTTP {status} in {seconds:6.2f}s, {len(body):>11,} bytes, "
                      f"peak RSS so far {peak_rss_mb(proc.pid):6.0f} MB")
            if proc.poll() is None:
                print(f"  peak RSS (VmHWM): {peak_rss_mb(proc.pid):.0f} MB")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
