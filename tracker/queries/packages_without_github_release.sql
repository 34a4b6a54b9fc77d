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
