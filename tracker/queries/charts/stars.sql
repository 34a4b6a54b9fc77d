-- Stars over time, the whole history (#25): the level at the end of each
-- sampled week, per organisation (per repository once :org is picked), from
-- the stars_weekly view (exact from GitHub's stargazers listing where held,
-- snapshots where not), up to the chosen week.
with week as (/* include _week.sql */),
-- #26: series is materialized once and looked up per row of stars_weekly (CROSS
-- JOIN keeps that order): reading repos per row, or indexing the view, was 2x slower.
series as materialized (
  select repo as id, case when coalesce(:org, '') = '' then org else full_name end as series
  from repo_orgs
  where org is not null and (coalesce(:org, '') = '' or lower(org) = lower(:org))
),
weekly as (
  select w.week, s.series, sum(w.gained) as change
  from stars_weekly w cross join series s on s.id = w.repo
  where w.week < (select stop from week)
  group by 1, 2
),
top as (select series from weekly group by series order by sum(change) desc limit 8),
bounds as (
  select min(week) as lo, (select start from week) as hi
  from weekly where series in (select series from top)
),
-- Points back from the chosen week: weekly for half a year, every four weeks
-- for two years, then quarterly (Datasette returns 1,000 rows at most, and ten
-- years of weeks for eight lines would be cut).
samples(week) as (
  select hi from bounds where lo is not null
  union all
  select case
    when week > date((select hi from bounds), '-182 days') then date(week, '-7 days')
    when week > date((select hi from bounds), '-730 days') then date(week, '-28 days')
    else date(week, '-91 days') end
  from samples where week > (select lo from bounds)
),
levels as (
  select samples.week, top.series,
    (select sum(change) from weekly w
     where w.series = top.series and w.week <= samples.week) as stars
  from samples cross join top
)
select week, series, stars from levels
where stars is not null
order by 1, 2
