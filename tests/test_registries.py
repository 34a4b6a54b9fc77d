"""PyPI, npm and conda-forge over loopback (#22): first harvest against the emulator's
truth, quiet re-runs, new versions, yanks, deprecations, vanished packages, faults."""

import json

import httpx
import pytest

from registries_helpers import ADVISORY, NOW, config_for, fill, harvest
from sources_helpers import FakeClock
from tracker.db import open_db
from tracker.emulator.registries import RegistryServer


@pytest.fixture
def reg():
    with RegistryServer() as server:
        yield fill(server)


@pytest.fixture
def db():
    return open_db(":memory:")


def stored(db):
    return {(r["registry"], r["name"], r["version"]): (
        r["published_at"], r["deprecated"] if r["registry"] == "npm" else r["yanked"])
        for r in db.query("select * from package_releases")}


def fetched(reg, since=0):
    """Full documents (200 answers to GETs) after request number ``since``."""
    return sorted(r.path for r in reg.requests[since:] if r.method == "GET" and r.status == 200)


def test_first_harvest_is_the_emulators_truth(reg, db):
    result = harvest(db, reg)
    assert result.problems == []
    assert stored(db) == reg.truth()
    assert result.counts["package_releases"] == len(reg.truth()) == 11
    row = db["package_releases"].get(("pypi", "sample-ext", "2.0.1"))
    assert json.loads(row["advisories"]) == ["GHSA-aaaa-bbbb-cccc", "CVE-2026-11111"]
    assert row["url"] == "https://pypi.org/project/sample-ext/2.0.1/" and row["files"] == 2
    assert db["package_releases"].get(("pypi", "sample-kernel", "1.1.0rc1"))["prerelease"] == 1
    assert db["package_releases"].get(("npm", "@sample/ext", "2.1.0-alpha.0"))["prerelease"] == 1
    widget = db["package_releases"].get(("pypi", "sample-widget", "0.1.0"))
    assert (widget["yanked"], widget["yanked_reason"]) == (1, "broken wheel")
    broken = db["package_releases"].get(("conda_forge", "sample-kernel", "0.9.0"))
    assert broken["yanked"] == 1
    # PyPI's name is the normalized one; links name the repository.
    packages = {(r["registry"], r["name"]): r for r in db.query("select * from packages")}
    assert packages[("pypi", "sample-ext")]["repository_url"] == \
        "https://github.com/jupyterlab/sample-ext"
    assert packages[("npm", "@sample/ext")]["repository_url"] == \
        "https://github.com/jupyterlab/sample-ext"
    assert packages[("pypi", "sample-kernel")]["latest_version"] == "1.1.0rc1"
    sources = {(r["registry"], r["name"], r["source"]) for r in db.query(
        "select * from package_sources")}
    assert ("pypi", "sample-ext", "explicit") in sources and len(sources) == 7
    # One XML-RPC call (the serial), then each package's documents once.
    assert len(reg.log_for("/pypi", "POST")) == 1
    assert result.fetched == {"pypi": 3, "npm": 2, "conda_forge": 2}


def test_quiet_rerun_costs_one_xmlrpc_call_and_304s(reg, db):
    harvest(db, reg)
    before = len(reg.requests)
    result = harvest(db, reg)
    later = reg.requests[before:]
    assert [(r.method, r.path) for r in later if r.method == "POST"] == [("POST", "/pypi")]
    assert not [r for r in later if r.path.startswith(("/simple/", "/pypi/"))]
    assert sorted((r.path, r.status) for r in later if r.method == "GET") == [
        ("/@sample/ext", 304), ("/package/conda-forge/sample-ext/files", 304),
        ("/package/conda-forge/sample-kernel/files", 304), ("/sample-theme", 304)]
    assert result.requests == 5 and result.not_modified == 4 and result.problems == []
    assert result.counts.get("package_releases", 0) == 0


def test_without_the_serial_pypi_is_asked_conditionally(reg, db):
    harvest(db, reg)
    reg.fail("/pypi", 503)  # XML-RPC down: one error, then conditional requests
    before = len(reg.requests)
    result = harvest(db, reg)
    assert [p.target for p in result.problems] == ["changelog"]
    later = [r for r in reg.requests[before:] if r.path.startswith("/simple/")]
    assert sorted(r.status for r in later) == [304, 304, 304]
    assert db["harvest_state"].get("pypi:serial")["watermark"] == str(reg.serial)


