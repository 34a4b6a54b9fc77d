with week as (/* include _week.sql */),
bounds as (select date(start, '-84 days') as lo, stop as hi from week),
snap as (
  -- The week's last (highest) count per repo: runs are hourly or daily.
  select repo, week_start(harvested_at) as week,
         max(stargazers_count) as stars
  from repo_stats
  where harvested_at >= (select lo from bounds) and harvested_at < (select hi from bounds)
    and (coalesce(:org, '') = '' or repo in (select repo from repo_orgs where lower(org) = lower(:org)))
  group by 1, 2
),
-- Per org; per repository once an org is picked.
totals as (
  select week, sum(stars) as stars,
    case when coalesce(:org, '') = '' then coalesce(o.org, '?') else coalesce(o.full_name, '?') end
      as series
  from snap left join repo_orgs o on o.repo = snap.repo
  group by 1, 3
),
top as (select series from totals group by series order by max(stars) desc limit 8)
select week, series, stars from totals
where series in (select series from top)
order by 1, 2
