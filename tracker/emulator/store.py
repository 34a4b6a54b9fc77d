"""The emulator's mutable world: owners, repositories and what lives under them.

Mutations take ``store.lock`` (one RLock, shared with the HTTP server, so tests may
change data while the emulator serves) and stamp times with ``store.clock()``, a
callable returning an aware UTC datetime (real now by default; tests may replace it):

    add_owner(login, type="Organization")                         -> Owner
    add_repo(owner, name, owner_type=None, id=None, **fields)     -> Repo
    rename_repo(old_full_name, new_full_name)                     -> Repo  (old name -> 301)
    delete_repo(full_name)                                        -> None  (then 404)
    set_stars(full_name, n)                                       -> Repo  (newest stars go)
    add_star(full_name, login=None, at=None) / remove_star(full_name, login)   (#25)
    add_fork(full_name, owner=None, at=None) -> Fork / remove_fork(full_name, fork_id)
    add_release(full_name, tag_name, prerelease=False, draft=False, body=None,
                published_at=None, name=None, created_at=None, author_login=None) -> Release
    add_issue(full_name, title, user_login, is_pull=False, body=None, labels=(),
              head_ref=None, created_at=None)                     -> Issue (next number)
    update_issue(full_name, number, state=None, title=None, labels=None, body=None,
                 state_reason=None, merged=None)                  -> Issue (bumps updated_at)
    add_comment(full_name, number, user_login, body)              -> Comment (bumps the issue)
    update_comment(full_name, comment_id, body)                   -> Comment
    add_commit(full_name, message, author_login=None, author_name=None) -> Commit
    touch_issues(full_name_or_None, fraction, seed=0)             -> number of issues touched

``add_repo`` takes GitHub's field names (description, homepage, license as an
SPDX id, language, default_branch, topics, fork, archived, created_at, pushed_at,
updated_at, stargazers_count, forks_count, subscribers_count, size); anything
else is kept in ``repo.extra``. Names are case-insensitive like GitHub's;
unknown repositories raise KeyError. Drafts are stored but, as for a token
without push access, never listed.

Lookups: ``repo(full_name)``, ``repo_by_id(id)``, ``resolve(full_name)`` ->
(repo, moved), ``owner(login)``, ``repos_of(owner)``, ``counts()``. The records
themselves (``records.py``) are readable too: ``repo.issues`` (number -> Issue,
PRs included), ``repo.comments_by_created``, ``repo.releases``, ``repo.commits``.
"""

from __future__ import annotations

import bisect
import threading

from . import history
from .records import Commit, Owner, Release, Repo, Tag, fake_sha, iso, stable_id, to_ts, utcnow
from .store_issues import IssueMixin

DOCS = "https://docs.github.com/rest"


REPO_FIELDS = {
    "description", "homepage", "license", "language", "default_branch", "created_at",
    "pushed_at", "updated_at", "topics", "fork", "archived", "has_issues",
}
COUNT_FIELDS = {"stargazers_count": "stars", "forks_count": "forks",
                "subscribers_count": "subscribers", "size": "size"}


