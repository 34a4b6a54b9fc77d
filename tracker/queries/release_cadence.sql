-- Per repository: releases since a date, average days between final
-- releases, the latest release and how long ago it was. "Now" is the end of
-- the latest complete week with data (latest_week, the default of the weekly queries).
with ref as (select date(start, '+7 days') as stop from latest_week),
span as (
  select coalesce(date(nullif(trim(:since), '')), date((select stop from ref), '-365 days'))
           as since,
         (select stop from ref) as stop
),
rel as (
  select repo, tag_name, published_at, prerelease,
    julianday(published_at) - julianday(lag(published_at) over (
      partition by repo, coalesce(prerelease, 0) order by published_at)) as gap_days
  from releases
  where published_at >= (select since from span)
    and published_at < (select stop from span)
    and not coalesce(draft, 0)
)
select
  repos.full_name as repo,
  sum(not coalesce(prerelease, 0)) as releases,
  sum(coalesce(prerelease, 0)) as prereleases,
  round(avg(case when not coalesce(prerelease, 0) then gap_days end), 1)
    as avg_days_between_releases,
  -- SQLite: with a single max() the bare tag_name comes from that same row.
  tag_name as latest_tag,
  max(published_at) as latest_at,
  round(julianday((select stop from span)) - julianday(max(published_at)), 1)
    as days_since_latest,
  (select since from span) as since
from rel
left join repos on repos.id = rel.repo
group by rel.repo
order by latest_at desc
