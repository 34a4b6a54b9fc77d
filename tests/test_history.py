"""Stars and forks over time (#25): the history streams against the emulator's truth.

Every harvest goes through the real pipeline (run_harvest, client, writer) over
loopback; costs are counted from the emulator's own request log."""

import math

import httpx
import pytest
import sqlite_utils

from conftest import TOKEN, harvest
from tracker.config import Config, ConfigError, parse_config
from tracker.emulator import Emulator, Store
from tracker.emulator.history import forks, stargazers
from tracker.emulator.records import iso, stable_id
from tracker.harvest.signals import StopEvent

REPO = "stellar/telescope"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Reconciliation every day: the re-walk schedule is then "the next run" on any date.
DAILY = dict(repos=[REPO], reconcile_days=1)
NO_RECONCILE = dict(repos=[REPO], reconcile_days=0)


def world(stars=250, forks_count=40):
    store = Store()
    store.add_repo("stellar", "telescope", created_at="2019-03-04T10:00:00Z",
                   pushed_at="2026-10-01T00:00:00Z", updated_at="2026-10-01T00:00:00Z",
                   stargazers_count=stars, forks_count=forks_count, size=10)
    return store


@pytest.fixture
def emu():
    with Emulator(world(), tokens={TOKEN}) as e:
        yield e


def history_requests(emu):
    return [r for r in emu.requests if r.path.endswith(("/stargazers", "/forks"))]


def truth(store):
    repo = store.repo(REPO)
    return ({(stable_id("user", s.login), iso(s.at)) for s in stargazers(repo)},
            {(f.id, iso(f.at)) for f in forks(repo)})


def held(path):
    db = sqlite_utils.Database(path)
    stars = {(r["user"], r["starred_at"]) for r in db.query(
        "select user, starred_at from stars where unstarred_at is null")}
    found = {(r["id"], r["created_at"]) for r in db.query(
        "select id, created_at from forks where deleted_at is null")}
    return stars, found


def coverage(path, stream="stargazers"):
    db = sqlite_utils.Database(path)
    return next(db.query("select * from history_coverage where stream = ?", [stream]))


def a_day_passes(path):
    """As if the next run came a day later: every stream's last check moves back."""
    db = sqlite_utils.Database(path)
    db.execute("update history_coverage set checked_at = '2000-01-01T00:00:00Z'")
    db.conn.commit()


# -- the emulator's listings ------------------------------------------------------

def test_emulator_lists_stargazers_oldest_first_with_the_star_media_type(emu):
    with httpx.Client(base_url=emu.url, headers=AUTH) as c:
        plain = c.get(f"/repos/{REPO}/stargazers", params={"per_page": 100}).json()
        star = c.get(f"/repos/{REPO}/stargazers", params={"per_page": 100},
                     headers={"Accept": "application/vnd.github.star+json"})
        assert "login" in plain[0] and "starred_at" not in plain[0]
        items = star.json()
        assert set(items[0]) == {"starred_at", "user"}
        dates = [i["starred_at"] for i in items]
        assert dates == sorted(dates)
        assert 'rel="last"' in star.headers["link"] and "page=3" in star.headers["link"]
        again = c.get(f"/repos/{REPO}/stargazers", params={"per_page": 100},
                      headers={"Accept": "application/vnd.github.star+json",
                               "If-None-Match": star.headers["etag"]})
        assert again.status_code == 304
        oldest = c.get(f"/repos/{REPO}/forks", params={"sort": "oldest", "per_page": 100}).json()
        newest = c.get(f"/repos/{REPO}/forks", params={"per_page": 100}).json()
        assert [f["id"] for f in oldest] == [f["id"] for f in newest][::-1]
        assert all(f["fork"] for f in oldest) and len(oldest) == 40


