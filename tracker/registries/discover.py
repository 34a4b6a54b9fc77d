"""Which packages besides the explicit names: found once, rechecked on the
reconciliation schedule (``github.reconcile_days``; 0 = found once, never again).

- ``from_repos``: for each stored repository, the PyPI and npm packages named
  like it whose links (``project_urls``/home page, npm ``repository``) point at it;
- ``classifiers``: PyPI's XML-RPC ``browse`` per trove classifier;
- ``npm_keywords``: the npm registry's search, ``keywords:NAME``.

Each find is a ``package_sources`` row; every check leaves a ``harvest_state``
row ``packages:KIND:WHAT`` whose ``updated_at`` says when it is due again.
"""

from datetime import timedelta

from ..db import save_state
from ..sources.calendars import iso_utc
from ..sources.http import SourceError
from . import npm, pypi
from .save import github_full_name, save_source
from .settings import valid_name
from .values import normalize


REPO_CHECKS = 200


def _due(db, key, now, days):
    row = db.execute("select updated_at from harvest_state where key = ?", [key]).fetchone()
    if not row or not row[0]:
        return True
    return bool(days) and row[0] < iso_utc(now - timedelta(days=days))


def discover_packages(db, packages, client, urls, *, now, days, pacing, xmlrpc_pacing,
                      counters, attempt, log):
    """Add package_sources rows for what discovery finds (each check on its own)."""
    stamp = iso_utc(now)

    def check(key, target, registry, fn):
        if not _due(db, key, now, days):
            return

        def run():
            # Names from a registry's answer are untrusted: only valid names are kept.
            found = [(name, why) for name, why in fn() if valid_name(registry, name)]
            with db.conn:
                for name, source in found:
                    save_source(db, registry, name, source, stamp)
                save_state(db, key, updated_at=stamp)
            if found:
                log(f"packages: {target}: {len(found)} found")
        attempt(registry, target, run)

    for classifier in packages.classifiers:
        check(f"packages:classifier:{classifier}", f"classifier {classifier}", "pypi",
              lambda c=classifier: [(normalize(n), f"classifier:{c}") for n in pypi.fetch_browse(
                  client, urls["pypi"], c, pacing=xmlrpc_pacing, counter=counters["pypi"])])
    for keyword in packages.npm_keywords:
        check(f"packages:keyword:{keyword}", f"keywords:{keyword}", "npm",
              lambda k=keyword: [(n, f"keyword:{k}") for n in npm.fetch_keyword(
                  client, urls["npm"], k, pacing=pacing, counter=counters["npm"])])
    if packages.from_repos:
        # Never-checked repositories first, then the longest unchecked; at most
        # REPO_CHECKS a run, so a big watchlist spreads its first checks over runs.
        repos = [r[0] for r in db.execute(
            """select full_name from repos
               left join harvest_state s on s.key = 'packages:repo:pypi:' || repos.full_name
               where full_name is not null and missing_since is null
               order by s.updated_at is not null, s.updated_at, full_name""")]
        due = [f for f in repos if _due(db, f"packages:repo:pypi:{f}", now, days)
               or _due(db, f"packages:repo:npm:{f}", now, days)]
        for full_name in due[:REPO_CHECKS]:
            repo_name = full_name.split("/")[1]
            check(f"packages:repo:pypi:{full_name}", f"repo {full_name} on PyPI", "pypi",
                  lambda f=full_name, n=repo_name: _pypi_of_repo(client, urls, f, n, pacing,
                                                                 counters["pypi"]))
            check(f"packages:repo:npm:{full_name}", f"repo {full_name} on npm", "npm",
                  lambda f=full_name, n=repo_name: _npm_of_repo(client, urls, f, n, pacing,
                                                                counters["npm"]))


def _points_at(links, full_name):
    return any((github_full_name(u) or "").lower() == full_name.lower() for u in links)


def _pypi_of_repo(client, urls, full_name, name, pacing, counter):
    try:
        fetched = pypi.fetch_project(client, urls["pypi"], name, pacing=pacing, counter=counter)
    except SourceError as e:
        if e.status == 404:
            return []
        raise
    facts = pypi.project_row(fetched.content, name)
    return [(normalize(name), f"repo:{full_name}")] if _points_at(facts["links"], full_name) \
        else []


def _npm_of_repo(client, urls, full_name, name, pacing, counter):
    name = name.lower()
    try:
        fetched = npm.fetch_document(client, urls["npm"], name, None, pacing=pacing,
                                     counter=counter)
    except SourceError as e:
        if e.status == 404:
            return []
        raise
    facts, _ = npm.document_rows(fetched.content, name)
    return [(name, f"repo:{full_name}")] if _points_at(facts.get("links") or [], full_name) \
        else []
