"""URL routing and pagination: request path + query -> status, JSON-able body, headers.

Runs under ``store.lock``; knows nothing about sockets, tokens or rate limits
(``server.py`` does). Link headers follow the real API: absolute URLs on the
emulator's base, repository sub-resources under ``/repositories/{id}/...``,
organisation lists under ``/organizations/{id}/repos``, user lists under
``/user/{id}/repos``, every other query parameter kept and ``page`` last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlencode

from . import history
from . import query as q
from .query import Invalid

DOCS = "https://docs.github.com/rest"


@dataclass
class Result:
    status: int = 200
    body: object = None
    last_modified: int | None = None
    headers: list = field(default_factory=list)


class HTTPError(Exception):
    def __init__(self, status: int, body: dict, headers=()):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, list(headers)


def not_found() -> HTTPError:
    return HTTPError(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


@dataclass
class Ctx:
    store: object
    render: object
    base: str  # "http://127.0.0.1:PORT"
    path: str
    pairs: list  # query parameters in request order
    options: dict = field(default_factory=dict)  # emulator switches (search lag, ...)

    @property
    def query(self) -> dict:
        return dict(self.pairs)

    def get(self, name, default=None):
        return self.query.get(name, default)


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def paginate(ctx: Ctx, items: list, link_path: str, render, cap: int | None = None) -> Result:
    per_page = _int(ctx.get("per_page"), 30)
    per_page = 30 if per_page < 1 else min(per_page, 100)
    page = max(_int(ctx.get("page"), 1), 1)
    last = max(1, -(-len(items) // per_page))
    if cap is not None:  # GitHub's page cap on some listings (history.py)
        last = min(last, cap)
        if page > cap:
            raise HTTPError(422, {"message": history.CAP_MESSAGE, "documentation_url": DOCS,
                                  "status": "422"})
    chunk = items[(page - 1) * per_page: page * per_page]
    kept = [(k, v) for k, v in ctx.pairs if k != "page"]

    def url(n):
        return f"{ctx.base}{link_path}?{urlencode(kept + [('page', n)])}"

    rels = []
    if page > 1:
        rels.append((url(min(page - 1, last)), "prev"))
    if page < last:
        rels += [(url(page + 1), "next"), (url(last), "last")]
    if page > 1:
        rels.append((url(1), "first"))
    headers = [("Link", ", ".join(f'<{u}>; rel="{r}"' for u, r in rels))] if rels else []
    return Result(body=[render(x) for x in chunk], headers=headers)


# -- accounts -------------------------------------------------------------------
def _owner_repos(ctx: Ctx, owner, link_path: str, is_user: bool) -> Result:
    found = q.owner_repos(ctx.store, owner, sort=ctx.get("sort"), direction=ctx.get("direction"),
                          type=ctx.get("type"), is_user=is_user)
    res = paginate(ctx, found, link_path, ctx.render.repo)
    res.last_modified = max([owner.modified] + [r.last_modified() for r in found])
    return res


def org(ctx, login, repos=False):
    owner = ctx.store.owner(login)
    if owner is None or owner.type != "Organization":
        raise not_found()
    if repos:
        return _owner_repos(ctx, owner, f"/organizations/{owner.id}/repos", False)
    return Result(body=ctx.render.profile(owner.login), last_modified=owner.modified)


def org_by_id(ctx, oid, repos=False):
    owner = ctx.store.owner_by_id(int(oid))
    if owner is None or owner.type != "Organization":
        raise not_found()
    return org(ctx, owner.login, repos)


def user(ctx, login, repos=False):
    owner = ctx.store.owner(login)
    if owner is None and login.lower() not in ctx.store.users:
        raise not_found()
    if repos:
        if owner is None:  # a known login that owns nothing here
            return Result(body=[], last_modified=0)
        return _owner_repos(ctx, owner, f"/user/{owner.id}/repos", True)
    return Result(body=ctx.render.profile(ctx.store.users.get(login.lower(), login)),
                  last_modified=owner.modified if owner else 0)


def user_by_id(ctx, uid, repos=False):
    owner = ctx.store.owner_by_id(int(uid))
    if owner is None:
        raise not_found()
    return user(ctx, owner.login, repos)


SEARCH_CAP = 1000  # GitHub serves the first 1,000 results of any search, no more


def search_repositories(ctx):
    """Search answers: ``total_count`` counts every match, but only the first 1,000
    can be paged (a page past them is 422, as on GitHub). ``store.search_incomplete``
    > 0 makes the next answers time out inside GitHub's search: ``incomplete_results``
    true and only part of the page."""
    found = q.search_repos(ctx.store, ctx.get("q"), sort=ctx.get("sort"), order=ctx.get("order"))
    per_page = min(max(_int(ctx.get("per_page"), 30), 1), 100)
    if (max(_int(ctx.get("page"), 1), 1) - 1) * per_page >= SEARCH_CAP:
        raise HTTPError(422, {"message": "Only the first 1000 search results are available",
                              "documentation_url": "https://docs.github.com/v3/search/",
                              "status": "422"})
    res = paginate(ctx, found[:SEARCH_CAP], "/search/repositories",
                   lambda r: {**ctx.render.repo(r), "score": 1.0})
    incomplete = ctx.store.search_incomplete > 0
    if incomplete:
        ctx.store.search_incomplete -= 1
        res.body = res.body[: len(res.body) // 2]
    res.body = {"total_count": len(found), "incomplete_results": incomplete, "items": res.body}
    res.last_modified = max((r.updated_at for r in found), default=0)
    return res


def search_issues(ctx):
    """GitHub's search semantics: ``total_count`` is the whole match, but only the first
    1,000 results can be paged to (a page past them is 422); ``incomplete_results`` and
    the index lag (seconds) come from the emulator's ``search_incomplete``/``search_lag``."""
    found = q.search_issues(ctx.store, ctx.get("q"), sort=ctx.get("sort"), order=ctx.get("order"),
                            lag=ctx.options.get("search_lag", 0))
    per_page = min(max(_int(ctx.get("per_page"), 30), 1), 100)
    if (max(_int(ctx.get("page"), 1), 1) - 1) * per_page >= q.SEARCH_CAP and found:
        raise HTTPError(422, {"message": "Only the first 1000 search results are available",
                              "documentation_url": "https://docs.github.com/v3/search/",
                              "status": "422"})
    res = paginate(ctx, found[:q.SEARCH_CAP], "/search/issues",
                   lambda ri: {**ctx.render.issue(*ri), "score": 1.0})
    res.body = {"total_count": len(found),
                "incomplete_results": bool(ctx.options.get("search_incomplete")),
                "search_type": "lexical", "items": res.body}
    res.last_modified = max((i.updated_at for _, i in found), default=0)
    return res


