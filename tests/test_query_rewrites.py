"""#26: a query rewritten for speed answers exactly what it answered before.

Each rewrite keeps its previous SQL here, verbatim, and both run on the sample
database (with extra synthetic rows for the cases the rewrite touches); the rows
must be equal. Speed is bench/queries.py's business, never asserted here.
"""

import re

import pytest
import sqlite_utils

from sampledb import SAMPLE_WEEKS, populate_sample
from tracker.canned import canned_sql, query_sql
from tracker.db import open_db
from tracker.publish import QUERIES

# release_places before the split into github_/package_release_places (#26).
OLD_RELEASE_PLACES = """
select coalesce(repos.full_name, 'repo ' || r.repo) as project, r.repo as repo,
       ltrim(coalesce(r.tag_name, r.name), 'vV') as version,
       'GitHub' as place, 0 as rank, r.published_at as published_at,
       r.html_url as url, coalesce(r.prerelease, 0) as prerelease, 0 as yanked,
       -- #22: a GitHub release's advisory ids (was null before the split, a fault)
       security_advisories(cast(r.name as blob), cast(r.tag_name as blob),
                           cast(r.body as blob)) as advisories,
       -- the one rule of a security release (tracker/security.py)
       security_release(cast(r.name as blob), cast(r.tag_name as blob),
                        cast(r.body as blob)) as security,
       r.id as github_release, null as registry, null as package,
       0 as first_release, 0 as synthetic
from releases r left join repos on repos.id = r.repo
where not coalesce(r.draft, 0) and r.published_at is not null
union all
select coalesce(repos.full_name,
                case when p.repository_url like 'https://github.com/%/%'
                     then substr(p.repository_url, 20) end,
                lower(replace(replace(pr.name, '_', '-'), '.', '-'))),
       p.repo, pr.version,
       case pr.registry when 'pypi' then 'PyPI' when 'npm' then 'npm'
            else 'conda-forge' end,
       case pr.registry when 'pypi' then 1 when 'npm' then 2 else 3 end,
       pr.published_at, pr.url, coalesce(pr.prerelease, 0),
       coalesce(pr.yanked, 0) or pr.deprecated is not null,
       (select group_concat(a.value, ', ') from json_each(
            case when json_valid(pr.advisories) then pr.advisories else '[]' end) a),
       coalesce(json_array_length(case when json_valid(pr.advisories)
                                  then pr.advisories end), 0) > 0,
       null, pr.registry, pr.name,
       pr.published_at = (select min(o.published_at) from package_releases o
                          where o.registry = pr.registry and o.name = pr.name),
       coalesce(pr.synthetic, 0)
from package_releases pr
join packages p on p.registry = pr.registry and p.name = pr.name
left join repos on repos.id = p.repo
where pr.published_at is not null
"""

# charts/registries.sql before its range moved onto each kind of place's view.
OLD_REGISTRIES = """
with week as (/* include _week.sql */),
bounds as (select date(start, '-84 days') as lo, stop as hi from week)
select week_start(published_at) as week, place, count(*) as n
from release_places
where published_at >= (select lo from bounds) and published_at < (select hi from bounds)
  and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
group by 1, 2
order by 1, 2
"""


# project_releases as a view over all of release_places, before #26's fragments.
OLD_PROJECT_RELEASES = """
select project, repo, version, published_at, places, on_github, github_release, url,
       prerelease, yanked, security, advisories, packages,
       packages is not null and published_at = min(published_at) over (
           partition by lower(project)) as first_release, synthetic
from (
select min(project) as project, max(repo) as repo, version,
       min(published_at) as published_at,
       replace(group_concat(distinct place), ',', ', ') as places,
       max(place = 'GitHub') as on_github, max(github_release) as github_release,
       coalesce(max(case when rank = 0 then url end),
                max(case when rank = 1 then url end),
                max(case when rank = 2 then url end), max(url)) as url,
       max(prerelease) as prerelease, min(yanked) as yanked,
       max(security) as security,
       group_concat(distinct advisories) as advisories,
       group_concat(distinct registry || ':' || package) as packages,
       max(synthetic) as synthetic
from (select * from release_places order by lower(project), version, rank, package)
group by lower(project), version)
"""

