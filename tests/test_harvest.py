"""The harvest against the GitHub emulator: completeness, incrementality, faults."""

import os
import signal
import subprocess
import sys

import pytest
import sqlite_utils

from tracker.config import Config
from tracker.emulator import Emulator, load_facts

from conftest import TOKEN, Sleeps, facts, harvest


def count(db, table, where="1", params=()):
    return db.execute(f"select count(*) from {table} where {where}", params).fetchone()[0]


def emulator_counts(emu, repos=None):
    store = emu.store
    chosen = [r for r in store.repos.values() if repos is None or r.full_name in repos]
    return {
        "repos": len(chosen),
        "issues": sum(len(r.issues) for r in chosen),
        "releases": sum(1 for r in chosen for rel in r.releases if not rel.draft),
        "comments": sum(len(r.comments_by_created) for r in chosen),
        "commits": sum(len(r.commits) for r in chosen),
    }


def db_counts(db):
    return {
        "repos": count(db, "repos", "missing_since is null"),
        "issues": count(db, "issues"),
        "releases": count(db, "releases"),
        "comments": count(db, "issue_comments"),
        "commits": count(db, "commits"),
    }


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):
    """One full harvest of the seeded emulator, shared by read-only tests."""
    path = tmp_path_factory.mktemp("full") / "tracker.db"
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        first = harvest(path, emu)
        emu.reset_log()
        second = harvest(path, emu)
        # Snapshot: other tests below talk to this emulator too.
        second.log = list(emu.requests)
        yield sqlite_utils.Database(path), emu, first, second


def test_full_harvest_equals_emulator(harvested):
    db, emu, first, _ = harvested
    assert first.status == "ok", first.errors
    assert db_counts(db) == emulator_counts(emu)
    assert count(db, "pull_requests") == count(db, "issues", "type = 'pull'")


def test_contributors_and_labels_equal_emulator(harvested):
    import httpx

    db, emu, *_ = harvested
    expected = 0
    with httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        for repo in emu.store.repos.values():
            people = http.get(f"/repos/{repo.full_name}/contributors", params={"per_page": 100}).json()
            expected += sum(1 for p in people if p.get("id"))
    assert count(db, "contributors") == expected > 0
    labels = {name for repo in emu.store.repos.values() for name in repo.labels}
    assert {r[0] for r in db.execute("select name from labels")} == labels


def test_dockerspawner_releases_have_real_tag_dates(harvested):
    db, *_ = harvested
    real = {r["tag_name"]: r["published_at"] for r in facts("jupyterhub__dockerspawner", "releases.json")}
    stored = {row["tag_name"]: row["published_at"] for row in db.query(
        "select tag_name, published_at from releases join repos on repos.id = releases.repo "
        "where repos.full_name = 'jupyterhub/dockerspawner'")}
    assert len(stored) == 17
    assert stored == real
    assert stored["14.0.0"] == "2025-02-12T13:22:42Z"


def test_pr_merge_dates_match_the_facts(harvested):
    db, *_ = harvested
    for folder, full in [("jupyterhub__dockerspawner", "jupyterhub/dockerspawner"),
                         ("voila-dashboards__voila", "voila-dashboards/voila")]:
        real = {p["number"]: p["merged_at"] for p in facts(folder, "pulls.json") if p["merged"]}
        stored = dict(db.execute(
            "select number, merged_at from issues join repos on repos.id = issues.repo "
            "where repos.full_name = ? and merged_at is not null", [full]).fetchall())
        assert stored == real
        titles = dict(db.execute(
            "select pull_requests.number, pull_requests.title from pull_requests "
            "join repos on repos.id = pull_requests.repo where repos.full_name = ?", [full]).fetchall())
        for pull in facts(folder, "pulls.json")[:20]:
            assert titles[pull["number"]] == pull["title"]


def test_rename_followed_and_recorded(harvested):
    db, *_ = harvested
    row = db.execute("select full_name, renamed_from, tracked_via from repos "
                     "where full_name = 'jupytext/jupytext'").fetchone()
    assert row == ("jupytext/jupytext", "mwouts/jupytext", "repo:mwouts/jupytext")
    assert count(db, "releases", "repo = (select id from repos where full_name = 'jupytext/jupytext')") > 100


def test_comments_linked_to_issues_and_repo(harvested):
    db, *_ = harvested
    assert count(db, "issue_comments", "issue is null") == 0
    assert count(db, "issue_comments", "repo is null") == 0


