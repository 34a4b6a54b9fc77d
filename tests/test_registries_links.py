"""#22 (a new user's trial): a package whose metadata does not link to its
repository (dockerspawner's PyPI project names only jupyter.org) is still the
repository's project, so its versions are told once, not once as a GitHub
release and again "on PyPI, no GitHub release". Two ways (tracker/registries/
link.py): an explicit ``packages.repos`` link, and, without one, the same name
and matching release tags. Harvested over loopback from the registry emulator."""

import httpx
import pytest
from click.testing import CliRunner

from registries_helpers import harvest
from tracker.cli import cli as main
from tracker.config import ConfigError, parse_config
from tracker.config import Config
from tracker.db import open_db
from tracker.digest.build import week_bounds
from tracker.emulator.registries import RegistryServer
from tracker.publish import load_queries
from tracker.registries.digest import project_release_rows
from tracker.registries.settings import Packages

HOME = {"Homepage": "https://jupyter.org"}  # dockerspawner's real project_urls: no repo
QUERIES = load_queries()


def repo(db, rid, full_name, tags):
    with db.conn:
        db["repos"].upsert({"id": rid, "full_name": full_name, "name": full_name.split("/")[1],
                            "html_url": f"https://github.com/{full_name}"}, pk="id")
        for i, (tag, when) in enumerate(tags):
            db["releases"].upsert({"id": rid * 100 + i, "repo": rid, "tag_name": tag,
                                   "name": tag, "draft": 0, "prerelease": 0,
                                   "published_at": when, "body": "Notes.",
                                   "html_url": f"https://github.com/{full_name}/releases"},
                                  pk="id")


def harvested(reg, pypi, repos=None):
    db = open_db(":memory:")
    repo(db, 1, "jupyterhub/sample-spawner", [("14.0.0", "2026-06-09T10:00:00Z"),
                                              ("v13.0.0", "2026-03-02T10:00:00Z")])
    repo(db, 2, "jupyterhub/renamed-spawner", [("2.0.0", "2026-06-10T10:00:00Z")])
    repo(db, 3, "someone/sample-widgets", [("9.0.0", "2026-06-10T10:00:00Z"),
                                           ("9.1.0", "2026-06-11T10:00:00Z")])
    repo(db, 4, "org-a/twin", [("1.0.0", "2026-06-09T10:00:00Z")])
    repo(db, 5, "org-b/twin", [("1.0.0", "2026-06-09T11:00:00Z")])
    config = Config(packages=Packages(pypi=pypi, pypi_url=reg.url, npm_url=reg.url,
                                      anaconda_url=reg.url, repos=repos or {}))
    with httpx.Client(timeout=5) as client:
        result = harvest(db, reg, config, client=client)
    assert result.problems == []
    return db


def fill(reg):
    # Uploaded 30 s after the GitHub release, as dockerspawner 14.0.0 was.
    reg.add_pypi("sample_spawner", "13.0.0", "2026-03-02T10:00:30Z", project_urls=HOME)
    reg.add_pypi("sample_spawner", "14.0.0", "2026-06-09T10:00:30Z", project_urls=HOME)
    reg.add_pypi("other-spawner", "2.0.0", "2026-06-10T10:00:30Z", project_urls=HOME)
    # Named like a repository, but its versions are not that repository's tags.
    reg.add_pypi("sample-widgets", "0.1.0", "2026-06-10T12:00:00Z", project_urls=HOME)
    reg.add_pypi("sample-widgets", "0.2.0", "2026-06-11T12:00:00Z", project_urls=HOME)
    # Named like two repositories: ambiguous, linked to neither.
    reg.add_pypi("twin", "1.0.0", "2026-06-09T12:00:00Z", project_urls=HOME)


def linked(db):
    return dict(db.execute("select p.name, r.full_name from packages p "
                           "left join repos r on r.id = p.repo where p.registry = 'pypi'"))


def test_same_name_and_matching_tags_is_the_same_project():
    with RegistryServer() as reg:
        fill(reg)
        db = harvested(reg, ["sample_spawner", "other-spawner", "sample-widgets", "twin"])
    assert linked(db) == {"sample-spawner": "jupyterhub/sample-spawner", "other-spawner": None,
                          "sample-widgets": None, "twin": None}
    start, end = week_bounds("2026-W24")
    rows = [(r["project"], r["version"], ", ".join(r["places"]), r["without_github_release"])
            for r in project_release_rows(db, start, end) if "spawner" in r["project"]]
    assert ("jupyterhub/sample-spawner", "14.0.0", "GitHub, PyPI", False) in rows
    assert not [r for r in rows if r[0] == "sample-spawner"]  # told once
    without = {r["name"]: r["without_github_release"] for r in db.query(
        QUERIES["packages_without_github_release"]["sql"])}
    assert "sample-spawner" not in without and without["other-spawner"] == 1


def test_an_explicit_link_in_tracker_yml():
    with RegistryServer() as reg:
        fill(reg)
        db = harvested(reg, ["sample-spawner"],
                       repos={"pypi": {"other_spawner": "jupyterhub/renamed-spawner"}})
    # A linked package is followed too; a link the config gives wins over the name rule.
    assert linked(db) == {"sample-spawner": "jupyterhub/sample-spawner",
                          "other-spawner": "jupyterhub/renamed-spawner"}
    start, end = week_bounds("2026-W24")
    rows = [(r["project"], r["version"], ", ".join(r["places"]))
            for r in project_release_rows(db, start, end)]
    assert ("jupyterhub/renamed-spawner", "2.0.0", "GitHub, PyPI") in rows
    assert not [r for r in rows if r[0] == "other-spawner"]


@pytest.mark.parametrize("text, message", [
    ("packages: {repos: [dockerspawner]}", "'packages.repos' must be a mapping"),
    ("packages: {repos: {pipy: {a: b/c}}}", "unknown key 'packages.repos.pipy'"),
    ("packages: {repos: {pypi: [dockerspawner]}}", "'packages.repos.pypi' must be a mapping"),
    ("packages: {repos: {pypi: {dockerspawner: dockerspawner}}}",
     "'packages.repos.pypi.dockerspawner' must be a GitHub repository OWNER/NAME"),
    ("packages: {repos: {npm: {'Bad Name': a/b}}}", "'packages.repos.npm' key must be"),
])
def test_repos_key_is_checked(text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        parse_config(text)


def test_a_bad_link_stops_the_cli_with_exit_2(tmp_path):
    path = tmp_path / "tracker.yml"
    path.write_text("packages: {repos: {pypi: {dockerspawner: 'not a repo'}}}\n")
    result = CliRunner().invoke(main, ["harvest", "--config", str(path), "--db",
                                       str(tmp_path / "t.db"), "--only", "packages"])
    assert result.exit_code == 2 and "packages.repos.pypi.dockerspawner" in result.output
    assert "Traceback" not in result.output
