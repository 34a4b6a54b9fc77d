"""Discovered repositories for the sample database (``populate_discovered(db)``).

Made up like the rest of ``sampledb``: logins ``sample-dev-*`` and ``sample-eve``,
descriptions ``[synthetic]``. Discovery sources ran first in W20 (their backfill,
which is not news); in 2026-W24 (``LATEST_WEEK``):

- ``sample-eve/sample-voila-app`` (created 2024) is *first seen* by ``topic:voila``
  (Tuesday) and by the search (Wednesday); its description and a topic are hostile
  and hold an XML-forbidden control character; its html_url is ``javascript:``.
- Rising (repo_stats): sample-widget +35 stars, sample-voila-app +1; sample-old-ext 0.
- ``jupyterlab/sample-extension`` (watched, ``org:jupyterlab``) is also found by
  ``topic:jupyterlab-extension`` in its backfill: one repos row, two sources.

No discovered repo is created in W24, so the watched-repo sections keep their facts.
"""

import json
from datetime import date, datetime, time, timezone

EXT, KERNEL, VOILA = "jupyterlab-extension", "jupyter-kernel", "voila"
SEARCH = "search:jupyter in:name,description stars:>=5"
HOSTILE_TOPIC = "<svg onload=alert(1)>"
HOSTILE_DESC = "[synthetic] <script>alert(1)</script> app\x07 with a bell"
DEVS = {3101: "sample-dev-1", 3102: "sample-dev-2", 3103: "sample-eve"}
DISCOVERED = {  # id: (full_name, created_at, topics, description)
    4001: ("sample-dev-1/sample-widget", "2025-02-01T10:00:00Z", [EXT],
           "[synthetic] A sample widget extension"),
    4003: ("sample-eve/sample-voila-app", "2024-03-01T10:00:00Z", [VOILA, HOSTILE_TOPIC],
           HOSTILE_DESC),
    4004: ("sample-dev-1/sample-old-ext", "2023-05-01T10:00:00Z", [EXT, KERNEL, VOILA],
           "[synthetic] An old extension"),
}


def at(week, day=1, hour=6, year=2026):
    d = date.fromisocalendar(year, week, day)
    return datetime.combine(d, time(hour), tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sources():
    backfill = at(20)
    rows = [(4001, f"topic:{EXT}", backfill), (4004, f"topic:{EXT}", backfill),
            (2003, f"topic:{EXT}", backfill), (2003, "org:jupyterlab", "2026-05-13T15:30:00Z"),
            (4004, f"topic:{KERNEL}", backfill), (4004, f"topic:{VOILA}", backfill),
            (4003, f"topic:{VOILA}", at(24, 2)), (4001, SEARCH, at(21)),
            (4003, SEARCH, at(24, 3))]
    return [{"repo": r, "source": s, "first_seen_at": t, "last_seen_at": at(24, 7)}
            for r, s, t in rows]


def _stats():
    rows = []
    for week in range(20, 25):
        rows.append((4001, at(week), 50 + 5 * (week - 20)))
        rows.append((4004, at(week), 20))
    rows += [(4001, at(24, 7), 100), (4004, at(24, 7), 20),
             (4003, at(24, 2), 8), (4003, at(24, 7), 9)]
    return [{"repo": r, "harvested_at": t, "stargazers_count": n, "forks_count": 1,
             "watchers_count": n, "open_issues_count": 0, "size": 10} for r, t, n in rows]


def populate_discovered(db):
    users = [{"id": i, "login": login, "type": "User", "is_bot": 0, "name": login,
              "html_url": f"https://github.com/{login}"} for i, login in DEVS.items()]
    repos = []
    for rid, (full_name, created, topics, desc) in DISCOVERED.items():
        owner = next(i for i, login in DEVS.items() if full_name.startswith(login + "/"))
        stars = max(s["stargazers_count"] for s in _stats() if s["repo"] == rid)
        repos.append({
            "id": rid, "name": full_name.split("/")[1], "full_name": full_name, "owner": owner,
            "private": 0, "fork": 0, "archived": 0, "description": desc,
            "html_url": ("javascript:alert(document.cookie)" if rid == 4003
                         else f"https://github.com/{full_name}"),
            "language": "Python", "stargazers_count": stars, "topics": json.dumps(topics),
            "default_branch": "main", "created_at": created, "pushed_at": at(24, 5),
            "updated_at": at(24, 5), "first_seen_at": at(20), "last_harvested_at": at(24, 7),
        })
    with db.conn:
        db["users"].upsert_all(users, pk="id")
        db["repos"].upsert_all(repos, pk="id")
        db["repo_sources"].upsert_all(_sources(), pk=("repo", "source"))
        db["repo_stats"].upsert_all(_stats(), pk=("repo", "harvested_at"))
        # Each source's first complete sweep: what it found then is backfill.
        db["discovery_backfills"].upsert_all(
            [{"source": s, "completed_at": at(20)} for s in (f"topic:{EXT}", f"topic:{KERNEL}",
                                                             f"topic:{VOILA}")]
            + [{"source": SEARCH, "completed_at": at(21)}], pk="source")
    return db
