with week as (/* include _week.sql */)
select count(*) as n from releases
where published_at >= (select start from week) and published_at < (select stop from week)
  and not coalesce(draft, 0) and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