# -- repositories ---------------------------------------------------------------
def repo_by_name(ctx, owner, name, sub):
    repo, moved = ctx.store.resolve(f"{owner}/{name}")
    if repo is None:
        raise not_found()
    _blocked(ctx, repo)
    if moved:
        query = f"?{urlencode(ctx.pairs)}" if ctx.pairs else ""
        location = f"{ctx.base}/repositories/{repo.id}{sub or ''}{query}"
        raise HTTPError(301, {"message": "Moved Permanently", "url": location,
                              "documentation_url": "https://docs.github.com/v3/#http-redirects"},
                        [("Location", location)])
    return repo_sub(ctx, repo, sub or "")


def repo_by_id(ctx, rid, sub):
    repo = ctx.store.repo_by_id(int(rid))
    if repo is None:
        raise not_found()
    _blocked(ctx, repo)
    return repo_sub(ctx, repo, sub or "")


def _blocked(ctx, repo):
    """A repo blocked with store.block_repo answers the same to every request."""
    if repo.id in ctx.store.blocked:
        status, body = ctx.store.blocked[repo.id]
        raise HTTPError(status, body)


def repo_sub(ctx: Ctx, repo, sub: str) -> Result:
    r, get, link = ctx.render, ctx.get, f"/repositories/{repo.id}{sub}"
    mod = repo.mod
    if sub in ("", "/"):
        return Result(body=r.full_repo(repo), last_modified=repo.last_modified())
    if sub == "/releases":
        res = paginate(ctx, q.releases(repo), link, lambda x: r.release(repo, x))
        res.last_modified = mod["releases"]
        return res
    if sub == "/releases/latest":
        final = [x for x in q.releases(repo) if not x.prerelease]
        if not final:
            raise not_found()
        latest = max(final, key=lambda x: (x.published_at or 0, x.id))
        return Result(body=r.release(repo, latest), last_modified=mod["releases"])
    if sub == "/tags":
        res = paginate(ctx, repo.tags, link, lambda x: r.tag(repo, x))
        res.last_modified = mod["tags"]
        return res
    if sub == "/issues":
        found = q.issues(repo, state=get("state"), sort=q.choice(get("sort"), (
            "created", "updated", "comments"), "created", "sort"),
            direction=q.choice(get("direction"), ("asc", "desc"), "desc", "direction"),
            since=get("since"), labels=get("labels"), creator=get("creator"),
            assignee=get("assignee"), milestone=get("milestone"))
        res = paginate(ctx, found, link, lambda x: r.issue(repo, x))
        res.last_modified = mod["issues"]
        return res
    if sub == "/issues/comments":
        found = q.comments(repo, sort=get("sort"), direction=get("direction"), since=get("since"))
        res = paginate(ctx, found, link, lambda x: r.comment(repo, x))
        res.last_modified = mod["comments"]
        return res
    m = re.fullmatch(r"/issues/(\d+)(/comments)?", sub)
    if m:
        issue = repo.issues.get(int(m.group(1)))
        if issue is None:
            _gone_issue(ctx, repo, int(m.group(1)), m.group(2) or "")
        if not m.group(2):
            return Result(body=r.issue(repo, issue), last_modified=issue.updated_at)
        found = q.comments(repo, since=get("since"), number=issue.number)
        res = paginate(ctx, found, link, lambda x: r.comment(repo, x))
        res.last_modified = mod["comments"]
        return res
    if sub == "/pulls":
        found = q.pulls(repo, state=get("state"), sort=get("sort"), direction=get("direction"),
                        head=get("head"), base=get("base"), now=ctx.store.now())
        res = paginate(ctx, found, link, lambda x: r.pull(repo, x))
        res.last_modified = max(mod["issues"], repo.last_modified())  # repo is embedded
        return res
    if sub == "/stargazers":  # oldest first; starred_at only with the star media type
        media = history.STAR_MEDIA_TYPE in (ctx.options.get("accept") or "")
        res = paginate(ctx, history.stargazers(repo, ctx.store.horizon()), link,
                       lambda s: history.render_star(r, s, media), cap=ctx.store.star_page_cap)
        res.last_modified = mod.get("stargazers", repo.created_at)
        return res
    if sub == "/forks":
        found = history.forks(repo, ctx.store.horizon())
        order = q.choice(get("sort"), ("newest", "oldest", "stargazers", "watchers"), "newest",
                         "sort")
        found = found if order == "oldest" else found[::-1]
        res = paginate(ctx, found, link, lambda f: history.render_fork(r, repo, f))
        res.last_modified = mod.get("forks", repo.created_at)
        return res
    if sub in ("/contributors", "/commits") and not repo.commits and not repo.size:
        # An empty repository, as GitHub answers it: 204 without a body, 409.
        if sub == "/contributors":
            raise HTTPError(204, None)
        raise HTTPError(409, {"message": "Git Repository is empty.", "documentation_url": DOCS,
                              "status": "409"})
    if sub == "/contributors":
        found = q.contributors(repo, anon=get("anon") in ("1", "true"))
        res = paginate(ctx, found, link, lambda kv: r.contributor(*kv))
        res.last_modified = mod["commits"]
        return res
    if sub == "/commits":
        try:
            found = q.commits(repo, sha=get("sha"), since=get("since"), until=get("until"),
                              author=get("author"))
        except LookupError as e:
            raise HTTPError(404, {"message": str(e), "documentation_url": DOCS,
                                  "status": "404"}) from None
        res = paginate(ctx, found, link, lambda x: r.commit(repo, x))
        res.last_modified = mod["commits"]
        return res
    raise not_found()


