-- The monthly "Tracking Jupyter" digest as a feed: /{db}/digest_monthly.atom
-- (digest.period: month), built like digest.sql over the monthly rows.
-- Complete months only, the latest :months (blank = 12), newest first, quiet
-- ones left out; links absolute as in digest.sql. Never empty: a placeholder
-- row stands in (datasette-atom 0.9 answers 500 on an empty result).
with site as (
  select coalesce(nullif(tracker_base_url(), ''),
    case when coalesce(:_header_host, '') != ''
          and :_header_host not glob '*[^A-Za-z0-9.:-]*'
      then case when :_header_x_forwarded_proto = 'https' then 'https' else 'http' end
           || '://' || :_header_host
      else '' end) as base
),
complete as (
  select * from digests
  where atom_updated like '%Z' and title is not null and content_html is not null
    and period_end < date('now') and not coalesce(quiet, 0)
    and period = 'month'
  order by week desc
  limit coalesce(cast(nullif(trim(:months), '') as integer), 12)
)
select
  week,
  xml_text(title) as atom_title,
  xml_text(atom_id) as atom_id,
  atom_updated,
  (select base from site) || case when atom_link glob '/digest/?*'
      and atom_link not glob '*[^A-Za-z0-9/-]*' and instr(atom_link, char(0)) = 0
    then atom_link else '/digest-monthly' end as atom_link,
  xml_text(replace(coalesce(atom_content_html, '<p>' || title || '</p>'),
                   'href="/', 'href="' || (select base from site) || '/')) as atom_content_html,
  'Tracking Jupyter' as atom_author_name,
  headline,
  period_start,
  period_end
from complete
union all
select
  '0000-W00',
  'Tracking Jupyter: no complete month yet',
  'tag:tracking-jupyter.github.io,2026:digest/month/none',
  '2026-01-01T00:00:00Z',
  (select base from site) || '/digest-monthly',
  '<p>No month has been completed and digested yet (digest.period: month). Run <code>tracker harvest</code> or <code>tracker digest</code>.</p>',
  'Tracking Jupyter',
  null,
  null,
  null
where not exists (select 1 from complete)
order by week desc
