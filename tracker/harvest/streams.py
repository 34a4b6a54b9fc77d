"""Per-repository streams: what to fetch, and in which order, to stay incremental.

Workers run these generators; they only talk to GitHub and yield ops (tuples)
that the writer thread applies to the database in order. State (ETags and
watermarks) comes in as a read-only snapshot and goes out as ``("state", …)``
ops, written only after the data they describe.

Why the first page of each stream is a *stable* URL without ``since``: its
ETag then stays valid across runs, so an unchanged stream answers 304, which
is free. Any edit moves an item to the top of ``sort=updated`` order and
changes that page. Later pages use ``since`` (watermark minus an overlap) and
the walk stops at the watermark. Walking newest-first means an item edited
mid-run can only move onto page 1, which is re-checked (free if unchanged) at
the end, so nothing is skipped and upserts make duplicates harmless.
"""

from datetime import datetime, timedelta, timezone

from ..github import RequestFailed

OVERLAP = timedelta(minutes=5)
STREAMS = ("releases", "issues", "pulls", "comments", "commits", "contributors")


def _minus_overlap(stamp):
    dt = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (dt - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")


def _updated(item):
    return item.get("updated_at") or ""


def _committed(item):
    return ((item.get("commit") or {}).get("committer") or {}).get("date") or ""


class Missing(Exception):
    """The repository answered 404 in the middle of its streams."""


def state_key(repo_id, stream):
    return f"repo:{repo_id}:{stream}"


def repo_ops(client, repo, state, stop, streams=None):
    """Yield write ops for the streams of one repository (``streams``: an iterable of
    names from STREAMS to walk; None walks them all)."""
    full, rid = repo["full_name"], repo["id"]
    base = f"repos/{full}"
    plans = [
        ("releases", f"{base}/releases", {}, None),
        ("issues", f"{base}/issues", {"state": "all", "sort": "updated", "direction": "desc"}, _updated),
        ("pulls", f"{base}/pulls", {"state": "all", "sort": "updated", "direction": "desc"}, _updated),
        ("comments", f"{base}/issues/comments", {"sort": "updated", "direction": "desc"}, _updated),
        ("commits", f"{base}/commits", {"sha": repo.get("default_branch") or "HEAD"}, _committed),
        ("contributors", f"{base}/contributors", {}, None),
    ]
    if streams is not None:
        wanted = set(streams)
        plans = [plan for plan in plans if plan[0] in wanted]
    try:
        for stream, path, params, date_of in plans:
            if stop.is_set():
                return
            st = state.get(state_key(rid, stream), {})
            try:
                if date_of is None:
                    yield from _whole_listing(client, stream, rid, path, st)
                else:
                    yield from _changed_since(client, stream, rid, path, params, st, date_of,
                                              use_since=stream != "pulls")
            except RequestFailed as e:
                # One broken stream must not cost the repo's other streams.
                yield ("error", f"{full} {stream}: {e}")
    except Missing:
        yield ("missing", full)


def _check(page):
    if page.status == 404:
        raise Missing()
    return page


def _whole_listing(client, stream, rid, path, st):
    """Short listings (releases, contributors): refetch all pages when page 1 changed."""
    first = None
    for page in client.pages(path, etag=st.get("etag"), last_modified=st.get("last_modified")):
        _check(page)
        if page.status != 200:  # 304 unchanged, or 204/409 empty repository
            return
        first = first or page
        yield (stream, rid, page.items)
    yield ("state", state_key(rid, stream),
           {"etag": first.etag, "last_modified": first.last_modified})


def _changed_since(client, stream, rid, path, params, st, date_of, use_since):
    watermark = st.get("watermark")
    floor = _minus_overlap(watermark) if watermark else ""
    params = {**params, "per_page": 100}
    first = _check(client.get(path, params, etag=st.get("etag"),
                              last_modified=st.get("last_modified")))
    if first.status != 200:  # 304 unchanged, or 204/409 empty repository
        return
    newest = yield from _walk(client, stream, rid, path, params, first, floor, date_of, use_since)
    # Items edited while we paged moved to page 1: re-check it (free when unchanged).
    etag, last_modified = first.etag, first.last_modified
    for _ in range(3):
        again = _check(client.get(path, params, etag=etag, last_modified=last_modified))
        if again.not_modified:
            break
        etag, last_modified = again.etag, again.last_modified
        seen = yield from _walk(client, stream, rid, path, params, again, newest, date_of, use_since)
        newest = max(newest, seen)
    fields = {"etag": etag, "last_modified": last_modified}
    if newest:
        fields["watermark"] = max(newest, watermark or "")
    yield ("state", state_key(rid, stream), fields)


def _walk(client, stream, rid, path, params, page, floor, date_of, use_since):
    """Yield pages newest-first down to ``floor``; return the newest date seen."""
    newest = ""
    number = 1
    while True:
        items = page.items
        fresh = [item for item in items if date_of(item) >= floor]
        if fresh:
            newest = max(newest, max(date_of(item) for item in fresh))
            yield (stream, rid, fresh)
        if len(fresh) < len(items) or not page.next_url or not items:
            return newest
        number += 1
        if use_since and floor:
            page = _check(client.get(path, {**params, "since": floor, "page": number}))
        else:
            page = _check(client.get(page.next_url))
