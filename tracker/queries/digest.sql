-- The weekly "Tracking Jupyter" digest as a feed: /{db}/digest.atom
-- Complete weeks only (the running week is on the web, marked "in progress",
-- never in a feed), the latest :weeks (blank = 26), newest first. Links are
-- absolute: TRACKER_BASE_URL when set, else the request's Host header (checked
-- to be a plain host name, as the content is passed to readers unsanitised).
-- Quiet weeks (nothing but counts: digests.quiet, digest.quiet: skip) are left
-- out; monthly issues have their own feed (digest_monthly).
-- Never empty: a placeholder row stands in, because datasette-atom 0.9
-- answers 500 on an empty result; every row has a link and content and an
-- atom_updated ending in Z (its other 500s).
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
    and coalesce(period, 'week') = 'week'
  order by week desc
  limit coalesce(cast(nullif(trim(:weeks), '') as integer), 26)
)
select
  week,
  xml_text(title) as atom_title,
  xml_text(atom_id) as atom_id,
  atom_updated,
  (select base from site) || case when atom_link glob '/digest/?*'
      and atom_link not glob '*[^A-Za-z0-9/-]*' and instr(atom_link, char(0)) = 0
    then atom_link else '/digest' end as atom_link,
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
  'Tracking Jupyter: no complete week yet',
  'tag:tracking-jupyter.github.io,2026:digest/none',
  '2026-01-01T00:00:00Z',
  (select base from site) || '/digest',
  '<p>No week has been completed and digested yet. Run <code>tracker harvest</code> or <code>tracker digest</code>.</p>',
  'Tracking Jupyter',
  null,
  null,
  null
where not exists (select 1 from complete)
order by week desc
