-- Per organisation: issues and PRs opened, issues closed, PRs merged and
-- releases in the week, next to the weekly average of the 4 weeks before.
-- Counted per repo first (activity_weekly rows), then summed per org, with an
-- "(all)" row on top.
with week as (/* include _week.sql */),
bounds as (select date(start, '-28 days') as prev, start, stop from week),
per_repo as (
  -- The activity view's counts (live issues only, so an issue transferred to
  -- another watched repo counts once, a deleted one not at all), kept per
  -- repository and week at harvest time (activity_weekly, tracker/summaries.py).
  select repo,
    sum(case when week >= (select start from bounds) then opened else 0 end) as opened,
    sum(case when week < (select start from bounds) then opened else 0 end) as opened_4w,
    sum(case when week >= (select start from bounds) then closed_issues else 0 end) as closed,
    sum(case when week < (select start from bounds) then closed_issues else 0 end) as closed_4w,
    sum(case when week >= (select start from bounds) then merged else 0 end) as merged,
    sum(case when week < (select start from bounds) then merged else 0 end) as merged_4w,
    sum(case when week >= (select start from bounds) then releases else 0 end) as releases,
    sum(case when week < (select start from bounds) then releases else 0 end) as releases_4w,
    max(week >= (select start from bounds)
        and opened + closed_issues + merged + releases > 0) as active
  from activity_weekly
  where week >= (select prev from bounds) and week < (select stop from bounds)
    and opened + closed_issues + merged + releases > 0
  group by repo
),
per_org as (
  select coalesce(repo_orgs.org, '?') as org,
    sum(active) as active_repos,
    sum(opened) as opened, sum(opened_4w) as opened_4w,
    sum(closed) as closed, sum(closed_4w) as closed_4w,
    sum(merged) as merged, sum(merged_4w) as merged_4w,
    sum(releases) as releases, sum(releases_4w) as releases_4w
  from per_repo
  left join repo_orgs on repo_orgs.repo = per_repo.repo
  group by org
),
totals as (
  select 1 as sort, * from per_org
  union all
  select 0, '(all)', sum(active_repos), sum(opened), sum(opened_4w), sum(closed),
    sum(closed_4w), sum(merged), sum(merged_4w), sum(releases), sum(releases_4w)
  from per_org
)
select
  (select id from week) as week,
  org,
  active_repos,
  opened, round(opened_4w / 4.0, 1) as opened_avg_4w,
  closed, round(closed_4w / 4.0, 1) as closed_avg_4w,
  merged, round(merged_4w / 4.0, 1) as merged_avg_4w,
  releases, round(releases_4w / 4.0, 1) as releases_avg_4w,
  -- This week's events against the 4-week average: 1.0 = as usual.
  round((opened + closed + merged + releases) * 4.0
        / nullif(opened_4w + closed_4w + merged_4w + releases_4w, 0), 2) as vs_usual
from totals
where opened + opened_4w + closed + closed_4w + merged + merged_4w + releases + releases_4w > 0
order by sort, opened + closed + merged + releases desc, org
