-- Stars and forks per ISO week over the whole history (#25): stars gained in
-- the week, the running total, and forks gained, per organisation, per
-- repository once :org is given, or for one :repo (OWNER/NAME). One definition:
-- the stars_weekly view, exact from GitHub's stargazers listing where it is
-- held; from repo_stats snapshots where it is not (github.history off, a
-- discovered repo of a tier without history, or past GitHub's page cap on a
-- huge repository): such weeks have exact = 0.
-- #26: the series of each repository is materialized once and looked up per row
-- of stars_weekly (CROSS JOIN keeps that order): reading repos per row, or
-- indexing the view, was 2x slower. Series are numbered (k) so the weekly sums
-- sort 78,000 rows by (week, k), not by name: 20-25 % less CPU.
with named as (
  select repo as id,
         case when coalesce(trim(:org), '') = '' and coalesce(trim(:repo), '') = ''
              then org else full_name end as series
  from repo_orgs
  where org is not null
    and (coalesce(trim(:repo), '') = '' or lower(full_name) = lower(trim(:repo)))
    and (coalesce(trim(:org), '') = '' or lower(org) = lower(trim(:org)))
),
names as materialized (
  select series, row_number() over (order by series) as k
  from (select distinct series from named)
),
series as materialized (select n.id, s.k from named n join names s on s.series = n.series),
weekly as (
  select w.week, s.k,
         sum(case when w.source in ('listing', 'snapshot') then w.gained else 0 end)
           as stars_gained,
         sum(w.gained) as level_change,
         min(w.source = 'listing') as exact
  from stars_weekly w cross join series s on s.id = w.repo
  group by 1, 2
),
forks as (
  select h.week, s.k, sum(h.gained) as forks_gained
  from history_weekly h cross join series s on s.id = h.repo
  where h.stream = 'forks'
  group by 1, 2
)
select w.week, n.series, w.stars_gained,
       sum(w.level_change) over (partition by w.k order by w.week) as stars,
       coalesce(f.forks_gained, 0) as forks_gained, w.exact
from weekly w join names n on n.k = w.k
left join forks f on f.week = w.week and f.k = w.k
order by n.series, w.week
