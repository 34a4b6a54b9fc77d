"""Per-repository streams: what to fetch, and in which order, to stay incremental.

Workers run these generators; they only talk to GitHub and yield ops
(``ops.py``) that the writer thread applies to the database in order. State
(ETags and watermarks) comes in as a read-only snapshot and goes out as
``State`` ops naming the stream they describe, written only after its data and
never when one of its pages failed to save.

Why the first page of each stream is a *stable* URL without ``since``: its
ETag then stays valid across runs, so an unchanged stream answers 304, which
is free. Any edit moves an item to the top of ``sort=updated`` order and
changes that page. Later pages use ``since`` (watermark minus an overlap) and
the walk stops at the watermark. Walking newest-first means an item edited
mid-run can only move onto page 1, which is re-checked (free if unchanged) at
the end, so nothing is skipped and upserts make duplicates harmless.

Checkpoints: after each page of a newest-first walk, a ``checkpoint`` (page
number reached, newest date seen, floor) is stored. A walk stopped there (rate
limit, signal, crash) resumes next run in two parts: from page 1 down to that
newest date (everything edited or created since moved up there), then from the
next page on down to the old floor. In ``sort=updated`` order unseen items can
only move down the list (an edit moves an item to the top, shifting those
below it by one) or up to the top, so none is skipped.

Quiet repositories: once every stream of a repo completed, its ``pushed_at``,
``updated_at`` and ``size`` are stored; while they stay the same, commits and
contributors cannot have changed and are not asked for (an empty repository's
409/204 carry no validator, so asking would cost a request every run).
"""

import json
from datetime import datetime, timedelta, timezone

from ..classify import GONE_STATUSES, gone_reason
from ..github import Permanent, RequestFailed
from .ops import Failed, Gone, Rows, State, Stream, state_key
from .ops import Permanent as PermanentOp

OVERLAP = timedelta(minutes=5)
STREAMS = ("releases", "issues", "pulls", "comments", "commits", "contributors")
# Streams that only change with a push (which moves the repo's pushed_at/size).
PUSH_STREAMS = ("commits", "contributors")


