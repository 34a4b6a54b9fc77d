-- One row per project version wherever it appeared, from `places` (rows of
-- release_places, every place of each project they hold). The project_releases
-- view (tracker/views.py) is this over all of release_places; a query that
-- needs a few projects reads only their places (_week_places.sql), the same
-- rows at a fraction of the cost (#26: the whole view is 0.8 s at 50k releases).
-- Its time is its first appearance; on_github says whether a GitHub release
-- exists; first_release marks the project's earliest version anywhere when a
-- registry has it (a new package).
project_versions as (
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
  from (select * from places order by lower(project), version, rank, package)
  group by lower(project), version)
)
