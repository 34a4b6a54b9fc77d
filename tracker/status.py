"""Is the tracker healthy? A report built from the database, for people and monitors.

Read-only (the database is opened ``mode=ro``, so it works while a harvest
writes and on any schema version). The report is one dict (``--json`` prints it):

    db, now, healthy (bool), reason (str | None), max_age_hours,
    locked (a harvest holds ``<db>.lock`` now),
    credentials (none | token | app, of the newest run; never the secret),
    rate_limit {remaining, at, reset} (left at the newest run that saw GitHub),
    last_runs [{id, source, status, started_at, finished_at, duration_seconds,
                repos, releases, issues, comments, feed_entries, requests,
                counted_requests, not_modified, rate_limit_remaining, rate_limit_reset,
                credentials, errors, exit_code, error_messages [str],
                error_sources [str]}]   newest first (missing columns are null),
    sources {github: {last_complete, age_hours, streams, oldest_stream {repo,
                      stream, updated_at}},
             feeds: {last_complete, age_hours, feeds [{url, title,
                     last_good_fetch, last_fetched, last_status, last_error}]},
             packages: {harvested, last_complete, age_hours}},
    summaries_missing [str]   summary tables absent (dropped by hand, a damaged copy),
    live {core {limit, remaining, reset}} | {error}   with --live only.

Healthy means: there is a harvest, no summary table is missing (canned queries
read them), the newest *complete* one of each source
(a run that ended ``ok``; or ``partial`` with no recorded error for that source,
when ``harvest_errors`` exists) is younger than ``max_age``, and the newest
finished run did not fail. ``reason`` is one line saying why not.
"""

import fcntl
import json
import os
import re
from datetime import datetime, timedelta, timezone


RUN_COLUMNS = ("id", "source", "status", "started_at", "finished_at", "repos", "releases",
               "issues", "comments", "feed_entries", "requests", "counted_requests",
               "not_modified", "rate_limit_remaining", "rate_limit_reset", "credentials",
               "errors", "exit_code", "error_log")
CREDENTIALS = {"none": "none (unauthenticated)", "token": "personal token (GITHUB_TOKEN)",
               "app": "GitHub App installation", None: "unknown (run recorded before this was)",
               "demo": "none: `tracker demo` harvested its own offline emulator"}
LAST_RUNS = 5


