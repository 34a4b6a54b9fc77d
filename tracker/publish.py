"""metadata.yml + queries/ -> Datasette configuration; serve.

The configuration is data: ``tracker/metadata.yml`` holds the instance,
table and dashboard metadata, ``tracker/queries/NAME.sql`` (with an optional
``NAME.yml`` sidecar) one canned query each. Neither names a database: the
per-database block of metadata.yml sits under ``"*"`` and is filed here under
the database's name, Datasette's file stem (``tracker`` for tracker.db), and
dashboard charts get that name as their ``db``.

The published site is read-only: every connection to the database, even the
one Datasette keeps for writes, is opened ``mode=ro`` with ``query_only``, and
a sidecar cannot declare a write query.
"""

import copy
import json
import os
import threading
import webbrowser
from pathlib import Path

import yaml
from datasette.app import Datasette
from datasette.database import Database

from .canned import bytes_arguments, expand, query_sql  # noqa: F401  (served SQL)

PACKAGE = Path(__file__).resolve().parent
METADATA = PACKAGE / "metadata.yml"
QUERIES = PACKAGE / "queries"  # = tracker.canned.QUERIES
TEMPLATES = PACKAGE / "templates"
ANY_DATABASE = "*"
# Keys a sidecar may set; Datasette's write-query keys (write, on_success_*)
# are deliberately absent.
QUERY_KEYS = {"title", "description", "description_html", "hide_sql", "fragment", "params"}


class PublishError(Exception):
    """metadata.yml or a query sidecar is invalid."""


def load_queries(directory=QUERIES):
    """Canned queries from ``*.sql`` files and ``*.yml`` sidecars, keyed by file stem;
    ``_*.sql`` files are fragments, not queries."""
    queries = {}
    for sql_path in sorted(Path(directory).glob("*.sql")):
        if sql_path.name.startswith("_"):
            continue
        query = {"sql": query_sql(sql_path.read_text(), directory)}
        sidecar = sql_path.with_suffix(".yml")
        if sidecar.exists():
            query.update(_sidecar(sidecar))
        queries[sql_path.stem] = query
    return queries


def _sidecar(path):
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise PublishError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise PublishError(f"{path}: must be a mapping (title, description, params)")
    unknown = set(data) - QUERY_KEYS
    if unknown:
        raise PublishError(
            f"{path}: unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(QUERY_KEYS))}"
            " (the site is read-only, so no write queries)"
        )
    params = data.pop("params", None) or []
    if isinstance(params, dict):
        # {name: {default, description}}: Datasette wants the names; the rest
        # is documentation, appended to the description users read.
        notes = [
            f"{name}: {spec.get('description', '')}".strip()
            for name, spec in params.items() if isinstance(spec, dict)
        ]
        if notes:
            data["description"] = " ".join(
                [data.get("description", "").strip(), "Parameters —", "; ".join(notes)]
            ).strip()
        params = list(params)
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise PublishError(f"{path}: params must be a list or a mapping of names")
    if params:
        data["params"] = params
    return data


def param_defaults(directory=QUERIES):
    """{query: {param: default}} from the sidecars (blank when not given), for benchmarks."""
    defaults = {}
    for sql_path in sorted(Path(directory).glob("*.sql")):
        if sql_path.name.startswith("_"):
            continue
        sidecar = sql_path.with_suffix(".yml")
        params = (yaml.safe_load(sidecar.read_text()) or {}).get("params") if sidecar.exists() else None
        if isinstance(params, dict):
            defaults[sql_path.stem] = {
                name: str((spec or {}).get("default", "")) if isinstance(spec, dict) else ""
                for name, spec in params.items()
            }
        else:
            defaults[sql_path.stem] = {name: "" for name in params or []}
    return defaults


