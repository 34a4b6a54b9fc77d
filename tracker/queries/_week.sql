-- The week window shared by the weekly canned queries and dashboard charts;
-- tracker/publish.py puts it where a query says `week as (/* include _week.sql */)`.
week as (
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
