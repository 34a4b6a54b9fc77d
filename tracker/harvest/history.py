"""Stars and forks over time (#25): the ``stargazers`` and ``forks`` history streams.

GitHub lists a repository's stargazers oldest first, each with its
``starred_at`` when asked with the ``application/vnd.github.star+json`` media
type, and its forks oldest first with ``sort=oldest``. Read once, the listings
give the whole history; after that only their tail changes, and the repository
answer every run reads anyway carries ``stargazers_count`` and ``forks_count``.
So the streams work by arithmetic (``held`` = entries stored and still present,
``count`` = GitHub's count now, ``synced`` = GitHub's count when the stream was
last in step):

- no history yet: walk the whole listing, 100 a page, a checkpoint per page;
- ``count == synced``: nothing to ask (on the repo's reconciliation day, one
  conditional request for the last page: a 304 costs nothing, and any star or
  unstar since the last look changes that page);
- ``count > synced``: the new entries are at positions ``held + 1 .. count``, so
  only pages ``held // 100 + 1`` onwards are fetched: at most ⌈k/100⌉ + 1
  requests for k new entries;
- ``count < synced`` (unstars, deleted forks), or a tail that did not add up:
  the stream is marked ``dirty`` and re-walked whole on the reconciliation
  schedule (``github.reconcile_days``); entries the walk no longer lists get
  ``stars.unstarred_at`` / ``forks.deleted_at``.

GitHub's page cap: on very large repositories the stargazers listing stops at a
fixed page (``rel="last"`` points there and the page after answers 422). It is
detected from the answer, never assumed: a full last page with no next page
while the count says more exist, or the 422. The stream is then ``capped``
(``history_coverage.capped``, ``listable``, ``capped_after`` = the date of the
last entry GitHub would list) and the weeks after that date are counted from
``repo_stats`` snapshots instead (see the ``history_weekly`` view).

``plan_history`` (main thread, reads the database) decides per repo and stream;
``history_ops`` (worker, network only) yields ops for the writer, which applies
them with ``history_save``. State (the coverage row) is written only after the
data it describes, so a stopped walk resumes from its last saved page.
"""

import json
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

from ..github import PageCapped, RequestFailed
from .ops import Failed, Gone, HistoryGone, HistoryRows, HistoryState
from .reconcile import is_due
from .streams import Missing, _check

PER_PAGE = 100
STAR_MEDIA_TYPE = "application/vnd.github.star+json"
HISTORY_STREAMS = ("stargazers", "forks")
COUNT_FIELD = {"stargazers": "stargazers_count", "forks": "forks_count"}


def plan_key(repo_id):
    return f"plan:{repo_id}:history"


def _parse(stamp):
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def wants_history(repo, config):
    """Watched repos follow ``github.history``; discovered ones their tier's setting."""
    if not config.history:
        return False
    if "streams" not in repo:
        return True
    return repo.get("tier") in config.discovery.history_tiers


def plan_history(db, targets, state, now, config):
    """Put each repo's history plan in ``state`` (read by ``history_ops``); return
    how many repos have one. A plan per stream: GitHub's count from the repository
    answer just saved, the stored coverage row, and whether reconciliation is due."""
    chosen = [r for r in targets if wants_history(r, config)]
    if not chosen:
        return 0
    ids = [r["id"] for r in chosen]
    marks = ",".join("?" * len(ids))
    counts = {row[0]: row[1:] for row in db.execute(
        f"select id, stargazers_count, forks_count from repos where id in ({marks})", ids)}
    coverage = {}
    for row in db.query(f"select * from history_coverage where repo in ({marks})", ids):
        coverage[(row["repo"], row["stream"])] = row
    when = _parse(now)
    for rid in ids:
        stars, forks = counts.get(rid, (None, None))
        plans = {}
        for stream, count in (("stargazers", stars), ("forks", forks)):
            cov = coverage.get((rid, stream))
            due = is_due(rid, cov and cov["checked_at"], when, config.reconcile_days)
            plans[stream] = {"count": count, "coverage": cov, "due": due}
            if due and cov and cov["github_count"] == count and not cov["walk"]:
                plans[stream]["last_keys"] = last_page_keys(db, rid, stream, count)
        state[plan_key(rid)] = plans
    return len(ids)


