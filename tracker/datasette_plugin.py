"""The tracker's own Datasette plugin: SQL functions the canned queries call.

- ``xml_text(text)``: ``tracker.safe.clean`` (no ANSI escapes, no characters
  XML 1.0 forbids), so datasette-atom never meets a string it cannot write
  ("All strings must be XML compatible" was an HTTP 500).
- ``tracker_base_url()``: the plugin's ``base_url`` setting, else TRACKER_BASE_URL,
  if it is a plain http(s) URL, else '' — the digest feed then builds absolute
  links from the request's Host (never under the public profile, which
  rewrites Host to the base URL).

Its configuration (``plugins: tracker:`` in metadata.yml) also caps every
served connection (``max_value_bytes``, ``max_result_bytes``) and, with
``public: true``, wraps the app in the public profile (``tracker.public``).

``render_cell`` links titles, logins and repositories on query pages;
``extra_template_vars`` gives the digest pages ``tracker_db``, the database's
name, and a repository's row page its star history (#25, ``tracker.starchart``). Registered by ``tracker.publish.make_datasette`` and, for ``datasette serve
-m`` with the tracker installed, by the ``datasette`` entry point.
"""

import os
import re

from datasette import hookimpl
from markupsafe import Markup, escape
from datasette.plugins import pm

from .public import limit_connection, public_app, public_origin
from .safe import clean, register_sql_functions, safe_url
from .ics_renderer import register_output_renderer  # noqa: F401  (#23: .ics of events)


def base_url(datasette=None):
    configured = (_config(datasette).get("base_url") or "") if datasette is not None else ""
    return (safe_url(configured or os.environ.get("TRACKER_BASE_URL", "")) or "").rstrip("/")


def _config(datasette):
    return datasette.plugin_config("tracker") or {}


def register_connection_functions(conn, datasette=None):
    """Every SQL function a served query may call: the project's
    (``register_sql_functions``) and ``tracker_base_url()``. The one list, for
    Datasette's connections and for anything that runs the served SQL outside
    Datasette (bench/queries.py); without ``datasette``, the base URL is
    TRACKER_BASE_URL's."""
    register_sql_functions(conn)
    conn.create_function("tracker_base_url", 0, lambda: base_url(datasette))


@hookimpl
def prepare_connection(conn, datasette):
    register_connection_functions(conn, datasette)
    config = _config(datasette)
    if config.get("max_value_bytes") or config.get("max_result_bytes"):
        limit_connection(conn, config.get("max_value_bytes"), config.get("max_result_bytes"))


@hookimpl
def asgi_wrapper(datasette):
    config = _config(datasette)
    if not config.get("public"):
        return None
    url = base_url(datasette)
    public_origin(url)  # an unusable base URL stops the server at start, not per request
    return lambda app: public_app(app, url)


@hookimpl
def extra_template_vars(datasette, request, view_name, table, database):
    # The digest pages link the database's canned queries and feed by name;
    # query pages explain a ?week= that is not a week instead of a blank table.
    from .weeks import WeekError, parse_week

    week_error = None
    week = (request.args.get("week") or "").strip() if request is not None else ""
    if week:
        try:
            parse_week(week)
        except WeekError:
            week_error = (f"“{week}” is not a week: give an ISO week such as 2026-W24, or any "
                          "date in it (2026-06-10), or leave it blank for the latest complete week.")
    try:
        name = datasette.get_database().name
    except KeyError:
        name = "tracker"
    found = {"tracker_db": name, "tracker_week_error": week_error}
    if view_name != "row" or table != "repos" or request is None:
        return found

    async def with_star_history():
        # #25: a repository's row page draws its star history.
        from .starchart import fetch_star_history

        db = datasette.get_database(database)
        pk = request.url_vars.get("pks")
        found["tracker_star_history"] = await fetch_star_history(db, pk)
        rows = (await db.execute("select full_name from repos where id = ?", [pk])).rows
        found["tracker_star_repo"] = rows[0][0] if rows else ""
        return found

    return with_star_history


_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
_WEEK = re.compile(r"^\d{4}-W\d{2}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
LOGIN_COLUMNS = {"author", "contributor", "login"}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Readable canned-query pages: titles link to the item on GitHub (or the
    post), logins to their GitHub profiles, OWNER/NAME to the repository, a week to
    its digest page.
    Query pages only (``table`` is None); text is escaped, links are http(s)."""
    if table is not None or not isinstance(value, str) or not value:
        return None
    keys = row.keys() if hasattr(row, "keys") else []
    text = clean(value)  # no ANSI colour codes or control characters on the page
    if column == "title":
        for key in ("html_url", "atom_link", "link"):
            url = safe_url(row[key]) if key in keys else None
            if url:
                return Markup(f'<a href="{escape(url)}">{escape(text)}</a>')
    if column in LOGIN_COLUMNS and _LOGIN.match(value):
        login = value.removesuffix("[bot]")
        path = f"apps/{login}" if value.endswith("[bot]") else login
        return Markup(f'<a href="https://github.com/{escape(path)}">{escape(value)}</a>')
    if column == "week" and _WEEK.match(value) and not value.startswith("0000"):
        return Markup(f'<a href="/digest/{value}">{value}</a>')  # the week's digest page
    if column == "repo" and _REPO.match(value):
        return Markup(f'<a href="https://github.com/{escape(value)}">{escape(value)}</a>')
    if text != value:
        limit = datasette.setting("truncate_cells_html")
        return escape(text[:limit] + "…" if limit and len(text) > limit else text)
    return None


def register():
    """Register this module with Datasette's plugin manager (idempotent)."""
    import sys

    module = sys.modules[__name__]
    if pm.is_registered(module) and not pm.get_hookcallers(module):
        # Registered half-imported: importing this module first imports
        # datasette.plugins, whose entry-point scan registers this module
        # before its hooks are defined. Register the finished module instead.
        pm.unregister(module)
    if not pm.is_registered(module):
        pm.register(module, name="tracker")
