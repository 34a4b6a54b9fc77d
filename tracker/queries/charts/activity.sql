with week as (/* include _week.sql */),
bounds as (select date(start, '-84 days') as lo, stop as hi from week),
events as (
  -- The activity view (tracker/facts.py), labelled for the legend.
  select repo, at, case kind when 'opened' then 'Issues & PRs opened' when 'closed' then 'Issues closed'
                when 'merged' then 'PRs merged' else 'Releases' end as kind
  from activity
  where at >= (select lo from bounds) and at < (select hi from bounds)
),
counts as (
  select week_start(at) as week, kind, count(*) as n
  from events
  where (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
  group by 1, 2
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
select weeks.start as week, kinds.kind, coalesce(counts.n, 0) as n
from weeks
cross join kinds
left join counts on counts.week = weeks.start and counts.kind = kinds.kind
order by 1, 2
