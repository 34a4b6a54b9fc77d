"""A registry that is down is learnt once per run, not once per package (#22): after
three requests in a row failed (each after its retries), its host is not asked again
this run; the packages left are recorded as not asked, and the next run asks again."""

import socket

import httpx

from registries_helpers import config_for, fill, harvest
from sources_helpers import FakeClock
from tracker.db import open_db
from tracker.emulator.registries import RegistryServer
from tracker.registries.run import harvest_packages
from tracker.sources.http import ATTEMPTS, BREAK_AFTER, Pacing

NAMES = [f"outage-pkg-{i}" for i in range(20)]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: connections are refused


def many(reg):
    fill(reg)
    for name in NAMES:
        reg.add_pypi(name, "1.0.0", "2026-06-01T10:00:00Z")
    return reg


def test_refused_host_is_given_up_after_three_packages_and_asked_next_run():
    db = open_db(":memory:")
    lines = []
    with RegistryServer() as reg:
        many(reg)
        down = f"http://127.0.0.1:{closed_port()}"
        config = config_for(reg, pypi=NAMES, pypi_url=down, conda_forge=[])
        clock = FakeClock()
        with httpx.Client(timeout=2.0) as client:
            result = harvest_packages(
                db, config, client, pacing=Pacing(default=1.0, clock=clock.now,
                                                  sleep=clock.sleep),
                xmlrpc_pacing=Pacing(default=1.0, clock=clock.now, sleep=clock.sleep),
                environ={}, log=lines.append)
        pypi = [p for p in result.problems if p.registry == "pypi"]
        # changelog (XML-RPC, its own pacing) + every package: each one recorded
        assert {p.target for p in pypi} == {"changelog", *NAMES}
        asked = [p for p in pypi if "not asked" not in p.message]
        assert len(asked) == 1 + BREAK_AFTER
        # 3 attempts for the changelog, 3 for each of the first three packages: no more
        assert result.costs["pypi"].requests == ATTEMPTS * (1 + BREAK_AFTER)
        # npm on its own (working) host went on as usual
        assert not [p for p in result.problems if p.registry == "npm"]
        # one line for the first package not asked, one count for the rest
        assert sum("not asked" in line for line in lines) == 2
        assert any(line.endswith(f"{len(NAMES) - BREAK_AFTER} packages not asked this run: "
                                 "their host kept failing") for line in lines)
        # Next run, the host is back: everything is asked and stored.
        result = harvest(db, reg, config_for(reg, pypi=NAMES, conda_forge=[]))
        assert not result.problems
        assert {r[0] for r in db.execute("select name from package_releases "
                                         "where registry = 'pypi'")} == set(NAMES)


def test_a_missing_package_between_failures_keeps_the_host_asked():
    """404s are answers: only failures in a row trip the breaker."""
    db = open_db(":memory:")
    with RegistryServer() as reg:
        many(reg)
        for i, name in enumerate(NAMES):
            if i % 3 != 2:  # two failures, then a 404 (an answer), and again
                reg.fail(f"/simple/{name}/", 503)
            else:
                reg.fail(f"/simple/{name}/", 404)
        result = harvest(db, reg, config_for(reg, pypi=NAMES, conda_forge=[]))
    assert not [p for p in result.problems if "not asked" in p.message]
    assert len([p for p in result.problems if p.http_status == 503]) == 14
