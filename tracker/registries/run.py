"""One pass over the packages of the watchlist: discovery, then PyPI, npm, conda-forge.

Cost (docs/registries.md): PyPI costs one XML-RPC ``changelog_since_serial`` call
a run, then only the packages it names (and any never read, or whose last read
failed) are asked, conditionally; npm and conda-forge are asked conditionally
(ETag), so a quiet run is answered 304. Each package is fetched, read and
written on its own: its failure is one ``PackageProblem`` and leaves what is
stored as it was. Validators live in ``harvest_state`` under ``pypi:NAME``,
``npm:NAME``, ``conda_forge:NAME`` and the serial under ``pypi:serial``.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ..db import save_state
from ..sources.calendars import iso_utc
from ..sources.http import Counter, Pacing, SourceError
from . import conda, npm, pypi
from .discover import discover_packages
from .http import XMLRPC_INTERVAL
from .link import link_repos
from .save import (mark_missing, merge_advisories, save_package, save_releases, save_source,
                   stored_advisories)
from .values import normalize

REGISTRIES = ("pypi", "npm", "conda_forge")


@dataclass(frozen=True)
class PackageProblem:
    """One recorded error: which registry, which package (or discovery check)."""

    registry: str
    target: str
    message: str
    http_status: int | None = None


@dataclass
class PackagesResult:
    counts: dict = field(default_factory=dict)  # package_releases new/changed, vanished
    costs: dict = field(default_factory=dict)  # registry -> Counter
    problems: list = field(default_factory=list)
    fetched: dict = field(default_factory=dict)  # registry -> full documents read

    @property
    def requests(self):
        return sum(c.requests for c in self.costs.values())

    @property
    def not_modified(self):
        return sum(c.not_modified for c in self.costs.values())


def configured(config):
    return bool(getattr(config, "packages", None))


def registry_pacing(rate, **options):
    """Per-host pacing at ``rate`` requests a minute (0: unpaced), and the XML-RPC
    pacing: at most one call a second, as PyPI asks."""
    seconds = 60.0 / rate if rate else 0.0
    return (Pacing(default=seconds, **options),
            Pacing(default=max(seconds, XMLRPC_INTERVAL), **options))


def _state(db, key):
    row = db.execute("select etag, watermark, updated_at from harvest_state where key = ?",
                     [key]).fetchone()
    return dict(zip(("etag", "watermark", "updated_at"), row)) if row else None


def tracked(db, packages):
    """{registry: [names]}: the explicit names, then what discovery recorded."""
    names = {r: [] for r in REGISTRIES}
    for registry in REGISTRIES:
        # packages.repos links a package and follows it, as if listed.
        for name in [*getattr(packages, registry), *packages.repos.get(registry, {})]:
            name = normalize(name) if registry == "pypi" else name
            if name not in names[registry]:
                names[registry].append(name)
    for registry, name in db.execute(
            "select distinct registry, name from package_sources where source != 'explicit' "
            "order by registry, name"):
        if registry in names and name not in names[registry]:
            names[registry].append(name)
    return names


def harvest_packages(db, config, client, *, now=None, pacing=None, xmlrpc_pacing=None,
                     environ=None, log=None, stopped=lambda: False):
    """Harvest the configured registries into ``db``; never raises for a package's failure."""
    packages = config.packages
    now = now or datetime.now(timezone.utc)
    if pacing is None or xmlrpc_pacing is None:
        default, default_xmlrpc = registry_pacing(packages.rate)
        pacing, xmlrpc_pacing = pacing or default, xmlrpc_pacing or default_xmlrpc
    log = log or (lambda line: None)
    stamp, urls = iso_utc(now), packages.urls(environ)
    result = PackagesResult(costs={r: Counter() for r in REGISTRIES},
                            fetched={r: 0 for r in REGISTRIES})

    skipped = {}  # registry -> packages not asked because their host kept failing

    def attempt(registry, target, fn):
        if stopped():
            return False
        try:
            fn()
            return True
        except SourceError as e:
            result.problems.append(PackageProblem(registry, target, f"{registry} {target}: {e}",
                                                  e.status))
            if e.skipped:  # one line for the first; the count at the end
                skipped[registry] = skipped.get(registry, 0) + 1
                if skipped[registry] > 1:
                    return False
        except Exception as e:  # hostile input must not stop the other packages
            result.problems.append(PackageProblem(
                registry, target, f"{registry} {target}: {type(e).__name__}: {e}"))
        log(f"packages: {result.problems[-1].message}")
        return False

    def add(name, n):
        result.counts[name] = result.counts.get(name, 0) + n

    discover_packages(db, packages, client, urls, now=now, days=config.reconcile_days,
                      pacing=pacing, xmlrpc_pacing=xmlrpc_pacing, counters=result.costs,
                      attempt=attempt, log=log)
    names = tracked(db, packages)
    with db.conn:
        link_repos(db, packages.repos)  # before: a conda-forge build reads its PyPI link
        for registry in REGISTRIES:
            for name in [*getattr(packages, registry), *packages.repos.get(registry, {})]:
                save_source(db, registry, normalize(name) if registry == "pypi" else name,
                            "explicit", stamp)
    ctx = dict(db=db, client=client, urls=urls, pacing=pacing, result=result, stamp=stamp,
               add=add)
    _pypi(names["pypi"], xmlrpc_pacing, attempt, synthetic=packages.is_synthetic("pypi"),
          **ctx)
    for name in names["npm"]:
        attempt("npm", name, lambda n=name: _npm_package(
            n, synthetic=packages.is_synthetic("npm"), **ctx))
    conda_names = list(names["conda_forge"])
    derived = {}
    if packages.conda_forge_from_pypi:
        for name in names["pypi"]:
            candidate = conda.conda_name(name)
            if candidate not in conda_names and _absent_due(db, candidate, now,
                                                            config.reconcile_days):
                conda_names.append(candidate)
                derived[candidate] = name
    for name in conda_names:
        attempt("conda_forge", name, lambda n=name: _conda_package(
            n, derived.get(n), synthetic=packages.is_synthetic("conda_forge"), **ctx))
    with db.conn:
        link_repos(db, packages.repos)  # tracker/registries/link.py: the one rule
    for registry, n in skipped.items():
        if n > 1:
            log(f"packages: {registry}: {n} packages not asked this run: their host kept failing")
    return result


