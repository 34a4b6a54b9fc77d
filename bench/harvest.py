"""Benchmark: full, no-change and 1%-changed harvests against the emulator.

    python bench/harvest.py                          # 50 repos / 20k issues / 41k comments, 100 ms
    python bench/harvest.py --repos 500 --issues 200000 --comments 500000 --latency 0.05 --g2s
    python bench/harvest.py --reconcile             # ... then the reconciliation walk's cost
    python bench/harvest.py --history off            # without the stars/forks history (#25)

Each harvest runs `tracker harvest` as a subprocess (so peak memory is the
harvester's own) against an in-process emulator serving a synthetic ecosystem
with the given per-request latency. With --g2s the same workload runs through
github-to-sqlite the way Jupyter's daily job does (repos per org, then issues,
pull-requests, issue-comments and contributors per repo), pointed at the
emulator by rewriting its hard-coded api.github.com URLs in a sitecustomize shim.
Prints counted requests (those that spend rate limit), 304s, wall time, rows/s
and peak RSS. Nothing is asserted.

The emulator enforces GitHub's secondary limit of 900 requests a minute per
token (--points-per-minute; 0 turns it off) across the runs, which go back to
back as cron would start them when a run is slow: full, 1 % changed, no change.
Per run it also prints the secondary-limit answers (403/429) the harvester got,
its request rate over the run's wall time and its busiest minute in the
emulator's log; then the full harvest's wall time against the pacer's floor
(requests / --max-rate). github-to-sqlite, which does not pace, runs with the
limit off.

With --phases (old name: --search) the tracker runs twice per phase, side by side on
two databases: the default path (change detection, tracker/harvest/changes.py) and
`tracker harvest --exact`, through four phases: full harvest, 1% of issues changed
spread over all repos, 1% in 5 repos, nothing changed (each change also adds one
release). Columns add the REST floor of the change (one counted request per repo with
new comments plus one per repo with a new release), search requests (the search
budget, not counted) and whether the database equals the emulator's truth after the
phase (tracker.emulator.truth).
"""

import argparse
import bisect
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.emulator import Emulator, synthetic_ecosystem  # noqa: E402

TOKEN = "bench-token"

SHIM = textwrap.dedent('''
    import os, requests
    _base = os.environ["BENCH_API_URL"]
    _orig = requests.Session.request
    def request(self, method, url, *args, **kwargs):
        if url.startswith("https://api.github.com"):
            url = _base + url[len("https://api.github.com"):]
        return _orig(self, method, url, *args, **kwargs)
    requests.Session.request = request
    # github-to-sqlite parses api.github.com out of URLs in bodies: show it those.
    _json = requests.models.Response.json
    def body(self, **kwargs):
        import json
        return json.loads(self.text.replace(_base, "https://api.github.com"), **kwargs)
    requests.models.Response.json = body
''')

G2S_DRIVER = textwrap.dedent('''
    import json, sys
    from click.testing import CliRunner
    from github_to_sqlite.cli import cli
    db, auth, orgs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    runner = CliRunner()
    def run(*args):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        if result.exit_code:
            sys.exit(result.output)
    for org in orgs:
        run("repos", db, org, "--auth", auth)
    import sqlite_utils
    repos = [r["full_name"] for r in sqlite_utils.Database(db).query("select full_name from repos")]
    for full in repos:
        run("issues", db, full, "--auth", auth)
        run("pull-requests", db, full, "--auth", auth)
        run("issue-comments", db, full, "--auth", auth)
        run("contributors", db, full, "--auth", auth)
''')


def busiest_minute(stamps):
    """Most requests in any 60 s window of the emulator's log (stamps in seconds)."""
    stamps = sorted(stamps)
    return max((bisect.bisect_left(stamps, t + 60) - i for i, t in enumerate(stamps)), default=0)