# The week's versions before they were told from the week's projects' places
# only; they read the project_releases view, here its old definition.
OLD_PACKAGE_RELEASES_THIS_WEEK = """
-- Every project version first published in the week, wherever it shipped (a
-- GitHub release, PyPI, npm, conda-forge): one row per version (the
-- project_releases view), with where it appeared, whether a GitHub release
-- exists, and security advisories from either side. A version yanked (or npm
-- deprecated) everywhere it appeared is left out. The digest's releases section
-- tells the same versions (tracker/registries/digest.py, tracker/digest).
-- Feed rules as in releases_this_week.sql: never empty, atom_updated ends in Z,
-- content on every row, safe_link() links only, text xml_text() / html_text().
with week as (/* include _week.sql */),
picked as (
  select v.*, xml_text(v.project) as p, xml_text(v.version) as ver,
    xml_text(coalesce(v.places, '')) as pl, xml_text(coalesce(v.advisories, '')) as adv
  from project_releases v
  where v.published_at >= (select start from week) and v.published_at < (select stop from week)
    and not coalesce(v.yanked, 0)
),
items as (
  select
    project, version, published_at, places, on_github, security, advisories, prerelease,
    yanked, first_release, packages, synthetic,
    'tracker:project-release:' || p || ':' || ver as atom_id,
    p || ' ' || ver
      || case when prerelease then ' (pre-release)' else '' end
      || case when security then ' (security)' else '' end
      || ' on ' || pl as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', published_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(url, 'https://pypi.org/') as atom_link,
    '<p>' || html_text(p || ' ' || ver || ' on ' || pl
                       || case when on_github then '' else ' (no GitHub release)' end) || '</p>'
      || case when adv != '' then '<p>Security advisories: ' || html_text(adv) || '</p>'
         else '' end as atom_content_html,
    p as atom_author_name
  from picked
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null, null, null, null,
  null, null,
  'tracker:package_releases_this_week:' || coalesce((select id from week), 'invalid-week'),
  'No release in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://pypi.org/',
  '<p>No tracked project published a version in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by published_at, project, version
"""

OLD_PACKAGES_WITHOUT_GITHUB_RELEASE = """
-- Packages that publish versions with no GitHub release of the same version: one
-- row per package, from the release_places and project_releases views (one
-- definition of "the same version"). Newest such version first.
select rp.registry, rp.package as name, min(rp.project) as project,
  count(*) as versions, sum(not pr.on_github) as without_github_release,
  max(case when not pr.on_github then rp.published_at end) as last_without_at,
  (select r.version from release_places r
   join project_releases q on lower(q.project) = lower(r.project) and q.version = r.version
   where r.registry = rp.registry and r.package = rp.package and not q.on_github
   order by r.published_at desc limit 1) as last_without_version,
  max(pr.repo) is not null as repo_known
from release_places rp
join project_releases pr on lower(pr.project) = lower(rp.project) and pr.version = rp.version
where rp.package is not null
group by rp.registry, rp.package
having sum(not pr.on_github) > 0
order by last_without_at desc, rp.registry, rp.package
"""

# tracker/registries/digest.py's project_release_rows before it read WEEK_VERSIONS.
OLD_DIGEST_VERSIONS = """
select v.*, r.name as release_name, r.tag_name, r.body as release_body
from project_releases v left join releases r on r.id = v.github_release
where v.published_at >= :start and v.published_at < :end
  and not coalesce(v.yanked, 0)
order by v.published_at, v.project, v.version
"""

