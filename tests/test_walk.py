"""The reconciliation walk is per issue (#19 item 6), over loopback against the emulator:
one issue it cannot resolve is one recorded error, the others are still resolved and
the next walk stays on schedule; moved-where-we-cannot-read is not deleted; a drop of
the repository's open_issues_count starts the walk at once, with no extra request."""

from datetime import datetime, timezone

import pytest
import sqlite_utils

from conftest import TOKEN, harvest
from test_auth import cli
from test_reconcile import DEPLOY, SPAWNER, a_day_passes, open_numbers
from tracker.config import Config
from tracker.emulator import Emulator, load_facts
from tracker.harvest.reconcile import is_due


@pytest.fixture
def emu():
    with Emulator(load_facts(), tokens={TOKEN}) as e:
        yield e


def run(emu, tmp_path, days=1):
    config = tmp_path / "tracker.yml"
    config.write_text(f"github:\n  repos: [{SPAWNER}, {DEPLOY}]\n  reconcile_days: {days}\n")
    return cli("harvest", "--db", str(tmp_path / "t.db"), "--config", str(config),
               "--no-digest", env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url})


def ended(result, code, status):
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{status}:"), result.stdout


def issue_rows(db, full, numbers):
    rid = db.execute("select id from repos where full_name = ?", [full]).fetchone()[0]
    return {n: db.execute("select state, transferred_to, deleted_at from issues "
                          "where repo = ? and number = ?", [rid, n]).fetchone() for n in numbers}


def no_prefix(numbers, k):
    """k issue numbers none of which is a prefix of another (faults match substrings)."""
    chosen = []
    for n in numbers:
        if not any(str(n).startswith(str(c)) or str(c).startswith(str(n)) for c in chosen):
            chosen.append(n)
        if len(chosen) == k:
            return chosen
    raise AssertionError("not enough open issues")


def test_one_unresolvable_issue_is_one_error_and_the_others_are_resolved(emu, tmp_path):
    ended(run(emu, tmp_path), 0, "ok")
    moved, deleted, looping, failing = no_prefix(open_numbers(emu, SPAWNER, pulls=False), 4)
    emu.store.transfer_issue(SPAWNER, moved, DEPLOY)
    emu.store.delete_issue(SPAWNER, deleted)
    # A redirect loop (bounded by the client) and a 502 that never ends, both
    # answered after the open listing no longer shows those issues.
    emu.store.delete_issue(SPAWNER, looping)
    emu.store.delete_issue(SPAWNER, failing)
    loop_path = f"/repos/{SPAWNER}/issues/{looping}"
    emu.add_fault("offsite_redirect", loop_path, count=None, location=emu.url + loop_path)
    emu.add_fault("502", f"/repos/{SPAWNER}/issues/{failing}", count=None)
    a_day_passes(tmp_path / "t.db")
    result = run(emu, tmp_path)
    ended(result, 1, "partial")
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert db.execute("select status, exit_code, errors from harvest_runs order by id desc "
                      "limit 1").fetchone() == ("partial", 1, 2)
    errors = db.execute("select target, stream, http_status, message from harvest_errors "
                        "order by message").fetchall()
    assert len(errors) == 2 and {e[:2] for e in errors} == {(SPAWNER, "reconcile")}
    assert any(e[2] == 502 and f"/issues/{failing}" in e[3] for e in errors)
    assert any("redirects" in e[3] and f"/issues/{looping}" in e[3] for e in errors)
    rows = issue_rows(db, SPAWNER, [moved, deleted, looping, failing])
    assert rows[moved][1] and rows[moved][2] is None
    assert rows[deleted][2] is not None and rows[deleted][1] is None
    assert rows[looping][1:] == (None, None) and rows[failing][1:] == (None, None)
    # The walk's watermark moved: the next walk is on schedule, not every run.
    started = db.execute("select started_at from harvest_runs order by id desc limit 1"
                         ).fetchone()[0]
    rid = db.execute("select id from repos where full_name = ?", [SPAWNER]).fetchone()[0]
    assert db.execute("select watermark from harvest_state where key = ?",
                      [f"repo:{rid}:reconcile"]).fetchone()[0] == started
    emu.reset_log()
    again = run(emu, tmp_path)  # the same day: no walk, so no error, and ok
    ended(again, 0, "ok")
    assert not [r for r in emu.requests if r.query.get("state") == "open"]


def test_moved_where_the_token_cannot_read_is_not_deleted(emu, tmp_path):
    config = Config(repos=[SPAWNER, DEPLOY], reconcile_days=1)
    path = tmp_path / "t.db"
    assert harvest(path, emu, config).status == "ok"
    number = open_numbers(emu, SPAWNER, pulls=False)[0]
    target = emu.store.add_repo("ines", "private-notes")  # not readable with our token
    hidden = target.full_name
    emu.store.transfer_issue(SPAWNER, number, hidden)
    emu.store.block_repo(hidden, 404)
    a_day_passes(path)
    summary = harvest(path, emu, config)
    assert summary.status == "ok", summary.errors
    db = sqlite_utils.Database(path)
    state, transferred_to, deleted_at = issue_rows(db, SPAWNER, [number])[number]
    assert deleted_at is None
    assert transferred_to.startswith(f"{emu.url}/repositories/{target.id}/issues/")


def not_due_cadence(ids, now):
    """A cadence for which no repo of ``ids``, walked yesterday, has its turn today."""
    yesterday = datetime.fromtimestamp(now.timestamp() - 86400, timezone.utc)
    stamp = yesterday.strftime("%Y-%m-%dT%H:%M:%SZ")
    return next(d for d in range(2, 400) if not any(is_due(i, stamp, now, d) for i in ids))


def test_a_transfer_starts_the_walk_at_once_from_open_issues_count(emu, tmp_path):
    days = not_due_cadence([emu.store.repo(r).id for r in (SPAWNER, DEPLOY)],
                           datetime.now(timezone.utc))
    ended(run(emu, tmp_path, days=1), 0, "ok")  # the first walk, then a day passes
    a_day_passes(tmp_path / "t.db")
    # A quiet run: the count agrees, no walk.
    emu.reset_log()
    ended(run(emu, tmp_path, days=days), 0, "ok")
    assert not [r for r in emu.requests if r.query.get("state") == "open"]
    a_day_passes(tmp_path / "t.db")
    number = open_numbers(emu, SPAWNER, pulls=False)[0]
    emu.store.transfer_issue(SPAWNER, number, DEPLOY)
    emu.reset_log()
    result = run(emu, tmp_path, days=days)
    ended(result, 0, "ok")
    assert "open_issues_count" in result.stderr
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert issue_rows(db, SPAWNER, [number])[number][1]  # transferred, this very run
    # No extra request for the count: the repository was asked once, as every run.
    assert sum(r.path == f"/repos/{SPAWNER}" for r in emu.requests) == 1
    walk = [r for r in emu.requests if r.query.get("state") == "open"]
    assert [r.path for r in walk] == [f"/repos/{SPAWNER}/issues"]
