"""The schema of earlier versions, frozen as data: what old database files hold.

``db.MIGRATIONS`` bring a file from any earlier version up to ``db.TABLES`` (the
current schema). Migration 1 made the tables below (the schema before migration
2); later migrations made the tables in ``ADDED_TABLES`` and the columns in
``ADDED_COLUMNS``. These never change: a new column or table goes into
``db.TABLES`` and a new migration appended to ``db.MIGRATIONS``.
``tests/test_schema.py`` builds a file at every earlier version from this and
checks that the migrations bring it to exactly the current schema.
"""

# pragma: user_version 1
V1_TABLES = {
    "users": (
        {"id": int, "login": str, "node_id": str, "avatar_url": str, "gravatar_id": str,
         "html_url": str, "type": str, "site_admin": int, "name": str, "user_view_type": str,
         "is_bot": int},
        {"pk": "id"},
    ),
    "licenses": (
        {"key": str, "name": str, "spdx_id": str, "node_id": str},
        {"pk": "key"},
    ),
    "repos": (
        {"id": int, "node_id": str, "name": str, "full_name": str, "owner": int, "private":
         int, "html_url": str, "description": str, "fork": int, "homepage": str, "language":
         str, "forks_count": int, "stargazers_count": int, "watchers_count": int, "size":
         int, "default_branch": str, "open_issues_count": int, "is_template": int, "topics":
         str, "has_issues": int, "has_projects": int, "has_wiki": int, "has_pages": int,
         "has_downloads": int, "has_discussions": int, "archived": int, "disabled": int,
         "visibility": str, "pushed_at": str, "created_at": str, "updated_at": str,
         "permissions": str, "allow_forking": int, "web_commit_signoff_required": int,
         "license": str, "organization": int, "forks": int, "open_issues": int, "watchers":
         int, "subscribers_count": int, "network_count": int, "tracked_via": str,
         "first_seen_at": str, "last_harvested_at": str, "missing_since": str,
         "renamed_from": str},
        {"pk": "id", "foreign_keys": [
            ("owner", "users", "id"), ("organization", "users", "id"),
            ("license", "licenses", "key")]},
    ),
    "repo_stats": (
        {"repo": int, "harvested_at": str, "stargazers_count": int, "forks_count": int,
         "watchers_count": int, "subscribers_count": int, "open_issues_count": int, "size":
         int},
        {"pk": ("repo", "harvested_at"), "foreign_keys": [("repo", "repos", "id")]},
    ),
    "releases": (
        {"html_url": str, "id": int, "node_id": str, "tag_name": str, "target_commitish":
         str, "name": str, "draft": int, "author": int, "prerelease": int, "created_at": str,
         "published_at": str, "body": str, "repo": int},
        {"pk": "id", "foreign_keys": [("author", "users", "id"), ("repo", "repos", "id")]},
    ),
    "assets": (
        {"id": int, "node_id": str, "name": str, "label": str, "uploader": int,
         "content_type": str, "state": str, "size": int, "download_count": int, "created_at":
         str, "updated_at": str, "release": int},
        {"pk": "id", "foreign_keys": [("uploader", "users", "id"), ("release", "releases", "id")]},
    ),
    "milestones": (
        {"html_url": str, "id": int, "node_id": str, "number": int, "title": str,
         "description": str, "creator": int, "open_issues": int, "closed_issues": int,
         "state": str, "created_at": str, "updated_at": str, "due_on": str, "closed_at": str,
         "repo": int},
        {"pk": "id", "foreign_keys": [("creator", "users", "id"), ("repo", "repos", "id")]},
    ),
    "issues": (
        {"id": int, "node_id": str, "number": int, "title": str, "user": int, "state": str,
         "locked": int, "assignee": int, "milestone": int, "comments": int, "created_at":
         str, "updated_at": str, "closed_at": str, "author_association": str, "pull_request":
         str, "body": str, "repo": int, "type": str, "active_lock_reason": str,
         "performed_via_github_app": str, "reactions": str, "state_reason": str, "draft":
         int, "merged_at": str, "html_url": str},
        {"pk": "id", "foreign_keys": [
            ("user", "users", "id"), ("assignee", "users", "id"),
            ("milestone", "milestones", "id"), ("repo", "repos", "id")]},
    ),
    "labels": (
        {"id": int, "node_id": str, "url": str, "name": str, "color": str, "default": int,
         "description": str},
        {"pk": "id"},
    ),
    "issues_labels": (
        {"issues_id": int, "labels_id": int},
        {"pk": ("issues_id", "labels_id"), "foreign_keys": [
            ("issues_id", "issues", "id"), ("labels_id", "labels", "id")]},
    ),
    "pull_requests": (
        {"id": int, "node_id": str, "number": int, "state": str, "locked": int, "title": str,
         "user": int, "body": str, "created_at": str, "updated_at": str, "closed_at": str,
         "merged_at": str, "merge_commit_sha": str, "assignee": int, "milestone": int,
         "draft": int, "head": str, "base": str, "author_association": str, "auto_merge":
         str, "repo": int, "url": str, "merged_by": int, "head_ref": str, "base_ref": str},
        {"pk": "id", "foreign_keys": [
            ("user", "users", "id"), ("merged_by", "users", "id"),
            ("assignee", "users", "id"), ("milestone", "milestones", "id"),
            ("repo", "repos", "id")]},
    ),
    "issue_comments": (
        {"html_url": str, "issue_url": str, "id": int, "node_id": str, "user": int,
         "created_at": str, "updated_at": str, "author_association": str, "body": str,
         "reactions": str, "performed_via_github_app": str, "issue": int, "repo": int,
         "issue_number": int},
        {"pk": "id", "foreign_keys": [
            ("user", "users", "id"), ("issue", "issues", "id"), ("repo", "repos", "id")]},
    ),
    "contributors": (
        {"repo_id": int, "user_id": int, "contributions": int},
        {"pk": ("repo_id", "user_id"), "foreign_keys": [
            ("repo_id", "repos", "id"), ("user_id", "users", "id")]},
    ),
    "raw_authors": (
        {"id": str, "name": str, "email": str},
        {"pk": "id"},
    ),
    "commits": (
        {"sha": str, "message": str, "author_date": str, "committer_date": str, "raw_author":
         str, "raw_committer": str, "repo": int, "author": int, "committer": int},
        {"pk": "sha", "foreign_keys": [
            ("author", "users", "id"), ("committer", "users", "id"),
            ("raw_author", "raw_authors", "id"), ("raw_committer", "raw_authors", "id"),
            ("repo", "repos", "id")]},
    ),
    "feeds": (
        {"url": str, "title": str, "site_link": str, "tags": str, "etag": str,
         "last_modified": str, "last_fetched": str, "last_status": int, "last_error": str,
         "entry_count": int},
        {"pk": "url"},
    ),
    "feed_entries": (
        {"id": str, "entry_id": str, "feed": str, "title": str, "link": str, "author": str,
         "published": str, "updated": str, "date_is_first_seen": int, "summary": str, "tags":
         str, "first_seen": str},
        {"pk": "id", "foreign_keys": [("feed", "feeds", "url")]},
    ),
    "digests": (
        {"week": str, "period_start": str, "period_end": str, "title": str, "content_html":
         str, "content_md": str, "generated_at": str, "editor_note": str, "atom_id": str,
         "atom_updated": str, "atom_link": str, "atom_content_html": str},
        {"pk": "week"},
    ),
    "harvest_state": (
        {"key": str, "etag": str, "last_modified": str, "watermark": str, "next_url": str,
         "location": str, "updated_at": str},
        {"pk": "key"},
    ),
    "harvest_runs": (
        {"id": int, "started_at": str, "finished_at": str, "source": str, "status": str,
         "requests": int, "counted_requests": int, "not_modified": int,
         "rate_limit_remaining": int, "rate_limit_reset": str, "repos": int, "releases": int,
         "issues": int, "comments": int, "feed_entries": int, "errors": int, "error_log": str},
        {"pk": "id"},
    ),
}

