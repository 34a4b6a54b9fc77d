"""Read side of the store: GitHub's filters and sort orders over the records.

Every function returns the full ordered result; ``routes.py`` slices the page.
Per-repository lists are kept sorted by the store, so ``since`` on updated_at is
a bisect rather than a scan. Bad parameter values raise ``Invalid`` (-> 422).
"""

from __future__ import annotations

import bisect
import re
import shlex

from .records import Repo, to_ts

DAY = 86400


class Invalid(ValueError):
    """A query parameter GitHub would answer with 422 Validation Failed."""


def choice(value, allowed, default, name):
    if value is None or value == "":
        return default
    if value not in allowed:
        raise Invalid(f"{name} must be one of {', '.join(allowed)}")
    return value


def since_ts(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return to_ts(value)
    except ValueError:
        raise Invalid(f"since/until is not an ISO 8601 timestamp: {value!r}") from None


def issues(repo: Repo, *, state="open", sort="created", direction="desc", since=None,
           labels=None, creator=None, assignee=None, milestone=None, pulls=False):
    """GET /repos/{o}/{r}/issues (PRs included) or, with pulls=True, the PR subset."""
    state = choice(state, ("open", "closed", "all"), "open", "state")
    since = since_ts(since)
    if sort == "updated":
        base = repo.by_updated
        if since is not None:
            base = base[bisect.bisect_left(base, (since, -1), key=lambda i: (i.updated_at, i.number)):]
    elif sort == "comments":
        base = sorted(repo.by_created, key=lambda i: (i.comments, i.created_at, i.number))
    else:
        base = repo.by_created
    wanted = set(filter(None, (s.strip() for s in labels.split(",")))) if labels else None
    creator = creator.lower() if creator else None
    out = []
    for i in base:
        if pulls and i.pull is None:
            continue
        if state != "all" and i.state != state:
            continue
        if since is not None and i.updated_at < since:
            continue
        if wanted and not wanted.issubset(i.labels):
            continue
        if creator and (i.user or "").lower() != creator:
            continue
        if assignee and not _matches(assignee, i.assignee):
            continue
        if milestone and not _matches(milestone, i.milestone):
            continue
        out.append(i)
    if direction != "asc":
        out.reverse()
    return out


def _matches(wanted: str, value) -> bool:
    if wanted == "*":
        return value is not None
    if wanted == "none":
        return value is None
    return str(value).lower() == wanted.lower()


def pulls(repo: Repo, *, state="open", sort="created", direction=None, head=None, base=None,
          now: int = 0):
    """GET /repos/{o}/{r}/pulls. ``long-running`` is approximated as: open for more
    than a month and updated within the last month, oldest first."""
    sort = choice(sort, ("created", "updated", "popularity", "long-running"), "created", "sort")
    direction = choice(direction, ("asc", "desc"), "desc" if sort == "created" else "asc",
                       "direction")
    if base and base != repo.default_branch:
        return []
    key_sort = {"popularity": "comments", "long-running": "created"}.get(sort, sort)
    found = issues(repo, state=state, sort=key_sort, direction=direction, pulls=True)
    if head:
        user, _, ref = head.partition(":")
        found = [i for i in found if (i.pull.head_owner or "").lower() == user.lower()
                 and (not ref or i.pull.head_ref == ref)]
    if sort == "long-running":
        found = [i for i in found if i.state == "open" and i.created_at < now - 30 * DAY
                 and i.updated_at >= now - 30 * DAY]
    return found


def comments(repo: Repo, *, sort=None, direction=None, since=None, number=None):
    """Repository comments; ``direction`` is ignored without ``sort``, as documented."""
    sort_given = sort is not None
    sort = choice(sort, ("created", "updated"), "created", "sort")
    direction = choice(direction, ("asc", "desc"), "asc", "direction") if sort_given else "asc"
    since = since_ts(since)
    if sort == "updated":
        base = repo.comments_by_updated
        if since is not None:
            base = base[bisect.bisect_left(base, (since, -1), key=lambda c: (c.updated_at, c.id)):]
    else:
        base = repo.comments_by_created
    out = [c for c in base if (since is None or c.updated_at >= since)
           and (number is None or c.number == number)]
    if direction == "desc":
        out.reverse()
    return out


def releases(repo: Repo):
    """Published releases, newest first (drafts are hidden from readers)."""
    return [r for r in reversed(repo.releases) if not r.draft]


def commits(repo: Repo, *, sha=None, since=None, until=None, author=None):
    """Commits in git log order. ``sha`` may be the default branch or a commit SHA
    (prefix of 7+); anything else raises LookupError (GitHub answers 404)."""
    found = repo.commits
    if sha and sha != repo.default_branch and sha != "HEAD":
        start = next((k for k, c in enumerate(found) if len(sha) >= 7 and c.sha.startswith(sha)),
                     None)
        if start is None:
            raise LookupError(f"No commit found for SHA: {sha}")
        found = found[start:]
    lo, hi = since_ts(since), since_ts(until)
    author = author.lower() if author else None
    return [c for c in found if (lo is None or c.committed_at >= lo)
            and (hi is None or c.committed_at <= hi)
            and (author is None or (c.author_login or "").lower() == author)]


def contributors(repo: Repo, anon=False):
    """Derived from the commits we hold: one entry per author login, sorted by commit
    count; with anon, commits without a login are grouped by git author name."""
    counts: dict[tuple, int] = {}
    for c in repo.commits:
        key = ("user", c.author_login) if c.author_login else ("anon", c.author_name)
        if key[0] == "user" or anon:
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1].lower()))


