"""Search-based change detection (tracker/harvest/changes.py) against the emulator.

After every sequence of changes the database must equal the emulator exactly
(tracker.emulator.truth); search must only ever save core requests, never data.
"""

from datetime import datetime, timedelta, timezone

import sqlite_utils

from tracker.config import Config
from tracker.emulator import Emulator, synthetic_ecosystem
from tracker.emulator.truth import differences
from tracker.harvest.changes import MAX_QUALIFIERS, MAX_QUERY, _groups

from conftest import TOKEN, Sleeps, harvest

SPOT = "jupyterhub/dockerspawner"
DEPLOY = "jupyterhub/jupyterhub-deploy-docker"  # small, with open PRs
# Both kinds of qualifier: user:ines and repo:... (the seed's small repos keep tests fast).
SMALL = Config(users=["ines"], repos=[SPOT, DEPLOY])


def watched(store, config):
    owners = {o.lower() for o in config.orgs + config.users}
    return {r.full_name for r in store.repos.values()
            if r.owner.login.lower() in owners or r.full_name in config.repos}


def run(path, emu, config=SMALL, **kw):
    emu.reset_log()
    summary = harvest(path, emu, config, **kw)
    assert summary.status == "ok", summary.errors
    assert differences(emu.store, sqlite_utils.Database(path), watched(emu.store, config)) == []
    return summary


def core(emu):
    return [r for r in emu.requests if r.counted and not r.path.startswith("/search/")]


def searches(emu):
    return [r for r in emu.requests if r.path == "/search/issues"]


def walked(emu, suffix):
    return [r for r in emu.requests if r.path.endswith(suffix) and r.status == 200
            and not r.path.startswith("/search/")]


def test_changes_found_by_search_cost_few_core_requests(tmp_path, emulator):
    path = tmp_path / "t.db"
    run(path, emulator)  # first run: no history, every repo takes the exact path
    assert not searches(emulator)
    run(path, emulator)
    assert searches(emulator) and not core(emulator)
    store = emulator.store
    store.update_issue(SPOT, 526, title="[synthetic] retitled", labels=["bug"])
    issue = store.add_issue(SPOT, "[synthetic] new issue", "synthetic-user-1")
    store.add_comment(SPOT, issue.number, "synthetic-user-2", "[synthetic] hello")
    open_pr = next(i for i in store.repo(DEPLOY).issues.values()
                   if i.pull and i.state == "open")
    store.update_issue(DEPLOY, open_pr.number, title="[synthetic] PR edit")
    summary = run(path, emulator)
    assert summary.counted == len(core(emulator))
    paths = {r.path.rsplit("/", 1)[-1] for r in core(emulator)}
    # The repo itself changed (a new issue moves open_issues_count), and comments moved.
    assert paths == {"dockerspawner", "comments"}, [(r.path, r.query) for r in core(emulator)]
    assert not walked(emulator, "/issues")  # the issues themselves came from search
    # A new PR, a merge and a push need the pulls and commits listings.
    pr = store.add_issue(SPOT, "[synthetic] new PR", "synthetic-user-3", is_pull=True)
    store.update_issue(DEPLOY, open_pr.number, merged=True)
    store.add_commit(SPOT, "[synthetic] a push", "synthetic-user-3")
    store.add_release(SPOT, "99.0.0", body="[synthetic] notes")
    run(path, emulator)
    assert {r.path.rsplit("/", 1)[-1] for r in core(emulator)} >= {"pulls", "commits", "releases"}
    db = sqlite_utils.Database(path)
    assert db.execute("select head_ref from pull_requests where number = ? and repo = ?",
                      [pr.number, store.repo(SPOT).id]).fetchone()[0]


