with week as (/* include _week.sql */)
select count(*) as n from live_issues
where merged_at >= (select start from week) and merged_at < (select stop from week)
  and type = 'pull' and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
