"""The digest's sections as data: the ``digest:`` block of tracker.yml.

    digest:
      period: week          # or month: monthly issues (their own pages and feed)
      quiet: skip           # a quiet week in the feed: skip (default) or line
      sections:
        - title: Releases and announcements
          kind: releases
          selector: {owners: [jupyterhub]}

Every section has a ``title``, a ``kind`` (one of ``KINDS``) and an optional
``selector`` whose keys depend on the kind (``SELECTOR_KEYS``). The shipped
default (``DEFAULT_SECTIONS``) covers the ten sections of the hand-written
*Tracking Jupyter* issues plus "Call for participation" and "Project of the
week". ``parse_digest`` validates a block and raises ``ConfigError`` naming the
bad key, like the rest of the config loader.
"""

import re
from dataclasses import dataclass, field

KINDS = ("releases", "posts", "events", "papers", "repositories", "issues", "people",
         "numbers", "note")
# What each kind's selector may say (all optional; lists of strings unless noted:
# ``rank`` is one word, ``first_releases`` true or false).
SELECTOR_KEYS = {
    "releases": {"owners", "repos"},
    "posts": {"tags", "categories", "feeds"},
    "events": {"tags"},
    "papers": {"sources"},
    "repositories": {"rank", "topics", "owners", "first_releases"},
    "issues": {"rank", "labels", "owners"},
    "people": set(),
    "numbers": set(),
    "note": set(),
}
RANKS = {"repositories": ("new", "discovered", "best"),
         "issues": ("discussed", "labelled", "reacted")}
PERIODS = ("week", "month")
QUIET = ("skip", "line")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Section:
    """One section of the digest: what to show (kind + selector) under which title."""
    title: str
    kind: str
    selector: dict = field(default_factory=dict, hash=False, compare=True)

    @property
    def key(self):
        """A stable id for anchors and stored data: 'releases-and-announcements'."""
        return _SLUG.sub("-", self.title.lower()).strip("-") or self.kind


@dataclass
class DigestSettings:
    sections: list = field(default_factory=lambda: list(DEFAULT_SECTIONS))
    period: str = "week"
    quiet: str = "skip"


DEFAULT_SECTIONS = [
    Section("Editor's note", "note"),
    Section("Releases and announcements", "releases"),
    Section("Project of the week", "repositories", {"rank": "best"}),
    Section("Coming up", "events"),
    Section("Call for participation", "issues",
            {"rank": "labelled", "labels": ["good first issue", "help wanted"]}),
    Section("Extensions and kernels", "repositories",
            {"rank": "discovered", "topics": ["jupyterlab-extension", "jupyter-kernel",
                                              "ipywidgets", "voila"],
             "first_releases": True}),
    Section("Hosted environments", "repositories",
            {"rank": "discovered", "topics": ["jupyterhub", "jupyterlite", "jupyter-book"]}),
    Section("Binder and reproducibility", "posts",
            {"tags": ["binder", "reproducibility", "mybinder"], "categories": ["binder"]}),
    Section("Education and industry use", "posts",
            {"tags": ["education", "teaching", "industry", "case-study"],
             "categories": ["education", "industry"]}),
    Section("Example notebooks", "posts",
            {"tags": ["notebooks", "examples", "tutorial"], "categories": ["show-and-tell"]}),
    Section("Papers and research", "papers"),
    Section("Community", "posts", {}),
    Section("Most discussed", "issues", {"rank": "discussed"}),
    Section("Welcome, new contributors", "people"),
    Section("New repositories", "repositories", {"rank": "new"}),
    Section("By the numbers", "numbers"),
]


class _Error(Exception):
    pass


def _strings(value, name):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Error(f"'{name}' must be a list of non-empty strings")
    return [v.strip() for v in value]


def _section(item, i, source):
    from ..config import check_keys

    name = f"digest.sections[{i}]"
    if not isinstance(item, dict):
        raise _Error(f"'{name}' must be a mapping with a title and a kind")
    check_keys(item, "digest.sections[]", name, source)
    title, kind = item.get("title"), item.get("kind")
    if not isinstance(title, str) or not title.strip():
        raise _Error(f"'{name}.title' must be a non-empty string")
    if kind not in KINDS:
        raise _Error(f"'{name}.kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    selector = item.get("selector") or {}
    if not isinstance(selector, dict):
        raise _Error(f"'{name}.selector' must be a mapping")
    other = set(selector) - SELECTOR_KEYS[kind]
    if other:
        allowed = ", ".join(sorted(SELECTOR_KEYS[kind])) or "nothing"
        raise _Error(f"'{name}.selector.{sorted(other)[0]}': a {kind} section selects by "
                     f"{allowed}")
    out = {}
    for key, value in selector.items():
        if key == "rank":
            if value not in RANKS[kind]:
                raise _Error(f"'{name}.selector.rank' must be one of {', '.join(RANKS[kind])}")
            out[key] = value
        elif key == "first_releases":
            if not isinstance(value, bool):
                raise _Error(f"'{name}.selector.first_releases' must be true or false")
            out[key] = value
        else:
            out[key] = _strings(value, f"{name}.selector.{key}")
    if kind in RANKS and "rank" not in out:
        out["rank"] = "labelled" if kind == "issues" and out.get("labels") else RANKS[kind][0]
    if out.get("first_releases") and out["rank"] == "best":
        raise _Error(f"'{name}.selector.first_releases' lists packages: it does not go with "
                     "rank: best (one repository)")
    return Section(title.strip(), kind, out)


def parse_digest(value, source="config"):
    """DigestSettings from a ``digest:`` block (None: the shipped default).
    Raises tracker.config.ConfigError naming the bad key."""
    from ..config import ConfigError, check_keys

    if value is None:
        return DigestSettings()
    try:
        if not isinstance(value, dict):
            raise _Error("'digest' must be a mapping")
        check_keys(value, "digest", "digest", source)
        settings = DigestSettings()
        if "period" in value:
            if value["period"] not in PERIODS:
                raise _Error(f"'digest.period' must be one of {', '.join(PERIODS)}")
            settings.period = value["period"]
        if "quiet" in value:
            if value["quiet"] not in QUIET:
                raise _Error(f"'digest.quiet' must be one of {', '.join(QUIET)}")
            settings.quiet = value["quiet"]
        if "sections" in value:
            items = value["sections"]
            if not isinstance(items, list) or not items:
                raise _Error("'digest.sections' must be a non-empty list")
            sections = [_section(item, i, source) for i, item in enumerate(items)]
            keys = [s.key for s in sections]
            dup = next((k for k in keys if keys.count(k) > 1), None)
            if dup:
                raise _Error(f"'digest.sections' has two sections titled like {dup!r}")
            settings.sections = sections
    except _Error as e:
        raise ConfigError(f"{source}: {e}") from None
    return settings
