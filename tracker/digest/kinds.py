"""Section kinds: SQL over the harvested tables -> items, one function per kind.

Every kind answers ``KIND(db, start, end, selector, ctx)`` with a list of
items of one shape, so one set of templates renders them all:

    {"id": "jupyterhub/zero-to-jupyterhub-k8s@4.4.0",  # what pin/hide/comment name
     "title": "...", "url": "https://..." or None,      # http(s) only
     "meta": "...",        # one short line: where, when, how much
     "summary": "...",     # plain text, no markup (may be '')
     "group": "..." or None,   # items of one group are listed together
     "badge": "security" | "major" | "new" | ... or None,
     "synthetic": bool}

Pure reads; harvested text is cleaned (``safe.clean``) and links checked
(``safe.safe_url``) here, escaped by the templates. A kind with hundreds of
items a period (releases, people) may answer lazy ones (``lazy_item``: id, url
and what the story's rules read); ``made(it)`` is the whole item, and compose
makes only the shown ones whole. ``ctx`` carries what
several kinds share (the week's numbers, the editor's note).
"""

import json
import re
from functools import partial

from ..safe import clean, plain, safe_url
from ..security import security_release
from . import ecosystem, sections  # noqa: F401  (ecosystem registers its EXTRA_SECTIONS entry)
from .events import upcoming_events_rows
from .forum import forum_threads_rows
from .papers import new_papers_rows
from .summary import release_summary

CAP = 12  # items per section; the rest are counted ("and 4 more")


def item(id, title, url=None, meta="", summary="", group=None, badge=None, synthetic=False,
         **extra):
    title = clean(title or "") or "(untitled)"
    # Synthetic demo rows say so in their titles already; flag the others.
    synthetic = bool(synthetic) and "synthetic" not in title.lower()
    return {"id": clean(str(id)), "title": title,
            "url": safe_url(url), "meta": clean(meta or ""), "summary": clean(summary or ""),
            "group": clean(group) if group else None, "badge": badge,
            "synthetic": synthetic, **extra}


# The key of a lazy item's maker: never stored (compose makes shown items whole).
MAKE = "_make"


def lazy_item(id, url, make, **now):
    """An item of which only what compose's filters, the story's first pick and
    the editor's edits read is made now (``id``, ``url``, and ``now``: e.g. the
    badge, project and version); ``make()`` returns the whole ``item`` (the same
    values) when compose shows it (``made``). For kinds with hundreds or
    thousands of items a period, of which a few are shown and the rest counted."""
    return {"id": clean(str(id)), "url": safe_url(url), **now, MAKE: make}


def made(it):
    """The whole item of a lazy one, with what compose added (the edits'
    comment and pin) after it, as on any other item; any other item as it is."""
    if MAKE not in it:
        return it
    whole = it[MAKE]()
    return {**whole, **{k: v for k, v in it.items() if k not in whole and k != MAKE}}


def _has(db, name):
    return db.execute("select 1 from sqlite_master where name = ? and type in ('table', 'view')",
                      [name]).fetchone() is not None


def _owner_ok(full_name, selector):
    owners = {o.lower() for o in selector.get("owners") or []}
    repos = {r.lower() for r in selector.get("repos") or []}
    name = (full_name or "").lower()
    if not owners and not repos:
        return True
    return name.split("/")[0] in owners or name in repos


# ------------------------------------------------------------------ releases

def releases(db, start, end, selector, ctx):
    """Project versions published in the period, grouped by project, security first.
    From #22's ``project_releases`` (a version on GitHub, PyPI, npm and conda-forge
    told once, "also on PyPI"; one without a GitHub release flagged) when the
    database has it, else from GitHub releases."""
    rows = _project_releases(db, start, end, ctx.get("memo")) \
        if _has(db, "project_releases") else _github_releases(db, start, end)
    out = []
    for r in same_versions_once(rows):
        if not _owner_ok(r["project"], selector) or r.get("yanked"):
            continue
        pre = bool(r["prerelease"]) or sections.is_prerelease({"tag_name": r["version"]})
        # The one rule (tracker/security.py): the registry's advisories or the notes.
        security, advisories = security_release(r.get("name"), r["version"], r.get("body"),
                                                advisories=r.get("advisories"))
        kind = None if pre else sections.version_kind(r["version"])
        meta = []
        if security and advisories:  # the badge already says "security"
            meta.append(f"security: {', '.join(advisories)}")
        if pre:
            meta.append("pre-release")
        elif kind == "major":
            meta.append("major release")
        if r.get("first_release"):
            meta.append("first release")
        if not r.get("on_github", True):
            meta.append(f"on {also_on(r['places'])}, no GitHub release")
        elif r.get("also_on"):
            # A GitHub release is real; synthetic rows (the demo's) can only be
            # among the other places: the item says so instead of looking made up.
            meta.append(f"also on {r['also_on']}"
                        + (" (partly synthetic)" if r.get("synthetic") else ""))
        name = (r["project"] or "").split("/")[-1]
        version = r["version"] or "?"
        badge = "security" if security else "major" if kind == "major" else \
            "pre" if pre else None
        # The notes' summary is made for the 25 shown (300 releases a week at 1M issues).
        whole = partial(item, f"{r['project']}@{version}", f"{name} {version}", r["url"],
                        " · ".join(meta), group=r["project"], badge=badge,
                        synthetic=r.get("synthetic") and not r.get("on_github", False),
                        project=name, version=version, published_at=r["published_at"],
                        advisories=advisories)
        out.append(lazy_item(f"{r['project']}@{version}", r["url"],
                             partial(_with_summary, whole, r.get("body")),
                             group=clean(r["project"]) if r["project"] else None,
                             badge=badge, project=name, version=version,
                             published_at=r["published_at"]))
    rank = {"security": 0, "major": 1, None: 2, "pre": 3}
    first = {}
    for it in sorted(out, key=lambda it: rank[it["badge"]]):
        first.setdefault(it["group"], rank[it["badge"]])
    out.sort(key=lambda it: (first[it["group"]], (it["group"] or "").lower(),
                             rank[it["badge"]], it["published_at"] or ""))
    return out