# Runs a module or script and writes its own peak RSS (KiB) where BENCH_RSS_FILE says.
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so a child would report the
# bench process's own size (the emulator) whenever that is larger.
RSS_WRAPPER = textwrap.dedent('''
    import atexit, os, re, runpy, sys
    def _peak():
        with open("/proc/self/status") as f:
            return re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1)
    atexit.register(lambda: open(os.environ["BENCH_RSS_FILE"], "w").write(_peak()))
    target, sys.argv = sys.argv[1], sys.argv[1:]
    if target.endswith(".py"):
        runpy.run_path(target, run_name="__main__")
    else:
        runpy.run_module(target, run_name="__main__", alter_sys=True)
''')


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_measured(cmd, env):
    """Run ``cmd`` ([python, module-or-script, args...]) wrapped; (result, seconds, peak MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.monotonic()
        result = subprocess.run([cmd[0], "-c", RSS_WRAPPER, *cmd[1:]], capture_output=True,
                                text=True, env={**os.environ, **env, "BENCH_RSS_FILE": rss.name,
                                                "PYTHONPATH": os.pathsep.join(filter(None, [
                                                    env.get("PYTHONPATH"), str(ROOT)]))})
        seconds = time.monotonic() - start
        text = rss.read().strip()
    return result, seconds, (int(text) / 1024 if text else float("nan"))


def measure_phase(label, emu, cmd, env, db_path, floor=None):
    """One harvest: counted core requests (next to the REST floor), search requests, 304s,
    wall time, peak MB, and whether the database equals the emulator's truth."""
    from tracker.emulator.truth import differences

    emu.reset_log()
    result, seconds, peak = run_measured(cmd, env)
    if result.returncode:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
    log = list(emu.requests)
    core = sum(1 for r in log if r.counted and not r.path.startswith("/search/"))
    search = sum(1 for r in log if r.path.startswith("/search/"))
    not_modified = sum(1 for r in log if r.status == 304)
    diffs = differences(emu.store, sqlite_utils.Database(db_path))
    exact = "exact" if not diffs else f"{len(diffs)} differ"
    shown = "-" if floor is None else floor
    print(f"{label:<44} {core:>7} {shown:>6} {search:>7} {not_modified:>6} {seconds:>8.1f}"
          f" {peak:>7.0f}  {exact}", flush=True)
    for line in diffs[:3]:
        print(f"    {line}", flush=True)
    said = result.stdout.strip().splitlines()
    if said:  # the run's own summary: what changed, not rows written twice
        print(f"    {said[-1][:110]}", flush=True)
    return {"counted": core, "search": search, "seconds": seconds}


def measure(label, emu, cmd, env, db_path):
    emu.reset_log()
    start = time.monotonic()
    result = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if result.returncode:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
    db = sqlite_utils.Database(db_path)
    rows = sum(db[t].count for t in ("issues", "issue_comments", "pull_requests", "releases",
                                     "commits", "repos") if db[t].exists())
    log = list(emu.requests)
    counted = sum(1 for r in log if r.counted)
    not_modified = sum(1 for r in log if r.status == 304)
    secondary = sum(1 for r in log if r.secondary)
    # #25: the stargazers and forks listings' share (counted, 304).
    history = [r for r in log if r.path.endswith(("/stargazers", "/forks"))]
    print(f"{label:<34} {counted:>8} {not_modified:>6} {len(log):>8} {seconds:>9.1f}"
          f" {rows:>9} {rows / seconds:>9.0f} {peak_rss_mb():>8.0f}"
          f" {secondary:>9} {len(log) / seconds * 60:>7.0f} {busiest_minute(r.at for r in log):>8}"
          f" {sum(r.counted for r in history):>5}/{sum(r.status == 304 for r in history)}",
          flush=True)
    return {"counted": counted, "seconds": seconds, "requests": len(log),
            "secondary": secondary, "stamps": [r.at for r in log]}


