-- Pull requests merged in the week, counted per repository.
with week as (/* include _week.sql */)
select
  (select id from week) as week,
  repos.full_name as repo,
  count(*) as merged_prs,
  count(distinct issues.user) as authors,
  -- Bots as everywhere: users.is_bot, GitHub's Bot type or a [bot] login.
  sum(coalesce(users.is_bot, 0) or coalesce(users.type, '') = 'Bot'
      or coalesce(users.login, '') like '%[bot]') as by_bots,
  group_concat('#' || issues.number, ' ') as numbers,
  min(issues.merged_at) as first_merged_at,
  max(issues.merged_at) as last_merged_at
from issues
left join repos on repos.id = issues.repo
left join users on users.id = issues.user
where issues.merged_at >= (select start from week)
  and issues.merged_at < (select stop from week)
  and issues.type = 'pull'
group by issues.repo
order by merged_prs desc, repo
