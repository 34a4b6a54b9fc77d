"""Which packages (#22): repository links, trove classifiers, npm keywords and the
conda-forge builds of PyPI packages; found once, rechecked on the reconciliation
schedule."""

from datetime import timedelta

import pytest

from registries_helpers import NOW, config_for, fill, harvest
from tracker.db import open_db
from tracker.emulator.registries import RegistryServer

CLASSIFIER = "Framework :: Jupyter :: JupyterLab :: Extensions"


@pytest.fixture
def reg():
    with RegistryServer() as server:
        fill(server)
        server.add_pypi("sample-viewer", "0.2.0", "2026-06-03T00:00:00Z",
                        classifiers=[CLASSIFIER, "License :: OSI Approved :: BSD License"])
        server.add_pypi("sample-ext", "2.0.1", "2026-06-09T08:00:00Z", classifiers=[CLASSIFIER])
        server.add_pypi("sample-hub", "5.0.0", "2026-01-01T00:00:00Z",
                        project_urls={"Source": "https://github.com/jupyterhub/sample-hub"})
        server.add_pypi("sample-lab", "1.0.0", "2026-01-01T00:00:00Z",
                        project_urls={"Source": "https://github.com/someone-else/sample-lab"})
        server.add_npm("sample-lab", "4.1.1", "2026-06-12T00:00:00.000Z",
                       repository="github:jupyterlab/sample-lab")
        server.add_conda("sample-hub", "5.0.0", "2026-01-02 00:00:00+00:00")
        yield server


@pytest.fixture
def db():
    db = open_db(":memory:")
    db["repos"].insert_all([
        {"id": 1, "name": "sample-hub", "full_name": "jupyterhub/sample-hub"},
        {"id": 2, "name": "sample-lab", "full_name": "jupyterlab/sample-lab"},
        {"id": 3, "name": "sample-ext", "full_name": "jupyterlab/sample-ext"}], pk="id")
    return db


def sources(db):
    return sorted((r["registry"], r["name"], r["source"]) for r in db.query(
        "select * from package_sources where source != 'explicit'"))


def test_discovery_finds_by_links_classifiers_keywords_and_conda(reg, db):
    config = config_for(reg, pypi=[], npm=[], conda_forge=[], from_repos=True,
                        classifiers=[CLASSIFIER], npm_keywords=["jupyterlab-extension"],
                        conda_forge_from_pypi=True)
    result = harvest(db, reg, config)
    assert result.problems == []
    assert sources(db) == [
        ("conda_forge", "sample-ext", "pypi:sample-ext"),
        ("conda_forge", "sample-hub", "pypi:sample-hub"),
        ("npm", "@sample/ext", "keyword:jupyterlab-extension"),
        ("npm", "sample-lab", "repo:jupyterlab/sample-lab"),
        ("npm", "sample-theme", "keyword:jupyterlab-extension"),
        ("pypi", "sample-ext", f"classifier:{CLASSIFIER}"),
        ("pypi", "sample-ext", "repo:jupyterlab/sample-ext"),
        ("pypi", "sample-hub", "repo:jupyterhub/sample-hub"),
        ("pypi", "sample-viewer", f"classifier:{CLASSIFIER}"),
    ]  # sample-lab on PyPI links to someone else's repository: not followed
    linked = {(r["registry"], r["name"]): r["repo"] for r in db.query("select * from packages")}
    assert linked[("pypi", "sample-hub")] == 1 and linked[("npm", "sample-lab")] == 2
    assert linked[("conda_forge", "sample-hub")] == 1  # through its PyPI package
    # sample-viewer has no conda-forge build: remembered, not an error, not a package.
    assert db["harvest_state"].get("conda_forge:absent:sample-viewer")
    assert ("conda_forge", "sample-viewer") not in linked
    # The project view tells the conda-forge build with its repository.
    rows = {(r["project"], r["version"]): r["places"] for r in db.query(
        "select * from project_releases")}
    assert rows[("jupyterhub/sample-hub", "5.0.0")] == "PyPI, conda-forge"


def test_discovery_is_rechecked_on_the_reconciliation_schedule(reg, db):
    config = config_for(reg, pypi=[], npm=[], conda_forge=[], from_repos=True,
                        classifiers=[CLASSIFIER], npm_keywords=["jupyterlab-extension"],
                        conda_forge_from_pypi=True)
    harvest(db, reg, config)
    before = len(reg.requests)
    harvest(db, reg, config, now=NOW + timedelta(days=1))
    later = reg.requests[before:]
    assert not [r for r in later if r.path == "/-/v1/search" or r.path.startswith("/pypi/")
                and r.method == "GET" and r.status == 200]
    assert [r.method for r in later if r.path == "/pypi"] == ["POST"]  # the changelog only
    assert not [r for r in later if r.path == "/package/conda-forge/sample-viewer/files"]
    before = len(reg.requests)
    harvest(db, reg, config, now=NOW + timedelta(days=8))
    later = reg.requests[before:]
    assert len([r for r in later if r.path == "/-/v1/search"]) == 1
    assert len([r for r in later if r.path == "/pypi" and r.method == "POST"]) == 2  # browse
    assert len([r for r in later if r.path == "/package/conda-forge/sample-viewer/files"]) == 1


def test_npm_search_pages(reg, db):
    for i in range(300):
        reg.add_npm(f"sample-many-{i:03d}", "1.0.0", "2026-06-01T00:00:00.000Z",
                    keywords=["many"])
    config = config_for(reg, pypi=[], npm=[], conda_forge=[], npm_keywords=["many"])
    harvest(db, reg, config)
    assert len([s for s in sources(db) if s[2] == "keyword:many"]) == 300
    assert len(reg.log_for("/-/v1/search")) == 2


def test_hostile_names_from_a_registry_are_not_followed(reg, db):
    reg.add_pypi("fine-name", "1.0.0", "2026-06-01T00:00:00Z", classifiers=[CLASSIFIER])
    reg.pypi["../../evil"] = {**reg.pypi["fine-name"], "name": "../../evil"}
    reg.add_npm("ok-pkg", "1.0.0", "2026-06-01T00:00:00.000Z", keywords=["odd"])
    reg.npm["<script>x</script>"] = {**reg.npm["ok-pkg"], "name": "<script>x</script>"}
    config = config_for(reg, pypi=[], npm=[], conda_forge=[], classifiers=[CLASSIFIER],
                        npm_keywords=["odd"])
    result = harvest(db, reg, config)
    assert result.problems == []
    names = {n for _, n, _ in sources(db)}
    assert "fine-name" in names and "ok-pkg" in names
    assert "../../evil" not in names and "<script>x</script>" not in names