def test_five_new_versions_fetch_exactly_those(reg, db):
    harvest(db, reg)
    before = len(reg.requests)
    reg.add_pypi("sample-kernel", "1.1.0", "2026-06-16T10:00:00Z")
    reg.add_pypi("sample-ext", "2.0.2", "2026-06-16T11:00:00Z")
    reg.add_npm("@sample/ext", "2.1.0", "2026-06-16T12:00:00.000Z")
    reg.add_conda("sample-ext", "2.0.1", "2026-06-16 13:00:00+00:00")
    reg.add_conda("sample-ext", "2.0.2", "2026-06-16 14:00:00+00:00")
    result = harvest(db, reg)
    assert fetched(reg, before) == [
        "/@sample/ext", "/package/conda-forge/sample-ext/files", "/pypi/sample-ext/json",
        "/pypi/sample-kernel/json", "/simple/sample-ext/", "/simple/sample-kernel/"]
    assert result.fetched == {"pypi": 2, "npm": 1, "conda_forge": 1}
    assert result.counts["package_releases"] == 5
    assert stored(db) == reg.truth()


def test_yank_and_deprecation_are_state_changes(reg, db):
    harvest(db, reg)
    reg.yank_pypi("sample-kernel", "1.0.0", "security hole")
    reg.deprecate_npm("@sample/ext", "2.0.0", "please upgrade")
    reg.mark_broken("sample-ext", "2.0.0")
    harvest(db, reg)
    assert stored(db) == reg.truth()
    kernel = db["package_releases"].get(("pypi", "sample-kernel", "1.0.0"))
    assert (kernel["yanked"], kernel["yanked_reason"]) == (1, "security hole")
    assert kernel["first_seen_at"] == "2026-06-15T00:00:00Z"
    assert db["package_releases"].get(("npm", "@sample/ext", "2.0.0"))["deprecated"] == \
        "please upgrade"
    assert db["package_releases"].get(("conda_forge", "sample-ext", "2.0.0"))["yanked"] == 1
    assert db["package_releases"].count == 11


def test_removed_and_renamed_packages_are_marked_never_deleted(reg, db):
    harvest(db, reg)
    reg.remove_pypi("sample-widget")
    reg.remove_pypi("sample-kernel", renamed_to="sample-kernel-ng")
    del reg.npm["sample-theme"]
    result = harvest(db, reg)
    assert result.problems == []
    widget = db["packages"].get(("pypi", "sample-widget"))
    assert widget["missing_since"] == "2026-06-15T00:00:00Z"
    assert db["packages"].get(("npm", "sample-theme"))["missing_since"]
    old = db["packages"].get(("pypi", "sample-kernel"))
    assert (old["moved_to"], bool(old["missing_since"])) == ("sample-kernel-ng", True)
    assert db["packages"].get(("pypi", "sample-kernel-ng"))["missing_since"] is None
    assert db.execute("select count(*) from package_releases where name = 'sample-kernel-ng'"
                      ).fetchone()[0] == 2
    assert db["package_releases"].count == 13  # the old rows stay
    assert ("pypi", "sample-kernel-ng", "renamed:sample-kernel") in {
        (r["registry"], r["name"], r["source"]) for r in db.query("select * from package_sources")}


@pytest.mark.parametrize("path,body", [
    ("/simple/sample-ext/", b"<html>Service unavailable</html>"),
    ("/simple/sample-ext/", b'{"meta": {"api-version": "1.1"}, "name": "sample-ext", "files": '),
    ("/pypi/sample-ext/json", b"[1, 2]"),
    ("/@sample/ext", b'{"name": "@sample/ext", "versions": {"2.0.0": '),
    ("/@sample/ext", b'{"name": "@sample/ext", "time": {}}'),
    ("/package/conda-forge/sample-ext/files", b'{"error": "nope"}'),
])
def test_malformed_and_partial_answers_are_one_error_each(reg, db, path, body):
    harvest(db, reg)
    before = stored(db)
    reg.add_pypi("sample-ext", "2.0.2", "2026-06-16T11:00:00Z")
    reg.add_npm("@sample/ext", "2.1.0", "2026-06-16T12:00:00.000Z")
    reg.add_conda("sample-ext", "2.0.2", "2026-06-16 14:00:00+00:00")
    reg.add_pypi("sample-kernel", "1.1.0", "2026-06-16T10:00:00Z")
    reg.set_content(path, body)
    result = harvest(db, reg)
    assert len(result.problems) == 1, result.problems
    problem = result.problems[0]
    assert "\n" not in problem.message and "Traceback" not in problem.message
    after = stored(db)
    # The failed package is stored as it was; the others moved on.
    assert ("pypi", "sample-kernel", "1.1.0") in after
    failed = {k: v for k, v in after.items() if k[1] in ("sample-ext", "@sample/ext")
              and k[0] == problem.registry}
    assert failed == {k: v for k, v in before.items() if k[1] in ("sample-ext", "@sample/ext")
                      and k[0] == problem.registry}
    # Next run (the answer mended) reads it again and catches up.
    reg.reset(path)
    assert harvest(db, reg).problems == []
    assert stored(db) == reg.truth()


