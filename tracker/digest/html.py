"""Render a week's digest data as HTML (Markdown: ``markdown``).

Pure functions of the data collected by ``tracker.digest``. Every string that
came from GitHub or a feed goes through ``esc``, and external links through ``safe_url``: the digest is the one place where the
project writes HTML, so this module is where escaping has to be right. Our own
links (canned queries) are built from constants and a validated week id.
"""

import re
from datetime import date, timedelta

from ..safe import clean, esc, safe_url
from .sections import EXTRA_SECTIONS
from .svg import bar_chart, sparkline_text

# List caps keep the digest skimmable; each capped list ends "and N more".
CAPS = {"releases": 25, "new_repos": 15, "discussed": 6, "reacted": 5,
        "merged_repos": 12, "merged_titles": 4, "first_timers": 30, "posts": 12}
REACTED_INTRO = "Open issues with activity this week, by +1, heart and hooray reactions."
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HEADLINES = [  # (metric, one, many)
    ("releases", "release", "releases"), ("prs_opened", "PR opened", "PRs opened"),
    ("prs_merged", "PR merged", "PRs merged"),
    ("prs_closed_unmerged", "PR closed unmerged", "PRs closed unmerged"),
    ("issues_opened", "issue opened", "issues opened"),
    ("issues_closed", "issue closed", "issues closed"), ("comments", "comment", "comments"),
    ("contributors", "active contributor", "active contributors"),
    ("first_timers", "first-time contributor", "first-time contributors"),
    ("new_repos", "new repo", "new repos"), ("stars_gained", "star gained", "stars gained"),
]


