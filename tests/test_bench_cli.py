"""#19 item 8: every benchmark takes --help like every command, and builds nothing for it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHES = sorted((ROOT / "bench").glob("*.py"))


@pytest.mark.parametrize("script", BENCHES, ids=[p.name for p in BENCHES])
def test_bench_help_prints_usage_and_builds_nothing(script, tmp_path):
    proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage:") and "--help" in proc.stdout, proc.stdout
    assert list(tmp_path.iterdir()) == []  # no database named --help, nor any other file


def test_bigdb_refuses_a_path_in_a_missing_folder(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "bigdb.py"),
                           str(tmp_path / "no" / "big.db")], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "does not exist" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "no").exists()
