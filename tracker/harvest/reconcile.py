"""The reconciliation walk: catch what the incremental streams cannot see.

Two things never move an issue's ``updated_at``, so the newest-first streams
(``streams.py``) miss them: reactions arriving on an old issue, and an issue
leaving its repository (transferred elsewhere, or deleted), which simply drops
out of the listing and would stay ``open`` here forever.

So, once per cadence (``github.reconcile_days``, default 7) and per repository,
the walk re-lists the repo's *open* issues and PRs (``state=open``), saves them
(fresh reactions and comment counts), and asks about every issue stored as open
that the listing did not contain, one request each:

- 200 from the same repository: saved as it is now (closed → closed);
- 301 to another repository: transferred (``issues.transferred_to`` = its new
  ``html_url``, ``transferred_at``);
- 301 to a place that then answers 404 (a repository the token cannot read):
  transferred, ``transferred_to`` = the API URL GitHub redirected to — moved,
  not deleted;
- 404 or 410 at its own URL: deleted (``issues.deleted_at``).

Each issue is resolved on its own: one that cannot be (a redirect loop, bounded
by the client; a 5xx that persists) is one recorded error, the others are still
resolved and the walk's watermark moves, so the repo's next walk stays on its
schedule and the issue is asked about again then.

A transfer need not wait for the repo's turn: every run reads the repository
answer anyway, and its ``open_issues_count`` (open issues + PRs) drops when one
leaves. So for a repo that is not due, the worker projects the stored open
numbers through the issues this run saved (``track_open``) and starts the walk at
once (at most once a day) when the projection disagrees with the count — no
extra request.

The cost is spread: a repo's turn is the day when ``day number % cadence ==
repo id % cadence``, so each run pays for about 1/cadence of the repos (a repo
whose turn was missed, e.g. no run that day, goes as soon as it is overdue).
Every page of the open listing is asked conditionally (its ETag is kept in the
``repo:{id}:reconcile`` state row, as a JSON list), so a repo whose open issues
have not changed costs one free 304 per page. A changed listing costs one
counted request per page of 100 open issues, plus one per stored-open issue
it no longer shows (two for a transfer: the 301 and its new home).

``plan_reconcile`` (main thread, reads the database) marks which repos are due
and what they have stored as open; ``reconcile_ops`` (worker thread, network
only) yields ops (``ops.py``) for the writer;
``save_reconciled`` (writer) records transfers and deletions.
"""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from ..classify import GONE_STATUSES
from ..github import RequestFailed
from .ops import Failed, Gone, Note, Rows, State, Stream, state_key
from .streams import Missing, _check

EVERY_DAYS = 7
BATCH = 50  # resolved issues per write op


def plan_key(repo_id):
    """Where ``plan_reconcile`` leaves its plan for a repo in the run's state snapshot."""
    return f"plan:{repo_id}:reconcile"


def _parse(stamp):
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def is_due(repo_id, last, now, every_days=EVERY_DAYS):
    """Whether a repo reconciles in a run at ``now`` (datetime), last walked at ``last`` (ISO or None)."""
    if every_days <= 0:
        return False
    day = (now - datetime(1970, 1, 1, tzinfo=timezone.utc)).days
    if last and _parse(last).date() == now.date():
        return False  # at most once a day, however often the harvest runs
    if day % every_days == repo_id % every_days:
        return True
    return bool(last) and now - _parse(last) > timedelta(days=every_days)


def plan_reconcile(db, repos, state, now, every_days=EVERY_DAYS):
    """Put a plan (stored-open issue numbers) in ``state`` for each repo; return the ids
    of those due. A repo not due is walked only if its ``open_issues_count`` says
    so after its streams (``reconcile_ops``).

    ``now`` is an ISO UTC string. Issues already known as transferred or
    deleted are not asked about again.
    """
    if every_days <= 0:
        return []
    when = _parse(now)
    due = []
    for repo in repos:
        rid = repo["id"]
        last = state.get(state_key(rid, "reconcile"), {}).get("watermark")
        is_turn = is_due(rid, last, when, every_days)
        if not is_turn and repo.get("open_issues_count") is None:
            continue
        numbers = {row[0] for row in db.execute(
            "select number from issues where repo = ? and state = 'open' "
            "and transferred_to is null and deleted_at is null", [rid])}
        state[plan_key(rid)] = {"open": numbers, "due": is_turn,
                                "walked_today": bool(last) and _parse(last).date() == when.date()}
        if is_turn:
            due.append(rid)
    return due


def track_open(ops, seen):
    """Pass a repo's ops through, noting in ``seen`` ({number: state}) every issue
    or PR its streams save, for ``reconcile_ops``' count check."""
    for op in ops:
        if isinstance(op, Rows) and op.stream in ("issues", "pulls") \
                and isinstance(op.items, list):
            for item in op.items:
                if isinstance(item, dict) and "number" in item:
                    seen[item["number"]] = item.get("state")
        yield op


def _count_disagrees(plan, repo, seen):
    """Whether the repo's open_issues_count differs from the open rows it will have."""
    expected = repo.get("open_issues_count")
    if expected is None:
        return False
    projected = {n for n in plan["open"] if seen.get(n, "open") == "open"}
    projected |= {n for n, s in seen.items() if s == "open"}
    return len(projected) != expected


