with week as (/* include _week.sql */)
-- Live issues and PRs opened in the week (activity_weekly, tracker/summaries.py).
select coalesce(sum(opened), 0) as n from activity_weekly
where week = (select start from week)
  and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
