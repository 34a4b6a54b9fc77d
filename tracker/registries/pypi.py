"""PyPI: the JSON Index API (PEP 691), the JSON API and XML-RPC's changelog.

``fetch_index`` asks ``/simple/NAME/`` for ``application/vnd.pypi.simple.v1+json``
conditionally (ETag): versions and files with ``upload-time`` and ``yanked``.
When it changed, ``fetch_project`` reads ``/pypi/NAME/json`` for the summary,
the links (``project_urls``, ``home_page``) and ``vulnerabilities`` (OSV
advisories; PyPI lists those of the latest version, with ``fixed_in``). The
advisories seen are kept on the package, so the version that fixes one is
flagged as a security release. ``fetch_changelog`` is the one XML-RPC call a
run makes: which names changed since the stored serial.
"""

import json
from urllib.parse import quote

from ..sources.http import SourceError, fetch
from .http import call_xmlrpc
from .values import is_prerelease, iso_z, normalize

INDEX_ACCEPT = "application/vnd.pypi.simple.v1+json"


# -- fetch (network only) -------------------------------------------------------------

def fetch_index(client, base, name, etag, *, pacing, counter):
    return fetch(client, f"{base}/simple/{quote(normalize(name))}/", pacing=pacing,
                 counter=counter, etag=etag, accept=INDEX_ACCEPT)


def fetch_project(client, base, name, *, pacing, counter):
    return fetch(client, f"{base}/pypi/{quote(normalize(name))}/json", pacing=pacing,
                 counter=counter, accept="application/json")


def fetch_last_serial(client, base, *, pacing, counter):
    return int(call_xmlrpc(client, f"{base}/pypi", "changelog_last_serial", (),
                           pacing=pacing, counter=counter))


def fetch_changelog(client, base, serial, *, pacing, counter):
    """Changed names (normalized) and the newest serial since ``serial``."""
    events = call_xmlrpc(client, f"{base}/pypi", "changelog_since_serial", (int(serial),),
                         pacing=pacing, counter=counter)
    if not isinstance(events, list):
        raise SourceError("XML-RPC changelog_since_serial: not a list of events")
    names, newest = set(), int(serial)
    for event in events:
        if isinstance(event, (list, tuple)) and len(event) >= 5 and isinstance(event[0], str):
            names.add(normalize(event[0]))
            if isinstance(event[4], int):
                newest = max(newest, event[4])
    return names, newest


def fetch_browse(client, base, classifier, *, pacing, counter):
    """Names of the projects carrying a trove classifier (XML-RPC ``browse``)."""
    found = call_xmlrpc(client, f"{base}/pypi", "browse", ([classifier],),
                        pacing=pacing, counter=counter)
    if not isinstance(found, list):
        raise SourceError("XML-RPC browse: not a list")
    return sorted({item[0] for item in found
                   if isinstance(item, (list, tuple)) and item and isinstance(item[0], str)})


# -- rows (pure) -------------------------------------------------------------------------

def _json(content, what):
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise SourceError(f"{what}: not JSON") from None
    if not isinstance(data, dict):
        raise SourceError(f"{what}: not a JSON object")
    return data


def _file_version(filename, name, versions):
    stem = filename
    for ext in (".tar.gz", ".tar.bz2", ".zip", ".tgz", ".whl", ".egg", ".exe", ".msi", ".rpm"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            if ext in (".whl", ".egg"):
                parts = stem.split("-")
                return parts[1] if len(parts) > 1 else None
            break
    lowered = stem.lower()
    for version in sorted(versions, key=len, reverse=True):
        if lowered.endswith("-" + version.lower()):
            return version
    return stem.rsplit("-", 1)[1] if "-" in stem else None


def index_releases(content, name, url_base="https://pypi.org"):
    """(canonical name, last serial, release rows) from a PEP 691 project page."""
    data = _json(content, f"PyPI index of {name}")
    versions = data.get("versions")
    files = data.get("files")
    if not isinstance(files, list) or (versions is not None and not isinstance(versions, list)):
        raise SourceError(f"PyPI index of {name}: no files list")
    versions = [v for v in (versions or []) if isinstance(v, str)]
    canonical = data.get("name") if isinstance(data.get("name"), str) else normalize(name)
    by_version = {v: [] for v in versions}
    for f in files:
        if not isinstance(f, dict) or not isinstance(f.get("filename"), str):
            continue
        version = _file_version(f["filename"], canonical, versions)
        if version is not None:
            by_version.setdefault(version, []).append(f)
    rows = []
    for version, vfiles in by_version.items():
        times = sorted(t for t in (iso_z(f.get("upload-time")) for f in vfiles) if t)
        yanks = [f.get("yanked") for f in vfiles]
        yanked = bool(vfiles) and all(y not in (None, False) for y in yanks)
        reason = next((y for y in yanks if isinstance(y, str) and y), None) if yanked else None
        rows.append({
            "version": version, "published_at": times[0] if times else None,
            "prerelease": int(is_prerelease(version)), "yanked": int(yanked),
            "yanked_reason": reason, "files": len(vfiles),
            "url": f"https://pypi.org/project/{canonical}/{quote(version)}/",
        })
    serial = (data.get("meta") or {}).get("_last-serial") if isinstance(data.get("meta"), dict) \
        else None
    return canonical, serial, rows


def project_row(content, name):
    """Package facts and OSV advisories from ``/pypi/NAME/json``."""
    data = _json(content, f"PyPI project {name}")
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    urls = info.get("project_urls") if isinstance(info.get("project_urls"), dict) else {}
    links = [u for u in list(urls.values()) + [info.get("home_page")] if isinstance(u, str)]
    advisories = []
    for v in data.get("vulnerabilities") or []:
        if isinstance(v, dict) and isinstance(v.get("id"), str) and not v.get("withdrawn"):
            advisories.append({
                "id": v["id"],
                "aliases": [a for a in v.get("aliases") or [] if isinstance(a, str)],
                "fixed_in": [f for f in v.get("fixed_in") or [] if isinstance(f, str)]})
    return {"summary": info.get("summary") if isinstance(info.get("summary"), str) else None,
            "homepage": info.get("home_page") if isinstance(info.get("home_page"), str) else None,
            "links": links, "advisories": advisories}


def advisory_ids(advisories, version):
    """The ids (GHSA first, then CVE, then PYSEC) of the advisories ``version`` fixes."""
    ids = []
    for a in advisories:
        if version in a.get("fixed_in", []):
            for i in [a["id"]] + a.get("aliases", []):
                if i not in ids:
                    ids.append(i)
    order = {"GHSA": 0, "CVE-": 1}
    return sorted(ids, key=lambda i: order.get(i[:4].upper(), 2))
