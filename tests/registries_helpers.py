"""Helpers for the #22 registry tests: an emulator filled with a small ecosystem."""

from datetime import datetime, timezone

import httpx

from sources_helpers import FakeClock
from tracker.config import Config
from tracker.registries.run import harvest_packages
from tracker.registries.settings import Packages
from tracker.sources.http import Pacing

NOW = datetime(2026, 6, 15, tzinfo=timezone.utc)
ADVISORY = {"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2026-11111"], "fixed_in": ["2.0.1"],
            "link": "https://osv.dev/vulnerability/GHSA-aaaa-bbbb-cccc", "summary": "XSS",
            "withdrawn": None}


def fill(reg):
    """Three PyPI projects, two npm packages, two conda-forge packages."""
    reg.add_pypi("sample-kernel", "1.0.0", "2026-05-04T10:00:00.123456Z",
                 project_urls={"Source": "https://github.com/jupyter/sample-kernel"})
    reg.add_pypi("sample-kernel", "1.1.0rc1", "2026-06-01T10:00:00.5Z")
    reg.add_pypi("Sample_Ext", "2.0.0", "2026-06-02T08:00:00Z",
                 project_urls={"Homepage": "https://github.com/jupyterlab/sample-ext.git"})
    reg.add_pypi("sample-ext", "2.0.1", "2026-06-09T08:00:00Z", vulnerabilities=[ADVISORY])
    reg.add_pypi("sample-widget", "0.1.0", "2026-06-10T12:00:00Z", yanked="broken wheel")
    reg.add_npm("@sample/ext", "2.0.0", "2026-06-02T09:00:00.000Z",
                repository="git+https://github.com/jupyterlab/sample-ext.git",
                keywords=["jupyterlab-extension"])
    reg.add_npm("@sample/ext", "2.1.0-alpha.0", "2026-06-09T09:00:00.000Z")
    reg.add_npm("sample-theme", "0.3.0", "2026-05-20T00:00:00.000Z",
                deprecated="use @sample/theme", keywords=["jupyterlab-extension"])
    reg.add_conda("sample-ext", "2.0.0", "2026-06-03 04:05:06.789000+00:00",
                  subdirs=("noarch",))
    reg.add_conda("sample-kernel", "1.0.0", "2026-05-05 00:00:00+00:00",
                  subdirs=("linux-64", "osx-64"))
    reg.add_conda("sample-kernel", "0.9.0", "2026-04-01 00:00:00+00:00", labels=("broken",))
    return reg


def config_for(reg, **options):
    packages = Packages(pypi=["sample-kernel", "Sample_Ext", "sample-widget"],
                        npm=["@sample/ext", "sample-theme"],
                        conda_forge=["sample-ext", "sample-kernel"],
                        pypi_url=reg.url, npm_url=reg.url, anaconda_url=reg.url)
    for key, value in options.items():
        setattr(packages, key, value)
    return Config(packages=packages)


def harvest(db, reg, config=None, *, clock=None, now=NOW, client=None):
    clock = clock or FakeClock()
    pacing = Pacing(default=1.0, clock=clock.now, sleep=clock.sleep)
    xmlrpc = Pacing(default=1.0, clock=clock.now, sleep=clock.sleep)
    own = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(5.0))
    try:
        return harvest_packages(db, config or config_for(reg), client, now=now, pacing=pacing,
                                xmlrpc_pacing=xmlrpc, environ={})
    finally:
        if own:
            client.close()