def test_xmlrpc_garbage_and_faults_fall_back(reg, db):
    reg.set_content("/pypi", b"<html>not xml-rpc</html>", "text/html")
    result = harvest(db, reg)
    assert [p.target for p in result.problems] == ["changelog"]
    assert "not an XML-RPC answer" in result.problems[0].message
    assert stored(db) == reg.truth()  # the packages were still read
    assert db["harvest_state"].get("pypi:serial") is None if "pypi:serial" in {
        r["key"] for r in db.query("select key from harvest_state")} else True


def test_429_with_retry_after_is_honoured(reg, db):
    clock = FakeClock()
    reg.clock = clock.now
    reg.fail("/sample-theme", 429, times=1, retry_after=17)
    result = harvest(db, reg, clock=clock)
    assert result.problems == []
    log = reg.log_for("/sample-theme")
    assert [r.status for r in log] == [429, 200]
    assert log[1].at - log[0].at >= 17
    assert stored(db) == reg.truth()


def test_5xx_and_timeouts_are_retried_then_recorded(reg, db):
    reg.fail("/simple/sample-widget/", 502)  # always
    reg.slow("/sample-theme", 1.0, times=1)
    with httpx.Client(timeout=httpx.Timeout(0.3)) as client:
        result = harvest(db, reg, client=client)
    assert [(p.registry, p.target, p.http_status) for p in result.problems] == [
        ("pypi", "sample-widget", 502)]
    assert "after 3 attempts" in result.problems[0].message
    assert [r.status for r in reg.log_for("/simple/sample-widget/")] == [502, 502, 502]
    assert result.costs["npm"].requests == 3  # @sample/ext; sample-theme: a timeout, the answer
    assert ("npm", "sample-theme", "0.3.0") in stored(db)
    # The failed package is asked again next run, though the serial moved on.
    reg.reset("/simple/sample-widget/")
    harvest(db, reg)
    assert stored(db) == reg.truth()


def test_pacing_is_per_host(db):
    clock = FakeClock()
    with RegistryServer(clock=clock.now) as pypi_host, \
            RegistryServer(host="localhost", clock=clock.now) as npm_host:
        fill(pypi_host)
        fill(npm_host)
        config = config_for(pypi_host, npm_url=npm_host.url, conda_forge=[])
        harvest(db, pypi_host, config, clock=clock)
        pypi_times = [r.at for r in pypi_host.requests if r.method == "GET"]
        npm_times = [r.at for r in npm_host.requests]
    gaps = [b - a for a, b in zip(pypi_times, pypi_times[1:])]
    assert len(pypi_times) == 6 and min(gaps) >= 1.0  # one request a second per host
    assert len(npm_times) == 2 and npm_times[1] - npm_times[0] >= 1.0
    # The npm host did not wait behind PyPI's queue: its first request came at once.
    assert npm_times[0] - pypi_times[-1] < 1.0


def test_security_release_flag_survives_advisory_leaving_pypi(reg, db):
    harvest(db, reg)
    reg.add_pypi("sample-ext", "2.0.2", "2026-06-16T11:00:00Z", vulnerabilities=[])
    harvest(db, reg)
    row = db["package_releases"].get(("pypi", "sample-ext", "2.0.1"))
    assert json.loads(row["advisories"])[0] == ADVISORY["id"]
    assert json.loads(db["packages"].get(("pypi", "sample-ext"))["advisories"])[0]["id"] == \
        ADVISORY["id"]


def test_user_agent_names_the_tracker(reg, db):
    from tracker.github import USER_AGENT
    seen = []
    with httpx.Client(timeout=5, headers={"User-Agent": USER_AGENT},
                      event_hooks={"request": [lambda r: seen.append(r.headers["user-agent"])]}
                      ) as client:
        harvest(db, reg, client=client)
    assert seen and set(seen) == {USER_AGENT} and "tracker" in USER_AGENT
    assert NOW.year == 2026


def test_xmlrpc_429_with_retry_after_is_honoured(reg, db):
    harvest(db, reg)
    clock = FakeClock()
    reg.clock = clock.now
    reg.fail("/pypi", 429, times=1, retry_after=9)
    result = harvest(db, reg, clock=clock)
    assert result.problems == []
    calls = reg.log_for("/pypi", "POST")[-2:]
    assert [c.status for c in calls] == [429, 200] and calls[1].at - calls[0].at >= 9
