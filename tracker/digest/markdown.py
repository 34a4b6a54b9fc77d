"""Render a week's digest data as Markdown (newsletter-ready, same sections as
the HTML). Every harvested string goes through ``md``, which leaves no markup
and no raw HTML; external links must pass ``safe_url``."""

from .html import (
    CAPS, DAY_NAMES, bots_line, HEADLINES, REACTED_INTRO, _compare, _first_timer_groups, _item_label, _name, day,
    fold, period_label, plural, source_label,
)
from ..safe import safe_url
from .svg import sparkline_text

_MD_SPECIAL = "\\`*_[]()#+!|{}~"


def md(text, limit=None):
    """Escape untrusted text for Markdown: no markup, no raw HTML gets through."""
    text = fold(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + c if c in _MD_SPECIAL else c for c in text)


def _mdlink(url, text):
    url = safe_url(url)
    text = md(text)
    if not url:
        return text
    return f"[{text}]({url.replace('(', '%28').replace(')', '%29')})"


def _more(rows, cap, url):
    return [f"- … and [{len(rows) - cap} more]({url})"] if len(rows) > cap else []


def render_md(data, urls):
    """The digest as Markdown (newsletter-ready); same sections as the HTML."""
    m, h = data["metrics"]["this"], data["header"]
    out = [f"# {md(data['title'])}", "",
           f"**Week {data['week']}**: {period_label(data['start'])} (UTC).", ""]
    fresh = [f"**{md(source_label(s['source']))}** harvested {md(day(s['last']))}"
             for s in h["sources"]] or ["**no harvest** recorded yet"]
    if h["feeds"]["n"]:
        fresh.append(f"**{plural(h['feeds']['n'], 'feed')}** followed")
    out += [f"Data: {' · '.join(fresh)}. Covering **{plural(h['repos'], 'repo')}** of "
            f"**{plural(h['owners'], 'org/user')}**; **{plural(h['errors'], 'harvest error')}**"
            f" this week ([harvest health]({urls['harvest_health']})).", ""]
    if data.get("note"):
        out += ["> **Editor's note:** " + "\n>\n> ".join(
            md(p) for p in str(data["note"]).split("\n\n") if p.strip()), ""]
    out += [f"## Headline numbers ([pulse]({urls['ecosystem_pulse']}))", ""]
    out += [f"- **{plural(m[k], one, many)}** · {_compare(data, k)}"
            for k, one, many in HEADLINES]
    out += ["", bots_line(m)]
    out += ["", f"Daily activity: `{sparkline_text(data['daily'])}` "
            + " · ".join(f"{DAY_NAMES[i]} {n}" for i, n in enumerate(data["daily"])), ""]

    rows = data["releases"]
    final, pre = [r for r in rows if not r["pre"]], [r for r in rows if r["pre"]]
    out += [f"## Releases ([all]({urls['releases_this_week']}))", "",
            f"**{plural(len(final), 'release')}** and **{plural(len(pre), 'pre-release')}**.", ""]
    shown = 0
    for title, group in (("", final), ("**Pre-releases**", pre)):
        if not group:
            continue
        if title:
            out += ["", title, ""]
        for r in group[: max(CAPS["releases"] - shown, 0)]:
            shown += 1
            kind = f" *{r['kind']}*" if r["kind"] else ""
            notes = f" — {md(r['notes'])}" if r["notes"] else ""
            out.append(f"- {md(r['full_name'])} "
                       f"**{_mdlink(r['html_url'], r['tag_name'] or r['name'] or '?')}**"
                       f"{kind}{notes}")
    if shown < len(rows):
        out.append(f"- … and [{len(rows) - shown} more releases]({urls['releases_this_week']})")

    repos = data["new_repos"]
    out += ["", f"## New repositories ([all]({urls['new_repos_this_week']}))", "",
            f"**{plural(len(repos), 'new repo')}**.", ""]
    out += [f"- {_mdlink(r['html_url'], r['full_name'])}"
            + (f" — {md(r['description'], 120)}" if r["description"] else "")
            for r in repos[: CAPS["new_repos"]]]
    out += _more(repos, CAPS["new_repos"], urls["new_repos_this_week"])

    for title, key, rows, measure in (
        ("Most discussed", "busiest_this_week", data["discussed"],
         lambda r: plural(r["week_comments"], "comment")),
        ("Most-reacted open issues", "most_reacted_open_issues", data["reacted"],
         lambda r: plural(r["reactions"], "reaction")),
    ):
        out += ["", f"## {title} ([all]({urls[key]}))", ""]
        if key == "most_reacted_open_issues":
            out += [REACTED_INTRO, ""]
        out += [f"{i}. **{measure(r)}**: {_mdlink(r['html_url'], _item_label(r)[1])} "
                f"{md(r['title'], 100)}" for i, r in enumerate(rows, 1)] or ["Nothing this week."]

    groups = data["merged"]
    out += ["", f"## Merged pull requests ([all]({urls['merged_prs_per_repo']}))", "",
            f"**{m['prs_merged']} merged PRs** in {plural(len(groups), 'repo')}, "
            f"{sum(g['bots'] for g in groups)} of them by bots (counted, not listed).", ""]
    for g in groups[: CAPS["merged_repos"]]:
        prs = g["prs"][: CAPS["merged_titles"]]
        titles = "; ".join(f"{_mdlink(p['html_url'], '#' + str(p['number']))} "
                           f"{md(p['title'], 70)}" for p in prs)
        rest = len(g["prs"]) - len(prs)
        out.append(f"- **{md(g['full_name'])}**: {g['merged']}"
                   + (f" ({g['bots']} by bots)" if g["bots"] else "")
                   + (f" — {titles}" if titles else "")
                   + (f"; and {rest} more" if rest > 0 else ""))
    out += _more(groups, CAPS["merged_repos"], urls["merged_prs_per_repo"])

    out += ["", f"## First-time contributors ([all]({urls['first_time_contributors']}))"]
    for intro, people in _first_timer_groups(data["first_timers"]):
        out += ["", intro, ""]
        for p in people[: CAPS["first_timers"]]:
            who = _mdlink(p["user_url"], p["login"] or "someone")
            if _name(p):
                who = f"**{md(_name(p))}** ({who})"
            kind, label = _item_label(p)
            out.append(f"- {who} — {kind} {_mdlink(p['html_url'], label)} "
                       f"{md(p['title'], 80)}")
        out += _more(people, CAPS["first_timers"], urls["first_time_contributors"])

    posts = data["posts"]
    out += ["", f"## Posts ([all]({urls['posts_this_week']}))", "",
            f"**{plural(len(posts), 'post')}** from the followed feeds.", ""]
    out += [f"- {_mdlink(p['link'], fold(p['title'], 140) or '(untitled)')} — "
            f"*{md(p['feed_title'], 60)}*" for p in posts[: CAPS["posts"]]]
    out += _more(posts, CAPS["posts"], urls["posts_this_week"])
    return "\n".join(out).rstrip() + "\n"
