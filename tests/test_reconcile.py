"""The reconciliation walk (issue 14): transferred and deleted issues, stale reactions,
its schedule and its cost, through the real harvest against the emulator."""

import json
import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlite_utils

from conftest import TOKEN, harvest
from tracker.config import ConfigError, Config, parse_config
from tracker.db import save_state
from tracker.emulator import Emulator, load_facts
from tracker.harvest.reconcile import is_due
from tracker.harvest.streams import state_key
from tracker.publish import QUERIES, query_sql
from tracker.safe import register_sql_functions

SPAWNER, DEPLOY = "jupyterhub/dockerspawner", "jupyterhub/jupyterhub-deploy-docker"
# Every day is a repo's turn with a cadence of 1, so the walk runs on any date.
DAILY = Config(repos=[SPAWNER, DEPLOY], reconcile_days=1)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def emu():
    with Emulator(load_facts(), tokens={TOKEN}) as e:
        yield e


def open_numbers(emu, full, pulls):
    repo = emu.store.repo(full)
    return sorted(n for n, i in repo.issues.items() if i.state == "open" and bool(i.pull) == pulls)


def a_day_passes(path):
    """Move every repo's last walk to yesterday, as if the next run were a day later."""
    db = sqlite_utils.Database(path)
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for key in [r["key"] for r in db["harvest_state"].rows if r["key"].endswith(":reconcile")]:
        save_state(db, key, watermark=yesterday)
    db.conn.commit()


def query(db, name, **params):
    register_sql_functions(db.conn)  # as tracker.db.open_db and Datasette do
    sql = query_sql((QUERIES / f"{name}.sql").read_text())
    # Every parameter the query names, blank unless given (as a Datasette form sends them).
    names = {name: "" for name in re.findall(r"(?<!:):(\w+)", sql)}
    return list(db.query(sql, {**names, **params}))


def test_emulator_answers_301_for_a_transferred_issue_and_410_or_404_for_deleted(emu):
    issue, gone, hidden = open_numbers(emu, SPAWNER, pulls=False)[:3]
    moved = emu.store.transfer_issue(SPAWNER, issue, DEPLOY)
    emu.store.delete_issue(SPAWNER, gone)
    emu.store.delete_issue(SPAWNER, hidden, status=404)
    target = emu.store.repo(DEPLOY).id
    with httpx.Client(base_url=emu.url, headers=AUTH) as c:
        r = c.get(f"/repos/{SPAWNER}/issues/{issue}")
        assert r.status_code == 301
        assert r.headers["location"] == f"{emu.url}/repositories/{target}/issues/{moved.number}"
        assert r.json()["message"] == "Moved Permanently"
        body = c.get(r.headers["location"]).json()
        assert body["html_url"] == f"https://github.com/{DEPLOY}/issues/{moved.number}"
        assert c.get(f"/repos/{SPAWNER}/issues/{gone}").status_code == 410
        assert c.get(f"/repos/{SPAWNER}/issues/{hidden}").status_code == 404
        listed = {i["number"] for i in c.get(f"/repos/{SPAWNER}/issues",
                                             params={"state": "all", "per_page": 100}).json()}
        assert not {issue, gone, hidden} & listed


def test_walk_resolves_transferred_deleted_closed_and_refreshes_reactions(emu, tmp_path):
    path = tmp_path / "tracker.db"
    assert harvest(path, emu, DAILY).status == "ok"
    issues = open_numbers(emu, SPAWNER, pulls=False)
    pulls = open_numbers(emu, SPAWNER, pulls=True)
    moved_from, deleted, reacted = issues[0], issues[1], issues[2]
    stale_pr, missed = pulls[0], pulls[1]
    moved = emu.store.transfer_issue(SPAWNER, moved_from, DEPLOY)
    emu.store.delete_issue(SPAWNER, deleted)
    emu.store.delete_issue(SPAWNER, stale_pr, status=404)
    before = json.loads(sqlite_utils.Database(path).execute(
        "select reactions from issues where number = ? and repo = ?",
        [reacted, emu.store.repo(SPAWNER).id]).fetchone()[0])
    emu.store.react(SPAWNER, reacted, "+1", 5)
    emu.store.react(SPAWNER, reacted, "heart", 2)
    # An issue closed on GitHub that this database still holds as open (as a
    # database built by another tool, or an update lost before this release).
    db = sqlite_utils.Database(path)
    closed = next(i for i in emu.store.repo(SPAWNER).issues.values() if i.state == "closed")
    db.execute("update issues set state = 'open', closed_at = null where number = ? and repo = ?",
               [closed.number, emu.store.repo(SPAWNER).id])
    db.conn.commit()
    a_day_passes(path)
    emu.reset_log()
    summary = harvest(path, emu, DAILY)
    assert summary.status == "ok", summary.errors
    rid = emu.store.repo(SPAWNER).id
    rows = {r["number"]: r for r in db.query("select * from issues where repo = ?", [rid])}
    assert rows[moved_from]["transferred_to"] == \
        f"https://github.com/{DEPLOY}/issues/{moved.number}"
    assert rows[moved_from]["transferred_at"] and rows[moved_from]["state"] == "open"
    assert rows[deleted]["deleted_at"] and rows[deleted]["transferred_to"] is None
    assert rows[stale_pr]["deleted_at"]
    assert rows[closed.number]["state"] == "closed" and rows[closed.number]["closed_at"]
    assert rows[missed]["deleted_at"] is None and rows[missed]["transferred_to"] is None
    after = json.loads(rows[reacted]["reactions"])
    assert (after["+1"], after["heart"]) == (before["+1"] + 5, before["heart"] + 2)
    # The canned queries no longer count what left the repo.
    reacted_open = {(r["repo"], r["number"]) for r in query(db, "most_reacted_open_issues")}
    assert (SPAWNER, reacted) in reacted_open
    assert not {(SPAWNER, moved_from), (SPAWNER, deleted)} & reacted_open
    stale = {(r["repo"], r["number"]) for r in query(db, "stale_open_prs", days="0")}
    assert (SPAWNER, missed) in stale and (SPAWNER, stale_pr) not in stale
    # Cost: one listing page per repo (each has < 100 open), one request per unseen issue.
    walk = [r for r in emu.requests if r.query.get("state") == "open"
            or "/issues/" in r.path and r.path.rsplit("/", 1)[-1].isdigit()]
    listing = [r for r in walk if r.query.get("state") == "open"]
    assert len(listing) == 2
    asked = sorted(int(r.path.rsplit("/", 1)[-1]) for r in walk
                   if r.path.startswith(f"/repos/{SPAWNER}/issues/"))
    assert asked == sorted([moved_from, deleted, stale_pr, closed.number])


