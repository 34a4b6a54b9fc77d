"""#26: bench/digest.py runs as it is on any tracker database, so it cannot rot.

It builds one week (and, with --all, every week) and prints each part's CPU
time. Only that it runs and what it names is checked: a time is printed,
never asserted.
"""

import os
import subprocess
import sys
from pathlib import Path

import sqlite_utils

from sampledb import LATEST_WEEK, populate_sample

ROOT = Path(__file__).resolve().parents[1]


def test_bench_digest_prints_every_part_of_a_build(tmp_path):
    path = tmp_path / "tracker.db"
    populate_sample(sqlite_utils.Database(path)).close()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "digest.py"), str(path), "--week", LATEST_WEEK,
         "--repeat", "1", "--all", "--all-parts"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode in (0, 1), proc.stderr  # 1: a target missed (a loaded machine)
    out = proc.stdout
    assert "Traceback" not in proc.stderr
    assert f"digest {LATEST_WEEK}: " in out and "CPU median" in out and "load average" in out
    for part in ("section releases", "section people", "section issues:discussed",
                 "metrics (headline counts)", "render html", "(whole build)"):
        assert part in out, part
    assert "digest --all: " in out and "per part of a second --all" in out
    assert "read once: first weeks" in out  # a build of many weeks reads them once
