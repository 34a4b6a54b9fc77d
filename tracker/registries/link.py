"""Which repository a package belongs to: the one definition (#22).

A package is linked (``packages.repo``, ``packages.repository_url``) to a
tracked repository, in this order:

1. **configured**: ``packages.repos`` in tracker.yml names it
   (``repos: {pypi: {dockerspawner: jupyterhub/dockerspawner}}``);
2. **its own links**: PyPI ``project_urls``/home page, npm ``repository`` (or, for
   a conda-forge build, its PyPI package's) point at the repository
   (``tracker.registries.save.linked_repo``, at harvest time);
3. **name and versions**: with neither, the package is the project of the one
   tracked repository whose name equals the package's name, both normalised
   (PEP 503: lower case, runs of ``-_.`` are one ``-``; an npm ``@scope/`` is
   dropped), **and** whose GitHub release tags (a leading ``v`` dropped) match
   the package's versions: at least two versions in common, or one when the
   package or the repository has only one. A repository name two tracked
   repositories share links nothing.

Rule 3 exists because real packages often link only a home page
(dockerspawner's PyPI metadata names jupyter.org): without it a version would be
told twice, once as a GitHub release and once as "no GitHub release".
"""

from .save import github_full_name
from .values import normalize

# PEP 503 in SQL: lower case; '_' and '.' become '-' (runs of separators are rare
# enough in repository names that the collapse is left to the versions check).
_NORM = "lower(replace(replace({0}, '_', '-'), '.', '-'))"
_BARE = ("case when {0} like '@%/%' then substr({0}, instr({0}, '/') + 1) else {0} end")

_BY_NAME_AND_VERSIONS = f"""
    with candidates as (
        select p.registry, p.name, r.id as repo, r.full_name
        from packages p
        join repos r on {_NORM.format("substr(r.full_name, instr(r.full_name, '/') + 1)")}
                      = {_NORM.format(_BARE.format("p.name"))}
        where p.repo is null and p.repository_url is null and r.full_name is not null
    ),
    unique_name as (
        select registry, name from candidates group by registry, name having count(*) = 1
    ),
    scored as (
        select c.registry, c.name, c.repo, c.full_name,
               (select count(*) from package_releases pr
                where pr.registry = c.registry and pr.name = c.name) as versions,
               (select count(*) from releases g
                where g.repo = c.repo and not coalesce(g.draft, 0)) as tags,
               (select count(*) from package_releases pr
                where pr.registry = c.registry and pr.name = c.name and exists (
                    select 1 from releases g where g.repo = c.repo and not coalesce(g.draft, 0)
                    and ltrim(g.tag_name, 'vV') = pr.version)) as common
        from candidates c join unique_name u using (registry, name)
    )
    select registry, name, repo, full_name from scored
    where common >= 2 or (common = 1 and (versions = 1 or tags = 1))
"""


def configured_links(repos):
    """[(registry, package name, 'owner/name')] from ``packages.repos``."""
    return [(registry, normalize(name) if registry == "pypi" else name, full_name)
            for registry, names in (repos or {}).items() for name, full_name in names.items()]


def link_repos(db, repos=None):
    """Link packages to their repositories by the three rules, in order. Returns how
    many packages rule 3 linked."""
    for registry, name, full_name in configured_links(repos):
        found = db.execute("select id from repos where lower(full_name) = lower(?)",
                           [full_name]).fetchone()
        db.execute("update packages set repository_url = ?, repo = ? "
                   "where registry = ? and name = ?",
                   [f"https://github.com/{full_name}", found[0] if found else None,
                    registry, name])
    # Rule 2 for repositories stored after their packages (the URL was kept).
    db.execute("""update packages set repo = (
                      select id from repos
                      where lower(repos.full_name) = lower(substr(packages.repository_url, 20)))
                  where repo is null and repository_url like 'https://github.com/%/%'""")
    matched = list(db.execute(_BY_NAME_AND_VERSIONS))
    for registry, name, repo, full_name in matched:
        db.execute("update packages set repo = ?, repository_url = ? "
                   "where registry = ? and name = ?",
                   [repo, f"https://github.com/{full_name}", registry, name])
    return len(matched)


__all__ = ["configured_links", "github_full_name", "link_repos"]
