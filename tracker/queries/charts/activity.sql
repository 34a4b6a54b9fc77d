with week as (/* include _week.sql */),
bounds as (select date(start, '-84 days') as lo, stop as hi from week),
-- The activity view's counts per repository and week, kept at harvest time
-- (activity_weekly, tracker/summaries.py): 13 weeks are a few thousand rows.
counts as (
  select a.week, sum(a.opened) as opened, sum(a.closed_issues) as closed,
         sum(a.merged) as merged, sum(a.releases) as releases
  from activity_weekly a
  where a.week >= (select lo from bounds) and a.week < (select hi from bounds)
    and (coalesce(:org, '') = '' or a.repo in (select repo from repo_orgs where lower(org) = lower(:org)))
  group by a.week
),
-- Every week and kind, zero when nothing happened: a line must not bridge
-- a quiet week.
weeks(start) as (
  select date((select start from week), '-84 days')
  union all
  select date(start, '+7 days') from weeks where start < (select start from week)
),
kinds(kind) as (
  values ('Issues & PRs opened'), ('Issues closed'), ('PRs merged'), ('Releases')
)
select weeks.start as week, kinds.kind, coalesce(case kinds.kind
    when 'Issues & PRs opened' then counts.opened when 'Issues closed' then counts.closed
    when 'PRs merged' then counts.merged else counts.releases end, 0) as n
from weeks
cross join kinds
left join counts on counts.week = weeks.start
order by 1, 2
