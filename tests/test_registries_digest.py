"""The digest's view of where versions shipped agrees with the canned query (#22):
two weeks, a PyPI-only version, one on GitHub and PyPI the same day told once, a
security advisory from PyPI and one from the GitHub release notes."""

import sqlite_utils

from sample_packages import ADVISORY
from sampledb import at, populate_sample
from tracker.db import open_db
from tracker.digest.build import week_bounds
from tracker.publish import load_queries
from tracker.registries.digest import also_on, first_releases, project_release_rows

SQL = load_queries()["package_releases_this_week"]["sql"]


def sample():
    return open_db(populate_sample(sqlite_utils.Database(memory=True)))


def from_query(db, week):
    return [(r["project"], r["version"], r["places"], not r["on_github"], bool(r["security"]))
            for r in db.query(SQL, {"week": week}) if r["project"] is not None]


def from_digest(db, week):
    start, end = week_bounds(week)
    return [(r["project"], r["version"], ", ".join(r["places"]), r["without_github_release"],
             r["security"]) for r in project_release_rows(db, str(start), str(end))]


def test_digest_and_canned_query_agree_for_two_weeks():
    db = sample()
    for week in ("2026-W23", "2026-W24"):
        assert from_digest(db, week) == from_query(db, week)
    rows = {(r[0], r[1]): r for r in from_digest(db, "2026-W24")}
    # On GitHub and PyPI the same day (and conda-forge the next): told once.
    assert rows[("jupyter/sample-notebook", "1.2.0")] == (
        "jupyter/sample-notebook", "1.2.0", "GitHub, PyPI, conda-forge", False, False)
    assert [r for r in from_digest(db, "2026-W24") if r[1] == "1.2.0"] == \
        [rows[("jupyter/sample-notebook", "1.2.0")]]
    # On PyPI only, a security release.
    assert rows[("jupyterhub/sample-hub", "5.1.1")][2:] == ("PyPI", True, True)
    start, end = week_bounds("2026-W24")
    full = {(r["project"], r["version"]): r for r in project_release_rows(db, str(start),
                                                                          str(end))}
    assert full[("jupyterhub/sample-hub", "5.1.1")]["advisories"] == [ADVISORY]
    assert full[("jupyter/sample-notebook", "1.2.0")]["also_on"] == "PyPI and conda-forge"
    assert [r["project"] for r in first_releases(db, str(start), str(end))] == ["sample-kernel"]


def test_advisories_from_either_side_are_told_once():
    db = sample()
    with db.conn:
        db["releases"].insert({"id": 3999, "repo": 2004, "tag_name": "v5.1.1", "name": "5.1.1",
                               "published_at": at(24, 2, 9), "draft": 0, "prerelease": 0,
                               "body": f"Fixes {ADVISORY} and CVE-2026-22222.",
                               "html_url": "https://github.com/jupyterhub/sample-hub/releases"},
                              pk="id")
    start, end = week_bounds("2026-W24")
    rows = {(r["project"], r["version"]): r for r in project_release_rows(db, str(start),
                                                                          str(end))}
    hub = rows[("jupyterhub/sample-hub", "5.1.1")]
    assert hub["places"] == ["GitHub", "PyPI"] and hub["also_on"] == "PyPI"
    assert hub["advisories"] == [ADVISORY, "CVE-2026-22222"]
    assert not hub["without_github_release"]
    assert from_digest(db, "2026-W24") == from_query(db, "2026-W24")


def test_also_on():
    assert also_on([]) == "" and also_on(["npm"]) == "npm"
    assert also_on(["PyPI", "npm", "conda-forge"]) == "PyPI, npm and conda-forge"
