"""Section kinds over GitHub activity: repositories, issues, people, numbers.

Same contract as ``kinds``: ``KIND(db, start, end, selector, ctx)`` -> items.
Who is a person is ``sections.HUMAN``; the week's counts are ``sections.metrics``.
"""

import json
import re
from functools import partial

from ..safe import plain, safe_url
from . import ecosystem, sections
from .kinds import (_has, _owner_ok, item, lazy_item, sections_plural as plural,
                    week_versions)
from .summary import inline_text


def _title(text, limit=140):
    """An issue or PR title as plain text: `code` and **emphasis** markers gone."""
    return plain(inline_text(text or "", references=False), limit)

# A discovered repository "took off" in its first week with this many stars.
TOOK_OFF = 25


def _topics_ok(topics, sources, selector):
    wanted = {t.lower() for t in selector.get("topics") or []}
    if not wanted:
        return True
    have = {t.lower() for t in topics} | {s[6:] for s in sources if s.startswith("topic:")}
    return bool(wanted & have)


def _exact_gains(db, start, end, memo=None):
    """repo id -> stars gained in the period, exactly, from #25's ``history_weekly``
    (the stargazer listings) when harvested; {} otherwise. The view is read once
    per ``memo`` (a build of many weeks shares it)."""
    memo = {} if memo is None else memo
    if "history_weekly" not in memo:
        memo["history_weekly"] = db.execute(
            "select repo, week, gained from history_weekly where stream = 'stargazers' "
            "and gained > 0").fetchall() if _has(db, "history_weekly") else []
    gains = {}
    for repo, week, gained in memo["history_weekly"]:
        if start <= week < end:
            gains[repo] = gains.get(repo, 0) + gained
    return gains


def _discovered_rows(db, ids):
    """Repo rows (as ecosystem.rising returns them) of discovered repositories."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = sections._rows(db, f"""
        select repos.id, repos.full_name, repos.description, repos.topics, repos.html_url,
               repos.stargazers_count as stars, users.login as owner
        from repos left join users on users.id = repos.owner
        where repos.id in ({marks}) and repos.id in (select repo from discovered_repos)""",
        list(ids))
    return [{**r, "topics": ecosystem._topics(r["topics"]), "stars": r["stars"] or 0}
            for r in rows]


def discovered(db, start, end, selector=None, memo=None):
    """Discovered repositories of the period, new or rising, best week first:
    [{repo row..., gained, new, took_off}]. ``memo`` shares the work between
    the sections of one period (and the history between periods)."""
    selector = selector or {}
    memo = {} if memo is None else memo
    key = ("discovered", start, end)
    if key not in memo:
        for old in [k for k in memo if isinstance(k, tuple) and k[0] == "discovered"]:
            del memo[old]  # one period at a time; the star history stays
        memo[key] = _discovered_all(db, start, end, memo)
    return [r for r in memo[key]
            if _topics_ok(r.get("topics") or [], r.get("sources") or [], selector)
            and _owner_ok(r["full_name"], selector)]


def _discovered_all(db, start, end, memo):
    rows = {}
    for r in ecosystem.new_in_ecosystem(db, start, end)["repos"]:
        rows[r["id"]] = {**r, "gained": 0, "new": True}
    for r in ecosystem.rising(db, start, end, limit=100):
        base = rows.get(r["id"], {**r, "new": False, "sources": [], "language": None,
                                  "why": None})
        rows[r["id"]] = {**base, "gained": r["gained"], "stars": r["stars"]}
    exact = _exact_gains(db, start, end, memo)
    for r in _discovered_rows(db, [i for i in exact if i not in rows]):
        rows[r["id"]] = {**r, "new": False, "sources": [], "language": None, "why": None}
    for repo_id, gained in exact.items():
        if repo_id in rows:
            rows[repo_id]["gained"] = gained
    out = []
    for r in rows.values():
        # A new repo's whole star count was gained in its first week.
        week_gain = r["gained"] or (r["stars"] if r["new"] and r.get("why") == "created" else 0)
        out.append({**r, "week_gain": week_gain, "took_off": r["new"] and week_gain >= TOOK_OFF})
    out.sort(key=lambda r: (-r["week_gain"], -r["stars"], r["full_name"] or ""))
    return out


def _watched(db, memo):
    """Ids of the watchlist's repositories (a topic may find them too)."""
    if ("watched",) not in memo:
        memo[("watched",)] = {r[0] for r in db.execute(
            "select id from repos where tracked_via is not null")}
    return memo[("watched",)]


def project_key(it):
    """'jupytext' for the item 'mwouts/jupytext', 'mwouts/jupytext#12' or
    'jupytext@1.19.4': what a headline and a project of the week are compared by."""
    name = it["id"].split("#")[0].split("@")[0].rstrip("/").split("/")[-1]
    return re.sub(r"[-_.]+", "-", name).lower()


