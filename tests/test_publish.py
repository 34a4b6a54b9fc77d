"""Datasette publishing: canned queries, feeds, search, dashboard, escaping, read-only."""

import asyncio
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone

import feedparser
import pytest
import sqlite_utils

from sampledb import HOSTILE, LATEST_WEEK, SEARCH_TERM, populate_sample
from tracker.db import open_db
from tracker.publish import (
    PublishError, build_config, load_queries, make_datasette, param_defaults, write_metadata,
)

QUERIES = sorted(load_queries())
FEEDS = ["busiest_this_week", "digest", "digest_monthly", "first_time_contributors",
         "new_in_ecosystem", "new_papers", "new_repos_this_week", "package_releases_this_week",
         "posts_this_week", "releases_this_week", "upcoming_events"]
ATOM = "{http://www.w3.org/2005/Atom}"
# A real tag carrying an event handler or a script URL, i.e. live markup.
LIVE_ATTR = re.compile(r"<[a-zA-Z][^<>]*(alert\(|\son[a-z]+\s*=\s*[\"']?alert)", re.I)
SCRIPT_URL = re.compile(r"""(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):""", re.I)


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    populate_sample(sqlite_utils.Database(path)).close()
    return path


@pytest.fixture(scope="module")
def empty_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    open_db(sqlite_utils.Database(path)).close()
    return path


def fetch(db_path, *paths, **params):
    """GET each path on a fresh Datasette for ``db_path``; {path: response}.

    ``params``, if any, replace the query string of every path (httpx's rule).
    """
    async def run():
        ds = make_datasette(db_path)
        return {p: await ds.client.get(p, params=params or None) for p in paths}
    return asyncio.run(run())


@pytest.mark.parametrize("which", ["empty", "sample"])
def test_every_canned_query_answers(which, request):
    db_path = request.getfixturevalue(f"{which}_path")
    name = db_path.stem
    pages = fetch(db_path, *[f"/{name}/{q}" for q in QUERIES],
                  *[f"/{name}/{q}.json?_shape=array" for q in QUERIES])
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.text[:500])
    if which == "sample":
        for q in QUERIES:
            if q not in ("digest", "digest_monthly"):  # the digests table is empty here
                assert pages[f"/{name}/{q}.json?_shape=array"].json(), f"{q} has no rows"


def test_feed_queries_are_the_ones_with_atom_columns(sample_path):
    pages = fetch(sample_path, *[f"/sample/{q}.json?_shape=objects" for q in QUERIES])
    with_atom = sorted(q for q in QUERIES
                       if "atom_id" in pages[f"/sample/{q}.json?_shape=objects"].json()["columns"])
    assert with_atom == FEEDS


@pytest.mark.parametrize("which", ["empty", "sample"])
def test_every_feed_parses(which, request):
    db_path = request.getfixturevalue(f"{which}_path")
    name = db_path.stem
    pages = fetch(db_path, *[f"/{name}/{q}.atom" for q in FEEDS])
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.text[:500])
        feed = feedparser.parse(response.text)
        assert not feed.bozo, (path, feed.bozo_exception)
        assert feed.entries, path
        for entry in feed.entries:
            assert entry.link.startswith(("https://", "http://")) or entry.link == "/", entry.link
            assert entry.updated_parsed, entry
    if which == "sample":
        for q in FEEDS:
            if q not in ("digest", "digest_monthly"):
                titles = [e.title for e in feedparser.parse(pages[f"/sample/{q}.atom"].text).entries]
                assert not any(t.startswith("No ") for t in titles), (q, titles)


def test_feed_content_is_escaped_text(sample_path):
    pages = fetch(sample_path, *[f"/sample/{q}.atom" for q in FEEDS])
    allowed = {"p", "br", "a", "b", "code"}
    for path, response in pages.items():
        xml = response.text
        root = ET.fromstring(xml.encode())
        for entry in root.iter(f"{ATOM}entry"):
            content = entry.find(f"{ATOM}content")
            html = content.text or ""  # what a reader renders as HTML
            assert set(re.findall(r"<\s*([a-zA-Z0-9]+)", html)) <= allowed, (path, html)
            assert not SCRIPT_URL.search(html), (path, html)
            for hostile in HOSTILE:
                assert hostile not in html, (path, html)
            for link in entry.iter(f"{ATOM}link"):
                assert link.get("href").startswith(("https://", "http://", "/")), link.attrib


