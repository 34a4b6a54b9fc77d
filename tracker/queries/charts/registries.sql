with week as (/* include _week.sql */),
bounds as (select date(start, '-84 days') as lo, stop as hi from week),
-- The range goes on each kind of place's view, where it reaches the table's
-- published_at index: SQLite pushes no range taken from a subquery into the
-- release_places union (#26: 1040 -> 10 ms on bench/bigdb.py's 50k releases).
places as (
  select published_at, place, repo from github_release_places
  where published_at >= (select lo from bounds) and published_at < (select hi from bounds)
  union all
  select published_at, place, repo from package_release_places
  where published_at >= (select lo from bounds) and published_at < (select hi from bounds)
)
select week_start(published_at) as week, place, count(*) as n
from places
where coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org))
group by 1, 2
order by 1, 2
