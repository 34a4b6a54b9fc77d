with week as (/* include _week.sql */),
bounds as (select date(start, '-84 days') as lo, stop as hi from week)
select week_start(published_at) as week, place, count(*) as n
from release_places
where published_at >= (select lo from bounds) and published_at < (select hi from bounds)
  and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
group by 1, 2
order by 1, 2