def _with_summary(whole, body):
    return whole(summary=release_summary(body))


_PRE_TAG = re.compile(r"[-_.]?(alpha|beta|preview|pre|rc|c|a|b|dev|post)[-_.]?(?=\d)")
_PRE_NAME = {"alpha": "a", "beta": "b", "preview": "rc", "pre": "rc", "c": "rc"}


def version_key(version):
    """A version as PEP 440 spells it, for telling one version once:
    'v1.16.0-rc0', '1.16.0.rc0' and '1.16.0rc0' are one pre-release."""
    v = (version or "").strip().lower().lstrip("v")
    return _PRE_TAG.sub(lambda m: _PRE_NAME.get(m[1], m[1]), v)


def same_versions_once(rows):
    """Rows of one project whose versions are spelled differently but are one
    version (a tag 'v1.16.0-rc0' and another '1.16.0.rc0', PyPI's '1.16.0rc0')
    merged: the first published (a GitHub release's row first), places joined."""
    merged = {}
    for r in rows:
        key = ((r.get("project") or "").lower(), version_key(r.get("version")))
        if key not in merged:
            merged[key] = r
            continue
        first = merged[key]
        if r.get("on_github") and not first.get("on_github"):
            first, r = {**r, "published_at": first["published_at"]}, first
            merged[key] = first
        first["synthetic"] = bool(first.get("synthetic")) or bool(r.get("synthetic"))
        if "places" in first:
            places = list(dict.fromkeys(list(first["places"]) + list(r.get("places") or [])))
            first["places"] = places
            lead = "GitHub" if first.get("on_github") else places[0]
            first["also_on"] = _also([p for p in places if p != lead])
    return list(merged.values())


def _also(places):
    return also_on(places) if places else ""


def also_on(places):
    """'PyPI and conda-forge' for ['PyPI', 'conda-forge']."""
    places = list(places)
    return places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]


def _github_releases(db, start, end):
    return sections._rows(db, """
        select repos.full_name as project, ltrim(coalesce(r.tag_name, r.name), 'vV') as version,
               r.name, r.body, r.html_url as url, r.prerelease, r.published_at
        from releases r join repos on repos.id = r.repo
        where r.published_at >= :start and r.published_at < :end and coalesce(r.draft, 0) = 0
        order by lower(repos.full_name), r.published_at, r.id""", {"start": start, "end": end})


def week_versions(db, start, end, memo=None):
    """``registries.digest.project_release_rows`` of the period, read once per
    period when ``memo`` (a build's) is given: the releases section and the
    first releases of "Extensions and kernels" both read them (#26). Each caller
    gets its own copy of each row and of its lists (callers add to the rows; the
    lists hold strings only, so no deepcopy: 3 ms a week at 1M issues)."""
    from ..registries.digest import project_release_rows

    if memo is None:
        return project_release_rows(db, start, end)
    key = ("versions", start, end)
    if key not in memo:
        for old in [k for k in memo if isinstance(k, tuple) and k[0] == "versions"]:
            del memo[old]  # one period at a time
        memo[key] = project_release_rows(db, start, end)
    return [{k: list(v) if isinstance(v, list) else v for k, v in r.items()}
            for r in memo[key]]


def _project_releases(db, start, end, memo=None):
    rows = week_versions(db, start, end, memo)
    ids = [r["github_release"] for r in rows if r.get("github_release")]
    notes = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        notes.update({i: (name, body) for i, name, body in db.execute(
            f"select id, name, body from releases where id in ({','.join('?' * len(part))})",
            part)})
    for r in rows:
        r["name"], r["body"] = notes.get(r.get("github_release"), (None, None))
    return rows


# ------------------------------------------------------------------ posts

