with week as (/* include _week.sql */)
select count(*) as n from live_issues
where created_at >= (select start from week) and created_at < (select stop from week)
  and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
