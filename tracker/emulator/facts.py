"""Seed a Store from the real git facts in ``tracker/data/jupyter`` (read its README).

Real, served as found: repository fields of ``repo.json`` (``topics`` are the
packaging keywords, the only ones known); one release per tag that is not
package-scoped (tag name, name, changelog body, prerelease, ``published_at`` =
tag date, ``created_at`` = tagged commit date); every tag under /tags; pull
requests with their numbers, titles, logins, merge times and SHAs, head refs,
``created_at`` = ``created_at_estimate``; default-branch commits of the window.
``mwouts/jupytext`` really moved: it is served as ``jupytext/jupytext`` (an
Organization) and the old name answers 301.

Made up, deterministic (seeded by the repository name) and marked:
- numeric ids (stable crc32-based for repos, owners and users; sequential in
  chronological order for issues, comments and releases);
- stars, forks, watchers and subscribers (from a hash of the name), ``size``
  (estimated language bytes / 1024), repo ``updated_at`` (= ``pushed_at``);
- logins the facts do not know: ``synthetic-author-N`` (PR authors),
  ``synthetic-release-author`` (release authors);
- closed_at of PRs closed without merge (1 h to 30 days after creation),
  PR bodies stay null (unknown);
- issues in some number gaps (those dated inside the facts' window), with
  titles and bodies prefixed "[synthetic]", users ``synthetic-user-N``,
  labels, milestones and reactions; comments on issues and PRs of the window,
  likewise "[synthetic]". Real facts are never altered.

Contributors are derived from the commits: one per ``author_login``, counting
that login's commits in the window (``anon=1`` adds commits without a login,
grouped by git author name).
"""

from __future__ import annotations

import json
import random
import zlib
from functools import lru_cache
from pathlib import Path

from .records import (
    GENERATED, Comment, Commit, Issue, Milestone, PullInfo, Release, Tag, stable_id, to_ts,
)
from .store import Store

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "jupyter"
USER_OWNERS = {"mwouts", "ines"}  # the folders generated with --owner-type user
MOVED = {"mwouts/jupytext": "jupytext/jupytext"}
LABELS = {  # name -> (color, description); GitHub's default label names
    "bug": ("d73a4a", "[synthetic] Something isn't working"),
    "enhancement": ("a2eeef", "[synthetic] New feature or request"),
    "documentation": ("0075ca", "[synthetic] Improvements or additions to documentation"),
    "question": ("d876e3", "[synthetic] Further information is requested"),
    "good first issue": ("7057ff", "[synthetic] Good for newcomers"),
}
HOUR, DAY = 3600, 86400


@lru_cache(maxsize=32)
def _read(folder: str) -> tuple:
    """Parsed files of one folder; cached because tests load the facts many times."""
    p = Path(folder)
    read = lambda name: json.loads((p / name).read_text())  # noqa: E731
    commits = [json.loads(line) for line in (p / "commits.jsonl").read_text().splitlines() if line]
    return read("repo.json"), read("releases.json"), read("pulls.json"), commits, read("summary.json")


def load_facts(path: str | Path | None = None, *, clock=None, synthetic: bool = True) -> Store:
    """A fresh Store seeded from the facts (default: the copy shipped in the package).
    With ``synthetic=False`` only the real facts are loaded: no made-up issues or comments."""
    store = Store(clock=clock)
    folders = sorted(d for d in Path(path or DATA_DIR).iterdir() if (d / "repo.json").exists())
    for folder in folders:
        _load_repo(store, *_read(str(folder)), synthetic=synthetic)
    for old, new in MOVED.items():
        repo = store.repo(old)
        if repo is not None:
            store.add_owner(new.split("/")[0], "Organization", created_at=repo.pushed_at)
            store.rename_repo(old, new, stamp=False)
    for owner in store.owners.values():  # deterministic Last-Modified on repo lists
        owner.modified = max([r.updated_at for r in store.repos_of(owner)] + [owner.created_at])
    return store


