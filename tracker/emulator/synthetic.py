"""A made-up ecosystem of any size, for benchmarks.

Everything here is synthetic and says so: owners ``synthetic-org-N``, repos
``synthetic-repo-N``, users ``synthetic-user-N``, titles and bodies rendered as
"[synthetic] ...". Text is stored as GENERATED and built only when a page is
served, so 200,000 issues and 500,000 comments fit in a few hundred MB.
Deterministic for a given seed.
"""

from __future__ import annotations

import random

from .records import GENERATED, Comment, Commit, Issue, PullInfo, Release, Tag, fake_sha, to_ts
from .store import Store

DAY = 86400


def synthetic_ecosystem(orgs: int = 5, repos: int = 50, issues: int = 20000,
                        comments: int = 41000, releases_per_repo: int = 5, seed: int = 0, *,
                        commits_per_repo: int = 20, pull_fraction: float = 0.3,
                        start="2023-11-26T00:00:00Z", end="2026-11-26T00:00:00Z",
                        clock=None) -> Store:
    """``repos`` repositories spread over ``orgs`` organisations, with ``issues``
    issues+PRs and ``comments`` comments spread over them, times in [start, end]."""
    store = Store(clock=clock)
    rng = random.Random(seed)
    t0, t1 = to_ts(start), to_ts(end)
    users = [f"synthetic-user-{k}" for k in range(1, 2001)]
    for k in range(orgs):
        store.add_owner(f"synthetic-org-{k + 1}", "Organization", created_at=t0 - 400 * DAY)
    per_repo = [issues // repos + (1 if k < issues % repos else 0) for k in range(repos)]
    comment_share = [comments // repos + (1 if k < comments % repos else 0) for k in range(repos)]
    for k in range(repos):
        owner = f"synthetic-org-{k % orgs + 1}"
        repo = store.add_repo(
            owner, f"synthetic-repo-{k + 1}", id=500_000_000 + k,
            description=f"[synthetic] Repository {k + 1} of a made-up ecosystem",
            homepage=None, license="BSD-3-Clause", language="Python", default_branch="main",
            created_at=t0 - rng.randint(30, 3000) * DAY, pushed_at=t1 - rng.randint(0, 90) * DAY,
            topics=["jupyter", "synthetic"], stargazers_count=rng.randint(0, 5000))
        repo.updated_at = repo.pushed_at
        repo.forks, repo.subscribers, repo.size = repo.stars // 7, 5 + repo.stars // 40, 1000
        _fill_repo(store, repo, rng, users, per_repo[k], comment_share[k], releases_per_repo,
                   commits_per_repo, pull_fraction, t0, t1)
    for owner in store.owners.values():
        owner.modified = max([r.updated_at for r in store.repos_of(owner)] + [owner.created_at])
    return store


def _fill_repo(store, repo, rng, users, n_issues, n_comments, n_releases, n_commits,
               pull_fraction, t0, t1):
    rand, randint, new_id = rng.random, rng.randint, store.new_id
    span = t1 - t0
    created = sorted(t0 + int(rand() * span) for _ in range(n_issues))
    items = []
    for number, at in enumerate(created, start=1):
        closed = at + randint(3600, 60 * DAY) if rand() < 0.7 else None
        if closed is not None and closed > t1:
            closed = None
        user = users[randint(0, len(users) - 1)]
        pull = None
        if rand() < pull_fraction:
            merged = closed if closed is not None and rand() < 0.8 else None
            pull = PullInfo(merged_at=merged,
                            merge_commit_sha=fake_sha(repo.id, "merge", number) if merged else None,
                            head_ref=f"synthetic-branch-{number}",
                            head_sha=fake_sha(repo.id, "head", number), head_owner=user,
                            base_ref="main")
        items.append(Issue(number, new_id("issue"), GENERATED, user, at, body=GENERATED,
                           state="open" if closed is None else "closed", closed_at=closed,
                           state_reason=None if closed is None or pull else "completed",
                           updated_at=closed or at, pull=pull))
    drafts = []
    for _ in range(n_comments if items else 0):
        issue = items[randint(0, len(items) - 1)]
        drafts.append((min(t1, issue.created_at + int(rand() * 60 * DAY)), issue))
    drafts.sort(key=lambda d: d[0])
    comments = []
    for at, issue in drafts:
        comments.append(Comment(new_id("comment"), issue.number, users[randint(0, 1999)],
                                GENERATED, at))
        issue.comments += 1
        if at > issue.updated_at:
            issue.updated_at = at
    for k in range(n_releases):
        at = t0 + (k + 1) * span // (n_releases + 1)
        tag = f"v{k // 3}.{k % 3}.0"
        repo.releases.append(Release(new_id("release"), tag, tag,
                                     f"[synthetic] Release notes for {tag}.", False, False, at, at,
                                     "synthetic-release-author", "main"))
        repo.tags.insert(0, Tag(tag, fake_sha(repo.id, "tag", tag), at))
    for k in range(n_commits):
        at = t1 - k * DAY
        who = users[randint(0, 49)]
        repo.commits.append(Commit(fake_sha(repo.id, "commit", k), who, who, at, at,
                                   f"[synthetic] Commit {k}",
                                   (fake_sha(repo.id, "commit", k + 1),)))
    store.bulk_load(repo, items, comments)


def add_discoverable_repos(store: Store, n: int, topics, seed: int = 0, *,
                           start="2016-01-01T00:00:00Z", end="2026-11-26T00:00:00Z",
                           second_topic: float = 0.2, releases: int = 1,
                           first_id: int = 700_000_000) -> list:
    """``n`` repositories outside any watched org, for discovery by topic search.

    Owners are users ``synthetic-dev-K``, names ``synthetic-project-K``, the
    description says "[synthetic]"; each carries ``topics[K % len(topics)]`` (and,
    with probability ``second_topic``, a second one), was created at a random time in
    [start, end] and has a few stars and ``releases`` releases. Deterministic per seed.
    """
    rng = random.Random(seed)
    t0, t1 = to_ts(start), to_ts(end)
    topics = list(topics)
    made = []
    with store.lock:
        for k in range(n):
            chosen = [topics[k % len(topics)]]
            if len(topics) > 1 and rng.random() < second_topic:
                chosen.append(topics[(k + 1 + rng.randrange(len(topics) - 1)) % len(topics)])
            created = t0 + int(rng.random() * (t1 - t0))
            repo = store.add_repo(
                f"synthetic-dev-{k % 997 + 1}", f"synthetic-project-{first_id - 700_000_000 + k + 1}",
                owner_type="User",
                id=first_id + k, description=f"[synthetic] A project about {', '.join(chosen)}",
                language="Python", default_branch="main", created_at=created,
                pushed_at=min(t1, created + rng.randint(0, 400) * DAY), topics=chosen,
                stargazers_count=min(20000, int(rng.paretovariate(1.2)) - 1))
            repo.updated_at = repo.pushed_at
            for r in range(releases):
                at = min(t1, created + (r + 1) * DAY)
                repo.releases.append(Release(store.new_id("release"), f"v0.{r}.0", f"v0.{r}.0",
                                             "[synthetic] First steps.", False, False, at, at,
                                             "synthetic-release-author", "main"))
                repo.mod["releases"] = max(repo.mod["releases"], at)
            made.append(repo)
    return made
