"""The emulator's issues, pull requests and comments: the part of ``Store`` (store.py)
that opens, edits, moves, deletes and reacts to them, and bulk-loads many at once.

A mixin rather than a module of functions because tests and the routes call these as
``store.add_issue(...)`` like every other mutation; it uses the store's ``lock``,
``now()``, ``_get`` and ``note_user``.
"""

from __future__ import annotations

import bisect
import random

from .records import Comment, Issue, PullInfo, Repo, fake_sha, stable_id, to_ts

_ISSUE_KEY = lambda i: (i.updated_at, i.number)  # noqa: E731
_COMMENT_KEY = lambda c: (c.updated_at, c.id)  # noqa: E731


class IssueMixin:
    # -- issues, pull requests and comments -------------------------------------
    def add_issue(self, full_name: str, title: str, user_login: str, is_pull: bool = False,
                  body: str | None = None, labels=(), head_ref: str | None = None,
                  created_at=None, milestone: int | None = None) -> Issue:
        with self.lock:
            repo = self._get(full_name)
            now = to_ts(created_at) or self.now()
            number = max(repo.issues, default=0) + 1
            pull = None
            if is_pull:
                pull = PullInfo(head_ref=head_ref or f"{user_login}-patch-{number}",
                                head_sha=fake_sha(repo.id, "head", number),
                                head_owner=user_login, base_ref=repo.default_branch)
            issue = Issue(number, self.new_id("issue"), title, user_login, now, body=body,
                          labels=labels, milestone=milestone, pull=pull)
            for label in labels:
                repo.labels.setdefault(label, (stable_id("label", f"{repo.id}:{label}"),
                                               "ededed", None))
            self.note_user(user_login)
            repo.issues[number] = issue
            bisect.insort(repo.by_created, issue, key=lambda i: (i.created_at, i.number))
            bisect.insort(repo.by_updated, issue, key=_ISSUE_KEY)
            repo.open_count += 1
            repo.mod["issues"] = max(repo.mod["issues"], now)
            self._touch_repo(repo, now)
            return issue

    def _issue(self, full_name: str, number: int) -> tuple[Repo, Issue]:
        repo = self._get(full_name)
        try:
            return repo, repo.issues[int(number)]
        except KeyError:
            raise KeyError(f"no issue #{number} in {full_name}") from None

    def _bump_issue(self, repo: Repo, issue: Issue, now: int) -> None:
        """Move the issue to its new place in the updated_at order."""
        lst = repo.by_updated
        i = bisect.bisect_left(lst, _ISSUE_KEY(issue), key=_ISSUE_KEY)
        while lst[i] is not issue:  # same key is impossible (number is unique) but be safe
            i += 1
        del lst[i]
        issue.updated_at = max(issue.updated_at, now)
        bisect.insort(lst, issue, key=_ISSUE_KEY)
        repo.mod["issues"] = max(repo.mod["issues"], now)

    def update_issue(self, full_name: str, number: int, state: str | None = None,
                     title: str | None = None, labels=None, body: str | None = None,
                     state_reason: str | None = None, merged: bool | None = None) -> Issue:
        with self.lock:
            repo, issue = self._issue(full_name, number)
            now = self.now()
            if title is not None:
                issue.title = title
            if body is not None:
                issue.body = body
            if labels is not None:
                issue.labels = tuple(labels)
                for label in labels:
                    repo.labels.setdefault(label, (stable_id("label", f"{repo.id}:{label}"),
                                                   "ededed", None))
            if merged and issue.pull and issue.pull.merged_at is None:
                issue.pull.merged_at = now
                issue.pull.merge_commit_sha = fake_sha(repo.id, "merge", number)
                state = "closed"
            if state is not None and state != issue.state:
                if state == "closed":
                    issue.closed_at = now
                    issue.state_reason = None if issue.pull else (state_reason or "completed")
                    repo.open_count -= 1
                elif state == "open":
                    issue.closed_at = None
                    issue.state_reason = None if issue.pull else "reopened"
                    repo.open_count += 1
                else:
                    raise ValueError(f"state must be open or closed, not {state!r}")
                issue.state = state
                self._touch_repo(repo, now)
            elif state_reason is not None:
                issue.state_reason = state_reason
            self._bump_issue(repo, issue, now)
            return issue

    # -- issues that leave a repository (transfer, deletion) and quiet reactions --
    def _remove_issue(self, repo: Repo, issue: Issue) -> None:
        del repo.issues[issue.number]
        repo.by_created.remove(issue)
        repo.by_updated.remove(issue)
        gone = [c for c in repo.comments_by_created if c.number == issue.number]
        if gone:
            repo.comments_by_created = [c for c in repo.comments_by_created if c not in gone]
            repo.comments_by_updated = [c for c in repo.comments_by_updated if c not in gone]
            repo.mod["comments"] = max(repo.mod["comments"], self.now())
        if issue.state == "open":
            repo.open_count -= 1
        repo.mod["issues"] = max(repo.mod["issues"], self.now())
        self._touch_repo(repo)

    def transfer_issue(self, full_name: str, number: int, to_full_name: str) -> Issue:
        """Move an issue to another repo: it leaves the listing and its old URL answers 301."""
        with self.lock:
            repo, issue = self._issue(full_name, number)
            moved = self.add_issue(to_full_name, issue.title, issue.user, body=issue.body)
            moved.reactions, moved.comments = issue.reactions, issue.comments
            self._remove_issue(repo, issue)
            target = self._get(to_full_name)
            self.gone_issues[(repo.id, issue.number)] = ("transferred", target.id, moved.number)
            return moved

    def delete_issue(self, full_name: str, number: int, status: int = 410) -> None:
        """Delete an issue: it leaves the listing and answers ``status`` (410 or 404)."""
        with self.lock:
            repo, issue = self._issue(full_name, number)
            self._remove_issue(repo, issue)
            self.gone_issues[(repo.id, issue.number)] = ("deleted", status)

    def react(self, full_name: str, number: int, content: str = "+1", n: int = 1) -> Issue:
        """Add reactions. As on GitHub, the issue's updated_at does not move."""
        from .render import REACTIONS
        with self.lock:
            repo, issue = self._issue(full_name, number)
            counts = list(issue.reactions or (0,) * len(REACTIONS))
            counts[REACTIONS.index(content)] += n
            issue.reactions = tuple(counts)
            repo.version += 1
            return issue

    def add_comment(self, full_name: str, number: int, user_login: str, body: str) -> Comment:
        with self.lock:
            repo, issue = self._issue(full_name, number)
            now = self.now()
            comment = Comment(self.new_id("comment"), issue.number, user_login, body, now)
            self.note_user(user_login)
            repo.comments_by_created.append(comment)  # newest id, newest time: stays sorted
            bisect.insort(repo.comments_by_updated, comment, key=_COMMENT_KEY)
            issue.comments += 1
            self._bump_issue(repo, issue, now)
            repo.mod["comments"] = max(repo.mod["comments"], now)
            return comment

    def update_comment(self, full_name: str, comment_id: int, body: str) -> Comment:
        with self.lock:
            repo = self._get(full_name)
            lst = repo.comments_by_updated
            idx = next((i for i, c in enumerate(lst) if c.id == comment_id), None)
            if idx is None:
                raise KeyError(f"no comment {comment_id} in {full_name}")
            comment = lst.pop(idx)
            now = self.now()
            comment.body, comment.updated_at = body, max(comment.updated_at, now)
            bisect.insort(lst, comment, key=_COMMENT_KEY)
            repo.mod["comments"] = max(repo.mod["comments"], now)
            return comment

    def touch_issues(self, full_name: str | None, fraction: float, seed: int = 0) -> int:
        """Bump updated_at on a random ``fraction`` of issues (one repo, or all)."""
        with self.lock:
            repos = [self._get(full_name)] if full_name else list(self.repos.values())
            rng, now, touched = random.Random(seed), self.now(), 0
            for repo in repos:
                numbers = sorted(repo.issues)
                for number in rng.sample(numbers, round(len(numbers) * fraction)):
                    self._bump_issue(repo, repo.issues[number], now)
                    touched += 1
            return touched

    # -- bulk loading (facts.py, synthetic.py) ------------------------------------
    def bulk_load(self, repo: Repo, issues=(), comments=()) -> None:
        """Add many issues and comments at once, then sort and stamp once."""
        with self.lock:
            for issue in issues:
                repo.issues[issue.number] = issue
                self.note_user(issue.user)
            for comment in comments:
                repo.comments_by_created.append(comment)
                self.note_user(comment.user)
            repo.by_created = sorted(repo.issues.values(), key=lambda i: (i.created_at, i.number))
            repo.by_updated = sorted(repo.issues.values(), key=_ISSUE_KEY)
            repo.comments_by_created.sort(key=lambda c: (c.created_at, c.id))
            repo.comments_by_updated = sorted(repo.comments_by_created, key=_COMMENT_KEY)
            repo.open_count = sum(1 for i in repo.issues.values() if i.state == "open")
            newest = lambda seq, attr: max((getattr(x, attr) for x in seq), default=0)  # noqa
            repo.mod["issues"] = max(repo.mod["issues"], newest(repo.by_updated[-1:], "updated_at"))
            repo.mod["comments"] = max(repo.mod["comments"],
                                       newest(repo.comments_by_updated[-1:], "updated_at"))
            repo.mod["releases"] = max(repo.mod["releases"], newest(repo.releases, "created_at"))
            repo.mod["tags"] = max(repo.mod["tags"], newest(repo.tags, "date"))
            repo.mod["commits"] = max(repo.mod["commits"], newest(repo.commits, "committed_at"))
            repo.version += 1
