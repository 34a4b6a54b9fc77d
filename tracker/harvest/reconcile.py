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
- 404 or 410: deleted (``issues.deleted_at``).

The cost is spread: a repo's turn is the day when ``day number % cadence ==
repo id % cadence``, so each run pays for about 1/cadence of the repos (a repo
whose turn was missed, e.g. no run that day, goes as soon as it is overdue). A
repo whose open listing fits one page and has not changed costs one 304, free
against the rate limit.

``plan_reconcile`` (main thread, reads the database) marks which repos are due
and what they have stored as open; ``reconcile_ops`` (worker thread, network
only) yields ops in ``streams.repo_ops``' format for the writer;
``save_reconciled`` (writer) records transfers and deletions.
"""

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from ..github import RequestFailed
from .streams import Missing, _check, state_key

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
    """Put a plan (stored-open issue numbers) in ``state`` for each due repo; return their ids.

    ``now`` is an ISO UTC string. Issues already known as transferred or
    deleted are not asked about again.
    """
    when = _parse(now)
    due = [r["id"] for r in repos
           if is_due(r["id"], state.get(state_key(r["id"], "reconcile"), {}).get("watermark"),
                     when, every_days)]
    for rid in due:
        numbers = {row[0] for row in db.execute(
            "select number from issues where repo = ? and state = 'open' "
            "and transferred_to is null and deleted_at is null", [rid])}
        state[plan_key(rid)] = {"open": numbers}
    return due


def reconcile_ops(client, repo, state, stop, now):
    """Yield write ops reconciling one repo if ``plan_reconcile`` marked it due.

    Ops: ``("issues", repo_id, items)`` for the open listing and for resolved
    issues still in the repo, ``("reconciled", repo_id, fates)`` for transferred
    or deleted ones, ``("state", key, fields)`` last, ``("error", text)`` if a
    request fails, ``("missing", full_name)`` if the repo answers 404.
    """
    rid, full = repo["id"], repo["full_name"]
    plan = state.get(plan_key(rid))
    if plan is None or stop.is_set():
        return
    st = state.get(state_key(rid, "reconcile"), {})
    try:
        seen, first, pages = set(), None, 0
        # Only a one-page listing can be skipped on a 304: with more pages, the
        # numbers on an unchanged page would be unknown.
        params = {"state": "open", "per_page": 100}
        for page in client.pages(f"repos/{full}/issues", params, etag=st.get("etag")):
            _check(page)
            if page.status == 304:
                yield ("state", state_key(rid, "reconcile"), {"watermark": now})
                return
            if page.status != 200:  # 204/409: an empty repository
                break
            first, pages = first or page, pages + 1
            seen.update(item["number"] for item in page.items)
            if page.items:
                yield ("issues", rid, page.items)
            if stop.is_set():
                return
        fates = []
        for number in sorted(plan["open"] - seen):
            if stop.is_set():
                return
            fate = _resolve(client, rid, full, number, now)
            if isinstance(fate, dict) and "fate" in fate:
                fates.append(fate)
            elif fate is not None:
                yield ("issues", rid, [fate])
            if len(fates) >= BATCH:
                yield ("reconciled", rid, fates)
                fates = []
        if fates:
            yield ("reconciled", rid, fates)
    except RequestFailed as e:
        yield ("error", f"{full} reconcile: {e}")
        return
    except Missing:
        yield ("missing", full)
        return
    single = first is not None and pages == 1
    yield ("state", state_key(rid, "reconcile"),
           {"watermark": now, "etag": first.etag if single else None,
            "last_modified": first.last_modified if single else None})


def _resolve(client, rid, full, number, now):
    """One request about an issue the open listing did not show: its payload or its fate."""
    page = client.get(f"repos/{full}/issues/{number}")
    if page.status in (404, 410):
        return {"number": number, "fate": "deleted", "status": page.status, "at": now}
    if page.status != 200 or not isinstance(page.data, dict):
        return None
    path = urlsplit(page.url).path.rstrip("/").lower()
    here = (f"/repos/{full.lower()}/issues/{number}", f"/repositories/{rid}/issues/{number}")
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