def test_hostile_strings_are_escaped_in_html(sample_path):
    tables = ["issues", "releases", "feed_entries", "feeds", "users", "harvest_runs",
              "issue_comments", "pull_requests", "repos"]
    paths = ["/", "/sample", "/sample/issues/4052", "/sample/users/6",
             "/sample/issues?_search=kernel", "/sample/feed_entries?_search=hostile",
             "/sample/releases?_search=" + SEARCH_TERM, "/-/dashboards/ecosystem-pulse",
             *[f"/sample/{t}" for t in tables], *[f"/sample/{q}" for q in QUERIES]]
    for path, response in fetch(sample_path, *paths).items():
        assert response.status_code == 200, path
        text = response.text
        for hostile in HOSTILE:
            assert hostile not in text, (path, hostile)
        assert not LIVE_ATTR.search(text), (path, LIVE_ATTR.search(text))
        assert not SCRIPT_URL.search(text), (path, SCRIPT_URL.search(text))
    # And the hostile rows are really there, escaped.
    page = fetch(sample_path, "/sample/issues/4052")["/sample/issues/4052"].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_search_finds_release_note(sample_path):
    pages = fetch(sample_path, f"/sample/releases.json?_search={SEARCH_TERM}&_shape=array",
                  f"/sample/releases?_search={SEARCH_TERM}",
                  "/sample/issues.json?_search=crash&_shape=array",
                  "/sample/feed_entries.json?_search=named+servers&_shape=array",
                  "/sample/repos.json?_search=spawner&_shape=array")
    rows = pages[f"/sample/releases.json?_search={SEARCH_TERM}&_shape=array"].json()
    assert [(r["tag_name"], r["repo"]) for r in rows] == [("v1.2.0", 2001)]
    assert "v1.2.0" in pages[f"/sample/releases?_search={SEARCH_TERM}"].text
    assert [r["number"] for r in pages["/sample/issues.json?_search=crash&_shape=array"].json()]
    assert len(pages["/sample/feed_entries.json?_search=named+servers&_shape=array"].json()) == 1
    assert {r["full_name"] for r in pages["/sample/repos.json?_search=spawner&_shape=array"].json()} \
        == {"jupyterhub/sample-spawner"}


def test_dashboard_renders_with_local_vega(sample_path, empty_path):
    page = fetch(sample_path, "/-/dashboards/ecosystem-pulse")["/-/dashboards/ecosystem-pulse"]
    assert page.status_code == 200
    text = page.text
    assert "Ecosystem pulse" in text
    for script in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        assert f"/-/static-plugins/datasette_dashboards/{script}" in text
    assert "cdn.jsdelivr" not in text and "unpkg.com" not in text
    metadata, _ = build_config("sample")
    dashboard = metadata["plugins"]["datasette-dashboards"]["ecosystem-pulse"]
    for slug in dashboard["charts"]:
        assert f"chart-{slug}" in text
    # Every chart's SQL runs as the page's JavaScript will send it, also filtered.
    for db_path in (sample_path, empty_path):
        for slug, chart in dashboard["charts"].items():
            for org in ("", "jupyterhub"):
                response = fetch(db_path, f"/{db_path.stem}.json", sql=chart["query"],
                                 org=org, week="", _shape="objects")[f"/{db_path.stem}.json"]
                assert response.status_code == 200, (slug, response.text[:300])
                if db_path == sample_path:
                    assert response.json()["rows"], (slug, org)


def test_week_parameter_rules(sample_path):
    def weeks(**params):
        response = fetch(sample_path, "/sample/releases_this_week.json", _shape="array", **params)
        return [(r["week"], r["tag_name"]) for r in response.popitem()[1].json()]
    latest = weeks()
    assert {w for w, _ in latest} == {LATEST_WEEK}
    assert ("2026-W24", "v1.2.0") in latest and all(t != "v9.9.9-draft" for _, t in latest)
    assert weeks(week="2026-06-10") == latest  # any date in the week
    assert weeks(week="2026-W20") == [("2026-W20", "v1.1.0")]
    assert weeks(week="2026-W30") == [("2026-W30", None)]  # the placeholder row
    assert weeks(week="nonsense") == [(None, None)]


@pytest.mark.parametrize("day", ["2021-01-03", "2020-12-28", "2024-12-30", "2026-01-01",
                                 "2025-12-29", "2026-06-14", "2026-06-15"])
