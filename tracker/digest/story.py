"""The headline and the lead: the period's story, chosen by rule, in plain words.

The rule, first match wins: the editor's pinned item; a security release; a
major release; a new project that took off; the most discussed thread. The
title is the story and the counts a reader skims ("Zero to JupyterHub 4.4.0
patches a security issue · 4 releases, 13 merged PRs"); the lead is two or
three plain sentences written from the data, or the editor's note when there
is one. A period with nothing a reader would miss is quiet: one short line.
"""

from .kinds import sections_plural as plural


def _first(sections, kind, test=lambda it: True):
    for s in sections:
        if s["kind"] == kind:
            for it in s["items"]:
                if test(it):
                    return it
    return None


def _sentence(text):
    text = (text or "").strip()
    return text if not text or text[-1] in ".!?…" else text + "."


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
        return (f"{it['title']} is a security release"
                + (f" ({', '.join(adv)})" if adv else "") + ". " + summary).strip()
    if rule == "major":
        return f"{it['title']} is a new major release. {summary}".strip()
    if rule == "took off":
        return (f"{it['title']} is new in the ecosystem and gathered "
                f"{plural(it['week_gain'], 'star')} in its first week. {summary}").strip()
    if rule == "discussed":
        return f"The most discussed thread was “{it['title']}” ({it['meta']}).".strip()
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
    event = _first(sections, "events")
    if event:
        out.append(f"Coming up: {event['title']}, {event['meta'].split(' · ')[0]}.")
    return " ".join(out[:3])


def is_quiet(sections):
    """True when nothing but counts would be shown."""
    return not any(s["items"] for s in sections if s["kind"] not in ("numbers", "note"))


def quiet_line(metrics, period="week"):
    """'A quiet week: 3 pull requests merged, 12 comments.'"""
    bits = [plural(metrics[k], one, many) for k, one, many in (
        ("prs_merged", "pull request merged", "pull requests merged"),
        ("issues_opened", "issue opened", "issues opened"),
        ("comments", "comment", "comments")) if metrics.get(k)]
    return f"A quiet {period}: " + (", ".join(bits) + "." if bits else "nothing was released, "
                                    "merged or posted.")


def title(rule, it, metrics, *, quiet=False, period="week", sections=()):
    """The story and the counts; without a story, the first item of the issue."""
    if quiet:
        return quiet_line(metrics, period).rstrip(".")
    story, counts = headline(rule, it), counts_line(metrics)
    if not story and not counts:
        first = next((s for s in sections if s["items"] and s["kind"] not in ("numbers", "note")),
                     None)
        if first:
            story = f"{first['title']}: {first['items'][0]['title']}"
    return " · ".join(x for x in (story, counts) if x) or f"A quiet {period}"