def owner_repos(store, owner, *, sort=None, direction=None, type=None, is_user=False):
    default_sort = "full_name" if is_user else "created"
    sort = choice(sort, ("created", "updated", "pushed", "full_name"), default_sort, "sort")
    direction = choice(direction, ("asc", "desc"), "asc" if sort == "full_name" else "desc",
                       "direction")
    found = store.repos_of(owner)
    if type == "forks":
        found = [r for r in found if r.fork]
    elif type == "sources":
        found = [r for r in found if not r.fork]
    key = {"created": lambda r: (r.created_at, r.id), "updated": lambda r: (r.updated_at, r.id),
           "pushed": lambda r: (r.pushed_at, r.id),
           "full_name": lambda r: r.full_name.lower()}[sort]
    return sorted(found, key=key, reverse=direction == "desc")


_RANGE = re.compile(r"^(>=|<=|>|<)?(.+)$")


def _range_pred(expr: str, as_date: bool):
    """GitHub search range syntax: >v, >=v, <v, <=v, a..b (``*`` open), v.

    Each value is read as a half-open span [start, end): a whole day for a bare
    date, one second for a timestamp, one unit for a number.
    """
    def span(v):
        if v == "*":
            return None, None
        if as_date:
            t = to_ts(v)
            return t, t + (DAY if len(v) == 10 else 1)
        return int(v), int(v) + 1

    try:
        if ".." in expr:
            a, b = expr.split("..", 1)
            lo, hi = span(a)[0], span(b)[1]
        else:
            op, v = _RANGE.match(expr).groups()
            start, end = span(v)
            lo, hi = {">": (end, None), ">=": (start, None), "<": (None, start),
                      "<=": (None, end), None: (start, end)}[op]
    except (ValueError, TypeError, AttributeError):
        raise Invalid(f"cannot parse search range {expr!r}") from None
    return lambda x: (lo is None or x >= lo) and (hi is None or x < hi)


SEARCH_IN = ("name", "description", "topics", "readme")


def _text_of(r, fields) -> list[str]:
    out = []
    if "name" in fields:
        out.append(r.name.lower())
    if "description" in fields:
        out.append((r.description or "").lower())
    if "topics" in fields:
        out += [t.lower() for t in r.topics]
    return out


def search_repos(store, q: str, *, sort=None, order=None):
    """GET /search/repositories: every match, ordered (``routes.py`` caps and pages).

    Qualifiers, as on GitHub: ``topic:`` (several = all of them), ``org:`` (an
    organisation's repos) and ``user:`` (any owner's; several owners = any of them),
    ``repo:``, ``language:``, ``created:``/``pushed:`` (dates or timestamps with
    ``>``, ``>=``, ``<``, ``<=``, ``a..b``, ``*``), ``stars:`` (same ranges),
    ``archived:true|false``, ``fork:true|only`` (forks are left out otherwise),
    ``in:name,description,topics`` (where free words must appear; default name,
    description and topics; ``readme`` is accepted and matches nothing here),
    ``is:public`` (everything here is). Other words must all appear. "Best match"
    (no sort) is approximated by stars, highest first. Raises Invalid (422).
    """
    if not q or not q.strip():
        raise Invalid("q is missing")
    sort = choice(sort, ("stars", "forks", "updated", "help-wanted-issues"), None, "sort")
    order = choice(order, ("asc", "desc"), "desc", "order")
    try:
        words = shlex.split(q)
    except ValueError:
        words = q.split()
    preds, free, owners = [], [], []
    fork_mode, fields = "exclude", ("name", "description", "topics")
    for word in words:
        key, sep, val = word.partition(":")
        key, low = key.lower(), val.lower()
        if not sep or not val:
            free.append(word.lower())
        elif key == "topic":
            preds.append(lambda r, v=low: any(v == t.lower() for t in r.topics))
        elif key == "org":
            owners.append((low, True))
        elif key == "user":
            owners.append((low, False))
        elif key == "repo":
            preds.append(lambda r, v=low: r.full_name.lower() == v)
        elif key == "language":
            preds.append(lambda r, v=low: (r.language or "").lower() == v)
        elif key in ("created", "pushed"):
            p = _range_pred(val, True)
            preds.append(lambda r, p=p, a=key + "_at": p(getattr(r, a)))
        elif key == "stars":
            p = _range_pred(val, False)
            preds.append(lambda r, p=p: p(r.stars))
        elif key == "archived":
            preds.append(lambda r, v=low == "true": r.archived == v)
        elif key == "fork":
            fork_mode = "only" if low == "only" else "include" if low == "true" else fork_mode
        elif key == "in":
            fields = tuple(f for f in low.split(",") if f in SEARCH_IN)
            if not fields:
                raise Invalid(f"in: takes {', '.join(SEARCH_IN)}, not {val!r}")
        elif key == "is":
            continue
        else:
            free.append(word.lower())  # GitHub reads an unknown qualifier as text
    for w in free:
        preds.append(lambda r, w=w: any(w in text for text in _text_of(r, fields)))
    if owners:
        preds.append(lambda r: any(r.owner.login.lower() == login
                                   and (not org or r.owner.type == "Organization")
                                   for login, org in owners))
    if fork_mode == "exclude":
        preds.append(lambda r: not r.fork)
    elif fork_mode == "only":
        preds.append(lambda r: r.fork)
    found = [r for r in store.repos.values() if all(p(r) for p in preds)]
    key = {"updated": lambda r: (r.updated_at, r.id), "forks": lambda r: (r.forks, r.id)}.get(
        sort, lambda r: (r.stars, r.id))
    return sorted(found, key=key, reverse=order == "desc")