def _repo_item(r, badge=None, period="week"):
    bits = []
    if r["gained"]:
        bits.append(f"+{r['gained']}★ this {period}, {r['stars']}★")
    else:
        bits.append(f"{r['stars']}★")
    if r.get("new"):
        bits.append("new" if r.get("why") == "created" else "newly found")
    if r.get("topics"):
        bits.append(", ".join(t for t in (plain(t) for t in r["topics"][:4]) if t))
    return item(r["full_name"], r["full_name"], ecosystem._link(r), " · ".join(bits),
                plain(r.get("description"), 200), badge=badge or ("new" if r.get("new") else None),
                synthetic="synthetic" in (r.get("description") or "").lower(),
                took_off=r.get("took_off", False), week_gain=r.get("week_gain", 0))


def repositories(db, start, end, selector, ctx):
    """rank new: watched repositories created in the period; discovered: new and
    rising discovered ones; best: the discovered repository with the best week.
    ``first_releases``: packages whose first-ever version came out in the period
    come first (#22); a repository listed too carries its package's first release."""
    rank = selector.get("rank", "new")
    if rank == "new":
        repos = [item(r["full_name"], r["full_name"], r["html_url"],
                      " · ".join(x for x in ("fork" if r["fork"] else "", r["language"] or "")
                                 if x),
                      plain(r["description"], 200))
                 for r in sections.new_repos(db, start, end)
                 if _owner_ok(r["full_name"], selector)]
    else:
        found = discovered(db, start, end, selector, ctx.setdefault("memo", {}))
        period = ctx.get("period", "week")
        watched = _watched(db, ctx["memo"])
        if rank == "best":
            # A watched repository that a topic also finds is not a discovery, and
            # the headline's project (ctx "avoid", set by compose) is told already (#21).
            found = [r for r in found if r["id"] not in watched
                     and project_key({"id": r["full_name"]}) != ctx.get("avoid")]
            best = [r for r in found if r.get("description")] or found
            return [_repo_item(best[0], badge="took off" if best[0]["took_off"] else None,
                               period=period)] if best else []
        # A watched repo's stars alone are not news: its week is quiet (story.is_quiet).
        repos = [{**_repo_item(r, period=period), "watched": True} if r["id"] in watched
                 else _repo_item(r, period=period) for r in found]
    if not selector.get("first_releases"):
        return repos
    return _with_first_releases(first_release_items(db, start, end, selector, ctx.get("memo")),
                                repos)


def first_release_items(db, start, end, selector, memo=None):
    """Items of the packages whose first-ever version (anywhere: PyPI, npm,
    conda-forge, a GitHub release of the same version) came out in the period:
    ``registries.digest.first_releases``, the ``first_release`` of the
    ``project_releases`` view. The item's id is the version's, as in the releases
    section, so the version is told here and not again there (``first_release``)."""
    if not _has(db, "project_releases"):
        return []
    from ..registries.digest import also_on

    out = []
    # registries.digest.first_releases, from the rows the releases section reads too
    for r in (r for r in week_versions(db, start, end, memo) if r["first_release"]):
        if not _owner_ok(r["project"], selector):
            continue
        registry, _, name = (r["packages"] or [":"])[0].partition(":")
        row = db.execute("select summary from packages where registry = ? and name = ?",
                         [registry, name]).fetchone()
        where = f"on {also_on(r['places'])}" + ("" if r["on_github"] else ", no GitHub release")
        meta = " · ".join(x for x in ("first release", where,
                                      "pre-release" if r["prerelease"] else "") if x)
        out.append(item(f"{r['project']}@{r['version']}", f"{name or r['project']} {r['version']}",
                         r["url"], meta, plain(row[0] if row else "", 200), badge="new",
                         synthetic=r["synthetic"], first_release=True, project=r["project"],
                         version=r["version"]))
    return out


def _with_first_releases(firsts, repos):
    """First releases, then the repositories; a repository whose package had its
    first release keeps its place and says so (the release is not told twice)."""
    by_repo = {it["project"].lower(): it for it in firsts}
    out = []
    for it in repos:
        first = by_repo.pop(it["id"].lower(), None)
        if first:
            it = {**it, "meta": " · ".join(x for x in (f"first release: {first['title']}",
                                                        it["meta"]) if x),
                  "claims": [first["id"]]}
        out.append(it)
    return [it for it in firsts if it["project"].lower() in by_repo] + out


# ------------------------------------------------------------------ issues

