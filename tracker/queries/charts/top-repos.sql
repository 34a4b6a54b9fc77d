with week as (/* include _week.sql */),
-- Issues and PRs opened and closed, comments and releases of the week, per
-- repository, as kept at harvest time (activity_weekly, tracker/summaries.py).
events as (
  select repo, opened + closed_issues + closed_pulls + comments + releases as n
  from activity_weekly
  where week = (select start from week)
)
select coalesce(repos.full_name, '?') as repo, sum(n) as events
from events left join repos on repos.id = events.repo
where (coalesce(:org, '') = '' or events.repo in (select repo from repo_orgs where lower(org) = lower(:org)))
group by events.repo
having events > 0
order by events desc
limit 15
