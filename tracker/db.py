"""Schema, migrations, indexes, full-text search and views.

Table and column names follow github-to-sqlite wherever both projects hold the
same data, so queries written for Jupyter's github-to-sqlite databases run here
unchanged. Every table is created up front (queries and feeds must work on an
empty database); harvesters upsert with ``alter=True`` so extra API fields land
as extra columns instead of failing.
"""

import sqlite_utils

from . import schema_history as history

# The current schema: a new file gets exactly this; MIGRATIONS bring older files
# up to it (tests/test_schema.py). Column order is the order shown in Datasette.
TABLES = {
    "users": (
        {
            "id": int, "login": str, "node_id": str, "avatar_url": str,
            "gravatar_id": str, "html_url": str, "type": str, "site_admin": int,
            "name": str, "user_view_type": str, "is_bot": int,
        },
        {"pk": "id"},
    ),
    "licenses": (
        {"key": str, "name": str, "spdx_id": str, "node_id": str},
        {"pk": "key"},
    ),
    "repos": (
        {
            "id": int, "node_id": str, "name": str, "full_name": str, "owner": int,
            "private": int, "html_url": str, "description": str, "fork": int,
            "homepage": str, "language": str, "forks_count": int,
            "stargazers_count": int, "watchers_count": int, "size": int,
            "default_branch": str, "open_issues_count": int, "is_template": int,
            "topics": str, "has_issues": int, "has_projects": int, "has_wiki": int,
            "has_pages": int, "has_downloads": int, "has_discussions": int,
            "archived": int, "disabled": int, "visibility": str, "pushed_at": str,
            "created_at": str, "updated_at": str, "permissions": str,
            "allow_forking": int, "web_commit_signoff_required": int,
            "license": str, "organization": int, "forks": int, "open_issues": int,
            "watchers": int, "subscribers_count": int, "network_count": int,
            # Ours: where the repo came from, and what became of it.
            "tracked_via": str, "first_seen_at": str, "last_harvested_at": str,
            "missing_since": str, "renamed_from": str,
            # Why GitHub no longer shows it: "404 Not Found", "451 Repository
            # access blocked (dmca)", ... (tracker/harvest/repos.py).
            "missing_reason": str,
        },
        {
            "pk": "id",
            "foreign_keys": [
                ("owner", "users", "id"),
                ("organization", "users", "id"),
                ("license", "licenses", "key"),
            ],
        },
    ),
    "repo_stats": (
        {
            "repo": int, "harvested_at": str, "stargazers_count": int,
            "forks_count": int, "watchers_count": int, "subscribers_count": int,
            "open_issues_count": int, "size": int,
        },
        {"pk": ("repo", "harvested_at"), "foreign_keys": [("repo", "repos", "id")]},
    ),
    "releases": (
        {
            "html_url": str, "id": int, "node_id": str, "tag_name": str,
            "target_commitish": str, "name": str, "draft": int, "author": int,
            "prerelease": int, "created_at": str, "published_at": str, "body": str,
            "repo": int,
        },
        {
            "pk": "id",
            "foreign_keys": [("author", "users", "id"), ("repo", "repos", "id")],
        },
    ),
    "assets": (
        {
            "id": int, "node_id": str, "name": str, "label": str, "uploader": int,
            "content_type": str, "state": str, "size": int, "download_count": int,
            "created_at": str, "updated_at": str, "release": int,
        },
        {
            "pk": "id",
            "foreign_keys": [("uploader", "users", "id"), ("release", "releases", "id")],
        },
    ),
    "milestones": (
        {
            "html_url": str, "id": int, "node_id": str, "number": int, "title": str,
            "description": str, "creator": int, "open_issues": int,
            "closed_issues": int, "state": str, "created_at": str,
            "updated_at": str, "due_on": str, "closed_at": str, "repo": int,
        },
        {
            "pk": "id",
            "foreign_keys": [("creator", "users", "id"), ("repo", "repos", "id")],
        },
    ),
    "issues": (
        {
            "id": int, "node_id": str, "number": int, "title": str, "user": int,
            "state": str, "locked": int, "assignee": int, "milestone": int,
            "comments": int, "created_at": str, "updated_at": str,
            "closed_at": str, "author_association": str, "pull_request": str,
            "body": str, "repo": int, "type": str, "active_lock_reason": str,
            "performed_via_github_app": str, "reactions": str, "state_reason": str,
            # Ours: pull request facts carried by the issues payload, and a link.
            "draft": int, "merged_at": str, "html_url": str,
            # Ours: an issue that left its repo (tracker/harvest/reconcile.py); kept as history.
            "transferred_to": str, "transferred_at": str, "deleted_at": str,
        },
        {
            "pk": "id",
            "foreign_keys": [
                ("user", "users", "id"),
                ("assignee", "users", "id"),
                ("milestone", "milestones", "id"),
                ("repo", "repos", "id"),
            ],
        },
    ),
    "labels": (
        {
            "id": int, "node_id": str, "url": str, "name": str, "color": str,
            "default": int, "description": str,
        },
        {"pk": "id"},
    ),
    "issues_labels": (
        {"issues_id": int, "labels_id": int},
        {
            "pk": ("issues_id", "labels_id"),
            "foreign_keys": [("issues_id", "issues", "id"), ("labels_id", "labels", "id")],
        },
    ),
    "pull_requests": (
        {
            "id": int, "node_id": str, "number": int, "state": str, "locked": int,
            "title": str, "user": int, "body": str, "created_at": str,
            "updated_at": str, "closed_at": str, "merged_at": str,
            "merge_commit_sha": str, "assignee": int, "milestone": int,
            "draft": int, "head": str, "base": str, "author_association": str,
            "auto_merge": str, "repo": int, "url": str, "merged_by": int,
            # Ours: branch names (github-to-sqlite keeps only the shas).
            "head_ref": str, "base_ref": str,
        },
        {
            "pk": "id",
            "foreign_keys": [
                ("user", "users", "id"),
                ("merged_by", "users", "id"),
                ("assignee", "users", "id"),
                ("milestone", "milestones", "id"),
                ("repo", "repos", "id"),
            ],
        },
    ),
    "issue_comments": (
        {
            "html_url": str, "issue_url": str, "id": int, "node_id": str,
            "user": int, "created_at": str, "updated_at": str,
            "author_association": str, "body": str, "reactions": str,
            "performed_via_github_app": str, "issue": int,
            # Ours: the repo, so comments can be counted without the issue.
            "repo": int, "issue_number": int,
        },
        {
            "pk": "id",
            "foreign_keys": [
                ("user", "users", "id"),
                ("issue", "issues", "id"),
                ("repo", "repos", "id"),
            ],
        },
    ),
    "contributors": (
        {"repo_id": int, "user_id": int, "contributions": int},
        {
            "pk": ("repo_id", "user_id"),
            "foreign_keys": [("repo_id", "repos", "id"), ("user_id", "users", "id")],
        },
    ),
    "raw_authors": ({"id": str, "name": str, "email": str}, {"pk": "id"}),
    "commits": (
        {
            "sha": str, "message": str, "author_date": str, "committer_date": str,
            "raw_author": str, "raw_committer": str, "repo": int, "author": int,
            "committer": int,
        },
        {
            "pk": "sha",
            "foreign_keys": [
                ("author", "users", "id"),
                ("committer", "users", "id"),
                ("raw_author", "raw_authors", "id"),
                ("raw_committer", "raw_authors", "id"),
                ("repo", "repos", "id"),
            ],
        },
    ),
    "feeds": (
        {
            "url": str, "title": str, "site_link": str, "tags": str, "etag": str,
            "last_modified": str, "last_fetched": str, "last_status": int,
            "last_error": str, "entry_count": int, "last_warning": str,
        },
        {"pk": "url"},
    ),
    "feed_entries": (
        {
            # id is "<feed url> <entry_id>": entry_id is the feed's own guid,
            # else the link, else a hash, and is only unique within one feed.
            "id": str, "entry_id": str, "feed": str, "title": str, "link": str,
            "author": str, "published": str, "updated": str, "date_is_first_seen": int,
            "summary": str, "tags": str, "first_seen": str,
        },
        {"pk": "id", "foreign_keys": [("feed", "feeds", "url")]},
    ),
    "digests": (
        {
            "week": str, "period_start": str, "period_end": str, "title": str,
            "content_html": str, "content_md": str, "generated_at": str,
            "editor_note": str, "atom_id": str, "atom_updated": str,
            "atom_link": str, "atom_content_html": str, "headline": str,
            # #21: 'week' (id 2026-W47) or 'month' (id 2026-11); quiet = nothing but
            # counts; the ordered sections as JSON, which every export renders.
            "period": str, "quiet": int, "section_count": int, "sections_json": str,
        },
        {"pk": "week"},
    ),
    # #21: the editor's hand: pin an item as the lead, hide one, comment on one,
    # for one period (a week id or a month); item is an item's id or its URL.
    "digest_edits": (
        {"period_id": str, "item": str, "action": str, "text": str, "created_at": str},
        {"pk": ("period_id", "item", "action")},
    ),
    "harvest_state": (
        {
            "key": str, "etag": str, "last_modified": str, "watermark": str,
            "next_url": str, "location": str, "updated_at": str,
            # A stream walk stopped mid-way (JSON: page reached, dates) and a
            # known permanent answer ("contributor list is too large").
            "checkpoint": str, "permanent": str,
        },
        {"pk": "key"},
    ),
    # Why a repository is in the database besides the watchlist: one row per
    # (repo, source) where source is topic:NAME or search:QUERY (tracker.harvest.discovery).
    "repo_sources": (
        {"repo": int, "source": str, "first_seen_at": str, "last_seen_at": str},
        {"pk": ("repo", "source"), "foreign_keys": [("repo", "repos", "id")]},
    ),
    "harvest_runs": (
        {
            "id": int, "started_at": str, "finished_at": str, "source": str,
            "status": str, "requests": int, "counted_requests": int,
            "not_modified": int, "search_requests": int, "rate_limit_remaining": int,
            "rate_limit_reset": str, "repos": int, "releases": int, "issues": int,
            "comments": int, "feed_entries": int, "errors": int, "error_log": str,
            "exit_code": int,
            # none | token | app: which kind of credentials the run used, never the secret.
            "credentials": str,
        },
        {"pk": "id"},
    ),
    # One row per error of a run: which source, repo/owner/feed, stream, HTTP status.
    "harvest_errors": (
        {
            "id": int, "run": int, "source": str, "target": str, "stream": str,
            "http_status": int, "message": str, "at": str,
        },
        {"pk": "id", "foreign_keys": [("run", "harvest_runs", "id")]},
    ),
    # #23 (tracker/sources/): one row per calendar instance, per paper, per forum topic.
    "events": (
        {
            "calendar": str, "uid": str, "recurrence_id": str, "dtstart": str, "dtend": str,
            "tzid": str, "all_day": int, "summary": str, "location": str, "url": str,
            "description": str, "status": str, "tags": str, "updated_at": str,
            "missing_since": str, "synthetic": int,
        },
        {"pk": ("calendar", "uid", "recurrence_id")},
    ),
    "papers": (
        {
            "id": str, "doi": str, "arxiv_id": str, "title": str, "authors": str,
            "abstract": str, "published": str, "venue": str, "url": str, "sources": str,
            "first_seen_at": str, "synthetic": int,
            # Ours: each source's view of the paper (tracker/sources/papers/identity.py).
            "records": str,
        },
        {"pk": "id"},
    ),
    "discourse_topics": (
        {
            "site": str, "id": int, "title": str, "slug": str, "category": str,
            "created_at": str, "posts_count": int, "reply_count": int, "like_count": int,
            "views": int, "tags": str, "url": str, "synthetic": int,
        },
        {"pk": ("site", "id")},
    ),
    # #25 (tracker/harvest/history.py): who starred or forked a repository, and when.
    # stars is github-to-sqlite's table (user, repo, starred_at); ours adds when a
    # re-walk found a star gone (unstarred_at), and rows of the demo are synthetic.
    "stars": (
        {"user": int, "repo": int, "starred_at": str, "unstarred_at": str, "seen_walk": int,
         "synthetic": int},
        {"pk": ("user", "repo"),
         "foreign_keys": [("user", "users", "id"), ("repo", "repos", "id")]},
    ),
    "forks": (
        {
            "id": int, "repo": int, "owner": int, "full_name": str, "html_url": str,
            "created_at": str, "deleted_at": str, "seen_walk": int, "synthetic": int,
        },
        {"pk": "id", "foreign_keys": [("repo", "repos", "id"), ("owner", "users", "id")]},
    ),
    # One row per repository and listing (stargazers, forks): how much of it is
    # held, what GitHub counts, whether GitHub's page cap cut it (then the part
    # it will not list comes from repo_stats snapshots), and a walk in progress.
    "history_coverage": (
        {
            "repo": int, "stream": str, "github_count": int, "listed": int, "capped": int,
            "listable": int, "capped_after": str, "walk": str, "walks": int, "dirty": int,
            "etag": str, "synced_at": str, "checked_at": str, "walked_at": str,
        },
        {"pk": ("repo", "stream"), "foreign_keys": [("repo", "repos", "id")]},
    ),
    # #22 (tracker/registries/): packages on PyPI, npm and conda-forge and their releases.
    # registry is pypi | npm | conda_forge; name as the registry spells it.
    "packages": (
        {
            "registry": str, "name": str, "summary": str, "repository_url": str, "repo": int,
            "homepage": str, "url": str, "latest_version": str, "advisories": str,
            "first_seen_at": str, "last_harvested_at": str, "missing_since": str,
            "moved_to": str, "synthetic": int,
        },
        {"pk": ("registry", "name"), "foreign_keys": [("repo", "repos", "id")]},
    ),
    # One row per version; a yank or an npm deprecation is a state change, never a deletion.
    "package_releases": (
        {
            "registry": str, "name": str, "version": str, "published_at": str,
            "prerelease": int, "yanked": int, "yanked_reason": str, "deprecated": str,
            "advisories": str, "url": str, "files": int, "first_seen_at": str,
            "updated_at": str, "synthetic": int,
        },
        {"pk": ("registry", "name", "version")},
    ),
    # Why a package is tracked: explicit, repo:OWNER/NAME, classifier:..., keyword:...,
    # pypi:NAME (a conda-forge build of a PyPI package).
    "package_sources": (
        {"registry": str, "name": str, "source": str, "first_seen_at": str,
         "last_seen_at": str},
        {"pk": ("registry", "name", "source")},
    ),
    # #20: when each discovery source's first *complete* sweep ran (the stamp of
    # that run, = the first_seen_at of what it found). Finds up to then are the
    # source's backfill, later ones news (tracker.facts: discovery_finds).
    "discovery_backfills": (
        {"source": str, "completed_at": str},
        {"pk": "source"},
    ),
}

