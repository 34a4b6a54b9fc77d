"""The current schema as data: tables, indexes and full-text search.

Read by ``tracker.db`` (which creates, migrates and checks it) and by the schema
reference generator (``python -m tracker.docs``). A change here needs a migration
appended to ``db.MIGRATIONS`` for older files (see tracker/schema_history.py)."""

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
    # #26: covers what release_cadence and the registries chart read of a range of
    # releases, so no row is fetched (bench/queries.py at 1M issues/50k releases:
    # release_cadence 115 -> 80 ms, registries 1040 -> 15 ms with its rewrite).
    ("releases", ["published_at", "repo", "prerelease", "draft", "tag_name"]),
]

from .facts import BOT_RULE as _BOT_RULE  # noqa: E402  (the bots view's WHERE, word for word)

# Partial indexes, {name: (table, columns, where)}: a query uses one only when
# its WHERE has the index's condition word for word.
PARTIAL_INDEXES = {
    # #26: most_reacted_open_issues reads only open issues with reactions (1 in
    # 10), not the 50k open ones: 300-520 -> 55-70 ms at 1M issues. Small: it
    # holds only the issues that have reactions.
    "idx_issues_reacted": ("issues", ["type", "state", "updated_at"],
                           "reactions not like '%\"total_count\": 0,%'"),
    # #26: the gone_issues view (transferred or deleted: a few in a thousand),
    # so live_comments and the weekly queries test "not gone" in a small set
    # built from this index instead of fetching each issue's row (at 1M issues
    # busiest_this_week 210 -> 38 ms with the bots index below and its rewrite;
    # first_time_contributors' firsts read covering indexes only).
    "idx_issues_gone": ("issues", ["id"],
                        "transferred_to is not null or deleted_at is not null"),
    # #26: the bots view (a handful of users), so "not a bot" is a lookup in a
    # small set instead of a scan or a row fetch of users (60k users: 45 ms of
    # busiest_this_week's bot check -> under 1 ms).
    "idx_users_bots": ("users", ["id"], _BOT_RULE),
}

FTS = {
    "issues": ["title", "body"],
    "releases": ["name", "body"],
    "repos": ["name", "description"],
    "feed_entries": ["title", "summary"],
}

# #26: summary tables kept by triggers in the same transaction as the rows they
# count (tracker/summaries.py, docs/design/summaries.md). Their own block.
# WITHOUT ROWID tables ("without_rowid" in their options; db.create_current) and a
# partial index, both made by tracker/summaries.py.
from .summaries import TABLES as _SUMMARY_TABLES  # noqa: E402

TABLES.update(_SUMMARY_TABLES)
from .star_summaries import TABLES as _STAR_SUMMARY_TABLES  # noqa: E402  (#26 stars, forks)

TABLES.update(_STAR_SUMMARY_TABLES)
