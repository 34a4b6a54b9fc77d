with week as (/* include _week.sql */)
-- Releases published in the week, drafts never (activity_weekly, tracker/summaries.py).
select coalesce(sum(releases), 0) as n from activity_weekly
where week = (select start from week)
  and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