def issues(db, start, end, selector, ctx):
    """rank discussed: most comments by people; reacted: most-reacted open issues;
    labelled: issues opened in the period in watched repos with one of ``labels``."""
    rank = selector.get("rank", "discussed")
    if rank == "discussed":
        return [item(f"{r['full_name']}#{r['number']}", _title(r["title"]), r["html_url"],
                     f"{r['full_name']}#{r['number']} · "
                     f"{plural(r['week_comments'], 'comment')}"
                     + (f" from {r['people']} people" if r["people"] > 1 else ""),
                     comments=r["week_comments"], people=r["people"])
                for r in sections.most_discussed(db, start, end)
                if _owner_ok(r["full_name"], selector)]
    if rank == "reacted":
        return [item(f"{r['full_name']}#{r['number']}", _title(r["title"]), r["html_url"],
                     f"{r['full_name']}#{r['number']} · {plural(r['reactions'], 'reaction')}")
                for r in sections.most_reacted(db, start, end)
                if _owner_ok(r["full_name"], selector)]
    labels = [label.lower() for label in selector.get("labels") or []]
    if not labels or not _labels_exist(db, labels, ctx.setdefault("memo", {})):
        return []
    # The period's open issues first, through the created_at index (#26): left
    # to itself the planner walked every open issue by (state, type), 0.15-0.2 s
    # a week at 1M issues whatever the period.
    rows = sections._rows(db, f"""
        with week as materialized (
            select id from live_issues where created_at >= :start and created_at < :end
              and +state = 'open' and +type = 'issue')
        select i.id, i.number, i.title, i.html_url, i.type, repos.full_name,
               group_concat(l.name, ', ') as labels
        from week join issues i on i.id = week.id join repos on repos.id = i.repo
        join issues_labels il on il.issues_id = i.id join labels l on l.id = il.labels_id
        left join users u on u.id = i.user
        where repos.{sections.WATCHED} and {sections.HUMAN}
          and lower(l.name) in (select value from json_each(:labels))
        group by i.id order by i.created_at, i.id""",
        {"start": start, "end": end, "labels": json.dumps(labels)})
    return [item(f"{r['full_name']}#{r['number']}", _title(r["title"]), r["html_url"],
                 f"{r['full_name']}#{r['number']} · {r['labels']}", group=r["full_name"])
            for r in rows if _owner_ok(r["full_name"], selector)]


def _labels_exist(db, labels, memo):
    """True if some repository has a label of one of these names (read once per
    build: a database without them skips the period's issues altogether)."""
    key = ("labels", tuple(sorted(labels)))
    if key not in memo:
        memo[key] = db.execute(
            "select 1 from labels where lower(name) in (select value from json_each(?)) limit 1",
            [json.dumps(labels)]).fetchone() is not None
    return memo[key]


# ------------------------------------------------------------------ people, numbers

def people(db, start, end, selector, ctx):
    """First contributions of the period; people new to the whole ecosystem first.
    Items are made when shown (``kinds.lazy_item``): at 1M issues a week has
    5,400 first-timers, of whom 20 are shown and the rest counted (#26)."""
    return [lazy_item(f"@{p['login']}", p["user_url"], partial(_person, p))
            for p in sections.first_timers(db, start, end)]


def _person(p):
    kind = "PR" if p["type"] == "pull" else "issue"
    name = plain(p["name"], 60)
    who = f"{name} (@{p['login']})" if name and name != p["login"] else f"@{p['login']}"
    return item(f"@{p['login']}", who, p["user_url"],
                f"first {kind} to {p['full_name']}: {plain(p['title'], 100)}",
                badge="new to Jupyter" if p["new_to_ecosystem"] else None,
                link=safe_url(p["html_url"]))


NUMBERS = [  # (metric, one, many)
    ("releases", "release", "releases"), ("prs_merged", "pull request merged",
                                          "pull requests merged"),
    ("prs_opened", "pull request opened", "pull requests opened"),
    ("issues_opened", "issue opened", "issues opened"),
    ("issues_closed", "issue closed", "issues closed"), ("comments", "comment", "comments"),
    ("contributors", "active contributor", "active contributors"),
    ("first_timers", "first-time contributor", "first-time contributors"),
    ("new_repos", "new repository", "new repositories"),
    ("stars_gained", "star gained", "stars gained"),
]


def numbers(db, start, end, selector, ctx):
    """The period's counts, each against the period before; zeros left out."""
    this, prev = ctx["metrics"]["this"], ctx["metrics"]["prev"]
    out = []
    for key, one, many in NUMBERS:
        if this.get(key):
            out.append(item(f"n:{key}", plural(this[key], one, many), None,
                            f"{ctx['previous_label']} {prev.get(key, 0)}"))
    if out and this.get("bot_prs"):
        out.append(item("n:bot_prs", plural(this["bot_prs"], "pull request") + " by bots", None,
                        "counted above, never as people"))
    return out


def note(db, start, end, selector, ctx):
    """The editor's note (it becomes the lead: see story.py)."""
    text = (ctx.get("note") or "").strip()
    return [item("note", "Editor's note", None, summary=text)] if text else []
