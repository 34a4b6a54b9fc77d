"""Discovery: repositories beyond the watchlist, found by GitHub topic and search queries.

Each ``github.topics`` entry becomes the query ``topic:NAME`` and each
``github.search`` entry is used as written; ``discovery:`` filters (stars,
forks, archived) are added unless the query already says. Every query is one
*source* (``topic:NAME`` or ``search:QUERY``) in ``repo_sources``.

GitHub's rules shape the walk:

- A search serves at most 1,000 results (10 pages of 100; page 11 is 422), while
  ``total_count`` counts them all. So a query runs over an inclusive
  ``created:A..B`` range, and a range with more than 1,000 matches is cut into
  smaller ranges (recursively) until each fits. Page 1 of a range both holds
  items and tells the count, so a range that fits costs nothing extra.
- ``incomplete_results: true`` means GitHub's search timed out and the page may
  miss matches: the range is tried again later in the run, and if it stays
  incomplete the source's watermark does not move, so the next run asks again.
- Search has its own budget (``x-ratelimit-resource: search``: 30 requests a
  minute with a token, 10 without). ``client.search`` holds the one policy for
  it (tracker.github: wait for a reset within a minute, else raise
  ``SearchRateLimited``), shared with change detection. Neither touches the core
  budget: discovery sends no core requests at all, since the search items carry
  the repos' metadata and counts.

Incremental: a source's first run sweeps all of time; later runs ask only for
``created:>=`` (last run minus ``OVERLAP``, for GitHub's indexing delay), and
every ``resweep_days`` the whole query is swept again, which finds old repos
that *gained* the topic. A quiet run is one search request per source.

State lives in ``harvest_state``: ``discovery:SOURCE`` (watermark = when the
last complete pass began) and ``discovery-sweep:SOURCE`` (when the last whole
sweep began). ``discovery_backfills`` keeps the run of a source's *first* complete
sweep: what it found is backfill, what later runs find is news (tracker.facts).
"""

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ..db import save_state
from ..github import (AuthError, RateLimitExhausted, RequestFailed, SearchRateLimited, Stopped,
                      Unreachable)
from . import rows as R
from .save import save_repo

CAP = 1000  # results GitHub serves per search
PER_PAGE = 100
RETRIES = 2  # extra tries of a range answered incomplete_results, later in the run
OVERLAP = timedelta(days=1)
GITHUB_BEGAN = datetime(2007, 10, 1, tzinfo=timezone.utc)  # no repo is older
STAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class Source:
    name: str  # topic:NAME or search:QUERY
    query: str  # what is sent, filters included


@dataclass
class Discovered:
    """What one discovery pass did. ``repos``: id -> {id, full_name, default_branch}."""

    repos: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)  # repo id -> set of source names
    new: int = 0  # repos rows created by this pass
    new_sources: int = 0  # repo_sources rows created by this pass
    fresh: set = field(default_factory=set)  # ids of repos a source found for the first time
    requests: int = 0  # search requests sent
    swept: list = field(default_factory=list)  # sources swept whole this run
    incomplete: list = field(default_factory=list)  # sources whose watermark stayed put
    errors: list = field(default_factory=list)


def sources(config):
    """The configured queries, discovery filters added where the query has none."""
    d = config.discovery

    def with_filters(q):
        keys = {w.split(":", 1)[0].lower().lstrip("-") for w in q.split() if ":" in w}
        parts = [q]
        if d.min_stars and "stars" not in keys:
            parts.append(f"stars:>={d.min_stars}")
        if d.include_forks and "fork" not in keys:
            parts.append("fork:true")
        if not d.include_archived and "archived" not in keys:
            parts.append("archived:false")
        return " ".join(parts)

    return ([Source(f"topic:{t}", with_filters(f"topic:{t}")) for t in config.topics]
            + [Source(f"search:{q}", with_filters(q)) for q in config.search])


def _parse(stamp):
    return datetime.strptime(stamp, STAMP).replace(tzinfo=timezone.utc)