def build_config(db_name, metadata_path=METADATA, queries_dir=QUERIES, *, public=False,
                 base_url=None):
    """(metadata, settings) for a database named ``db_name``: the merged Datasette metadata.

    ``public``: the public serving profile (``tracker.public``) with every absolute
    URL under ``base_url`` (PublicProfileError without a usable one)."""
    try:
        metadata = yaml.safe_load(Path(metadata_path).read_text()) or {}
    except yaml.YAMLError as e:
        raise PublishError(f"{metadata_path}: not valid YAML ({e})") from None
    metadata = copy.deepcopy(metadata)
    # Settings live beside the metadata for one source of truth; Datasette
    # 0.65 takes them separately (--setting), so they are split off here.
    settings = metadata.pop("settings", {}) or {}
    databases = metadata.get("databases") or {}
    config = databases.pop(ANY_DATABASE, None) or {}
    queries = config.setdefault("queries", {})
    for name, query in load_queries(queries_dir).items():
        if name in queries:
            raise PublishError(f"query {name!r} is defined in both {metadata_path} and {queries_dir}")
        queries[name] = query
    databases[db_name] = config
    metadata["databases"] = databases
    if "description_html" in metadata:
        metadata["description_html"] = metadata["description_html"].replace("{db}", db_name)
    atom = (metadata.get("plugins") or {}).get("datasette-atom") or {}
    allow = atom.get("allow_unsafe_html_in_canned_queries")
    if isinstance(allow, dict) and ANY_DATABASE in allow:
        allow[db_name] = allow.pop(ANY_DATABASE)
    _point_dashboards_at(metadata, db_name)
    if public:
        from .public import PUBLIC_SETTINGS, public_origin

        base_url = base_url or os.environ.get("TRACKER_BASE_URL")
        public_origin(base_url)
        plugins = metadata.setdefault("plugins", {})
        plugins["tracker"] = {**(plugins.get("tracker") or {}), "public": True,
                              "base_url": base_url.rstrip("/")}
        settings = {**settings, **PUBLIC_SETTINGS}
    return metadata, settings


def _point_dashboards_at(metadata, db_name):
    """Read each chart's ``query_file`` (``tracker/queries/charts/NAME.sql``), expand
    shared fragments in dashboard queries; give those without a ``db`` this one."""
    dashboards = (metadata.get("plugins") or {}).get("datasette-dashboards") or {}
    for dashboard in dashboards.values():
        for item in list((dashboard.get("charts") or {}).values()) + list(
            (dashboard.get("filters") or {}).values()
        ):
            if "query_file" in item:
                item["query"] = (QUERIES / item.pop("query_file")).read_text()
            if "query" in item:
                item["query"] = query_sql(item["query"])
                if not item.get("db"):
                    item["db"] = db_name


def write_metadata(output, db_name="tracker"):
    """Write the merged metadata as JSON for ``datasette serve -m`` / ``datasette publish``."""
    metadata, _settings = build_config(db_name)
    output = Path(output)
    output.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
    return output


class ReadOnlyDatabase(Database):
    """A live, never-written database: all connections are mode=ro and query_only.

    Not ``immutable=1``: a harvest may be writing the WAL while we serve, and an
    immutable reader would ignore the WAL and could read a half-written file.
    """

    def connect(self, write=False):
        conn = super().connect(write=False)
        conn.execute("pragma query_only = 1")
        return conn


def make_datasette(db_path, *, public=False, base_url=None, **kwargs):
    """A Datasette instance on ``db_path`` with our metadata, queries, templates and plugins
    (``public``: the public serving profile, absolute URLs under ``base_url``)."""
    from .datasette_plugin import register

    register()  # xml_text() and tracker_base_url() for the canned queries
    db_path = Path(db_path)
    metadata, settings = build_config(db_path.stem, public=public, base_url=base_url)
    settings = {**settings, **kwargs.pop("settings", {})}
    ds = Datasette(
        [str(db_path)], metadata=metadata, settings=settings,
        template_dir=str(TEMPLATES) if TEMPLATES.is_dir() else None, **kwargs,
    )
    ds.remove_database(db_path.stem)
    ds.add_database(ReadOnlyDatabase(ds, path=str(db_path)), name=db_path.stem)
    return ds


def serve(db_path, host="127.0.0.1", port=8001, open_browser=False, *, public=False,
          base_url=None):
    """Serve ``db_path`` read-only in Datasette until interrupted."""
    import uvicorn

    ds = make_datasette(db_path, public=public, base_url=base_url)
    if open_browser:
        # Opened a moment later so the server is listening when the browser asks.
        url = f"http://{host}:{port}/"
        threading.Timer(1.0, webbrowser.open, [url]).start()
    # Behind a reverse proxy (docs/security.md) the client's address comes from
    # X-Forwarded-For only when the proxy is local; Host never matters (public).
    uvicorn.run(ds.app(), host=host, port=port, log_level="info", lifespan="on", workers=1,
                server_header=not public)
