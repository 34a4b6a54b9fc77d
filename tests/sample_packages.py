"""PyPI, npm and conda-forge packages for the sample database (#22), all made up.

W24 (8-14 June 2026), as project versions:
- jupyter/sample-notebook 1.2.0: GitHub v1.2.0 and PyPI the same day, conda-forge
  a day later: told once, "also on PyPI and conda-forge";
- jupyter/sample-notebook 1.2.0rc1: GitHub only;
- jupyterlab/sample-lab 4.1.1 on GitHub and npm; 4.1.2 on npm only (no GitHub release);
- jupyterhub/sample-hub 5.1.1 on PyPI only, fixing an advisory (security);
- sample-kernel 0.1.0: a package's first-ever release, no repository known; its
  0.1.1 was yanked (left out of the week's releases, kept in the table);
- jupyterhub/sample-spawner 0.1.0: GitHub only.
W23: jupyterhub/sample-hub 5.1.0 on GitHub and PyPI; sample-lab 4.1.0 on npm only
(its GitHub release was in W22).
"""

import json

from sampledb import XSS_LINK, XSS_SCRIPT, at

ADVISORY = "GHSA-q4w5-e6r7-t8y9"


def _package(registry, name, repo=None, repo_url=None, **extra):
    return {"registry": registry, "name": name, "repo": repo, "repository_url": repo_url,
            "url": f"https://pypi.org/project/{name}/", "first_seen_at": at(20),
            "last_harvested_at": at(24, 7), "synthetic": 1, **extra}


def _release(registry, name, version, when, **extra):
    row = {"registry": registry, "name": name, "version": version, "published_at": when,
           "prerelease": 0, "yanked": 0, "url": f"https://pypi.org/project/{name}/{version}/",
           "first_seen_at": when, "updated_at": when, "synthetic": 1}
    row.update(extra)
    return row


def packages():
    return [
        _package("pypi", "sample-notebook", 2001, "https://github.com/jupyter/sample-notebook"),
        _package("conda_forge", "sample-notebook", 2001,
                 "https://github.com/jupyter/sample-notebook"),
        _package("npm", "@sample/lab", 2002, "https://github.com/jupyterlab/sample-lab"),
        _package("pypi", "sample-hub", 2004, "https://github.com/jupyterhub/sample-hub",
                 advisories=json.dumps([{"id": ADVISORY, "aliases": [], "fixed_in": ["5.1.1"]}])),
        _package("pypi", "sample-kernel", summary=f"A kernel {XSS_SCRIPT}"),
    ]


def releases():
    return [
        _release("pypi", "sample-notebook", "1.1.0", at(20, 3, 13)),
        _release("pypi", "sample-notebook", "1.2.0", at(24, 4, 17)),
        _release("conda_forge", "sample-notebook", "1.2.0", at(24, 5, 6),
                 url="https://anaconda.org/conda-forge/sample-notebook/files?version=1.2.0"),
        _release("npm", "@sample/lab", "4.1.0", at(23, 1, 9),
                 url="https://www.npmjs.com/package/@sample/lab/v/4.1.0"),
        _release("npm", "@sample/lab", "4.1.1", at(24, 5, 10),
                 url="https://www.npmjs.com/package/@sample/lab/v/4.1.1"),
        _release("npm", "@sample/lab", "4.1.2", at(24, 6, 8), url=XSS_LINK),
        _release("pypi", "sample-hub", "5.1.0", at(23, 3, 13)),
        _release("pypi", "sample-hub", "5.1.1", at(24, 2, 11),
                 advisories=json.dumps([ADVISORY])),
        _release("pypi", "sample-kernel", "0.1.0", at(24, 3, 9)),
        _release("pypi", "sample-kernel", "0.1.1", at(24, 7, 9), yanked=1,
                 yanked_reason="broken wheel"),
    ]


def sources():
    return [{"registry": p["registry"], "name": p["name"], "source": "explicit",
             "first_seen_at": at(20), "last_seen_at": at(24, 7)} for p in packages()]


def populate_packages(db):
    with db.conn:
        db["packages"].upsert_all(packages(), pk=("registry", "name"))
        db["package_releases"].upsert_all(releases(), pk=("registry", "name", "version"))
        db["package_sources"].upsert_all(sources(), pk=("registry", "name", "source"))