def test_emulator_stops_serving_stargazers_past_the_page_cap(emu):
    emu.store.star_page_cap = 2
    with httpx.Client(base_url=emu.url, headers=AUTH) as c:
        first = c.get(f"/repos/{REPO}/stargazers", params={"per_page": 100})
        assert first.links["last"]["url"].endswith("page=2")  # not 3: how far it will go
        second = c.get(first.links["next"]["url"])
        assert second.status_code == 200 and "next" not in second.links
        third = c.get(f"/repos/{REPO}/stargazers", params={"per_page": 100, "page": 3})
        assert third.status_code == 422
        assert "pagination is limited" in third.json()["message"]


# -- the harvest -------------------------------------------------------------------

def test_first_harvest_equals_the_emulators_truth(emu, tmp_path):
    path = tmp_path / "t.db"
    assert harvest(path, emu, Config(**DAILY)).status == "ok"
    assert held(path) == truth(emu.store)
    cov = coverage(path)
    assert (cov["github_count"], cov["listed"], cov["capped"], cov["walk"]) == (250, 250, 0, None)
    # Three pages of stargazers, one of forks, each asked with the star media type where due.
    assert len(history_requests(emu)) == 3 + 1
    db = sqlite_utils.Database(path)
    # github-to-sqlite's shape: stars(user -> users, repo -> repos, starred_at).
    assert {fk.column: fk.other_table for fk in db["stars"].foreign_keys} == {
        "user": "users", "repo": "repos"}
    login = db.execute("select login from users join stars on stars.user = users.id "
                       "order by starred_at limit 1").fetchone()[0]
    assert login == stargazers(emu.store.repo(REPO))[0].login


@pytest.mark.parametrize("k", [1, 99, 100, 101, 250])
def test_k_new_stars_cost_at_most_ceil_k_over_100_plus_one(emu, tmp_path, k):
    path = tmp_path / "t.db"
    harvest(path, emu, Config(**NO_RECONCILE))
    for _ in range(k):
        emu.store.add_star(REPO)
    emu.reset_log()
    assert harvest(path, emu, Config(**NO_RECONCILE)).status == "ok"
    asked = [r for r in history_requests(emu) if r.path.endswith("/stargazers")]
    assert 1 <= len(asked) <= math.ceil(k / 100) + 1
    assert held(path) == truth(emu.store)
    assert coverage(path)["listed"] == 250 + k and not coverage(path)["dirty"]


def test_unchanged_counts_cost_nothing(emu, tmp_path):
    path = tmp_path / "t.db"
    harvest(path, emu, Config(**NO_RECONCILE))
    emu.reset_log()
    harvest(path, emu, Config(**NO_RECONCILE))
    assert history_requests(emu) == []
    # On a reconciliation day the one look at the last page is a free 304.
    a_day_passes(path)
    emu.reset_log()
    harvest(path, emu, Config(**DAILY))
    asked = history_requests(emu)
    assert len(asked) == 2 and all(r.status == 304 and not r.counted for r in asked)


def test_an_unstar_is_found_at_the_next_walk(emu, tmp_path):
    path = tmp_path / "t.db"
    harvest(path, emu, Config(**DAILY))
    gone = stargazers(emu.store.repo(REPO))[17].login
    emu.store.remove_star(REPO, gone)
    fork = forks(emu.store.repo(REPO))[3].id
    emu.store.remove_fork(REPO, fork)
    # Not a reconciliation day: the shrink is noted, nothing is asked.
    harvest(path, emu, Config(**NO_RECONCILE))
    assert coverage(path)["dirty"] == 1
    a_day_passes(path)
    harvest(path, emu, Config(**DAILY))
    assert held(path) == truth(emu.store)
    db = sqlite_utils.Database(path)
    row = db.execute("select unstarred_at from stars where user = ?",
                     [stable_id("user", gone)]).fetchone()
    assert row[0] is not None
    assert db.execute("select deleted_at from forks where id = ?", [fork]).fetchone()[0]
    assert coverage(path)["dirty"] == 0


def test_an_unstar_hidden_by_a_new_star_is_found_at_the_reconciliation(emu, tmp_path):
    path = tmp_path / "t.db"
    harvest(path, emu, Config(**DAILY))
    gone = stargazers(emu.store.repo(REPO))[5].login
    emu.store.remove_star(REPO, gone)
    emu.store.add_star(REPO)  # the count is unchanged
    a_day_passes(path)
    harvest(path, emu, Config(**DAILY))
    assert held(path) == truth(emu.store)


