-- Followed repositories created on GitHub in the week (repos.created_at),
-- newest first.
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are safe_link() (http(s) or a fixed fallback);
-- harvested text is html_text(), never raw.
with week as (/* include _week.sql */),
items as (
  select
    repos.full_name as repo,
    repos.description,
    repos.language,
    repos.stargazers_count as stars,
    repos.fork,
    repos.created_at,
    repos.tracked_via,
    xml_text('tracker:repo:' || repos.id) as atom_id,
    xml_text('New repository: ' || coalesce(repos.full_name, repos.name, repos.id)) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', repos.created_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(repos.html_url, 'https://github.com/' || repos.full_name,
      'https://github.com/') as atom_link,
    '<p>' || html_text(coalesce(nullif(repos.description, ''), 'No description.'))
      || '</p><p>' || html_text(coalesce(repos.language, 'Unknown language'))
      || ', ' || coalesce(repos.stargazers_count, 0) || ' stars'
      || case when repos.fork then ', a fork' else '' end || '.</p>' as atom_content_html,
    xml_text(coalesce(users.login, 'unknown')) as atom_author_name
  from repos
  left join users on users.id = repos.owner
  where repos.created_at >= (select start from week)
    and repos.created_at < (select stop from week)
    -- The watchlist's repos; discovered ones are in new_in_ecosystem.
    and repos.tracked_via is not null
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null,
  'tracker:new_repos_this_week:' || coalesce((select id from week), 'invalid-week'),
  'No new repositories in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>No followed repository was created in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by atom_updated desc
