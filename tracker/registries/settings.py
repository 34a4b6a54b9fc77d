"""The watchlist's ``packages:`` block.

    packages:
      pypi: [voila, jupytext]
      npm: ["@jupyterlab/git"]
      conda_forge: [voila]
      from_repos: true            # PyPI/npm packages named like a tracked repo that link to it
      classifiers: ["Framework :: Jupyter :: JupyterLab :: Extensions"]
      npm_keywords: [jupyterlab-extension]
      conda_forge_from_pypi: true # each PyPI package's conda-forge build, when there is one
      rate: 60                    # requests a minute per registry host
      pypi_url: https://pypi.org                # TRACKER_PYPI_URL wins
      npm_url: https://registry.npmjs.org       # TRACKER_NPM_URL wins
      anaconda_url: https://api.anaconda.org    # TRACKER_ANACONDA_URL wins
      repos:                      # a package's repository when its links do not say
        pypi: {dockerspawner: jupyterhub/dockerspawner}

``synthetic: true`` (or a list of registries, ``[npm, conda_forge]``) marks what
is stored from them as made up: the offline demo's npm and conda-forge packages.
"""

import os
import re
from dataclasses import dataclass, field

PYPI_URL = "https://pypi.org"
NPM_URL = "https://registry.npmjs.org"
ANACONDA_URL = "https://api.anaconda.org"
DEFAULT_RATE = 60  # a request a second per host: registries publish no budget
# {registry: (its tracker.yml key, the environment variable that wins, default)}
URL_SETTINGS = {"pypi": ("pypi_url", "TRACKER_PYPI_URL", PYPI_URL),
                "npm": ("npm_url", "TRACKER_NPM_URL", NPM_URL),
                "conda_forge": ("anaconda_url", "TRACKER_ANACONDA_URL", ANACONDA_URL)}
# PEP 508 names; npm names (optionally @scope/); conda package names.
_NAMES = {
    "pypi": re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$"),
    "npm": re.compile(r"^(?:@[a-z0-9~-][a-z0-9._~-]{0,100}/)?[a-z0-9~-][a-z0-9._~-]{0,213}$"),
    "conda_forge": re.compile(r"^[a-z0-9_][a-z0-9._-]{0,199}$"),
}


def valid_name(registry, name):
    """True for a name the registry could have (PEP 508, npm's rules, conda's)."""
    return isinstance(name, str) and bool(_NAMES[registry].match(name))


@dataclass
class Packages:
    pypi: list = field(default_factory=list)
    npm: list = field(default_factory=list)
    conda_forge: list = field(default_factory=list)
    from_repos: bool = False
    classifiers: list = field(default_factory=list)
    npm_keywords: list = field(default_factory=list)
    conda_forge_from_pypi: bool = False
    rate: float = DEFAULT_RATE
    pypi_url: str = PYPI_URL
    npm_url: str = NPM_URL
    anaconda_url: str = ANACONDA_URL
    synthetic: bool | list = False
    repos: dict = field(default_factory=dict)  # {registry: {name: 'owner/name'}}

    def is_synthetic(self, registry):
        return registry in self.synthetic if isinstance(self.synthetic, list) \
            else bool(self.synthetic)

    def urls(self, environ=None):
        """{registry: base URL}, the TRACKER_*_URL variables first."""
        env = os.environ if environ is None else environ
        return {registry: (env.get(variable) or getattr(self, key)).rstrip("/")
                for registry, (key, variable, _) in URL_SETTINGS.items()}

    def environment_problem(self, environ=None):
        """One line saying which TRACKER_*_URL variable is not an http(s) URL, else
        None: checked before a run, as the config keys and GITHUB_API_URL are."""
        from ..config import url_setting_error

        env = os.environ if environ is None else environ
        for key, variable, default in URL_SETTINGS.values():
            if env.get(variable):
                problem = url_setting_error(variable, env[variable], default)
                if problem:
                    return problem
        return None

    def __bool__(self):
        return bool(self.pypi or self.npm or self.conda_forge or self.from_repos
                    or any(self.repos.values()) or self.classifiers or self.npm_keywords)


