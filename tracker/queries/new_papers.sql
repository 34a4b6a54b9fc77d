-- "New papers": papers (papers: in tracker.yml; arXiv, JOSS, Zenodo, one row per
-- paper, tracker/sources/papers/identity.py) first published in the week, with
-- authors and venue. tracker/digest/papers.py computes the same list.
-- Feed rules as in upcoming_events.sql: never empty, atom_updated ends in Z,
-- content on every row, safe_link() links only, text xml_text() / html_text().
with week as (/* include _week.sql */),
picked as (
  select p.*, xml_text(p.title) as t, xml_text(coalesce(p.venue, '')) as v,
    xml_text(coalesce((select group_concat(value, ', ') from json_each(
      case when json_valid(p.authors) then p.authors else '[]' end)), '')) as a
  from papers p
  where p.published >= (select start from week) and p.published < (select stop from week)
),
items as (
  select
    id as paper, title,
    a as authors, venue, published, doi, arxiv_id,
    case when json_valid(sources) then (select group_concat(value, ', ') from json_each(sources)) end as sources,
    synthetic,
    'tracker:paper:' || xml_text(id) as atom_id,
    'New paper: ' || t as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', published), (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(url,
      case when doi = xml_text(doi) and doi not glob ('*[^A-Za-z0-9._;()/:-]*') then 'https://doi.org/' || doi end,
      case when arxiv_id = xml_text(arxiv_id) and arxiv_id not glob ('*[^A-Za-z0-9./-]*') then 'https://arxiv.org/abs/' || arxiv_id end,
      'https://jupyter.org/') as atom_link,
    '<p>' || html_text(a) || '</p>'
      || case when v != '' then '<p>' || html_text(v) || '</p>' else '' end
      as atom_content_html,
    coalesce(nullif(a, ''), 'unknown') as atom_author_name
  from picked
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null, null, null,
  'tracker:new_papers:' || coalesce((select id from week), 'invalid-week'),
  'No new paper in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://jupyter.org/',
  '<p>No tracked paper was first published in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by published, title, paper
