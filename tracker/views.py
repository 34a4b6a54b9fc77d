"""The derived views every query, chart and digest section reads (created by
``db.ensure_views``). The shared facts (people, live issues, weeks) are in
tracker/facts.py; these are the summaries built on them."""

from .canned import expand
from .weeks import WEEK_START_SQL as WEEK

# Earliest authored issue or PR per user and repo; "first-time contributor this
# week" is then a lookup on first_contributions.
VIEWS = {
    # #25 (tracker/harvest/history.py): up to which week (Monday, exclusive) a
    # repo's stargazers or forks listing is exact: always, unless GitHub's page
    # cap cut it, then up to the week of the last entry it would list (later
    # weeks come from repo_stats snapshots). Only listings walked at least once.
    # #26: the week in built-in SQL (week_start()'s rule), not a Python call per row.
    "history_exact": f"""
        select repo, stream, case when coalesce(capped, 0) = 1
               then coalesce({WEEK.format('capped_after')}, '0000-00-00')
               else '9999-12-31' end as exact_until
        from history_coverage where github_count is not null
    """,
    # Stars and forks gained per repository and week (Monday), exactly, from
    # the listings: entries still present, by the week they were made.
    # #26: counted at write time (history_listed_weekly, tracker/star_summaries.py);
    # a count fallen to zero stays there until a rebuild.
    "history_weekly": """
        select l.repo as repo, l.week as week, l.stream as stream, l.gained as gained
        from history_listed_weekly l
        join history_exact e on e.repo = l.repo and e.stream = l.stream
        where l.gained > 0 and l.week < e.exact_until
    """,
    # Stars gained per repository and week, one definition for the dashboard,
    # stars_per_week, the digest's "stars gained" and "Rising": exact from the
    # listing where it is held ('listing'); else from the week's last repo_stats
    # snapshot minus the previous week's ('snapshot'). A repo's first snapshot
    # week carries its level then ('baseline', not a gain), and past GitHub's cap
    # the first snapshot carries what accrued since the cap ('backlog'): summed
    # over time, every row gives the star count, only 'listing' and 'snapshot'
    # rows are gains made in their week.
    # #26: from the summaries of tracker/star_summaries.py (each week's last
    # snapshot and the one before it), not by grouping repo_stats per request.
    "stars_weekly": """
        with tail as (
            -- prev: the previous snapshot week's level when that week is past
            -- the listing's exact part too (else the listing counted it).
            select s.repo, s.week, s.stargazers as n,
                   case when x.repo is null or s.prev_week >= x.exact_until
                        then s.prev end as prev,
                   x.exact_until, x.repo is not null as listed_before
            from stars_snapshot_weekly s
            left join history_exact x on x.repo = s.repo and x.stream = 'stargazers'
            where x.repo is null or s.week >= x.exact_until
        )
        select repo, week, gained, 'listing' as source from history_weekly
        where stream = 'stargazers'
        union all
        -- The stars counted as 'listing' rows (before exact_until) are summed
        -- only for a repository's first week past them (coalesce stops early).
        select repo, week, n - coalesce(prev, case when exact_until < '9999' then (
                   select coalesce(sum(l.gained), 0) from history_listed_weekly l
                   where l.repo = tail.repo and l.stream = 'stargazers'
                     and l.week < tail.exact_until) end, 0),
               case when prev is not null then 'snapshot' when listed_before then 'backlog'
                    else 'baseline' end
        from tail
    """,
    # #22: where each version of a project appeared, one row per place (a GitHub
    # release, a PyPI, npm or conda-forge package release). The project is the linked
    # repository, else the package name (PEP 503-ish, so a PyPI and a conda-forge build
    # of one name meet); versions meet with a leading v dropped.
    # #26: one view per kind of place, release_places their union, so a query with
    # a range taken from a subquery (the week) can put it on one kind's view, where
    # it reaches the table's index: SQLite pushes no such term into a union view.
    "github_release_places": """
        select coalesce(repos.full_name, 'repo ' || r.repo) as project, r.repo as repo,
               ltrim(coalesce(r.tag_name, r.name), 'vV') as version,
               'GitHub' as place, 0 as rank, r.published_at as published_at,
               r.html_url as url, coalesce(r.prerelease, 0) as prerelease, 0 as yanked,
               -- the one rule of a security release and its ids (tracker/security.py)
               security_advisories(cast(r.name as blob), cast(r.tag_name as blob),
                                   cast(r.body as blob)) as advisories,
               security_release(cast(r.name as blob), cast(r.tag_name as blob),
                                cast(r.body as blob)) as security,
               r.id as github_release, null as registry, null as package,
               0 as first_release, 0 as synthetic
        from releases r left join repos on repos.id = r.repo
        where not coalesce(r.draft, 0) and r.published_at is not null
    """,
    "package_release_places": """
        select coalesce(repos.full_name,
                        case when p.repository_url like 'https://github.com/%/%'
                             then substr(p.repository_url, 20) end,
                        lower(replace(replace(pr.name, '_', '-'), '.', '-'))) as project,
               p.repo as repo, pr.version as version,
               case pr.registry when 'pypi' then 'PyPI' when 'npm' then 'npm'
                    else 'conda-forge' end as place,
               case pr.registry when 'pypi' then 1 when 'npm' then 2 else 3 end as rank,
               pr.published_at as published_at, pr.url as url,
               coalesce(pr.prerelease, 0) as prerelease,
               coalesce(pr.yanked, 0) or pr.deprecated is not null as yanked,
               (select group_concat(a.value, ', ') from json_each(
                    case when json_valid(pr.advisories) then pr.advisories else '[]' end) a)
                 as advisories,
               coalesce(json_array_length(case when json_valid(pr.advisories)
                                          then pr.advisories end), 0) > 0 as security,
               null as github_release, pr.registry as registry, pr.name as package,
               pr.published_at = (select min(o.published_at) from package_releases o
                                  where o.registry = pr.registry and o.name = pr.name)
                 as first_release,
               coalesce(pr.synthetic, 0) as synthetic
        from package_releases pr
        join packages p on p.registry = pr.registry and p.name = pr.name
        left join repos on repos.id = p.repo
        where pr.published_at is not null
    """,
    "release_places": """
        select * from github_release_places
        union all
        select * from package_release_places
    """,
    # One row per project version wherever it appeared: tracker/queries/
    # _project_releases.sql over every place (the one definition, which the week's
    # queries run over the places of that week's projects only).
    "project_releases": expand("""
        with places as (select * from release_places),
        project_versions as (/* include _project_releases.sql */)
        select * from project_versions
    """),
    "first_contributions_per_repo": """
        select issues.user as user, issues.repo as repo,
               min(issues.created_at) as first_at
        from issues where issues.user is not null
        group by issues.user, issues.repo
    """,
    "first_contributions": """
        select issues.user as user, min(issues.created_at) as first_at
        from issues where issues.user is not null
        group by issues.user
    """,
}