INDEXES = [
    ("repos", ["full_name"]),
    ("repos", ["created_at"]),
    ("users", ["login"]),
    ("releases", ["repo", "published_at"]),
    ("releases", ["published_at"]),
    ("issues", ["repo", "updated_at"]),
    ("issues", ["repo", "number"]),
    # Covering indexes for the weekly queries (bench/queries.py: 289 -> 110 ms
    # for ecosystem_pulse, 2.9 s -> 0.2 s for first-time contributors at 1M issues).
    ("issues", ["created_at", "repo", "type"]),
    ("issues", ["closed_at", "repo", "type"]),
    ("issues", ["merged_at", "repo", "type"]),
    ("issues", ["user", "created_at"]),
    ("issues", ["user", "repo", "created_at"]),
    ("issues", ["state", "type", "updated_at"]),
    ("issues", ["updated_at"]),
    # Covers the digest's commenter counts without fetching each comment row.
    ("issue_comments", ["created_at", "user", "issue"]),
    ("issue_comments", ["issue"]),
    ("issue_comments", ["repo", "issue_number"]),
    ("pull_requests", ["repo", "updated_at"]),
    ("commits", ["repo", "committer_date"]),
    ("commits", ["author_date"]),
    ("feed_entries", ["feed", "published"]),
    ("feed_entries", ["published"]),
    # A release that also arrives through its releases.atom feed is told once (by URL).
    ("releases", ["html_url"]),
    ("repo_stats", ["harvested_at"]),
    ("harvest_errors", ["run"]),
    ("repo_sources", ["source", "first_seen_at"]),
    # #23: "Coming up" and "New papers" select by date.
    ("events", ["dtstart"]),
    ("papers", ["published"]),
    ("papers", ["doi"]),
    ("papers", ["arxiv_id"]),
    ("discourse_topics", ["created_at"]),
    # #25: weekly star and fork counts per repo.
    ("stars", ["repo", "starred_at"]),
    ("forks", ["repo", "created_at"]),
    # #22: the week's package releases; packages of a repository.
    ("package_releases", ["published_at"]),
    ("packages", ["repo"]),
]