def test_issue_changed_during_index_lag_is_stored_by_next_run(tmp_path, emulator):
    path = tmp_path / "t.db"
    config = SMALL
    run(path, emulator, config)
    emulator.store.update_issue(SPOT, 526, title="[synthetic] changed during the lag")
    emulator.search_options["search_lag"] = 3600  # the index has not seen it yet
    emulator.reset_log()
    harvest(path, emulator, config)
    db = sqlite_utils.Database(path)
    stored = "select title from issues where number = 526 and repo = ?"
    rid = emulator.store.repo(SPOT).id
    assert db.execute(stored, [rid]).fetchone()[0] != "[synthetic] changed during the lag"
    emulator.search_options["search_lag"] = 0  # the index caught up
    run(path, emulator, config)
    assert db.execute(stored, [rid]).fetchone()[0] == "[synthetic] changed during the lag"
    assert not walked(emulator, "/issues")


class Clock:
    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return datetime.now(timezone.utc) + timedelta(seconds=self.offset)


def small_ecosystem(clock=None):
    return synthetic_ecosystem(orgs=1, repos=2, issues=1200, comments=200, seed=5,
                               commits_per_repo=2, clock=clock)


def test_more_than_a_thousand_changes_are_paged_below_the_cap(tmp_path):
    clock = Clock()
    store = small_ecosystem(clock)
    config = Config(orgs=["synthetic-org-1"])
    with Emulator(store, tokens={TOKEN}) as emu:
        path = tmp_path / "t.db"
        run(path, emu, config)
        clock.offset = -4
        store.touch_issues("synthetic-org-1/synthetic-repo-1", 1.0)
        clock.offset = -2
        store.touch_issues("synthetic-org-1/synthetic-repo-2", 1.0)  # 1,200 in two seconds
        clock.offset = 0
        run(path, emu, config)
        pages = [int(r.query.get("page", 1)) for r in searches(emu)]
        assert max(pages) <= 10 and len(pages) > 10  # restarted below the oldest item seen
        assert all(r.status == 200 for r in searches(emu))
        assert not walked(emu, "/issues")


def test_over_a_thousand_in_one_second_splits_the_owner_group(tmp_path):
    store = synthetic_ecosystem(orgs=2, repos=2, issues=1200, comments=0, seed=6,
                                commits_per_repo=2)
    config = Config(orgs=["synthetic-org-1", "synthetic-org-2"])
    with Emulator(store, tokens={TOKEN}) as emu:
        path = tmp_path / "t.db"
        run(path, emu, config)
        store.touch_issues(None, 1.0)  # 600 per org, all in the same second
        run(path, emu, config)
        assert not walked(emu, "/issues")  # one org per query fits under the cap
        assert any(r.query["q"].startswith("org:synthetic-org-2 ") for r in searches(emu))


def test_thousand_result_cap_falls_back_to_the_exact_path(tmp_path):
    store = small_ecosystem()
    config = Config(orgs=["synthetic-org-1"])
    with Emulator(store, tokens={TOKEN}) as emu:
        path = tmp_path / "t.db"
        run(path, emu, config)
        store.touch_issues(None, 1.0)  # 1,200 changes in the same second: no slice fits
        run(path, emu, config)
        assert all(r.status == 200 for r in searches(emu))  # never asked past the cap
        assert len(walked(emu, "/issues")) >= 2  # both repos took the exact path


def test_incomplete_results_fall_back_to_the_exact_path(tmp_path, emulator):
    path = tmp_path / "t.db"
    run(path, emulator)
    emulator.store.update_issue(SPOT, 526, title="[synthetic] seen only by the exact path")
    emulator.search_options["search_incomplete"] = True
    run(path, emulator)
    assert searches(emulator) and walked(emulator, "/issues")


def test_search_limit_costs_no_core_budget_and_no_data(tmp_path, emulator):
    path = tmp_path / "t.db"
    run(path, emulator)
    emulator.store.update_issue(SPOT, 526, title="[synthetic] found without search")
    emulator.set_rate_limit(remaining=0, reset_in=3600, resource="search")
    summary = run(path, emulator)
    assert summary.exit_code == 0 and not summary.errors
    answered = searches(emulator)
    assert [r.status for r in answered] == [403]  # asked once, then no more searches
    assert not any(r.counted for r in answered)
    assert summary.rate_remaining == emulator.limits.peek(f"token:{TOKEN}", "core").remaining > 0
    assert walked(emulator, "/issues")  # the exact path found the change