MAX_QUERY_CHARS = 256  # GitHub: "The search query ... cannot be longer than 256 characters"
MAX_OPERATORS = 5  # GitHub: no more than five AND, OR or NOT operators
SEARCH_CAP = 1000  # GitHub: only the first 1,000 results of a search are reachable


def search_issues(store, q: str, *, sort=None, order=None, lag: int = 0):
    """GET /search/issues -> [(repo, issue)], ordered. Qualifiers: org, user, repo (several
    of one kind are OR'ed, as on GitHub), is:issue/pr/open/closed/merged, type:, state:,
    author:, label:, updated:, created:, closed:, comments:; other words match the title
    or body. Items changed in the last ``lag`` seconds are not indexed yet (search lag).
    "Best match" (no sort) is approximated by newest created first."""
    if not q or not q.strip():
        raise Invalid("q is missing")
    if len(q) > MAX_QUERY_CHARS:
        raise Invalid(f"The search is longer than {MAX_QUERY_CHARS} characters.")
    sort = choice(sort, ("comments", "created", "updated"), None, "sort")
    order = choice(order, ("asc", "desc"), "desc", "order")
    try:
        words = shlex.split(q)
    except ValueError:
        words = q.split()
    if sum(1 for w in words if w in ("AND", "OR", "NOT")) > MAX_OPERATORS:
        raise Invalid(f"More than {MAX_OPERATORS} AND / OR / NOT operators were specified.")
    owners, names, preds = set(), set(), []
    for word in words:
        if word in ("AND", "OR", "NOT"):
            continue  # boolean structure is not modelled: terms are AND'ed
        key, sep, val = word.partition(":")
        key, low = key.lower(), val.lower()
        if not sep:
            w = word.lower()
            preds.append(lambda r, i, w=w: w in str(i.title).lower() or w in str(i.body).lower())
        elif key in ("org", "user"):
            owners.add(low)
        elif key == "repo":
            names.add(low)
        elif key in ("is", "type"):
            kind = {"issue": "issue", "pr": "pr", "pull-request": "pr"}.get(low)
            if kind:
                preds.append(lambda r, i, pr=kind == "pr": (i.pull is not None) == pr)
            elif low in ("open", "closed"):
                preds.append(lambda r, i, s=low: i.state == s)
            elif low in ("merged", "unmerged"):
                preds.append(lambda r, i, m=low == "merged": i.pull is not None
                             and (i.pull.merged_at is not None) == m)
            else:
                raise Invalid(f"unknown qualifier value {word!r}")
        elif key == "state":
            preds.append(lambda r, i, s=low: i.state == s)
        elif key == "author":
            preds.append(lambda r, i, v=low: (i.user or "").lower() == v)
        elif key == "label":
            preds.append(lambda r, i, v=low: v in {x.lower() for x in i.labels})
        elif key in ("updated", "created", "closed"):
            p = _range_pred(val, True)
            preds.append(lambda r, i, p=p, a=key + "_at": getattr(i, a) is not None
                         and p(getattr(i, a)))
        elif key == "comments":
            p = _range_pred(val, False)
            preds.append(lambda r, i, p=p: p(i.comments))
        else:
            raise Invalid(f"unsupported qualifier {key!r}")
    repos = [r for r in store.repos.values()
             if (not owners and not names) or r.owner.login.lower() in owners
             or r.full_name.lower() in names]
    visible_until = store.now() - lag if lag else None
    found = [(r, i) for r in repos for i in r.issues.values()
             if (visible_until is None or i.updated_at <= visible_until)
             and all(p(r, i) for p in preds)]
    key = {"updated": lambda ri: (ri[1].updated_at, ri[1].id),
           "comments": lambda ri: (ri[1].comments, ri[1].id)}.get(
        sort, lambda ri: (ri[1].created_at, ri[1].id))
    return sorted(found, key=key, reverse=order == "desc")