def test_default_week_is_iso_week_of_latest_data(day):
    db = open_db(sqlite_utils.Database(memory=True))
    db["releases"].insert({"id": 1, "tag_name": "v1", "published_at": f"{day}T23:59:59Z"})
    sql = load_queries()["releases_this_week"]["sql"]
    row = next(db.query(sql, {"week": ""}))
    year, week, _ = date.fromisoformat(day).isocalendar()
    assert (row["week"], row["tag_name"]) == (f"{year}-W{week:02d}", "v1")


def test_default_week_skips_the_running_week():
    db = open_db(sqlite_utils.Database(memory=True))
    now = datetime.now(timezone.utc)
    db["releases"].insert({"id": 1, "tag_name": "v1",
                           "published_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")})
    row = next(db.query(load_queries()["releases_this_week"]["sql"], {"week": ""}))
    year, week, _ = (now.date() - timedelta(days=7)).isocalendar()
    assert row["week"] == f"{year}-W{week:02d}" and row["tag_name"] is None


def _week_ctes(text):
    """Every 'week as (...)' block in ``text``, matched by parentheses."""
    blocks = []
    for match in re.finditer(r"\bweek as \(", text):
        depth, i = 0, match.end() - 1
        for i in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            if depth == 0:
                break
        blocks.append(re.sub(r"\s+", " ", text[match.start(): i + 1]))
    return blocks


def test_week_rule_is_one_copy_everywhere():
    metadata, _ = build_config("x")
    texts = [q["sql"] for q in load_queries().values()] + [
        c["query"] for c in metadata["plugins"]["datasette-dashboards"]["ecosystem-pulse"]["charts"].values()
    ]
    blocks = [b for text in texts for b in _week_ctes(text)]
    assert len(blocks) >= 13
    assert len(set(blocks)) == 1, "the week CTE differs between copies; keep them identical"


def test_read_only(sample_path):
    async def run():
        ds = make_datasette(sample_path)
        refused = await ds.client.get("/sample.json", params={"sql": "delete from issues"})
        posted = await ds.client.post("/sample/releases_this_week", data={"week": ""})
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
            await ds.get_database("sample").execute_write("delete from issues")
        count = await ds.get_database("sample").execute("select count(*) from issues")
        return refused, posted, count.single_value()
    refused, posted, count = asyncio.run(run())
    assert refused.status_code == 400
    # Datasette 0.65 answers a POST to a read-only canned query with a 500
    # (its view returns a tuple); what matters is that nothing was written.
    assert posted.status_code != 200
    assert count == 56
    metadata, _ = build_config("sample")
    for name, query in metadata["databases"]["sample"]["queries"].items():
        assert not query.get("write"), name


def test_sidecar_cannot_declare_write_query(tmp_path):
    (tmp_path / "evil.sql").write_text("delete from issues")
    (tmp_path / "evil.yml").write_text("title: Evil\nwrite: true\n")
    with pytest.raises(PublishError, match="write"):
        load_queries(tmp_path)


def test_every_query_has_a_documented_sidecar():
    for name, query in load_queries().items():
        assert query.get("title") and query.get("description"), name
    for name, params in param_defaults().items():
        sql = load_queries()[name]["sql"]
        # :_header_* and the like are Datasette's magic parameters, not the user's.
        assert set(params) == set(re.findall(r"(?<![\w:]):([A-Za-z]\w*)", sql)), name


def test_metadata_names_the_database_by_file_stem(tmp_path):
    path = write_metadata(tmp_path / "meta.json", db_name="demo")
    metadata = json.loads(path.read_text())
    assert set(metadata["databases"]) == {"demo"}
    assert 'href="/demo/digest.atom"' in metadata["description_html"]
    assert "{db}" not in metadata["description_html"]
    assert set(metadata["databases"]["demo"]["queries"]) == set(QUERIES)
    assert metadata["databases"]["demo"]["tables"]["users"]["label_column"] == "login"
    dashboard = metadata["plugins"]["datasette-dashboards"]["ecosystem-pulse"]
    assert {c["db"] for c in dashboard["charts"].values()} == {"demo"}
    assert dashboard["filters"]["org"]["db"] == "demo"
    assert "settings" not in metadata
    # Only the digests (weekly, monthly), whose templates escape everything, may carry HTML into .atom.
    assert metadata["plugins"]["datasette-atom"]["allow_unsafe_html_in_canned_queries"] == {
        "demo": ["digest", "digest_monthly"]}