def _json_list(value):
    try:
        value = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return [v.lower() for v in value if isinstance(v, str)] if isinstance(value, list) else []


def posts(db, start, end, selector, ctx):
    """Feed entries and forum topics of the week. ``tags`` match a feed's or an
    entry's tags, ``categories`` a forum category, ``feeds`` a feed's title; an
    empty selector takes every post (what earlier sections left: see collect)."""
    tags = {t.lower() for t in selector.get("tags") or []}
    cats = {c.lower() for c in selector.get("categories") or []}
    feeds = [f.lower() for f in selector.get("feeds") or []]
    take_all = not (tags or cats or feeds)
    out = []
    for p in sections._rows(db, """
            select e.id, e.title, e.link, e.author, e.published, e.tags,
                   coalesce(f.title, e.feed) as feed_title, f.tags as feed_tags
            from feed_entries e left join feeds f on f.url = e.feed
            where e.published >= :start and e.published < :end
              and not (e.link like 'http%' and exists (select 1 from releases r
                       where r.html_url = e.link and coalesce(r.draft, 0) = 0))
            order by e.published, e.id""", {"start": start, "end": end}):
        all_tags = set(_json_list(p["tags"])) | set(_json_list(p["feed_tags"]))
        if "releases" in _json_list(p["feed_tags"]):
            continue  # a release feed's entries are releases, told under Releases
        title = (p["feed_title"] or "").lower()
        if take_all or all_tags & tags or any(f in title for f in feeds):
            by = f" · {plain(p['author'], 40)}" if p["author"] else ""
            out.append(item(safe_url(p["link"]) or f"post:{p['id']}", plain(p["title"], 160), p["link"],
                            f"{plain(p['feed_title'], 60)}{by} · {p['published'][:10]}",
                            synthetic="synthetic" in all_tags))
    for t in forum_threads_rows(db, start, end, limit=50):
        topic_tags = set(_json_list(json.dumps(t["tags"])))
        if take_all or (t["category"] or "").lower() in cats or topic_tags & tags:
            meta = (f"forum, {t['category'] or 'uncategorised'} · "
                    f"{sections_plural(t['reply_count'], 'reply', 'replies')}, "
                    f"{sections_plural(t['like_count'], 'like')}")
            out.append(item(t["url"] or f"forum:{t['id']}", plain(t["title"], 160),
                            t["url"], meta, synthetic=t["synthetic"],
                            engagement=(t["reply_count"] or 0) + (t["like_count"] or 0)))
    return out


def sections_plural(n, one, many=None):
    n = n or 0
    return f"{n} {one if n == 1 else many or one + 's'}"


# ------------------------------------------------------------------ events, papers

def events(db, start, end, selector, ctx):
    """Events in the two weeks after the period, soonest first. A series that
    meets every week (or more often) is routine, not news: listed once, at its
    next meeting, "weekly", and never the story or the lead (story.py)."""
    tags = {t.lower() for t in selector.get("tags") or []}
    rows = [e for e in upcoming_events_rows(db, start, end)
            if not tags or tags & {t.lower() for t in e["tags"]}]
    weekly = weekly_series(db, {e["uid"] for e in rows if e["recurrence_id"]})
    out, listed = [], set()
    for e in rows:
        routine = e["uid"] in weekly
        if routine and e["uid"] in listed:
            continue  # the next meeting says it all
        listed.add(e["uid"])
        meta = " · ".join(x for x in (e["when"], "weekly" if routine else "", e.get("location"))
                          if x)
        out.append(item(f"event:{e['uid']}:{e['recurrence_id'] or ''}", e["summary"], e["url"],
                        meta, synthetic=e["synthetic"], routine=routine))
    return out


def weekly_series(db, uids):
    """The uids among ``uids`` whose instances (the events table) are at most
    seven days apart somewhere: a series that meets every week or more often."""
    if not uids:
        return set()
    marks = ",".join("?" * len(uids))
    found = db.execute(f"""
        select uid from (
            select uid, julianday(substr(dtstart, 1, 19)) - julianday(substr(lag(dtstart) over (
                       partition by calendar, uid order by dtstart), 1, 19)) as gap
            from events where uid in ({marks}) and coalesce(status, '') != 'CANCELLED')
        where gap <= 7 group by uid""", sorted(uids)).fetchall()
    return {uid for (uid,) in found}


def papers(db, start, end, selector, ctx):
    """Papers first published in the period."""
    wanted = {s.lower() for s in selector.get("sources") or []}
    out = []
    for p in new_papers_rows(db, start, end):
        if wanted and not wanted & {s.lower() for s in p["sources"]}:
            continue
        key = f"doi:{p['doi']}" if p["doi"] else f"arxiv:{p['arxiv_id']}" if p["arxiv_id"] \
            else p["url"] or f"paper:{p['id']}"
        meta = " · ".join(x for x in (p["byline"], p["venue"]) if x)
        out.append(item(key, plain(p["title"], 200), p["url"], meta, synthetic=p["synthetic"]))
    return out
