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


class ConfigError(Exception):
    """The watchlist is missing, unreadable or invalid."""


@dataclass
class Feed:
    url: str
    title: str | None = None
    tags: list[str] = field(default_factory=list)


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
    path: str | None = None
    # Days between reconciliation walks of a repo (tracker/harvest/reconcile.py); 0 = never.
    reconcile_days: int = 7

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
    unknown = set(data) - {"github", "feeds", "bots"}
    if unknown:
        raise ConfigError(f"{source}: unknown key {sorted(unknown)[0]!r}")
    github = data.get("github") or {}
    if not isinstance(github, dict):
        raise ConfigError(f"{source}: 'github' must be a mapping")
    # Topic discovery is not built yet: reject `topics` rather than ignore it.
    unknown = set(github) - {"orgs", "users", "repos", "exclude", "reconcile_days", "max_rate"}
    if unknown:
        raise ConfigError(f"{source}: unknown key 'github.{sorted(unknown)[0]}'")
    config = Config(
        orgs=_names(github, "orgs", source),
        users=_names(github, "users", source),
        repos=_full_names(github, "repos", source),
        exclude=_full_names(github, "exclude", source),
        feeds=_feeds(data.get("feeds"), source),
        max_rate=_max_rate(github, source),
    )
    if "bots" in data:
        config.bots = _strings(data, "bots", None, source)
    if "reconcile_days" in github:
        days = github["reconcile_days"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ConfigError(f"{source}: 'github.reconcile_days' must be a whole number "
                              f"of days (0 = never), got {days!r}")
        config.reconcile_days = days
    return config


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


def _full_names(github, key, source):
    names = _strings(github, key, "github", source)
    for i, name in enumerate(names):
        parts = name.split("/")
        if len(parts) != 2 or not all(NAME_RE.match(p) for p in parts):
            raise ConfigError(
                f"{source}: 'github.{key}[{i}]' must look like OWNER/NAME, got {name!r}"
            )
    return names


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
        unknown = set(item) - {"url", "title", "tags"}
        if unknown:
            raise ConfigError(f"{source}: unknown key 'feeds[{i}].{sorted(unknown)[0]}'")
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
