"""Pure transforms from GitHub API dicts to rows, github-to-sqlite style.

``*_url`` noise is dropped (``html_url`` kept), nested users become user ids,
reaction rollups become JSON without their ``url``. Each function returns
``(row, extras)`` where extras carries the nested objects to save separately.

Real payloads are often partial (GitHub Enterprise, older API versions, other
tools' recordings): a PR in the issues listing without ``merged_at``, labels
without ``id`` (or plain strings), ``null`` authors, milestones without
``number``. Rows then say what they lack in ``extras["absent"]`` so the writer
keeps the stored value instead of erasing it, and objects without an ``id``
get a stable synthetic one (negative, so it never meets a GitHub id).
"""

import hashlib


def _strip_urls(obj, keep=("html_url",)):
    return {k: v for k, v in obj.items() if k in keep or not k.endswith("url")}


def _reactions(value):
    if not isinstance(value, dict):
        return value
    return {k: v for k, v in value.items() if k != "url"}


def _uid(user):
    return user.get("id") if isinstance(user, dict) else None


def synthetic_id(*parts):
    """A stable negative integer id for an object GitHub sent without one."""
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return -int(digest[:15], 16)


def is_bot(user, bots=()):
    login = (user.get("login") or "").lower()
    return (
        user.get("type") == "Bot"
        or login.endswith("[bot]")
        or login in {b.lower() for b in bots}
    )


def user_row(user, bots=()):
    row = _strip_urls(user, keep=("avatar_url", "html_url"))
    row.pop("email", None)
    row["is_bot"] = int(is_bot(user, bots))
    return row


def license_row(license):
    return dict(license)


def repo_row(repo, tracked_via=None, now=None, answered=False):
    """``answered``: the repo's own answer (GET /repos/...), which alone says it is
    readable again; a listing or search item still shows a blocked repo."""
    row = _strip_urls(repo)
    users = [u for u in (repo.get("owner"), repo.get("organization")) if u]
    row["owner"] = _uid(repo.get("owner"))
    # Search items lack it (and subscribers/network counts): keep what is stored.
    if "organization" in repo:
        row["organization"] = _uid(repo.get("organization"))
    row.pop("score", None)  # search relevance, not a repo fact
    license = repo.get("license")
    row["license"] = license["key"] if license else None
    for nested in ("parent", "source", "template_repository"):
        if isinstance(row.get(nested), dict):
            row[nested] = row[nested].get("full_name")
    if tracked_via:
        row["tracked_via"] = tracked_via
    if now:
        row["last_harvested_at"] = now
    if answered:
        row["missing_since"] = row["missing_reason"] = None
    row.pop("renamed_from", None)
    return row, {"users": users, "license": license}


STAT_FIELDS = (
    "stargazers_count", "forks_count", "watchers_count", "subscribers_count",
    "open_issues_count", "size",
)


def repo_stats_row(repo, harvested_at):
    row = {"repo": repo["id"], "harvested_at": harvested_at}
    row.update({f: repo.get(f) for f in STAT_FIELDS})
    return row


def release_row(release, repo_id):
    row = _strip_urls(release)
    assets = row.pop("assets", None) or []
    row["author"] = _uid(release.get("author"))
    row["repo"] = repo_id
    if "reactions" in row:
        row["reactions"] = _reactions(row["reactions"])
    asset_rows = []
    for asset in assets:
        asset = dict(asset)
        asset["uploader"] = _uid(asset.get("uploader"))
        asset["release"] = release["id"]
        asset_rows.append(asset)
    users = [u for u in [release.get("author")] + [a.get("uploader") for a in assets] if u]
    return row, {"users": users, "assets": asset_rows}


def milestone_row(milestone, repo_id):
    row = {k: v for k, v in milestone.items() if k not in ("labels_url", "url")}
    row["creator"] = _uid(milestone.get("creator"))
    row["repo"] = repo_id
    if row.get("id") is None:  # keyed by repo + number (else title) instead
        row["id"] = synthetic_id("milestone", repo_id,
                                 milestone.get("number") or milestone.get("title"))
    return row


def label_row(label, repo_id):
    """A ``labels`` row; a label without ``id`` (or a bare name) is keyed by repo + name."""
    if isinstance(label, str):
        label = {"name": label}
    row = _strip_urls(label, keep=("url",))
    if row.get("id") is None:
        row["id"] = synthetic_id("label", repo_id, label.get("name"))
    return row


def _users_to_ids(row, obj, keys, optional=()):
    """Replace nested users by their ids; return the user objects to save."""
    users = []
    for key in keys + tuple(k for k in optional if k in obj):
        user = obj.get(key)
        row[key] = _uid(user)
        if user:
            users.append(user)
    return users


