"""Stargazers and forks: who starred or forked a repository, and when (#25).

GitHub lists both oldest first when asked (stargazers always; forks with
``sort=oldest``). The stargazers listing gives plain user objects, or
``{"starred_at", "user"}`` with the ``application/vnd.github.star+json`` media
type. On very large repositories GitHub stops serving the stargazers listing
past a fixed page (``rel="last"`` points at it; a later page answers 422):
``Store.star_page_cap`` (400, as on github.com) is that page.

A repository's lists are made up on first use from its counts (deterministic,
spread between its creation and the newest activity of the emulated world, so a
quiet repository still gains stars as real ones do; logins ``stargazer-N`` /
``forker-N``) and then kept, so stars and forks added or removed later
(``Store.add_star``/``remove_star``/``add_fork``/``remove_fork``/``set_stars``)
move them like GitHub's.
"""

from __future__ import annotations

import random

from .records import stable_id

STAR_MEDIA_TYPE = "application/vnd.github.star+json"
PAGE_CAP = 400
CAP_MESSAGE = ("In order to keep the API fast for everyone, pagination is limited for this "
               "resource. Check the rel=last link relation in the Link response header to see "
               "how far back you can traverse.")


class Star:
    __slots__ = ("login", "at")

    def __init__(self, login, at):
        self.login, self.at = login, at


class Fork:
    __slots__ = ("id", "owner", "name", "at")

    def __init__(self, id, owner, name, at):
        self.id, self.owner, self.name, self.at = id, owner, name, at


def _times(repo, n, salt, horizon=None):
    start = repo.created_at or 0
    end = max(repo.updated_at or 0, repo.pushed_at or 0, horizon or 0, start + n + 1)
    rng = random.Random(f"{repo.id}:{salt}")
    return sorted(start + int((end - start) * rng.random() ** 0.7) for _ in range(n))


def stargazers(repo, horizon=None) -> list:
    """The repo's stars, oldest first (made up from its count on first use, spread
    from its creation to ``horizon``, else to its own last activity)."""
    if repo.stargazers is None:
        repo.stargazers = [Star(f"stargazer-{i + 1}", at)
                           for i, at in enumerate(_times(repo, repo.stars, "stars", horizon))]
        repo.next_fan = repo.stars
    return repo.stargazers


def forks(repo, horizon=None) -> list:
    """The repo's forks, oldest first (made up like the stars)."""
    if repo.fork_list is None:
        repo.fork_list = [_fork(repo, i + 1, at)
                          for i, at in enumerate(_times(repo, repo.forks, "forks", horizon))]
        repo.next_forker = repo.forks
    return repo.fork_list


def _fork(repo, n, at, owner=None):
    owner = owner or f"forker-{n}"
    return Fork(stable_id("repo", f"{owner}/{repo.name}"), owner, repo.name, at)


def add_star(repo, login, at) -> Star:
    stars = stargazers(repo)
    if login is None:
        repo.next_fan += 1
        login = f"stargazer-{repo.next_fan}"
    if any(s.login.lower() == login.lower() for s in stars):
        raise ValueError(f"{login} already starred {repo.full_name}")
    star = Star(login, max(at, stars[-1].at if stars else at))
    stars.append(star)
    repo.stars = len(stars)
    return star


def remove_star(repo, login) -> None:
    stars = stargazers(repo)
    kept = [s for s in stars if s.login.lower() != login.lower()]
    if len(kept) == len(stars):
        raise KeyError(f"{login} has not starred {repo.full_name}")
    repo.stargazers = kept
    repo.stars = len(kept)


def add_fork(repo, owner, at) -> Fork:
    found = forks(repo)
    repo.next_forker += 1
    fork = _fork(repo, repo.next_forker, max(at, found[-1].at if found else at), owner)
    found.append(fork)
    repo.forks = len(found)
    return fork


def remove_fork(repo, fork_id) -> None:
    found = forks(repo)
    kept = [f for f in found if f.id != fork_id]
    if len(kept) == len(found):
        raise KeyError(f"no fork {fork_id} of {repo.full_name}")
    repo.fork_list = kept
    repo.forks = len(kept)


def set_count(repo, n, at) -> None:
    """``set_stars``: add stars at ``at`` or remove the newest ones until there are n."""
    stars = stargazers(repo)
    while len(stars) < n:
        add_star(repo, None, at)
    del stars[n:]
    repo.stars = len(stars)


def render_star(render, star, media_type) -> dict:
    user = render.user(star.login)
    if media_type:
        return {"starred_at": _iso(star.at), "user": user}
    return user


def render_fork(render, repo, fork) -> dict:
    full = f"{fork.owner}/{fork.name}"
    b = f"{render.api}/repos/{full}"
    at = _iso(fork.at)
    return {"id": fork.id, "node_id": f"R_fork{fork.id}", "name": fork.name, "full_name": full,
            "private": False, "owner": render.user(fork.owner),
            "html_url": f"https://github.com/{full}", "description": repo.description,
            "fork": True, "url": b, "created_at": at, "updated_at": at, "pushed_at": at,
            "stargazers_count": 0, "watchers_count": 0, "forks_count": 0, "size": repo.size,
            "default_branch": repo.default_branch, "visibility": "public", "archived": False,
            "topics": [], "forks": 0, "open_issues": 0, "watchers": 0}


def _iso(ts):
    from .records import iso
    return iso(ts)