def test_stats_and_run_recorded(harvested):
    db, emu, first, second = harvested
    assert count(db, "repo_stats") == 2 * first.repos
    runs = list(db.query("select * from harvest_runs order by id"))
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[1]["counted_requests"] == 0 and runs[1]["not_modified"] > 0


def test_no_change_reharvest_makes_zero_counted_requests(harvested):
    db, emu, first, second = harvested
    # Change detection (the default, #20) asks one issue search per group of owners
    # (the search budget); every core request is a free 304.
    core = [r for r in second.log if not r.path.startswith("/search/")]
    assert core and not any(r.counted for r in core)
    assert second.counted == 0 and second.not_modified == second.requests - second.search
    assert all(r.status == 304 for r in core)
    assert 0 < second.search == len(second.log) - len(core) <= 2
    assert second.counts.get("issues", 0) == second.counts.get("comments", 0) == 0


def test_users_and_bots(harvested):
    db, *_ = harvested
    assert count(db, "users", "login like '%[bot]' and is_bot = 0") == 0
    assert count(db, "users", "login = 'jupyterhub-bot' and is_bot = 1") == 1
    assert count(db, "first_contributions") == count(db, "(select distinct user from issues)")


def test_token_never_stored(harvested):
    db, *_ = harvested
    dump = "\n".join(db.conn.iterdump())
    assert TOKEN not in dump


def test_mutations_picked_up_exactly(tmp_path, emulator):
    path = tmp_path / "t.db"
    config = Config(repos=["jupyterhub/dockerspawner", "ines/juniper"])
    assert harvest(path, emulator, config).status == "ok"
    store = emulator.store
    rel = store.add_release("jupyterhub/dockerspawner", "15.0.0", body="New things")
    issue = store.add_issue("jupyterhub/dockerspawner", "[synthetic] new issue", "synthetic-user-1")
    store.add_comment("jupyterhub/dockerspawner", issue.number, "synthetic-user-2", "[synthetic] hello")
    store.update_issue("jupyterhub/dockerspawner", 526, state="open", labels=["bug"])
    emulator.reset_log()
    summary = harvest(path, emulator, config)
    db = sqlite_utils.Database(path)
    assert summary.status == "ok"
    assert db_counts(db) == emulator_counts(emulator, {"jupyterhub/dockerspawner", "ines/juniper"})
    assert db["releases"].get(rel.id)["body"] == "New things"
    body = db.execute("select body from issue_comments where issue = ?", [issue.id]).fetchone()
    assert body == ("[synthetic] hello",)
    state = db.execute("select state, id from issues where number = 526 and repo = "
                       "(select id from repos where full_name = 'jupyterhub/dockerspawner')").fetchone()
    assert state[0] == "open"
    labels = [r[0] for r in db.execute(
        "select labels.name from issues_labels join labels on labels.id = labels_id "
        "where issues_id = ?", [state[1]])]
    assert labels == ["bug"]
    # A handful of counted requests for the changed repo, none for the other.
    counted = [r for r in emulator.requests if r.counted]
    assert len(counted) <= 8, [(r.path, r.query) for r in counted]
    assert not any("juniper" in r.path for r in counted)


def test_rename_and_delete_after_harvest(tmp_path, emulator):
    path = tmp_path / "t.db"
    config = Config(orgs=["jupyterhub"])
    harvest(path, emulator, config)
    db = sqlite_utils.Database(path)
    before = count(db, "issues")
    emulator.store.rename_repo("jupyterhub/dockerspawner", "jupyterhub/dockerspawner2")
    emulator.store.delete_repo("jupyterhub/jupyterhub-deploy-docker")
    summary = harvest(path, emulator, Config(orgs=["jupyterhub"], repos=["jupyterhub/jupyterhub-deploy-docker"]))
    assert summary.status == "ok", summary.errors
    assert db.execute("select renamed_from from repos where full_name = 'jupyterhub/dockerspawner2'").fetchone() == ("jupyterhub/dockerspawner",)
    assert db.execute("select missing_since is not null from repos where full_name = "
                      "'jupyterhub/jupyterhub-deploy-docker'").fetchone() == (1,)
    assert count(db, "issues") == before  # nothing lost


