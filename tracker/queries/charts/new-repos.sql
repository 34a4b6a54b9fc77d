with week as (/* include _week.sql */)
select count(*) as n from repos
where created_at >= (select start from week) and created_at < (select stop from week)
  and tracked_via is not null
  and (coalesce(:org, '') = '' or id in (select repo from repo_orgs where lower(org) = lower(:org)))
