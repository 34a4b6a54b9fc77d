with week as (/* include _week.sql */)
-- Live PRs merged in the week (activity_weekly, tracker/summaries.py).
select coalesce(sum(merged), 0) as n from activity_weekly
where week = (select start from week)
  and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
