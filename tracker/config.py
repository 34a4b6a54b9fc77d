"""Load and validate the watchlist (``tracker.yml``).

Validation errors name the offending key (``github.orgs[2]``) so a curator
editing YAML by hand knows exactly what to fix.
"""

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})$")
DEFAULT_BOTS = [
    "pre-commit-ci", "dependabot", "codecov", "jupyterlab-probot",
    "meeseeksmachine", "github-actions", "renovate", "jupyterhub-bot",
]


# GitHub's rule for topic names: lowercase letters, digits and hyphens, at most 50.
TOPIC_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
TIERS = ("none", "light", "full")

# Every key tracker.yml may hold, as paths ("feeds[]" is each item of the feeds list).
# The loader's unknown-key checks read this list (check_keys), and tests/test_docs.py
# holds docs/configuration.md to it both ways: add a key here and document it there.
KEYS = (
    "github", "github.orgs", "github.users", "github.repos", "github.exclude",
    "github.reconcile_days", "github.max_rate", "github.topics", "github.search",
    "github.history",
    "bots",
    "discovery", "discovery.min_stars", "discovery.include_forks",
    "discovery.include_archived", "discovery.resweep_days", "discovery.releases_every_hours",
    "discovery.tier", "discovery.tiers", "discovery.history_tiers",
    "feeds", "feeds[].url", "feeds[].title", "feeds[].tags",
    "calendars", "calendars[].url", "calendars[].name", "calendars[].tags",
    "calendars[].synthetic",
    "papers", "papers.arxiv", "papers.joss", "papers.zenodo", "papers.arxiv_url",
    "papers.zenodo_url", "papers.synthetic",
    "discourse", "discourse.url", "discourse.categories", "discourse.synthetic",
    "packages", "packages.pypi", "packages.npm", "packages.conda_forge", "packages.from_repos",
    "packages.classifiers", "packages.npm_keywords", "packages.conda_forge_from_pypi",
    "packages.rate", "packages.pypi_url", "packages.npm_url", "packages.anaconda_url",
    "packages.synthetic", "packages.repos", "packages.repos.pypi", "packages.repos.npm",
    "packages.repos.conda_forge",
    # #21: the digest's sections (tracker/digest/layout.py checks each kind's selector).
    "digest", "digest.period", "digest.quiet", "digest.sections", "digest.sections[].title",
    "digest.sections[].kind", "digest.sections[].selector",
)


def child_keys(path=""):
    """The keys KEYS allows directly under ``path`` ("" is the top level)."""
    prefix = f"{path}." if path else ""
    return {key[len(prefix):] for key in KEYS
            if key.startswith(prefix) and "." not in key[len(prefix):]}


def check_keys(mapping, path, where, source):
    """Refuse a key KEYS does not list under ``path``; ``where`` names it in the error
    (``feeds[2]`` for the path ``feeds[]``)."""
    unknown = set(mapping) - child_keys(path)
    if unknown:
        name = f"{where}.{sorted(unknown)[0]}" if where else sorted(unknown)[0]
        raise ConfigError(f"{source}: unknown key {name!r}")


class ConfigError(Exception):
    """The watchlist is missing, unreadable or invalid."""


@dataclass
class Feed:
    url: str
    title: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Discovery:
    """``discovery:`` options: filters added to every topic/search query, how often a
    query is swept whole, and how much is harvested for a discovered repository
    (``none``: metadata and stats from the search item; ``light``: plus releases;
    ``full``: every stream, like a watched repo). ``tiers`` overrides the tier per
    source (``topic:NAME`` or ``search:QUERY``). Discovered repos already known are
    re-checked at most every ``releases_every_hours`` (0: every run); new ones at once."""

    min_stars: int = 0
    include_forks: bool = False
    include_archived: bool = False
    resweep_days: int = 7
    releases_every_hours: int = 24
    tier: str = "light"
    tiers: dict = field(default_factory=dict)
    # #25: the tiers whose repos also get the stars/forks history streams.
    history_tiers: list = field(default_factory=lambda: ["full"])

    def tier_of(self, sources):
        """The largest tier any of ``sources`` asks for."""
        tiers = [self.tiers.get(s, self.tier) for s in sources] or [self.tier]
        return max(tiers, key=TIERS.index)