def test_issue_edited_between_pages(tmp_path, emulator):
    """An issue edited mid-stream moves in sort=updated order: stored once, up to date."""
    path = tmp_path / "t.db"
    full = "jupyterhub/zero-to-jupyterhub-k8s"
    repo = emulator.store.repo(full)
    oldest = min(repo.issues.values(), key=lambda i: i.updated_at)
    # Between page 1 and page 2 of the issues stream (the emulator's hook, no sleeps).
    edit = emulator.before(lambda: emulator.store.update_issue(
        full, oldest.number, title="[synthetic] edited mid-run"),
        path_contains=f"/repositories/{repo.id}/issues", query_contains="page=2")
    harvest(path, emulator, Config(repos=[full]), exact=True)
    assert edit.hits == 1
    db = sqlite_utils.Database(path)
    assert db.execute("select title from issues where id = ?", [oldest.id]).fetchone() == ("[synthetic] edited mid-run",)
    assert count(db, "issues") == len(repo.issues)


def test_rate_limit_spent_mid_run_then_next_run_completes(tmp_path, emulator):
    path = tmp_path / "t.db"
    emulator.set_rate_limit(remaining=25, reset_in=3600)
    summary = harvest(path, emulator, max_wait=5)
    assert summary.status == "partial" and summary.exit_code == 4
    assert "rate limit" in summary.errors[0].message
    assert [r["status"] for r in sqlite_utils.Database(path).query(
        "select status from harvest_runs")] == ["partial"]
    db = sqlite_utils.Database(path)
    assert count(db, "repos") > 0
    emulator.set_rate_limit(remaining=5000, reset_in=3600)
    assert harvest(path, emulator).status == "ok"
    assert db_counts(db) == emulator_counts(emulator)


def test_rate_limit_near_reset_waits(tmp_path, emulator):
    # The emulator's bucket refills on the real clock: sleep for real (about 2 s).
    sleeps = Sleeps(real=True)
    emulator.set_rate_limit(remaining=3, reset_in=1)
    summary = harvest(tmp_path / "t.db", emulator, Config(repos=["ines/juniper"]), sleeps=sleeps)
    assert summary.status == "ok"
    assert sleeps and max(sleeps) <= 5


@pytest.mark.parametrize("kind,extra", [("500", {}), ("502", {}), ("drop", {}), ("truncate", {}),
                                        ("secondary", {"retry_after": 1}), ("429", {"retry_after": 2}),
                                        ("secondary", {})])
def test_faults_are_retried(tmp_path, emulator, kind, extra):
    sleeps = Sleeps()
    emulator.add_fault(kind, path_contains="/issues", count=2, **extra)
    config = Config(repos=["jupyterhub/dockerspawner"])
    summary = harvest(tmp_path / "t.db", emulator, config, sleeps=sleeps)
    secondary = kind in ("secondary", "429")
    # Two secondary-limit answers in a row are repeated: the run reports them (tracker/pacer.py).
    assert summary.status == ("partial" if secondary else "ok"), summary.errors
    assert not secondary or (len(summary.errors) == 1 and "2 times" in summary.errors[0].message)
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert db_counts(db) == emulator_counts(emulator, {"jupyterhub/dockerspawner"})
    waits, paced = sleeps[:2], sleeps[2:]
    # After a secondary limit the pacer slows down: later sleeps are its short waits.
    assert len(waits) == 2 and (secondary or not paced) and all(s < 1 for s in paced)
    if kind == "secondary" and not extra:
        assert min(waits) >= 59.9  # GitHub: wait at least a minute (from the answer)
    if "retry_after" in extra:
        assert waits[0] == pytest.approx(extra["retry_after"], abs=0.1)


def test_persistent_5xx_is_an_error_not_a_crash(tmp_path, emulator):
    emulator.add_fault("500", path_contains="/releases", count=100)
    summary = harvest(tmp_path / "t.db", emulator, Config(repos=["jupyterhub/dockerspawner", "ines/juniper"]),
                      retries=2)
    assert summary.status == "partial" and summary.exit_code == 1
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert count(db, "issues") > 0  # the other streams and repos were still harvested


def run_cli(*args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120, **kwargs)


