"""The digest's "New in the ecosystem" and "Rising" sections (discovery, #13).

Standalone: reads the harvested tables, returns plain data, renders it to HTML
(every harvested string escaped, only http(s) links) and Markdown. Weeks are
half-open ``start <= t < end`` ISO dates ('2026-06-08', '2026-06-15'), as in
the other digest sections. The canned queries ``new_in_ecosystem`` and
``rising_repos`` answer the same questions in SQL.

"New" means found by discovery and created on GitHub in the week, or first
seen in it by a source *after that source's first complete sweep*: that sweep
finds every repo that already existed, which is backfill, not news. Both facts
are SQL views (``discovery_finds``, ``discovered_repos``: tracker/facts.py).
"""

import json
import re

from ..safe import esc, plain, safe_url
from .markdown import md as _md
from .sections import EXTRA_SECTIONS, DigestSection

# Found by discovery (a topic: or search: source): the discovered_repos view.
DISCOVERY = "repo in (select repo from discovered_repos)"
_NAME = re.compile(r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$")


def _topics(value):
    try:
        topics = json.loads(value) if value else []
    except (TypeError, ValueError):
        return []
    return [t for t in topics if isinstance(t, str)] if isinstance(topics, list) else []


def _discovered(db):
    """repo id -> (sources, first seen as news, or None)."""
    out = {}
    for repo, source, news_at in db.execute(
            "select repo, source, news_at from discovery_finds"):
        sources, first = out.get(repo, ([], None))
        sources.append(source)
        if news_at and (first is None or news_at < first):
            first = news_at
        out[repo] = (sources, first)
    return out


def new_in_ecosystem(db, start, end, *, topic=None):
    """Discovered repos created or first seen in [start, end), most stars first.

    Returns {"repos": [{id, full_name, description, topics (list), owner, stars,
    language, html_url, created_at, first_seen_at, why ('created' | 'first seen'),
    sources (sorted list)}], "per_topic": [{"topic", "n"}] (most first)}. ``topic``
    keeps repos found by ``topic:TOPIC`` or carrying that GitHub topic.
    """
    found = _discovered(db)
    repos = []
    for row in db.query(
            "select repos.id, repos.full_name, repos.description, repos.topics, "
            "repos.stargazers_count, repos.language, repos.html_url, repos.created_at, "
            "repos.missing_since, users.login as owner "
            "from repos left join users on users.id = repos.owner "
            "where repos.id in (select repo from discovered_repos)"):
        sources, first = found[row["id"]]
        created = row["created_at"] or ""
        is_created = start <= created < end
        if row["missing_since"] or not (is_created or (first and start <= first < end)):
            continue
        topics = _topics(row["topics"])
        if topic and f"topic:{topic.lower()}" not in sources and topic.lower() not in {
                t.lower() for t in topics}:
            continue
        repos.append({
            "id": row["id"], "full_name": row["full_name"], "description": row["description"],
            "topics": topics, "owner": row["owner"], "stars": row["stargazers_count"] or 0,
            "language": row["language"], "html_url": row["html_url"], "created_at": created,
            "first_seen_at": first, "why": "created" if is_created else "first seen",
            "sources": sorted(sources)})
    repos.sort(key=lambda r: (-r["stars"], r["full_name"] or ""))
    counts = {}
    for r in repos:
        for source in r["sources"]:
            if source.startswith("topic:"):
                counts[source[6:]] = counts.get(source[6:], 0) + 1
    per_topic = [{"topic": t, "n": n} for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"repos": repos, "per_topic": per_topic}


def rising(db, start, end, *, limit=10, topic=None):
    """Discovered repos that gained the most stars in [start, end): exact from the
    stargazers history where it is held, else from repo_stats (the week's last
    snapshot minus the last before it, or the week's first for a repo first
    snapshotted in it); only gains > 0 (tracker/stargains.py).
    Returns [{id, full_name, gained, stars, description, topics, owner, html_url}].
    """
    from ..stargains import star_gains

    # Exact from the stargazers history where held (#25), else snapshots.
    gains = {repo: (gained, stars) for repo, (gained, stars) in star_gains(
        db, start, end, "select repo from discovered_repos").items() if gained > 0}
    if not gains:
        return []
    marks = ",".join("?" * len(gains))
    out = []
    for row in db.query(
            "select repos.id, repos.full_name, repos.description, repos.topics, repos.html_url, "
            "users.login as owner "
            f"from repos left join users on users.id = repos.owner where repos.id in ({marks})",
            list(gains)):
        topics = _topics(row["topics"])
        if topic and topic.lower() not in {t.lower() for t in topics} and not db.execute(
                "select 1 from repo_sources where repo = ? and source = ?",
                [row["id"], f"topic:{topic.lower()}"]).fetchone():
            continue
        gained, stars = gains[row["id"]]
        out.append({"id": row["id"], "full_name": row["full_name"], "gained": gained,
                    "stars": stars, "description": row["description"], "topics": topics,
                    "owner": row["owner"], "html_url": row["html_url"]})
    out.sort(key=lambda r: (-r["gained"], r["full_name"] or ""))
    return out[:limit]


def _clean(text, limit=None):
    return plain(text, limit)  # tags stripped; ANSI and XML-forbidden characters too


def _link(repo):
    url = safe_url(repo.get("html_url"))
    if url is None and _NAME.match(repo.get("full_name") or ""):
        url = f"https://github.com/{repo['full_name']}"
    return url or "https://github.com/"


def render_html(new, rising_rows, *, limit=15, more_url=None):
    """The two sections as an HTML fragment (harvested text escaped, XML-safe)."""
    parts = ["<h2>New in the ecosystem</h2>"]
    repos = new["repos"]
    if not repos:
        parts.append("<p>No new repository found by the followed topics and searches.</p>")
    else:
        if new["per_topic"]:
            parts.append("<p>" + ", ".join(f"{esc(_clean(t['topic']))}: {t['n']}"
                                           for t in new["per_topic"]) + "</p>")
        parts.append("<ul>")
        for r in repos[:limit]:
            topics = ", ".join(_clean(t) for t in r["topics"])
            desc = _clean(r["description"], 200)
            parts.append(
                f'<li><a href="{esc(_link(r))}">{esc(_clean(r["full_name"]))}</a> '
                f"({r['stars']}&#9733;, {esc(r['why'])}, by {esc(_clean(r['owner']) or '?')})"
                + (f": {esc(desc)}" if desc else "")
                + (f" <small>[{esc(topics)}]</small>" if topics else "") + "</li>")
        parts.append("</ul>")
        if len(repos) > limit:
            # more_url is ours (a canned query's path), never harvested text.
            more = f"{len(repos) - limit} more"
            parts.append(f'<p>… and <a href="{esc(more_url)}">{more}</a></p>' if more_url
                         else f"<p>… and {more}</p>")
    if rising_rows:
        parts.append("<h2>Rising</h2><ul>")
        for r in rising_rows:
            parts.append(f'<li><a href="{esc(_link(r))}">{esc(_clean(r["full_name"]))}</a> '
                         f"+{r['gained']}&#9733; ({r['stars']})</li>")
        parts.append("</ul>")
    return "\n".join(parts)


def render_md(new, rising_rows, *, limit=15, more_url=None):
    """The two sections as Markdown (special characters escaped, http(s) links only)."""
    lines = ["## New in the ecosystem", ""]
    repos = new["repos"]
    if not repos:
        lines.append("No new repository found by the followed topics and searches.")
    else:
        if new["per_topic"]:
            lines += [", ".join(f"{_md(t['topic'])}: {t['n']}" for t in new["per_topic"]), ""]
        for r in repos[:limit]:
            desc = _md(r["description"], 200)
            topics = ", ".join(_md(t) for t in r["topics"])
            lines.append(f"- [{_md(r['full_name'])}](<{_link(r)}>) ({r['stars']} stars, "
                         f"{r['why']}, by {_md(r['owner']) or '?'})"
                         + (f": {desc}" if desc else "") + (f" \\[{topics}\\]" if topics else ""))
        if len(repos) > limit:
            more = f"{len(repos) - limit} more"
            lines.append(f"- … and [{more}]({more_url})" if more_url else f"- … and {more}")
    if rising_rows:
        lines += ["", "## Rising", ""]
        lines += [f"- [{_md(r['full_name'])}](<{_link(r)}>) +{r['gained']} stars ({r['stars']})"
                  for r in rising_rows]
    return "\n".join(lines) + "\n"


def _collect(db, start, end):
    return {"new": new_in_ecosystem(db, start, end), "rising": rising(db, start, end)}


def _html(data, urls):
    new, up = urls["new_in_ecosystem"], urls["rising_repos"]
    return [render_html(data["new"], data["rising"], more_url=new),
            f'<p>See <a href="{esc(new)}">new in the ecosystem</a> and '
            f'<a href="{esc(up)}">rising repositories</a> for the week.</p>']


def _markdown(data, urls):
    return [render_md(data["new"], data["rising"], more_url=urls["new_in_ecosystem"]).rstrip("\n"),
            "", f"See [new in the ecosystem]({urls['new_in_ecosystem']}) and "
                f"[rising repositories]({urls['rising_repos']}) for the week."]


# The digest's section (tracker/digest/sections.py): after "New repositories".
EXTRA_SECTIONS.append(DigestSection("new_in_ecosystem", _collect, _html, _markdown))
