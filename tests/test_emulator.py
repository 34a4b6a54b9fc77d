"""The GitHub emulator against GitHub's own contract and recorded exchanges.

Bodies are validated with the official OpenAPI schemas in tests/fixtures/github-api; headers,
pagination, 304s, rate limits and redirects are compared with the recorded exchanges.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import jsonschema
import pytest

from tracker.emulator import Emulator, load_facts, synthetic_ecosystem
from tracker.emulator.facts import DATA_DIR

from conftest import GITHUB_API, openapi_to_jsonschema
TOKEN = "good-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DOCKERSPAWNER = "/repos/jupyterhub/dockerspawner"
Z2JH = "/repos/jupyterhub/zero-to-jupyterhub-k8s"


def validate(contract: str, body) -> None:
    path = GITHUB_API / contract
    schema = openapi_to_jsonschema(json.loads(path.read_text())["response_200"]["schema"])
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(body)


def exchange(name: str) -> dict:
    path = GITHUB_API / "exchanges" / name
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def shared_emu():
    """Read-only tests share one emulator; tests that mutate make their own."""
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        yield emu


@pytest.fixture(scope="module")
def client(shared_emu):
    with httpx.Client(base_url=shared_emu.url, headers=AUTH, timeout=10) as c:
        yield c


@pytest.fixture
def emu():
    with Emulator(load_facts(), tokens={TOKEN}) as e:
        yield e


@pytest.fixture
def c(emu):
    with httpx.Client(base_url=emu.url, headers=AUTH, timeout=10) as cl:
        yield cl


def facts(folder: str, name: str):
    return json.loads((DATA_DIR / folder / name).read_text())


# -- shapes -------------------------------------------------------------------
REPO_ID = {}

ENDPOINTS = [
    ("repos__list-for-org.json", "/orgs/jupyterhub/repos"),
    ("repos__list-for-user.json", "/users/ines/repos"),
    ("repos__get.json", DOCKERSPAWNER),
    ("repos__get.json", "/repos/jupytext/jupytext"),
    ("repos__list-releases.json", "/repos/voila-dashboards/voila/releases?per_page=100"),
    ("repos__list-tags.json", "/repos/voila-dashboards/voila/tags?per_page=100"),
    ("issues__list-for-repo.json", f"{Z2JH}/issues?state=all&per_page=100&sort=updated"),
    ("issues__list-for-repo.json", "/repos/jupytext/jupytext/issues?labels=bug&state=all"),
    ("issues__list-comments-for-repo.json", f"{Z2JH}/issues/comments?per_page=100"),
    ("pulls__list.json", f"{DOCKERSPAWNER}/pulls?state=all&per_page=100"),
    ("repos__list-contributors.json", f"{Z2JH}/contributors?anon=1&per_page=100"),
    ("repos__list-commits.json", f"{Z2JH}/commits?per_page=100"),
    ("search__repos.json", "/search/repositories?q=topic:jupyter"),
    ("rate-limit__get.json", "/rate_limit"),
]


@pytest.mark.parametrize("contract,url", ENDPOINTS)
def test_bodies_match_github_schema(client, contract, url):
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    body = r.json()
    items = body if isinstance(body, list) else body.get("items", [body])
    assert items, "the page must hold at least one item"
    validate(contract, items[:1] if isinstance(body, list) else body)  # one item first
    validate(contract, body)  # then the whole first page


def test_issue_list_holds_prs_and_synthetic_issues(client):
    body = client.get(f"{DOCKERSPAWNER}/issues?state=all&per_page=100").json()
    prs = [i for i in body if "pull_request" in i]
    synthetic = [i for i in body if "pull_request" not in i]
    assert prs and synthetic
    assert all(i["title"].startswith("[synthetic]") for i in synthetic)
    assert all(i["user"]["login"].startswith("synthetic-user-") for i in synthetic)
    numbers = [i["number"] for i in body]
    assert len(numbers) == len(set(numbers))  # one number sequence
    pr553 = client.get(f"{DOCKERSPAWNER}/issues/553").json()
    assert pr553["pull_request"]["merged_at"] == "2026-03-03T09:14:56Z"
    assert pr553["title"] == "docs: get version from importlib.metadata"


def test_pulls_keep_the_real_facts(client):
    real = {p["number"]: p for p in facts("jupyterhub__dockerspawner", "pulls.json")}
    got = []
    url = f"{DOCKERSPAWNER}/pulls?state=all&per_page=100"
    while url:
        r = client.get(url)
        got += r.json()
        url = r.links.get("next", {}).get("url")
    assert len(got) == len(real) == 269
    for pr in got:
        fact = real[pr["number"]]
        assert pr["title"] == fact["title"]
        assert pr["merged_at"] == fact["merged_at"]
        assert pr["head"]["sha"] == fact["head_sha"]
        assert pr["created_at"] == fact["created_at_estimate"]
        if fact["user_login"]:
            assert pr["user"]["login"] == fact["user_login"]
        else:
            assert pr["user"]["login"].startswith("synthetic-author-")
        if fact["merged"]:
            assert pr["state"] == "closed" and pr["merge_commit_sha"] == fact["merge_commit_sha"]
        elif fact["state_hint"].startswith("probably open"):
            assert pr["state"] == "open"
        else:
            assert pr["state"] == "closed" and pr["merged_at"] is None and pr["closed_at"]


def test_dockerspawner_has_17_releases_with_real_dates(client):
    rels = client.get(f"{DOCKERSPAWNER}/releases?per_page=100").json()
    tags = {t["tag_name"]: t for t in facts("jupyterhub__dockerspawner", "releases.json")}
    assert len(rels) == 17
    assert {r["tag_name"] for r in rels} == set(tags)
    for r in rels:
        assert r["published_at"] == tags[r["tag_name"]]["published_at"]
        assert r["created_at"] == tags[r["tag_name"]]["target_commit_date"]
        assert r["body"] == tags[r["tag_name"]]["body"]
    assert rels[0]["tag_name"] == "14.0.0" and rels[0]["published_at"] == "2025-02-12T13:22:42Z"
    assert rels[0]["author"]["login"] == "synthetic-release-author"  # tagger login unknown


def test_package_scoped_tags_are_tags_not_releases(client):
    rels = client.get("/repos/voila-dashboards/voila/releases?per_page=100&page=2").json()
    rels += client.get("/repos/voila-dashboards/voila/releases?per_page=100").json()
    assert len(rels) == 210 - 98 and not any(r["tag_name"].startswith("@") for r in rels)
    r = client.get("/repos/voila-dashboards/voila/tags?per_page=100&page=3")
    assert len(r.json()) == 10 and "next" not in r.links


def test_owners_and_listing(client):
    names = {r["full_name"] for r in client.get("/orgs/jupyterhub/repos").json()}
    assert names == {"jupyterhub/dockerspawner", "jupyterhub/jupyterhub-deploy-docker",
                     "jupyterhub/zero-to-jupyterhub-k8s"}
    assert [r["full_name"] for r in client.get("/orgs/jupytext/repos").json()] == ["jupytext/jupytext"]
    assert client.get("/users/mwouts/repos").json() == []
    assert client.get("/users/mwouts").json()["type"] == "User"
    assert client.get("/orgs/voila-dashboards").json()["type"] == "Organization"
    assert len(client.get("/users/ines/repos").json()) == 2
    repo = client.get("/repos/jupytext/jupytext").json()
    assert repo["owner"]["type"] == "Organization" and repo["organization"]["login"] == "jupytext"


def test_owner_lists_paginate_under_numeric_ids(client, shared_emu):
    org_id = client.get("/orgs/jupyterhub").json()["id"]
    r = client.get("/orgs/jupyterhub/repos?per_page=2&sort=full_name")
    assert r.links["next"]["url"] == (f"{shared_emu.url}/organizations/{org_id}/repos"
                                      "?per_page=2&sort=full_name&page=2")
    rest = client.get(r.links["next"]["url"])
    names = [x["full_name"] for x in r.json() + rest.json()]
    assert names == sorted(names) and len(names) == 3 and "next" not in rest.links
    user_id = client.get("/users/ines").json()["id"]
    r = client.get("/users/ines/repos?per_page=1")
    assert r.links["next"]["url"] == f"{shared_emu.url}/user/{user_id}/repos?per_page=1&page=2"
    assert client.get(r.links["next"]["url"]).json()[0]["full_name"] == "ines/juniper"


def test_single_issue_comments_and_latest_release(client):
    issue = next(i for i in client.get(f"{Z2JH}/issues?state=all&sort=comments").json()
                 if i["comments"])
    per_issue = client.get(f"{Z2JH}/issues/{issue['number']}/comments").json()
    assert len(per_issue) == issue["comments"]
    assert all(x["issue_url"] == issue["url"] for x in per_issue)
    validate("issues__list-comments-for-repo.json", per_issue)
    latest = client.get(f"{DOCKERSPAWNER}/releases/latest").json()
    assert latest["tag_name"] == "14.0.0"
    assert client.get(f"{Z2JH}/releases/latest").json()["prerelease"] is False
    assert client.get("/repos/ines/course-starter-python/releases/latest").status_code == 404


# -- pagination ---------------------------------------------------------------
def test_link_headers_follow_the_recorded_shape(client, shared_emu):
    recorded = [e["response"] for e in exchange("octokit-paginate-issues.json")["exchanges"]]
    rels = lambda link: [part.split('rel="')[1].rstrip('"') for part in link.split(", ")]  # noqa
    want = [rels(dict(r["headers"])["Link"]) for r in recorded]
    rid = client.get(DOCKERSPAWNER).json()["id"]
    r = client.get(f"{DOCKERSPAWNER}/issues?per_page=3&state=all")
    pages, seen = [r], r.json()
    while "next" in r.links:
        r = client.get(r.links["next"]["url"])
        pages.append(r)
        seen += r.json()
    assert rels(pages[0].headers["link"]) == want[0] == ["next", "last"]
    assert rels(pages[1].headers["link"]) == want[1] == ["prev", "next", "last", "first"]
    assert rels(pages[-1].headers["link"]) == want[-1] == ["prev", "first"]
    first = pages[0].links["next"]["url"]
    assert first == f"{shared_emu.url}/repositories/{rid}/issues?per_page=3&state=all&page=2"
    assert pages[0].links["last"]["url"].endswith(f"page={len(pages)}")
    assert len(seen) == len({i["number"] for i in seen}) == 284


def test_per_page_default_and_cap(client):
    assert len(client.get(f"{Z2JH}/issues?state=all").json()) == 30
    r = client.get(f"{Z2JH}/issues?state=all&per_page=1000")
    assert len(r.json()) == 100 and "per_page=1000" in r.links["next"]["url"]
    assert client.get(f"{Z2JH}/issues?state=all&page=999").json() == []
    assert "link" not in client.get("/orgs/jupyterhub/repos").headers  # one page: no Link


def test_since_sort_and_direction(client):
    since = "2025-06-01T00:00:00Z"
    body = client.get(f"{Z2JH}/issues?state=all&sort=updated&direction=asc&since={since}"
                      "&per_page=100").json()
    stamps = [i["updated_at"] for i in body]
    assert stamps and stamps == sorted(stamps) and min(stamps) >= since
    desc = client.get(f"{Z2JH}/issues?state=all&per_page=100").json()  # created, desc
    assert [i["created_at"] for i in desc] == sorted((i["created_at"] for i in desc), reverse=True)
    states = {i["state"] for i in client.get(f"{Z2JH}/issues?per_page=100").json()}
    assert states == {"open"}
    closed = client.get(f"{Z2JH}/pulls?state=closed&sort=updated&direction=desc").json()
    assert {p["state"] for p in closed} == {"closed"}
    assert [p["updated_at"] for p in closed] == sorted((p["updated_at"] for p in closed), reverse=True)
    comments = client.get(f"{Z2JH}/issues/comments?since={since}&per_page=100").json()
    assert comments and all(x["updated_at"] >= since for x in comments)
    assert [x["created_at"] for x in comments] == sorted(x["created_at"] for x in comments)
    newest = client.get(f"{Z2JH}/issues/comments?sort=updated&direction=desc").json()
    assert [x["updated_at"] for x in newest] == sorted((x["updated_at"] for x in newest), reverse=True)
    assert client.get(f"{Z2JH}/issues?since=yesterday").status_code == 422


def test_commits_filters_and_contributors(client):
    rows = [json.loads(x) for x in (DATA_DIR / "jupyterhub__zero-to-jupyterhub-k8s" /
                                    "commits.jsonl").read_text().splitlines()]
    got = client.get(f"{Z2JH}/commits?per_page=5").json()
    assert [g["sha"] for g in got] == [r["sha"] for r in rows[:5]]
    assert got[0]["commit"]["message"] == rows[0]["subject"]
    window = client.get(f"{Z2JH}/commits?since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z"
                        "&per_page=100").json()
    want = [r for r in rows if "2026-01-01T00:00:00Z" <= r["committed_at"] <= "2026-03-01T00:00:00Z"]
    assert len(window) == len(want)
    login = next(r["author_login"] for r in rows if r["author_login"])
    mine = client.get(f"{Z2JH}/commits?author={login}&per_page=100").json()
    assert mine and all(m["author"]["login"] == login for m in mine)
    assert all(g["author"] is None for g, r in zip(got, rows) if not r["author_login"])
    assert client.get(f"{Z2JH}/commits?sha=no-such-branch").status_code == 404
    people = client.get(f"{Z2JH}/contributors?per_page=100").json()
    counts = {}
    for r in rows:
        if r["author_login"]:
            counts[r["author_login"]] = counts.get(r["author_login"], 0) + 1
    assert {p["login"]: p["contributions"] for p in people} == counts
    assert [p["contributions"] for p in people] == sorted(counts.values(), reverse=True)


def test_search_qualifiers(client):
    def names(q, **kw):
        r = client.get("/search/repositories", params={"q": q, **kw})
        assert r.status_code == 200 and r.headers["x-ratelimit-resource"] == "search"
        return [i["full_name"] for i in r.json()["items"]]

    metas = [json.loads(p.read_text()) for p in DATA_DIR.glob("*/repo.json")]
    assert set(names("topic:jupyterhub")) == {
        m["full_name"] for m in metas if "jupyterhub" in m["topics"]} != set()
    assert set(names("user:ines")) == {"ines/juniper", "ines/course-starter-python"}
    assert set(names("org:jupyterhub created:>2016-01-01")) == {
        m["full_name"] for m in metas
        if m["owner"] == "jupyterhub" and m["created_at"] >= "2016-01-02"}
    stars = [i["stargazers_count"] for i in client.get(
        "/search/repositories", params={"q": "org:jupyterhub", "sort": "stars", "order": "asc"}
    ).json()["items"]]
    assert stars == sorted(stars)
    assert client.get("/search/repositories").status_code == 422


# -- conditional requests and rate limits -----------------------------------------------
def test_etag_and_last_modified_give_304_not_counted(c, emu):
    recorded = exchange("github3py-conditional-304.json")["exchanges"]
    assert recorded[1]["response"]["status"] == 304
    url = f"{DOCKERSPAWNER}/issues?state=all"
    first = c.get(url)
    etag, remaining = first.headers["etag"], first.headers["x-ratelimit-remaining"]
    assert etag.startswith('"') and first.headers["last-modified"]
    for validators in ({"If-None-Match": etag}, {"If-None-Match": f"W/{etag}"},
                       {"If-None-Match": f'"nope", {etag}'},
                       {"If-Modified-Since": first.headers["last-modified"]}):
        again = c.get(url, headers=validators)
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["x-ratelimit-remaining"] == remaining
    assert [r.counted for r in emu.requests] == [True, False, False, False, False]
    assert emu.counted_requests() == 1
    assert c.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert emu.requests[-1].if_none_match == '"other"' and emu.requests[-1].token_present


def test_rate_limit_exhaustion_then_refill():
    with Emulator(load_facts(), tokens={TOKEN}, core_limit=3) as emu, \
            httpx.Client(base_url=emu.url, headers=AUTH) as c:
        assert [c.get(DOCKERSPAWNER).headers["x-ratelimit-remaining"] for _ in range(3)] == \
            ["2", "1", "0"]
        r = c.get(DOCKERSPAWNER)
        assert r.status_code == 403 and r.headers["x-ratelimit-remaining"] == "0"
        assert r.json()["message"].startswith("API rate limit exceeded for ")
        assert r.json()["documentation_url"].endswith("#rate-limiting")
        assert int(r.headers["x-ratelimit-reset"]) > time.time()
        assert c.get("/rate_limit").json()["resources"]["core"]["remaining"] == 0  # not counted
        emu.set_rate_limit(remaining=0, reset_in=0.3)
        time.sleep(0.4)
        r = c.get(DOCKERSPAWNER)
        assert r.status_code == 200 and r.headers["x-ratelimit-remaining"] == "2"
        emu.set_rate_limit(remaining=0, reset_in=60)
        assert c.get(DOCKERSPAWNER).status_code == 403
        assert emu.counted_requests() == 4


def test_buckets_per_token_unauthenticated_and_search(emu):
    with httpx.Client(base_url=emu.url) as anon:
        r = anon.get(DOCKERSPAWNER)
        assert r.headers["x-ratelimit-limit"] == "60" and r.headers["x-ratelimit-remaining"] == "59"
        assert r.headers["x-ratelimit-resource"] == "core" and not emu.requests[-1].token_present
        s = anon.get("/search/repositories?q=org:jupyterhub")
        assert s.headers["x-ratelimit-resource"] == "search"
        bad = anon.get(DOCKERSPAWNER, headers={"Authorization": "token wrong"})
        assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
        assert bad.headers["x-ratelimit-remaining"] == "58"
    with httpx.Client(base_url=emu.url, headers={"Authorization": f"token {TOKEN}"}) as c:
        r = c.get(DOCKERSPAWNER)
        assert r.headers["x-ratelimit-limit"] == "5000" and r.headers["x-ratelimit-used"] == "1"
        s = c.get("/search/repositories?q=org:jupyterhub")
        assert (s.headers["x-ratelimit-limit"], s.headers["x-ratelimit-remaining"]) == ("30", "29")
        rl = c.get("/rate_limit")
        assert rl.json()["resources"]["search"]["remaining"] == 29
        assert rl.headers["x-ratelimit-remaining"] == "4999"


# -- redirects, 404 -------------------------------------------------------------
def test_moved_repo_answers_301_like_github(client, shared_emu):
    recorded = exchange("octokit-rename-repository-301-307.json")["exchanges"][0]["response"]
    rid = client.get("/repos/jupytext/jupytext").json()["id"]
    r = client.get("/repos/mwouts/jupytext/issues?state=all&per_page=5")
    assert r.status_code == 301
    location = f"{shared_emu.url}/repositories/{rid}/issues?state=all&per_page=5"
    assert r.headers["location"] == location
    assert set(r.json()) == set(recorded["body"]) and r.json()["url"] == location
    assert r.json()["documentation_url"] == recorded["body"]["documentation_url"]
    assert shared_emu.requests[-1].counted
    followed = client.get("/repos/MWOUTS/jupytext", follow_redirects=True)
    assert followed.status_code == 200 and followed.json()["full_name"] == "jupytext/jupytext"


def test_rename_and_delete_at_runtime(c, emu):
    rid = c.get(DOCKERSPAWNER).json()["id"]
    emu.store.rename_repo("jupyterhub/dockerspawner", "jupyterhub/docker-spawner")
    r = c.get(f"{DOCKERSPAWNER}/releases")
    assert r.status_code == 301 and r.headers["location"].endswith(f"/repositories/{rid}/releases")
    assert c.get(r.headers["location"]).json()[0]["url"].startswith(
        f"{emu.url}/repos/jupyterhub/docker-spawner/releases/")
    emu.store.delete_repo("jupyterhub/docker-spawner")
    assert c.get("/repos/jupyterhub/docker-spawner").status_code == 404
    assert c.get(DOCKERSPAWNER).status_code == 404
    assert c.get(f"/repositories/{rid}").status_code == 404


@pytest.mark.parametrize("url", ["/repos/jupyterhub/nope", "/repos/nobody/nothing/issues",
                                 "/orgs/nobody", "/orgs/mwouts", "/users/nobody-at-all",
                                 "/orgs/nobody/repos", f"{DOCKERSPAWNER}/issues/99999",
                                 "/repositories/1", "/not/an/endpoint"])
def test_unknown_things_are_404_and_counted(client, shared_emu, url):
    r = client.get(url)
    assert r.status_code == 404 and r.json()["message"] == "Not Found"
    assert "documentation_url" in r.json() and r.headers["x-ratelimit-remaining"]
    assert shared_emu.requests[-1].counted


# -- faults -------------------------------------------------------------------
@pytest.mark.parametrize("kind,status", [("500", 500), ("502", 502), ("503", 503)])
def test_server_error_faults(c, emu, kind, status):
    emu.add_fault(kind, path_contains="/issues", count=2)
    assert c.get(DOCKERSPAWNER).status_code == 200  # other paths unaffected
    assert [c.get(f"{DOCKERSPAWNER}/issues").status_code for _ in range(3)] == [status, status, 200]
    assert [r.counted for r in emu.requests] == [True, False, False, True]


def test_fault_matches_query_too(c, emu):
    emu.add_fault("503", path_contains="/issues", query_contains="page=2", count=None)
    assert c.get(f"{DOCKERSPAWNER}/issues?page=1").status_code == 200
    assert c.get(f"{DOCKERSPAWNER}/releases?page=2").status_code == 200
    assert [c.get(f"{DOCKERSPAWNER}/issues?page=2").status_code for _ in range(3)] == [503] * 3
    emu.clear_faults()
    assert c.get(f"{DOCKERSPAWNER}/issues?page=2").status_code == 200


def test_drop_and_truncate_faults(c, emu):
    emu.add_fault("drop", path_contains="/releases")
    with pytest.raises(httpx.RemoteProtocolError):
        c.get(f"{DOCKERSPAWNER}/releases")
    emu.add_fault("truncate", path_contains="/releases")
    with pytest.raises(httpx.RemoteProtocolError):
        c.get(f"{DOCKERSPAWNER}/releases")
    assert len(c.get(f"{DOCKERSPAWNER}/releases").json()) == 17
    assert [r.status for r in emu.requests] == [0, 200, 200]
    assert emu.counted_requests() == 1


def test_delay_secondary_and_429_faults(c, emu):
    emu.add_fault("delay", seconds=0.3)
    started = time.perf_counter()
    assert c.get(DOCKERSPAWNER).status_code == 200
    assert time.perf_counter() - started >= 0.3
    recorded = exchange("hub4j-secondary-rate-limit-403.json")["exchanges"][0]["response"]
    emu.add_fault("secondary", retry_after=2)
    r = c.get(DOCKERSPAWNER)
    assert r.status_code == 403 and r.json()["message"] == recorded["body"]["message"]
    assert r.headers["retry-after"] == "2" and int(r.headers["x-ratelimit-remaining"]) > 0
    emu.add_fault("secondary")
    assert "retry-after" not in c.get(DOCKERSPAWNER).headers
    emu.add_fault("429", retry_after=8)
    r = c.get(DOCKERSPAWNER)
    assert r.status_code == 429 and r.headers["retry-after"] == "8"
    assert "x-ratelimit-remaining" not in r.headers  # as in the recorded 429
    assert c.get(DOCKERSPAWNER).status_code == 200


def test_latency_requests_run_concurrently():
    with Emulator(load_facts(), latency=0.3) as emu:
        clients = [httpx.Client(base_url=emu.url) for _ in range(8)]  # built before timing
        statuses = []
        threads = [threading.Thread(target=lambda cl=cl: statuses.append(
            cl.get("/repos/ines/juniper").status_code)) for cl in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for cl in clients:
            cl.close()
        # Served one after another, no two would ever be in flight together (the
        # count, not the elapsed time: a loaded machine must not make this fail).
        assert statuses == [200] * 8 and emu.secondary.peak_in_flight >= 2


# -- mutations ---------------------------------------------------------------
def test_mutations_show_in_the_next_response(c, emu):
    store = emu.store
    t = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    store.clock = lambda: t
    url = f"{DOCKERSPAWNER}/issues?sort=updated&direction=desc&state=all"
    before = c.get(url)
    issue = store.add_issue("jupyterhub/dockerspawner", "[synthetic] new", "synthetic-user-1")
    after = c.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert after.json()[0]["number"] == issue.number == 554
    assert after.json()[0]["created_at"] == "2026-12-01T12:00:00Z"

    t += timedelta(hours=1)
    old = c.get(f"{DOCKERSPAWNER}/issues/500").json()
    store.add_comment("jupyterhub/dockerspawner", 500, "synthetic-user-2", "[synthetic] hi")
    top = c.get(url).json()[0]
    assert top["number"] == 500 and top["comments"] == old["comments"] + 1
    assert top["updated_at"] == "2026-12-01T13:00:00Z"
    since = c.get(f"{DOCKERSPAWNER}/issues/comments?since=2026-12-01T12:30:00Z").json()
    assert [x["body"] for x in since] == ["[synthetic] hi"]

    t += timedelta(hours=1)
    store.update_issue("jupyterhub/dockerspawner", issue.number, state="closed", labels=["bug"])
    closed = c.get(f"{DOCKERSPAWNER}/issues/{issue.number}").json()
    assert closed["state"] == "closed" and closed["closed_at"] == "2026-12-01T14:00:00Z"
    assert [x["name"] for x in closed["labels"]] == ["bug"]

    repo = c.get(DOCKERSPAWNER)
    t += timedelta(hours=1)  # Last-Modified has one-second resolution, as on GitHub
    store.set_stars("jupyterhub/dockerspawner", 12345)
    bumped = c.get(DOCKERSPAWNER, headers={"If-Modified-Since": repo.headers["last-modified"]})
    assert bumped.status_code == 200 and bumped.json()["stargazers_count"] == 12345

    store.add_release("jupyterhub/dockerspawner", "15.0.0", body="[synthetic] notes")
    rels = c.get(f"{DOCKERSPAWNER}/releases").json()
    assert len(rels) == 18 and rels[0]["tag_name"] == "15.0.0"
    assert c.get(f"{DOCKERSPAWNER}/tags").json()[0]["name"] == "15.0.0"

    store.add_repo("jupyterhub", "new-thing", description="[synthetic] new repo")
    assert "jupyterhub/new-thing" in {r["full_name"] for r in c.get("/orgs/jupyterhub/repos").json()}


def test_touch_issues_changes_a_fraction(emu, c):
    t = datetime(2027, 1, 1, tzinfo=timezone.utc)
    emu.store.clock = lambda: t
    n = emu.store.touch_issues("jupyterhub/zero-to-jupyterhub-k8s", 0.01, seed=1)
    assert n == round(len(emu.store.repo("jupyterhub/zero-to-jupyterhub-k8s").issues) * 0.01)
    changed = c.get(f"{Z2JH}/issues?state=all&since=2027-01-01T00:00:00Z&per_page=100").json()
    assert len(changed) == n
    assert emu.store.touch_issues(None, 0.01, seed=1) > n


def test_facts_are_deterministic():
    a, b = load_facts(), load_facts()
    assert a.counts() == b.counts()
    ra, rb = a.repo("jupyterhub/dockerspawner"), b.repo("jupyterhub/dockerspawner")
    assert ra.id == rb.id and ra.stars == rb.stars
    assert [(i.id, i.updated_at, i.title) for i in ra.by_updated] == \
        [(i.id, i.updated_at, i.title) for i in rb.by_updated]
    real_only = load_facts(synthetic=False).counts()
    assert real_only["issues"] == 0 and real_only["comments"] == 0
    assert real_only["pulls"] == a.counts()["pulls"] == 4437


# -- synthetic ecosystem ---------------------------------------------------------
def test_synthetic_ecosystem_sizes_and_shapes():
    store = synthetic_ecosystem(orgs=2, repos=6, issues=900, comments=2000, releases_per_repo=3)
    counts = store.counts()
    assert counts["repos"] == 6 and counts["issues"] + counts["pulls"] == 900
    assert counts["comments"] == 2000 and counts["releases"] == 18
    with Emulator(store) as emu, httpx.Client(base_url=emu.url) as c:
        assert len(c.get("/orgs/synthetic-org-1/repos").json()) == 3
        base = "/repos/synthetic-org-1/synthetic-repo-1"
        issues = c.get(f"{base}/issues?state=all&per_page=100").json()
        validate("issues__list-for-repo.json", issues)
        assert all(i["title"].startswith("[synthetic]") for i in issues)
        validate("issues__list-comments-for-repo.json", c.get(f"{base}/issues/comments").json())
        validate("pulls__list.json", c.get(f"{base}/pulls?state=all").json())
        validate("repos__list-releases.json", c.get(f"{base}/releases").json())


def test_command_line_serves_until_interrupted():
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker.emulator", "--port", "0", "--synthetic-repos", "2",
         "--synthetic-issues", "40", "--synthetic-comments", "60", "--token", TOKEN],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        r = httpx.get(f"{url}/orgs/synthetic-org-1/repos", headers=AUTH)
        assert r.status_code == 200 and len(r.json()) == 1
        assert httpx.get(url, headers={"Authorization": "token nope"}).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
