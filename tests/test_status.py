"""`tracker status`: healthy, stale, failed, locked, never harvested, --json."""

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tracker.config import Config
from tracker.db import open_db
from tracker.harvest.run import db_lock
from tracker.status import collect_status, parse_age, render_text

from conftest import harvest

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def stamp(hours_ago):
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_run(db, hours_ago, status="ok", source="all", errors=(), credentials="token", **extra):
    row = {"started_at": stamp(hours_ago + 0.01), "finished_at": stamp(hours_ago),
           "source": source, "status": status, "requests": 10, "counted_requests": 7,
           "not_modified": 3, "rate_limit_remaining": 4990, "repos": 2, "releases": 1,
           "issues": 5, "comments": 4, "feed_entries": 0, "errors": len(errors),
           "error_log": json.dumps(list(errors)), "credentials": credentials, **extra}
    return db["harvest_runs"].insert(row, pk="id").last_pk


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "tracker.db"
    open_db(str(path))
    return path


def status_cli(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "tracker", "status", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)


def test_never_harvested(tmp_path, db_path):
    missing = collect_status(str(tmp_path / "nothing.db"), now=NOW)
    assert not missing["healthy"] and missing["reason"].startswith("never harvested")
    empty = collect_status(str(db_path), now=NOW)
    assert not empty["healthy"] and "no harvest run" in empty["reason"]
    run = status_cli("--db", str(tmp_path / "nothing.db"))
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [f"unhealthy: {missing['reason']}"]
    assert not (tmp_path / "nothing.db").exists()  # status never creates a database