def test_sigkill_mid_harvest_then_next_run_completes(tmp_path):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  repos: [jupyterhub/zero-to-jupyterhub-k8s, mwouts/jupytext]\n")
    db_path = tmp_path / "t.db"
    with Emulator(load_facts(), tokens={TOKEN}, latency=0.02) as emu:
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url}
        procs, seen = [], []

        def kill_at_the_third_comments_page():  # the emulator's hook: no polling, no sleeps
            seen.append(1)
            if len(seen) == 3:
                procs[0].send_signal(signal.SIGKILL)

        emu.before(kill_at_the_third_comments_page, path_contains="/comments", count=3)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tracker", "harvest", "--db", str(db_path), "--config",
             str(config), "--no-digest"], env={**os.environ, **env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        proc = procs[0]
        proc.wait(timeout=60)
        db = sqlite_utils.Database(db_path)
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
        partial = count(db, "issue_comments")
        result = run_cli("harvest", "--db", str(db_path), "--config", str(config), "--no-digest", env=env)
        assert result.returncode == 0, result.stderr
        names = {"jupyterhub/zero-to-jupyterhub-k8s", "jupytext/jupytext"}
        assert db_counts(db) == emulator_counts(emu, names)
        assert count(db, "issue_comments") >= partial
        statuses = [r[0] for r in db.execute("select status from harvest_runs order by id")]
        assert statuses == ["interrupted", "ok"]


def test_bad_token_clear_error_never_printed(tmp_path, emulator):
    bad = "ghp_this_is_a_bad_token_SECRET"
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  orgs: [jupyterhub]\n")
    result = run_cli("harvest", "--db", str(tmp_path / "t.db"), "--config", str(config),
                     env={"GITHUB_TOKEN": bad, "GITHUB_API_URL": emulator.url})
    assert result.returncode == 3
    assert "401" in result.stderr and "GITHUB_TOKEN" in result.stderr
    assert bad not in result.stdout + result.stderr
    assert bad not in "\n".join(sqlite_utils.Database(tmp_path / "t.db").conn.iterdump())


def test_unknown_org_reported_others_harvested(tmp_path, emulator):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  orgs: [no-such-org-xyz]\n  repos: [ines/juniper]\n")
    result = run_cli("harvest", "--db", str(tmp_path / "t.db"), "--config", str(config),
                     env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emulator.url})
    assert result.returncode == 1
    assert "no-such-org-xyz" in result.stderr and "not found" in result.stderr
    assert count(sqlite_utils.Database(tmp_path / "t.db"), "repos") == 1


@pytest.mark.parametrize("text,message", [
    ("github:\n  orgz: [x]\n", "github.orgz"),
    ("github:\n  topics: [Jupyter Lab]\n", "github.topics[0]"),
    ("discovery:\n  tier: heavy\n", "discovery.tier"),
    ("github:\n  repos: [just-a-name]\n", "github.repos[0]"),
    ("github: [\n", "not valid YAML"),
    ("feeds:\n  - url: ftp://x\n", "feeds[0].url"),
])
def test_bad_config_exit_2_names_the_key(tmp_path, text, message):
    config = tmp_path / "tracker.yml"
    config.write_text(text)
    db_path = tmp_path / "t.db"
    result = run_cli("harvest", "--db", str(db_path), "--config", str(config))
    assert result.returncode == 2
    assert message in result.stderr
    assert not db_path.exists()


def test_second_run_while_locked_exits(tmp_path):
    from tracker.harvest.run import db_lock

    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  repos: [ines/juniper]\n")
    with db_lock(str(tmp_path / "t.db")):
        result = run_cli("harvest", "--db", str(tmp_path / "t.db"), "--config", str(config))
    assert result.returncode == 75
    assert "another harvest is running" in result.stderr


def test_unauthenticated_says_so_once(tmp_path, emulator):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  repos: [ines/juniper]\n")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
    env["GITHUB_API_URL"] = emulator.url
    result = subprocess.run([sys.executable, "-m", "tracker", "harvest", "--db", str(tmp_path / "t.db"),
                             "--config", str(config), "--no-digest"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("No GITHUB_TOKEN") == 1


def test_repo_option_is_checked_like_the_watchlist(tmp_path, emulator):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  orgs: [jupyterhub]\n")
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emulator.url}
    args = ("harvest", "--db", str(tmp_path / "t.db"), "--config", str(config), "--no-digest")
    bad = run_cli(*args, "--repo", "badname", env=env)
    assert bad.returncode == 2 and "--repo must look like OWNER/NAME" in bad.stderr
    assert not (tmp_path / "t.db").exists()
    # Named on the command line, a repo GitHub does not know is that run's error.
    missing = run_cli(*args, "--repo", "jupyterhub/no-such-repo", env=env)
    assert missing.returncode == 1 and missing.stdout.startswith("partial:")
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert [r["status"] for r in db["harvest_runs"].rows] == ["partial"]
    assert db.execute("select target, http_status from harvest_errors").fetchall() == [
        ("jupyterhub/no-such-repo", 404)]