def _gone_issue(ctx, repo, number, rest):
    """A transferred issue answers 301 to its new home; a deleted one 410 (or 404)."""
    gone = ctx.store.gone_issues.get((repo.id, number))
    if gone and gone[0] == "transferred":
        location = f"{ctx.base}/repositories/{gone[1]}/issues/{gone[2]}{rest}"
        raise HTTPError(301, {"message": "Moved Permanently", "url": location,
                              "documentation_url": "https://docs.github.com/v3/#http-redirects"},
                        [("Location", location)])
    if gone and gone[1] == 410:
        raise HTTPError(410, {"message": "This issue was deleted", "documentation_url": DOCS,
                              "status": "410"})
    raise not_found()


ROUTES = [
    (re.compile(r"/search/repositories"), search_repositories, {}),
    (re.compile(r"/search/issues"), search_issues, {}),
    (re.compile(r"/orgs/([^/]+)"), org, {}),
    (re.compile(r"/orgs/([^/]+)/repos"), org, {"repos": True}),
    (re.compile(r"/organizations/(\d+)"), org_by_id, {}),
    (re.compile(r"/organizations/(\d+)/repos"), org_by_id, {"repos": True}),
    (re.compile(r"/users/([^/]+)"), user, {}),
    (re.compile(r"/users/([^/]+)/repos"), user, {"repos": True}),
    (re.compile(r"/user/(\d+)"), user_by_id, {}),
    (re.compile(r"/user/(\d+)/repos"), user_by_id, {"repos": True}),
    (re.compile(r"/repos/([^/]+)/([^/]+)(/.*)?"), repo_by_name, {}),
    (re.compile(r"/repositories/(\d+)(/.*)?"), repo_by_id, {}),
]


def dispatch(ctx: Ctx) -> Result:
    """Route one GET; raises HTTPError for 301/404/422."""
    path = ctx.path.rstrip("/") or "/"
    for pattern, fn, kwargs in ROUTES:
        m = pattern.fullmatch(path)
        if m:
            groups = [unquote(g) if g and not g.startswith("/") else g for g in m.groups()]
            try:
                return fn(ctx, *groups, **kwargs)
            except Invalid as e:
                raise HTTPError(422, {"message": "Validation Failed",
                                      "errors": [{"message": str(e), "code": "invalid"}],
                                      "documentation_url": DOCS, "status": "422"}) from None
    raise not_found()