# Tables created by a later migration (number), as that migration created them.
ADDED_TABLES = {
    "harvest_errors": (
        {"id": int, "run": int, "source": str, "target": str, "stream": str, "http_status":
         int, "message": str, "at": str},
        {"pk": "id", "foreign_keys": [("run", "harvest_runs", "id")]},
    ),
    "repo_sources": (
        {"repo": int, "source": str, "first_seen_at": str, "last_seen_at": str},
        {"pk": ("repo", "source"), "foreign_keys": [("repo", "repos", "id")]},
    ),
    "events": (
        {"calendar": str, "uid": str, "recurrence_id": str, "dtstart": str, "dtend": str,
         "tzid": str, "all_day": int, "summary": str, "location": str, "url": str,
         "description": str, "status": str, "tags": str, "updated_at": str, "missing_since":
         str, "synthetic": int},
        {"pk": ("calendar", "uid", "recurrence_id")},
    ),
    "papers": (
        {"id": str, "doi": str, "arxiv_id": str, "title": str, "authors": str, "abstract":
         str, "published": str, "venue": str, "url": str, "sources": str, "first_seen_at":
         str, "synthetic": int, "records": str},
        {"pk": "id"},
    ),
    "discourse_topics": (
        {"site": str, "id": int, "title": str, "slug": str, "category": str, "created_at":
         str, "posts_count": int, "reply_count": int, "like_count": int, "views": int,
         "tags": str, "url": str, "synthetic": int},
        {"pk": ("site", "id")},
    ),
    "stars": (
        {"user": int, "repo": int, "starred_at": str, "unstarred_at": str, "seen_walk": int,
         "synthetic": int},
        {"pk": ("user", "repo"),
         "foreign_keys": [("user", "users", "id"), ("repo", "repos", "id")]},
    ),
    "forks": (
        {"id": int, "repo": int, "owner": int, "full_name": str, "html_url": str,
         "created_at": str, "deleted_at": str, "seen_walk": int, "synthetic": int},
        {"pk": "id", "foreign_keys": [("repo", "repos", "id"), ("owner", "users", "id")]},
    ),
    "history_coverage": (
        {"repo": int, "stream": str, "github_count": int, "listed": int, "capped": int,
         "listable": int, "capped_after": str, "walk": str, "walks": int, "dirty": int,
         "etag": str, "synced_at": str, "checked_at": str, "walked_at": str},
        {"pk": ("repo", "stream"), "foreign_keys": [("repo", "repos", "id")]},
    ),
    "packages": (
        {"registry": str, "name": str, "summary": str, "repository_url": str, "repo": int,
         "homepage": str, "url": str, "latest_version": str, "advisories": str,
         "first_seen_at": str, "last_harvested_at": str, "missing_since": str, "moved_to":
         str, "synthetic": int},
        {"pk": ("registry", "name"), "foreign_keys": [("repo", "repos", "id")]},
    ),
    "package_releases": (
        {"registry": str, "name": str, "version": str, "published_at": str, "prerelease":
         int, "yanked": int, "yanked_reason": str, "deprecated": str, "advisories": str,
         "url": str, "files": int, "first_seen_at": str, "updated_at": str, "synthetic": int},
        {"pk": ("registry", "name", "version")},
    ),
    "package_sources": (
        {"registry": str, "name": str, "source": str, "first_seen_at": str, "last_seen_at":
         str},
        {"pk": ("registry", "name", "source")},
    ),
}
MIGRATION_OF_TABLE = {"harvest_errors": 2, "repo_sources": 6, "events": 8, "papers": 8,
                      "discourse_topics": 8, "stars": 9, "forks": 9, "history_coverage": 9,
                      "packages": 10, "package_releases": 10, "package_sources": 10}

# Columns added to existing tables by a later migration (number).
ADDED_COLUMNS = {
    2: {"harvest_runs": {"exit_code": int},
        "harvest_state": {"checkpoint": str, "permanent": str}},
    3: {"feeds": {"last_warning": str},
        "issues": {"transferred_to": str, "transferred_at": str, "deleted_at": str}},
    4: {"harvest_runs": {"credentials": str}},
    5: {"digests": {"headline": str}},
    7: {"harvest_runs": {"search_requests": int}},
}
