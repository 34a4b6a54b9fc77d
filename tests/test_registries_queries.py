"""#22 in Datasette and `tracker harvest`: the project_releases view, the canned
queries package_releases_this_week (+ .atom) and packages_without_github_release,
the dashboard panel, config keys, and package errors recorded like any other."""

import asyncio

import feedparser
import httpx
import pytest
import sqlite_utils
from click.testing import CliRunner

from registries_helpers import NOW, config_for, fill
from sample_packages import ADVISORY
from sampledb import populate_sample
from sources_helpers import FakeClock
from tracker.cli import cli as main
from tracker.config import ConfigError, parse_config
from tracker.db import open_db
from tracker.emulator.registries import RegistryServer
from tracker.harvest.run import Progress, run_harvest
from tracker.publish import load_queries, make_datasette
from tracker.sources.http import Pacing

QUERIES = load_queries()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("packages") / "sample.db"
    populate_sample(sqlite_utils.Database(path)).close()
    return path


def week_rows(db, week):
    return [(r["project"], r["version"], r["places"], r["on_github"], r["security"],
             r["advisories"], r["first_release"])
            for r in db.query(QUERIES["package_releases_this_week"]["sql"], {"week": week})]


def test_each_project_version_once_wherever_it_shipped(sample):
    db = open_db(str(sample))
    assert week_rows(db, "2026-W24") == [
        ("jupyter/sample-notebook", "1.2.0rc1", "GitHub", 1, 0, None, 0),
        ("jupyterhub/sample-hub", "5.1.1", "PyPI", 0, 1, ADVISORY, 0),
        ("sample-kernel", "0.1.0", "PyPI", 0, 0, None, 1),
        ("jupyterhub/sample-spawner", "0.1.0", "GitHub", 1, 0, None, 0),
        ("jupyter/sample-notebook", "1.2.0", "GitHub, PyPI, conda-forge", 1, 0, None, 0),
        ("jupyterlab/sample-lab", "4.1.1", "GitHub, npm", 1, 0, None, 0),
        ("jupyterlab/sample-lab", "4.1.2", "npm", 0, 0, None, 0),
    ]
    # A version's week is its first appearance: 4.1.0 was on GitHub in W22, npm in W23.
    assert week_rows(db, "2026-W23") == [
        ("jupyterhub/sample-hub", "5.1.0", "GitHub, PyPI", 1, 0, None, 0)]
    told = db.execute("select count(*), count(distinct lower(project) || ' ' || version) "
                      "from project_releases").fetchone()
    assert told[0] == told[1]


def test_packages_without_github_release(sample):
    db = open_db(str(sample))
    rows = [(r["registry"], r["name"], r["without_github_release"], r["last_without_version"],
             r["repo_known"]) for r in db.query(QUERIES["packages_without_github_release"]["sql"])]
    assert rows == [("pypi", "sample-kernel", 2, "0.1.1", 0), ("npm", "@sample/lab", 1, "4.1.2", 1),
                    ("pypi", "sample-hub", 1, "5.1.1", 1)]


def test_feed_and_dashboard_panel(sample):
    ds = make_datasette(str(sample))

    async def get(path):
        return await ds.client.get(path)

    feed = asyncio.run(get(f"/{sample.stem}/package_releases_this_week.atom?week=2026-W24"))
    assert feed.status_code == 200
    parsed = feedparser.parse(feed.text)
    assert not parsed.bozo and len(parsed.entries) == 7
    titles = [e.title for e in parsed.entries]
    assert "jupyterhub/sample-hub 5.1.1 (security) on PyPI" in titles
    assert all(e.link.startswith(("https://", "http://")) for e in parsed.entries)
    sql = load_panel("registries")
    from tracker.publish import expand
    rows = open_db(str(sample)).query(expand(sql), {"week": "2026-W24", "org": ""})
    counts = {(r["week"], r["place"]): r["n"] for r in rows}
    # The chart counts uploads, the yanked sample-kernel 0.1.1 too.
    assert counts[("2026-06-08", "PyPI")] == 4 and counts[("2026-06-08", "GitHub")] == 4
    assert counts[("2026-06-08", "npm")] == 2 and counts[("2026-06-08", "conda-forge")] == 1