def parse_age(text):
    """'26h', '90m', '2d', '3600s' or a bare number of hours -> timedelta; ValueError."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text))
    if not m:
        raise ValueError(f"{text!r} is not a duration: a number and one of the units s, m, "
                         f"h, d (such as 26h, 90m, 2d, 30s)")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "": "hours"}[m.group(2)]
    return timedelta(**{unit: float(m.group(1))})


def format_age(seconds):
    """3725 -> '1h 2m 5s'; 93600 -> '1d 2h': exact to the second, in the largest units."""
    seconds = int(round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:3])


def format_limit(seconds):
    """A --max-age as people write it: 26h, 90m, 1s (the largest unit that is exact,
    hours before days)."""
    seconds = int(round(seconds))
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def lock_held(db_path):
    """True when a harvest holds the run lock (``<db>.lock``, fcntl) right now."""
    path = f"{os.path.abspath(db_path)}.lock"
    if not os.path.exists(path):
        return False
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _parse_time(stamp):
    if not stamp:
        return None
    try:
        return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def open_readonly(db_path):
    """tracker.storage.open_for_reading: ``mode=ro`` (``immutable=1`` on a read-only mount);
    StorageError, one line, for a file that is not a whole SQLite database."""
    from .storage import open_for_reading

    return open_for_reading(db_path)


def collect_status(db_path, *, max_age=timedelta(hours=26), now=None):
    """The health report of the database at ``db_path`` (see the module docstring)."""
    now = now or datetime.now(timezone.utc)
    report = {"db": str(db_path), "now": _iso(now), "healthy": False, "reason": None,
              "max_age_hours": round(max_age.total_seconds() / 3600, 6),
              "locked": lock_held(db_path), "credentials": None,
              "rate_limit": {"remaining": None, "at": None, "reset": None}, "last_runs": [],
              "sources": {}, "summaries_missing": []}
    if not os.path.exists(db_path):
        report["reason"] = f"never harvested: {db_path} does not exist"
        return report
    db = open_readonly(db_path)
    try:
        tables = set(db.table_names())
        if "harvest_runs" not in tables:
            report["reason"] = f"never harvested: {db_path} has no harvest_runs table"
            return report
        report["summaries_missing"] = missing_summaries(tables)
        runs = _runs(db, tables)
        for run in runs:
            if run["status"] == "running" and not report["locked"]:
                run["status"] = "interrupted"  # what the next harvest will record it as
        report["last_runs"] = runs[:LAST_RUNS]
        if runs:
            report["credentials"] = runs[0]["credentials"]
        seen_github = next((r for r in runs if r["rate_limit_remaining"] is not None), None)
        if seen_github:
            report["rate_limit"] = {"remaining": seen_github["rate_limit_remaining"],
                                    "at": seen_github["finished_at"] or seen_github["started_at"],
                                    "reset": seen_github["rate_limit_reset"]}
        report["sources"] = {"github": _github_freshness(db, tables, runs, now),
                             "feeds": _feeds_freshness(db, tables, runs, now),
                             "packages": _packages_freshness(db, tables, runs, now)}
    finally:
        db.conn.close()
    report["reason"] = _unhealthy_reason(report, runs, max_age, now)
    report["healthy"] = report["reason"] is None
    return report


def _runs(db, tables):
    columns = db["harvest_runs"].columns_dict
    select = ", ".join(c if c in columns else f"null as {c}" for c in RUN_COLUMNS)
    rows = list(db.query(f"select {select} from harvest_runs order by started_at desc, id desc"))
    by_run = _error_rows(db, tables, [r["id"] for r in rows[:LAST_RUNS]])
    for row in rows:
        started, finished = _parse_time(row["started_at"]), _parse_time(row["finished_at"])
        row["duration_seconds"] = (finished - started).total_seconds() if started and finished else None
        log = row.pop("error_log")
        if row["id"] in by_run:
            row["error_messages"] = by_run[row["id"]]
        else:
            try:
                row["error_messages"] = [str(m) for m in json.loads(log or "[]")]
            except (json.JSONDecodeError, TypeError):
                row["error_messages"] = [str(log)]
        row["error_sources"] = sorted({m["source"] for m in by_run.get(("sources", row["id"]), [])})
    return rows


def _error_rows(db, tables, run_ids):
    """Messages from harvest_errors (when that table exists), keyed by run id."""
    if "harvest_errors" not in tables or not run_ids:
        return {}
    columns = db["harvest_errors"].columns_dict
    if not {"run", "message"} <= set(columns):
        return {}
    source = "source" if "source" in columns else "null as source"
    found = {}
    marks = ", ".join("?" * len(run_ids))
    for row in db.query(f"select run, {source}, message from harvest_errors "
                        f"where run in ({marks}) order by rowid", run_ids):
        found.setdefault(row["run"], []).append(str(row["message"]))
        found.setdefault(("sources", row["run"]), []).append(row)
    return found


def _complete_for(run, source, partial_ok, error_sources):
    if run["source"] not in ("all", source):
        return False
    if run["status"] == "ok":
        return True
    # With harvest_errors we know which source a partial run's errors were in.
    return run["status"] == "partial" and partial_ok \
        and not error_sources & set(run["error_sources"]) \
        and run["id"] is not None and run["finished_at"] is not None


def _newest_complete(runs, source, tables, now, error_sources=None):
    partial_ok = "harvest_errors" in tables
    ever = any(r["source"] in ("all", source) for r in runs)
    named = set(error_sources or {source})
    done = next((r for r in runs if _complete_for(r, source, partial_ok, named)), None)
    finished = _parse_time(done and (done["finished_at"] or done["started_at"]))
    age = (now - finished).total_seconds() if finished else None
    return {"harvested": ever, "last_complete": _iso(finished) if finished else None,
            "age_hours": round(age / 3600, 2) if finished else None, "age_seconds": age}


def _github_freshness(db, tables, runs, now):
    out = _newest_complete(runs, "github", tables, now)
    out["streams"], out["oldest_stream"] = 0, None
    if "harvest_state" in tables:
        rows = list(db.query(
            "select key, updated_at from harvest_state where key like 'repo:%' "
            "and updated_at is not null order by updated_at, key"))
        out["streams"] = len(rows)
        if rows:
            _, repo_id, stream = (rows[0]["key"].split(":") + ["", ""])[:3]
            name = None
            if "repos" in tables and repo_id.isdigit():
                found = list(db.query("select full_name from repos where id = ?", [int(repo_id)]))
                name = found[0]["full_name"] if found else None
            out["oldest_stream"] = {"repo": name or repo_id, "stream": stream,
                                    "updated_at": rows[0]["updated_at"]}
    return out


def _feeds_freshness(db, tables, runs, now):
    out = _newest_complete(runs, "feeds", tables, now)
    out["feeds"] = []
    if "feeds" in tables:
        # last_fetched with no error is the last good fetch; after an error we
        # no longer know when the last good one was.
        for row in db.query("select url, title, last_fetched, last_status, last_error "
                            "from feeds order by url"):
            good = row["last_fetched"] if not row["last_error"] else None
            out["feeds"].append({**row, "last_good_fetch": good})
    return out


# A registry's errors are recorded under its own name (tracker/registries).
REGISTRY_SOURCES = {"packages", "pypi", "npm", "conda_forge"}


def _packages_freshness(db, tables, runs, now):
    """Packages count once the database has any (#22): before that, or without a
    packages: block, an "all" run owes them nothing."""
    watched = "packages" in tables and db.execute(
        "select 1 from packages limit 1").fetchone() is not None
    ran = any(r["source"] == "packages" for r in runs)
    out = _newest_complete(runs, "packages", tables, now, REGISTRY_SOURCES)
    out["harvested"] = watched or ran
    return out


def missing_summaries(tables):
    """The summary tables (tracker/summaries.py, star_summaries.py) not in ``tables``:
    the canned queries and charts that read them fail until they are rebuilt."""
    from . import star_summaries, summaries

    return [t for t in (*summaries.TABLES, *star_summaries.TABLES) if t not in tables]


def _unhealthy_reason(report, runs, max_age, now):
    if not runs:
        return "never harvested: no harvest run recorded"
    if report.get("summaries_missing"):
        return (f"summary tables missing ({', '.join(report['summaries_missing'])}): canned "
                "queries fail until `tracker rebuild-summaries` (or the next harvest) "
                "rebuilds them")
    finished = [r for r in runs if r["status"] != "running"]
    if finished and finished[0]["status"] == "failed":
        last = finished[0]
        why = last["error_messages"][0] if last["error_messages"] else "no error recorded"
        return f"the last harvest (#{last['id']}, {last['started_at']}) failed: {why}"
    if not any(f["last_complete"] for f in report["sources"].values()) \
            and not any(r["status"] == "ok" for r in runs):
        return "no complete harvest yet"
    for source, fresh in report["sources"].items():
        if not fresh["harvested"]:
            continue
        if fresh["last_complete"] is None:
            return f"{source}: no complete harvest yet"
        if fresh["age_seconds"] > max_age.total_seconds():  # exact: 1s means one second
            return (f"{source}: the newest complete harvest ({fresh['last_complete']}) is "
                    f"{format_age(fresh['age_seconds'])} old, more than --max-age "
                    f"{format_limit(max_age.total_seconds())}")
    return None


def live_rate_limit(environ=None, *, owners=(), transport=None):
    """GET /rate_limit now, through the harvest's own client (its pacer, its origin
    check, its answer classification) with the environment's credentials: {core: {...}}.

    Raises auth.AuthConfigError (exit 2) for contradictory settings; other
    failures come back as ``{"error": message}`` with every secret redacted."""
    from .github import GitHubClient, GitHubError

    environ = os.environ if environ is None else environ
    # A monitor waits for no reset and retries little: it reports what it sees.
    client = GitHubClient.from_env(environ, owners=owners, transport=transport, max_wait=0,
                                   retries=1, connect_waits=(0.5,))
    try:
        with client:
            page = client.get("rate_limit")
            core = (page.data or {}).get("resources", {}).get("core") \
                if isinstance(page.data, dict) else None
            if page.status != 200 or not isinstance(core, dict):
                return {"error": f"/rate_limit answered HTTP {page.status}"}
            reset = datetime.fromtimestamp(int(core["reset"]), timezone.utc)
            return {"core": {"limit": core["limit"], "remaining": core["remaining"],
                             "reset": _iso(reset)}}
    except GitHubError as e:
        return {"error": client.credentials.redact(str(e))}
    except (KeyError, TypeError, ValueError) as e:  # an answer of another shape
        return {"error": f"/rate_limit answered an unexpected body ({type(e).__name__})"}


def render_text(report):
    """The human report (several lines); the first line says healthy or why not."""
    lines = []
    if report["healthy"]:
        gh = max(f["last_complete"] for f in report["sources"].values() if f["last_complete"])
        lines.append(f"{report['db']}: healthy (newest complete harvest {gh}, "
                     f"max age {format_limit(report['max_age_hours'] * 3600)})")
    else:
        lines.append(f"{report['db']}: UNHEALTHY: {report['reason']}")
    lines.append("harvest running now: " + ("yes (the lock is held)" if report["locked"] else "no"))
    if not report["last_runs"]:
        return "\n".join(lines)
    lines.append(f"credentials of the last run: {CREDENTIALS.get(report['credentials'], report['credentials'])}")
    rate = report["rate_limit"]
    if rate["remaining"] is not None:
        lines.append(f"rate limit left at the last run: {rate['remaining']} (at {rate['at']})")
    if "live" in report:
        live = report["live"]
        lines.append("rate limit now (live): " + (
            f"error: {live['error']}" if "error" in live else
            f"{live['core']['remaining']}/{live['core']['limit']}, resets {live['core']['reset']}"))
    lines.append("last runs:")
    for run in report["last_runs"]:
        took = "-" if run["duration_seconds"] is None else f"{run['duration_seconds']:.0f}s"
        lines.append(
            f"  #{run['id']} {run['source']} {run['status']} {run['started_at']} ({took}): "
            f"{run['repos'] or 0} repos, {run['releases'] or 0} releases, "
            f"{run['issues'] or 0} issues/PRs, {run['comments'] or 0} comments, "
            f"{run['feed_entries'] or 0} feed entries; {run['requests'] or 0} requests "
            f"({run['counted_requests'] or 0} counted, {run['not_modified'] or 0} not modified), "
            f"{run['errors'] or 0} errors")
        for message in run["error_messages"][:5]:
            lines.append(f"      error: {message}")
    gh, feeds = report["sources"]["github"], report["sources"]["feeds"]
    lines.append(f"github: newest complete harvest {gh['last_complete'] or 'none'}; "
                 f"{gh['streams']} repo streams")
    if gh["oldest_stream"]:
        o = gh["oldest_stream"]
        lines.append(f"  oldest stream state: {o['repo']} {o['stream']}, written {o['updated_at']}")
    lines.append(f"feeds: newest complete harvest {feeds['last_complete'] or 'none'}")
    for feed in feeds["feeds"]:
        state = (f"last good fetch {feed['last_good_fetch']}" if feed["last_good_fetch"]
                 else f"error: {feed['last_error'] or 'never fetched'}")
        lines.append(f"  {feed['url']}: {state}")
    packages = report["sources"].get("packages")
    if packages and packages["harvested"]:
        lines.append(f"packages: newest complete harvest {packages['last_complete'] or 'none'}")
    return "\n".join(lines)
