-- Stars over time, the whole history (#25): the level at the end of each
-- sampled week, per organisation (per repository once :org is picked), from
-- the stars_weekly view (exact from GitHub's stargazers listing where held,
-- snapshots where not), up to the chosen week.
with week as (/* include _week.sql */),
-- #26: the series of each repository is materialized once and looked up per row
-- of stars_weekly (CROSS JOIN keeps that order): reading repos per row, or
-- indexing the view, was 2x slower. Series are numbered (k) so the weekly sums
-- sort 78,000 rows by (week, k), not by name: 20-25 % less CPU.
named as (
  select repo as id, case when coalesce(:org, '') = '' then org else full_name end as series
  from repo_orgs
  where org is not null and (coalesce(:org, '') = '' or lower(org) = lower(:org))
),
names as materialized (
  select series, row_number() over (order by series) as k
  from (select distinct series from named)
),
series as materialized (select n.id, s.k from named n join names s on s.series = n.series),
weekly as (
  select w.week, s.k, sum(w.gained) as change
  from stars_weekly w cross join series s on s.id = w.repo
  where w.week < (select stop from week)
  group by 1, 2
),
top as (select k from weekly group by k order by sum(change) desc limit 8),
bounds as (
  select min(week) as lo, (select start from week) as hi
  from weekly where k in (select k from top)
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
  select samples.week, top.k,
    (select sum(change) from weekly w
     where w.k = top.k and w.week <= samples.week) as stars
  from samples cross join top
)
select levels.week, names.series, levels.stars
from levels join names on names.k = levels.k
where levels.stars is not null
order by 1, 2
