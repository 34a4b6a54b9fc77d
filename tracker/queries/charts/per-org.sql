with week as (/* include _week.sql */),
bounds as (select date(start, '-84 days') as lo, stop as hi from week),
-- Events per week (the activity view's, kept per repository and week in
-- activity_weekly) per org; per repository once an org is picked.
named as (
  select a.week,
    case when coalesce(:org, '') = '' then coalesce(o.org, '?') else coalesce(o.full_name, '?') end
      as series,
    sum(a.opened + a.closed_issues + a.merged + a.releases) as n
  from activity_weekly a left join repo_orgs o on o.repo = a.repo
  where a.week >= (select lo from bounds) and a.week < (select hi from bounds)
    and (coalesce(:org, '') = '' or lower(o.org) = lower(:org))
  group by 1, 2
  having n > 0
),
top as (select series from named group by series order by sum(n) desc limit 8)
select week,
  case when series in (select series from top) then series else '(others)' end as series,
  sum(n) as n
from named
group by 1, 2
order by 1, 2