FTS = {
    "issues": ["title", "body"],
    "releases": ["name", "body"],
    "repos": ["name", "description"],
    "feed_entries": ["title", "summary"],
}

# Earliest authored issue or PR per user and repo; "first-time contributor this
# week" is then a lookup on first_contributions.
VIEWS = {
    # #25 (tracker/harvest/history.py): up to which week (Monday, exclusive) a
    # repo's stargazers or forks listing is exact: always, unless GitHub's page
    # cap cut it, then up to the week of the last entry it would list (later
    # weeks come from repo_stats snapshots). Only listings walked at least once.
    "history_exact": """
        select repo, stream, case when coalesce(capped, 0) = 1
               then coalesce(week_start(capped_after), '0000-00-00')
               else '9999-12-31' end as exact_until
        from history_coverage where github_count is not null
    """,
    # Stars and forks gained per repository and week (Monday), exactly, from
    # the listings: entries still present, by the week they were made.
    "history_weekly": """
        select s.repo as repo, week_start(s.starred_at) as week,
               'stargazers' as stream, count(*) as gained
        from stars s join history_exact e on e.repo = s.repo and e.stream = 'stargazers'
        where s.unstarred_at is null and s.starred_at is not null
          and s.starred_at < e.exact_until
        group by 1, 2
        union all
        select f.repo, week_start(f.created_at), 'forks', count(*)
        from forks f join history_exact e on e.repo = f.repo and e.stream = 'forks'
        where f.deleted_at is null and f.created_at is not null
          and f.created_at < e.exact_until
        group by 1, 2
    """,
    # Stars gained per repository and week, one definition for the dashboard,
    # stars_per_week, the digest's "stars gained" and "Rising": exact from the
    # listing where it is held ('listing'); else from the week's last repo_stats
    # snapshot minus the previous week's ('snapshot'). A repo's first snapshot
    # week carries its level then ('baseline', not a gain), and past GitHub's cap
    # the first snapshot carries what accrued since the cap ('backlog'): summed
    # over time, every row gives the star count, only 'listing' and 'snapshot'
    # rows are gains made in their week.
    "stars_weekly": """
        with exact as (
            -- listed: the stars counted as 'listing' rows (before exact_until).
            select e.repo, e.exact_until, case when e.exact_until < '9999' then (
                select count(*) from stars s where s.repo = e.repo and s.unstarred_at is null
                and s.starred_at < e.exact_until) end as listed
            from history_exact e where e.stream = 'stargazers'
        ),
        snap as (
            select repo, week_start(harvested_at) as week,
                   stargazers_count as n, max(harvested_at) as at
            from repo_stats where stargazers_count is not null group by 1, 2
        ),
        tail as (
            select s.repo, s.week, s.n, lag(s.n) over (partition by s.repo order by s.week) as prev,
                   x.listed, x.repo is not null as listed_before
            from snap s left join exact x on x.repo = s.repo
            where x.repo is null or s.week >= x.exact_until
        )
        select repo, week, gained, 'listing' as source from history_weekly
        where stream = 'stargazers'
        union all
        select repo, week, n - coalesce(prev, listed, 0),
               case when prev is not null then 'snapshot' when listed_before then 'backlog'
                    else 'baseline' end
        from tail
    """,
    # #22: where each version of a project appeared, one row per place (a GitHub
    # release, a PyPI, npm or conda-forge package release). The project is the linked
    # repository, else the package name (PEP 503-ish, so a PyPI and a conda-forge build
    # of one name meet); versions meet with a leading v dropped.
    "release_places": """
        select coalesce(repos.full_name, 'repo ' || r.repo) as project, r.repo as repo,
               ltrim(coalesce(r.tag_name, r.name), 'vV') as version,
               'GitHub' as place, 0 as rank, r.published_at as published_at,
               r.html_url as url, coalesce(r.prerelease, 0) as prerelease, 0 as yanked,
               null as advisories,
               (coalesce(r.name, '') || ' ' || coalesce(r.tag_name, '') || ' '
                  || coalesce(r.body, '')) like '%security%'
               or (coalesce(r.name, '') || ' ' || coalesce(r.body, ''))
                  glob '*[Gg][Hh][Ss][Aa]-[0-9a-z][0-9a-z][0-9a-z][0-9a-z]-*'
               or (coalesce(r.name, '') || ' ' || coalesce(r.body, ''))
                  glob '*[Cc][Vv][Ee]-[0-9][0-9][0-9][0-9]-[0-9]*' as security,
               r.id as github_release, null as registry, null as package,
               0 as first_release, 0 as synthetic
        from releases r left join repos on repos.id = r.repo
        where not coalesce(r.draft, 0) and r.published_at is not null
        union all
        select coalesce(repos.full_name,
                        case when p.repository_url like 'https://github.com/%/%'
                             then substr(p.repository_url, 20) end,
                        lower(replace(replace(pr.name, '_', '-'), '.', '-'))),
               p.repo, pr.version,
               case pr.registry when 'pypi' then 'PyPI' when 'npm' then 'npm'
                    else 'conda-forge' end,
               case pr.registry when 'pypi' then 1 when 'npm' then 2 else 3 end,
               pr.published_at, pr.url, coalesce(pr.prerelease, 0),
               coalesce(pr.yanked, 0) or pr.deprecated is not null,
               (select group_concat(a.value, ', ') from json_each(
                    case when json_valid(pr.advisories) then pr.advisories else '[]' end) a),
               coalesce(json_array_length(case when json_valid(pr.advisories)
                                          then pr.advisories end), 0) > 0,
               null, pr.registry, pr.name,
               pr.published_at = (select min(o.published_at) from package_releases o
                                  where o.registry = pr.registry and o.name = pr.name),
               coalesce(pr.synthetic, 0)
        from package_releases pr
        join packages p on p.registry = pr.registry and p.name = pr.name
        left join repos on repos.id = p.repo
        where pr.published_at is not null
    """,
    # One row per project version wherever it appeared; its time is its first
    # appearance; on_github says whether a GitHub release exists; first_release marks
    # the project's earliest version anywhere when a registry has it (a new package).
    "project_releases": """
        select project, repo, version, published_at, places, on_github, github_release, url,
               prerelease, yanked, security, advisories, packages,
               packages is not null and published_at = min(published_at) over (
                   partition by lower(project)) as first_release, synthetic
        from (
        select min(project) as project, max(repo) as repo, version,
               min(published_at) as published_at,
               replace(group_concat(distinct place), ',', ', ') as places,
               max(place = 'GitHub') as on_github, max(github_release) as github_release,
               coalesce(max(case when rank = 0 then url end),
                        max(case when rank = 1 then url end),
                        max(case when rank = 2 then url end), max(url)) as url,
               max(prerelease) as prerelease, min(yanked) as yanked,
               max(security) as security,
               group_concat(distinct advisories) as advisories,
               group_concat(distinct registry || ':' || package) as packages,
               max(synthetic) as synthetic
        from (select * from release_places order by lower(project), version, rank, package)
        group by lower(project), version)
    """,
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


def create_current(db):
    """A new file: every table of the current schema (its version: every migration)."""
    for name, (columns, options) in TABLES.items():
        db[name].create(columns, if_not_exists=True, **options)


def _add_columns(db, number):
    """Columns migration ``number`` added (frozen in schema_history), where missing."""
    for name, columns in history.ADDED_COLUMNS.get(number, {}).items():
        existing = set(db[name].columns_dict)
        for column, kind in columns.items():
            if column not in existing:
                db[name].add_column(column, kind)


def _create_added(db, number):
    """Tables migration ``number`` created (frozen in schema_history), where missing."""
    for name, (columns, options) in history.ADDED_TABLES.items():
        if history.MIGRATION_OF_TABLE[name] == number:
            db[name].create(columns, if_not_exists=True, **options)


def _migration_1(db):
    """The first schema, as files of that version hold it (frozen: never TABLES)."""
    for name, (columns, options) in history.V1_TABLES.items():
        db[name].create(columns, if_not_exists=True, **options)


def _migration_harvest_errors(db):
    """#10: harvest_errors table; run exit codes; stream checkpoints and permanent answers."""
    _create_added(db, 2)
    _add_columns(db, 2)


# A stored feed date that is not a real one: not zero-padded ISO, before 1990, or
# more than a day after the entry was first seen (placeholders such as Go's zero time).
_PLACEHOLDER = """({col} not glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'
    or {col} < '1990-01-01' or julianday({col}) > julianday(first_seen) + 1)"""


def _migration_real_world_data(db):
    """Issue 14: feed warnings, placeholder dates, merged states, reconciliation."""
    # Fetch every feed once in full, so the new identity rules recover posts that
    # earlier releases stored as one (items sharing a link) or refused (small XML errors).
    db.execute("update feeds set etag = null, last_modified = null")
    # Placeholder dates stored by earlier releases become first-seen dates.
    db.execute(f"""update feed_entries set published = first_seen, date_is_first_seen = 1
                   where {_PLACEHOLDER.format(col='published')}""")
    db.execute(f"""update feed_entries set updated = published
                   where {_PLACEHOLDER.format(col='updated')}""")
    # The issues stream used to erase merged_at when its payload lacked it.
    db.execute("""update issues set merged_at = (
                      select p.merged_at from pull_requests p
                      where p.repo = issues.repo and p.number = issues.number)
                  where type = 'pull' and merged_at is null""")
    # Issues that left their repo (tracker/harvest/reconcile.py); rows stay as history.
    _add_columns(db, 3)


def _migration_run_credentials(db):
    """harvest_runs.credentials: none | token | app — which kind a run used, never the secret."""
    _add_columns(db, 4)


def _migration_digest_headline(db):
    """digests.headline: the week's numbers on one line, for the archive page."""
    _add_columns(db, 5)


def _migration_repo_sources(db):
    """Discovery (#13): the repo_sources table on databases made before it existed."""
    _create_added(db, 6)


def _migration_search_requests(db):
    """harvest_runs.search_requests: /search requests a run made (their own budget)."""
    _add_columns(db, 7)


def _migration_sources(db):
    """#23: events, papers and discourse_topics on databases made before them."""
    _create_added(db, 8)


def _migration_history(db):
    """#25: stars, forks and history_coverage on databases made before them."""
    _create_added(db, 9)


def _migration_packages(db):
    """#22: packages, package_releases and package_sources on older databases."""
    _create_added(db, 10)


def _migration_discovery_backfills(db):
    """#20: discovery_backfills. A source swept before it existed gets the latest
    whole sweep on record (``discovery-sweep:SOURCE``), the earliest that is
    known to have completed: older finds stay backfill, never false news."""
    columns, options = TABLES["discovery_backfills"]
    db["discovery_backfills"].create(columns, if_not_exists=True, **options)
    db.execute("""insert or ignore into discovery_backfills (source, completed_at)
                  select substr(key, length('discovery-sweep:') + 1), watermark
                  from harvest_state
                  where key like 'discovery-sweep:%' and watermark is not null""")


def _migration_missing_reason(db):
    """#19: repos.missing_reason, why a watched repo answers 404, 410 or 451."""
    if "missing_reason" not in db["repos"].columns_dict:
        db["repos"].add_column("missing_reason", str)


def _migration_digest_sections(db):
    """#21: digests.period/quiet/section_count/sections_json and digest_edits."""
    columns, _ = TABLES["digests"]
    for name in ("period", "quiet", "section_count", "sections_json"):
        if name not in db["digests"].columns_dict:
            db["digests"].add_column(name, columns[name])
    columns, options = TABLES["digest_edits"]
    db["digest_edits"].create(columns, if_not_exists=True, **options)


# Numbered migrations, applied once each in order; PRAGMA user_version records
# the last one applied. Append, never edit a published migration.
MIGRATIONS = [_migration_1, _migration_harvest_errors, _migration_real_world_data,
              _migration_run_credentials, _migration_digest_headline, _migration_repo_sources,
              _migration_search_requests, _migration_sources, _migration_history,
              _migration_packages]
MIGRATIONS.append(_migration_discovery_backfills)
MIGRATIONS.append(_migration_missing_reason)
MIGRATIONS.append(_migration_digest_sections)


def open_db(path):
    """Open (creating if needed) a tracker database in WAL mode, schema ensured."""
    db = sqlite_utils.Database(path) if not isinstance(path, sqlite_utils.Database) else path
    if db.conn.execute("pragma journal_mode").fetchone()[0] != "memory":
        db.conn.execute("pragma journal_mode=wal")
    db.conn.execute("pragma synchronous=normal")
    db.conn.execute("pragma busy_timeout=5000")
    # xml_text(), html_text(), safe_link(), week_start(), iso_week(): as in Datasette.
    from .safe import register_sql_functions
    register_sql_functions(db.conn)
    if not schema_is_current(db):  # a read of sqlite_master: no write when nothing is due
        ensure_schema(db)
    return db


def schema_is_current(db):
    """True when every migration, index, full-text table and view (as defined now) is there."""
    if db.conn.execute("pragma user_version").fetchone()[0] != len(MIGRATIONS):
        return False
    master = {(row[0], row[1]): row[2] for row in db.conn.execute(
        "select type, name, sql from sqlite_master where type in ('table', 'view', 'index')")}
    for name, sql in VIEWS.items():
        if ("view", name) not in master or sql.strip() not in master[("view", name)]:
            return False
    if any(("table", f"{table}_fts") not in master for table in FTS):
        return False
    indexed = {}
    for (kind, name), _ in master.items():
        if kind == "index":
            table = db.conn.execute("select tbl_name from sqlite_master where name = ?",
                                    [name]).fetchone()[0]
            columns = [r[2] for r in db.conn.execute(f"pragma index_info([{name}])")]
            indexed.setdefault(table, []).append(columns)
    return all(columns in indexed.get(table, []) for table, columns in INDEXES)


def ensure_schema(db):
    """Apply pending migrations, then indexes, full-text search and views."""
    version = db.conn.execute("pragma user_version").fetchone()[0]
    if version == 0 and not db.table_names():  # a new file: the current schema at once
        with db.conn:
            create_current(db)
            db.conn.execute(f"pragma user_version={len(MIGRATIONS)}")
        version = len(MIGRATIONS)
    for number, migration in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        with db.conn:
            migration(db)
            db.conn.execute(f"pragma user_version={number}")
    ensure_indexes(db)
    ensure_fts(db)
    ensure_views(db)


def ensure_indexes(db):
    for table, columns in INDEXES:
        db[table].create_index(columns, if_not_exists=True)


def ensure_fts(db):
    existing = set(db.table_names())
    for table, columns in FTS.items():
        if f"{table}_fts" not in existing:
            db[table].enable_fts(columns, create_triggers=True, tokenize="porter")


def ensure_views(db):
    """The views above, then the shared facts (tracker.facts) every query reads."""
    from .facts import VIEWS as FACTS

    for name, sql in {**VIEWS, **FACTS}.items():
        db.create_view(name, sql, replace=True)


def load_states(db):
    """Every harvest_state row (ETags, watermarks) keyed by listing or stream."""
    return {row["key"]: row for row in db["harvest_state"].rows}


def save_state(db, key, **fields):
    db["harvest_state"].upsert({"key": key, **fields}, pk="key")