# Release texts that do and do not make a release a security release.
SECURITY_TEXTS = [
    ("v9.0.1", "Fixes GHSA-abcd-1234-wxyz in the kernel manager"),
    ("v9.0.2", "fixes ghsa-q4w5-e6r7-t8y9 (lowercase)"),
    ("v9.0.3", "ghsa-ab-cd: not an advisory id"),
    ("v9.0.4", "Backports CVE-2024-12345"),
    ("v9.0.5", "cve-20x4-1: not a CVE id"),
    ("v9.0.6", "A SECURITY fix"),
    ("v9.0.7", "Nothing to see; GHSA and CVE mentioned without ids"),
    ("v9.0.8", None),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("rewrites") / "tracker.db"
    db = populate_sample(sqlite_utils.Database(path))
    repo = db.execute("select id from repos order by id limit 1").fetchone()[0]
    with db.conn:
        db["releases"].upsert_all(
            [{"id": 990_000 + n, "repo": repo, "tag_name": tag, "name": tag, "body": body,
              "draft": 0, "prerelease": 0, "published_at": f"2026-06-09T{10 + n:02d}:00:00Z",
              "html_url": f"https://example.invalid/synthetic/{tag}"}
             for n, (tag, body) in enumerate(SECURITY_TEXTS)], pk="id")
        # Projects whose places meet only by name, by URL, or not at all (#26's
        # restricted reads must find every place of a week's project).
        db["packages"].upsert_all([
            {"registry": "pypi", "name": "sample-lab-py", "repo": None,
             "repository_url": "https://github.com/jupyterlab/sample-lab", "synthetic": 1},
            {"registry": "pypi", "name": "orphan-linked", "repo": 7777,
             "repository_url": "https://github.com/gone/orphan-linked", "synthetic": 1},
            {"registry": "conda_forge", "name": "Sample_Kernel", "repo": None,
             "repository_url": None, "synthetic": 1},
        ], pk=("registry", "name"))
        db["package_releases"].upsert_all([
            {"registry": r, "name": n, "version": v, "published_at": at, "yanked": 0,
             "prerelease": 0, "url": f"https://example.invalid/{n}/{v}", "synthetic": 1}
            for r, n, v, at in [
                ("pypi", "sample-lab-py", "4.1.1", "2026-06-12T08:00:00Z"),
                ("pypi", "sample-lab-py", "4.0.0", "2026-05-20T08:00:00Z"),
                ("pypi", "orphan-linked", "2.0.0", "2026-06-09T08:00:00Z"),
                ("pypi", "orphan-linked", "1.0.0", "2025-06-09T08:00:00Z"),
                ("conda_forge", "Sample_Kernel", "0.1.0", "2026-06-13T08:00:00Z"),
                ("conda_forge", "Sample_Kernel", "0.0.9", "2026-06-01T08:00:00Z"),
            ]], pk=("registry", "name", "version"))
        db["releases"].upsert_all([  # a repository no longer in repos; one shipped twice
            {"id": 991_000, "repo": 8888, "tag_name": "v3.0.0", "name": "3.0.0", "draft": 0,
             "published_at": "2026-06-10T09:00:00Z", "html_url": "https://example.invalid/r1"},
            {"id": 991_001, "repo": 8888, "tag_name": "3.0.0", "name": "3.0.0", "draft": 0,
             "published_at": "2026-06-02T09:00:00Z", "html_url": "https://example.invalid/r2"},
            {"id": 991_002, "repo": 7777, "tag_name": "v2.0.0", "name": "2.0.0", "draft": 0,
             "published_at": "2026-06-11T09:00:00Z", "html_url": "https://example.invalid/r3"},
        ], pk="id")
    db.close()
    return open_db(path)


def rows(db, sql, params=None):
    return [tuple(r) for r in db.execute(sql, params or {}).fetchall()]


def test_release_places_split_answers_as_before(db):
    order = " order by place, project, version, url, published_at"
    old = rows(db, f"select * from ({OLD_RELEASE_PLACES})" + order)
    new = rows(db, "select * from release_places" + order)
    assert new == old
    assert len(old) > len(SECURITY_TEXTS)
    assert any(r[10] for r in old) and not all(r[10] for r in old)  # security: both answers


@pytest.mark.parametrize("week", ["", *SAMPLE_WEEKS, "2026-W26", "2025-W10", "not a week"])
@pytest.mark.parametrize("org", ["", "jupyter", "JupyterHub", "nobody"])
def test_registries_chart_answers_as_before(db, week, org):
    new = (QUERIES / "charts" / "registries.sql").read_text()
    params = {"week": week, "org": org}
    assert rows(db, query_sql(new), params) == rows(db, query_sql(OLD_REGISTRIES), params)


def test_registries_chart_has_rows_to_compare(db):
    new = query_sql((QUERIES / "charts" / "registries.sql").read_text())
    places = {r[1] for r in rows(db, new, {"week": "", "org": ""})}
    assert {"GitHub", "PyPI"} <= places  # both kinds of place reach the comparison


def old_versions_sql(sql):
    """An old query on the old project_releases (a temporary view)."""
    return query_sql(re.sub(r"\bproject_releases\b", "old_project_releases", sql))


@pytest.fixture(scope="module")
def old_view(db):
    db.execute(f"create temp view if not exists old_project_releases as {OLD_PROJECT_RELEASES}")
    return db


def test_project_releases_answers_as_before(old_view):
    order = " order by lower(project), version"
    old = rows(old_view, "select * from old_project_releases" + order)
    assert rows(old_view, "select * from project_releases" + order) == old
    assert any(r[3] == "2026-06-02T09:00:00Z" for r in old)  # the repo-less project is there


@pytest.mark.parametrize("week", ["", *SAMPLE_WEEKS, "2026-W22", "2025-W24", "not a week"])
def test_package_releases_this_week_answers_as_before(old_view, week):
    new = rows(old_view, canned_sql("package_releases_this_week"), {"week": week})
    old = rows(old_view, old_versions_sql(OLD_PACKAGE_RELEASES_THIS_WEEK), {"week": week})
    assert new == old
    if week in ("", "2026-W24"):
        assert len(new) > 5


def test_packages_without_github_release_answers_as_before(old_view):
    new = rows(old_view, canned_sql("packages_without_github_release"))
    old = rows(old_view, old_versions_sql(OLD_PACKAGES_WITHOUT_GITHUB_RELEASE))
    assert new == old and len(new) >= 2


@pytest.mark.parametrize("start, end", [("2026-06-08", "2026-06-15"), ("2026-06-01", "2026-06-08"),
                                        ("2026-05-01", "2026-06-01"), ("2026-06-15", "2026-06-22")])
def test_digest_versions_answer_as_before(old_view, start, end):
    from tracker.registries.digest import WEEK_VERSIONS

    params = {"start": start, "end": end}
    assert rows(old_view, WEEK_VERSIONS, params) == rows(
        old_view, old_versions_sql(OLD_DIGEST_VERSIONS), params)
