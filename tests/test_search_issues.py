"""The emulator's GET /search/issues: GitHub's qualifiers, cap, lag and rate limit.

Items are validated against the official schema vendored in tests/fixtures/github-api/.
"""

import json
from pathlib import Path

import httpx
import jsonschema
import pytest

from tracker.emulator import Emulator, load_facts, synthetic_ecosystem
from tracker.emulator.records import to_ts
from conftest import openapi_to_jsonschema

SCHEMA = (Path(__file__).resolve().parent / "fixtures" / "github-api"
          / "search__issues-and-pull-requests.json")
AUTH = {"Authorization": "Bearer good-token"}


@pytest.fixture(scope="module")
def emu():
    with Emulator(load_facts(), tokens={"good-token"}) as emu:
        yield emu


@pytest.fixture
def client(emu):
    with httpx.Client(base_url=emu.url, headers=AUTH, timeout=10) as c:
        yield c


def search(client, q, **params):
    r = client.get("/search/issues", params={"q": q, **params})
    assert r.status_code == 200, r.text
    assert r.headers["x-ratelimit-resource"] == "search"
    return r.json()


def test_items_match_the_official_schema(client):
    raw = json.loads(SCHEMA.read_text())["response_200"]["schema"]
    # The description types the item body as a plain string, but GitHub answers null for
    # an empty body in search as in the issue listing (whose schema says nullable).
    raw["properties"]["items"]["items"]["properties"]["body"]["nullable"] = True
    schema = openapi_to_jsonschema(raw)
    for q in ("org:jupyterhub is:pr", "org:voila-dashboards is:issue", "repo:voila-dashboards/voila user:ines"):
        body = search(client, q, per_page=100, sort="updated")
        assert body["items"]
        jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(body)


def test_search_items_carry_what_the_issue_listing_does(client):
    """What change detection relies on: the same fields as /repos/.../issues, plus score."""
    item = search(client, "repo:jupyterhub/dockerspawner is:pr is:merged", per_page=1)["items"][0]
    listed = client.get(f"/repos/jupyterhub/dockerspawner/issues/{item['number']}").json()
    assert set(item) - set(listed) == {"score"}
    assert {k: v for k, v in item.items() if k != "score"} == listed
    assert item["pull_request"]["merged_at"] and "reactions" in item and "draft" in item


def test_owner_and_repo_qualifiers_are_ored(emu, client):
    store = emu.store
    by_owner = lambda *owners: sum(len(r.issues) for r in store.repos.values()  # noqa: E731
                                   if r.owner.login in owners)
    assert search(client, "org:jupyterhub")["total_count"] == by_owner("jupyterhub")
    both = search(client, "org:jupyterhub user:ines")["total_count"]
    assert both == by_owner("jupyterhub", "ines")
    one = len(store.repo("voila-dashboards/voila").issues)
    assert search(client, "user:ines repo:voila-dashboards/voila")["total_count"] == \
        by_owner("ines") + one


