"""#19 item 9: what a new user meets first says what happened, on the right stream."""

import os
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tracker.db import open_db
from tracker.digest import DigestError, build_digests, export_digest

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 31, 10, 0, tzinfo=timezone.utc)  # a Thursday of ISO week 2026-W53


def tracker(*args, cwd=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TRACKER_"))}
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True,
                          text=True, env={**env, "PYTHONPATH": str(ROOT)}, cwd=cwd,
                          timeout=timeout)


def free_base_port():
    for port in range(18900, 19900, 10):
        try:
            for p in range(port, port + 4):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
    pytest.skip("no four free ports in a row")


def test_demo_prints_its_results_on_stdout_and_status_names_no_token(tmp_path):
    port = free_base_port()
    proc = tracker("demo", "--no-serve", "--db", str(tmp_path / "demo.db"), "--port", str(port),
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert out.splitlines()[0].startswith("GitHub emulator on http://127.0.0.1:"), out
    assert any(line.startswith("ok:") for line in out.splitlines()), out
    assert f"dashboard       http://127.0.0.1:{port}/-/dashboards/ecosystem-pulse" in out
    assert "Open" not in proc.stderr and "digest archive" not in proc.stderr
    status = tracker("status", "--db", str(tmp_path / "demo.db"), "--max-age", "100000d")
    assert status.returncode == 0, status.stderr
    assert "GITHUB_TOKEN" not in status.stdout + status.stderr
    assert "tracker demo" in status.stdout


def test_export_on_a_fresh_database_says_no_week_is_complete(tmp_path):
    db = open_db(str(tmp_path / "t.db"))
    assert build_digests(db, now=NOW) == ["2026-W53"]  # empty: the running week only
    for fmt in ("md", "html"):
        with pytest.raises(DigestError) as e:
            export_digest(db, fmt=fmt, now=NOW)
        assert "no week is complete yet" in str(e.value) and "2026-W53" in str(e.value)
        assert "2027-01-03" in str(e.value) and "run `tracker digest` first" not in str(e.value)
    with pytest.raises(DigestError, match="run `tracker digest` first"):
        export_digest(open_db(str(tmp_path / "empty.db")), fmt="md", now=NOW)


def test_cli_export_after_first_digest_and_atom_without_base_url(tmp_path):
    db = tmp_path / "t.db"
    open_db(str(db)).conn.close()
    built = tracker("digest", "--db", str(db))
    assert built.returncode == 0, built.stderr
    md = tracker("digest", "--db", str(db), "--format", "md")
    assert md.returncode == 2 and "Traceback" not in md.stderr
    assert md.stderr.startswith("Error: no week is complete yet"), md.stderr
    atom = tracker("digest", "--db", str(db), "--format", "atom")
    assert atom.returncode == 0 and "<feed" in atom.stdout
    assert "Warning: no --base-url or TRACKER_BASE_URL" in atom.stderr
    atom = tracker("digest", "--db", str(db), "--format", "atom", "--base-url",
                   "https://tracking-jupyter.example.org")
    assert atom.returncode == 0 and "Warning" not in atom.stderr
