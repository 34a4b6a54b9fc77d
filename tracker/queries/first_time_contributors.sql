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
first_timers as (/* include _first_timers.sql */),
-- Sorted before any feed text is made, and read by a query with no ORDER BY of
-- its own: SQLite keeps a FROM-clause subquery's ORDER BY then (it drops it only
-- under an outer ORDER BY or in a join, select.c "omit superfluous ORDER BY"),
-- so the text below is made row by row as rows are read. Datasette reads at most
-- max_returned_rows + 1 of them (1,001): at 1M issues the week has 5,403, and
-- making the text of all of them first (5 Python calls a row) was a third of
-- the query.
ordered as materialized (
  select *,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', created_at),
             (select start from week) || 'T00:00:00Z') as atom_updated
  from first_timers
  order by new_to_ecosystem desc, atom_updated desc
)
select
  (select id from week) as week,
  login as contributor,
  full_name as repo,
  new_to_ecosystem,
  type,
  number,
  title,
  created_at as first_at,
  -- Numbers only: nothing in it for xml_text() to clean (a Python call a row).
  'tracker:first-contribution:' || user || ':' || ordered.repo as atom_id,
  xml_text(coalesce(login, '?') || ': first '
    || case type when 'pull' then 'pull request' else 'issue' end
    || ' in ' || coalesce(full_name, '?')
    || case when new_to_ecosystem then ' (new to the ecosystem)' else '' end
   ) as atom_title,
  atom_updated,
  safe_link(html_url,
    'https://github.com/' || full_name || '/issues/' || number,
    'https://github.com/') as atom_link,
  '<p>' || html_text(coalesce(login, '?')) || ' opened #' || coalesce(number, '?')
    || ': ' || html_text(coalesce(title, '')) || '</p>' as atom_content_html,
  xml_text(coalesce(login, 'unknown')) as atom_author_name
from ordered
union all
select (select id from week), null, null, null, null, null, null, null,
  'tracker:first_time_contributors:' || coalesce((select id from week), 'invalid-week'),
  'No first-time contributors in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://github.com/',
  '<p>Nobody opened their first issue or pull request in a followed repository in this week.</p>',
  'tracker'
-- ordered is materialized once: asking it again costs nothing.
where not exists (select 1 from ordered)
