-- Packages that publish versions with no GitHub release of the same version: one
-- row per package, from the release_places and project_releases views (one
-- definition of "the same version"). Newest such version first.
-- Only the places of projects that have a package are read, then told as the
-- project_releases view tells them (_project_releases.sql): 2.1 s -> 5 ms at 50k
-- GitHub releases (#26).
with places as (
  with keys as (select distinct lower(project) as key, repo from package_release_places)
  select * from github_release_places
  where repo in (select id from repos where lower(full_name) in (select key from keys)
                 union select repo from keys where repo is not null)
    and lower(project) in (select key from keys)
  union all
  select * from package_release_places
),
project_versions as (/* include _project_releases.sql */)
select rp.registry, rp.package as name, min(rp.project) as project,
  count(*) as versions, sum(not pr.on_github) as without_github_release,
  max(case when not pr.on_github then rp.published_at end) as last_without_at,
  (select r.version from package_release_places r
   join project_versions q on lower(q.project) = lower(r.project) and q.version = r.version
   where r.registry = rp.registry and r.package = rp.package and not q.on_github
   order by r.published_at desc limit 1) as last_without_version,
  max(pr.repo) is not null as repo_known
from package_release_places rp
join project_versions pr on lower(pr.project) = lower(rp.project) and pr.version = rp.version
where rp.package is not null
group by rp.registry, rp.package
having sum(not pr.on_github) > 0
order by last_without_at desc, rp.registry, rp.package
