"""A small, deterministic, clearly synthetic tracker database for tests.

``populate_sample(db)`` writes through the real schema (``tracker.db.open_db``)
rows shaped like a harvest of three orgs, five repos and five ISO weeks of
activity. Everything is made up: logins are ``sample-*`` (plus two bots),
repos ``ORG/sample-*``, descriptions start with ``[synthetic]``.

What it holds (for tests that need exact facts):

- Weeks with activity: ``SAMPLE_WEEKS`` = 2026-W20 … 2026-W24, plus older
  history in 2025. ``LATEST_WEEK`` (2026-W24, 8-14 June 2026) is the latest
  complete week with data, i.e. the default of every ``week`` parameter.
- Repos: jupyter/sample-notebook, jupyterlab/sample-lab, jupyterhub/sample-hub
  (created 2025), jupyterlab/sample-extension (created in W20) and
  jupyterhub/sample-spawner (created in W24: "new repos this week").
- Releases in W24: sample-notebook v1.2.0rc1 (prerelease) and v1.2.0 (its
  notes contain ``SEARCH_TERM`` and hostile markup), sample-lab v4.1.1,
  sample-spawner v0.1.0 (hostile ``javascript:`` html_url), and one draft
  that must never be listed. Earlier releases from 2025 on give a cadence.
- Issues and PRs opened, closed and merged every week in every repo; in W24
  the hostile issue by ``sample-mallory`` is the busiest (6 comments) and the
  most-reacted open issue; first-time contributors in W24: ``sample-dave``
  (new to the ecosystem, PR to sample-hub), ``sample-mallory`` (new to the
  ecosystem) and ``sample-erin`` (new to sample-notebook only); bots
  ``dependabot[bot]`` and ``pre-commit-ci[bot]`` open PRs and never count.
  Two PRs are open and idle since March 2026 (stale).
- repo_stats: one snapshot per repo per week, W10-W24, stars rising.
- Feeds: a blog (posts in W22 and W24), a hostile feed (W24 entries with
  script titles and ``javascript:`` links) and a broken feed (last_error).
- harvest_runs: github and feeds runs; the last feeds run failed.
- Discovered repositories and repo_sources: see ``sample_discovery.py``.
- Events and papers (#23): see ``sample_sources.py``.

``HOSTILE`` lists the literal strings that must never reach HTML or Atom
output unescaped.
"""

import json
from datetime import date, datetime, time, timezone

from sample_discovery import populate_discovered
from tracker.db import open_db

SAMPLE_WEEKS = ["2026-W20", "2026-W21", "2026-W22", "2026-W23", "2026-W24"]
LATEST_WEEK = "2026-W24"
SEARCH_TERM = "frobnicator"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_LINK = "javascript:alert(document.cookie)"
HOSTILE = [XSS_SCRIPT, XSS_IMG, '<svg onload=alert(1)>', '<p onclick="alert(1)">',
           "<b onmouseover=alert(1)>"]

ORGS = {1001: "jupyter", 1002: "jupyterlab", 1003: "jupyterhub"}
PEOPLE = {
    1: "sample-alice", 2: "sample-bob", 3: "sample-carol", 4: "sample-dave",
    5: "sample-erin", 6: "sample-mallory",
}
BOTS = {90: "dependabot[bot]", 91: "pre-commit-ci[bot]"}
REPOS = {  # id: (full_name, created_at)
    2001: ("jupyter/sample-notebook", "2025-01-10T09:00:00Z"),
    2002: ("jupyterlab/sample-lab", "2025-01-10T09:00:00Z"),
    2003: ("jupyterlab/sample-extension", "2026-05-13T15:30:00Z"),
    2004: ("jupyterhub/sample-hub", "2025-01-10T09:00:00Z"),
    2005: ("jupyterhub/sample-spawner", "2026-06-09T08:00:00Z"),
}


