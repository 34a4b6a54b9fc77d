"""#22 (a new user's trial): security advisories from either side reach the
canned query, its .atom and the digest alike. A GitHub release naming a GHSA in
its notes and a PyPI version fixing an OSV advisory (harvested over loopback from
the registry emulator) both carry their ids in package_releases_this_week,
the feed and the week's digest: one definition (SQL security_advisories(),
tracker/security.py)."""

import asyncio
from datetime import datetime, timezone

import feedparser
import httpx
import sqlite_utils

from registries_helpers import ADVISORY, config_for, fill, harvest
from tracker.db import open_db
from tracker.digest.build import build_digests
from tracker.emulator.registries import RegistryServer
from tracker.publish import load_queries, make_datasette

GITHUB_GHSA = "GHSA-m22c-4q2m-m5wr"
WEEK = "2026-W24"  # 8-14 June 2026: sample-ext 2.0.1 on PyPI (9 June) fixes ADVISORY


def harvested(path):
    db = open_db(str(path))
    with RegistryServer() as reg:
        fill(reg)
        with httpx.Client(timeout=5) as client:
            harvest(db, reg, config_for(reg), client=client)
    with db.conn:
        db["repos"].upsert({"id": 7001, "full_name": "jupyterlab/sample-notes",
                            "name": "sample-notes", "html_url":
                            "https://github.com/jupyterlab/sample-notes"}, pk="id")
        db["releases"].upsert({"id": 7101, "repo": 7001, "tag_name": "v1.19.4",
                               "name": "v1.19.4", "draft": 0, "prerelease": 0,
                               "published_at": "2026-06-10T09:00:00Z",
                               "html_url": "https://github.com/jupyterlab/sample-notes/"
                                           "releases/tag/v1.19.4",
                               "body": f"Fixes {GITHUB_GHSA} (a path traversal)."}, pk="id")
    return db


def test_advisories_from_either_side_in_query_feed_and_digest(tmp_path):
    path = tmp_path / "adv.db"
    db = harvested(path)
    sql = load_queries()["package_releases_this_week"]["sql"]
    rows = {r["version"]: r for r in db.query(sql, {"week": WEEK}) if r["version"]}
    assert (rows["1.19.4"]["security"], rows["1.19.4"]["advisories"]) == (1, GITHUB_GHSA)
    pypi = rows["2.0.1"]
    assert pypi["security"] == 1 and ADVISORY["id"] in pypi["advisories"].split(", ")
    # Every security row of the view names its ids: no flag without them.
    assert db.execute("select count(*) from project_releases where security "
                      "and advisories is null").fetchone()[0] == 0

    ds = make_datasette(str(path))
    feed = asyncio.run(ds.client.get(f"/{path.stem}/package_releases_this_week.atom",
                                     params={"week": WEEK}))
    assert feed.status_code == 200
    entries = {e.title: e for e in feedparser.parse(feed.text).entries}
    notes = next(e for t, e in entries.items() if "1.19.4" in t)
    ext = next(e for t, e in entries.items() if "2.0.1" in t)
    assert GITHUB_GHSA in notes.summary and ADVISORY["id"] in ext.summary

    build_digests(db, WEEK, now=datetime(2026, 6, 20, tzinfo=timezone.utc))
    md = sqlite_utils.Database(path).execute(
        "select content_md from digests where week = ?", [WEEK]).fetchone()[0]
    assert GITHUB_GHSA in md and ADVISORY["id"] in md
