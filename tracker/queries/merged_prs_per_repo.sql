-- Pull requests merged in the week, counted per repository.
with week as (
  -- :week is '2026-W47' or any date in it; blank means the latest complete
  -- ISO week that has data: the week of the newest activity, unless that
  -- week is still running by the wall clock, then the week before it.
  select start, date(start, '+7 days') as stop,
         strftime('%Y', date(start, '+3 days')) || '-W'
           || printf('%02d', (strftime('%j', date(start, '+3 days')) - 1) / 7 + 1) as id
  from (
    select case
      when trim(:week) glob '[0-9][0-9][0-9][0-9]-[Ww][0-9][0-9]' then
        date(substr(trim(:week), 1, 4) || '-01-04', '-6 days', 'weekday 1',
             '+' || (7 * (substr(trim(:week), 7, 2) - 1)) || ' days')
      when trim(:week) glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' then
        date(substr(trim(:week), 1, 10), '-6 days', 'weekday 1')
      when coalesce(trim(:week), '') = '' then (
        select case
          when latest < date('now', '-6 days', 'weekday 1')
            then date(latest, '-6 days', 'weekday 1')
          else date('now', '-6 days', 'weekday 1', '-7 days')
        end
        from (select nullif(max(
          coalesce((select max(created_at) from issues), ''),
          coalesce((select max(closed_at) from issues), ''),
          coalesce((select max(created_at) from issue_comments), ''),
          coalesce((select max(published_at) from releases), ''),
          coalesce((select max(published) from feed_entries), '')
        ), '') as latest)
      )
    end as start
  )
)
select
  (select id from week) as week,
  repos.full_name as repo,
  count(*) as merged_prs,
  count(distinct issues.user) as authors,
  sum(coalesce(users.is_bot, 0)) as by_bots,
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
