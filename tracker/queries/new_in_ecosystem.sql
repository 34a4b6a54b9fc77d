-- "New in the ecosystem": repositories that discovery (github.topics and
-- github.search, tracker/harvest/discovery.py) found and that were created in
-- the week, or first seen in it. A source's first run finds every existing
-- match at once; those are its backfill, not news, so "first seen" counts only
-- rows a source added after its first run. Ranked by stars. :topic keeps repos
-- found by topic:TOPIC or carrying that GitHub topic (blank = all).
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are http(s) or a fixed fallback; harvested text is
-- stripped of characters XML 1.0 forbids, then escaped with nested replace()
-- (& first), never raw. tracker/digest/ecosystem.py computes the same list.
with week as (/* include _week.sql */),
discovery as (
  select repo, source, first_seen_at from repo_sources
  where source like 'topic:%' or source like 'search:%'
),
backfill as (select source, min(first_seen_at) as began from discovery group by source),
found as (
  select d.repo,
    min(case when d.first_seen_at > b.began then d.first_seen_at end) as discovered_at,
    group_concat(d.source, ', ') as sources
  from discovery d join backfill b on b.source = d.source
  group by d.repo
),
picked as (
  select repos.*, found.discovered_at, found.sources,
    users.login as owner_login
  from found
  join repos on repos.id = found.repo
  left join users on users.id = repos.owner
  where repos.missing_since is null
    and ((repos.created_at >= (select start from week) and repos.created_at < (select stop from week))
      or (found.discovered_at >= (select start from week) and found.discovered_at < (select stop from week)))
    and (coalesce(trim(:topic), '') = ''
      or exists (select 1 from discovery x where x.repo = repos.id
                 and x.source = 'topic:' || lower(trim(:topic)))
      or exists (select 1 from json_each(case when json_valid(repos.topics) then repos.topics else '[]' end)
                 where lower(value) = lower(trim(:topic))))
),
-- Characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE, U+FFFF) are
-- removed in three layers: thirty nested replace() calls overflow SQLite's parser.
raw as (
  select id,
    coalesce(nullif(description, ''), 'No description.') as d,
    coalesce(full_name, name, 'repository ' || id) as n,
    coalesce(owner_login, 'unknown') as o,
    coalesce((select group_concat(value, ', ') from json_each(
      case when json_valid(topics) then topics else '[]' end)), '') as t
  from picked
),
clean1 as (
  select id,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(d, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), ''), char(7), ''), char(8), ''), char(11), ''), char(12), '') as d,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(n, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), ''), char(7), ''), char(8), ''), char(11), ''), char(12), '') as n,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(o, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), ''), char(7), ''), char(8), ''), char(11), ''), char(12), '') as o,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t, char(1), ''), char(2), ''), char(3), ''), char(4), ''), char(5), ''), char(6), ''), char(7), ''), char(8), ''), char(11), ''), char(12), '') as t
  from raw
),
clean2 as (
  select id,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(d, char(14), ''), char(15), ''), char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), ''), char(22), ''), char(23), '') as d,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(n, char(14), ''), char(15), ''), char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), ''), char(22), ''), char(23), '') as n,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(o, char(14), ''), char(15), ''), char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), ''), char(22), ''), char(23), '') as o,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t, char(14), ''), char(15), ''), char(16), ''), char(17), ''), char(18), ''), char(19), ''), char(20), ''), char(21), ''), char(22), ''), char(23), '') as t
  from clean1
),
clean3 as (
  select id,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(d, char(24), ''), char(25), ''), char(26), ''), char(27), ''), char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(65534), ''), char(65535), '') as d,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(n, char(24), ''), char(25), ''), char(26), ''), char(27), ''), char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(65534), ''), char(65535), '') as n,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(o, char(24), ''), char(25), ''), char(26), ''), char(27), ''), char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(65534), ''), char(65535), '') as o,
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t, char(24), ''), char(25), ''), char(26), ''), char(27), ''), char(28), ''), char(29), ''), char(30), ''), char(31), ''), char(65534), ''), char(65535), '') as t
  from clean2
),
items as (
  select
    full_name as repo,
    description,
    topics,
    owner_login as owner,
    stargazers_count as stars,
    language,
    created_at,
    discovered_at as first_seen_at,
    case when created_at >= (select start from week) and created_at < (select stop from week)
      then 'created' else 'first seen' end as why,
    sources,
    'tracker:ecosystem:' || picked.id as atom_id,
    'New in the ecosystem: ' || clean3.n as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ',
               case when created_at >= (select start from week) and created_at < (select stop from week)
                 then created_at else discovered_at end),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    coalesce(
      case when (html_url like 'https://%' or html_url like 'http://%')
            and html_url not glob ('*[<>"'' ' || char(9, 10, 13) || ']*')
           then html_url end,
      case when full_name not glob '*[^A-Za-z0-9._/-]*'
           then 'https://github.com/' || full_name end,
      'https://github.com/'
    ) as atom_link,
    '<p>' || replace(replace(replace(replace(replace(clean3.d, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;') || '</p><p>'
      || coalesce(stargazers_count, 0) || ' stars'
      || case when clean3.t != '' then '; topics: ' || replace(replace(replace(replace(replace(clean3.t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;') else '' end
      || '.</p>' as atom_content_html,
    clean3.o as atom_author_name
  from picked join clean3 on clean3.id = picked.id
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null, null, null, null,
  'tracker:new_in_ecosystem:' || coalesce((select id from week), 'invalid-week')
    || case when trim(coalesce(:topic, '')) not glob '*[^A-Za-z0-9-]*'
         then ':' || lower(trim(coalesce(:topic, ''))) else '' end,
  'Nothing new in the ecosystem in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>No discovered repository was created or first seen in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by stars desc, repo
