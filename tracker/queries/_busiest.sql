-- The busiest issues and pull requests of a period (`week`: start, stop): the 25
-- with the most comments written in it, people only (bots' comments are not
-- counted, bots' own issues and PRs not listed), live issues only; ties broken
-- by repository, then number. One row per issue: its id, week_comments,
-- commenters, last_comment_at, sort_repo, sort_number; no text made safe yet.
-- Read by busiest_this_week.sql and the digest's "Most discussed".
busiest as (
  with counts as (
    select issue_comments.issue,
           count(*) as week_comments,
           count(distinct issue_comments.user) as commenters,
           max(issue_comments.created_at) as last_comment_at
    from live_comments as issue_comments
    where issue_comments.created_at >= (select start from week)
      and issue_comments.created_at < (select stop from week)
      and issue_comments.issue is not null
      and (issue_comments.user is null
           or issue_comments.user not in (select id from bots))
    group by issue_comments.issue
  ),
  -- The 25 busiest, chosen on cheap columns first: the text of each item is
  -- made for those 25 only, not for every issue commented on in the week
  -- (1M issues: 2.1 -> 1.2 s under load 6, bench/queries.py). Whether an issue
  -- counts (live, not a bot's) and its repository and number, which break ties,
  -- need its row: only the issues whose counts reach those of the 100th busiest
  -- are read (1M issues, 16,783 issues commented on in a week: 180 rows, 60 ms
  -- less), unless fewer than 25 of them count, then all are.
  ranked as materialized (
    select counts.*, row_number() over (order by week_comments desc, commenters desc) as rank
    from counts
  ),
  bar as (select week_comments, commenters from ranked where rank = 100),
  near as materialized (
    select ranked.* from ranked
    where not exists (select 1 from bar)
       or (ranked.week_comments, ranked.commenters) >= (select week_comments, commenters from bar)
  ),
  candidates as (
    select c.*, issues.id as id, repos.full_name as sort_repo, issues.number as sort_number
    from near as c
    join live_issues as issues on issues.id = c.issue
    left join repos on repos.id = issues.repo
    where not exists (select 1 from bots where bots.id = issues.user)
  ),
  everyone as (
    select c.*, issues.id as id, repos.full_name as sort_repo, issues.number as sort_number
    from ranked as c
    join live_issues as issues on issues.id = c.issue
    left join repos on repos.id = issues.repo
    where not exists (select 1 from bots where bots.id = issues.user)
      and (select count(*) from candidates) < 25
  )
  select * from candidates where (select count(*) from candidates) >= 25
  union all
  select * from everyone
  order by week_comments desc, commenters desc, sort_repo, sort_number
  limit 25
)