@dataclass
class Config:
    orgs: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    repos: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    bots: list[str] = field(default_factory=lambda: list(DEFAULT_BOTS))
    feeds: list[Feed] = field(default_factory=list)
    # Requests per minute to GitHub (None: tracker.pacer.DEFAULT_RATE; 0: unpaced).
    max_rate: int | None = None
    topics: list[str] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    discovery: Discovery = field(default_factory=Discovery)
    path: str | None = None
    # Days between reconciliation walks of a repo (tracker/harvest/reconcile.py); 0 = never.
    reconcile_days: int = 7
    # #25: the stargazers and forks history streams of watched repos (history.py).
    history: bool = True
    # #23: calendars, papers and Discourse (tracker/sources/settings.py).
    calendars: list = field(default_factory=list)
    papers: object = None
    discourse: object = None
    # #22: PyPI, npm and conda-forge packages (tracker/registries/settings.py).
    packages: object = None
    # #21: the digest's sections, period and quiet weeks (tracker/digest/layout.py).
    digest: object = None

    def is_excluded(self, full_name):
        return full_name.lower() in {e.lower() for e in self.exclude}


def default_config_text():
    """The shipped watchlist for the real open Jupyter ecosystem."""
    return resources.files("tracker").joinpath("config/tracker.yml").read_text()


