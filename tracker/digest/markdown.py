"""Render a week's digest data as Markdown (newsletter-ready, same sections as
the HTML). Every harvested string goes through ``md``, which leaves no markup
and no raw HTML but escapes only what Markdown would read as markup, so the
text also reads well as plain text; external links must pass ``safe_url``."""

import re

from .html import (
    CAPS, DAY_NAMES, bots_line, HEADLINES, REACTED_INTRO, _compare, _first_timer_groups, _item_label, _name, day,
    fold, period_label, plural, release_groups, security_label, source_label,
)
from ..safe import safe_url
from .sections import EXTRA_SECTIONS
from .svg import sparkline_text

# Always markup: emphasis, code, links, strikethrough, escapes. "(" ")" "#" "!"
# "+" "|" only act next to these or at a line start, which text never is here.
_MD_SPECIAL = re.compile(r"[\\`*\[\]~]|(?<=\])\("
                         # "_" emphasises only at a word's edge (snake_case is text)
                         r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# "<" becomes "&lt;" only where it could open a tag or an autolink: an entity
# shows as written when the Markdown is read as plain text, but a backslash
# escape is not honoured by every Markdown reader (Python-Markdown's is not), and
# there "\<script>" would be live. "Python < 3.6" stays: no reader sees a tag.
_ENTITY = re.compile(r"&(?=#?\w+;)")  # "&amp;" would show; "Q&A" stays as it is
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_CODE = re.compile(r"`([^`<]+)`")


def md(text, limit=None):
    """Escape untrusted text for Markdown: no markup, no raw HTML gets through."""
    return _escape(fold(text, limit))


def _escape(text):
    text = _TAG_OPEN.sub("&lt;", _ENTITY.sub("&amp;", text))
    return _MD_SPECIAL.sub(lambda m: "\\" + m[0], text)


def md_code(text):
    """Like ``md``, but `code spans` stay code spans (never with '<' inside)."""
    parts = _CODE.split(fold(text))
    return "".join(f"`{p}`" if i % 2 else _escape(p) for i, p in enumerate(parts))


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
    groups = release_groups(rows)
    out += [f"## Releases ([all]({urls['releases_this_week']}))", "",
            f"**{plural(len(final), 'release')}** and **{plural(len(pre), 'pre-release')}**.", ""]
    shown = 0
    for title, group in groups:
        if not group:
            continue
        if title:
            out += ([""] if out[-1] else []) + [f"**{title}**", ""]
        for r in group[: max(CAPS["releases"] - shown, 0)]:
            shown += 1
            kind = f" *{r['kind']}*" if r["kind"] else ""
            flag = f" **⚠ {md(security_label(r))}**" if r.get("security") else ""
            highlights = r.get("highlights") or ([r["notes"]] if r.get("notes") else [])
            notes = f" — {md_code(highlights[0])}" if len(highlights) == 1 else ""
            out.append(f"- {md(r['full_name'])} "
                       f"**{_mdlink(r['html_url'], r['tag_name'] or r['name'] or '?')}**"
                       f"{kind}{flag}{notes}")
            if len(highlights) > 1:
                out += [f"  - {md_code(h)}" for h in highlights]
    if shown < len(rows):
        out.append(f"- … and [{len(rows) - shown} more releases]({urls['releases_this_week']})")

    repos = data["new_repos"]
    out += ["", f"## New repositories ([all]({urls['new_repos_this_week']}))", "",
            f"**{plural(len(repos), 'new repo')}**.", ""]
    out += [f"- {_mdlink(r['html_url'], r['full_name'])}"
            + (f" — {md(r['description'], 120)}" if r["description"] else "")
            for r in repos[: CAPS["new_repos"]]]
    out += _more(repos, CAPS["new_repos"], urls["new_repos_this_week"])
    for section in EXTRA_SECTIONS:  # e.g. "New in the ecosystem": see sections.py
        out += ["", *section.markdown(data[section.key], urls)]

    for title, key, rows, measure in (
        ("Most discussed", "busiest_this_week", data["discussed"],
         lambda r: plural(r["week_comments"], "comment")
         + (f" from {r['people']} people" if r["people"] > 1 else "")),
        ("Most-reacted open issues", "most_reacted_open_issues", data["reacted"],
         lambda r: plural(r["reactions"], "reaction")),
    ):
        out += ["", f"## {title} ([all]({urls[key]}))", ""]
        if key == "most_reacted_open_issues":
            out += [REACTED_INTRO, ""]
        out += [f"{i}. **{measure(r)}**: {_mdlink(r['html_url'], _item_label(r)[1])} "
                f"{md_code(fold(r['title'], 100))}" for i, r in enumerate(rows, 1)] or ["Nothing this week."]

    groups = data["merged"]
    out += ["", f"## Merged pull requests ([all]({urls['merged_prs_per_repo']}))", "",
            f"**{m['prs_merged']} merged PRs** in {plural(len(groups), 'repo')}, "
            f"{sum(g['bots'] for g in groups)} of them by bots (counted, not listed).", ""]
    for g in groups[: CAPS["merged_repos"]]:
        prs = g["prs"][: CAPS["merged_titles"]]
        titles = "; ".join(f"{_mdlink(p['html_url'], '#' + str(p['number']))} "
                           f"{md_code(fold(p['title'], 70))}" for p in prs)
        rest = len(g["prs"]) - len(prs)
        out.append(f"- **{md(g['full_name'])}**: {g['merged']}"
                   + (f" ({g['bots']} by bots)" if g["bots"] else "")
                   + (f" — {titles}" if titles else "")
                   + (f"; and [{rest} more]({urls['merged_prs_per_repo']})" if rest > 0 else ""))
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
                       f"{md_code(fold(p['title'], 80))}")
        out += _more(people, CAPS["first_timers"], urls["first_time_contributors"])

    posts = data["posts"]
    out += ["", f"## Posts ([all]({urls['posts_this_week']}))", "",
            f"**{plural(len(posts), 'post')}** from the followed feeds.", ""]
    out += [f"- {_mdlink(p['link'], fold(p['title'], 140) or '(untitled)')} — "
            f"*{md(p['feed_title'], 60)}*" for p in posts[: CAPS["posts"]]]
    out += _more(posts, CAPS["posts"], urls["posts_this_week"])
    # One blank line between blocks, however the sections above ended.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).rstrip() + "\n"
