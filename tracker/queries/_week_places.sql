-- The places (release_places rows) _project_releases.sql needs to tell the
-- versions that have a place in the week (`week`: start, stop) exactly: every
-- place of those versions, and each of their projects' earliest place (its
-- first_release rule); read through indexes, each range or repository put on a
-- kind of place's own view (SQLite pushes neither into the release_places
-- union). A project's places share its repository or name it (lower(full_name)).
places as (
  with hits as (
    select lower(project) as key, version, repo from github_release_places
    where published_at >= (select start from week) and published_at < (select stop from week)
    union
    select lower(project), version, repo from package_release_places
    where published_at >= (select start from week) and published_at < (select stop from week)
  ),
  scope as (  -- every place of the week's projects, only the columns that find them
    select lower(project) as key, version, published_at, github_release as id,
           null as registry, null as package
    from github_release_places
    where repo in (select id from repos where lower(full_name) in (select key from hits)
                   union select repo from hits where repo is not null)
      and lower(project) in (select key from hits)
    union all
    select lower(project), version, published_at, null, registry, package
    from package_release_places where lower(project) in (select key from hits)
  ),
  wanted as (
    select id, registry, package, version from scope
    where (key, version) in (select key, version from hits)
    union
    select id, registry, package, version from scope
    where (key, published_at) in (select key, min(published_at) from scope group by key)
  )
  select * from github_release_places
  where github_release in (select id from wanted where id is not null)
  union all
  select * from package_release_places
  where (registry, package, version) in (select registry, package, version from wanted
                                         where package is not null)
)
