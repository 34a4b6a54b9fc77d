"""Org-wide change detection through GitHub's issue search, with an exact fallback.

Instead of opening every repository's issues, pulls and comments streams (one counted
request each per changed repo), one ``GET /search/issues`` query per group of owners
(``org:a org:b repo:c/d updated:<from>..<to>``, sort=updated, per_page 100) lists every
issue and PR changed since the last run, spending the *search* budget (30/min), not the
core one. The items are saved as issues directly (they carry every field the issue
listing does, reactions and ``pull_request.merged_at`` included, plus ``score``, which is
dropped), and each repository walks only the streams that still need it:

- ``comments`` when an item's comment count differs from the comments stored for it;
- ``pulls`` when an item is a PR not stored yet, or newly merged (head/base, merge SHA);
  other changed PRs get their shared fields (title, state, dates, draft...) from the item;
- ``commits`` and ``contributors`` when the repo's ``pushed_at`` moved;
- ``releases`` always: page 1 is conditional, so it is free when unchanged.

Search is an index, so exactness comes from the fallback: a repository walks every
stream the exact way (``streams.repo_ops``, as without search) when it is new, when its
safety sweep is due (``SWEEP_EVERY``: catches an index miss within a day), or when its
group's search answered ``incomplete_results``, hit the 1,000-result cap in a single
second, failed, or ran out of search budget (``SearchRateLimited``). The window starts
``OVERLAP`` before the oldest last clean run of the repositories searched, so items
changed during the index lag (or under clock skew), and those of a repository whose
last run failed, are found by the next run; it ends at this run's start, so items
changed while we page fall into the next window. Every choice of streams compares the
search items with what is *stored* (comment rows, pull_requests rows, the recorded
``pushed_at``), so a failed walk is simply chosen again next time.

State (``harvest_state``, field ``watermark``): ``repo:{id}:synced`` (start of the last
run whose plan for the repo finished cleanly), ``repo:{id}:swept`` (last exact walk),
``repo:{id}:pushed`` (``pushed_at`` when commits were last walked).
"""

from datetime import datetime, timedelta, timezone

from ..github import AuthError, GitHubError, SearchRateLimited
from .changed import changed_items
from .ops import Rows, State, Stream, state_key
from .streams import STREAMS
from .streams import repo_ops as exact_repo_ops

OVERLAP = timedelta(minutes=10)  # > GitHub's usual search index lag, and clock skew
SWEEP_EVERY = timedelta(hours=24)
MAX_QUERY = 256  # GitHub refuses longer search queries
MAX_QUALIFIERS = 6  # owner qualifiers are OR'ed: keep to GitHub's five operators
PER_PAGE, CAP = 100, 1000  # only the first 1,000 results of a search can be paged to
FMT = "%Y-%m-%dT%H:%M:%SZ"
STREAM_AFTER_SEARCH = ("releases",)


def _ts(stamp):
    return datetime.strptime(stamp, FMT).replace(tzinfo=timezone.utc)


class _Fallback(Exception):
    """This group's answer cannot be trusted: its repositories take the exact path."""


class _Capped(_Fallback):
    """More than 1,000 results share one second: narrower qualifiers are needed for the
    items at or before ``cursor`` (everything newer was already collected)."""

    def __init__(self, message, cursor):
        super().__init__(message)
        self.cursor = cursor


class Plan:
    """Per repository: the streams to walk (None = all, exact) and the search items to save.

    ``repo_ops`` replaces ``streams.repo_ops`` in the workers; the states above name
    every stream of the repository, so the writer drops them when any page failed.
    ``changed``: search items new or different from the stored issue (what is saved
    and reported; the rest are the overlap window's repeats).
    """

    def __init__(self, started):
        self.started = started
        self.streams = {}  # repo id -> None (exact) or a set of stream names
        self.hits = {}  # repo id -> [search items that changed]
        self.changed = 0
        self.pushed = {}  # repo id -> pushed_at to record after commits were walked
        self.search_requests = 0

    def repo_ops(self, client, repo, state, stop):
        rid = repo["id"]
        streams, hits = self.streams.get(rid), self.hits.get(rid, [])
        if hits:
            yield Rows("issues", rid, hits)
            yield Rows("pull_fields", rid, hits)
        yield from exact_repo_ops(client, repo, state, stop, streams=streams)
        if stop.is_set():
            return  # a stopped walk is incomplete: the next run searches from the old mark
        # Every mark below needs every page of the repo's streams and search items saved
        # (the writer checks); its reconciliation walk and history have marks of their own.
        whole = tuple(Stream(rid, name) for name in ("pull_fields", *STREAMS))
        if rid in self.pushed and (streams is None or "commits" in streams):
            yield State(state_key(rid, "pushed"), {"watermark": self.pushed[rid]}, needs=whole)
        yield State(state_key(rid, "synced"), {"watermark": self.started}, needs=whole)
        if streams is None:
            yield State(state_key(rid, "swept"), {"watermark": self.started}, needs=whole)


