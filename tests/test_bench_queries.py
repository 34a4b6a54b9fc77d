"""#26: bench/queries.py runs as it is, on any tracker database, so it cannot rot again.

It runs every canned query and dashboard chart with the SQL functions and the
request parameters Datasette gives them, through sqlite3 and through
Datasette's client. Only that it runs and what it lists is checked: a time is
printed, never asserted.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from sampledb import populate_sample
from tracker.publish import build_config, load_queries

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "tracker.db"
    populate_sample(sqlite_utils.Database(path)).close()
    return path


def expected_names():
    names = list(load_queries())
    metadata, _ = build_config("tracker")
    for slug, dashboard in metadata["plugins"]["datasette-dashboards"].items():
        for kind in ("filters", "charts"):
            names += [f"{slug}/{key}" for key, item in (dashboard.get(kind) or {}).items()
                      if "query" in item]
    return names


@pytest.mark.parametrize("via", [[], ["--datasette"]], ids=["sqlite3", "datasette"])
def test_bench_queries_runs_every_query_and_chart(sample_db, via):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "queries.py"), "--db", str(sample_db),
         "--runs", "1", *via],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode in (0, 1), proc.stderr  # 1 = a target missed: timing, not asserted
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "load average before: " in proc.stdout and "load average after: " in proc.stdout
    lines = {line.split()[0]: line.split() for line in proc.stdout.splitlines() if line.strip()}
    for name in expected_names():
        assert name in lines, f"{name} not timed:\n{proc.stdout}"
        assert int(lines[name][3]) >= 1, f"{name}: no rows on the sample database"
    # digest.sql needs tracker_base_url() and :_header_host outside Datasette too.
    assert "digest" in lines
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("all ") if proc.returncode == 0 else "over 100 ms:" in last


def test_bench_dashboard_times_every_chart_request(sample_db):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dashboard.py"), "--db", str(sample_db),
         "--runs", "1"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    charts = [name for name in expected_names() if "/" in name]
    for name in charts:
        assert f"\n{name} " in proc.stdout, proc.stdout
    assert "all requests (one round)" in proc.stdout and "load average after: " in proc.stdout
