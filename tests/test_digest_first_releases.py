"""#22 in the digest: a package's first-ever release appears under "Extensions and
kernels" (the repositories kind's ``first_releases`` selector), held to SQL written
independently here, on the sample database (tests/sample_packages.py) plus rows of
its own; told once, in every output."""

import email
import email.policy
from datetime import datetime, timezone

import pytest
import sqlite_utils

from sampledb import LATEST_WEEK, populate_sample
from tracker.config import ConfigError
from tracker.db import open_db
from tracker.digest import build_digests, export_digest, week_bounds
from tracker.digest.activity import repositories
from tracker.digest.build import stored_issue
from tracker.digest.layout import DEFAULT_SECTIONS, parse_digest

WEEK = LATEST_WEEK  # 2026-W24
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
CTX = {"metrics": {"this": {}, "prev": {}}, "previous_label": "last week"}
SELECTOR = {"rank": "discovered", "first_releases": True}

# Independent of the views: a package version is a first-ever release when no
# version of the same package (any registry, any name spelling) nor a GitHub
# release of its linked repository came out earlier, and it is not yanked everywhere.
FIRST_RELEASES = """
    select coalesce(repos.full_name, lower(replace(replace(pr.name, '_', '-'), '.', '-')))
           || '@' || pr.version
    from package_releases pr
    join packages p on p.registry = pr.registry and p.name = pr.name
    left join repos on repos.id = p.repo
    where pr.published_at >= :start and pr.published_at < :end and not coalesce(pr.yanked, 0)
      and not exists (select 1 from package_releases o join packages q
                      on q.registry = o.registry and q.name = o.name
                      where o.published_at < pr.published_at
                        and (lower(replace(replace(o.name, '_', '-'), '.', '-'))
                             = lower(replace(replace(pr.name, '_', '-'), '.', '-'))
                             or (q.repo is not null and q.repo = p.repo)))
      and not exists (select 1 from releases r where p.repo is not null and r.repo = p.repo
                      and r.published_at <= pr.published_at)
    group by 1
"""


def seed(db):
    """Two more new packages in WEEK: one whose repository discovery found (its
    first release joins that repository's line), one with a pre-release first."""
    db["repos"].upsert({"id": 2950, "full_name": "someone/cell-timer", "name": "cell-timer",
                        "description": "[synthetic] Times cells", "stargazers_count": 30,
                        "html_url": "https://github.com/someone/cell-timer",
                        "created_at": "2026-06-09T00:00:00Z",
                        "topics": '["jupyterlab-extension"]'}, pk="id", alter=True)
    db["repo_sources"].upsert({"repo": 2950, "source": "topic:jupyterlab-extension",
                               "first_seen_at": "2026-06-10T00:00:00Z"},
                              pk=("repo", "source"), alter=True)
    db["packages"].upsert_all([
        {"registry": "npm", "name": "cell-timer", "repo": 2950, "synthetic": 1,
         "repository_url": "https://github.com/someone/cell-timer",
         "summary": "[synthetic] A JupyterLab extension", "url": "https://www.npmjs.com/package/cell-timer"},
        {"registry": "pypi", "name": "Fresh_Kernel", "synthetic": 1,
         "summary": "[synthetic] A new kernel", "url": "https://pypi.org/project/Fresh_Kernel/"},
    ], pk=("registry", "name"), alter=True)
    db["package_releases"].upsert_all([
        {"registry": "npm", "name": "cell-timer", "version": "0.1.0", "synthetic": 1,
         "published_at": "2026-06-12T10:00:00Z", "prerelease": 0, "yanked": 0,
         "url": "https://www.npmjs.com/package/cell-timer/v/0.1.0"},
        {"registry": "pypi", "name": "Fresh_Kernel", "version": "0.1.0a1", "synthetic": 1,
         "published_at": "2026-06-13T10:00:00Z", "prerelease": 1, "yanked": 0,
         "url": "https://pypi.org/project/Fresh_Kernel/0.1.0a1/"},
        {"registry": "pypi", "name": "Fresh_Kernel", "version": "0.1.0", "synthetic": 1,
         "published_at": "2026-06-14T10:00:00Z", "prerelease": 0, "yanked": 0,
         "url": "https://pypi.org/project/Fresh_Kernel/0.1.0/"},
    ], pk=("registry", "name", "version"), alter=True)
    db.conn.commit()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tracker.db"
    populate_sample(sqlite_utils.Database(path)).close()
    db = open_db(str(path))
    seed(db)
    return db


