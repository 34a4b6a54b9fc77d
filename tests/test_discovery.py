"""Discovery by topic and search, over loopback against the emulator's /search/repositories.

Time is a fake clock shared by the emulator's rate-limit buckets and the client, whose
``sleep`` advances it: pacing to the search reset is real, and instant.
"""

import time
from collections import Counter
from datetime import datetime, timezone

import sqlite_utils

from tracker.config import Config, Discovery
from tracker.db import load_states, open_db
from tracker.emulator import Emulator, add_discoverable_repos, load_facts
from tracker.github import GitHubClient
from tracker.harvest.discovery import discover
from tracker.harvest.run import Progress, run_harvest

from conftest import TOKEN

EXT, KERNEL = "jupyterlab-extension", "jupyter-kernel"


class Clock:
    """A clock and a sleep in one: sleeping moves the time on."""

    def __init__(self, start=None):
        self.t = float(start or time.time())
        self.slept = []

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.t += seconds

    def stamp(self):
        return datetime.fromtimestamp(self.t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def start(store, **kwargs):
    clock = Clock()
    emu = Emulator(store, tokens={TOKEN}, **kwargs).start()
    emu.limits.clock = clock
    return emu, clock


def client_for(emu, clock, **kwargs):
    return GitHubClient(TOKEN, emu.url, clock=clock, sleep=clock.sleep, **kwargs)


def run_discovery(db, emu, clock, config, **kwargs):
    with client_for(emu, clock, **kwargs) as client:
        return discover(client, db, config, clock.stamp(), state=load_states(db),
                        log=lambda m: None)


def full_run(path, emu, clock, config, **kwargs):
    with client_for(emu, clock, **kwargs) as client:
        return run_harvest(str(path), config, client=client, digest=False,
                           progress=Progress(quiet=True))


def search_log(emu):
    return [r for r in emu.requests if r.path == "/search/repositories"]


def core_log(emu):
    return [r for r in emu.requests if not r.path.startswith("/search/")]


def ids_with_topic(store, topic):
    return {r.id for r in store.repos.values() if topic in r.topics and not r.archived
            and not r.fork}


def stored_ids(db, source):
    return {row[0] for row in db.execute("select repo from repo_sources where source = ?",
                                         [source])}


def test_topic_over_1000_is_found_completely_by_slicing():
    store = load_facts()
    add_discoverable_repos(store, 1500, [EXT], seed=1, second_topic=0)
    emu, clock = start(store)
    try:
        db = open_db(sqlite_utils.Database(memory=True))
        found = run_discovery(db, emu, clock, Config(topics=[EXT]))
        assert found.errors == [] and found.incomplete == []
        assert stored_ids(db, f"topic:{EXT}") == ids_with_topic(store, EXT)
        assert len(ids_with_topic(store, EXT)) > 1000
        log = search_log(emu)
        assert all(r.status == 200 for r in log)
        assert all(int(r.query.get("page", 1)) <= 10 for r in log)
        assert all(r.query["per_page"] == "100" for r in log)
        assert core_log(emu) == []
        # Every stored repo has its row and a stats snapshot from the search item.
        assert db.execute("select count(*) from repos").fetchone()[0] == len(found.repos)
        assert db.execute("select count(*) from repo_stats where stargazers_count is null"
                          ).fetchone()[0] == 0
    finally:
        emu.stop()


def test_search_budget_is_never_exceeded():
    store = load_facts()
    add_discoverable_repos(store, 1200, [EXT], seed=2, second_topic=0)
    emu, clock = start(store, search_limit=5)
    try:
        db = open_db(sqlite_utils.Database(memory=True))
        found = run_discovery(db, emu, clock, Config(topics=[EXT]))
        assert stored_ids(db, f"topic:{EXT}") == ids_with_topic(store, EXT)
        log = search_log(emu)
        assert len(log) > 5 and all(r.status == 200 for r in log)
        assert found.requests == len(log)
        assert clock.slept, "it must have waited for the search reset"
    finally:
        emu.stop()


def test_repo_with_two_topics_and_watched_is_one_row_with_three_sources(tmp_path):
    store = load_facts()
    store.repo("jupyterhub/dockerspawner").topics += [EXT, KERNEL]
    add_discoverable_repos(store, 40, [EXT, KERNEL], seed=3)
    emu, clock = start(store)
    try:
        config = Config(repos=["jupyterhub/dockerspawner"], topics=[EXT, KERNEL])
        summary = full_run(tmp_path / "t.db", emu, clock, config)
        assert summary.status == "ok", summary.errors
        db = sqlite_utils.Database(tmp_path / "t.db")
        rid = store.repo("jupyterhub/dockerspawner").id
        assert db.execute("select count(*) from repos where id = ?", [rid]).fetchone()[0] == 1
        sources = sorted(r[0] for r in db.execute(
            "select source from repo_sources where repo = ?", [rid]))
        assert sources == sorted([f"topic:{KERNEL}", f"topic:{EXT}", "repo:jupyterhub/dockerspawner"])
        assert db.execute("select tracked_via from repos where id = ?",
                          [rid]).fetchone()[0] == "repo:jupyterhub/dockerspawner"
        # Watched: the full harvest (issues too); discovered only: releases, no issues.
        assert db.execute("select count(*) from issues where repo = ?", [rid]).fetchone()[0] > 0
        light = {r.id for r in store.repos.values() if r.full_name.startswith("synthetic-dev")}
        marks = ",".join("?" * len(light))
        assert db.execute(f"select count(*) from issues where repo in ({marks})",
                          list(light)).fetchone()[0] == 0
        assert db.execute(f"select count(distinct repo) from releases where repo in ({marks})",
                          list(light)).fetchone()[0] == len(light)
        light_paths = {r.path.rsplit("/", 1)[-1] for r in core_log(emu)
                       if "synthetic-dev" in r.path}
        assert light_paths == {"releases"}
    finally:
        emu.stop()


def test_new_repo_after_first_run_found_with_no_core_requests(tmp_path):
    store = load_facts()
    add_discoverable_repos(store, 300, [EXT, KERNEL], seed=4)
    emu, clock = start(store)
    try:
        db = open_db(sqlite_utils.Database(memory=True))
        config = Config(topics=[EXT, KERNEL])
        run_discovery(db, emu, clock, config)
        clock.t += 3600
        emu.reset_log()
        quiet = run_discovery(db, emu, clock, config)
        assert quiet.new == 0 and len(search_log(emu)) == 2 and core_log(emu) == []
        assert all("created:" in r.query["q"] for r in search_log(emu))
        clock.t += 3600
        fresh = store.add_repo("someone-new", "jupyterlab-shiny", owner_type="User",
                               topics=[EXT], created_at=clock.stamp(), stargazers_count=3)
        emu.reset_log()
        again = run_discovery(db, emu, clock, config)
        assert again.new == 1 and fresh.id in again.repos
        assert len(search_log(emu)) == 2 and core_log(emu) == []
        assert stored_ids(db, f"topic:{EXT}") == ids_with_topic(store, EXT)
    finally:
        emu.stop()


def test_repo_that_gains_a_topic_is_found_by_the_weekly_sweep():
    store = load_facts()
    add_discoverable_repos(store, 100, [EXT], seed=5, end="2024-01-01T00:00:00Z")
    old = store.add_repo("quiet-person", "old-widget", owner_type="User",
                         created_at="2019-05-05T00:00:00Z", topics=["other"])
    emu, clock = start(store)
    try:
        db = open_db(sqlite_utils.Database(memory=True))
        config = Config(topics=[EXT], discovery=Discovery(resweep_days=7))
        first = run_discovery(db, emu, clock, config)
        assert old.id not in first.repos and first.swept == [f"topic:{EXT}"]
        old.topics.append(EXT)
        clock.t += 2 * 86400
        daily = run_discovery(db, emu, clock, config)
        assert old.id not in daily.repos and daily.swept == []  # incremental misses it
        clock.t += 6 * 86400
        weekly = run_discovery(db, emu, clock, config)
        assert weekly.swept == [f"topic:{EXT}"] and old.id in weekly.repos
        assert old.id in stored_ids(db, f"topic:{EXT}")
    finally:
        emu.stop()


def test_incomplete_results_are_retried_never_taken_as_complete():
    store = load_facts()
    add_discoverable_repos(store, 150, [EXT], seed=6)
    emu, clock = start(store)
    try:
        db = open_db(sqlite_utils.Database(memory=True))
        config = Config(topics=[EXT])
        emu.store.search_incomplete = 1  # the first answer times out inside GitHub
        found = run_discovery(db, emu, clock, config)
        assert found.incomplete == []
        assert stored_ids(db, f"topic:{EXT}") == ids_with_topic(store, EXT)
        emu.store.search_incomplete = 100  # it never recovers in this run
        db2 = open_db(sqlite_utils.Database(memory=True))
        stuck = run_discovery(db2, emu, clock, config)
        assert stuck.incomplete == [f"topic:{EXT}"]
        assert "discovery:topic:" + EXT not in load_states(db2)  # the next run asks again
    finally:
        emu.stop()


def test_search_limit_does_not_stop_the_core_harvest(tmp_path):
    store = load_facts()
    add_discoverable_repos(store, 30, [EXT], seed=7)
    for status in (403, 429):
        emu, clock = start(store)
        try:
            emu.search_limit_status = status
            emu.set_rate_limit(0, reset_in=3600, resource="search")
            config = Config(repos=["ines/juniper"], topics=[EXT, KERNEL])
            path = tmp_path / f"{status}.db"
            summary = full_run(path, emu, clock, config, max_wait=60)
            assert summary.status == "partial" and summary.exit_code == 1
            assert any("search rate limit" in e.message for e in summary.errors), summary.errors
            assert len([r for r in search_log(emu) if r.status == status]) == 1
            db = sqlite_utils.Database(path)
            juniper = store.repo("ines/juniper")
            assert db.execute("select count(*) from issues").fetchone()[0] == len(juniper.issues)
            assert summary.rate_remaining is not None and summary.rate_remaining > 4000
        finally:
            emu.stop()


def test_search_limit_with_a_near_reset_is_waited_out(tmp_path):
    store = load_facts()
    add_discoverable_repos(store, 30, [EXT], seed=8)
    emu, clock = start(store)
    try:
        emu.set_rate_limit(0, reset_in=20, resource="search")
        db = open_db(sqlite_utils.Database(memory=True))
        found = run_discovery(db, emu, clock, Config(topics=[EXT]), max_wait=60)
        assert found.errors == [] and len(found.repos) == len(ids_with_topic(store, EXT))
        assert Counter(r.status for r in search_log(emu))[403] == 1
        assert 15 <= sum(clock.slept) <= 25
    finally:
        emu.stop()


def test_filters_stars_forks_archived_and_excluded():
    store = load_facts()
    store.add_repo("a-user", "tiny", owner_type="User", topics=[EXT], stargazers_count=1)
    store.add_repo("a-user", "big", owner_type="User", topics=[EXT], stargazers_count=50)
    store.add_repo("a-user", "big-fork", owner_type="User", topics=[EXT], stargazers_count=50,
                   fork=True)
    store.add_repo("a-user", "big-archived", owner_type="User", topics=[EXT],
                   stargazers_count=50, archived=True)
    store.add_repo("a-user", "big-excluded", owner_type="User", topics=[EXT],
                   stargazers_count=50)
    emu, clock = start(store)
    try:
        db = open_db(sqlite_utils.Database(memory=True))
        config = Config(topics=[EXT], exclude=["a-user/big-excluded"],
                        discovery=Discovery(min_stars=10))
        found = run_discovery(db, emu, clock, config)
        assert sorted(r["full_name"] for r in found.repos.values()) == ["a-user/big"]
        config.discovery = Discovery(min_stars=10, include_forks=True, include_archived=True)
        found = run_discovery(open_db(sqlite_utils.Database(memory=True)), emu, clock, config)
        assert sorted(r["full_name"] for r in found.repos.values()) == [
            "a-user/big", "a-user/big-archived", "a-user/big-fork"]
    finally:
        emu.stop()


def test_bad_query_is_reported_and_other_sources_go_on():
    store = load_facts()
    add_discoverable_repos(store, 20, [EXT], seed=9)
    emu, clock = start(store)
    try:
        db = open_db(sqlite_utils.Database(memory=True))
        config = Config(topics=[EXT], search=["widgets in:nowhere"])
        found = run_discovery(db, emu, clock, config)
        assert len(found.errors) == 1 and "search:widgets in:nowhere" in found.errors[0]
        assert stored_ids(db, f"topic:{EXT}") == ids_with_topic(store, EXT)
    finally:
        emu.stop()


def test_quiet_full_run_costs_search_requests_only(tmp_path):
    store = load_facts()
    add_discoverable_repos(store, 120, [EXT, KERNEL], seed=10)
    emu, clock = start(store)
    try:
        path = tmp_path / "t.db"
        first = full_run(path, emu, clock, Config(topics=[EXT, KERNEL]))
        assert first.status == "ok" and first.counts["discovered"] == 120
        assert len(core_log(emu)) == 120  # one releases listing per discovered repo
        emu.reset_log()
        quiet = full_run(path, emu, clock, Config(topics=[EXT, KERNEL]))
        assert quiet.status == "ok" and quiet.counts["discovered"] == 0
        assert len(search_log(emu)) == 2 and core_log(emu) == []
        # With the re-check due every run, known repos cost a conditional request: a free 304.
        emu.reset_log()
        every_run = Config(topics=[EXT, KERNEL], discovery=Discovery(releases_every_hours=0))
        full_run(path, emu, clock, every_run)
        assert len(core_log(emu)) == 120 and all(r.status == 304 for r in core_log(emu))
    finally:
        emu.stop()


def test_client_search_limit_raises_without_touching_core_state():
    from tracker.github import SearchRateLimited

    emu, clock = start(load_facts())
    try:
        with client_for(emu, clock, max_wait=60) as client:
            client.get("repos/ines/juniper")
            core = (client.stats.rate_remaining, client.stats.rate_reset)
            emu.set_rate_limit(0, reset_in=3600, resource="search")
            try:
                client.get("search/repositories", {"q": "topic:x"})
            except SearchRateLimited as e:
                assert e.reset_at and "search rate limit" in str(e)
            else:
                raise AssertionError("no SearchRateLimited")
            assert (client.stats.rate_remaining, client.stats.rate_reset) == core
            assert client.stats.search_remaining == 0
            assert client.get("repos/ines/juniper").status == 200  # core goes on
    finally:
        emu.stop()


def test_config_topics_search_and_discovery_options():
    from tracker.config import ConfigError, default_config_text, parse_config

    config = parse_config(default_config_text())
    assert "jupyterlab-extension" in config.topics and config.search
    assert config.discovery.resweep_days == 7 and config.discovery.tier == "light"
    config = parse_config("github:\n  topics: [a-b]\n  search: ['x stars:>=5']\n"
                          "discovery:\n  min_stars: 3\n  include_forks: true\n"
                          "  tiers: {'topic:a-b': full}\n")
    assert config.discovery.min_stars == 3 and config.discovery.tier_of(["topic:a-b"]) == "full"
    assert config.discovery.tier_of(["search:x stars:>=5"]) == "light"
    for bad, key in [("discovery:\n  min_stars: -1\n", "discovery.min_stars"),
                     ("discovery:\n  include_forks: yes please\n", "discovery.include_forks"),
                     ("discovery:\n  tiers: {'org:x': none}\n", "discovery.tiers"),
                     ("discovery:\n  sometimes: 1\n", "discovery.sometimes"),
                     ("github:\n  search: [3]\n", "github.search[0]")]:
        try:
            parse_config(bad)
        except ConfigError as e:
            assert key in str(e), (bad, e)
        else:
            raise AssertionError(bad)