class Store(IssueMixin):
    def __init__(self, clock=None):
        self.clock = clock or utcnow
        self.lock = threading.RLock()
        self.owners: dict[str, Owner] = {}
        self.repos: dict[int, Repo] = {}
        self.users: dict[str, str] = {}  # lower login -> login, for GET /users/{login}
        self._by_name: dict[str, Repo] = {}
        self.redirects: dict[str, int] = {}  # lower old full name -> repo id
        # (repo id, number) -> ("transferred", repo id, number) or ("deleted", 404|410)
        self.gone_issues: dict[tuple, tuple] = {}
        # repo id -> (status, body) answered to every request about it (block_repo).
        self.blocked: dict[int, tuple] = {}
        # The next N search answers come back with incomplete_results: true (routes.py).
        self.search_incomplete = 0
        # GitHub stops serving a stargazers listing past this page (history.py).
        self.star_page_cap = history.PAGE_CAP
        self._next_id = {"issue": 1_100_000_000, "comment": 1_500_000_000,
                         "release": 100_000_000, "milestone": 9_000_000, "pull": 1_900_000_000}

    # -- lookups ------------------------------------------------------------
    def now(self) -> int:
        return int(self.clock().timestamp())

    def new_id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind]

    def repo(self, full_name: str) -> Repo | None:
        return self._by_name.get(full_name.lower())

    def repo_by_id(self, repo_id: int) -> Repo | None:
        return self.repos.get(repo_id)

    def resolve(self, full_name: str) -> tuple[Repo | None, bool]:
        """(repo, moved): moved is True when the name only survives as a redirect."""
        repo = self._by_name.get(full_name.lower())
        if repo is not None:
            return repo, False
        moved = self.redirects.get(full_name.lower())
        return (self.repos.get(moved), True) if moved is not None else (None, False)

    def owner(self, login: str) -> Owner | None:
        return self.owners.get(login.lower())

    def owner_by_id(self, owner_id: int) -> Owner | None:
        return next((o for o in self.owners.values() if o.id == owner_id), None)

    def repos_of(self, owner: Owner) -> list[Repo]:
        return [r for r in self.repos.values() if r.owner is owner]

    def _get(self, full_name: str) -> Repo:
        repo = self.repo(full_name)
        if repo is None:
            raise KeyError(f"no repository {full_name!r}")
        return repo

    def note_user(self, login: str | None) -> None:
        if login:
            self.users.setdefault(login.lower(), login)

    def counts(self) -> dict:
        """Sizes of the seeded data, for reports and tests."""
        issues = sum(len(r.issues) for r in self.repos.values())
        pulls = sum(1 for r in self.repos.values() for i in r.issues.values() if i.pull)
        return {"repos": len(self.repos), "issues": issues - pulls, "pulls": pulls,
                "comments": sum(len(r.comments_by_created) for r in self.repos.values()),
                "releases": sum(len(r.releases) for r in self.repos.values()),
                "tags": sum(len(r.tags) for r in self.repos.values()),
                "commits": sum(len(r.commits) for r in self.repos.values())}

    # -- owners and repositories ---------------------------------------------
    def add_owner(self, login: str, type: str = "Organization", created_at=None) -> Owner:
        with self.lock:
            owner = self.owners.get(login.lower())
            if owner is None:
                kind = "org" if type == "Organization" else "user"
                owner = Owner(login, stable_id(kind, login), type,
                              to_ts(created_at) if created_at else self.now())
                self.owners[login.lower()] = owner
                self.note_user(login)
            return owner

    def add_repo(self, owner: str, name: str, owner_type: str | None = None, id: int | None = None,
                 **fields) -> Repo:
        with self.lock:
            if self.repo(f"{owner}/{name}") is not None:
                raise ValueError(f"repository {owner}/{name} exists")
            own = self.add_owner(owner, owner_type or "Organization")
            repo = Repo(id or stable_id("repo", f"{owner}/{name}"), own, name)
            while repo.id in self.repos:  # crc32 collision: stay unique, stay deterministic
                repo.id += 1
            now = self.now()
            repo.created_at = repo.pushed_at = repo.updated_at = now
            for key, value in fields.items():
                if key in REPO_FIELDS:
                    value = to_ts(value) if key.endswith("_at") else value
                    setattr(repo, key, value)
                elif key in COUNT_FIELDS:
                    setattr(repo, COUNT_FIELDS[key], int(value))
                else:
                    repo.extra[key] = value
            repo.topics = list(repo.topics or [])
            for kind in ("issues", "comments", "releases", "tags", "commits", "stargazers",
                         "forks"):
                repo.mod[kind] = repo.created_at
            self.repos[repo.id] = repo
            self._by_name[repo.full_name.lower()] = repo
            self.redirects.pop(repo.full_name.lower(), None)
            own.modified = max(own.modified, now, repo.updated_at)
            return repo

    def rename_repo(self, old_full_name: str, new_full_name: str, *, stamp: bool = True) -> Repo:
        with self.lock:
            repo = self._get(old_full_name)
            new_owner, new_name = new_full_name.split("/")
            old_owner = repo.owner
            owner = self.owner(new_owner) or self.add_owner(new_owner, old_owner.type)
            del self._by_name[old_full_name.lower()]
            repo.owner, repo.name = owner, new_name
            self._by_name[new_full_name.lower()] = repo
            self.redirects.pop(new_full_name.lower(), None)
            self.redirects[old_full_name.lower()] = repo.id
            now = self.now() if stamp else repo.updated_at
            repo.updated_at = max(repo.updated_at, now)
            repo.version += 1
            # Every URL inside issues, comments, ... changes, so all lists change.
            for kind in repo.mod:
                repo.mod[kind] = max(repo.mod[kind], now)
            old_owner.modified = owner.modified = max(owner.modified, now)
            return repo

    def delete_repo(self, full_name: str) -> None:
        with self.lock:
            repo = self._get(full_name)
            del self._by_name[full_name.lower()]
            del self.repos[repo.id]
            self.redirects = {k: v for k, v in self.redirects.items() if v != repo.id}
            repo.owner.modified = max(repo.owner.modified, self.now())

    def block_repo(self, full_name: str, status: int = 451, reason: str | None = "dmca") -> None:
        """Every request about the repo (by name or id) answers ``status`` from now on,
        with GitHub's body: 451 a DMCA takedown ("Repository access blocked", its
        ``block``), 410 gone, 404 a repository the caller cannot read (private)."""
        with self.lock:
            repo = self._get(full_name)
            if status == 404:
                body = {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
            elif status == 451:
                body = {"message": "Repository access blocked",
                        "block": {"reason": reason, "created_at": iso(self.now()),
                                  "html_url": "https://github.com/github/dmca/blob/master/"
                                              f"{repo.name}.md"}}
            else:
                body = {"message": "Gone", "documentation_url": DOCS, "status": str(status)}
            self.blocked[repo.id] = (status, body)

    def set_stars(self, full_name: str, n: int) -> Repo:
        with self.lock:
            repo = self._get(full_name)
            if repo.stargazers is None:
                repo.stars = int(n)  # the list is made up from the count when first asked
            else:
                history.set_count(repo, int(n), self.now())
            self._touch_history(repo, "stargazers")
            return repo

    # -- stargazers and forks (#25, history.py) ---------------------------------
    def horizon(self) -> int:
        """The newest activity in this world: made-up stars and forks go up to it."""
        return max((max(r.updated_at, r.pushed_at) for r in self.repos.values()), default=0)

    def add_star(self, full_name: str, login: str | None = None, at=None):
        with self.lock:
            repo = self._get(full_name)
            self._materialize(repo)
            star = history.add_star(repo, login, to_ts(at) if at else self.now())
            self.note_user(star.login)
            self._touch_history(repo, "stargazers")
            return star

    def remove_star(self, full_name: str, login: str) -> None:
        with self.lock:
            repo = self._get(full_name)
            self._materialize(repo)
            history.remove_star(repo, login)
            self._touch_history(repo, "stargazers")

    def add_fork(self, full_name: str, owner: str | None = None, at=None):
        with self.lock:
            repo = self._get(full_name)
            self._materialize(repo)
            fork = history.add_fork(repo, owner, to_ts(at) if at else self.now())
            self.note_user(fork.owner)
            self._touch_history(repo, "forks")
            return fork

    def remove_fork(self, full_name: str, fork_id: int) -> None:
        with self.lock:
            repo = self._get(full_name)
            self._materialize(repo)
            history.remove_fork(repo, fork_id)
            self._touch_history(repo, "forks")

    def _materialize(self, repo: Repo) -> None:
        # Made up as a listing would make them, before the first change moves them.
        history.stargazers(repo, self.horizon())
        history.forks(repo, self.horizon())

    def _touch_history(self, repo: Repo, kind: str) -> None:
        self._touch_repo(repo)
        repo.mod[kind] = max(repo.mod.get(kind, 0), self.now())

    def _touch_repo(self, repo: Repo, now: int | None = None) -> None:
        # GitHub bumps a repository's updated_at when its counters change.
        repo.updated_at = max(repo.updated_at, now or self.now())
        repo.version += 1
        repo.owner.modified = max(repo.owner.modified, repo.updated_at)

    # -- releases, tags, commits -----------------------------------------------
    def add_release(self, full_name: str, tag_name: str, prerelease: bool = False,
                    draft: bool = False, body: str | None = None, published_at=None,
                    name: str | None = None, created_at=None, author_login: str | None = None,
                    target_commitish: str | None = None) -> Release:
        with self.lock:
            repo = self._get(full_name)
            now = self.now()
            published = None if draft else (to_ts(published_at) or now)
            rel = Release(self.new_id("release"), tag_name, name if name is not None else tag_name,
                          body, draft, prerelease, to_ts(created_at) or published or now,
                          published, author_login or "synthetic-release-author",
                          target_commitish or repo.default_branch)
            self.note_user(rel.author)
            bisect.insort(repo.releases, rel, key=lambda r: (r.created_at, r.id))
            if not draft and all(t.name != tag_name for t in repo.tags):
                repo.tags.insert(0, Tag(tag_name, fake_sha(repo.id, "tag", tag_name), published))
                repo.mod["tags"] = max(repo.mod["tags"], now)
            repo.mod["releases"] = max(repo.mod["releases"], now)
            return rel

    def add_commit(self, full_name: str, message: str, author_login: str | None = None,
                   author_name: str | None = None) -> Commit:
        with self.lock:
            repo = self._get(full_name)
            now = self.now()
            parents = (repo.commits[0].sha,) if repo.commits else ()
            commit = Commit(fake_sha(repo.id, "commit", len(repo.commits), now), author_name
                            or author_login or "synthetic-committer", author_login, now, now,
                            message, parents)
            self.note_user(author_login)
            repo.commits.insert(0, commit)
            repo.pushed_at = max(repo.pushed_at, now)
            repo.version += 1
            repo.mod["commits"] = max(repo.mod["commits"], now)
            return commit