def test_healthy(db_path):
    db = open_db(str(db_path))
    add_run(db, 30, status="failed", errors=["an old failure"])
    add_run(db, 1)
    report = collect_status(str(db_path), now=NOW)
    assert report["healthy"] and report["reason"] is None
    assert report["credentials"] == "token" and report["rate_limit"]["remaining"] == 4990
    assert [r["status"] for r in report["last_runs"]] == ["ok", "failed"]
    assert report["last_runs"][1]["error_messages"] == ["an old failure"]
    run = status_cli("--db", str(db_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{db_path}: healthy") and run.stderr == ""
    assert "personal token" in run.stdout and "error: an old failure" in run.stdout


def test_stale(db_path):
    db = open_db(str(db_path))
    add_run(db, 30)
    report = collect_status(str(db_path), now=NOW)
    assert not report["healthy"]
    assert "github" in report["reason"] and "more than --max-age 26h" in report["reason"]
    assert collect_status(str(db_path), max_age=parse_age("2d"), now=NOW)["healthy"]
    run = status_cli("--db", str(db_path), "--max-age", "90m")
    assert run.returncode == 1 and "--max-age 90m" in run.stderr  # exact units (#19)
    assert status_cli("--db", str(db_path), "--max-age", "soon").returncode == 2


def test_partial_runs_are_complete_only_for_the_sources_without_errors(db_path):
    db = open_db(str(db_path))
    add_run(db, 30)
    add_run(db, 1, status="partial", errors=["feed broke: HTTP 500"])
    # harvest_errors (#10) says which source a partial run's errors were in: all in
    # feeds, so the run is a complete GitHub harvest, and its messages come from there.
    db["harvest_errors"].insert({"run": 2, "source": "feeds", "message": "feed broke: HTTP 500",
                                 "http_status": 500, "at": stamp(1)})
    report = collect_status(str(db_path), now=NOW)
    assert report["sources"]["github"]["last_complete"] == stamp(1)
    assert report["last_runs"][0]["error_messages"] == ["feed broke: HTTP 500"]
    assert not report["healthy"] and "feeds" in report["reason"]  # feeds still 30 h old
    # A GitHub error in the newest run: GitHub's last complete harvest is the old one.
    add_run(db, 0.5, status="partial", errors=["jupyterhub/x issues: HTTP 502"])
    db["harvest_errors"].insert({"run": 3, "source": "github", "message": "HTTP 502",
                                 "http_status": 502, "at": stamp(0.5)})
    report = collect_status(str(db_path), now=NOW)
    assert report["sources"]["github"]["last_complete"] == stamp(1)


def test_packages_count_once_the_database_has_them(db_path):
    """#22: a packages run whose every registry request failed is not healthy, and a
    database whose only run never completed is not "healthy (… None)"."""
    db = open_db(str(db_path))
    add_run(db, 1, status="partial", source="packages", errors=["pypi jupytext: refused"])
    db["harvest_errors"].insert({"run": 1, "source": "pypi", "message": "pypi jupytext: refused",
                                 "at": stamp(1)})
    report = collect_status(str(db_path), now=NOW)
    assert not report["healthy"] and report["reason"] == "no complete harvest yet"
    add_run(db, 0.5, source="packages")
    report = collect_status(str(db_path), now=NOW)
    assert report["healthy"] and report["sources"]["packages"]["last_complete"] == stamp(0.5)
    assert "packages: newest complete harvest" in render_text(report)
    # A later harvest of everything whose registry requests failed: packages are stale
    # once older than --max-age, however fresh GitHub is.
    db["packages"].insert({"registry": "pypi", "name": "jupytext"}, pk=("registry", "name"),
                          alter=True)
    add_run(db, 0.2, status="partial", errors=["npm x: HTTP 503"])
    db["harvest_errors"].insert({"run": 3, "source": "npm", "message": "npm x: HTTP 503",
                                 "at": stamp(0.2)})
    report = collect_status(str(db_path), max_age=parse_age("20m"), now=NOW)
    assert report["sources"]["github"]["last_complete"] == stamp(0.2)
    assert report["sources"]["packages"]["last_complete"] == stamp(0.5)
    assert not report["healthy"] and report["reason"].startswith("packages:")


def test_failed(db_path):
    db = open_db(str(db_path))
    add_run(db, 2)
    add_run(db, 1, status="failed", credentials="app",
            errors=["GitHub rejected the JWT of GitHub App 1 (401 A JSON web token could not "
                    "be decoded)"])
    report = collect_status(str(db_path), now=NOW)
    assert not report["healthy"] and "failed: GitHub rejected the JWT" in report["reason"]
    assert report["credentials"] == "app"
    run = status_cli("--db", str(db_path))
    assert run.returncode == 1 and "GitHub App installation" in run.stdout
    assert len(run.stderr.strip().splitlines()) == 1


def test_locked(db_path):
    db = open_db(str(db_path))
    add_run(db, 1)
    db["harvest_runs"].insert({"started_at": stamp(0), "source": "all", "status": "running"})
    assert not collect_status(str(db_path), now=NOW)["locked"]
    with db_lock(str(db_path)):
        report = collect_status(str(db_path), now=NOW)
        run = status_cli("--db", str(db_path))
    assert report["locked"] and report["healthy"]  # a run in progress is not a failure
    assert report["last_runs"][0]["status"] == "running"
    assert "harvest running now: yes" in render_text(report)
    assert run.returncode == 0 and "harvest running now: yes" in run.stdout


def test_json_shape_after_a_real_harvest(tmp_path, emulator):
    db_path = tmp_path / "t.db"
    harvest(db_path, emulator, Config(repos=["ines/juniper"]))
    run = status_cli("--db", str(db_path), "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert set(report) == {"db", "now", "healthy", "reason", "max_age_hours", "locked",
                           "credentials", "rate_limit", "last_runs", "sources",
                           "summaries_missing"}
    assert report["summaries_missing"] == []
    (last,) = report["last_runs"]
    assert {"id", "source", "status", "started_at", "finished_at", "duration_seconds", "repos",
            "releases", "issues", "comments", "feed_entries", "requests", "counted_requests",
            "not_modified", "rate_limit_remaining", "credentials", "errors",
            "error_messages"} <= set(last)
    assert last["status"] == "ok" and last["credentials"] == "token"
    assert last["counted_requests"] > 0 and report["rate_limit"]["remaining"] is not None
    github = report["sources"]["github"]
    assert github["streams"] > 0 and github["oldest_stream"]["repo"] == "ines/juniper"
    assert set(report["sources"]["feeds"]) >= {"last_complete", "age_hours", "feeds"}


def test_a_feeds_only_run_records_no_credentials(tmp_path, emulator):
    db_path = tmp_path / "tracker.db"
    harvest(db_path, emulator, Config(repos=["ines/juniper"]))
    harvest(db_path, emulator, Config(repos=["ines/juniper"]), only="feeds")
    runs = open_db(str(db_path)).execute(
        "select source, credentials from harvest_runs order by id").fetchall()
    assert runs == [("all", "token"), ("feeds", "none")]  # nothing was sent to GitHub


def test_a_missing_summary_table_is_unhealthy(tmp_path, emulator):
    """#26 trial: with people_weekly dropped by hand, first_time_contributors failed in
    Datasette while status said healthy."""
    db_path = tmp_path / "t.db"
    harvest(db_path, emulator, Config(repos=["ines/juniper"]))
    conn = sqlite3.connect(db_path)
    conn.execute("drop table people_weekly")
    conn.commit()
    conn.close()
    run = status_cli("--db", str(db_path))
    assert run.returncode == 1
    assert "summary tables missing (people_weekly)" in run.stderr
    assert "tracker rebuild-summaries" in run.stderr