def _minus_overlap(stamp):
    dt = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (dt - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")


def _updated(item):
    return item.get("updated_at") or ""


def _committed(item):
    return ((item.get("commit") or {}).get("committer") or {}).get("date") or ""


class Missing(Exception):
    """The repository answered 404, 410 or 451 in the middle of its streams;
    ``reason`` is what it said ("451 Repository access blocked (dmca)")."""

    def __init__(self, reason=None):
        super().__init__(reason)
        self.reason = reason


def repo_ops(client, repo, state, stop, streams=None):
    """Yield write ops for the streams of one repository (``streams``: names to
    walk, None = all of STREAMS). Ops: Rows, State, Failed, Permanent, Gone."""
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
    quiet_key = state_key(rid, "quiet")
    signature = _signature(repo)
    quiet = signature is not None and state.get(quiet_key, {}).get("watermark") == signature
    complete = True
    try:
        for stream, path, params, date_of in plans:
            if stop.is_set():
                return
            if streams is not None and stream not in streams:
                complete = False
                continue
            st = state.get(state_key(rid, stream), {})
            if st.get("permanent"):
                continue  # recorded once; GitHub answers the same every time
            if quiet and stream in PUSH_STREAMS:
                continue  # nothing was pushed since these were last complete
            try:
                if date_of is None:
                    yield from _whole_listing(client, stream, rid, path, st)
                else:
                    yield from _changed_since(client, stream, rid, path, params, st, date_of,
                                              use_since=stream != "pulls")
            except Permanent as e:
                yield PermanentOp(full, rid, stream, str(e))
            except RequestFailed as e:
                # One broken stream must not cost the repo's other streams.
                complete = False
                yield Failed(full, rid, stream, e)
    except Missing as e:
        yield Gone(full, rid, e.reason)
        return
    if complete and signature is not None and not quiet:
        yield State(quiet_key, {"watermark": signature},
                    needs=tuple(Stream(rid, name) for name in STREAMS))


def _signature(repo):
    values = [repo.get(k) for k in ("pushed_at", "updated_at", "size")]
    return None if values[0] is None else "|".join(str(v) for v in values)


def _check(page):
    if page.status in GONE_STATUSES:
        raise Missing(gone_reason(page.status, page.data))
    return page


def _whole_listing(client, stream, rid, path, st):
    """Short listings (releases, contributors): refetch all pages when page 1 changed."""
    first = None
    for page in client.pages(path, etag=st.get("etag"), last_modified=st.get("last_modified")):
        _check(page)
        if page.status != 200:  # 304 unchanged, or 204/409 empty repository
            return
        first = first or page
        yield Rows(stream, rid, page.items)
    yield State(state_key(rid, stream), {"etag": first.etag, "last_modified": first.last_modified},
                needs=(Stream(rid, stream),))


def _changed_since(client, stream, rid, path, params, st, date_of, use_since):
    watermark = st.get("watermark")
    floor = _minus_overlap(watermark) if watermark else ""
    params = {**params, "per_page": 100}
    key = state_key(rid, stream)
    checkpoint = _load_checkpoint(st.get("checkpoint"))
    if checkpoint:
        # Resume (see "Checkpoints" above): page 1 unconditionally, since the
        # walk it describes never finished.
        first = _check(client.get(path, params))
    else:
        first = _check(client.get(path, params, etag=st.get("etag"),
                                  last_modified=st.get("last_modified")))
    if first.status != 200:  # 304 unchanged, or 204/409 empty repository
        return
    if checkpoint:
        # What changed since the stopped walk began is above its newest date...
        top = checkpoint["top"]
        seen = yield from _walk(client, stream, rid, path, params, first,
                                _minus_overlap(top) if top else "", date_of, use_since)
        top = newest = max(top, seen)
        # ...and what it had not reached yet is still below the page it reached.
        floor = checkpoint["floor"]
        page = _check(client.get(path, _page_params(params, floor, use_since,
                                                    checkpoint["page"] + 1)))
        seen = yield from _walk(client, stream, rid, path, params, page, floor, date_of,
                                use_since, number=checkpoint["page"] + 1, key=key, top=top)
        newest = max(newest, seen)
    else:
        newest = yield from _walk(client, stream, rid, path, params, first, floor, date_of,
                                  use_since, key=key)
    # Items edited while we paged moved to page 1: re-check it (free when unchanged).
    etag, last_modified = first.etag, first.last_modified
    for _ in range(3):
        again = _check(client.get(path, params, etag=etag, last_modified=last_modified))
        if again.not_modified:
            break
        etag, last_modified = again.etag, again.last_modified
        seen = yield from _walk(client, stream, rid, path, params, again, newest, date_of, use_since)
        newest = max(newest, seen)
    fields = {"etag": etag, "last_modified": last_modified, "checkpoint": None}
    if newest:
        fields["watermark"] = max(newest, watermark or "")
    yield State(key, fields, needs=(Stream(rid, stream),))


def _load_checkpoint(text):
    try:
        checkpoint = json.loads(text) if text else None
        return checkpoint if {"page", "top", "floor"} <= set(checkpoint or ()) else None
    except (TypeError, ValueError):
        return None


def _page_params(params, floor, use_since, number):
    if use_since and floor:
        return {**params, "since": floor, "page": number}
    return {**params, "page": number}


def _walk(client, stream, rid, path, params, page, floor, date_of, use_since, *, number=1,
          key=None, top=None):
    """Yield pages newest-first down to ``floor``; return the newest date seen.

    With ``key``, a checkpoint op follows every page (``page`` = its number, ``top``
    = the newest date of the walk, ``floor``): where the next run resumes."""
    newest = ""
    while True:
        items = page.items
        fresh = [item for item in items if date_of(item) >= floor]
        if fresh:
            newest = max(newest, max(date_of(item) for item in fresh))
            yield Rows(stream, rid, fresh)
        if key is not None:
            top = max(top or "", newest)
            yield State(key, {"checkpoint": json.dumps(
                {"page": number, "top": top, "floor": floor})}, needs=(Stream(rid, stream),))
        if len(fresh) < len(items) or not page.next_url or not items:
            return newest
        number += 1
        if use_since and floor:
            page = _check(client.get(path, _page_params(params, floor, use_since, number)))
        else:
            page = _check(client.get(page.next_url))