def last_page_keys(db, repo_id, stream, count):
    """Ids of the entries held for GitHub's last page of the listing."""
    skip = (max(1, -(-count // PER_PAGE)) - 1) * PER_PAGE
    sql = ("select user from stars where repo = ? and unstarred_at is null "
           "order by starred_at, user limit -1 offset ?" if stream == "stargazers" else
           "select id from forks where repo = ? and deleted_at is null "
           "order by created_at, id limit -1 offset ?")
    return {row[0] for row in db.execute(sql, [repo_id, skip])}


def history_ops(client, repo, state, stop, now):
    """Yield write ops for the history streams of one planned repo.

    Ops (``ops.py``): HistoryRows, HistoryState, HistoryGone, Failed, Gone."""
    plans = state.get(plan_key(repo["id"]))
    if not plans:
        return
    for stream in HISTORY_STREAMS:
        if stop.is_set():
            return
        plan = plans[stream]
        if plan["count"] is None:
            continue  # no repository answer with a count: nothing to reckon from
        try:
            yield from _stream_ops(client, repo, stream, plan, stop, now)
        except Missing:
            yield Gone(repo["full_name"], repo["id"])
            return
        except RequestFailed as e:
            yield Failed(repo["full_name"], repo["id"], stream, e)


def _path(repo, stream):
    base = f"repos/{repo['full_name']}/{stream}"
    return base, ({"per_page": PER_PAGE, "sort": "oldest"} if stream == "forks"
                  else {"per_page": PER_PAGE})


def _accept(stream):
    return STAR_MEDIA_TYPE if stream == "stargazers" else None


def _stream_ops(client, repo, stream, plan, stop, now):
    rid, count = repo["id"], plan["count"]
    cov = plan["coverage"] or {}
    walk = _load_walk(cov.get("walk"))
    synced, held = cov.get("github_count"), cov.get("listed") or 0
    walks = cov.get("walks") or 0
    full = {"mode": "full", "page": 1, "started": now, "id": walks + 1}
    if walk is not None:  # a walk stopped mid-way: go on from its next page
        yield from _walk(client, repo, stream, count, walk, stop, now)
    elif synced is None or (cov.get("dirty") and plan["due"]):
        yield from _walk(client, repo, stream, count, full, stop, now)
    elif cov.get("capped"):
        # GitHub will not list past its cap; what it can list is held. A shrink
        # shifts entries from beyond the cap into view: re-walk on the schedule.
        if count < synced and plan["due"]:
            yield from _walk(client, repo, stream, count, full, stop, now)
        elif count != synced:
            yield HistoryState(rid, stream,
                   {"github_count": count, "synced_at": now, "dirty": int(count < synced)})
    elif count > synced:
        page = min(held, synced) // PER_PAGE + 1
        yield from _walk(client, repo, stream, count,
                         {"mode": "tail", "page": page, "started": now, "id": walks}, stop, now)
    elif count < synced:
        if plan["due"]:
            yield from _walk(client, repo, stream, count, full, stop, now)
        else:
            yield HistoryState(rid, stream, {"dirty": 1})
    elif plan["due"]:
        yield from _check_last_page(client, repo, stream, count, plan, now)


def _check_last_page(client, repo, stream, count, plan, now):
    """Reconciliation with an unchanged count: one conditional request for the
    last page. A 304 costs nothing; a 200 listing exactly the entries held for
    that page means only their profiles changed; anything else (an unstar and a
    star in between) starts a full walk now."""
    rid, cov = repo["id"], plan["coverage"]
    walks = cov.get("walks") or 0
    path, params = _path(repo, stream)
    last = max(1, -(-count // PER_PAGE))
    page = _check(client.get(path, {**params, "page": last}, etag=cov.get("etag"),
                             accept=_accept(stream)))
    if page.status == 304:
        yield HistoryState(rid, stream, {"checked_at": now})
    elif page.status == 200:
        if {_key_of(stream, item) for item in page.items} != set(plan.get("last_keys") or ()):
            yield from _walk(client, repo, stream, count, {
                "mode": "full", "page": 1, "started": now, "id": walks + 1}, None, now)
            return
        yield HistoryRows(stream, rid, page.items, walks)
        yield HistoryState(rid, stream, {"etag": page.etag, "checked_at": now})


def _walk(client, repo, stream, count, walk, stop, now):
    """Fetch pages from ``walk["page"]`` to the end, a checkpoint after each."""
    rid = repo["id"]
    path, params = _path(repo, stream)
    number = walk["page"]
    last_items, page = [], None
    while True:
        if stop is not None and stop.is_set():
            return
        try:
            page = _check(client.get(path, {**params, "page": number}, accept=_accept(stream)))
        except PageCapped:
            # Asked past GitHub's cap (the tail of a repo that grew beyond it).
            yield from _capped(rid, stream, count, walk, (number - 1) * PER_PAGE, now)
            return
        if page.status != 200:  # 204/409 do not happen here; treat as an empty listing
            break
        if page.items:
            last_items = page.items
            yield HistoryRows(stream, rid, page.items, walk["id"])
        more = bool(page.next_url and page.items)
        walk = {**walk, "page": number + 1}
        yield HistoryState(rid, stream, {"walk": json.dumps(walk)})
        if not more:
            break
        number += 1
    cap = _cap_of(page, number, count, len(last_items))
    if cap is not None:
        yield from _capped(rid, stream, count, walk, cap, now, last_items)
        return
    if walk["mode"] == "full":
        yield HistoryGone(rid, stream, walk["id"], now, None)
    yield HistoryState(rid, stream, {
        "github_count": count, "walk": None, "etag": page.etag if page is not None else None,
        "synced_at": now, "checked_at": now, "capped": 0, "listable": None,
        "capped_after": None, **({"walked_at": now, "dirty": 0, "walks": walk["id"]}
                                 if walk["mode"] == "full" else {})})


def _cap_of(page, number, count, last_len):
    """How many entries GitHub will list, if this answer shows its page cap: the
    last page it links to is full, has no next page, and the count says more."""
    if page is None or page.status != 200 or page.next_url or last_len < PER_PAGE:
        return None
    last = _page_number(page.last_url) or number
    served = last * PER_PAGE
    return served if count > served else None


def _page_number(url):
    try:
        return int(parse_qs(urlsplit(url).query)["page"][0]) if url else None
    except (KeyError, ValueError, IndexError):
        return None


def _capped(rid, stream, count, walk, listable, now, last_items=()):
    after = _date_of(stream, last_items[-1]) if last_items else None
    if walk["mode"] == "full":
        yield HistoryGone(rid, stream, walk["id"], now, after)
    yield HistoryState(rid, stream, {
        "github_count": count, "walk": None, "capped": 1, "listable": listable,
        "synced_at": now, "checked_at": now, "dirty": 0,
        **({"capped_after": after} if after else {}),
        **({"walked_at": now, "walks": walk["id"]} if walk["mode"] == "full" else {})})


def _date_of(stream, item):
    if stream == "stargazers":
        return item.get("starred_at")
    return item.get("created_at")


def _key_of(stream, item):
    if stream == "stargazers":
        return ((item.get("user") or item) or {}).get("id")
    return item.get("id")


def _load_walk(text):
    try:
        walk = json.loads(text) if text else None
    except (TypeError, ValueError):
        return None
    if not isinstance(walk, dict) or not {"mode", "page", "started", "id"} <= set(walk):
        return None
    return walk
