-- "New in the ecosystem": repositories that discovery (github.topics and
-- github.search, tracker/harvest/discovery.py) found and that were created in
-- the week, or first seen in it. "First seen" is news only after the source's
-- first complete sweep (discovered_repos.discovered_at, tracker/facts.py): what
-- that sweep found existed already. Ranked by stars. :topic keeps repos
-- found by topic:TOPIC or carrying that GitHub topic (blank = all).
-- Feed rules (datasette-atom 0.9 answers 500 otherwise): never empty (a
-- placeholder row stands in), atom_updated always ends in Z, every row has a
-- link and content. Links are safe_link() (http(s) or a fixed fallback);
-- harvested text is xml_text() / html_text(), never raw.
-- tracker/digest/ecosystem.py computes the same list.
with week as (/* include _week.sql */),
picked as (
  select repos.*, found.discovered_at, found.sources,
    users.login as owner_login
  from discovered_repos as found
  join repos on repos.id = found.repo
  left join users on users.id = repos.owner
  where repos.missing_since is null
    and ((repos.created_at >= (select start from week) and repos.created_at < (select stop from week))
      or (found.discovered_at >= (select start from week) and found.discovered_at < (select stop from week)))
    and (coalesce(trim(:topic), '') = ''
      or exists (select 1 from discovery_finds x where x.repo = repos.id
                 and x.source = 'topic:' || lower(trim(:topic)))
      or exists (select 1 from json_each(case when json_valid(repos.topics) then repos.topics else '[]' end)
                 where lower(value) = lower(trim(:topic))))
),
raw as (
  select id,
    coalesce(nullif(description, ''), 'No description.') as d,
    coalesce(full_name, name, 'repository ' || id) as n,
    coalesce(owner_login, 'unknown') as o,
    coalesce((select group_concat(value, ', ') from json_each(
      case when json_valid(topics) then topics else '[]' end)), '') as t
  from picked
),
-- ANSI escapes and characters XML 1.0 forbids removed (xml_text = tracker.safe.clean).
clean as (
  select id, xml_text(n) as n, xml_text(o) as o, html_text(d) as d, html_text(t) as t from raw
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
    'New in the ecosystem: ' || clean.n as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ',
               case when created_at >= (select start from week) and created_at < (select stop from week)
                 then created_at else discovered_at end),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(html_url, 'https://github.com/' || full_name, 'https://github.com/') as atom_link,
    '<p>' || clean.d || '</p><p>' || coalesce(stargazers_count, 0) || ' stars'
      || case when clean.t != '' then '; topics: ' || clean.t else '' end
      || '.</p>' as atom_content_html,
    clean.o as atom_author_name
  from picked join clean on clean.id = picked.id
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
