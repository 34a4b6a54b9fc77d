-- People whose first issue or pull request in a repository was opened in the
-- week: one row per person and repository, bots left out (people view), and
-- only issues that are still there (live_issues: a deleted spam issue or an
-- issue transferred away makes nobody a contributor). new_to_ecosystem: their
-- first anywhere we follow.
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are safe_link() (http(s) or a fixed fallback);
-- harvested text is html_text(), never raw.
with week as (/* include _week.sql */),
-- Each person's issues and PRs per repository and week are kept at harvest
-- time (people_weekly, tracker/summaries.py; live issues only): their first
-- week in a repository, or anywhere, is the least week with one. A period
-- that starts mid-week (the digest's months) reads the issues of its first
-- partial week.
bounds as (select start, stop, week_start(start) as monday from week),
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
),
items as (
  select
    users.login as contributor,
    repos.full_name as repo,
    firsts.user in (select user from newcomers) as new_to_ecosystem,
    issues.type,
    issues.number,
    issues.title,
    issues.created_at as first_at,
    -- Numbers only: nothing in it for xml_text() to clean (a Python call a row).
    'tracker:first-contribution:' || firsts.user || ':' || firsts.repo as atom_id,
    xml_text(coalesce(users.login, '?') || ': first '
      || case issues.type when 'pull' then 'pull request' else 'issue' end
      || ' in ' || coalesce(repos.full_name, '?')
      || case when firsts.user in (select user from newcomers)
              then ' (new to the ecosystem)' else '' end
     ) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', issues.created_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(issues.html_url,
      'https://github.com/' || repos.full_name || '/issues/' || issues.number,
      'https://github.com/') as atom_link,
    '<p>' || html_text(coalesce(users.login, '?')) || ' opened #' || coalesce(issues.number, '?')
      || ': ' || html_text(coalesce(issues.title, '')) || '</p>' as atom_content_html,
    xml_text(coalesce(users.login, 'unknown')) as atom_author_name
  from firsts
  join issues on issues.id = firsts.issue
  left join users on users.id = firsts.user
  left join repos on repos.id = firsts.repo
  -- A first issue before the period (its first week began before it) is not new.
  where issues.created_at >= (select start from bounds)
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null,
  'tracker:first_time_contributors:' || coalesce((select id from week), 'invalid-week'),
  'No first-time contributors in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>Nobody opened their first issue or pull request in a followed repository in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by new_to_ecosystem desc, atom_updated desc