def test_the_page_cap_on_a_huge_repo_falls_back_to_snapshots_and_says_so(emu, tmp_path):
    emu.store.star_page_cap = 2  # GitHub's is 400 pages; detected, never assumed
    path = tmp_path / "t.db"
    assert harvest(path, emu, Config(**DAILY)).status == "ok"
    cov = coverage(path)
    assert (cov["capped"], cov["listable"], cov["listed"], cov["github_count"]) == (1, 200, 200, 250)
    first_200 = sorted(truth(emu.store)[0], key=lambda s: s[1])[:200]
    assert held(path)[0] == set(first_200)
    assert cov["capped_after"] == max(s[1] for s in first_200)
    # More stars beyond the cap cost nothing: GitHub would not list them.
    for _ in range(30):
        emu.store.add_star(REPO)
    emu.reset_log()
    assert harvest(path, emu, Config(**NO_RECONCILE)).status == "ok"
    assert [r for r in history_requests(emu) if r.path.endswith("/stargazers")] == []
    assert coverage(path)["github_count"] == 280


def test_a_tail_past_the_cap_is_detected_from_the_422(emu, tmp_path):
    path = tmp_path / "t.db"
    harvest(path, emu, Config(**NO_RECONCILE))
    emu.store.star_page_cap = 3
    for _ in range(100):
        emu.store.add_star(REPO)
    summary = harvest(path, emu, Config(**NO_RECONCILE))
    assert summary.status == "ok", summary.errors
    cov = coverage(path)
    assert cov["capped"] == 1 and cov["listed"] == 300 and cov["github_count"] == 350
    assert cov["capped_after"] == max(s for _, s in held(path)[0])


def test_an_interrupted_walk_resumes_from_its_last_saved_page(emu, tmp_path):
    path = tmp_path / "t.db"
    for _ in range(250):
        emu.store.add_star(REPO)  # 500 stars: five pages
    emu.add_fault("drop", path_contains="/stargazers", query_contains="page=4", count=None)
    summary = harvest(path, emu, Config(**NO_RECONCILE), retries=0)
    assert summary.status == "partial"
    walk = coverage(path)["walk"]
    assert walk and '"page": 4' in walk
    assert len(held(path)[0]) == 300
    emu.clear_faults()
    emu.reset_log()
    assert harvest(path, emu, Config(**NO_RECONCILE)).status == "ok"
    pages = sorted(r.query["page"] for r in history_requests(emu) if r.path.endswith("/stargazers"))
    assert pages == ["4", "5"]
    assert held(path) == truth(emu.store)
    assert coverage(path)["walk"] is None


def test_a_signal_mid_walk_keeps_what_was_saved(emu, tmp_path):
    path = tmp_path / "t.db"
    stop = StopEvent()
    seen = []

    def rewrite(body):
        seen.append(1)
        if len(seen) == 2:
            stop.set()
        return body

    emu.add_fault("rewrite", path_contains="/stargazers", count=None, rewrite=rewrite)
    harvest(path, emu, Config(**NO_RECONCILE), stop=stop)
    emu.clear_faults()
    assert harvest(path, emu, Config(**NO_RECONCILE)).status == "ok"
    assert held(path) == truth(emu.store)


def test_history_off_asks_nothing(emu, tmp_path):
    path = tmp_path / "t.db"
    harvest(path, emu, Config(**NO_RECONCILE, history=False))
    assert history_requests(emu) == []


def test_history_keys_are_validated():
    assert parse_config("github:\n  history: false\n").history is False
    assert parse_config("").history is True
    assert parse_config("").discovery.history_tiers == ["full"]
    with pytest.raises(ConfigError, match="github.history"):
        parse_config("github:\n  history: sometimes\n")
    with pytest.raises(ConfigError, match=r"discovery.history_tiers\[0\]"):
        parse_config("discovery:\n  history_tiers: [heavy]\n")
