"""The watchlist keys of the sources: ``calendars:``, ``papers:``, ``discourse:``.

    calendars:
      - {url: https://.../basic.ics, name: jupyter, tags: [community]}
    papers:
      arxiv: ["all:jupyter"]
      joss: [https://joss.theoj.org/papers/published.atom]
      zenodo: [jupyter]
      arxiv_url: https://export.arxiv.org/api/query     # TRACKER_ARXIV_URL wins
      zenodo_url: https://zenodo.org/api/records        # TRACKER_ZENODO_URL wins
    discourse:
      url: https://discourse.jupyter.org
      categories: [general, jupyterhub]

``synthetic: true`` (on a calendar, ``papers`` or ``discourse``) marks what
they store as made up: the offline demo's sources.
"""

import os
import re
from dataclasses import dataclass, field

ARXIV_URL = "https://export.arxiv.org/api/query"
ZENODO_URL = "https://zenodo.org/api/records"
_URL = re.compile(r"^https?://\S+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$")


@dataclass
class Calendar:
    url: str
    name: str
    tags: list = field(default_factory=list)
    synthetic: bool = False


@dataclass
class Papers:
    arxiv: list = field(default_factory=list)
    joss: list = field(default_factory=list)
    zenodo: list = field(default_factory=list)
    arxiv_url: str = ARXIV_URL
    zenodo_url: str = ZENODO_URL
    synthetic: bool = False

    def urls(self, environ=None):
        """(arxiv_url, zenodo_url), TRACKER_ARXIV_URL / TRACKER_ZENODO_URL first."""
        env = os.environ if environ is None else environ
        return (env.get("TRACKER_ARXIV_URL") or self.arxiv_url,
                env.get("TRACKER_ZENODO_URL") or self.zenodo_url)

    def __bool__(self):
        return bool(self.arxiv or self.joss or self.zenodo)


@dataclass
class Discourse:
    url: str | None = None
    categories: list = field(default_factory=list)
    synthetic: bool = False

    def __bool__(self):
        return bool(self.url and self.categories)


def _error(source, message):
    from ..config import ConfigError
    return ConfigError(f"{source}: {message}")


def _url(value, name, source):
    if not isinstance(value, str) or not _URL.match(value.strip()):
        raise _error(source, f"'{name}' must be an http(s) URL, got {value!r}")
    return value.strip()


def _list(value, name, source, check=None):
    if value is None:
        return []
    if not isinstance(value, list):
        raise _error(source, f"'{name}' must be a list")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _error(source, f"'{name}[{i}]' must be a non-empty string")
        out.append(check(item, f"{name}[{i}]", source) if check else item.strip())
    return out


def _flag(mapping, name, source):
    value = mapping.get("synthetic", False)
    if not isinstance(value, bool):
        raise _error(source, f"'{name}.synthetic' must be true or false")
    return value


def _known(mapping, path, name, source):
    from ..config import check_keys
    check_keys(mapping, path, name, source)


def parse_calendars(value, source):
    if value is None:
        return []
    if not isinstance(value, list):
        raise _error(source, "'calendars' must be a list")
    calendars, names = [], set()
    for i, item in enumerate(value):
        where = f"calendars[{i}]"
        if not isinstance(item, dict):
            raise _error(source, f"'{where}' must be a mapping with url and name")
        _known(item, "calendars[]", where, source)
        url = _url(item.get("url"), f"{where}.url", source)
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _error(source, f"'{where}.name' must be a short name (letters, digits, "
                                 f"space . _ -), got {name!r}")
        if name in names:
            raise _error(source, f"'{where}.name' {name!r} is used twice")
        names.add(name)
        calendars.append(Calendar(url, name, _list(item.get("tags"), f"{where}.tags", source),
                                  _flag(item, where, source)))
    return calendars


def parse_papers(value, source):
    if value is None:
        return Papers()
    if not isinstance(value, dict):
        raise _error(source, "'papers' must be a mapping (arxiv, joss, zenodo lists)")
    _known(value, "papers", "papers", source)
    papers = Papers(arxiv=_list(value.get("arxiv"), "papers.arxiv", source),
                    joss=_list(value.get("joss"), "papers.joss", source, _url),
                    zenodo=_list(value.get("zenodo"), "papers.zenodo", source),
                    synthetic=_flag(value, "papers", source))
    for key in ("arxiv_url", "zenodo_url"):
        if value.get(key) is not None:
            setattr(papers, key, _url(value[key], f"papers.{key}", source))
    return papers


def parse_discourse(value, source):
    if value is None:
        return Discourse()
    if not isinstance(value, dict):
        raise _error(source, "'discourse' must be a mapping with url and categories")
    _known(value, "discourse", "discourse", source)
    categories = _list(value.get("categories"), "discourse.categories", source)
    for i, slug in enumerate(categories):
        if not re.match(r"^[a-z0-9][a-z0-9-]*(/\d+)?$", slug):
            raise _error(source, f"'discourse.categories[{i}]' must be a category slug "
                                 f"(or slug/id), got {slug!r}")
    return Discourse(_url(value.get("url"), "discourse.url", source), categories,
                     _flag(value, "discourse", source))
