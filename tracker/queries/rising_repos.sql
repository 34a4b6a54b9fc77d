-- "Rising": discovered repositories (found by a github.topics or github.search
-- query) that gained the most stars in the week: exact, from the stargazers
-- history, for repos whose listing is held (#25, tracker/stargains.py); else
-- from repo_stats snapshots: the week's last snapshot minus the last one before
-- the week (or, for a repo first snapshotted during the week, its first one in
-- the week). Discovery
-- refreshes a repo's counts when a search returns it, so the resolution is the
-- weekly re-sweep. :topic as in new_in_ecosystem. tracker/digest/ecosystem.py
-- computes the same list.
with week as (/* include _week.sql */),
exact as (
  select e.repo from history_exact e join discovered_repos d on d.repo = e.repo
  where e.stream = 'stargazers' and e.exact_until > (select start from week)
),
snaps as (
  select s.repo, s.harvested_at, s.stargazers_count as stars
  from repo_stats s join discovered_repos d on d.repo = s.repo
  where s.stargazers_count is not null and s.harvested_at < (select stop from week)
    and s.repo not in (select repo from exact)
),
latest as (
  select repo, max(harvested_at) as at from snaps
  where harvested_at >= (select start from week) group by repo
),
baseline as (
  select l.repo, coalesce(
    (select max(harvested_at) from snaps b where b.repo = l.repo
       and b.harvested_at < (select start from week)),
    (select min(harvested_at) from snaps b where b.repo = l.repo
       and b.harvested_at >= (select start from week))) as at
  from latest l
),
gains as (
  select l.repo,
    (select stars from snaps where repo = l.repo and harvested_at = l.at) as stars,
    (select stars from snaps where repo = l.repo and harvested_at = l.at)
      - (select stars from snaps where repo = b.repo and harvested_at = b.at) as gained
  from latest l join baseline b on b.repo = l.repo
  union all
  select x.repo,
    (select count(*) from stars s where s.repo = x.repo and s.unstarred_at is null
       and s.starred_at < (select stop from week)),
    (select count(*) from stars s where s.repo = x.repo and s.unstarred_at is null
       and s.starred_at >= (select start from week) and s.starred_at < (select stop from week))
  from exact x
)
select (select id from week) as week, repos.full_name as repo, gains.gained, gains.stars,
  repos.description, repos.topics, users.login as owner, repos.html_url
from gains
join repos on repos.id = gains.repo
left join users on users.id = repos.owner
where gains.gained > 0
  and (coalesce(trim(:topic), '') = ''
    or exists (select 1 from discovery_finds x where x.repo = repos.id
               and x.source = 'topic:' || lower(trim(:topic)))
    or exists (select 1 from json_each(case when json_valid(repos.topics) then repos.topics else '[]' end)
               where lower(value) = lower(trim(:topic))))
order by gains.gained desc, repos.full_name
limit 50
