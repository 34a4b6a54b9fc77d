"""Permanent repository answers (#19 item 5): a watched repository answering 404,
410 or 451 is marked missing with the reason, keeps its rows, warns once, and the
run stays ``ok``; asked for with --repo, it is that run's error with its status."""

import pytest
import sqlite_utils

from conftest import TOKEN
from test_auth import cli
from tracker.emulator import Emulator, load_facts

SPAWNER = "jupyterhub/dockerspawner"
YAML = ("github:\n  users: [ines]\n"
        f"  repos: [{SPAWNER}, jupyterhub/jupyterhub-deploy-docker]\n")
REASONS = {404: "404 Not Found", 410: "410 Gone", 451: "451 Repository access blocked (dmca)"}


@pytest.fixture
def emu():
    with Emulator(load_facts(), tokens={TOKEN}) as e:
        yield e


def run(emu, tmp_path, *args):
    config = tmp_path / "tracker.yml"
    config.write_text(YAML)
    return cli("harvest", "--db", str(tmp_path / "t.db"), "--config", str(config),
               "--no-digest", *args, env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url})


def ended(result, code, status):
    """One summary line, no traceback, the exit code, a run record that agrees."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{status}:"), result.stdout


def record(tmp_path):
    db = sqlite_utils.Database(tmp_path / "t.db")
    return db.execute("select status, exit_code, errors from harvest_runs "
                      "order by id desc limit 1").fetchone()


def rows_of(tmp_path, full_name):
    db = sqlite_utils.Database(tmp_path / "t.db")
    repo = db.execute("select id, missing_since, missing_reason from repos where full_name = ?",
                      [full_name]).fetchone()
    issues = db.execute("select count(*) from issues where repo = ?", [repo[0]]).fetchone()[0]
    return repo[1], repo[2], issues


@pytest.mark.parametrize("status", [404, 410, 451])
def test_watched_repo_gone_is_marked_warned_once_and_the_run_is_ok(emu, tmp_path, status):
    ended(run(emu, tmp_path), 0, "ok")
    _, _, issues = rows_of(tmp_path, SPAWNER)
    assert issues > 0
    emu.store.block_repo(SPAWNER, status)
    first = run(emu, tmp_path)
    ended(first, 0, "ok")
    assert record(tmp_path) == ("ok", 0, 0)
    since, reason, kept = rows_of(tmp_path, SPAWNER)
    assert since is not None and reason == REASONS[status] and kept == issues
    warnings = [line for line in first.stderr.splitlines() if SPAWNER in line]
    assert len(warnings) == 1 and REASONS[status] in warnings[0], first.stderr
    # The next run: same answer, no warning, still ok, nothing else touched.
    second = run(emu, tmp_path)
    ended(second, 0, "ok")
    assert SPAWNER not in second.stderr
    assert rows_of(tmp_path, SPAWNER) == (since, reason, issues)
    # Back on GitHub: no longer missing.
    emu.store.blocked.clear()
    ended(run(emu, tmp_path), 0, "ok")
    assert rows_of(tmp_path, SPAWNER)[:2] == (None, None)


def test_repo_of_a_watched_owner_blocked_mid_streams(emu, tmp_path):
    """ines's repos come from her listing; one is blocked: its streams answer 451."""
    ended(run(emu, tmp_path), 0, "ok")
    db = sqlite_utils.Database(tmp_path / "t.db")
    name = db.execute("select full_name from repos where tracked_via = 'user:ines' "
                      "order by id limit 1").fetchone()[0]
    emu.store.block_repo(name, 451)
    result = run(emu, tmp_path)
    ended(result, 0, "ok")
    assert record(tmp_path) == ("ok", 0, 0)
    assert rows_of(tmp_path, name)[1] == REASONS[451]
    assert sum(name in line for line in result.stderr.splitlines()
               if line.startswith("warning")) == 1
    again = run(emu, tmp_path)
    ended(again, 0, "ok")
    assert "warning" not in again.stderr and rows_of(tmp_path, name)[1] == REASONS[451]
    emu.store.blocked.clear()
    ended(run(emu, tmp_path), 0, "ok")
    assert rows_of(tmp_path, name)[:2] == (None, None)


@pytest.mark.parametrize("status", [404, 410, 451])
def test_repo_asked_for_by_name_is_that_runs_error_with_its_status(emu, tmp_path, status):
    ended(run(emu, tmp_path), 0, "ok")
    emu.store.block_repo(SPAWNER, status)
    result = run(emu, tmp_path, "--repo", SPAWNER)
    ended(result, 1, "partial")
    assert record(tmp_path) == ("partial", 1, 1)
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert db.execute("select http_status, target, message from harvest_errors").fetchall() == [
        (status, SPAWNER, f"--repo {SPAWNER}: {REASONS[status]}")]
    assert "TypeError" not in result.stderr
