-- The first contributions of a period (`week`: start, stop): one row per person
-- and repository whose first live issue or pull request there was opened in it,
-- bots left out, with what the feed and the digest show of it (no text made
-- safe yet: the reader does that for the rows it shows). Read by
-- first_time_contributors.sql and the digest's "First-time contributors".
first_timers as (
  -- Each person's issues and PRs per repository and week are kept at harvest
  -- time (people_weekly, tracker/summaries.py; live issues only): their first
  -- week in a repository, or anywhere, is the least week with one. A period
  -- that starts mid-week (the digest's months) reads the issues of its first
  -- partial week.
  with bounds as (select start, stop, week_start(start) as monday from week),
  week_firsts as materialized (
    select p.user, p.repo
    from people_weekly p
    join people on people.id = p.user
    where p.week >= (select monday from bounds) and p.week < (select stop from bounds)
      and p.opened > 0
      and not exists (select 1 from people_weekly e where e.user = p.user and e.repo = p.repo
                      and e.week < p.week and e.opened > 0)
  ),
  -- Their first live issue or PR there: the earliest, one if two share a second.
  -- Materialized: it was looked up twice per row (1M issues: 5,403 rows).
  firsts as materialized (
    select week_firsts.*,
           (select e.id from issues as e
            where e.user = week_firsts.user and e.repo = week_firsts.repo
              and e.created_at >= (select monday from bounds)
              and e.created_at < (select stop from bounds)
              and e.id not in (select id from gone_issues)
            order by e.created_at, e.id limit 1) as issue
    from week_firsts
  ),
  -- New to the ecosystem: no live issue or PR of theirs anywhere before the
  -- period. Asked once per person, not per repository they came to, and through
  -- issues (user, created_at): one seek, where people_weekly's first-week index
  -- (user, repo, week) made it a scan of every repository's weeks (1M issues:
  -- 4,790 people, 337,326 index entries, most of the query's time).
  newcomers as materialized (
    select f.user from (select distinct user from firsts) as f
    where not exists (select 1 from issues j where j.user = f.user
                      and j.created_at < (select start from bounds)
                      and j.id not in (select id from gone_issues))
  )
  select firsts.user, firsts.repo, users.login, users.name as user_name,
         users.html_url as user_url, repos.full_name,
         firsts.user in (select user from newcomers) as new_to_ecosystem,
         issues.type, issues.number, issues.title, issues.created_at, issues.html_url
  from firsts
  join issues on issues.id = firsts.issue
  join users on users.id = firsts.user  -- a person (week_firsts)
  left join repos on repos.id = firsts.repo
  -- A first issue before the period (its first week began before it) is not new.
  where issues.created_at >= (select start from bounds)
)