def change(store, fraction, seed=1, changed_repos=None, floor=None):
    """Touch a fraction of all issues, add comments to half as many issues and one release.

    By default the changes fall anywhere (nearly every repo changes); with
    ``changed_repos`` they are concentrated in that many repos, as on a real day
    when most of an ecosystem's repos are quiet. ``floor`` (a dict), when given,
    gets the REST floor of the change: one counted request per repo with new
    comments (no cross-repository comments listing) plus one per repo with a new
    release.
    """
    rng = random.Random(seed)
    repos = sorted(store.repos.values(), key=lambda r: r.id)
    if changed_repos:
        repos = rng.sample(repos, changed_repos)
        total = sum(len(r.issues) for r in store.repos.values())
        share = total * fraction / sum(len(r.issues) for r in repos)
        touched = sum(store.touch_issues(r.full_name, min(share, 1.0), seed=seed) for r in repos)
    else:
        touched = store.touch_issues(None, fraction, seed=seed)
    commented = set()
    for _ in range(max(1, touched // 2)):
        repo = rng.choice(repos)
        if repo.issues:
            number = rng.choice(list(repo.issues))
            store.add_comment(repo.full_name, number, "synthetic-user-1", "[synthetic] bench comment")
            commented.add(repo.full_name)
    released = rng.choice(repos)
    store.add_release(released.full_name, f"{seed}.{touched}.0", body="[synthetic] bench release")
    if floor is not None:
        floor.update(comments=len(commented), releases=1, total=len(commented) + 1)
    # #25: the same fraction of new stars and forks, in the repos that changed.
    for repo in repos:
        for _ in range(int(repo.stars * fraction)):
            store.add_star(repo.full_name)
        for _ in range(int(repo.forks * fraction)):
            store.add_fork(repo.full_name)
    return touched


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--issues", type=int, default=20000)
    parser.add_argument("--comments", type=int, default=41000)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--change", type=float, default=0.01, help="fraction of issues changed")
    parser.add_argument("--changed-repos", type=int, default=None,
                        help="concentrate the changes in this many repos (default: anywhere)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--g2s", action="store_true", help="also run github-to-sqlite")
    parser.add_argument("--reconcile", action="store_true",
                        help="also measure the reconciliation walk (every repo's turn at once)")
    parser.add_argument("--max-rate", type=int, default=None,
                        help="tracker harvest --max-rate (default: tracker's, 720/min)")
    parser.add_argument("--points-per-minute", type=int, default=900,
                        help="emulator's secondary limit per token (0: off)")
    parser.add_argument("--history", choices=("on", "off"), default="on",
                        help="the stars/forks history streams (github.history; default on)")
    parser.add_argument("--phases", "--search", dest="phases", action="store_true",
                        help="phases full / 1%% spread / 1%% in 5 repos / no change, the default "
                             "path (change detection) and `harvest --exact` side by side, with "
                             "the REST floor, DB checked against the truth")
    args = parser.parse_args()
    if args.phases:
        return search_phases(args)

    print(f"synthetic ecosystem: {args.orgs} orgs, {args.repos} repos, {args.issues} issues, "
          f"{args.comments} comments; latency {args.latency * 1000:.0f} ms; history {args.history}", flush=True)
    t = time.monotonic()
    store = synthetic_ecosystem(orgs=args.orgs, repos=args.repos, issues=args.issues,
                                comments=args.comments, seed=0)
    print(f"(emulator built in {time.monotonic() - t:.1f}s)", flush=True)
    orgs = sorted({r.owner.login for r in store.repos.values()})
    tmp = Path(tempfile.mkdtemp(prefix="bench-harvest-"))
    config = tmp / "tracker.yml"
    config.write_text("github:\n  orgs: [" + ", ".join(orgs) + "]\n")
    # The walk is measured on its own (--reconcile): keep these figures day-independent.
    config.write_text(config.read_text().replace("github:\n", "github:\n  reconcile_days: 0\n", 1))
    if args.history == "off":
        config.write_text(config.read_text().replace("github:\n", "github:\n  history: false\n", 1))
    print(f"{'run':<34} {'counted':>8} {'304s':>6} {'requests':>8} {'seconds':>9}"
          f" {'rows':>9} {'rows/s':>9} {'peakMB':>8} {'2nd-limit':>9} {'req/min':>7}"
          f" {'peak/min':>8} {'history counted/304':>5}")
    with Emulator(store, tokens={TOKEN}, latency=args.latency, core_limit=10**7,
                  points_per_minute=args.points_per_minute or None) as emu:
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url}
        db_path = tmp / "tracker.db"
        cmd = [sys.executable, "-m", "tracker", "harvest", "--db", str(db_path), "--config",
               str(config), "--no-digest", "--quiet", "--concurrency", str(args.concurrency)]
        if args.max_rate is not None:
            cmd += ["--max-rate", str(args.max_rate)]
        full = measure("tracker: full harvest", emu, cmd, env, db_path)
        touched = change(store, args.change, changed_repos=args.changed_repos)
        where = f" in {args.changed_repos} repos" if args.changed_repos else ""
        changed = measure(f"tracker: {args.change:.0%} changed{where}", emu, cmd, env, db_path)
        same = measure("tracker: no change", emu, cmd, env, db_path)
        print(f"  ({touched} issues touched)")
        from tracker.pacer import DEFAULT_RATE

        rate = DEFAULT_RATE if args.max_rate is None else args.max_rate
        runs = (full, changed, same)
        print(f"secondary-limit answers: {sum(r['secondary'] for r in runs)} over the three runs;"
              f" busiest minute across them: {busiest_minute(sum((r['stamps'] for r in runs), []))}"
              f" requests (limit {args.points_per_minute or 'off'})")
        if rate:
            floor = full["requests"] / rate * 60
            print(f"full harvest: {full['requests']} requests at {rate}/min: floor {floor:.0f}s, "
                  f"wall {full['seconds']:.0f}s = {full['seconds'] / floor:.2f}x the floor")
        if args.g2s:
            emu.secondary.points_per_minute = None  # github-to-sqlite does not pace
            shim = tmp / "shim"
            shim.mkdir()
            (shim / "sitecustomize.py").write_text(SHIM)
            (tmp / "auth.json").write_text('{"github_personal_token": "%s"}' % TOKEN)
            (tmp / "g2s.py").write_text(G2S_DRIVER)
            g2s_db = tmp / "g2s.db"
            g2s_env = {"BENCH_API_URL": emu.url, "PYTHONPATH": str(shim)}
            g2s_cmd = [sys.executable, str(tmp / "g2s.py"), str(g2s_db), str(tmp / "auth.json"), ",".join(orgs)]
            g2s = measure("github-to-sqlite: full (daily job)", emu, g2s_cmd, g2s_env, g2s_db)
            print(f"\nfull harvest: tracker {full['seconds']:.0f}s vs github-to-sqlite "
                  f"{g2s['seconds']:.0f}s ({g2s['seconds'] / full['seconds']:.1f}x faster); "
                  f"github-to-sqlite makes {g2s['counted']} counted requests every day; tracker "
                  f"{same['counted']} when nothing changed, {changed['counted']} at "
                  f"{args.change:.0%} changed (1/{g2s['counted'] / max(changed['counted'], 1):.0f})")
        if args.reconcile:
            reconcile_phase(emu, store, config, cmd, env, db_path)
    print(f"databases in {tmp}")


def reconcile_phase(emu, store, config, cmd, env, db_path):
    """The reconciliation walk for every repo at once (cadence 1 day), twice: after 0.5%
    of open issues were transferred or deleted and 1% got reactions, then a quiet day."""
    from datetime import datetime, timedelta, timezone

    daily = config.with_name("reconcile.yml")
    daily.write_text(config.read_text().replace("reconcile_days: 0", "reconcile_days: 1"))
    cmd = [daily if str(c) == str(config) else c for c in cmd]
    cmd = [str(c) for c in cmd]
    rng = random.Random(2)
    repos = sorted(store.repos.values(), key=lambda r: r.id)
    open_issues = [(r, n) for r in repos for n, i in r.issues.items() if i.state == "open"]
    n_open = len(open_issues)
    leaving = rng.sample(open_issues, max(2, n_open // 200))
    for k, (repo, number) in enumerate(leaving):
        if k % 2:
            store.delete_issue(repo.full_name, number)
        else:
            other = repos[(repos.index(repo) + 1) % len(repos)]
            store.transfer_issue(repo.full_name, number, other.full_name)
    gone = set(leaving)
    reacted = rng.sample([x for x in open_issues if x not in gone], n_open // 100)
    for repo, number in reacted:
        store.react(repo.full_name, number, "+1", 3)

    def a_day_passes():
        db = sqlite_utils.Database(db_path)
        yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        db.execute("update harvest_state set watermark = ? where key like '%:reconcile'", [yesterday])
        db.conn.commit()

    print(f"\nreconciliation walk: {n_open} open issues/PRs in {len(repos)} repos, "
          f"{len(leaving)} transferred or deleted, {n_open // 100} got reactions")

    def walk_requests():
        # The walk's own: open listings, single issues (and a transfer's new home).
        return [r for r in emu.requests if r.query.get("state") == "open"
                or re.search(r"/issues/\d+$", r.path)]

    measure("tracker: run with every repo's walk", emu, cmd, env, db_path)
    walk = walk_requests()
    a_day_passes()
    measure("tracker: again a day later, no change", emu, cmd, env, db_path)
    quiet = walk_requests()
    db = sqlite_utils.Database(db_path)
    moved, deleted = db.execute("select count(transferred_to), count(deleted_at) from issues").fetchone()
    fresh = sum(1 for repo, number in reacted if db.execute(
        "select json_extract(reactions, '$.\"+1\"') from issues where repo = ? and number = ?",
        [repo.id, number]).fetchone()[0] == repo.issues[number].reactions[0])
    listing = sum(1 for r in walk if r.counted and r.query.get("state") == "open")
    single = sum(1 for r in walk if r.counted) - listing
    print(f"  walk: {listing} listing pages + {single} single-issue requests counted "
          f"= {(listing + single) / n_open * 1000:.1f} per 1,000 open issues; resolved {moved} "
          f"transferred + {deleted} deleted; reactions right on {fresh} of {len(reacted)}\n"
          f"  quiet day: {sum(r.counted for r in quiet)} counted, "
          f"{sum(r.status == 304 for r in quiet)} free 304s "
          f"({len(quiet) / len(repos):.1f} per repo); at the default weekly cadence a run "
          f"walks about 1/7 of the repos")


def search_phases(args):
    """The four phases, tracker (default: change detection) vs tracker --exact (vs
    github-to-sqlite), counted core requests next to the REST floor of each change."""
    print(f"synthetic ecosystem: {args.orgs} orgs, {args.repos} repos, {args.issues} issues, "
          f"{args.comments} comments; latency {args.latency * 1000:.0f} ms", flush=True)
    store = synthetic_ecosystem(orgs=args.orgs, repos=args.repos, issues=args.issues,
                                comments=args.comments, seed=0)
    orgs = sorted({r.owner.login for r in store.repos.values()})
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    config = tmp / "tracker.yml"
    config.write_text("github:\n  orgs: [" + ", ".join(orgs) + "]\n")
    print(f"{'phase / harvester':<44} {'counted':>7} {'floor':>6} {'search':>7} {'304s':>6}"
          f" {'seconds':>8} {'peakMB':>7}  database vs emulator")
    with Emulator(store, tokens={TOKEN}, latency=args.latency, core_limit=10**7,
                  search_limit=10**6) as emu:
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url}

        def tracker(db, *extra):
            return [sys.executable, "tracker", "harvest", "--db", str(db), "--config",
                    str(config), "--no-digest", "--quiet", "--concurrency",
                    str(args.concurrency), *extra]

        g2s_cmd = g2s_env = None
        if args.g2s:
            shim = tmp / "shim"
            shim.mkdir()
            (shim / "sitecustomize.py").write_text(SHIM)
            (tmp / "auth.json").write_text('{"github_personal_token": "%s"}' % TOKEN)
            (tmp / "g2s.py").write_text(G2S_DRIVER)
            g2s_env = {"BENCH_API_URL": emu.url, "PYTHONPATH": str(shim)}
        results = {}
        phases = [("full harvest", None), (f"{args.change:.0%} changed, spread", 0),
                  (f"{args.change:.0%} changed in 5 repos", 5), ("nothing changed", None)]
        for k, (phase, spread) in enumerate(phases):
            floor = {"total": 0} if k else {"total": None}
            if spread is not None:
                touched = change(store, args.change, seed=k, changed_repos=spread or None,
                                 floor=floor)
                print(f"  ({touched} issues touched, comments on {max(1, touched // 2)} in "
                      f"{floor['comments']} repos, 1 release; REST floor {floor['total']})")
            results[(phase, "search")] = measure_phase(
                f"{phase}: tracker", emu, tracker(tmp / "search.db"), env, tmp / "search.db",
                floor["total"])
            results[(phase, "exact")] = measure_phase(
                f"{phase}: tracker --exact", emu, tracker(tmp / "exact.db", "--exact"),
                env, tmp / "exact.db", floor["total"])
            if k == 0:
                pulls = [r for r in emu.requests if r.counted and r.path.endswith("/pulls")]
                print(f"  (first harvest: {len(pulls)} of {results[(phase, 'search')]['counted']}"
                      f" counted requests read the pulls listing, which repeats what the issues"
                      f" listing says about each PR except head/base)", flush=True)
            if args.g2s and k == 0:  # its daily job costs the same every day
                g2s_db = tmp / f"g2s-{k}.db"
                g2s_cmd = [sys.executable, str(tmp / "g2s.py"), str(g2s_db),
                           str(tmp / "auth.json"), ",".join(orgs)]
                emu.reset_log()
                result, seconds, peak = run_measured(g2s_cmd, g2s_env)
                log = list(emu.requests)
                core = sum(1 for r in log if r.counted)
                print(f"{phase + ': github-to-sqlite (daily job)':<44} {core:>7} {0:>7} "
                      f"{sum(1 for r in log if r.status == 304):>6} {seconds:>8.1f} "
                      f"{peak:>7.0f}  (its own schema)", flush=True)
    print(f"databases in {tmp}")


if __name__ == "__main__":
    main()