def _absent_due(db, name, now, days):
    state = _state(db, f"conda_forge:absent:{name}")
    return not state or (bool(days) and (state["updated_at"] or "") < iso_utc(
        now - timedelta(days=days)))


# -- PyPI ----------------------------------------------------------------------------------

def _pypi(names, xmlrpc_pacing, attempt, *, db, client, urls, pacing, result, **ctx):
    if not names:
        return
    counter = result.costs["pypi"]
    serial_state = _state(db, "pypi:serial")
    serial = int(serial_state["watermark"]) if serial_state and \
        str(serial_state["watermark"] or "").isdigit() else None
    box = {}

    def changelog():
        if serial is None:
            box["newest"] = pypi.fetch_last_serial(client, urls["pypi"], pacing=xmlrpc_pacing,
                                                   counter=counter)
            box["changed"] = None
        else:
            box["changed"], box["newest"] = pypi.fetch_changelog(
                client, urls["pypi"], serial, pacing=xmlrpc_pacing, counter=counter)

    # Without the changelog every package is asked (conditionally): slower, still right.
    attempt("pypi", "changelog", changelog)
    newest, changed = box.get("newest"), box.get("changed")
    for name in names:
        state = _state(db, f"pypi:{name}")
        if changed is not None and name not in changed and state \
                and state["watermark"] == str(serial):
            continue
        attempt("pypi", name, lambda n=name, s=state: _pypi_package(
            n, s, newest, db=db, client=client, urls=urls, pacing=pacing, result=result, **ctx))
    if newest is not None:
        with db.conn:
            save_state(db, "pypi:serial", watermark=str(newest), updated_at=ctx["stamp"])


