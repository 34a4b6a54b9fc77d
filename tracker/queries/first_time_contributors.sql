-- People whose first issue or pull request in a repository was opened in the
-- week: one row per person and repository, bots left out (people view), and
-- only issues that are still there (live_issues: a deleted spam issue or an
-- issue transferred away makes nobody a contributor). new_to_ecosystem: their
-- first anywhere we follow. Computed only for the week's authors through the
-- (user, created_at) index instead of grouping the whole issues table.
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are safe_link() (http(s) or a fixed fallback);
-- harvested text is html_text(), never raw.
with week as (/* include _week.sql */),
week_firsts as (
  select issues.user, issues.repo, min(issues.created_at) as first_at
  from live_issues as issues
  join people on people.id = issues.user
  where issues.created_at >= (select start from week)
    and issues.created_at < (select stop from week)
  group by issues.user, issues.repo
),
firsts as (
  select week_firsts.*,
         (select min(e.created_at) from live_issues as e where e.user = week_firsts.user)
           >= (select start from week) as new_to_ecosystem
  from week_firsts
  where not exists (
    select 1 from live_issues as e
    where e.user = week_firsts.user and e.created_at < week_firsts.first_at
      and e.repo = week_firsts.repo
  )
),
items as (
  select
    users.login as contributor,
    repos.full_name as repo,
    firsts.new_to_ecosystem,
    issues.type,
    issues.number,
    issues.title,
    firsts.first_at,
    xml_text('tracker:first-contribution:' || firsts.user || ':' || firsts.repo) as atom_id,
    xml_text(coalesce(users.login, '?') || ': first '
      || case issues.type when 'pull' then 'pull request' else 'issue' end
      || ' in ' || coalesce(repos.full_name, '?')
      || case when firsts.new_to_ecosystem then ' (new to the ecosystem)' else '' end
     ) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', firsts.first_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(issues.html_url,
      'https://github.com/' || repos.full_name || '/issues/' || issues.number,
      'https://github.com/') as atom_link,
    '<p>' || html_text(coalesce(users.login, '?')) || ' opened #' || coalesce(issues.number, '?')
      || ': ' || html_text(coalesce(issues.title, '')) || '</p>' as atom_content_html,
    xml_text(coalesce(users.login, 'unknown')) as atom_author_name
  from firsts
  join live_issues as issues on issues.user = firsts.user and issues.repo = firsts.repo
    and issues.created_at = firsts.first_at
  left join users on users.id = firsts.user
  left join repos on repos.id = firsts.repo
  -- Two items opened in the same second: keep one.
  group by firsts.user, firsts.repo
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