def at(week, day=1, hour=12, year=2026):
    """'YYYY-MM-DDTHH:MM:SSZ' for ISO ``year``-W``week``, weekday ``day`` (1 = Monday)."""
    d = date.fromisocalendar(year, week, day)
    return datetime.combine(d, time(hour), tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reactions(plus1=0, heart=0, hooray=0, rocket=0):
    counts = {"+1": plus1, "-1": 0, "laugh": 0, "hooray": hooray, "confused": 0,
              "heart": heart, "rocket": rocket, "eyes": 0}
    return json.dumps({"total_count": sum(counts.values()), **counts})


def _users():
    rows = [{"id": i, "login": login, "type": "Organization", "is_bot": 0, "name": login,
             "html_url": f"https://github.com/{login}"} for i, login in ORGS.items()]
    rows += [{"id": i, "login": login, "type": "User", "is_bot": 0, "name": login,
              "html_url": f"https://github.com/{login}"} for i, login in PEOPLE.items()]
    rows[-1]["name"] = XSS_IMG  # sample-mallory's display name
    rows += [{"id": i, "login": login, "type": "Bot", "is_bot": 1, "name": login,
              "html_url": f"https://github.com/apps/{login[:-5]}"} for i, login in BOTS.items()]
    return rows


def _repos():
    rows = []
    for rid, (full_name, created) in REPOS.items():
        org, name = full_name.split("/")
        owner = next(i for i, login in ORGS.items() if login == org)
        rows.append({
            "id": rid, "name": name, "full_name": full_name, "owner": owner,
            "organization": owner, "private": 0, "fork": 0, "archived": 0,
            "html_url": f"https://github.com/{full_name}",
            "description": f"[synthetic] Sample {name.split('-', 1)[1]} repository",
            "language": "Python" if rid != 2002 else "TypeScript",
            "stargazers_count": 100 * (rid - 2000), "forks_count": rid - 2000,
            "default_branch": "main", "created_at": created, "pushed_at": at(24, 5),
            "updated_at": at(24, 5), "tracked_via": f"org:{org}",
            "first_seen_at": created, "last_harvested_at": at(24, 7, 23),
        })
    return rows


def _repo_stats():
    rows = []
    for rid, (_full_name, created) in REPOS.items():
        for week in range(10, 25):
            stamp = at(week, 1, 6)
            if stamp < created:
                continue
            stars = 100 * (rid - 2000) + 7 * (week - 10) * (rid - 2000)
            rows.append({"repo": rid, "harvested_at": stamp, "stargazers_count": stars,
                         "forks_count": rid - 2000 + week // 5, "watchers_count": stars,
                         "subscribers_count": 10, "open_issues_count": 5, "size": 1000})
    return rows


def _releases():
    def rel(rid, repo, tag, when, body, author=1, prerelease=0, draft=0, url=None):
        full_name = REPOS[repo][0]
        return {
            "id": rid, "repo": repo, "tag_name": tag, "name": tag, "author": author,
            "prerelease": prerelease, "draft": draft, "created_at": when,
            "published_at": None if draft else when, "body": body,
            "target_commitish": "main", "node_id": f"RE_sample{rid}",
            "html_url": url or f"https://github.com/{full_name}/releases/tag/{tag}",
        }
    return [
        rel(3001, 2001, "v1.0.0", at(40, 2, year=2025), "First stable release."),
        rel(3002, 2001, "v1.1.0", at(20, 3), "Faster startup.\n\n- Fix kernel restarts"),
        rel(3003, 2001, "v1.2.0rc1", at(24, 1, 10), "Release candidate.", prerelease=1),
        rel(3004, 2001, "v1.2.0", at(24, 4, 16),
            f"Adds the {SEARCH_TERM} widget.\n\n{XSS_SCRIPT} [click]({XSS_LINK}) & <b>bold</b>",
            author=2),
        rel(3005, 2002, "v4.0.0", at(45, 2, year=2025), "Major release."),
        rel(3006, 2002, "v4.1.0", at(22, 2), "New sidebar."),
        rel(3007, 2002, "v4.1.1", at(24, 5, 9), "Bug fixes for the sidebar."),
        rel(3008, 2004, "v5.0.0", at(30, 2, year=2025), "Hub 5."),
        rel(3009, 2004, "v5.1.0", at(23, 3), "Named servers."),
        rel(3010, 2005, "v0.1.0", at(24, 3, 14), f"Hello {XSS_IMG}", author=4, url=XSS_LINK),
        rel(3011, 2002, "v9.9.9-draft", at(24, 2), "Draft: never listed.", draft=1),
    ]


def _issues():
    """Issues and PRs: steady weekly activity plus the named W24 cases."""
    issues, numbers = [], {rid: 0 for rid in REPOS}
    next_id = [4001]

    def add(repo, user, title, created, kind="issue", closed=None, merged=None,
            updated=None, body="", reactions=None, draft=0, url=None):
        numbers[repo] += 1
        number, full_name = numbers[repo], REPOS[repo][0]
        path = "pull" if kind == "pull" else "issues"
        issues.append({
            "id": next_id[0], "node_id": f"I_sample{next_id[0]}", "number": number,
            "title": title, "user": user, "repo": repo, "type": kind,
            "state": "closed" if closed else "open", "locked": 0, "comments": 0,
            "created_at": created, "updated_at": updated or closed or created,
            "closed_at": closed, "merged_at": merged, "body": body,
            "pull_request": f"{full_name}/pulls/{number}" if kind == "pull" else None,
            "author_association": "CONTRIBUTOR", "draft": draft,
            "reactions": reactions or _reactions(),
            "html_url": url or f"https://github.com/{full_name}/{path}/{number}",
        })
        next_id[0] += 1
        return issues[-1]

    # 2025 history: who had already contributed where.
    for rid in (2001, 2002, 2004):
        add(rid, 1, "Set up CI", at(10, 2, year=2025), "pull", at(10, 3, year=2025),
            at(10, 3, year=2025))
        add(rid, 2, "Document the release process", at(12, 2, year=2025))
    add(2002, 3, "Sidebar flickers", at(20, 4, year=2025), closed=at(22, 1, year=2025))
    add(2002, 5, "Keyboard shortcut conflict", at(30, 4, year=2025),
        closed=at(31, 1, year=2025))
    add(2002, 3, "Add dark theme", at(35, 2, year=2025),
        reactions=_reactions(plus1=20, heart=5, hooray=2), updated=at(21, 2))
    # Stale: open PRs idle since March 2026.
    add(2004, 3, "Refactor the proxy", at(10, 2), "pull", updated=at(12, 4))
    add(2001, 1, "WIP: new file browser", at(11, 2), "pull", updated=at(12, 5), draft=1)
    # Steady activity, W20-W24, in every repo that existed.
    for week in range(20, 25):
        for rid, (full_name, created) in REPOS.items():
            if at(week, 2) < created:
                continue
            author = 1 + (week + rid) % 3  # alice, bob, carol in turn
            add(rid, author, f"Week {week} bug in {full_name.split('/')[1]}", at(week, 2, 9),
                closed=at(week, 4, 15) if week % 2 == 0 else None)
            add(rid, 1 + (week + rid + 1) % 3, f"Improve docs (week {week})", at(week, 3, 10),
                "pull", closed=at(week, 5, 11), merged=at(week, 5, 11))
    # W24 named cases.
    hostile = add(2001, 6, f"{XSS_SCRIPT} kernel crash on start", at(24, 2, 8),
                  body=f"{XSS_IMG} see [here]({XSS_LINK})",
                  reactions=_reactions(plus1=30, heart=4, hooray=2), url=XSS_LINK)
    add(2004, 4, "Fix typo in the spawner docs", at(24, 3, 13), "pull",
        closed=at(24, 4, 10), merged=at(24, 4, 10))
    add(2001, 5, "Add a keyboard shortcut", at(24, 4, 11), "pull")
    add(2002, 90, "Bump webpack from 5.1 to 5.2", at(24, 1, 4), "pull",
        closed=at(24, 2, 4), merged=at(24, 2, 4))
    add(2004, 91, "[pre-commit.ci] pre-commit autoupdate", at(24, 1, 5), "pull",
        closed=at(24, 1, 9), merged=at(24, 1, 9))
    return issues, hostile


def _comments(issues, hostile):
    rows, next_id = [], [6001]

    def comment(issue, user, when, body):
        full_name = REPOS[issue["repo"]][0]
        rows.append({
            "id": next_id[0], "node_id": f"IC_sample{next_id[0]}", "issue": issue["id"],
            "repo": issue["repo"], "issue_number": issue["number"], "user": user,
            "created_at": when, "updated_at": when, "body": body,
            "author_association": "CONTRIBUTOR", "reactions": _reactions(),
            "html_url": f"https://github.com/{full_name}/issues/{issue['number']}"
                        f"#issuecomment-{next_id[0]}",
        })
        issue["comments"] += 1
        next_id[0] += 1

    for n in range(6):
        comment(hostile, 1 + n % 3, at(24, 2 + n % 5, 9 + n), f"Reply {n} {XSS_SCRIPT}")
    for issue in issues:
        created = issue["created_at"]
        if created.startswith("2026") and issue["type"] == "issue" and issue is not hostile:
            comment(issue, 2, created[:11] + "18:00:00Z", "Thanks, looking into it.")
    dark = next(i for i in issues if i["title"] == "Add dark theme")
    for n in range(3):
        comment(dark, 1 + n, at(24, 3 + n, 12), "+1 from us")
    return rows


def _pull_requests(issues):
    return [{
        "id": issue["id"] + 100_000, "node_id": f"PR_sample{issue['id']}",
        "number": issue["number"], "state": issue["state"], "locked": 0,
        "title": issue["title"], "user": issue["user"], "body": issue["body"],
        "created_at": issue["created_at"], "updated_at": issue["updated_at"],
        "closed_at": issue["closed_at"], "merged_at": issue["merged_at"],
        "draft": issue["draft"], "repo": issue["repo"], "url": issue["html_url"],
        "merged_by": 2 if issue["merged_at"] else None,
        "head_ref": f"branch-{issue['number']}", "base_ref": "main",
    } for issue in issues if issue["type"] == "pull"]


BLOG = "https://blog.jupyter.org/feed"
HOSTILE_FEED = "https://example.org/hostile.rss"
BROKEN_FEED = "https://example.org/broken.rss"


def _feeds():
    return [
        {"url": BLOG, "title": "Jupyter Blog [synthetic sample]",
         "site_link": "https://blog.jupyter.org/", "last_fetched": at(24, 7, 22),
         "last_status": 200, "entry_count": 3},
        {"url": HOSTILE_FEED, "title": "<b onmouseover=alert(1)>Hostile feed</b>",
         "site_link": "javascript:alert(1)", "last_fetched": at(24, 7, 22),
         "last_status": 200, "entry_count": 2},
        {"url": BROKEN_FEED, "title": "Broken feed", "site_link": "https://example.org/",
         "last_fetched": at(24, 7, 22), "last_status": 200,
         "last_error": f"not well-formed: unclosed token {XSS_SCRIPT}", "entry_count": 0},
    ]


def _feed_entries():
    def entry(feed, key, title, link, when, summary, author="Sample Author"):
        return {"id": f"{feed} {key}", "entry_id": key, "feed": feed, "title": title,
                "link": link, "author": author, "published": when, "updated": when,
                "date_is_first_seen": 0, "summary": summary, "first_seen": when}
    return [
        entry(BLOG, "post-1", "Sample post: JupyterLab sidebar tour",
              "https://blog.jupyter.org/sample-sidebar-tour", at(22, 3, 0),
              "A tour of the new sidebar."),
        entry(BLOG, "post-2", "Sample post: JupyterHub 5.1 named servers",
              "https://blog.jupyter.org/sample-named-servers", at(24, 2, 0),
              "<p>Named servers, <b>explained</b> &amp; demoed.</p>"),
        entry(BLOG, "post-3", "Sample post: weekly community call",
              "https://blog.jupyter.org/sample-community-call", at(24, 4, 0),
              "Notes from the call, in plain text."),
        entry(HOSTILE_FEED, "hostile-1", f"{XSS_SCRIPT}Hostile title test", XSS_LINK,
              at(24, 3, 0), '<p onclick="alert(1)">Read <a href="javascript:alert(1)">more</a>'
              f'{XSS_SCRIPT}<iframe src="https://evil.example/"></iframe></p>',
              author=XSS_IMG),
        entry(HOSTILE_FEED, "hostile-2", XSS_SCRIPT, "  JaVaScRiPt:alert(1)", at(24, 5, 0),
              '<svg onload=alert(1)></svg><a href="data:text/html;base64,PHNjcmlwdD4=">x</a>'),
    ]


def _harvest_runs():
    def run(rid, started, source, status, errors=0, log=None, remaining=4800):
        return {"id": rid, "started_at": started, "finished_at": started[:14] + "05:00Z",
                "source": source, "status": status, "requests": 120,
                "counted_requests": 80, "not_modified": 40,
                "rate_limit_remaining": remaining, "rate_limit_reset": started[:11] + "23:59:00Z",
                "repos": 5, "releases": 11, "issues": 60, "comments": 40,
                "feed_entries": 5, "errors": errors, "error_log": log}
    return [
        run(1, at(23, 7, 22), "github", "ok"),
        run(2, at(24, 7, 22), "github", "ok", remaining=4711),
        run(3, at(23, 7, 22), "feeds", "ok"),
        run(4, at(24, 7, 22), "feeds", "partial", errors=1,
            log=f"{BROKEN_FEED}: not well-formed {XSS_SCRIPT}"),
    ]


def populate_sample(db):
    """Insert the sample dataset into ``db`` (a path or sqlite_utils.Database); return the db."""
    db = open_db(db)
    issues, hostile = _issues()
    comments = _comments(issues, hostile)
    tables = [
        ("users", _users(), "id"), ("repos", _repos(), "id"),
        ("repo_stats", _repo_stats(), ("repo", "harvested_at")),
        ("releases", _releases(), "id"), ("issues", issues, "id"),
        ("issue_comments", comments, "id"), ("pull_requests", _pull_requests(issues), "id"),
        ("feeds", _feeds(), "url"), ("feed_entries", _feed_entries(), "id"),
        ("harvest_runs", _harvest_runs(), "id"),
    ]
    with db.conn:
        for name, rows, pk in tables:
            db[name].upsert_all(rows, pk=pk)
    populate_discovered(db)  # discovery's repos and sources (#13)
    from sample_sources import populate_sources
    populate_sources(db)  # calendars and papers (#23)
    from sample_packages import populate_packages
    populate_packages(db)  # PyPI, npm and conda-forge releases (#22)
    return db