def _iso(moment):
    # GitHub's documented form for search times: YYYY-MM-DDTHH:MM:SS+00:00.
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def discover(client, db, config, now, *, state, log=print):
    """Run every configured source; write repos, repo_sources and repo_stats.

    ``now`` is the run's UTC stamp ('2026-11-29T10:00:00Z'); ``state`` the
    harvest_state snapshot. Returns a Discovered. Per-source failures (a query
    GitHub rejects with 422, retries exhausted) are in ``errors``; a search
    limit that does not refill within a minute stops discovery (the remaining sources are
    reported in ``errors``) and never the rest of the harvest.
    """
    result = Discovered()
    started = _parse(now)
    todo = sources(config)
    for k, source in enumerate(todo):
        try:
            _run_source(client, db, config, source, started, now, state, result, log)
        except SearchRateLimited as e:
            left = ", ".join(s.name for s in todo[k:])
            result.errors.append(f"discovery stopped: {e} (not searched this run: {left})")
            result.incomplete += [s.name for s in todo[k:]]
            break
        except RequestFailed as e:
            result.errors.append(f"discovery {source.name}: {e}")
            result.incomplete.append(source.name)
        db.conn.commit()
    return result


def _run_source(client, db, config, source, started, now, state, result, log):
    last = (state.get(f"discovery:{source.name}") or {}).get("watermark")
    swept = (state.get(f"discovery-sweep:{source.name}") or {}).get("watermark")
    sweep = (last is None or swept is None
             or started - _parse(swept) >= timedelta(days=config.discovery.resweep_days))
    lo = GITHUB_BEGAN if sweep else _parse(last) - OVERLAP
    hi = started + timedelta(days=1)  # a clock behind GitHub's must not miss a repo
    complete = _walk(client, db, config, source, lo, hi, now, result, log)
    if not complete:
        result.incomplete.append(source.name)
        log(f"discovery {source.name}: GitHub answered incomplete results; "
            "it is searched again next run")
        return
    save_state(db, f"discovery:{source.name}", watermark=now, updated_at=now)
    if sweep:
        save_state(db, f"discovery-sweep:{source.name}", watermark=now, updated_at=now)
        save_backfill(db, source.name, now)
        result.swept.append(source.name)


