-- Releases published in the week, newest first; drafts never.
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are safe_link() (http(s) or a fixed fallback);
-- harvested text is html_text(), never raw.
with week as (/* include _week.sql */),
items as (
  select
    repos.full_name as repo,
    releases.tag_name,
    releases.name,
    releases.prerelease,
    releases.published_at,
    users.login as author,
    releases.id as release,
    xml_text('tracker:release:' || releases.id) as atom_id,
    xml_text(coalesce(repos.full_name, 'repo ' || releases.repo) || ' '
      || coalesce(releases.tag_name, releases.name, '?')
      || case when releases.prerelease then ' (pre-release)' else '' end) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', releases.published_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(releases.html_url, 'https://github.com/' || repos.full_name || '/releases',
      'https://github.com/') as atom_link,
    '<p>' || replace(html_text(coalesce(nullif(substr(releases.body, 1, 3000), ''),
                                        'No release notes.')), char(10), '<br>')
      || '</p>' as atom_content_html,
    xml_text(coalesce(users.login, 'unknown')) as atom_author_name
  from releases
  left join repos on repos.id = releases.repo
  left join users on users.id = releases.author
  where releases.published_at >= (select start from week)
    and releases.published_at < (select stop from week)
    and not coalesce(releases.draft, 0)
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null,
  'tracker:releases_this_week:' || coalesce((select id from week), 'invalid-week'),
  'No releases in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>No release was published in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by atom_updated desc