def reconcile_ops(client, repo, state, stop, now, seen=None):
    """Yield write ops reconciling one repo if ``plan_reconcile`` marked it due, or if
    its open_issues_count disagrees with its open rows after this run's streams
    (``seen``: what ``track_open`` noted).

    Ops: ``Rows("issues", ...)`` for the open listing and for resolved issues
    still in the repo, ``Rows("reconciled", ...)`` for transferred or deleted
    ones, a ``State`` last, ``Failed`` if a request fails, ``Gone`` on a 404.
    """
    rid, full = repo["id"], repo["full_name"]
    plan = state.get(plan_key(rid))
    if plan is None or stop.is_set():
        return
    if not plan.get("due", True):
        # At most once a day, like the turns: an issue that cannot be resolved keeps
        # the count off, and must not cost a walk (and an error) every run.
        if plan.get("walked_today") or not _count_disagrees(plan, repo, seen or {}):
            return
        yield Note(f"{full}: open_issues_count {repo.get('open_issues_count')} disagrees "
                       "with the open issues stored; reconciling now")
    st = state.get(state_key(rid, "reconcile"), {})
    # Its pages are saved as the issues and reconciled streams.
    # Not Stream(rid, "reconcile"): an issue that cannot be resolved is its own error,
    # and the walk's watermark still moves (a failed listing yields no State at all).
    needs = (Stream(rid, "issues"), Stream(rid, "reconciled"))
    try:
        listing = yield from _open_listing(client, full, rid, _etags(st), stop)
        if listing is None:  # stopped, or every page unchanged since the last walk
            if not stop.is_set():
                yield State(state_key(rid, "reconcile"), {"watermark": now}, needs=needs)
            return
        seen, etags = listing
        fates = []
        for number in sorted(plan["open"] - seen):
            if stop.is_set():
                return
            try:
                fate = _resolve(client, rid, full, number, now)
            except RequestFailed as e:  # this error; the others are still asked
                yield Failed(full, rid, "reconcile", e)
                continue
            if isinstance(fate, dict) and "fate" in fate:
                fates.append(fate)
            elif fate is not None:
                yield Rows("issues", rid, [fate])
            if len(fates) >= BATCH:
                yield Rows("reconciled", rid, fates)
                fates = []
        if fates:
            yield Rows("reconciled", rid, fates)
    except RequestFailed as e:
        yield Failed(full, rid, "reconcile", e)
        return
    except Missing as e:
        yield Gone(full, rid, e.reason)
        return
    yield State(state_key(rid, "reconcile"), {"watermark": now, "etag": json.dumps(etags)},
                needs=needs)


def _etags(st):
    # The walk keeps one ETag per page of the open listing, as a JSON list.
    try:
        etags = json.loads(st.get("etag") or "[]")
    except ValueError:
        return []
    return etags if isinstance(etags, list) else []


def _open_listing(client, full, rid, etags, stop):
    """Save the open listing page by page; return (numbers seen, page ETags).

    Every page is asked conditionally. If all answer 304, the listing is as
    it was at the last walk (any opened, closed or moved issue shifts every
    later page, the last one included) and None is returned: nothing to do.
    If some page changed, the unchanged ones are fetched again, since their
    issue numbers are needed to tell which stored-open issues went missing.
    """
    path, params = f"repos/{full}/issues", {"state": "open", "per_page": 100}
    pages, number = {}, 1
    while not stop.is_set():
        known = etags[number - 1] if number <= len(etags) else None
        page = _check(client.get(path, {**params, "page": number}, etag=known))
        if page.status == 304:
            pages[number] = None
            more = number < len(etags)
        elif page.status == 200:
            pages[number] = page
            more = bool(page.next_url and page.items)
        else:  # 204/409: an empty repository
            more = False
        if not more:
            break
        number += 1
    if stop.is_set() or all(p is None for p in pages.values()):
        return None
    seen, new_etags = set(), []
    for number in sorted(pages):
        page = pages[number] or _check(client.get(path, {**params, "page": number}))
        if page.status != 200:
            continue
        seen.update(item["number"] for item in page.items)
        new_etags.append(page.etag)
        if page.items:
            yield Rows("issues", rid, page.items)
    return seen, new_etags


def _resolve(client, rid, full, number, now):
    """One request about an issue the open listing did not show: its payload or its fate."""
    page = client.get(f"repos/{full}/issues/{number}")
    path = urlsplit(page.url).path.rstrip("/").lower()
    here = (f"/repos/{full.lower()}/issues/{number}", f"/repositories/{rid}/issues/{number}")
    if page.status in GONE_STATUSES:
        if not path.endswith(here):  # redirected, then not readable: moved, not deleted
            return {"number": number, "fate": "transferred", "at": now, "location": page.url}
        return {"number": number, "fate": "deleted", "status": page.status, "at": now}
    if page.status != 200 or not isinstance(page.data, dict):
        return None
    if path.endswith(here):  # still here (a renamed repo redirects to its own id)
        return page.data
    return {"number": number, "fate": "transferred", "at": now,
            "location": page.data.get("html_url") or page.url}


def save_reconciled(db, fates, repo_id, bots=()):
    """Record transferred and deleted issues of one repo; return how many.

    ``fates``: ``{"number", "fate": "transferred"|"deleted", "at": ISO time,
    "location"?}``. The rows stay (history), ``state`` is untouched (a transfer
    is not a close), and queries of open issues skip them.
    """
    for fate in fates:
        if fate["fate"] == "transferred":
            db.execute("update issues set transferred_to = ?, transferred_at = ? "
                       "where repo = ? and number = ?",
                       [fate["location"], fate["at"], repo_id, fate["number"]])
        else:
            db.execute("update issues set deleted_at = coalesce(deleted_at, ?) "
                       "where repo = ? and number = ?", [fate["at"], repo_id, fate["number"]])
    return len(fates)