def test_safety_sweep_catches_an_index_miss(tmp_path, emulator):
    path = tmp_path / "t.db"
    config = SMALL
    run(path, emulator, config)
    emulator.store.update_issue(SPOT, 526, title="[synthetic] never indexed")
    emulator.search_options["search_lag"] = 10**9  # the index misses it for good
    emulator.reset_log()
    harvest(path, emulator, config)
    db = sqlite_utils.Database(path)
    day_ago = (datetime.now(timezone.utc) - timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.execute("update harvest_state set watermark = ? where key like 'repo:%:swept'", [day_ago])
    db.conn.commit()
    run(path, emulator, config)  # the sweep is due: page 1 of every stream, exact
    assert walked(emulator, "/issues")


def test_query_groups_respect_githubs_limits():
    targets = [{"id": k, "full_name": f"owner-with-a-long-name-{k}/repo"} for k in range(40)]
    via = {k: f"org:owner-with-a-long-name-{k}" for k in range(30)}
    suffix = " updated:2026-11-29T10:00:00Z..2026-11-29T11:00:00Z"
    groups = _groups(targets, via, suffix)
    assert sorted(q for g in groups for q in g) == sorted(
        [f"org:owner-with-a-long-name-{k}" for k in range(30)]
        + [f"repo:owner-with-a-long-name-{k}/repo" for k in range(30, 40)])
    for group in groups:
        assert len(" ".join(group) + suffix) <= MAX_QUERY and len(group) <= MAX_QUALIFIERS


def test_plain_harvest_unchanged_by_search_state(tmp_path, emulator):
    """A run without --search after search runs is the exact path, and still exact."""
    path = tmp_path / "t.db"
    run(path, emulator)
    emulator.store.update_issue(SPOT, 526, title="[synthetic] plain run")
    assert harvest(path, emulator, SMALL).status == "ok"
    assert differences(emulator.store, sqlite_utils.Database(path),
                       watched(emulator.store, SMALL)) == []


def test_search_errors_fall_back_to_the_exact_path(tmp_path, emulator):
    path = tmp_path / "t.db"
    run(path, emulator)
    emulator.store.update_issue(SPOT, 526, title="[synthetic] search is down")
    emulator.add_fault("502", path_contains="/search/", count=None)
    summary = run(path, emulator, retries=1)
    assert not summary.errors and walked(emulator, "/issues")


def test_a_repo_whose_run_failed_is_completed_by_the_next_run(tmp_path, emulator):
    path = tmp_path / "t.db"
    run(path, emulator)
    issue = emulator.store.add_issue(SPOT, "[synthetic] asked about", "synthetic-user-1")
    emulator.store.add_comment(SPOT, issue.number, "synthetic-user-2", "[synthetic] lost?")
    emulator.add_fault("500", path_contains="/issues/comments", count=None)
    failed = harvest(path, emulator, SMALL, retries=1)
    assert failed.status == "partial" and failed.errors[0].stream == "comments"
    emulator.clear_faults()
    run(path, emulator)  # the window reaches back to its last clean run: nothing lost
    assert [r.path for r in walked(emulator, "/comments")] == [f"/repos/{SPOT}/issues/comments"]


def test_a_search_limit_near_its_reset_is_waited_for_once(tmp_path, emulator):
    path = tmp_path / "t.db"
    run(path, emulator)
    emulator.set_rate_limit(remaining=0, reset_in=30, resource="search")
    sleeps = Sleeps()
    run(path, emulator, sleeps=sleeps)  # still spent after the (recorded) wait: fallback
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 32
    assert [r.status for r in searches(emulator)] == [403, 403]