def _walk(client, db, config, source, lo, hi, now, result, log):
    """Every range of [lo, hi] down to <= CAP results; False if any stayed incomplete."""
    ranges = deque([(lo, hi, 0)])
    complete = True
    while ranges:
        a, b, tries = ranges.popleft()
        q = f"{source.query} created:{_iso(a)}..{_iso(b)}"
        page = _search(client, q, 1, result)
        total = page.data.get("total_count") or 0
        span = (b - a).total_seconds()
        if total > CAP and span >= 1:
            # Equal time slices sized for ~800 each; a busy slice is cut again.
            n = max(2, -(-total // 800))
            step = (span + 1) / n
            cuts = [a + timedelta(seconds=int(step * i)) for i in range(n)] + [
                b + timedelta(seconds=1)]
            for x, y in zip(cuts, cuts[1:]):
                if y > x:
                    ranges.appendleft((x, y - timedelta(seconds=1), tries))
            continue
        if total > CAP:
            log(f"discovery {source.name}: over {CAP} repos created in one second; "
                f"only the first {CAP} are reachable")
        incomplete = False
        number = 1
        while True:
            incomplete |= bool(page.data.get("incomplete_results"))
            _save_items(db, page.data.get("items") or [], source.name, now, config, result)
            db.conn.commit()
            if not page.next_url or number * PER_PAGE >= CAP:
                break
            number += 1
            page = _search(client, q, number, result)
        if incomplete:
            if tries < RETRIES:
                ranges.append((a, b, tries + 1))  # later: GitHub's timeout may pass
            else:
                complete = False
    return complete


def _search(client, q, number, result):
    page = client.search("repositories", q, page=number, per_page=PER_PAGE)
    result.requests += 1
    return page


def _save_items(db, items, source, now, config, result):
    for item in items:
        if not isinstance(item, dict) or item.get("id") is None or not item.get("full_name"):
            continue
        if config.is_excluded(item["full_name"]):
            continue
        if save_search_repo(db, item, now, config.bots):
            result.new += 1
        added = save_source(db, item["id"], source, now)
        result.new_sources += added
        if added:
            result.fresh.add(item["id"])
        result.repos[item["id"]] = {"id": item["id"], "full_name": item["full_name"],
                                    "default_branch": item.get("default_branch")}
        result.sources.setdefault(item["id"], set()).add(source)


def save_search_repo(db, item, now, bots=()):
    """Upsert a repository from a search item plus its repo_stats snapshot; True if new.

    Search items lack a few fields of GET /repos (organization, subscribers,
    network): those stored columns are left as they are, never set to null.
    """
    new = db.execute("select 1 from repos where id = ?", [item["id"]]).fetchone() is None
    save_repo(db, item, now=now, bots=bots)  # fields the item lacks keep their stored values
    stats = {k: v for k, v in R.repo_stats_row(item, now).items() if v is not None}
    db["repo_stats"].upsert(stats, pk=("repo", "harvested_at"), alter=True)
    return new


def save_source(db, repo_id, source, now):
    """Record that ``source`` found the repo; 1 if it had not before, else 0."""
    seen = db.execute("select 1 from repo_sources where repo = ? and source = ?",
                      [repo_id, source]).fetchone()
    if seen:
        db.execute("update repo_sources set last_seen_at = ? where repo = ? and source = ?",
                   [now, repo_id, source])
        return 0
    db["repo_sources"].insert({"repo": repo_id, "source": source, "first_seen_at": now,
                               "last_seen_at": now}, pk=("repo", "source"))
    return 1


def save_backfill(db, source, now):
    """Record the source's first complete sweep (kept: later sweeps do not move it)."""
    db.execute("insert or ignore into discovery_backfills (source, completed_at) values (?, ?)",
               [source, now])


def discover_step(client, db, config, now, state, only_repos, log):
    """The harvest's discovery step (tracker.harvest.run): nothing when the run is
    limited to named repos (``--repo``) or no topic/search is configured."""
    if only_repos or not (config.topics or config.search):
        return Discovered()
    try:
        found = discover(client, db, config, now, state=state, log=log)
    except (AuthError, RateLimitExhausted, Unreachable, Stopped):
        raise  # the whole run's problem (or its end): run.py ends it as for the watchlist
    except Exception as e:  # a bug here must not cost the watchlist's harvest
        db.conn.rollback()
        found = Discovered(errors=[f"discovery: {type(e).__name__}: {e}"])
    log(f"discovery: {len(config.topics) + len(config.search)} sources, {found.requests} "
        f"search requests, {found.new} new repos, {found.new_sources} new repo sources"
        + (f", swept {len(found.swept)}" if found.swept else ""))
    return found


def save_watched_sources(db, watched, now):
    """The watchlist is a source too: ``org:NAME``, ``user:NAME`` or ``repo:OWNER/NAME``
    (the repo's tracked_via), so a watched repo that topics also find shows every reason."""
    for repo in watched:
        row = db.execute("select tracked_via from repos where id = ?", [repo["id"]]).fetchone()
        if row and row[0]:
            save_source(db, repo["id"], row[0], now)


def discovery_targets(db, watched, config, now, only_repos=(), fresh=None):
    """Stored discovered repos that are not watched, each with the streams its tier
    asks for: dicts shaped like resolve_repos's targets plus ``streams`` (names;
    None = all). ``light`` gives ``("releases",)``, whose page 1 is conditional (a
    304 is free); ``none`` repos are left out; ``full`` gets every stream.

    Repos a source found for the first time in this run (``fresh``: their ids,
    from Discovered.fresh; None: those whose first_seen_at is ``now``) always come; the others
    only when the last check of all of them (state ``discovery-releases``) is
    ``releases_every_hours`` old, so hourly runs do not send thousands of 304s.
    """
    if only_repos:
        return []
    save_watched_sources(db, watched, now)
    every = timedelta(hours=config.discovery.releases_every_hours)
    last = (db.execute("select watermark from harvest_state where key = 'discovery-releases'"
                       ).fetchone() or [None])[0]
    recheck = last is None or _parse(now) - _parse(last) >= every
    if recheck:
        save_state(db, "discovery-releases", watermark=now, updated_at=now)
    db.conn.commit()
    watched_ids = {r["id"] for r in watched}
    found, sources = {}, {}
    by_stamp = fresh is None  # two runs in one second share ``now``: ids are exact
    fresh = set() if by_stamp else set(fresh)
    for row in db.query(
            "select repos.id, repos.full_name, repos.default_branch, repo_sources.source, "
            "repo_sources.first_seen_at "
            "from repo_sources join repos on repos.id = repo_sources.repo "
            "where repos.missing_since is null and (repo_sources.source like 'topic:%' "
            "or repo_sources.source like 'search:%') order by repos.id"):
        if row["id"] in watched_ids:
            continue  # watched: the full harvest already covers it
        found[row["id"]] = {"id": row["id"], "full_name": row["full_name"],
                            "default_branch": row["default_branch"]}
        sources.setdefault(row["id"], []).append(row["source"])
        if by_stamp and row["first_seen_at"] == now:
            fresh.add(row["id"])
    out = []
    for rid, repo in found.items():
        if not recheck and rid not in fresh:
            continue
        tier = config.discovery.tier_of(sources[rid])
        if tier != "none":
            out.append({**repo, "streams": None if tier == "full" else ("releases",),
                        "tier": tier})
    return out