def _milestone_to_id(row, obj, repo_id):
    """Replace the nested milestone by its id; return (milestone row, its creator)."""
    milestone = obj.get("milestone")
    if not milestone:
        row["milestone"] = None
        return None, []
    saved = milestone_row(milestone, repo_id)
    row["milestone"] = saved["id"]
    creator = milestone.get("creator")
    return saved, [creator] if creator else []


# Fields an issues payload may lack; when it does, the stored value stays.
ISSUE_KEEP = ("merged_at", "draft", "reactions", "body", "author_association", "state_reason",
              "html_url", "user")


def _absent(row, obj, keep):
    """Fields of ``keep`` the payload did not carry (missing, or an author without id)."""
    absent = {k for k in keep if k not in obj}
    if "user" in keep and row.get("user") is None:
        absent.add("user")  # an author is never "nobody": null means unknown
    return absent


def issue_row(issue, repo_id):
    row = _strip_urls(issue)
    for key in ("labels", "assignees", "repository"):
        row.pop(key, None)
    users = _users_to_ids(row, issue, ("user", "assignee"), optional=("closed_by",))
    milestone, creator = _milestone_to_id(row, issue, repo_id)
    row["repo"] = repo_id
    pull = issue.get("pull_request")
    absent = _absent(row, issue, ISSUE_KEEP) - {"merged_at"}
    if pull:
        # github-to-sqlite keeps "owner/repo/pulls/N" from the API URL.
        row["pull_request"] = pull["url"].split("/repos/", 1)[-1] if pull.get("url") else None
        row["type"] = "pull"
        if "merged_at" in pull:
            row["merged_at"] = pull["merged_at"]
        else:  # GitHub Enterprise / older API versions: the pulls stream knows
            absent.add("merged_at")
    else:
        row["pull_request"] = None
        row["type"] = "issue"
    row["reactions"] = _reactions(issue.get("reactions"))
    labels = [label_row(label, repo_id) for label in issue.get("labels") or []]
    return row, {"users": users + creator, "labels": labels, "milestone": milestone,
                 "absent": absent}


def pull_row(pull, repo_id):
    row = _strip_urls(pull)
    for key in ("labels", "assignees", "requested_reviewers", "requested_teams",
                "active_lock_reason", "_links"):
        row.pop(key, None)
    links = pull.get("_links") or {}
    row["url"] = (links.get("html") or {}).get("href") or pull.get("html_url")
    users = _users_to_ids(row, pull, ("user", "assignee"), optional=("merged_by",))
    milestone, creator = _milestone_to_id(row, pull, repo_id)
    for side in ("head", "base"):
        ref = pull.get(side) or {}
        row[side] = ref.get("sha")
        row[f"{side}_ref"] = ref.get("ref")
    row["repo"] = repo_id
    return row, {"users": users + creator, "milestone": milestone}


COMMENT_KEEP = ("user", "reactions", "body", "author_association", "html_url")


def comment_row(comment, repo_id):
    """(row, extras): extras["absent"] names the COMMENT_KEEP fields the payload lacked,
    which keep their stored values (a null author is unknown, not "nobody")."""
    row = {k: v for k, v in comment.items() if k != "url"}
    row["user"] = _uid(comment.get("user"))
    row["reactions"] = _reactions(comment.get("reactions"))
    row["repo"] = repo_id
    number = (comment.get("issue_url") or "").rstrip("/").rsplit("/", 1)[-1]
    row["issue_number"] = int(number) if number.isdigit() else None
    return row, {"users": [comment["user"]] if comment.get("user") else [],
                 "absent": _absent(row, comment, COMMENT_KEEP)}


def raw_author_row(person):
    name, email = person.get("name"), person.get("email")
    digest = hashlib.sha1(f"{name}|{email}".encode()).hexdigest()
    return {"id": digest, "name": name, "email": email}


def commit_row(commit, repo_id):
    inner = commit["commit"]
    author, committer = raw_author_row(inner["author"]), raw_author_row(inner["committer"])
    row = {
        "sha": commit["sha"],
        "message": inner["message"],
        "author_date": inner["author"]["date"],
        "committer_date": inner["committer"]["date"],
        "raw_author": author["id"],
        "raw_committer": committer["id"],
        "repo": repo_id,
        "author": _uid(commit.get("author")),
        "committer": _uid(commit.get("committer")),
    }
    users = [u for u in (commit.get("author"), commit.get("committer")) if u and u.get("id")]
    return row, {"users": users, "raw_authors": [author, committer]}


def contributor_row(contributor, repo_id):
    user = {k: v for k, v in contributor.items() if k != "contributions"}
    row = {"repo_id": repo_id, "user_id": user.get("id"),
           "contributions": contributor.get("contributions")}
    return row, {"users": [user] if user.get("id") else []}
