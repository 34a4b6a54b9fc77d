-- Every project version first published in the week, wherever it shipped (a
-- GitHub release, PyPI, npm, conda-forge): one row per version (the
-- project_releases view), with where it appeared, whether a GitHub release
-- exists, and security advisories from either side. A version yanked (or npm
-- deprecated) everywhere it appeared is left out. The digest's releases section
-- tells the same versions (tracker/registries/digest.py, tracker/digest).
-- Feed rules as in releases_this_week.sql: never empty, atom_updated ends in Z,
-- content on every row, safe_link() links only, text xml_text() / html_text().
-- Only the week's projects' places are read (_week_places.sql), then told as
-- the project_releases view tells them (_project_releases.sql): 2.5 s -> 15 ms
-- at 50k releases (#26).
with week as (/* include _week.sql */),
places as (/* include _week_places.sql */),
project_versions as (/* include _project_releases.sql */),
picked as (
  select v.*, xml_text(v.project) as p, xml_text(v.version) as ver,
    xml_text(coalesce(v.places, '')) as pl, xml_text(coalesce(v.advisories, '')) as adv
  from project_versions v
  where v.published_at >= (select start from week) and v.published_at < (select stop from week)
    and not coalesce(v.yanked, 0)
),
items as (
  select
    project, version, published_at, places, on_github, security, advisories, prerelease,
    yanked, first_release, packages, synthetic,
    'tracker:project-release:' || p || ':' || ver as atom_id,
    p || ' ' || ver
      || case when prerelease then ' (pre-release)' else '' end
      || case when security then ' (security)' else '' end
      || ' on ' || pl as atom_title,
    coalesce(strftime('%Y-%m-%dT%H:%M:%SZ', published_at),
             (select start from week) || 'T00:00:00Z') as atom_updated,
    safe_link(url, 'https://pypi.org/') as atom_link,
    '<p>' || html_text(p || ' ' || ver || ' on ' || pl
                       || case when on_github then '' else ' (no GitHub release)' end) || '</p>'
      || case when adv != '' then '<p>Security advisories: ' || html_text(adv) || '</p>'
         else '' end as atom_content_html,
    p as atom_author_name
  from picked
)
select (select id from week) as week, * from items
union all
select (select id from week), null, null, null, null, null, null, null, null, null, null,
  null, null,
  'tracker:package_releases_this_week:' || coalesce((select id from week), 'invalid-week'),
  'No release in ' || coalesce((select id from week), 'this week (invalid week)'),
  coalesce((select stop from week) || 'T00:00:00Z', strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  'https://pypi.org/',
  '<p>No tracked project published a version in this week.</p>',
  'tracker'
where not exists (select 1 from items)
order by published_at, project, version
