"""The emulator's GET /search/repositories against GitHub's semantics and schema.

The schema is the contract vendored in tests/fixtures/github-api/ (see its README for source
and licence).
"""

import json
from pathlib import Path

import httpx
import jsonschema
import pytest

from tracker.emulator import Emulator, Store
from conftest import openapi_to_jsonschema

TOKEN = "good-token"
SCHEMA = Path(__file__).parent / "fixtures" / "github-api" / "search__repos.json"


def world():
    s = Store()
    s.add_owner("jupyterlab", "Organization")
    s.add_repo("jupyterlab", "lab-ext", topics=["jupyterlab-extension"], stargazers_count=40,
               description="A JupyterLab extension", created_at="2024-03-05T10:00:00Z",
               pushed_at="2026-01-01T00:00:00Z", license="BSD-3-Clause")
    s.add_repo("alice", "kernel-x", owner_type="User", topics=["jupyter-kernel"],
               stargazers_count=5, description="A kernel for X", created_at="2025-06-01T00:00:00Z",
               pushed_at="2025-06-02T00:00:00Z")
    s.add_repo("alice", "both", owner_type="User", stargazers_count=12,
               topics=["jupyter-kernel", "jupyterlab-extension"], description="jupyter things",
               created_at="2025-06-01T12:00:00Z", pushed_at="2026-02-01T00:00:00Z")
    s.add_repo("bob", "fork-ext", owner_type="User", topics=["jupyterlab-extension"],
               fork=True, stargazers_count=1, created_at="2025-01-01T00:00:00Z",
               pushed_at="2025-01-01T00:00:00Z")
    s.add_repo("bob", "old-ext", owner_type="User", topics=["jupyterlab-extension"],
               archived=True, stargazers_count=3, created_at="2018-01-01T00:00:00Z",
               pushed_at="2018-01-01T00:00:00Z")
    s.add_repo("bob", "jupyter-notes", owner_type="User", stargazers_count=0,
               description="notes", created_at="2023-01-01T00:00:00Z",
               pushed_at="2023-01-01T00:00:00Z")
    for k in range(1100):
        s.add_repo("crowd", f"many-{k}", owner_type="User", topics=["crowded"],
                   created_at=f"2020-01-01T00:{k // 60 % 60:02d}:{k % 60:02d}Z",
                   pushed_at="2020-02-01T00:00:00Z")
    return s


@pytest.fixture(scope="module")
def emu():
    with Emulator(world(), tokens={TOKEN}) as e:
        yield e


@pytest.fixture(scope="module")
def c(emu):
    with httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {TOKEN}"}) as cl:
        yield cl


def names(c, q, **params):
    r = c.get("/search/repositories", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return [i["full_name"] for i in r.json()["items"]]


def test_body_matches_github_schema(c):
    body = c.get("/search/repositories", params={"q": "topic:jupyterlab-extension"}).json()
    schema = openapi_to_jsonschema(json.loads(SCHEMA.read_text())["response_200"]["schema"])
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(body)
    assert body["items"] and body["incomplete_results"] is False


@pytest.mark.parametrize("q,expected", [
    ("topic:jupyterlab-extension", {"jupyterlab/lab-ext", "alice/both", "bob/old-ext"}),
    ("topic:jupyterlab-extension topic:jupyter-kernel", {"alice/both"}),
    ("topic:jupyterlab-extension fork:true", {"jupyterlab/lab-ext", "alice/both", "bob/old-ext",
                                              "bob/fork-ext"}),
    ("topic:jupyterlab-extension fork:only", {"bob/fork-ext"}),
    ("topic:jupyterlab-extension archived:false", {"jupyterlab/lab-ext", "alice/both"}),
    ("org:jupyterlab", {"jupyterlab/lab-ext"}),
    ("org:alice", set()),  # a user is not an organisation
    ("user:alice", {"alice/kernel-x", "alice/both"}),
    ("user:alice user:jupyterlab", {"alice/kernel-x", "alice/both", "jupyterlab/lab-ext"}),
    ("stars:>=12", {"jupyterlab/lab-ext", "alice/both"}),
    ("stars:5..12", {"alice/kernel-x", "alice/both"}),
    ("stars:<5 user:bob", {"bob/old-ext", "bob/jupyter-notes"}),
    ("created:2025-06-01", {"alice/kernel-x", "alice/both"}),
    ("created:>2025-06-01T06:00:00Z user:alice", {"alice/both"}),
    ("created:<2024-01-01 user:bob", {"bob/old-ext", "bob/jupyter-notes"}),
    ("created:2024-01-01..* stars:>0", {"jupyterlab/lab-ext", "alice/kernel-x", "alice/both"}),
    ("created:*..2019-01-01", {"bob/old-ext"}),
    ("pushed:>=2026-01-01", {"jupyterlab/lab-ext", "alice/both"}),
    ("jupyter in:name", {"bob/jupyter-notes"}),
    ("jupyter in:name,description", {"bob/jupyter-notes", "alice/both", "jupyterlab/lab-ext"}),
    ("kernel in:description", {"alice/kernel-x"}),
])
def test_qualifiers(c, q, expected):
    assert set(names(c, q, per_page=100)) == expected


def test_sort_and_order(c):
    q = "topic:jupyterlab-extension"
    assert names(c, q, sort="stars") == ["jupyterlab/lab-ext", "alice/both", "bob/old-ext"]
    assert names(c, q, sort="stars", order="asc") == ["bob/old-ext", "alice/both",
                                                      "jupyterlab/lab-ext"]
    by_updated = names(c, "user:alice", sort="updated")
    assert by_updated == ["alice/both", "alice/kernel-x"]
    assert c.get("/search/repositories", params={"q": q, "sort": "nope"}).status_code == 422


def test_thousand_result_cap(c):
    r = c.get("/search/repositories", params={"q": "topic:crowded", "per_page": 100, "page": 10})
    assert r.status_code == 200
    assert r.json()["total_count"] == 1100 and len(r.json()["items"]) == 100
    assert 'rel="next"' not in r.headers.get("link", "")
    r = c.get("/search/repositories", params={"q": "topic:crowded", "per_page": 100, "page": 11})
    assert r.status_code == 422
    assert "first 1000" in r.json()["message"]


def test_incomplete_results_switch(emu, c):
    emu.store.search_incomplete = 1
    first = c.get("/search/repositories", params={"q": "topic:crowded", "per_page": 100}).json()
    second = c.get("/search/repositories", params={"q": "topic:crowded", "per_page": 100}).json()
    assert first["incomplete_results"] is True and len(first["items"]) < 100
    assert second["incomplete_results"] is False and len(second["items"]) == 100


def test_search_rate_limit_is_its_own_bucket():
    with Emulator(world(), tokens={TOKEN}, search_limit=3, unauth_search_limit=2) as e, \
            httpx.Client(base_url=e.url) as anon, \
            httpx.Client(base_url=e.url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        answers = [c.get("/search/repositories", params={"q": "user:alice"}) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 403]
        assert all(a.headers["x-ratelimit-resource"] == "search" for a in answers)
        assert answers[0].headers["x-ratelimit-limit"] == "3"
        assert answers[3].headers["x-ratelimit-remaining"] == "0"
        core = c.get("/repos/alice/both")
        assert core.status_code == 200 and core.headers["x-ratelimit-resource"] == "core"
        assert anon.get("/search/repositories", params={"q": "x"}).headers[
            "x-ratelimit-limit"] == "2"
        e.search_limit_status = 429
        assert c.get("/search/repositories", params={"q": "user:alice"}).status_code == 429
