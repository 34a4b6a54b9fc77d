-- Pull requests merged in the week, counted per repository; by_bots: how many
-- of them bots opened (the bots view).
with week as (/* include _week.sql */)
select
  (select id from week) as week,
  repos.full_name as repo,
  count(*) as merged_prs,
  count(distinct issues.user) as authors,
  -- exists(): one primary-key look-up per PR, not a scan of every user.
  sum(exists (select 1 from bots where bots.id = issues.user)) as by_bots,
  group_concat('#' || issues.number, ' ') as numbers,
  min(issues.merged_at) as first_merged_at,
  max(issues.merged_at) as last_merged_at
from live_issues as issues
left join repos on repos.id = issues.repo
where issues.merged_at >= (select start from week)
  and issues.merged_at < (select stop from week)
  and issues.type = 'pull'
group by issues.repo
order by merged_prs desc, repo