def load_panel(name):
    from tracker.publish import build_config
    meta, _ = build_config("tracker")  # as served: the chart's query_file read and expanded
    return meta["plugins"]["datasette-dashboards"]["ecosystem-pulse"]["charts"][name]["query"]


def test_config_keys_and_environment():
    config = parse_config("""
packages:
  pypi: [voila, Jupytext]
  npm: ["@jupyterlab/git", jupyterlab-theme]
  conda_forge: [voila]
  from_repos: true
  classifiers: ["Framework :: Jupyter :: JupyterLab :: Extensions"]
  npm_keywords: [jupyterlab-extension]
  conda_forge_from_pypi: true
  rate: 30
  pypi_url: https://mirror.example/pypi
""")
    p = config.packages
    assert p.pypi == ["voila", "Jupytext"] and p.rate == 30 and p.from_repos
    assert p.urls({}) == {"pypi": "https://mirror.example/pypi",
                          "npm": "https://registry.npmjs.org",
                          "conda_forge": "https://api.anaconda.org"}
    assert p.urls({"TRACKER_NPM_URL": "http://127.0.0.1:9/", "TRACKER_PYPI_URL": "http://x"}) \
        == {"pypi": "http://x", "npm": "http://127.0.0.1:9", "conda_forge":
            "https://api.anaconda.org"}
    for text, key in [("packages: [voila]", "'packages' must be a mapping"),
                      ("packages: {pypi: voila}", "'packages.pypi' must be a list"),
                      ("packages: {npm: ['Bad Name']}", "'packages.npm[0]'"),
                      ("packages: {rate: -1}", "'packages.rate'"),
                      ("packages: {from_repos: yes please}", "'packages.from_repos'"),
                      ("packages: {anaconda_url: 'ftp://x'}", "'packages.anaconda_url'"),
                      ("packages: {pipy: [voila]}", "unknown key 'packages.pipy'")]:
        with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
            parse_config(text)


def test_cli_rejects_a_bad_key_with_exit_2(tmp_path):
    path = tmp_path / "tracker.yml"
    path.write_text("packages: {pypi: [' ']}\n")
    result = CliRunner().invoke(main, ["harvest", "--config", str(path), "--db",
                                       str(tmp_path / "t.db"), "--only", "packages"])
    assert result.exit_code == 2 and "packages.pypi[0]" in result.output
    assert "Traceback" not in result.output


def test_harvest_only_packages_records_errors_and_goes_on(tmp_path):
    clock = FakeClock()
    with RegistryServer(clock=clock.now) as reg:
        fill(reg)
        reg.fail("/sample-theme", 500)
        config = config_for(reg)
        with httpx.Client(timeout=5) as client:
            summary = run_harvest(str(tmp_path / "t.db"), config, only="packages", digest=False,
                                  progress=Progress(quiet=True), source_client=client,
                                  environ={}, sources_now=NOW,
                                  sources_pacing=Pacing(default=0.0, clock=clock.now,
                                                        sleep=clock.sleep))
    assert (summary.status, summary.exit_code) == ("partial", 1)
    db = sqlite_utils.Database(tmp_path / "t.db")
    errors = list(db["harvest_errors"].rows)
    assert [(e["source"], e["target"], e["http_status"]) for e in errors] == [
        ("npm", "sample-theme", 500)]
    assert "\n" not in errors[0]["message"]
    assert db["package_releases"].count == 10
    run = next(db["harvest_runs"].rows)
    assert run["credentials"] == "none" and run["source"] == "packages"


def test_migration_brings_an_old_file_up(tmp_path):
    from tracker.db import MIGRATIONS, _migration_packages
    path = tmp_path / "old.db"
    open_db(str(path)).close()
    old = sqlite_utils.Database(path)  # as a file made before #22: no package tables
    for view in ("project_releases", "release_places"):
        old.execute(f"drop view {view}")
    for table in ("packages", "package_releases", "package_sources"):
        old.execute(f"drop table {table}")
    old.execute(f"pragma user_version={MIGRATIONS.index(_migration_packages)}")
    old.close()
    db = open_db(str(path))
    assert {"packages", "package_releases", "package_sources"} <= set(db.table_names())
    assert list(db.query("select * from project_releases")) == []