def load_config(path):
    """Read and validate a watchlist file; raise ConfigError naming the bad key."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found (create one with `tracker init`, "
            "or pass --config)"
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}") from None
    config = parse_config(text, source=str(path))
    config.path = str(path)
    return config


def parse_config(text, source="config"):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}: not valid YAML{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping")
    check_keys(data, "", "", source)
    github = data.get("github") or {}
    if not isinstance(github, dict):
        raise ConfigError(f"{source}: 'github' must be a mapping")
    check_keys(github, "github", "github", source)
    config = Config(
        orgs=_names(github, "orgs", source),
        users=_names(github, "users", source),
        repos=_full_names(github, "repos", source),
        exclude=_full_names(github, "exclude", source),
        feeds=_feeds(data.get("feeds"), source),
        max_rate=_max_rate(github, source),
        topics=_topics(github, source),
        search=_strings(github, "search", "github", source),
        discovery=_discovery(data.get("discovery"), source),
    )
    if "bots" in data:
        config.bots = _strings(data, "bots", None, source)
    if "reconcile_days" in github:
        days = github["reconcile_days"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ConfigError(f"{source}: 'github.reconcile_days' must be a whole number "
                              f"of days (0 = never), got {days!r}")
        config.reconcile_days = days
    if "history" in github:
        if not isinstance(github["history"], bool):
            raise ConfigError(f"{source}: 'github.history' must be true or false (the stars "
                              f"and forks history streams), got {github['history']!r}")
        config.history = github["history"]
    from .sources.settings import parse_calendars, parse_discourse, parse_papers
    config.calendars = parse_calendars(data.get("calendars"), source)
    config.papers = parse_papers(data.get("papers"), source)
    config.discourse = parse_discourse(data.get("discourse"), source)
    from .registries.settings import parse_packages
    config.packages = parse_packages(data.get("packages"), source)
    from .digest.layout import parse_digest
    config.digest = parse_digest(data.get("digest"), source)
    _check_tiers(config, source)
    return config


def _check_tiers(config, source):
    """A ``discovery.tiers`` key must name a configured topic or search (#19): a typo
    would otherwise leave that source on the default tier, silently."""
    known = {f"topic:{t}" for t in config.topics} | {f"search:{q}" for q in config.search}
    for name in config.discovery.tiers:
        if name not in known:
            choices = ", ".join(sorted(known)) or "none: github.topics and github.search are empty"
            raise ConfigError(f"{source}: 'discovery.tiers[{name!r}]' matches no configured "
                              f"topic or search (configured: {choices})")


def watched_kinds(config):
    """What the watchlist follows, by kind, for "nothing is watched" (#19)."""
    from .registries.run import configured as packages_configured
    from .sources.run import configured

    return {kind: n for kind, n in (
        ("github", len(config.orgs) + len(config.users) + len(config.repos)
         + len(config.topics) + len(config.search)),
        ("feeds", len(config.feeds)),
        ("sources", int(configured(config))),
        ("packages", int(packages_configured(config))),
    ) if n}


def url_setting_error(name, value, example="https://api.github.com"):
    """None when ``value`` is an absolute http(s) URL with a host, else one line saying
    what is wrong with the setting ``name`` (a usage error, exit 2)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        ok = False
    if ok and not any(c.isspace() for c in value):
        return None
    return f"{name} must be an http(s) URL such as {example}, got {value!r}"


def _max_rate(github, source):
    value = github.get("max_rate")
    if value is None:
        return None
    # bool is an int in Python; `max_rate: yes` is a mistake, not 1 request/minute.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            f"{source}: 'github.max_rate' must be a whole number of requests per minute "
            f"(0 turns pacing off), got {value!r}"
        )
    return value


def _strings(mapping, key, prefix, source):
    name = f"{prefix}.{key}" if prefix else key
    value = mapping.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{source}: '{name}' must be a list")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{source}: '{name}[{i}]' must be a non-empty string")
    return [item.strip() for item in value]


def _names(github, key, source):
    names = _strings(github, key, "github", source)
    for i, name in enumerate(names):
        if not NAME_RE.match(name):
            raise ConfigError(
                f"{source}: 'github.{key}[{i}]' is not a valid GitHub name: {name!r}"
            )
    return names


def is_full_name(name):
    """True for a GitHub repository name of the form OWNER/NAME."""
    parts = name.split("/")
    return len(parts) == 2 and all(NAME_RE.match(p) for p in parts)


def _full_names(github, key, source):
    names = _strings(github, key, "github", source)
    for i, name in enumerate(names):
        if not is_full_name(name):
            raise ConfigError(
                f"{source}: 'github.{key}[{i}]' must look like OWNER/NAME, got {name!r}"
            )
    return names


def _topics(github, source):
    topics = _strings(github, "topics", "github", source)
    for i, topic in enumerate(topics):
        if not TOPIC_RE.match(topic):
            raise ConfigError(
                f"{source}: 'github.topics[{i}]' is not a GitHub topic name (lowercase "
                f"letters, digits and hyphens, at most 50): {topic!r}")
    return topics


def _discovery(value, source):
    if value is None:
        return Discovery()
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: 'discovery' must be a mapping")
    check_keys(value, "discovery", "discovery", source)
    out = Discovery()
    for key, least in (("min_stars", 0), ("resweep_days", 1), ("releases_every_hours", 0)):
        if key in value:
            n = value[key]
            if not isinstance(n, int) or isinstance(n, bool) or n < least:
                raise ConfigError(f"{source}: 'discovery.{key}' must be an integer >= {least}")
            setattr(out, key, n)
    for key in ("include_forks", "include_archived"):
        if key in value:
            if not isinstance(value[key], bool):
                raise ConfigError(f"{source}: 'discovery.{key}' must be true or false")
            setattr(out, key, value[key])
    if "tier" in value:
        out.tier = _tier(value["tier"], "discovery.tier", source)
    if "history_tiers" in value:
        tiers = value["history_tiers"]
        if not isinstance(tiers, list):
            raise ConfigError(f"{source}: 'discovery.history_tiers' must be a list of tiers "
                              f"({', '.join(TIERS[1:])})")
        for i, tier in enumerate(tiers):
            _tier(tier, f"discovery.history_tiers[{i}]", source)
        out.history_tiers = list(tiers)
    tiers = value.get("tiers") or {}
    if not isinstance(tiers, dict):
        raise ConfigError(f"{source}: 'discovery.tiers' must map a source to a tier")
    for name, tier in tiers.items():
        if not isinstance(name, str) or not name.startswith(("topic:", "search:")):
            raise ConfigError(f"{source}: 'discovery.tiers' keys look like topic:NAME or "
                              f"search:QUERY, got {name!r}")
        out.tiers[name] = _tier(tier, f"discovery.tiers[{name!r}]", source)
    return out


def _tier(value, name, source):
    if value not in TIERS:
        raise ConfigError(f"{source}: '{name}' must be one of {', '.join(TIERS)}")
    return value


def _feeds(value, source):
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{source}: 'feeds' must be a list")
    feeds = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict):
            raise ConfigError(f"{source}: 'feeds[{i}]' must be a mapping with a url")
        check_keys(item, "feeds[]", f"feeds[{i}]", source)
        url = item.get("url")
        if not isinstance(url, str) or not re.match(r"^(https?|file)://", url):
            raise ConfigError(f"{source}: 'feeds[{i}].url' must be an http(s) URL")
        tags = item.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ConfigError(f"{source}: 'feeds[{i}].tags' must be a list of strings")
        title = item.get("title")
        if title is not None and not isinstance(title, str):
            raise ConfigError(f"{source}: 'feeds[{i}].title' must be a string")
        feeds.append(Feed(url=url, title=title, tags=tags))
    return feeds
