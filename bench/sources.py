"""Benchmark: what calendars, papers and Discourse cost per run, on the emulator.

    python bench/sources.py                  # the demo's sources, two runs
    python bench/sources.py --papers 500 --topics 300

Runs tracker.sources.run.harvest_sources against the loopback sources emulator
(tracker/emulator/sources.py) filled with the demo's synthetic data
(tracker/data/sources), optionally grown to --papers arXiv entries and --topics
forum topics. The first run reads everything; the second is the next day's
run: unchanged calendar and JOSS feed answer 304, arXiv and Zenodo stop at the
first page of known papers. Pacing runs on a simulated clock shared with the
emulator's request log, so nothing waits; "paced" is the time the hosts'
intervals (arXiv 3 s, others 1 s) would make the run take. Prints, per run and
source: requests, 304s, body bytes. Nothing is asserted.
"""

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import sqlite_utils  # noqa: E402

from tracker.db import open_db  # noqa: E402
from tracker.emulator.sources import SourcesServer, load_synthetic  # noqa: E402
from tracker.sources.http import Pacing  # noqa: E402
from tracker.sources.run import harvest_sources  # noqa: E402
from sources_helpers import FakeClock, sources_config  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=0,
                        help="grow the arXiv emulator to this many entries (default: the demo's)")
    parser.add_argument("--topics", type=int, default=0,
                        help="grow the forum category to this many topics (default: the demo's)")
    args = parser.parse_args(argv)
    clock = FakeClock()
    with SourcesServer(clock=clock.now) as server:
        load_synthetic(server)
        base = server.arxiv[0]
        for i in range(len(server.arxiv), args.papers):
            server.arxiv.append(dict(base, id=f"2607.{i:05d}", title=f"{base['title']} {i}"))
        slug = "jupyterhub"
        cid, topics = server.discourse[slug]
        for i in range(len(topics), args.topics):
            topics.append(dict(topics[0], id=40000 + i, slug=f"t-{i}"))
        config = sources_config(server)
        host = server.url.split("//", 1)[1]
        db = open_db(sqlite_utils.Database(memory=True))
        now = datetime(2026, 6, 19, tzinfo=timezone.utc)
        with httpx.Client(timeout=10) as client:
            for run in ("first run", "next day"):
                before, started, wall = len(server.requests), clock.t, time.monotonic()
                # arXiv's own 3 s on the loopback host: the emulator is arXiv here.
                pacing = Pacing({host: 3.0}, clock=clock.now, sleep=clock.sleep)
                result = harvest_sources(db, config, client, now=now, pacing=pacing)
                log = server.requests[before:]
                print(f"{run}: {len(log)} requests, {sum(r.bytes for r in log):,} bytes, "
                      f"paced {clock.t - started:.0f}s (all at arXiv's 3 s), "
                      f"wall {time.monotonic() - wall:.2f}s, {len(result.problems)} errors")
                for name, cost in result.costs.items():
                    print(f"  {name:10} {cost.requests:3} requests ({cost.not_modified} 304), "
                          f"{cost.bytes:9,} bytes")
        print(f"stored: {db['events'].count} events, {db['papers'].count} papers, "
              f"{db['discourse_topics'].count} topics")


if __name__ == "__main__":
    main()
