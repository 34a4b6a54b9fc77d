"""Writes of ``packages``, ``package_releases`` and ``package_sources``.

Upserts only: a release row is never deleted (a yank, an npm deprecation or a
conda-forge build moved to ``broken`` updates it); a package that vanished gets
``missing_since`` and keeps its rows. ``first_seen_at`` is written once.
"""

import json
import re

_GITHUB = re.compile(r"github\.com[/:]([A-Za-z0-9-]{1,39})/([A-Za-z0-9._-]{1,100}?)"
                     r"(?:\.git)?(?:[/#?].*)?$")
RELEASE_FIELDS = ("published_at", "prerelease", "yanked", "yanked_reason", "deprecated",
                  "advisories", "url", "files")


def github_full_name(url):
    """'owner/name' of a GitHub repository URL (git+https, git://, .git, deep links)."""
    if not isinstance(url, str):
        return None
    found = _GITHUB.search(url.strip())
    return f"{found.group(1)}/{found.group(2)}" if found else None


def linked_repo(db, links):
    """(repo id, URL) of the first link that names a stored repository."""
    for url in links:
        full_name = github_full_name(url)
        if full_name:
            row = db.execute("select id from repos where lower(full_name) = lower(?)",
                             [full_name]).fetchone()
            return (row[0] if row else None), f"https://github.com/{full_name}"
    return None, None


def save_package(db, registry, name, facts, now, *, synthetic=False):
    """Upsert a package row from its facts (summary, links, advisories, ...)."""
    repo, repository_url = linked_repo(db, facts.get("links") or [])
    existing = db.execute("select first_seen_at from packages where registry = ? and name = ?",
                          [registry, name]).fetchone()
    row = {"registry": registry, "name": name, "last_harvested_at": now,
           "missing_since": None, "synthetic": int(synthetic),
           "first_seen_at": existing[0] if existing and existing[0] else now}
    for key in ("summary", "homepage", "latest_version", "url", "moved_to"):
        if key in facts:
            row[key] = facts[key]
    if repository_url or facts.get("repository_url"):
        row["repository_url"] = repository_url or facts.get("repository_url")
    if repo is not None:
        row["repo"] = repo
    if "advisories" in facts:
        row["advisories"] = json.dumps(facts["advisories"])
    db["packages"].upsert(row, pk=("registry", "name"))


def stored_advisories(db, registry, name):
    row = db.execute("select advisories from packages where registry = ? and name = ?",
                     [registry, name]).fetchone()
    try:
        return json.loads(row[0]) if row and row[0] else []
    except ValueError:
        return []


def merge_advisories(stored, seen):
    """Every advisory ever seen for a package, by id (PyPI shows only the current ones)."""
    merged = {a["id"]: a for a in stored if isinstance(a, dict) and "id" in a}
    for a in seen:
        merged[a["id"]] = a
    return sorted(merged.values(), key=lambda a: a["id"])


def save_releases(db, registry, name, rows, now, *, synthetic=False):
    """Upsert release rows; returns (new, changed) counts."""
    stored = {r[0]: r[1:] for r in db.execute(
        f"select version, {', '.join(RELEASE_FIELDS)} from package_releases "
        "where registry = ? and name = ?", [registry, name])}
    new = changed = 0
    for row in rows:
        values = tuple(row.get(k) for k in RELEASE_FIELDS)
        old = stored.get(row["version"])
        if old is not None and old == values:
            continue
        record = {"registry": registry, "name": name, "version": row["version"],
                  **dict(zip(RELEASE_FIELDS, values)), "updated_at": now,
                  "synthetic": int(synthetic)}
        if old is None:
            record["first_seen_at"] = now
            new += 1
        else:
            changed += 1
        db["package_releases"].upsert(record, pk=("registry", "name", "version"))
    return new, changed


def save_source(db, registry, name, source, now):
    """Record why a package is tracked (first_seen_at kept, last_seen_at moved)."""
    db.execute("""insert into package_sources (registry, name, source, first_seen_at,
                                               last_seen_at) values (?, ?, ?, ?, ?)
                  on conflict (registry, name, source) do update set
                      last_seen_at = excluded.last_seen_at""",
               [registry, name, source, now, now])


def mark_missing(db, registry, name, now, moved_to=None, *, synthetic=False):
    """The registry no longer has the package (or never had): keep its rows, say since when."""
    db.execute("""insert into packages (registry, name, first_seen_at, last_harvested_at,
                                        missing_since, moved_to, synthetic)
                  values (?, ?, ?, ?, ?, ?, ?)
                  on conflict (registry, name) do update set
                      missing_since = coalesce(missing_since, excluded.missing_since),
                      moved_to = coalesce(excluded.moved_to, moved_to),
                      last_harvested_at = excluded.last_harvested_at""",
               [registry, name, now, now, now, moved_to, int(synthetic)])
