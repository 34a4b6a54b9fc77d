"""What the digest's releases section reads about where versions shipped (#22).

Pure reads of the ``project_releases`` view's rows (one row per project version,
wherever it appeared), for one week's half-open bounds: the same versions as
the ``package_releases_this_week`` canned query, in the same order. Each row
says where the version appeared ("also on PyPI and conda-forge"), whether a
GitHub release exists, and its security advisories from either side (PyPI's
OSV ids, GHSA/CVE ids in the GitHub release's notes).
"""

from ..canned import expand
from ..safe import clean

PLACES = ("GitHub", "PyPI", "npm", "conda-forge")
# project_releases rows of the period, told from the places of its projects only
# (tracker/queries/_week_places.sql): as the view tells them, at a fraction of the cost.
WEEK_VERSIONS = expand("""
    with week as (select :start as start, :end as stop),
    places as (/* include _week_places.sql */),
    project_versions as (/* include _project_releases.sql */)
    select v.*, r.name as release_name, r.tag_name, r.body as release_body
    from project_versions v left join releases r on r.id = v.github_release
    where v.published_at >= :start and v.published_at < :end
      and not coalesce(v.yanked, 0)
    order by v.published_at, v.project, v.version
""")


def _rows(db, sql, params):
    return [{k: clean(v) if isinstance(v, str) else v for k, v in r.items()}
            for r in db.query(sql, params)]


def also_on(places):
    """'PyPI and conda-forge' for ['PyPI', 'conda-forge']; '' for none."""
    places = list(places)
    if len(places) <= 1:
        return "".join(places)
    return ", ".join(places[:-1]) + " and " + places[-1]


def project_release_rows(db, start, end):
    """The week's project versions, ordered as the canned query orders them."""
    from ..security import security_release

    rows = _rows(db, WEEK_VERSIONS, {"start": start, "end": end})
    for r in rows:
        places = [p for p in (r["places"] or "").split(", ") if p]
        r["places"] = places
        first = "GitHub" if r["on_github"] else (places[0] if places else "")
        r["also_on"] = also_on([p for p in places if p != first])
        r["without_github_release"] = not r["on_github"]
        ids = [i for i in (r["advisories"] or "").replace(",", " ").split() if i]
        # The view's flag is the same rule (tracker/security.py); here its ids too.
        flag, r["advisories"] = security_release(r.pop("release_name"), r.pop("tag_name"),
                                                 r.pop("release_body"), advisories=ids)
        r["security"] = bool(r["security"]) or flag
        r["packages"] = [p for p in (r["packages"] or "").split(",") if p]
    return rows


def first_releases(db, start, end):
    """Packages whose first-ever version (anywhere) came out in the week: new
    extensions and kernels."""
    return [r for r in project_release_rows(db, start, end) if r["first_release"]]
