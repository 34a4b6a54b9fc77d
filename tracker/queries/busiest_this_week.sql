-- Issues and pull requests with the most comments written in the week, top 25.
-- People only, as the digest's "Most discussed": bots' comments are not counted
-- and bots' own issues and PRs are not listed (the bots view); transferred and
-- deleted issues are not listed (live_issues).
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are safe_link() (http(s) or a fixed fallback);
-- harvested text is html_text(), never raw.
with week as (/* include _week.sql */),
busiest as (/* include _busiest.sql */),
items as (
  select
    repos.full_name as repo,
    issues.number,
    issues.type,
    issues.title,
    issues.state,
    counts.week_comments,
    counts.commenters,
    issues.comments as all_comments,
    users.login as author,
    issues.id as issue,
    -- One entry per issue per week: busy again next week is news again.
    xml_text('tracker:busiest:' || (select id from week) || ':' || issues.id) as atom_id,
    xml_text(coalesce(repos.full_name, '?') || '#' || coalesce(issues.number, '?') || ': '
      || coalesce(issues.title, '')) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', counts.last_comment_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(issues.html_url,
      'https://github.com/' || repos.full_name || '/issues/' || issues.number,
      'https://github.com/') as atom_link,
    '<p>' || counts.week_comments || ' comments from ' || counts.commenters
      || ' people this week (' || html_text(coalesce(issues.state, '?')) || ' '
      || case issues.type when 'pull' then 'pull request' else 'issue' end || ').</p><p>'
      || replace(html_text(coalesce(nullif(substr(issues.body, 1, 1500), ''), 'No description.')),
                 char(10), '<br>') || '</p>' as atom_content_html,
    xml_text(coalesce(users.login, 'unknown')) as atom_author_name
  from busiest as counts
  join issues on issues.id = counts.id
  left join repos on repos.id = issues.repo
  left join users on users.id = issues.user
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null, null, null, null,
  'tracker:busiest_this_week:' || coalesce((select id from week), 'invalid-week'),
  'No comments in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>Nobody commented on an issue or pull request in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by week_comments desc, commenters desc, repo, number
