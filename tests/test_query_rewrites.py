"""#26: a query rewritten for speed answers exactly what it answered before.

Each rewrite keeps its previous SQL here, verbatim, and both run on the sample
database (with extra synthetic rows for the cases the rewrite touches); the rows
must be equal. Speed is bench/queries.py's business, never asserted here.
"""

import pytest
import sqlite_utils

from sampledb import SAMPLE_WEEKS, populate_sample
from tracker.canned import query_sql
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
              "draft": 0, "prerelease": 0, "published_at": f"2026-06-{10 + n:02d}T12:00:00Z",
              "html_url": f"https://example.invalid/synthetic/{tag}"}
             for n, (tag, body) in enumerate(SECURITY_TEXTS)], pk="id")
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