def plan_run(client, db, targets, state, *, now=None, overlap=OVERLAP,
             sweep_every=SWEEP_EVERY, log=print):
    """Search for changes and decide each repository's streams; returns a Plan.

    ``targets`` are resolve_repos' dicts (id, full_name); ``state`` the harvest_state
    snapshot. Reads the database (writer thread only). Raises AuthError only: every other
    search failure turns into the exact path for the repositories it concerns.
    """
    started = now or datetime.now(timezone.utc).strftime(FMT)
    plan = Plan(started)
    due = (_ts(started) - sweep_every).strftime(FMT)
    via = dict(db.execute("select id, tracked_via from repos").fetchall())
    searchable, since = {}, []
    for t in targets:
        synced = (state.get(state_key(t["id"], "synced")) or {}).get("watermark")
        swept = (state.get(state_key(t["id"], "swept")) or {}).get("watermark")
        # swept <= synced: a repo swept within the day has a recent clean run too.
        if synced and swept and swept > due:
            searchable[t["full_name"].lower()] = t
            since.append(synced)
        else:
            plan.streams[t["id"]] = None
    if searchable:
        # From the oldest clean run among them: a repo whose last run failed gets its
        # missed changes found again (and its streams chosen against what is stored).
        floor = (_ts(min(since)) - overlap).strftime(FMT)
        groups = _groups(searchable.values(), via, f" updated:{floor}..{started}")
        items, failed = _search_groups(client, groups, floor, started, plan, log)
        for qualifier in failed:
            for t in list(searchable.values()):
                if _covers(qualifier, t, via):
                    plan.streams[t["id"]] = None
                    del searchable[t["full_name"].lower()]
        _decide(db, plan, searchable, items)
    exact = sum(1 for s in plan.streams.values() if s is None)
    log(f"change detection: {plan.changed} issues/PRs changed in "
        f"{len(plan.hits)} repos ({plan.search_requests} search requests); "
        f"{exact} of {len(targets)} repos take the exact path")
    return plan


def _qualifier(t, via):
    kind, _, name = (via.get(t["id"]) or "").partition(":")
    if kind in ("org", "user") and name:
        return f"{kind}:{name.lower()}"
    return f"repo:{t['full_name'].lower()}"


def _covers(qualifier, t, via):
    return _qualifier(t, via) == qualifier


def _groups(targets, via, suffix):
    """Owner/repo qualifiers packed into queries within GitHub's length and operator limits."""
    groups, current = [], []
    for qualifier in sorted({_qualifier(t, via) for t in targets}):
        candidate = current + [qualifier]
        if current and (len(" ".join(candidate) + suffix) > MAX_QUERY
                        or len(candidate) > MAX_QUALIFIERS):
            groups.append(current)
            candidate = [qualifier]
        current = candidate
    return groups + ([current] if current else [])


def _search_groups(client, groups, floor, until, plan, log):
    """All items of every group; returns ({id: item}, qualifiers that must go exact)."""
    items, failed = {}, []
    pending = [(group, until) for group in groups]
    while pending:
        group, upto = pending.pop(0)
        try:
            _collect(client, group, floor, upto, plan, items)
        except AuthError:
            raise
        except _Capped as e:
            if len(group) > 1:  # narrower queries may each fit under the cap
                half = len(group) // 2
                pending[:0] = [(group[:half], e.cursor), (group[half:], e.cursor)]
                continue
            log(f"change detection: {group[0]}: {e}; exact path")
            failed += group
        except SearchRateLimited as e:
            log(f"change detection: {e}; exact path for the rest")
            failed += group + [q for g, _ in pending for q in g]
            pending = []
        except (_Fallback, GitHubError) as e:
            log(f"change detection: {' '.join(group)}: {e}; exact path")
            failed += group
    return items, failed


def _collect(client, qualifiers, floor, until, plan, found):
    """Every item of one query, newest first, added to ``found`` ({id: item}); pages
    restart below the oldest item seen when the 1,000-result cap is reached or the total
    shrinks (an item left the window while we paged, which would shift the next page)."""
    cursor, stuck = until, 0
    while True:
        q = f"{' '.join(qualifiers)} updated:{floor}..{cursor}"
        oldest, page, restart = [], 1, None
        total = None
        while restart is None:
            body = _search(client, q, page, PER_PAGE, plan)
            count = body.get("total_count") or 0
            if total is not None and count < total:
                restart = oldest[-1]  # drop this page: it may have skipped one item
                break
            total = count
            batch = body["items"]
            for item in batch:
                found[item["id"]] = item
            if not batch or page * PER_PAGE >= count:
                return found
            oldest.append(batch[-1]["updated_at"])
            if page * PER_PAGE >= CAP:
                restart = oldest[-1]
                # A whole page in one second may mean over 1,000 there: ask how many
                # (one request) rather than paging through them again.
                if batch[0]["updated_at"] == restart and _search(
                        client, f"{' '.join(qualifiers)} updated:{restart}..{restart}", 1, 1,
                        plan).get("total_count", 0) > CAP:
                    raise _Capped(f"over {CAP} results changed at {restart}", restart)
            page += 1
        if restart == cursor:
            stuck += 1
            if total > CAP:
                raise _Capped(f"over {CAP} results changed at {cursor}", cursor)
            if stuck > 2:
                raise _Fallback("search results kept changing while paging")
        cursor = restart