def _load_repo(store: Store, meta, releases, pulls, commits, summary, synthetic: bool):
    full = meta["full_name"]
    kind = "User" if meta["owner"] in USER_OWNERS else "Organization"
    store.add_owner(meta["owner"], kind, created_at=meta["created_at"])
    h = zlib.crc32(full.encode())
    stars = 50 + h % 4000
    fields = {k: v for k, v in meta.items() if k not in ("full_name", "owner", "name", "html_url")}
    fields.update(updated_at=meta["pushed_at"], stargazers_count=stars, forks_count=stars // 7,
                  subscribers_count=5 + stars // 40,
                  size=max(1, sum(meta.get("languages_estimate_bytes", {}).values()) // 1024))
    repo = store.add_repo(meta["owner"], meta["name"], owner_type=kind, **fields)
    rng = random.Random(f"{full}:synthetic")
    start, as_of = to_ts(summary["window_start"]), to_ts(summary["as_of"])

    for rel in sorted((r for r in releases if r["package"] is None),
                      key=lambda r: (r["published_at"], r["tag_name"])):
        repo.releases.append(Release(
            store.new_id("release"), rel["tag_name"], rel["name"], rel["body"], False,
            rel["prerelease"], to_ts(rel.get("target_commit_date") or rel["created_at"]),
            to_ts(rel["published_at"]), rel.get("tagger_login") or "synthetic-release-author",
            repo.default_branch))
        store.note_user(repo.releases[-1].author)
    repo.releases.sort(key=lambda r: (r.created_at, r.id))
    repo.tags = [Tag(t["tag_name"], t["target_sha"], to_ts(t["created_at"])) for t in releases]
    repo.commits = [Commit(c["sha"], c["author_name"], c["author_login"], to_ts(c["authored_at"]),
                           to_ts(c["committed_at"]), c["subject"], c["parents"]) for c in commits]
    for c in repo.commits:
        store.note_user(c.author_login)

    # Made-up activity stops where the repo's real activity stops (its newest push),
    # so a dormant repo does not look busy in weeks the facts know nothing about.
    horizon = min(as_of, to_ts(meta["pushed_at"]) or as_of)
    items = [_pull(repo, p, rng, horizon) for p in pulls]
    if synthetic:
        for name, (color, desc) in LABELS.items():
            repo.labels[name] = (stable_id("label", f"{repo.id}:{name}"), color, desc)
        for n in (1, 2):
            mid = store.new_id("milestone")
            repo.milestones[n] = Milestone(n, mid, f"[synthetic] Milestone {n}",
                                           "[synthetic] A made-up milestone.",
                                           "open", start + n * 30 * DAY, None, "synthetic-user-1")
        items += _gap_issues(repo, items, rng, start, horizon)
    items.sort(key=lambda i: i.number)
    for issue in items:  # GitHub's ids grow with the number
        issue.id = store.new_id("issue")
    comments = _comments(store, items, rng, start, horizon) if synthetic else []
    store.bulk_load(repo, items, comments)


def _pull(repo, p, rng, as_of) -> Issue:
    n = p["number"]
    user = p["user_login"] or f"synthetic-author-{zlib.crc32(f'{repo.full_name}#{n}'.encode()) % 40 + 1}"
    created = to_ts(p["created_at_estimate"])
    merged = to_ts(p["merged_at"]) if p["merged"] else None
    if merged is not None:
        state, closed = "closed", merged
    elif (p["state_hint"] or "").startswith("probably open"):
        state, closed = "open", None
    else:  # closed without merge: when is unknown, so it is made up
        state, closed = "closed", min(as_of, created + rng.randint(HOUR, 30 * DAY))
    created = min(created, closed) if closed else created
    pull = PullInfo(merged_at=merged, merge_commit_sha=p["merge_commit_sha"] if merged else None,
                    head_ref=p["head_ref"] or f"synthetic-ref-{n}", head_sha=p["head_sha"],
                    head_owner=p["head_repo_owner"] or user, base_ref=repo.default_branch)
    return Issue(n, 0, p["title"], user, created, state=state, closed_at=closed,
                 updated_at=closed or created, pull=pull)


def _gap_issues(repo, pulls, rng, start, as_of) -> list[Issue]:
    """Synthetic issues for the unknown numbers between two PRs dated in the window."""
    known = sorted((p.number, p.created_at) for p in pulls)
    taken, out = {n for n, _ in known}, []
    for (a, ta), (b, tb) in zip(known, known[1:]):
        for g in range(a + 1, b):
            if g in taken:
                continue
            created = ta + (tb - ta) * (g - a) // (b - a)
            if not start <= created <= as_of:
                continue
            k = rng.randint(1, 80)
            closed = None
            if rng.random() < (0.75 if created < as_of - 90 * DAY else 0.35):
                closed = min(as_of, created + rng.randint(HOUR, 60 * DAY))
            labels = tuple(sorted(rng.sample(sorted(LABELS), rng.choice((0, 1, 1, 2)))))
            reactions = tuple(rng.choice((0, 0, 0, 1, 2)) for _ in range(8)) \
                if rng.random() < 0.3 else None
            out.append(Issue(
                g, 0, f"[synthetic] Issue #{g}", f"synthetic-user-{k}", created,
                body=f"[synthetic] A made-up issue standing in for the unknown item #{g}.",
                state="closed" if closed else "open",
                state_reason=(rng.choice(("completed", "completed", "not_planned"))
                              if closed else None),
                closed_at=closed, updated_at=closed or created, labels=labels,
                milestone=rng.choice((None, None, None, None, 1, 2)), reactions=reactions))
    return out


def _comments(store, items, rng, start, as_of) -> list[Comment]:
    """A few synthetic comments on each issue and PR created inside the window."""
    drafts = []
    for issue in items:
        if issue.created_at < start:
            continue
        end = min(as_of, (issue.closed_at or as_of) + 2 * DAY)
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4, 6))):
            at = rng.randint(issue.created_at, max(issue.created_at, end))
            who = issue.user if rng.random() < 0.2 else f"synthetic-user-{rng.randint(1, 80)}"
            reactions = tuple(rng.choice((0, 0, 1)) for _ in range(8)) if rng.random() < 0.2 else None
            drafts.append((at, issue, who, reactions))
    drafts.sort(key=lambda d: (d[0], d[1].number))
    out = []
    for at, issue, who, reactions in drafts:  # ids in time order, as GitHub's grow
        out.append(Comment(store.new_id("comment"), issue.number, who, GENERATED, at,
                           reactions=reactions))
        issue.comments += 1
        issue.updated_at = max(issue.updated_at, at)
    return out