def _error(source, message):
    from ..config import ConfigError
    return ConfigError(f"{source}: {message}")


def _strings(value, name, source, pattern=None, what="a non-empty string"):
    if value is None:
        return []
    if not isinstance(value, list):
        raise _error(source, f"'{name}' must be a list")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or \
                (pattern is not None and not pattern.match(item.strip())):
            raise _error(source, f"'{name}[{i}]' must be {what}, got {item!r}")
        if item.strip() not in out:
            out.append(item.strip())
    return out


_FULL_NAME = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")


def _repos(value, source):
    """``packages.repos``: {registry: {package name: 'owner/name'}}, checked."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _error(source, "'packages.repos' must be a mapping of registries (pypi, npm, "
                             "conda_forge) to {package: OWNER/NAME}")
    from ..config import check_keys
    check_keys(value, "packages.repos", "packages.repos", source)
    out = {}
    for registry, names in value.items():
        where = f"packages.repos.{registry}"
        if names is None:
            continue
        if not isinstance(names, dict):
            raise _error(source, f"'{where}' must be a mapping of package names to "
                                 f"OWNER/NAME, e.g. {{dockerspawner: jupyterhub/dockerspawner}}")
        out[registry] = {}
        for name, full_name in names.items():
            if not valid_name(registry, name):
                raise _error(source, f"'{where}' key must be a {registry} package name, "
                                     f"got {name!r}")
            if not isinstance(full_name, str) or not _FULL_NAME.match(full_name.strip()):
                raise _error(source, f"'{where}.{name}' must be a GitHub repository "
                                     f"OWNER/NAME, got {full_name!r}")
            out[registry][name] = full_name.strip()
    return out


def parse_packages(value, source):
    if value is None:
        return Packages()
    if not isinstance(value, dict):
        raise _error(source, "'packages' must be a mapping (pypi, npm, conda_forge lists, ...)")
    from ..config import check_keys
    check_keys(value, "packages", "packages", source)  # the keys: tracker.config.KEYS
    packages = Packages()
    for registry in ("pypi", "npm", "conda_forge"):
        setattr(packages, registry, _strings(value.get(registry), f"packages.{registry}", source,
                                             _NAMES[registry], f"a {registry} package name"))
    packages.repos = _repos(value.get("repos"), source)
    packages.classifiers = _strings(value.get("classifiers"), "packages.classifiers", source)
    packages.npm_keywords = _strings(value.get("npm_keywords"), "packages.npm_keywords", source,
                                     re.compile(r"^[^\s\"'<>&]{1,100}$"), "an npm keyword")
    synthetic = value.get("synthetic", False)
    if isinstance(synthetic, list):
        if not all(r in _NAMES for r in synthetic):
            raise _error(source, "'packages.synthetic' must be true, false or a list of "
                                 "registries (pypi, npm, conda_forge)")
        packages.synthetic = list(synthetic)
    for flag in ("from_repos", "conda_forge_from_pypi") + (
            () if isinstance(synthetic, list) else ("synthetic",)):
        if flag in value:
            if not isinstance(value[flag], bool):
                raise _error(source, f"'packages.{flag}' must be true or false")
            setattr(packages, flag, value[flag])
    if "rate" in value:
        rate = value["rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0:
            raise _error(source, f"'packages.rate' must be requests a minute per host "
                                 f"(a number >= 0; 0 = unpaced), got {rate!r}")
        packages.rate = rate
    from ..config import url_setting_error
    for key, _, default in URL_SETTINGS.values():
        if value.get(key) is not None:
            url = value[key]
            problem = url_setting_error(f"'packages.{key}'", url.strip() if isinstance(url, str)
                                        else repr(url), default)
            if problem:
                raise _error(source, problem)
            setattr(packages, key, url.strip())
    return packages