def fold(text, limit=None):
    """One line of text: whitespace folded, optionally cut with '…'."""
    text = " ".join((clean(text) or "").split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def period_label(start):
    first = date.fromisoformat(start)
    last = first + timedelta(6)
    if first.month == last.month:
        return f"Mon {first.day} – Sun {last.day} {last:%b %Y}"
    return f"Mon {first.day} {first:%b} – Sun {last.day} {last:%b %Y}"


SOURCE_LABELS = {  # a run's source (tracker harvest --only / --repo) as a reader says it
    "all": "Every source", "github": "GitHub", "feeds": "Feeds",
    "sources": "Calendars, papers and forums", "packages": "Package registries",
    "repos": "Chosen repositories"}


def source_label(source):
    return SOURCE_LABELS.get(source, source)


def day(timestamp):
    """'Fri 20 Nov' from an ISO timestamp. Freshness is shown to the day so the
    current week's digest does not change (and re-notify) on every harvest."""
    try:
        d = date.fromisoformat(str(timestamp)[:10])
    except ValueError:
        return fold(timestamp, 20)
    return f"{d:%a} {d.day} {d:%b}"


def plural(n, word, many=None):
    return f"{n} {word if n == 1 else many or word + 's'}"


def _compare(data, key):
    prev, avg = data["metrics"]["prev"][key], data["metrics"]["avg4"][key]
    return f"last week {prev} · 4-week avg {avg:g}"


def _repo_name(full_name):
    return full_name or "(unknown repo)"


def _item_label(row):
    kind = "PR" if row.get("type") == "pull" else "issue"
    return kind, f"{_repo_name(row.get('full_name'))}#{row.get('number')}"


def bots_line(m):
    """Bots' work in one line: counted in the numbers, never as people."""
    return (f"… and {plural(m.get('bot_prs', 0), 'pull request')} opened by bots "
            "(dependency updates and the like): counted in the numbers above, "
            "never as people or in the lists below.")


def summary_line(data):
    """The entry title: counts a reader can skim in a feed list."""
    m = data["metrics"]["this"]
    bits = [plural(m["releases"], "release"), plural(m["prs_merged"], "merged PR"),
            plural(m["first_timers"], "new contributor")]
    return f"Tracking Jupyter {data['week']}: " + ", ".join(bits)


def headline(data):
    """The week's numbers on one line, for the archive page."""
    m = data["metrics"]["this"]
    return " · ".join([
        plural(m["releases"], "release"), plural(m["prs_merged"], "PR merged", "PRs merged"),
        plural(m["prs_opened"] + m["issues_opened"], "issue or PR opened", "issues and PRs opened"),
        plural(m["comments"], "comment"), plural(m["contributors"], "person", "people"),
        plural(m["first_timers"], "first-time contributor")])


# ---------------------------------------------------------------- HTML

def _a(url, text):
    """An external link if the URL is http(s), else just the escaped text."""
    url = safe_url(url)
    return f'<a href="{esc(url)}">{esc(text)}</a>' if url else esc(text)


def _more(n_total, n_shown, url, what):
    if n_total <= n_shown:
        return ""
    return f'<li>… and <a href="{esc(url)}">{n_total - n_shown} more{" " + what if what else ""}</a></li>'


def _h(title, url, label="all"):
    # Only tags datasette-atom's bleach allowlist keeps, SVG aside.
    return f'<h2>{title} (<a href="{esc(url)}">{label}</a>)</h2>'


def render_html(data, urls):
    """The digest as an HTML fragment (no <html>, no CSS: feed readers style it)."""
    m = data["metrics"]["this"]
    h = data["header"]
    out = [f'<p><strong>Tracking Jupyter, week {esc(data["week"])}</strong>: '
           f'{esc(period_label(data["start"]))} (UTC).</p>']
    fresh = [f"<strong>{esc(source_label(s['source']))}</strong> harvested "
             f"{esc(day(s['last']))}" for s in h["sources"]] or [
                 "<strong>no harvest</strong> recorded yet"]
    if h["feeds"]["n"]:
        fresh.append(f"<strong>{plural(h['feeds']['n'], 'feed')}</strong> followed")
    out.append(
        f"<p>Data: {' · '.join(fresh)}. Covering <strong>{plural(h['repos'], 'repo')}</strong>"
        f" of <strong>{plural(h['owners'], 'org/user')}</strong>; "
        f"<strong>{plural(h['errors'], 'harvest error')}</strong> this week "
        f'(<a href="{esc(urls["harvest_health"])}">harvest health</a>).</p>')
    if data.get("note"):
        paras = [p for p in str(data["note"]).split("\n\n") if p.strip()]
        out.append("<blockquote><p><strong>Editor's note:</strong> "
                   + "</p><p>".join(esc(p).replace("\n", "<br>") for p in paras)
                   + "</p></blockquote>")

    out.append(_h("Headline numbers", urls["ecosystem_pulse"], "pulse"))
    out.append("<ul>" + "".join(
        f"<li><strong>{plural(m[k], one, many)}</strong> · {_compare(data, k)}</li>"
        for k, one, many in HEADLINES) + "</ul>")
    out.append(f"<p>{bots_line(m)}</p>")
    labels = [f"{DAY_NAMES[i]} {n}" for i, n in enumerate(data["daily"])]
    out.append(
        "<p><strong>Daily activity</strong> (opened, merged, comments, releases):<br>"
        + bar_chart(data["daily"], DAY_NAMES, title="Daily activity, " + data["week"])
        + f"<br><code>{sparkline_text(data['daily'])}</code> {esc(' · '.join(labels))}</p>")

    out += _releases_html(data["releases"], urls["releases_this_week"])

    repos = data["new_repos"]
    out.append(_h("New repositories", urls["new_repos_this_week"]))
    out.append(f"<p><strong>{plural(len(repos), 'new repo')}</strong>.</p>")
    if repos:
        out.append("<ul>" + "".join(
            f"<li>{_a(r['html_url'], r['full_name'])}"
            + (" <em>(fork)</em>" if r["fork"] else "")
            + (f" — {esc(fold(r['description'], 120))}" if r["description"] else "")
            + "</li>" for r in repos[: CAPS["new_repos"]])
            + _more(len(repos), CAPS["new_repos"], urls["new_repos_this_week"], "repos")
            + "</ul>")
    for section in EXTRA_SECTIONS:  # e.g. "New in the ecosystem": see sections.py
        out += section.html(data[section.key], urls)

    out.append(_h("Most discussed", urls["busiest_this_week"]))
    out.append(_ranked_html(data["discussed"], lambda r: (
        f"<strong>{plural(r['week_comments'], 'comment')}</strong>"
        + (f" from {r['people']} people" if r["people"] > 1 else ""))))
    out.append(_h("Most-reacted open issues", urls["most_reacted_open_issues"]))
    out.append(f"<p>{REACTED_INTRO}</p>")
    out.append(_ranked_html(data["reacted"],
                            lambda r: f"<strong>{plural(r['reactions'], 'reaction')}</strong>"))

    out += _merged_html(data["merged"], m, urls["merged_prs_per_repo"])

    url = urls["first_time_contributors"]
    out.append(_h("First-time contributors", url))
    for intro, people in _first_timer_groups(data["first_timers"]):
        out.append(f"<p>{intro.replace('**', '<strong>', 1).replace('**', '</strong>', 1)}</p>")
        if people:
            out.append("<ul>" + "".join(_first_timer_html(p)
                                        for p in people[: CAPS["first_timers"]])
                       + _more(len(people), CAPS["first_timers"], url, "") + "</ul>")

    posts = data["posts"]
    out.append(_h("Posts", urls["posts_this_week"]))
    out.append(f"<p><strong>{plural(len(posts), 'post')}</strong> from the followed feeds.</p>")
    if posts:
        out.append("<ul>" + "".join(
            f"<li>{_a(p['link'], fold(p['title'], 140) or '(untitled)')}"
            f" — <em>{esc(fold(p['feed_title'], 60))}</em></li>"
            for p in posts[: CAPS["posts"]])
            + _more(len(posts), CAPS["posts"], urls["posts_this_week"], "posts") + "</ul>")
    return "\n".join(out) + "\n"


def release_groups(rows):
    """(title, rows): security releases first, then final releases, then pre-releases."""
    security = [r for r in rows if r.get("security")]
    return [("Security releases", security),
            ("Other releases" if security else "",
             [r for r in rows if not r.get("security") and not r["pre"]]),
            ("Pre-releases", [r for r in rows if not r.get("security") and r["pre"]])]


def code_spans(escaped):
    """`code` in already-escaped text as <code>code</code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def security_label(r):
    ids = ", ".join(r.get("advisories") or [])
    return "security" + (f": {ids}" if ids else "")


def _release_html(r):
    kind = f" <em>{r['kind']}</em>" if r["kind"] else ""
    flag = f" <strong>⚠ {esc(security_label(r))}</strong>" if r.get("security") else ""
    highlights = r.get("highlights") or ([r["notes"]] if r.get("notes") else [])
    notes = ""
    if len(highlights) == 1:
        notes = f" — {code_spans(esc(highlights[0]))}"
    elif highlights:
        notes = "<ul>" + "".join(f"<li>{code_spans(esc(h))}</li>" for h in highlights) + "</ul>"
    return (f"<li>{esc(_repo_name(r['full_name']))} "
            f"<strong>{_a(r['html_url'], r['tag_name'] or r['name'] or '?')}</strong>"
            f"{kind}{flag}{notes}</li>")


def _releases_html(rows, url):
    final = [r for r in rows if not r["pre"]]
    pre = [r for r in rows if r["pre"]]
    repos = len({r["full_name"] for r in rows})
    out = [_h("Releases", url),
           f"<p><strong>{plural(len(final), 'release')}</strong> and "
           f"<strong>{plural(len(pre), 'pre-release')}</strong> in "
           f"{plural(repos, 'repo')}.</p>"]
    shown = 0
    for title, group in release_groups(rows):
        if not group:
            continue
        if title:
            out.append(f"<p><strong>{title}</strong></p>")
        items, org = [], None
        for r in group:
            if shown >= CAPS["releases"]:
                break
            shown += 1
            if r["org"] != org:
                if items:
                    items.append("</ul></li>")
                org = r["org"]
                items.append(f"<li><strong>{esc(org)}</strong><ul>")
            items.append(_release_html(r))
        if items:
            out.append("<ul>" + "".join(items) + "</ul></li></ul>")
    if shown < len(rows):
        out.append(f'<p>… and <a href="{esc(url)}">{len(rows) - shown} more releases</a></p>')
    return out


def _ranked_html(rows, measure):
    if not rows:
        return "<p>Nothing this week.</p>"
    items = []
    for r in rows:
        kind, label = _item_label({"type": "issue", **r})
        items.append(f"<li>{measure(r)}: {_a(r['html_url'], label)} "
                     f"{code_spans(esc(fold(r['title'], 100)))}</li>")
    return "<ol>" + "".join(items) + "</ol>"


def _merged_html(groups, m, url):
    bots = sum(g["bots"] for g in groups)
    out = [_h("Merged pull requests", url),
           f"<p><strong>{m['prs_merged']} merged PRs</strong> in "
           f"{plural(len(groups), 'repo')}, {bots} of them by bots (counted, not listed).</p>"]
    if groups:
        items = []
        for g in groups[: CAPS["merged_repos"]]:
            prs = g["prs"][: CAPS["merged_titles"]]
            titles = "; ".join(_a(p["html_url"], f"#{p['number']}") + " " +
                               code_spans(esc(fold(p['title'], 70))) for p in prs)
            rest = len(g["prs"]) - len(prs)
            items.append(f"<li><strong>{esc(g['full_name'])}</strong>: {g['merged']}"
                         + (f" ({g['bots']} by bots)" if g["bots"] else "")
                         + (f" — {titles}" if titles else "")
                         + (f'; and <a href="{esc(url)}">{rest} more</a>' if rest > 0 else "")
                         + "</li>")
        out.append("<ul>" + "".join(items)
                   + _more(len(groups), CAPS["merged_repos"], url, "repos") + "</ul>")
    return out


def _first_timer_groups(rows):
    """(intro, rows): people new to the ecosystem first, then to one more repo.
    Intros are ours (no harvested text), with one **bold** span."""
    new = [r for r in rows if r["new_to_ecosystem"]]
    known = [r for r in rows if not r["new_to_ecosystem"]]
    n_new = len({r["user"] for r in new})
    groups = [(f"**Welcome to {plural(n_new, 'new contributor')}!** Thank you for your "
               "first issue or pull request." if new else
               "**0 new contributors** to the ecosystem this week.", new)]
    if known:
        groups.append((f"**{plural(len(known), 'first contribution')}** to another repo "
                       "by people we already know:", known))
    return groups


def _name(p):
    """The display name when it says more than the login."""
    name = fold(p.get("name"), 60)
    return name if name and name != p.get("login") else None


def _first_timer_html(p):
    who = _a(p["user_url"], p["login"] or "someone")
    if _name(p):
        who = f"<strong>{esc(_name(p))}</strong> ({who})"
    kind, label = _item_label(p)
    title = code_spans(esc(fold(p["title"], 80)))
    return f"<li>{who} — {kind} {_a(p['html_url'], label)} {title}</li>"
