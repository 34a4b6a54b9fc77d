"""Compact in-memory records and the time helpers the emulator shares.

Times are kept as integer epoch seconds (UTC): they sort, compare and bisect
cheaply, and a 200,000-issue store stays small. JSON is built from these
records only when a page is served (see ``render.py``).
"""

from __future__ import annotations

import email.utils
import hashlib
import zlib
from datetime import date, datetime, timezone

__all__ = [
    "GENERATED", "Owner", "Repo", "Issue", "PullInfo", "Comment", "Release", "Tag",
    "Commit", "Milestone", "stable_id", "fake_sha", "to_ts", "iso", "http_date",
    "parse_http_date", "utcnow",
]


class _Generated:
    """Marker for text the renderer makes up from the record's id (saves memory)."""

    __slots__ = ()

    def __repr__(self):
        return "GENERATED"


GENERATED = _Generated()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def stable_id(kind: str, key: str, modulo: int = 900_000_000) -> int:
    """A made-up numeric id that is the same on every run (GitHub's are unknown)."""
    return 1_000 + zlib.crc32(f"{kind}:{key.lower()}".encode()) % modulo


def fake_sha(*parts) -> str:
    """A deterministic 40-hex placeholder for a SHA the facts do not know."""
    return hashlib.sha1(("synthetic:" + ":".join(map(str, parts))).encode()).hexdigest()


def to_ts(value) -> int | None:
    """ISO 8601 string, date, datetime or number -> epoch seconds (naive means UTC)."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace(" ", "T"))
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


_ISO_CACHE: dict[int, str] = {}


def iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    s = _ISO_CACHE.get(ts)
    if s is None:
        s = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if len(_ISO_CACHE) >= 65536:  # bounded: a cache, not a leak
            _ISO_CACHE.clear()
        _ISO_CACHE[ts] = s
    return s


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def parse_http_date(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError):
        return None


class Owner:
    __slots__ = ("login", "id", "type", "created_at", "modified")

    def __init__(self, login, id, type, created_at):
        self.login, self.id, self.type = login, id, type
        self.created_at = created_at
        self.modified = created_at  # last change to this owner's repo list


class Repo:
    """One repository plus everything served under it.

    ``by_created``/``by_updated`` hold the same Issue objects sorted by
    (created_at, number) and (updated_at, number); comments likewise by
    (created_at, id) and (updated_at, id). ``mod`` stamps the last change of
    each collection, which is what Last-Modified and If-Modified-Since use.
    """

    __slots__ = (
        "id", "owner", "name", "description", "homepage", "license", "language",
        "default_branch", "created_at", "pushed_at", "updated_at", "topics", "fork",
        "archived", "stars", "forks", "subscribers", "size", "has_issues", "extra",
        "issues", "by_created", "by_updated", "comments_by_created", "comments_by_updated",
        "releases", "tags", "commits", "milestones", "labels", "open_count", "mod", "version",
        # #25 (history.py): made up from the counts on first use, then kept.
        "stargazers", "fork_list", "next_fan", "next_forker",
    )

    def __init__(self, id, owner, name):
        self.id, self.owner, self.name = id, owner, name
        self.description = self.homepage = self.license = self.language = None
        self.default_branch = "main"
        self.created_at = self.pushed_at = self.updated_at = 0
        self.topics: list[str] = []
        self.fork = self.archived = False
        self.stars = self.forks = self.subscribers = self.size = 0
        self.has_issues = True
        self.extra: dict = {}
        self.issues: dict[int, Issue] = {}
        self.by_created: list[Issue] = []
        self.by_updated: list[Issue] = []
        self.comments_by_created: list[Comment] = []
        self.comments_by_updated: list[Comment] = []
        self.releases: list[Release] = []  # sorted by (created_at, id)
        self.tags: list[Tag] = []  # newest first
        self.commits: list[Commit] = []  # git log order, newest first
        self.milestones: dict[int, Milestone] = {}
        self.labels: dict[str, tuple] = {}  # name -> (id, color, description)
        self.open_count = 0
        self.mod: dict[str, int] = {}
        self.version = 0  # bumped on every change that alters the repo's JSON
        self.stargazers = self.fork_list = None
        self.next_fan = self.next_forker = 0

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def last_modified(self) -> int:
        return max(self.updated_at, self.pushed_at)


class PullInfo:
    __slots__ = ("merged_at", "merge_commit_sha", "head_ref", "head_sha", "head_owner",
                 "base_ref", "draft")

    def __init__(self, merged_at=None, merge_commit_sha=None, head_ref=None, head_sha=None,
                 head_owner=None, base_ref=None, draft=False):
        self.merged_at, self.merge_commit_sha = merged_at, merge_commit_sha
        self.head_ref, self.head_sha, self.head_owner = head_ref, head_sha, head_owner
        self.base_ref, self.draft = base_ref, draft


class Issue:
    """An issue or, when ``pull`` is set, a pull request (one number sequence)."""

    __slots__ = ("number", "id", "title", "body", "user", "state", "state_reason",
                 "locked", "created_at", "updated_at", "closed_at", "comments", "labels",
                 "milestone", "assignee", "reactions", "pull")

    def __init__(self, number, id, title, user, created_at, *, body=None, state="open",
                 state_reason=None, updated_at=None, closed_at=None, comments=0, labels=(),
                 milestone=None, assignee=None, reactions=None, pull=None):
        self.number, self.id = number, id
        self.title, self.body, self.user = title, body, user
        self.state, self.state_reason, self.locked = state, state_reason, False
        self.created_at = created_at
        self.updated_at = updated_at if updated_at is not None else created_at
        self.closed_at, self.comments = closed_at, comments
        self.labels, self.milestone, self.assignee = tuple(labels), milestone, assignee
        self.reactions, self.pull = reactions, pull  # reactions: None or 8 counts


class Comment:
    __slots__ = ("id", "number", "user", "body", "created_at", "updated_at", "reactions")

    def __init__(self, id, number, user, body, created_at, updated_at=None, reactions=None):
        self.id, self.number, self.user, self.body = id, number, user, body
        self.created_at = created_at
        self.updated_at = created_at if updated_at is None else updated_at
        self.reactions = reactions


class Release:
    __slots__ = ("id", "tag_name", "name", "body", "draft", "prerelease", "created_at",
                 "published_at", "author", "target_commitish")

    def __init__(self, id, tag_name, name, body, draft, prerelease, created_at, published_at,
                 author, target_commitish):
        self.id, self.tag_name, self.name, self.body = id, tag_name, name, body
        self.draft, self.prerelease = draft, prerelease
        self.created_at, self.published_at = created_at, published_at
        self.author, self.target_commitish = author, target_commitish


class Tag:
    __slots__ = ("name", "sha", "date")

    def __init__(self, name, sha, date):
        self.name, self.sha, self.date = name, sha, date


class Commit:
    __slots__ = ("sha", "author_name", "author_login", "authored_at", "committed_at",
                 "message", "parents")

    def __init__(self, sha, author_name, author_login, authored_at, committed_at, message,
                 parents=()):
        self.sha, self.author_name, self.author_login = sha, author_name, author_login
        self.authored_at, self.committed_at = authored_at, committed_at
        self.message, self.parents = message, tuple(parents)


class Milestone:
    __slots__ = ("number", "id", "title", "description", "state", "created_at", "due_on",
                 "creator")

    def __init__(self, number, id, title, description, state, created_at, due_on, creator):
        self.number, self.id, self.title, self.description = number, id, title, description
        self.state, self.created_at, self.due_on, self.creator = state, created_at, due_on, creator
