"""npm: the package document (``/NAME``, conditional on its ETag) and keyword search.

The full document (not the abbreviated ``application/vnd.npm.install-v1+json``
one) carries what the tracker needs: ``time`` per version, ``dist-tags``,
``repository`` and each version's ``deprecated`` message. An unpublished
package answers 404 or a document whose ``time`` has ``unpublished``.
"""

import json
from urllib.parse import quote

from ..sources.http import SourceError, fetch
from .values import is_prerelease, iso_z

SEARCH_PAGE = 250  # the registry's largest page
SEARCH_LIMIT = 2000


def document_path(name):
    """'/@scope%2fname' for a scoped package, as the registry spells it."""
    return "/" + quote(name, safe="@")


def fetch_document(client, base, name, etag, *, pacing, counter):
    return fetch(client, base + document_path(name), pacing=pacing, counter=counter,
                 etag=etag, accept="application/json")


def fetch_keyword(client, base, keyword, *, pacing, counter, limit=SEARCH_LIMIT):
    """Names of the packages carrying ``keyword`` (the registry's search, paged)."""
    names, offset = [], 0
    while offset < limit:
        fetched = fetch(client, f"{base}/-/v1/search", pacing=pacing, counter=counter,
                        params={"text": f"keywords:{keyword}", "size": SEARCH_PAGE,
                                "from": offset}, accept="application/json")
        data = _json(fetched.content, f"npm search keywords:{keyword}")
        objects = data.get("objects")
        if not isinstance(objects, list):
            raise SourceError(f"npm search keywords:{keyword}: no objects list")
        for item in objects:
            package = item.get("package") if isinstance(item, dict) else None
            if isinstance(package, dict) and isinstance(package.get("name"), str) \
                    and package["name"] not in names:
                names.append(package["name"])
        total = data.get("total")
        offset += SEARCH_PAGE
        if not objects or not isinstance(total, int) or offset >= total:
            break
    return names


def _json(content, what):
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise SourceError(f"{what}: not JSON") from None
    if not isinstance(data, dict):
        raise SourceError(f"{what}: not a JSON object")
    return data


def repository_url(value):
    """The URL of npm's ``repository`` (a string, 'github:o/r', 'o/r' or {type, url})."""
    if isinstance(value, dict):
        value = value.get("url")
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.startswith("github:"):
        return "https://github.com/" + value[len("github:"):]
    if "://" not in value and value.count("/") == 1 and ":" not in value:
        return "https://github.com/" + value
    return value


def document_rows(content, name):
    """(package facts, release rows) from a package document; SourceError if not one.

    ``facts['unpublished']`` is True when the registry says the package is gone."""
    data = _json(content, f"npm package {name}")
    times = data.get("time") if isinstance(data.get("time"), dict) else {}
    if times.get("unpublished"):
        return {"unpublished": True}, []
    versions = data.get("versions")
    if not isinstance(versions, dict):
        raise SourceError(f"npm package {name}: no versions")
    tags = data.get("dist-tags") if isinstance(data.get("dist-tags"), dict) else {}
    rows = []
    for version, meta in versions.items():
        meta = meta if isinstance(meta, dict) else {}
        deprecated = meta.get("deprecated")
        rows.append({
            "version": version, "published_at": iso_z(times.get(version)),
            "prerelease": int(is_prerelease(version)), "yanked": 0,
            "deprecated": deprecated if isinstance(deprecated, str) and deprecated else None,
            "url": f"https://www.npmjs.com/package/{name}/v/{quote(version)}",
        })
    latest = tags.get("latest") if isinstance(tags.get("latest"), str) else None
    latest_meta = versions.get(latest) if isinstance(versions.get(latest), dict) else {}
    repo = repository_url(data.get("repository") or latest_meta.get("repository"))
    homepage = data.get("homepage") if isinstance(data.get("homepage"), str) else None
    return ({"unpublished": False, "name": data.get("name") if isinstance(data.get("name"), str)
             else name, "latest_version": latest,
             "summary": data.get("description") if isinstance(data.get("description"), str)
             else None, "homepage": homepage, "links": [u for u in (repo, homepage) if u],
             "repository_url": repo}, rows)
