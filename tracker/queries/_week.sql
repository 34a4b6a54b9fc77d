-- The week window shared by the weekly canned queries and dashboard charts;
-- tracker/publish.py puts it where a query says `week as (/* include _week.sql */)`.
-- The rule itself is tracker/weeks.py (SQL: week_start(), iso_week()); the
-- default week is the latest_week view (tracker/facts.py).
week as (
  -- :week is '2026-W47' or any date in it; blank means the latest complete
  -- ISO week that has data. Anything else: start is null (an "invalid week").
  select start, date(start, '+7 days') as stop, iso_week(start) as id
  from (
    select case when coalesce(trim(:week), '') = '' then (select start from latest_week)
                else week_start(:week) end as start
  )
)
