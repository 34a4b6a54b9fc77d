-- The weekly "Tracking Jupyter" digest as a feed: /{db}/digest.atom
-- Newest week first, in datasette-atom's column names. Never empty: when no
-- digest has been built yet a placeholder row stands in, because
-- datasette-atom 0.9 answers 500 on an empty result. Every row has a link
-- and content and an atom_updated ending in Z (its other 500s).
select
  week,
  title as atom_title,
  atom_id,
  atom_updated,
  coalesce(atom_link, '/digest/' || week) as atom_link,
  coalesce(atom_content_html, '<p>' || title || '</p>') as atom_content_html,
  'Tracking Jupyter' as atom_author_name,
  period_start,
  period_end
from digests
where atom_updated like '%Z' and title is not null
union all
select
  '0000-W00',
  'Tracking Jupyter: no digest yet',
  'tag:tracking-jupyter.github.io,2026:digest/none',
  '2026-01-01T00:00:00Z',
  '/',
  '<p>No weekly digest has been built yet. Run <code>tracker harvest</code> or <code>tracker digest</code>.</p>',
  'Tracking Jupyter',
  null,
  null
where not exists (
  select 1 from digests where atom_updated like '%Z' and title is not null
)
order by week desc
limit 104
