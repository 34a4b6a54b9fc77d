-- Issues and pull requests with the most comments written in the week, top 25.
-- People only, as the digest's "Most discussed": bots' comments are not counted
-- and bots' own issues and PRs are not listed (a bot is GitHub's Bot type, a
-- login ending in [bot] or the watchlist's bots: list, i.e. users.is_bot).
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are http(s) or a fixed fallback; content is
-- harvested text escaped here with nested replace() (& first), never raw.
with week as (/* include _week.sql */),
counts as (
  select issue_comments.issue,
         count(*) as week_comments,
         count(distinct issue_comments.user) as commenters,
         max(issue_comments.created_at) as last_comment_at
  from issue_comments
  left join users on users.id = issue_comments.user
  where issue_comments.created_at >= (select start from week)
    and issue_comments.created_at < (select stop from week)
    and issue_comments.issue is not null
    and not coalesce(users.is_bot, 0) and coalesce(users.type, '') != 'Bot'
    and coalesce(users.login, '') not like '%[bot]'
  group by issue_comments.issue
),
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
    -- One entry per issue per week: busy again next week is news again.
    xml_text('tracker:busiest:' || (select id from week) || ':' || issues.id) as atom_id,
    xml_text(coalesce(repos.full_name, '?') || '#' || coalesce(issues.number, '?') || ': '
      || coalesce(issues.title, '')) as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', counts.last_comment_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    xml_text(coalesce(
      case when (issues.html_url like 'https://%' or issues.html_url like 'http://%')
            and issues.html_url not glob ('*[<>"'' ' || char(1) || '-' || char(31, 127) || '-' || char(159) || ']*')
            and instr(issues.html_url, char(0)) = 0
           then issues.html_url end,
      case when repos.full_name not glob '*[^A-Za-z0-9._/-]*'
           then 'https://github.com/' || repos.full_name || '/issues/' || issues.number end,
      'https://github.com/'
    )) as atom_link,
    xml_text('<p>' || counts.week_comments || ' comments from ' || counts.commenters
      || ' people this week (' || coalesce(issues.state, '?') || ' '
      || case issues.type when 'pull' then 'pull request' else 'issue' end || ').</p><p>'
      || replace(replace(replace(replace(replace(replace(coalesce(nullif(substr(issues.body, 1, 1500), ''), 'No description.'), '&', '&amp;'), '<', '&lt;'),
      '>', '&gt;'), '"', '&quot;'), '''', '&#39;'),
         char(10), '<br>') || '</p>') as atom_content_html,
    xml_text(coalesce(users.login, 'unknown')) as atom_author_name
  from counts
  join issues on issues.id = counts.issue
  left join repos on repos.id = issues.repo
  left join users on users.id = issues.user
  where not coalesce(users.is_bot, 0) and coalesce(users.type, '') != 'Bot'
    and coalesce(users.login, '') not like '%[bot]'
  order by counts.week_comments desc, counts.commenters desc, repos.full_name, issues.number
  limit 25
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null, null, null,
  'tracker:busiest_this_week:' || coalesce((select id from week), 'invalid-week'),
  'No comments in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>Nobody commented on an issue or pull request in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by week_comments desc, commenters desc, repo, number