def _pypi_package(name, state, newest, *, db, client, urls, pacing, result, stamp, synthetic,
                  add):
    counter = result.costs["pypi"]
    key, mark = f"pypi:{name}", str(newest) if newest is not None else None
    try:
        index = pypi.fetch_index(client, urls["pypi"], name, (state or {}).get("etag"),
                                 pacing=pacing, counter=counter)
    except SourceError as e:
        if e.status != 404:
            raise
        with db.conn:
            mark_missing(db, "pypi", name, stamp, synthetic=synthetic)
            save_state(db, key, etag=None, watermark=mark, updated_at=stamp)
        add("packages_vanished", 1)
        return
    if index.status == 304:
        with db.conn:
            save_state(db, key, watermark=mark, updated_at=stamp)
        return
    canonical, _, rows = pypi.index_releases(index.content, name)
    canonical = normalize(canonical)
    project = pypi.fetch_project(client, urls["pypi"], canonical, pacing=pacing,
                                 counter=counter)
    facts = pypi.project_row(project.content, canonical)
    result.fetched["pypi"] += 1
    advisories = merge_advisories(stored_advisories(db, "pypi", canonical), facts["advisories"])
    for row in rows:
        ids = pypi.advisory_ids(advisories, row["version"])
        row["advisories"] = json.dumps(ids) if ids else None
    published = [r for r in rows if r["published_at"] and not r["yanked"]]
    latest = max(published, key=lambda r: r["published_at"])["version"] if published else None
    with db.conn:
        if canonical != name:  # PyPI answered for another name: a rename
            mark_missing(db, "pypi", name, stamp, moved_to=canonical, synthetic=synthetic)
            save_source(db, "pypi", canonical, f"renamed:{name}", stamp)
        save_package(db, "pypi", canonical, {
            **facts, "advisories": advisories, "latest_version": latest,
            "url": f"https://pypi.org/project/{canonical}/"}, stamp, synthetic=synthetic)
        new, changed = save_releases(db, "pypi", canonical, rows, stamp, synthetic=synthetic)
        save_state(db, key, etag=index.etag, watermark=mark, updated_at=stamp)
    add("package_releases", new + changed)


# -- npm and conda-forge -----------------------------------------------------------------------

def _npm_package(name, *, db, client, urls, pacing, result, stamp, synthetic, add):
    key = f"npm:{name}"
    state = _state(db, key) or {}
    try:
        fetched = npm.fetch_document(client, urls["npm"], name, state.get("etag"),
                                     pacing=pacing, counter=result.costs["npm"])
    except SourceError as e:
        if e.status != 404:
            raise
        fetched = None
    if fetched is not None and fetched.status == 304:
        return
    facts, rows = npm.document_rows(fetched.content, name) if fetched else (
        {"unpublished": True}, [])
    if fetched:
        result.fetched["npm"] += 1
    with db.conn:
        if facts["unpublished"]:
            mark_missing(db, "npm", name, stamp, synthetic=synthetic)
            save_state(db, key, etag=None, updated_at=stamp)
            add("packages_vanished", 1)
            return
        save_package(db, "npm", name, {**facts, "url": f"https://www.npmjs.com/package/{name}"},
                     stamp, synthetic=synthetic)
        new, changed = save_releases(db, "npm", name, rows, stamp, synthetic=synthetic)
        save_state(db, key, etag=fetched.etag, updated_at=stamp)
    add("package_releases", new + changed)


def _conda_package(name, from_pypi, *, db, client, urls, pacing, result, stamp, synthetic, add):
    key = f"conda_forge:{name}"
    state = _state(db, key) or {}
    try:
        fetched = conda.fetch_files(client, urls["conda_forge"], name, state.get("etag"),
                                    pacing=pacing, counter=result.costs["conda_forge"])
    except SourceError as e:
        if e.status != 404:
            raise
        with db.conn:
            if from_pypi:  # not on conda-forge: asked again on the reconciliation schedule
                save_state(db, f"conda_forge:absent:{name}", updated_at=stamp)
            else:
                mark_missing(db, "conda_forge", name, stamp, synthetic=synthetic)
                add("packages_vanished", 1)
        return
    if fetched.status == 304:
        return
    rows = conda.files_rows(fetched.content, name)
    result.fetched["conda_forge"] += 1
    links = [r[0] for r in db.execute(
        "select repository_url from packages where registry = 'pypi' and name = ? "
        "and repository_url is not null", [normalize(from_pypi or name)])]
    dated = [r for r in rows if r["published_at"] and not r["yanked"]]
    with db.conn:
        if from_pypi:
            save_source(db, "conda_forge", name, f"pypi:{from_pypi}", stamp)
        save_package(db, "conda_forge", name, {
            "links": links, "url": f"https://anaconda.org/conda-forge/{name}",
            "latest_version": max(dated, key=lambda r: r["published_at"])["version"]
            if dated else None}, stamp, synthetic=synthetic)
        new, changed = save_releases(db, "conda_forge", name, rows, stamp, synthetic=synthetic)
        save_state(db, key, etag=fetched.etag, updated_at=stamp)
    add("package_releases", new + changed)
