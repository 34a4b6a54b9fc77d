-- Open pull requests nobody has updated for :days days (default 30), the
-- longest-idle first. Idle time is measured from the newest activity in the
-- database (capped at the wall clock), so an old snapshot still makes sense.
with ref as (
  select min(coalesce(at, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
             strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) as now_at
  from latest_activity
),
cutoff as (
  select strftime('%Y-%m-%dT%H:%M:%SZ', (select now_at from ref),
                  '-' || cast(coalesce(nullif(trim(:days), ''), '30') as integer) || ' days')
         as before
)
select
  repos.full_name as repo,
  issues.number,
  issues.title,
  users.login as author,
  issues.draft,
  issues.created_at,
  issues.updated_at,
  cast(julianday((select now_at from ref)) - julianday(issues.updated_at) as integer)
    as idle_days,
  issues.comments,
  issues.html_url
from live_issues as issues
left join repos on repos.id = issues.repo
left join users on users.id = issues.user
where issues.updated_at < (select before from cutoff)
  and issues.state = 'open'
  and issues.type = 'pull'
  and (coalesce(:repo, '') = ''
       or issues.repo in (select id from repos where full_name = trim(:repo)))
order by issues.updated_at
limit 200