def _search(client, q, page, per_page, plan):
    """One search request; its body, or _Fallback when it cannot be trusted."""
    plan.search_requests += 1
    body = client.search("issues", q, page=page, per_page=per_page, sort="updated",
                         order="desc").data
    if body.get("incomplete_results"):
        raise _Fallback("search answered incomplete_results")
    return body


def _decide(db, plan, searchable, items):
    """Sort search items by repository and choose each repository's streams."""
    found = {}
    for item in items.values():
        full = item.get("repository_url", "").split("/repos/", 1)[-1].lower()
        t = searchable.get(full)
        if t is not None:
            found.setdefault(t["id"], []).append(
                {k: v for k, v in item.items() if k not in ("score", "text_matches")})
    for rid, hits in found.items():
        # The overlap window finds last run's items again: only changes are saved and told.
        pulls = _by_number(db, "select number, updated_at from pull_requests where repo = ? "
                           "and number in ({})", rid,
                           [h["number"] for h in hits if h.get("pull_request")])
        # A PR's row is also written from its item (save_pull_fields): stale if it differs.
        changed = changed_items(db, "issues", hits, rid) + [
            h for h in hits if pulls.get(h["number"], h.get("updated_at")) != h.get("updated_at")]
        changed = list({h["id"]: h for h in changed}.values())
        plan.changed += len(changed)
        if changed:
            plan.hits[rid] = changed
    for t in searchable.values():
        rid = t["id"]
        streams = set(STREAM_AFTER_SEARCH)
        pushed = db.execute("select pushed_at from repos where id = ?", [rid]).fetchone()
        pushed = pushed[0] if pushed else None
        if pushed is not None:
            plan.pushed[rid] = pushed
        known = _state_value(db, state_key(rid, "pushed"))
        if pushed is None or pushed != known:
            streams |= {"commits", "contributors"}
        hits = found.get(rid, [])
        if hits and _comments_moved(db, rid, hits):
            streams.add("comments")
        if hits and _pulls_needed(db, rid, hits):
            streams.add("pulls")
        plan.streams[rid] = streams


def _state_value(db, key):
    row = db.execute("select watermark from harvest_state where key = ?", [key]).fetchone()
    return row[0] if row else None


def _in(numbers):
    return ",".join("?" * len(numbers))


def _by_number(db, sql, rid, numbers):
    """{number: value} for ``sql`` (with an ``in ({})`` slot), in chunks of 500 numbers."""
    out = {}
    for k in range(0, len(numbers), 500):
        chunk = numbers[k:k + 500]
        out.update(db.execute(sql.format(_in(chunk)), [rid, *chunk]).fetchall())
    return out


def _comments_moved(db, rid, hits):
    stored = _by_number(db, "select issue_number, count(*) from issue_comments where repo = ? "
                        "and issue_number in ({}) group by issue_number", rid,
                        [h["number"] for h in hits])
    return any((h.get("comments") or 0) != stored.get(h["number"], 0) for h in hits)


def _pulls_needed(db, rid, hits):
    """New PRs and newly merged ones need the pulls listing (head/base, merge SHA)."""
    pulls = [h for h in hits if h.get("pull_request")]
    if not pulls:
        return False
    stored = _by_number(db, "select number, merged_at from pull_requests where repo = ? "
                        "and number in ({})", rid, [h["number"] for h in pulls])
    return any(h["number"] not in stored or
               (h["pull_request"].get("merged_at") and not stored[h["number"]])
               for h in pulls)


PULL_FIELDS = ("state", "locked", "title", "body", "created_at", "updated_at", "closed_at",
               "author_association", "draft")


def save_pull_fields(db, items, repo_id, bots=()):
    """Copy what a search item (an issue) says about a stored PR onto its pull_requests
    row: the fields both share, merged_at, and users/milestone as ids. Returns rows updated."""
    n = 0
    for item in items:
        pull = item.get("pull_request")
        if not pull:
            continue
        row = {k: item.get(k) for k in PULL_FIELDS if k in item}
        row["merged_at"] = pull.get("merged_at")
        for key in ("user", "assignee"):
            row[key] = (item.get(key) or {}).get("id")
        row["milestone"] = (item.get("milestone") or {}).get("id")
        sets = ", ".join(f"[{k}] = ?" for k in row)
        cur = db.execute(f"update pull_requests set {sets} where repo = ? and number = ?",
                         [*row.values(), repo_id, item["number"]])
        n += cur.rowcount
    return n
