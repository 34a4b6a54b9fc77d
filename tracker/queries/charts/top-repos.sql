with week as (/* include _week.sql */),
events as (
  select repo from live_issues
  where created_at >= (select start from week) and created_at < (select stop from week)
  union all
  select repo from live_issues
  where closed_at >= (select start from week) and closed_at < (select stop from week)
  union all
  select repo from live_comments
  where created_at >= (select start from week) and created_at < (select stop from week)
  union all
  select repo from releases
  where published_at >= (select start from week) and published_at < (select stop from week)
)
select coalesce(repos.full_name, '?') as repo, count(*) as events
from events left join repos on repos.id = events.repo
where (coalesce(:org, '') = '' or events.repo in (select repo from repo_orgs where lower(org) = lower(:org)))
group by events.repo
order by events desc
limit 15