def independent(db, sql, week):
    start, end = week_bounds(week)
    return sorted(r for (r,) in db.execute(sql, {"start": start, "end": end}))


@pytest.mark.parametrize("week", ["2026-W23", WEEK])
def test_first_releases_agree_with_independent_sql(db, week):
    start, end = week_bounds(week)
    items = repositories(db, start, end, SELECTOR, dict(CTX))
    told = sorted([it["id"] for it in items if it.get("first_release")]
                  + [c for it in items for c in it.get("claims", [])])
    assert told == independent(db, FIRST_RELEASES, week)
    if week == WEEK:
        assert told == ["fresh-kernel@0.1.0a1", "sample-kernel@0.1.0",
                        "someone/cell-timer@0.1.0"]
    else:
        assert told == []


def test_items_say_where_and_that_it_is_a_first_release(db):
    start, end = week_bounds(WEEK)
    items = {it["id"]: it for it in repositories(db, start, end, SELECTOR, dict(CTX))}
    kernel = items["sample-kernel@0.1.0"]
    assert kernel["title"] == "sample-kernel 0.1.0" and kernel["badge"] == "new"
    assert kernel["meta"] == "first release · on PyPI, no GitHub release"
    assert "<script" not in kernel["summary"] and kernel["summary"].startswith("A kernel")
    assert items["fresh-kernel@0.1.0a1"]["meta"].endswith("pre-release")
    # The repository discovery found carries its package's first release: told once.
    timer = items["someone/cell-timer"]
    assert timer["meta"].startswith("first release: cell-timer 0.1.0 · ")
    assert timer["claims"] == ["someone/cell-timer@0.1.0"]
    assert "someone/cell-timer@0.1.0" not in items
    # Without the selector key, the section lists repositories only.
    plain_items = repositories(db, start, end, {"rank": "discovered"}, dict(CTX))
    assert not any(it.get("first_release") or it.get("claims") for it in plain_items)


def test_shown_under_extensions_and_kernels_not_under_releases_in_every_output(db):
    build_digests(db, week=WEEK, now=NOW)
    issue = stored_issue(db["digests"].get(WEEK))
    by_title = {s["title"]: [it["id"] for it in s["items"]] for s in issue["sections"]}
    ext = by_title["Extensions and kernels"]
    assert "sample-kernel@0.1.0" in ext and "someone/cell-timer" in ext
    assert not {"sample-kernel@0.1.0", "someone/cell-timer@0.1.0",
                "fresh-kernel@0.1.0a1"} & set(by_title["Releases and announcements"])
    html = export_digest(db, fmt="html", week=WEEK, now=NOW)
    md = export_digest(db, fmt="md", week=WEEK, now=NOW)
    message = email.message_from_string(export_digest(db, fmt="email", week=WEEK, now=NOW),
                                        policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    for out in (html, md, text):
        assert out.count("sample-kernel 0.1.0") == 1, out
        assert "first release: cell-timer 0.1.0" in out


def test_the_default_layout_and_validation():
    ext = next(s for s in DEFAULT_SECTIONS if s.title == "Extensions and kernels")
    assert ext.selector["first_releases"] is True
    ok = parse_digest({"sections": [{"title": "New", "kind": "repositories",
                                     "selector": {"rank": "new", "first_releases": True}}]})
    assert ok.sections[0].selector == {"rank": "new", "first_releases": True}
    for selector, message in [
        ({"first_releases": "yes"}, "'digest.sections[0].selector.first_releases' must be "
                                    "true or false"),
        ({"rank": "best", "first_releases": True}, "does not go with rank: best"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
            parse_digest({"sections": [{"title": "X", "kind": "repositories",
                                        "selector": selector}]})
    with pytest.raises(ConfigError, match="a posts section selects by"):
        parse_digest({"sections": [{"title": "X", "kind": "posts",
                                    "selector": {"first_releases": True}}]})
