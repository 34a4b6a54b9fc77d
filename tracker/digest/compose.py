"""One period's issue as data: the ordered sections, the story, the lead.

``compose`` runs each section of the layout (``layout.Section``: a title, a
kind, a selector) through its kind (``kinds``, ``activity``), drops items an
earlier section already told, applies the editor's edits, leaves out empty
sections, and picks the headline (``story``). Every renderer (``render``)
takes this one structure; it is stored as JSON with the digest row, so the
exports render exactly what the page shows.
"""

import re
from datetime import date, timedelta

from . import activity, kinds, sections, story
from .edits import apply_edits, load_edits
from .html import day, period_label, plural, source_label
from .kinds import CAP, made

KIND_FUNCTIONS = {
    "releases": kinds.releases, "posts": kinds.posts, "events": kinds.events,
    "papers": kinds.papers, "repositories": activity.repositories, "issues": activity.issues,
    "people": activity.people, "numbers": activity.numbers, "note": activity.note,
}
CAPS = {"releases": 25, "people": 20, "numbers": 20}
# The canned query behind a section ("and 4 more" links there), weekly issues only.
MORE_QUERY = {"releases": "releases_this_week", "posts": "posts_this_week",
              "events": "upcoming_events", "papers": "new_papers",
              "repositories:new": "new_repos_this_week",
              "repositories:discovered": "new_in_ecosystem",
              "issues:discussed": "busiest_this_week",
              "issues:reacted": "most_reacted_open_issues",
              "people": "first_time_contributors", "numbers": "ecosystem_pulse"}


def _is_best(section):
    return section.selector.get("rank") == "best"


def period_title(title, period):
    """'Project of the week' says 'of the month' in a monthly issue."""
    return title if period == "week" else re.sub(r"\b(of )?the week\b", r"\1the month", title)


def month_bounds(month):
    """('2026-06-01', '2026-07-01') for '2026-06'."""
    first = date.fromisoformat(month + "-01")
    nxt = (first + timedelta(32)).replace(day=1)
    return first.isoformat(), nxt.isoformat()


def month_label(start):
    return f"{date.fromisoformat(start):%B %Y}"


def _more_url(section, urls):
    name = MORE_QUERY.get(f"{section.kind}:{section.selector.get('rank')}") \
        or MORE_QUERY.get(section.kind)
    if not name or "posts_this_week" not in urls:
        return None
    return urls.get(name) or urls["posts_this_week"].replace("/posts_this_week?", f"/{name}?")


def footer(db, start, end, urls):
    """Harvest details on one line (they used to open every issue)."""
    h = sections.header(db, start, end)
    fresh = [f"{source_label(s['source'])} harvested {day(s['last'])}"
             for s in h["sources"]] or ["no harvest recorded yet"]
    if h["feeds"]["n"]:
        fresh.append(plural(h["feeds"]["n"], "feed") + " followed")
    return (f"Data: {' · '.join(fresh)}; covering {plural(h['repos'], 'repository', 'repositories')}"
            f" of {plural(h['owners'], 'organisation or user', 'organisations and users')};"
            f" {plural(h['errors'], 'harvest error')}.")


def compose(db, period_id, layout, *, start, end, metrics, period="week", note=None,
            urls=None, memo=None):
    """The issue for [start, end) as plain data (see the module docstring).
    ``metrics``: {"this": counts, "prev": the period before's counts}."""
    urls = urls or {}
    ctx = {"metrics": metrics, "note": note, "memo": {} if memo is None else memo,
           "period": period,
           "previous_label": "last week" if period == "week" else "last month"}
    edits = load_edits(db, period_id)
    seen, out = set(), []
    # The project of the week is not the headline's project (#21): the story as the
    # other sections tell it is picked first, and its project left out of "best".
    listed = [(section, None if _is_best(section) else
               KIND_FUNCTIONS[section.kind](db, start, end, section.selector, ctx))
              for section in layout]
    _, told = story.pick_story([{"kind": section.kind, "items": items}
                                for section, items in listed if items])
    ctx["avoid"] = activity.project_key(told) if told else None
    listed = [(section, KIND_FUNCTIONS[section.kind](db, start, end, section.selector, ctx)
               if items is None else items) for section, items in listed]
    # A package's first-ever release is told where new packages are listed
    # ("Extensions and kernels", selector first_releases, #22), not under releases.
    claimed = {c for section, items in listed if section.kind != "releases" for it in items
               for c in ([it["id"]] if it.get("first_release") else []) + it.get("claims", [])}
    for section, items in listed:
        if section.kind == "releases":
            items = [it for it in items if it["id"] not in claimed]
        if section.kind not in ("numbers", "note"):
            items = [it for it in items if it["id"] not in seen]
            seen.update(it["id"] for it in items)
            seen.update(c for it in items for c in it.get("claims", []))
        items = apply_edits(items, edits)
        if not items:
            continue  # an empty section is left out of every output
        cap = 1 if section.selector.get("rank") == "best" else CAPS.get(section.kind, CAP)
        out.append({"key": section.key, "title": period_title(section.title, period),
                    "kind": section.kind, "rank": section.selector.get("rank"),
                    "items": [made(it) for it in items[:cap]], "more": max(len(items) - cap, 0),
                    "more_url": _more_url(section, urls) if period == "week" else None})
    shown = [s for s in out if s["kind"] != "note"]
    rule, it = story.pick_story(shown)
    quiet = story.is_quiet(shown) and not note
    this = metrics["this"]
    label = period_label(start) if period == "week" else month_label(start)
    return {
        "period": period, "id": period_id, "start": start, "end": end,
        "last_day": (date.fromisoformat(end) - timedelta(1)).isoformat(), "label": label,
        "sections": shown, "note": (note or "").strip() or None,
        "story": rule, "story_id": it["id"] if it else None,
        "headline": story.headline(rule, it) if it else "",
        "title": story.title(rule, it, this, quiet=quiet, period=period, sections=shown),
        "lead": story.quiet_line(this, period) if quiet else
        story.lead(rule, it, shown, this, period=period, note=note),
        "lead_is_note": bool(note), "quiet": quiet, "counts": story.counts_line(this),
        # A quiet week's one line is its title already: the outputs do not say it twice.
        "lead_in_title": quiet and not note,
        "metrics": this, "footer": footer(db, start, end, urls),
        "urls": {k: v for k, v in urls.items() if k in ("page", "harvest_health")},
        # 0 says quiet (the archive folds it), whatever a weekly meeting listed.
        "section_count": 0 if quiet else sum(1 for s in shown if s["kind"] != "numbers"),
        "daily": sections.daily_activity(db, start, end) if period == "week" else None,
    }
