"""The tracker's own Datasette plugin: SQL functions the canned queries call.

- ``xml_text(text)``: ``tracker.safe.clean`` (no ANSI escapes, no characters
  XML 1.0 forbids), so datasette-atom never meets a string it cannot write
  ("All strings must be XML compatible" was an HTTP 500).
- ``tracker_base_url()``: TRACKER_BASE_URL if it is a plain http(s) URL, else
  '' — the digest feed then builds absolute links from the request's Host.

``extra_template_vars`` gives the digest pages ``tracker_db``, the database's
name. Registered by ``tracker.publish.make_datasette`` and, for ``datasette serve
-m`` with the tracker installed, by the ``datasette`` entry point.
"""

import os

from datasette import hookimpl
from datasette.plugins import pm

from .safe import register_sql_functions, safe_url


def base_url():
    return (safe_url(os.environ.get("TRACKER_BASE_URL", "")) or "").rstrip("/")


@hookimpl
def prepare_connection(conn):
    register_sql_functions(conn)
    conn.create_function("tracker_base_url", 0, base_url)


@hookimpl
def extra_template_vars(datasette):
    # The digest pages link the database's canned queries and feed by name.
    try:
        return {"tracker_db": datasette.get_database().name}
    except KeyError:
        return {"tracker_db": "tracker"}


def register():
    """Register this module with Datasette's plugin manager (idempotent)."""
    import sys

    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name="tracker")
