"""Compact records -> GitHub-shaped JSON dicts, built only when a page is served.

API URLs inside bodies point at the emulator's own base URL so a client can follow
them; ``html_url`` values point at github.com as on the real API. User and
repository sub-objects are cached (per login, per repo version) because a page of
100 pull requests embeds the repository twice per item.

Made-up values, all deterministic: node ids (GitHub's legacy base64 form of
"0{len}:{Type}{id}"), avatars, ``base.sha`` of pull requests, tree SHAs of commits,
commit e-mails (the placeholder "[email removed]": no address is known), and
text stored as GENERATED, which renders as "[synthetic] ...".
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

from .records import GENERATED, fake_sha, iso, stable_id

GH = "https://github.com"
LICENSES = {
    "MIT": "MIT License", "BSD-3-Clause": 'BSD 3-Clause "New" or "Revised" License',
    "BSD-2-Clause": 'BSD 2-Clause "Simplified" License', "Apache-2.0": "Apache License 2.0",
    "GPL-3.0": "GNU General Public License v3.0", "MPL-2.0": "Mozilla Public License 2.0",
}
REACTIONS = ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes")
NO_REACTIONS = (0,) * 8


def node_id(kind: str, ident) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def text(value, fallback: str):
    return fallback if value is GENERATED else value


_REPO_REF = re.compile(rb'"\\u0000repo:(\d+)\\u0000"')


def dumps(body) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class Renderer:
    """Builds the JSON of one emulator (``api`` is its base URL).

    With ``lazy_repos`` the two repository objects inside each pull request are
    left as placeholders that ``dumps`` splices in as cached bytes: a page of 100
    pull requests is 1.6 MB, mostly those copies, and encoding them each time
    made that page ten times slower than any other.
    """

    def __init__(self, store, api: str, lazy_repos: bool = False):
        self.store, self.api, self.lazy_repos = store, api.rstrip("/"), lazy_repos
        self._users: dict[str, dict] = {}
        self._repos: dict[int, tuple] = {}
        self._repo_bytes: dict[int, tuple] = {}
        self._derived: dict[tuple, object] = {}

    def dumps(self, body) -> bytes:
        """JSON bytes of ``body`` with repository placeholders filled in."""
        out = dumps(body)
        if self.lazy_repos and b"\\u0000repo:" in out:
            out = _REPO_REF.sub(lambda m: self._repo_json(int(m.group(1))), out)
        return out

    def _repo_json(self, repo_id: int) -> bytes:
        repo = self.store.repo_by_id(repo_id)
        key = (repo.version, repo.full_name, repo.open_count)
        cached = self._repo_bytes.get(repo_id)
        if cached is None or cached[0] != key:
            cached = self._repo_bytes[repo_id] = (key, dumps(self.repo(repo)))
        return cached[1]

    # -- people -----------------------------------------------------------------
    def user(self, login: str | None) -> dict | None:
        if not login:
            return None
        cached = self._users.get(login)
        if cached is not None:
            return cached
        owner = self.store.owner(login)
        kind = owner.type if owner else "Bot" if login.endswith("[bot]") else "User"
        uid = owner.id if owner else stable_id("user", login)
        u = f"{self.api}/users/{quote(login)}"
        html = f"{GH}/apps/{login[:-5]}" if kind == "Bot" else f"{GH}/{login}"
        d = {"login": login, "id": uid, "node_id": node_id(kind, uid),
             "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
             "gravatar_id": "", "url": u, "html_url": html,
             "followers_url": f"{u}/followers", "following_url": f"{u}/following{{/other_user}}",
             "gists_url": f"{u}/gists{{/gist_id}}", "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
             "subscriptions_url": f"{u}/subscriptions", "organizations_url": f"{u}/orgs",
             "repos_url": f"{u}/repos", "events_url": f"{u}/events{{/privacy}}",
             "received_events_url": f"{u}/received_events", "type": kind,
             "user_view_type": "public", "site_admin": False}
        self._users[login] = d
        return d

    def profile(self, login: str) -> dict:
        """GET /users/{login} or /orgs/{org}: a minimal account object."""
        owner = self.store.owner(login)
        d = dict(self.user(owner.login if owner else login))
        created = owner.created_at if owner else 1262304000 + stable_id("user", login) % 10**8
        n = len(self.store.repos_of(owner)) if owner else 0
        extra = {"name": None, "company": None, "blog": "", "location": None, "email": None,
                 "bio": None, "twitter_username": None, "public_repos": n, "public_gists": 0,
                 "followers": 0, "following": 0, "created_at": iso(created),
                 "updated_at": iso(owner.modified if owner else created)}
        if owner and owner.type == "Organization":
            o = f"{self.api}/orgs/{owner.login}"
            d = {"login": owner.login, "id": owner.id, "node_id": d["node_id"], "url": o,
                 "repos_url": f"{o}/repos", "events_url": f"{o}/events", "hooks_url": f"{o}/hooks",
                 "issues_url": f"{o}/issues", "members_url": f"{o}/members{{/member}}",
                 "public_members_url": f"{o}/public_members{{/member}}",
                 "avatar_url": d["avatar_url"], "description": None, "html_url": d["html_url"],
                 "type": "Organization", "is_verified": False}
        d.update(extra)
        return d

    # -- repositories -------------------------------------------------------------
    def repo(self, repo) -> dict:
        cached = self._repos.get(repo.id)
        if cached and cached[0] == (repo.version, repo.full_name, repo.open_count):
            return cached[1]
        full, b = repo.full_name, f"{self.api}/repos/{repo.full_name}"
        lic = repo.license
        d = {"id": repo.id, "node_id": node_id("Repository", repo.id), "name": repo.name,
             "full_name": full, "private": False, "owner": self.user(repo.owner.login),
             "html_url": f"{GH}/{full}", "description": repo.description, "fork": repo.fork,
             "url": b, "forks_url": f"{b}/forks", "keys_url": f"{b}/keys{{/key_id}}",
             "collaborators_url": f"{b}/collaborators{{/collaborator}}", "teams_url": f"{b}/teams",
             "hooks_url": f"{b}/hooks", "issue_events_url": f"{b}/issues/events{{/number}}",
             "events_url": f"{b}/events", "assignees_url": f"{b}/assignees{{/user}}",
             "branches_url": f"{b}/branches{{/branch}}", "tags_url": f"{b}/tags",
             "blobs_url": f"{b}/git/blobs{{/sha}}", "git_tags_url": f"{b}/git/tags{{/sha}}",
             "git_refs_url": f"{b}/git/refs{{/sha}}", "trees_url": f"{b}/git/trees{{/sha}}",
             "statuses_url": f"{b}/statuses/{{sha}}", "languages_url": f"{b}/languages",
             "stargazers_url": f"{b}/stargazers", "contributors_url": f"{b}/contributors",
             "subscribers_url": f"{b}/subscribers", "subscription_url": f"{b}/subscription",
             "commits_url": f"{b}/commits{{/sha}}", "git_commits_url": f"{b}/git/commits{{/sha}}",
             "comments_url": f"{b}/comments{{/number}}",
             "issue_comment_url": f"{b}/issues/comments{{/number}}",
             "contents_url": f"{b}/contents/{{+path}}", "compare_url": f"{b}/compare/{{base}}...{{head}}",
             "merges_url": f"{b}/merges", "archive_url": f"{b}/{{archive_format}}{{/ref}}",
             "downloads_url": f"{b}/downloads", "issues_url": f"{b}/issues{{/number}}",
             "pulls_url": f"{b}/pulls{{/number}}", "milestones_url": f"{b}/milestones{{/number}}",
             "notifications_url": f"{b}/notifications{{?since,all,participating}}",
             "labels_url": f"{b}/labels{{/name}}", "releases_url": f"{b}/releases{{/id}}",
             "deployments_url": f"{b}/deployments", "created_at": iso(repo.created_at),
             "updated_at": iso(repo.updated_at), "pushed_at": iso(repo.pushed_at),
             "git_url": f"git://github.com/{full}.git", "ssh_url": f"git@github.com:{full}.git",
             "clone_url": f"{GH}/{full}.git", "svn_url": f"{GH}/{full}",
             "homepage": repo.homepage, "size": repo.size, "stargazers_count": repo.stars,
             "watchers_count": repo.stars, "language": repo.language, "has_issues": repo.has_issues,
             "has_projects": True, "has_downloads": True, "has_wiki": True, "has_pages": False,
             "has_discussions": False, "forks_count": repo.forks, "mirror_url": None,
             "archived": repo.archived, "disabled": False, "open_issues_count": repo.open_count,
             "license": None if not lic else {
                 "key": lic.lower(), "name": LICENSES.get(lic, lic), "spdx_id": lic,
                 "url": f"{self.api}/licenses/{lic.lower()}", "node_id": node_id("License", lic)},
             "allow_forking": True, "is_template": False, "web_commit_signoff_required": False,
             "topics": list(repo.topics), "visibility": "public", "forks": repo.forks,
             "open_issues": repo.open_count, "watchers": repo.stars,
             "default_branch": repo.default_branch}
        self._repos[repo.id] = ((repo.version, full, repo.open_count), d)
        return d

    def full_repo(self, repo) -> dict:
        """GET /repos/{o}/{r} adds a few fields the list endpoints leave out."""
        d = dict(self.repo(repo))
        d["organization"] = self.user(repo.owner.login) if repo.owner.type == "Organization" else None
        d["network_count"], d["subscribers_count"] = repo.forks, repo.subscribers
        return d

    # -- issues and pull requests -----------------------------------------------
    def _association(self, repo, login) -> str:
        if login and login.lower() == repo.owner.login.lower():
            return "OWNER"
        logins = self._derive("committers", repo, (repo.mod.get("commits"), len(repo.commits)),
                              lambda: {c.author_login for c in repo.commits if c.author_login})
        return "CONTRIBUTOR" if login in logins else "NONE"

    def _derive(self, kind, repo, stamp, compute):
        """Per-repo values recomputed only when ``stamp`` changes (one entry per repo)."""
        cached = self._derived.get((kind, repo.id))
        if cached is None or cached[0] != stamp:
            cached = self._derived[(kind, repo.id)] = (stamp, compute())
        return cached[1]

    def _labels(self, repo, names) -> list:
        b, out = f"{self.api}/repos/{repo.full_name}", []
        for name in names:
            lid, color, desc = repo.labels.get(name) or (stable_id("label", name), "ededed", None)
            out.append({"id": lid, "node_id": node_id("Label", lid),
                        "url": f"{b}/labels/{quote(name)}", "name": name, "color": color,
                        "default": False, "description": desc})
        return out

    def _milestone(self, repo, number):
        if number is None or number not in repo.milestones:
            return None
        def count():
            counts = {}
            for i in repo.issues.values():
                if i.milestone is not None:
                    counts.setdefault(i.milestone, [0, 0])[i.state == "closed"] += 1
            return counts

        counts = self._derive("milestones", repo, repo.mod["issues"], count)
        m, (n_open, n_closed) = repo.milestones[number], counts.get(number, (0, 0))
        b = f"{self.api}/repos/{repo.full_name}/milestones/{m.number}"
        return {"url": b, "html_url": f"{GH}/{repo.full_name}/milestone/{m.number}",
                "labels_url": f"{b}/labels", "id": m.id, "node_id": node_id("Milestone", m.id),
                "number": m.number, "state": m.state, "title": m.title,
                "description": m.description, "creator": self.user(m.creator),
                "open_issues": n_open, "closed_issues": n_closed, "created_at": iso(m.created_at),
                "updated_at": iso(m.created_at), "closed_at": None, "due_on": iso(m.due_on)}

    def _reactions(self, url, counts) -> dict:
        counts = counts or NO_REACTIONS
        d = {"url": url, "total_count": sum(counts)}
        d.update(zip(REACTIONS, counts))
        return d

    # A PR's made-up title and body are the same in the issue and the pull views, as
    # GitHub's real ones are.
    @staticmethod
    def _made_up_title(i) -> str:
        return f"[synthetic] {'Pull request' if i.pull else 'Issue'} #{i.number}"

    @staticmethod
    def _made_up_body(i) -> str:
        return f"[synthetic] Body of {'pull request' if i.pull else 'issue'} #{i.number}."

    def issue(self, repo, i) -> dict:
        full, n = repo.full_name, i.number
        b = f"{self.api}/repos/{full}"
        u = f"{b}/issues/{n}"
        d = {"url": u, "repository_url": b, "labels_url": f"{u}/labels{{/name}}",
             "comments_url": f"{u}/comments", "events_url": f"{u}/events",
             "html_url": f"{GH}/{full}/{'pull' if i.pull else 'issues'}/{n}",
             "id": i.id, "node_id": node_id("Issue", i.id), "number": n,
             "title": text(i.title, self._made_up_title(i)), "user": self.user(i.user),
             "labels": self._labels(repo, i.labels), "state": i.state, "locked": i.locked,
             "assignee": self.user(i.assignee),
             "assignees": [self.user(i.assignee)] if i.assignee else [],
             "milestone": self._milestone(repo, i.milestone), "comments": i.comments,
             "created_at": iso(i.created_at), "updated_at": iso(i.updated_at),
             "closed_at": iso(i.closed_at), "author_association": self._association(repo, i.user),
             "type": None, "active_lock_reason": None}
        if i.pull:
            d["draft"] = i.pull.draft
            d["pull_request"] = {"url": f"{b}/pulls/{n}", "html_url": f"{GH}/{full}/pull/{n}",
                                 "diff_url": f"{GH}/{full}/pull/{n}.diff",
                                 "patch_url": f"{GH}/{full}/pull/{n}.patch",
                                 "merged_at": iso(i.pull.merged_at)}
        d["body"] = text(i.body, self._made_up_body(i))
        d["reactions"] = self._reactions(f"{u}/reactions", i.reactions)
        d["timeline_url"] = f"{u}/timeline"
        d["performed_via_github_app"] = None
        d["state_reason"] = i.state_reason
        return d

    def pull(self, repo, i) -> dict:
        full, n, p = repo.full_name, i.number, i.pull
        b = f"{self.api}/repos/{full}"
        u, iu = f"{b}/pulls/{n}", f"{b}/issues/{n}"
        html = f"{GH}/{full}/pull/{n}"
        statuses = f"{b}/statuses/{p.head_sha}"
        pid = i.id + 1_000_000_000
        head_owner = p.head_owner or i.user
        repo_d = f"\x00repo:{repo.id}\x00" if self.lazy_repos else self.repo(repo)
        return {
            "url": u, "id": pid, "node_id": node_id("PullRequest", pid), "html_url": html,
            "diff_url": f"{html}.diff", "patch_url": f"{html}.patch", "issue_url": iu,
            "commits_url": f"{u}/commits", "review_comments_url": f"{u}/comments",
            "review_comment_url": f"{b}/pulls/comments{{/number}}", "comments_url": f"{iu}/comments",
            "statuses_url": statuses, "number": n, "state": i.state, "locked": i.locked,
            "title": text(i.title, self._made_up_title(i)), "user": self.user(i.user),
            "body": text(i.body, self._made_up_body(i)),
            "labels": self._labels(repo, i.labels), "milestone": self._milestone(repo, i.milestone),
            "active_lock_reason": None, "created_at": iso(i.created_at),
            "updated_at": iso(i.updated_at), "closed_at": iso(i.closed_at),
            "merged_at": iso(p.merged_at), "merge_commit_sha": p.merge_commit_sha,
            "assignee": self.user(i.assignee),
            "assignees": [self.user(i.assignee)] if i.assignee else [],
            "requested_reviewers": [], "requested_teams": [],
            "head": {"label": f"{head_owner}:{p.head_ref}", "ref": p.head_ref, "sha": p.head_sha,
                     "user": self.user(head_owner), "repo": repo_d},
            "base": {"label": f"{repo.owner.login}:{p.base_ref}", "ref": p.base_ref,
                     "sha": fake_sha(repo.id, "base", n),
                     "user": self.user(repo.owner.login), "repo": repo_d},
            "_links": {"self": {"href": u}, "html": {"href": html}, "issue": {"href": iu},
                       "comments": {"href": f"{iu}/comments"},
                       "review_comments": {"href": f"{u}/comments"},
                       "review_comment": {"href": f"{b}/pulls/comments{{/number}}"},
                       "commits": {"href": f"{u}/commits"}, "statuses": {"href": statuses}},
            "author_association": self._association(repo, i.user), "auto_merge": None,
            "draft": p.draft,
        }

    def comment(self, repo, c) -> dict:
        full = repo.full_name
        b = f"{self.api}/repos/{full}"
        u = f"{b}/issues/comments/{c.id}"
        parent = repo.issues.get(c.number)
        kind = "pull" if parent is not None and parent.pull else "issues"
        return {"url": u, "html_url": f"{GH}/{full}/{kind}/{c.number}#issuecomment-{c.id}",
                "issue_url": f"{b}/issues/{c.number}", "id": c.id,
                "node_id": node_id("IssueComment", c.id), "user": self.user(c.user),
                "created_at": iso(c.created_at), "updated_at": iso(c.updated_at),
                "author_association": self._association(repo, c.user),
                "body": text(c.body, f"[synthetic] Comment {c.id} on #{c.number}."),
                "reactions": self._reactions(f"{u}/reactions", c.reactions),
                "performed_via_github_app": None}

    # -- releases, tags, commits, contributors -----------------------------------
    def release(self, repo, r) -> dict:
        full, b = repo.full_name, f"{self.api}/repos/{repo.full_name}"
        tag = quote(r.tag_name, safe="@+")
        return {"url": f"{b}/releases/{r.id}", "assets_url": f"{b}/releases/{r.id}/assets",
                "upload_url": f"https://uploads.github.com/repos/{full}/releases/{r.id}/assets{{?name,label}}",
                "html_url": f"{GH}/{full}/releases/tag/{tag}", "id": r.id,
                "author": self.user(r.author), "node_id": node_id("Release", r.id),
                "tag_name": r.tag_name, "target_commitish": r.target_commitish, "name": r.name,
                "draft": r.draft, "immutable": False, "prerelease": r.prerelease,
                "created_at": iso(r.created_at), "updated_at": iso(r.published_at or r.created_at),
                "published_at": iso(r.published_at), "assets": [],
                "tarball_url": f"{b}/tarball/{tag}", "zipball_url": f"{b}/zipball/{tag}",
                "body": r.body}

    def tag(self, repo, t) -> dict:
        b, name = f"{self.api}/repos/{repo.full_name}", quote(t.name, safe="@+")
        return {"name": t.name, "zipball_url": f"{b}/zipball/refs/tags/{name}",
                "tarball_url": f"{b}/tarball/refs/tags/{name}",
                "commit": {"sha": t.sha, "url": f"{b}/commits/{t.sha}"},
                "node_id": node_id("Ref", f"{repo.id}:refs/tags/{t.name}")}

    def commit(self, repo, c) -> dict:
        b = f"{self.api}/repos/{repo.full_name}"
        tree = fake_sha("tree", c.sha)
        who = lambda ts: {"name": c.author_name, "email": "[email removed]", "date": iso(ts)}  # noqa
        return {"sha": c.sha, "node_id": node_id("Commit", f"{repo.id}:{c.sha}"),
                "commit": {"author": who(c.authored_at), "committer": who(c.committed_at),
                           "message": c.message, "tree": {"sha": tree, "url": f"{b}/git/trees/{tree}"},
                           "url": f"{b}/git/commits/{c.sha}", "comment_count": 0,
                           "verification": {"verified": False, "reason": "unsigned",
                                            "signature": None, "payload": None,
                                            "verified_at": None}},
                "url": f"{b}/commits/{c.sha}", "html_url": f"{GH}/{repo.full_name}/commit/{c.sha}",
                "comments_url": f"{b}/commits/{c.sha}/comments",
                "author": self.user(c.author_login), "committer": None,
                "parents": [{"sha": p, "url": f"{b}/commits/{p}",
                             "html_url": f"{GH}/{repo.full_name}/commit/{p}"} for p in c.parents]}

    def contributor(self, key, count) -> dict:
        kind, who = key
        if kind == "anon":
            return {"name": who, "type": "Anonymous", "contributions": count}
        return {**self.user(who), "contributions": count}

