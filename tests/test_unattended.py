"""Issue #10: runs you can leave unattended. Each numbered reproduction of the
issue is a test here, over loopback against the emulator with faults injected."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils

from tracker.config import Config
from tracker.db import open_db
from tracker.emulator import Emulator, load_facts

from conftest import TOKEN, Sleeps, harvest
from test_failed_save import allow, refuse
from test_harvest import count, db_counts, emulator_counts

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def runs(db_path):
    return list(sqlite_utils.Database(db_path).query("select * from harvest_runs order by id"))


def errors(db_path):
    return list(sqlite_utils.Database(db_path).query("select * from harvest_errors order by id"))


def start_cli(db_path, config, emu_url, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "harvest", "--db", str(db_path), "--config", str(config),
         "--no-digest", *extra],
        env={**ENV, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu_url}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_cli(db_path, config, emu_url, *extra):
    proc = start_cli(db_path, config, emu_url, *extra)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def open_files(pid):
    """The paths a live process has open, read from /proc without racing it.

    The process opens and closes files (sockets, imports, SQLite journals) while
    we list them, so any one descriptor may vanish between listing and reading it.
    """
    paths = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # not started yet, or already gone
        return paths
    for fd in fds:
        try:
            paths.add(os.readlink(fd))
        except OSError:
            continue
    return paths


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    assert predicate()


# -- 1, 2: SIGINT and SIGTERM mid-harvest, even with slow answers in flight -----

@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_harvest_interrupted_then_next_run_exact(tmp_path, signum, code):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  repos: [jupyterhub/dockerspawner]\n")
    db_path = tmp_path / "t.db"
    names = {"jupyterhub/dockerspawner"}
    with Emulator(load_facts(), tokens={TOKEN}, latency=0.1) as emu:
        procs, slow = [], emu.add_fault("delay", seconds=20, count=0)

        def interrupt():  # before the first issues answer: it and every later one take 20 s
            slow.count = None
            procs[0].send_signal(signum)

        emu.before(interrupt, path_contains="/issues", seconds=20)
        procs.append(start_cli(db_path, config, emu.url))
        proc = procs[0]
        out, err = proc.communicate(timeout=10)  # hangs were the bug
        assert proc.returncode == code, err
        assert "Traceback" not in err
        assert out.strip().startswith("interrupted")
        assert len(out.strip().splitlines()) == 1
        db = sqlite_utils.Database(db_path)
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
        assert [(r["status"], r["exit_code"]) for r in runs(db_path)] == [("interrupted", code)]
        slow.count = 0
        emu.latency = 0
        code2, out, err = run_cli(db_path, config, emu.url)  # lock released, resumes
        assert code2 == 0, err
        assert db_counts(db) == emulator_counts(emu, names)
        assert [r["status"] for r in runs(db_path)] == ["interrupted", "ok"]


def test_second_ctrl_c_exits_at_once(tmp_path):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  repos: [jupyterhub/zero-to-jupyterhub-k8s]\n")
    with Emulator(load_facts(), tokens={TOKEN}, latency=0.05) as emu:
        proc = start_cli(tmp_path / "t.db", config, emu.url)
        wait_for(lambda: len(emu.requests) >= 3)
        emu.add_fault("delay", seconds=30, count=None)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=5)
        assert proc.returncode == 130
        db = sqlite_utils.Database(tmp_path / "t.db")
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)


# -- 3: a page that cannot be saved is an error, never a hang or a lost page -------

@pytest.mark.parametrize("concurrency", [1, 16])
def test_page_that_cannot_be_saved_is_an_error_not_a_hang(tmp_path, emulator, concurrency):
    full = "jupyterhub/zero-to-jupyterhub-k8s"
    path = tmp_path / "t.db"
    open_db(str(path)).conn.close()
    # A storage fault on that repo's issues (SQLite refuses the write, as on a full disk).
    refuse(path, "issues", f"new.repo = {emulator.store.repo(full).id}")
    config = Config(repos=[full, "ines/juniper"])
    summary = harvest(path, emulator, config, concurrency=concurrency)
    record = runs(path)[-1]
    assert (record["status"], record["exit_code"]) == (summary.status, summary.exit_code)
    assert record["errors"] == len(errors(path)) == len(summary.errors) > 0
    assert summary.status == "partial" and summary.exit_code == 1
    assert {e["target"] for e in errors(path)} == {full}
    db = sqlite_utils.Database(path)
    juniper = emulator_counts(emulator, {"ines/juniper"})["issues"]
    assert count(db, "issues", "repo = (select id from repos where full_name = 'ines/juniper')") == juniper
    # The lock was released and the next run, without the fault, completes exactly.
    allow(path, "issues")
    assert harvest(path, emulator, config).status == "ok"
    assert db_counts(db) == emulator_counts(emulator, {full, "ines/juniper"})


# -- 4: unreachable API: one clear line, fast, recorded failed --------------------

def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_api_fails_fast_with_one_line(tmp_path):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  orgs: [jupyterhub]\n  repos: [ines/juniper]\n")
    url = f"http://127.0.0.1:{closed_port()}"
    code, out, err = run_cli(tmp_path / "t.db", config, url)
    assert code == 5
    assert f"cannot reach {url}: connection refused" in err
    assert "Traceback" not in err + out
    record = runs(tmp_path / "t.db")[-1]
    assert (record["status"], record["exit_code"], record["errors"]) == ("failed", 5, 1)
    assert errors(tmp_path / "t.db")[0]["message"].startswith("cannot reach")
    # The health page shows the outage, first.
    sql = (ROOT / "tracker" / "queries" / "harvest_health.sql").read_text()
    health = list(sqlite_utils.Database(tmp_path / "t.db").query(sql))
    assert [(r["kind"], r["status"]) for r in health[:2]] == [("run", "failed"), ("error", "error")]
    assert "cannot reach" in health[1]["detail"]


def test_unreachable_api_total_wait_is_bounded(tmp_path):
    sleeps = Sleeps()
    from tracker.github import GitHubClient
    from tracker.harvest.run import Progress, run_harvest

    client = GitHubClient(TOKEN, f"http://127.0.0.1:{closed_port()}", sleep=sleeps)
    summary = run_harvest(str(tmp_path / "t.db"), Config(repos=["a/b", "c/d"]), client=client,
                          digest=False, progress=Progress(quiet=True))
    assert summary.status == "failed" and summary.exit_code == 5
    assert sum(sleeps) < 60


# -- 5: a 200 with malformed JSON; an owner's listing error is that owner's -------

def test_malformed_json_is_retried(tmp_path, emulator):
    sleeps = Sleeps()
    emulator.add_fault("malformed", path_contains="/users/ines/repos", count=2)
    # Without the history streams (#25): their pages would add the pacer's pauses
    # to the sleeps counted here, which are the two back-offs.
    summary = harvest(tmp_path / "t.db", emulator, Config(users=["ines"], history=False),
                      sleeps=sleeps)
    assert summary.status == "ok", summary.errors
    assert len(sleeps) == 2


def test_owner_listing_error_is_that_owners_only(tmp_path, emulator):
    emulator.add_fault("malformed", path_contains="/orgs/jupyterhub/repos", count=None)
    summary = harvest(tmp_path / "t.db", emulator, Config(orgs=["jupyterhub"], users=["ines"],
                                                          repos=["mwouts/jupytext"]), retries=2)
    assert (summary.status, summary.exit_code) == ("partial", 1)
    [error] = errors(tmp_path / "t.db")
    assert error["target"] == "jupyterhub" and "invalid JSON" in error["message"]
    db = sqlite_utils.Database(tmp_path / "t.db")
    others = {"ines/juniper", "ines/course-starter-python", "jupytext/jupytext"}
    assert others <= {r[0] for r in db.execute("select full_name from repos")}
    assert count(db, "repos", "full_name like 'jupyterhub/%'") == 0


def test_owner_listing_server_errors_are_that_owners_only(tmp_path, emulator):
    emulator.add_fault("502", path_contains="/users/ines/repos", count=None)
    summary = harvest(tmp_path / "t.db", emulator, Config(orgs=["voila-dashboards"], users=["ines"]),
                      retries=1)
    assert summary.status == "partial"
    assert [e["target"] for e in errors(tmp_path / "t.db")] == ["ines"]
    assert count(sqlite_utils.Database(tmp_path / "t.db"), "repos", "full_name like 'voila-dashboards/%'") > 0


# -- 6: rate-limit reset in the past: bounded, at least 1 s, exit 4 ---------------

def test_reset_in_the_past_is_bounded(tmp_path, emulator):
    sleeps = Sleeps()
    emulator.add_fault("reset_past", count=None)
    summary = harvest(tmp_path / "t.db", emulator, Config(repos=["ines/juniper"]), sleeps=sleeps)
    assert (summary.status, summary.exit_code) == ("partial", 4)
    assert sleeps and min(sleeps) >= 1
    assert len(emulator.requests) <= 25
    record = runs(tmp_path / "t.db")[-1]
    assert (record["status"], record["exit_code"]) == ("partial", 4)


# -- 7: the token never leaves the API origin --------------------------------------

class Snoop:
    """A second loopback server: records the Authorization headers it is sent."""

    def __init__(self):
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.headers.get("Authorization"))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("kind", ["offsite_redirect", "offsite_link"])
def test_token_never_sent_to_another_origin(tmp_path, emulator, kind):
    snoop = Snoop()
    try:
        # Same host, other port: a different origin all the same.
        emulator.add_fault(kind, path_contains="/repos/ines/juniper/issues", count=None,
                           query_contains="state=all", location=f"{snoop.url}/steal?page=2")
        summary = harvest(tmp_path / "t.db", emulator, Config(repos=["ines/juniper"]))
    finally:
        snoop.close()
    assert snoop.seen == []
    assert summary.status == "partial"
    [error] = errors(tmp_path / "t.db")
    assert snoop.url.split("//")[1] in error["message"] and error["stream"] == "issues"


# -- 8: known permanent answers are recorded once, then skipped ---------------------

def test_contributor_list_too_large_is_not_a_failure(tmp_path, emulator):
    emulator.add_fault("too_large", path_contains="/contributors", count=None)
    config = Config(repos=["ines/juniper"])
    first = harvest(tmp_path / "t.db", emulator, config)
    assert (first.status, first.exit_code) == ("ok", 0)
    emulator.reset_log()
    second = harvest(tmp_path / "t.db", emulator, config)
    assert (second.status, second.exit_code) == ("ok", 0)
    assert not any("/contributors" in r.path for r in emulator.requests)
    assert errors(tmp_path / "t.db") == []


# -- 9: empty and quiet repositories cost nothing on a re-run -------------------------

def test_empty_and_quiet_repos_cost_zero_on_rerun(tmp_path, emulator):
    emulator.store.add_repo("ines", "empty-repo", owner_type="User")
    config = Config(users=["ines"], repos=["jupyterhub/dockerspawner"])
    first = harvest(tmp_path / "t.db", emulator, config)
    assert first.status == "ok", first.errors
    statuses = {r.status for r in emulator.requests if "empty-repo" in r.path}
    assert {204, 409} <= statuses
    emulator.reset_log()
    second = harvest(tmp_path / "t.db", emulator, config)
    assert second.status == "ok" and second.counted == 0
    core = [r for r in emulator.requests if not r.path.startswith("/search/")]
    assert not any(r.counted for r in core), [(r.path, r.status) for r in core if r.counted]
    # A push is seen: the repo is no longer quiet and its commits are asked for.
    emulator.store.add_commit("ines/empty-repo", "first commit", "ines")
    emulator.reset_log()
    assert harvest(tmp_path / "t.db", emulator, config).status == "ok"
    assert any(r.path.endswith("empty-repo/commits") and r.status == 200 for r in emulator.requests)
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert count(db, "commits", "repo = (select id from repos where full_name = 'ines/empty-repo')") == 1


# -- 10: a stream stopped mid-walk resumes where it stopped ---------------------------

def test_stream_stopped_mid_walk_resumes_not_restarts(tmp_path, emulator):
    full = "jupyterhub/dockerspawner"  # 3 pages of issues
    config = Config(repos=[full])
    emulator.set_rate_limit(remaining=4, reset_in=3600)  # repo, releases, issues p1, p2
    first = harvest(tmp_path / "t.db", emulator, config, concurrency=1, max_wait=0)
    assert (first.status, first.exit_code) == ("partial", 4)
    db = sqlite_utils.Database(tmp_path / "t.db")
    [checkpoint] = [json.loads(r[0]) for r in db.execute(
        "select checkpoint from harvest_state where checkpoint is not null")]
    assert checkpoint["page"] == 2
    # Meanwhile an old issue is edited: it moves above the stopped walk and is not missed.
    repo = emulator.store.repo(full)
    oldest = min(repo.issues.values(), key=lambda i: i.updated_at)
    emulator.store.update_issue(full, oldest.number, title="[synthetic] edited between runs")
    emulator.set_rate_limit(remaining=5000, reset_in=3600)
    emulator.reset_log()
    second = harvest(tmp_path / "t.db", emulator, config, concurrency=1, max_wait=0)
    assert second.status == "ok", second.errors
    assert db_counts(db) == emulator_counts(emulator, {full})
    assert db.execute("select title from issues where id = ?", [oldest.id]).fetchone() == (
        "[synthetic] edited between runs",)
    # Resumed after page 2 (page 1 again for what changed meanwhile), not from the start.
    issue_pages = [r.query.get("page", "1") for r in emulator.requests
                   if r.path.endswith("/issues") and r.query.get("state") == "all"]
    assert "2" not in issue_pages and "3" in issue_pages, issue_pages
    assert db.execute("select count(*) from harvest_state where checkpoint is not null").fetchone()[0] == 0


# -- a bug's exception is one line; --debug shows the traceback ------------------------

@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_error_is_one_line_traceback_only_with_debug(tmp_path, emulator, debug):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  repos: [ines/juniper, jupyterhub/dockerspawner]\n")
    # An answer of the wrong shape (a list for a repo) trips our code, not GitHub's.
    emulator.add_fault("rewrite", path_contains="/repos/ines/juniper", count=None,
                       rewrite=lambda body: [body] if isinstance(body, dict) else body)
    code, out, err = run_cli(tmp_path / "t.db", config, emulator.url, *(["--debug"] if debug else []))
    assert code == 1
    assert out.startswith("partial: 1 repos")
    assert "ines/juniper: TypeError" in err
    assert ("Traceback" in err) == debug
    record = runs(tmp_path / "t.db")[-1]
    assert (record["status"], record["exit_code"]) == ("partial", 1)


def test_sigterm_while_waiting_for_the_lock(tmp_path, emulator):
    from tracker.harvest.run import db_lock

    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  repos: [ines/juniper]\n")
    with db_lock(str(tmp_path / "t.db")):
        proc = start_cli(tmp_path / "t.db", config, emulator.url, "--wait")
        lock = os.path.realpath(tmp_path / "t.db.lock")

        def holds_lock_file():  # it opened the lock file: handlers are installed
            return lock in open_files(proc.pid)

        wait_for(holds_lock_file)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 143
    assert "interrupted while waiting" in err and "Traceback" not in err


def test_sigint_during_a_slow_owner_listing(tmp_path, emulator):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  orgs: [jupyterhub]\n")
    slow = emulator.add_fault("delay", path_contains="/orgs/jupyterhub/repos", seconds=30)
    proc = start_cli(tmp_path / "t.db", config, emulator.url)
    wait_for(lambda: slow.hits == 1)  # the listing request is in flight
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and "Traceback" not in err
    assert out.startswith("interrupted (SIGINT)")
    assert [(r["status"], r["exit_code"]) for r in runs(tmp_path / "t.db")] == [("interrupted", 130)]