def test_is_issue_is_pr_and_ranges(emu, client):
    repo = emu.store.repo("jupyterhub/dockerspawner")
    pulls = [i for i in repo.issues.values() if i.pull]
    assert search(client, "repo:jupyterhub/dockerspawner is:pr")["total_count"] == len(pulls)
    assert search(client, "repo:jupyterhub/dockerspawner is:issue")["total_count"] == \
        len(repo.issues) - len(pulls)
    ordered = sorted(repo.issues.values(), key=lambda i: (i.updated_at, i.id))
    pivot = ordered[len(ordered) // 2]
    stamp = client.get(f"/repos/jupyterhub/dockerspawner/issues/{pivot.number}").json()["updated_at"]
    expect = {">=": sum(1 for i in ordered if i.updated_at >= pivot.updated_at),
              ">": sum(1 for i in ordered if i.updated_at > pivot.updated_at),
              "<": sum(1 for i in ordered if i.updated_at < pivot.updated_at),
              "<=": sum(1 for i in ordered if i.updated_at <= pivot.updated_at)}
    for op, n in expect.items():
        assert search(client, f"repo:jupyterhub/dockerspawner updated:{op}{stamp}")["total_count"] == n
    low = ordered[0]
    low_stamp = client.get(f"/repos/jupyterhub/dockerspawner/issues/{low.number}").json()["updated_at"]
    span = search(client, f"repo:jupyterhub/dockerspawner updated:{low_stamp}..{stamp}")
    assert span["total_count"] == expect["<="]
    day = stamp[:10]
    created = sum(1 for i in ordered if i.created_at >= to_ts(day))
    assert search(client, f"repo:jupyterhub/dockerspawner created:>={day}")["total_count"] == created


def test_sort_updated_order_and_pages(client):
    q = "org:jupyterhub"
    desc = search(client, q, sort="updated", per_page=50)
    asc = search(client, q, sort="updated", order="asc", per_page=50)
    stamps = [i["updated_at"] for i in desc["items"]]
    assert stamps == sorted(stamps, reverse=True)
    assert [i["updated_at"] for i in asc["items"]] == sorted(i["updated_at"] for i in asc["items"])
    page2 = search(client, q, sort="updated", per_page=50, page=2)
    assert not {i["id"] for i in page2["items"]} & {i["id"] for i in desc["items"]}
    assert page2["items"][0]["updated_at"] <= stamps[-1]


def test_bad_queries_are_422(client):
    assert client.get("/search/issues").status_code == 422
    long = " ".join(f"org:synthetic-org-{k}" for k in range(20))
    r = client.get("/search/issues", params={"q": long})
    assert r.status_code == 422 and "256" in r.text
    r = client.get("/search/issues", params={"q": "a OR b OR c OR d OR e OR f OR g"})
    assert r.status_code == 422


def test_thousand_result_cap_incomplete_and_lag():
    store = synthetic_ecosystem(orgs=1, repos=2, issues=1200, comments=0, seed=3)
    with Emulator(store) as emu, httpx.Client(base_url=emu.url, headers=AUTH) as c:
        first = search(c, "org:synthetic-org-1", sort="updated", per_page=100)
        assert first["total_count"] == 1200 and len(first["items"]) == 100
        assert first["incomplete_results"] is False
        assert len(search(c, "org:synthetic-org-1", per_page=100, page=10)["items"]) == 100
        beyond = c.get("/search/issues", params={"q": "org:synthetic-org-1", "per_page": 100,
                                                 "page": 11})
        assert beyond.status_code == 422 and "1000" in beyond.json()["message"]
        assert "next" not in c.get("/search/issues", params={
            "q": "org:synthetic-org-1", "per_page": 100, "page": 10}).links
        emu.search_options["search_incomplete"] = True
        assert search(c, "org:synthetic-org-1")["incomplete_results"] is True
        emu.search_options["search_incomplete"] = False
        issue = store.update_issue("synthetic-org-1/synthetic-repo-1", 1, title="[synthetic] new")
        emu.search_options["search_lag"] = 3600  # the edit is not indexed yet
        assert all(i["id"] != issue.id for i in search(c, "org:synthetic-org-1", sort="updated",
                                                       per_page=100)["items"])
        emu.search_options["search_lag"] = 0
        assert search(c, "org:synthetic-org-1", sort="updated")["items"][0]["id"] == issue.id


def test_search_rate_limit_is_its_own_bucket():
    with Emulator(load_facts(), tokens={"good-token"}) as emu, \
            httpx.Client(base_url=emu.url, headers=AUTH) as c:
        r = c.get("/search/issues", params={"q": "org:jupyterhub"})
        assert r.headers["x-ratelimit-limit"] == "30"
        emu.set_rate_limit(remaining=0, reset_in=60, resource="search")
        r = c.get("/search/issues", params={"q": "org:jupyterhub"})
        assert r.status_code == 403 and r.headers["x-ratelimit-resource"] == "search"
        assert r.headers["x-ratelimit-remaining"] == "0"
        core = c.get("/repos/ines/juniper")
        assert core.status_code == 200 and core.headers["x-ratelimit-remaining"] != "0"
