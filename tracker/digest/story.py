"""The headline and the lead: the period's story, chosen by rule, in plain words.

The rule, first match wins: the editor's pinned item; a security release; a
major release; a new project that took off; the most discussed thread. The
title is the story and the counts a reader skims ("Zero to JupyterHub 4.4.0
patches a security issue · 4 releases, 13 merged PRs"); the lead is two or
three plain sentences written from the data, or the editor's note when there
is one. A period with nothing a reader would miss is quiet: one short line.
"""

import re

from .kinds import sections_plural as plural


def _first(sections, kind, test=lambda it: True):
    for s in sections:
        if s["kind"] == kind:
            for it in s["items"]:
                if test(it):
                    return it
    return None


def _sentence(text):
    """One sentence of the lead: capitalised (the data's text, never the editor's:
    a note is the lead as written), ending in a full stop."""
    text = capitalise((text or "").strip())
    return text if not text or text[-1] in ".!?…" else text + "."


_NEXT_SENTENCE = re.compile(r"(\S*)([.!?]) ([a-z])")
_ABBREVIATION = re.compile(r"(?i)(?:.*\.)?[a-z]$|e\.g|i\.e|etc|vs|cf|approx|incl|no")


def capitalise(text):
    """'jupytext 1.19.4. faster …' -> 'Jupytext 1.19.4. Faster …': each sentence
    starts with a capital ("e.g. x", "i.e. y" and `code spans` left alone)."""
    parts = re.split(r"(`[^`]*`)", text)
    for i in range(0, len(parts), 2):
        parts[i] = _NEXT_SENTENCE.sub(
            lambda m: m[0] if m[2] == "." and _ABBREVIATION.fullmatch(m[1])
            else f"{m[1]}{m[2]} {m[3].upper()}", parts[i])
    text = "".join(parts)
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def _news(it):
    """An item that can be a story or open the lead: not a weekly meeting."""
    return not it.get("routine")


def pick_story(sections):
    """(rule, item) of the period's story, or (None, None)."""
    for s in sections:
        for it in s["items"]:
            if it.get("pinned"):
                return "pinned", it
    rules = [
        ("security", "releases", lambda it: it["badge"] == "security"),
        ("major", "releases", lambda it: it["badge"] == "major"),
        ("took off", "repositories", lambda it: it.get("took_off")),
        ("discussed", "issues", lambda it: it.get("comments")),
    ]
    for rule, kind, test in rules:
        found = _first(sections, kind, test)
        if found:
            return rule, found
    return None, None


def headline(rule, it):
    """The story as a title, or '' when there is none."""
    if rule == "pinned":
        return it["title"]
    if rule == "security":
        return f"{it['title']} patches a security issue"
    if rule == "major":
        return f"{it['title']} is out"
    if rule == "took off":
        return f"{it['title']} took off: {plural(it['week_gain'], 'star')} in its first week"
    if rule == "discussed":
        return f"Most discussed: {it['title']}"
    return ""


def counts_line(metrics):
    """'4 releases, 13 merged PRs, 2 new contributors' (zeros left out)."""
    bits = [plural(metrics.get("releases", 0), "release"),
            plural(metrics.get("prs_merged", 0), "merged PR"),
            plural(metrics.get("first_timers", 0), "new contributor")]
    return ", ".join(b for b in bits if not b.startswith("0 "))


def _story_sentence(rule, it):
    summary = _sentence(it.get("summary"))
    if rule == "security":
        adv = it.get("advisories") or []
        if adv and "security release" in summary.lower():
            # the notes say it already ("4.3.3 is a security release fixing …")
            first = f"{it['title']} fixes {', '.join(adv)}"
        else:
            first = f"{it['title']} is a security release" + (f" ({', '.join(adv)})" if adv else "")
        return " ".join(x for x in (_sentence(first), summary) if x)
    if rule == "major":
        return " ".join(x for x in (_sentence(f"{it['title']} is a new major release"), summary)
                        if x)
    if rule == "took off":
        return " ".join(x for x in (_sentence(
            f"{it['title']} is new in the ecosystem and gathered "
            f"{plural(it['week_gain'], 'star')} in its first week"), summary) if x)
    if rule == "discussed":
        return f"The most discussed thread was “{it['title']}” ({it['meta']})."
    if rule == "pinned":
        return " ".join(x for x in (_sentence(it["title"]), summary) if x)
    return ""


def lead(rule, it, sections, metrics, *, period="week", note=None):
    """Two or three plain sentences; the editor's note when there is one."""
    if note:
        return note.strip()
    out = [_story_sentence(rule, it)] if it else []
    projects = {x["group"] for s in sections if s["kind"] == "releases" for x in s["items"]}
    also = []
    if metrics.get("releases"):
        also.append(plural(metrics["releases"], "release")
                    + (f" across {plural(len(projects), 'project')}" if len(projects) > 1 else ""))
    if metrics.get("prs_merged"):
        also.append(plural(metrics["prs_merged"], "pull request") + " merged")
    if metrics.get("first_timers"):
        also.append(plural(metrics["first_timers"], "person", "people")
                    + " contributing for the first time")
    if also:
        joined = also[0] if len(also) == 1 else ", ".join(also[:-1]) + " and " + also[-1]
        out.append(("Also this " if out else "This ") + f"{period}: {joined}.")
    event = _first(sections, "events", _news)
    if event:
        out.append(f"Coming up: {event['title']}, {event['meta'].split(' · ')[0]}.")
    return " ".join(out[:3])


# Shown beside news, never news alone (#21): a week of only a project of the week
# and upcoming calls is one nobody would miss.
NOT_NEWS_ALONE = ("numbers", "note", "events")


def _stars_only(it):
    """A watched repository listed for its stars, without a first release."""
    return it.get("watched") and not it.get("first_release") and not it.get("claims")


def _new_project(it):
    """A project of the week that is new to the ecosystem or took off: news on its own."""
    return it.get("badge") == "new" or bool(it.get("took_off"))


def is_quiet(sections):
    """True when nothing but counts, upcoming events, weekly meetings, a project
    of the week that is neither new nor took off, and the star counts of watched
    repositories would be shown."""
    return not any(_news(it) and not _stars_only(it)
                   and (s.get("rank") != "best" or _new_project(it))
                   for s in sections if s["kind"] not in NOT_NEWS_ALONE
                   for it in s["items"])


def quiet_line(metrics, period="week"):
    """'A quiet week: 3 pull requests merged, 12 comments.'"""
    bits = [plural(metrics[k], one, many) for k, one, many in (
        ("prs_merged", "pull request merged", "pull requests merged"),
        ("issues_opened", "issue opened", "issues opened"),
        ("comments", "comment", "comments")) if metrics.get(k)]
    return f"A quiet {period}: " + (", ".join(bits) + "." if bits else "nothing was released, "
                                    "merged or posted.")


def title(rule, it, metrics, *, quiet=False, period="week", sections=()):
    """The story and the counts; without a story, the first item of the issue
    (a title of counts alone, "3 merged PRs", says nothing)."""
    if quiet:
        return quiet_line(metrics, period).rstrip(".")
    story, counts = headline(rule, it), counts_line(metrics)
    if not story:
        first = next(((s, it) for s in sections if s["kind"] not in ("numbers", "note")
                      for it in s["items"] if _news(it)), None)
        if first:
            story = f"{first[0]['title']}: {first[1]['title']}"
    return " · ".join(x for x in (story, counts) if x) or f"A quiet {period}"