def test_a_quiet_repo_costs_one_free_304(emu, tmp_path):
    path = tmp_path / "tracker.db"
    harvest(path, emu, DAILY)
    a_day_passes(path)
    harvest(path, emu, DAILY)  # the first walk stores each listing's ETag
    a_day_passes(path)
    emu.reset_log()
    summary = harvest(path, emu, DAILY)
    walk = [r for r in emu.requests if r.query.get("state") == "open"]
    assert [(r.status, r.counted) for r in walk] == [(304, False), (304, False)]
    assert summary.counted == 0


def test_walk_is_not_repeated_the_same_day_and_never_runs_when_disabled(emu, tmp_path):
    path = tmp_path / "tracker.db"
    harvest(path, emu, DAILY)
    emu.reset_log()
    harvest(path, emu, DAILY)
    assert not [r for r in emu.requests if r.query.get("state") == "open"]
    off = tmp_path / "off.db"
    emu.reset_log()
    harvest(off, emu, Config(repos=[SPAWNER], reconcile_days=0))
    assert not [r for r in emu.requests if r.query.get("state") == "open"]


def test_turns_spread_the_walk_evenly_over_the_cadence():
    start = datetime(2026, 11, 23, 6, tzinfo=timezone.utc)
    ids = range(1000, 1700)
    per_day = [sum(is_due(i, None, start + timedelta(days=d)) for i in ids) for d in range(7)]
    assert per_day == [100] * 7
    # Each repo exactly once a week, and a repo whose turn was missed goes when overdue.
    assert sum(is_due(1000, None, start + timedelta(days=d)) for d in range(7)) == 1
    last = (start - timedelta(days=9)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(is_due(1000, last, start + timedelta(days=d)) for d in range(7))
    today = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert not any(is_due(i, today, start) for i in ids)


def test_reconcile_days_config():
    text = "github:\n  repos: [a/b]\n  reconcile_days: 3\n"
    assert parse_config(text).reconcile_days == 3
    assert parse_config("github:\n  repos: [a/b]\n").reconcile_days == 7
    with pytest.raises(ConfigError, match="'github.reconcile_days' must be a whole number"):
        parse_config("github:\n  reconcile_days: weekly\n")
    assert state_key(1, "reconcile") == "repo:1:reconcile"


def test_a_long_listing_is_asked_page_by_page_and_refetched_only_when_some_page_changed(
        emu, tmp_path):
    for k in range(120):  # 139 open: two pages
        emu.store.add_issue(SPAWNER, f"[synthetic] open issue {k}", "synthetic-user-1")
    path, config = tmp_path / "tracker.db", Config(repos=[SPAWNER], reconcile_days=1)
    harvest(path, emu, config)
    a_day_passes(path)
    emu.reset_log()
    assert harvest(path, emu, config).counted == 0  # quiet: two free 304s
    assert [(r.query["page"], r.status) for r in emu.requests
            if r.query.get("state") == "open"] == [("1", 304), ("2", 304)]
    oldest = open_numbers(emu, SPAWNER, pulls=False)[0]  # on page 2 (newest first)
    sql = "select reactions from issues where number = ? and repo = ?"
    args = [oldest, emu.store.repo(SPAWNER).id]
    before = json.loads(sqlite_utils.Database(path).execute(sql, args).fetchone()[0])
    emu.store.react(SPAWNER, oldest, "hooray", 4)
    a_day_passes(path)
    emu.reset_log()
    harvest(path, emu, config)
    walk = [(r.query["page"], r.status, "if" if r.if_none_match else "")
            for r in emu.requests if r.query.get("state") == "open"]
    assert walk == [("1", 304, "if"), ("2", 200, "if"), ("1", 200, "")]
    assert not [r for r in emu.requests if r.path.rsplit("/", 1)[-1].isdigit()]
    after = json.loads(sqlite_utils.Database(path).execute(sql, args).fetchone()[0])
    assert after["hooray"] == before["hooray"] + 4
    assert after["total_count"] == before["total_count"] + 4
