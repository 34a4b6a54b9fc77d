"""The public serving profile: what a Datasette open to the internet needs.

Applied by the tracker's Datasette plugin from its configuration
(``plugins: tracker:`` in the metadata), so ``tracker serve --public`` and plain
``datasette serve`` on a ``tracker publish`` directory behave the same:

- ``max_value_bytes`` / ``max_result_bytes`` (every served connection, public
  or not): SQLITE_LIMIT_LENGTH caps any one string or blob SQLite builds
  (``randomblob(1e9)`` fails at once with "string or blob too big"), and a
  row factory stops a query whose rows together pass the result budget, so
  no request holds more than a few MB of values nor renders more than the
  budget as JSON or HTML. Arbitrary SQL stays on: the dashboard's charts are
  SQL sent by the browser.
- ``public: true``: an ASGI wrapper that sets security headers on every
  answer (``CSP``, ``nosniff``, ``frame-ancestors 'none'``, ``Referrer-Policy``),
  answers 404 for Datasette's ``/-/`` introspection and debug pages (versions,
  databases with their paths, threads, settings, plugins, permissions,
  messages ...), and rewrites the request's scheme and ``Host`` to the
  configured ``base_url``, so every absolute URL (feed ids, ``rel=self``,
  links) comes from the configuration, never from a client's ``Host``.
"""

import sqlite3
import weakref
from urllib.parse import urlsplit

from .safe import safe_url

DEFAULT_MAX_VALUE_BYTES = 2_000_000
DEFAULT_MAX_RESULT_BYTES = 20_000_000
# Settings the public profile adds to the tracker's own (metadata.yml): no
# whole-file download or unbounded CSV stream (each is one request that reads
# the whole database), no trace output.
PUBLIC_SETTINGS = {"allow_download": False, "allow_csv_stream": False, "trace_debug": False}
# Datasette's pages carry inline scripts and Vega compiles chart expressions
# with Function(), hence 'unsafe-inline' and 'unsafe-eval' for scripts; what
# the policy buys is that nothing is loaded from, sent to or framed by another
# origin. Escaping on render stays the defence against injected markup.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # Query strings carry SQL and filters: they do not travel to other sites.
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
# Under /-/ only these stay public: static files and the dashboards.
PUBLIC_DASH_PATHS = ("/-/static/", "/-/static-plugins/", "/-/dashboards")


class PublicProfileError(ValueError):
    """The public profile's configuration is unusable (e.g. no base URL)."""


def public_origin(base_url):
    """``(scheme, host[:port])`` of an http(s) base URL with no path; else PublicProfileError."""
    url = safe_url(base_url or "")
    parts = urlsplit(url) if url else None
    if not parts or not parts.netloc or parts.path.strip("/") or parts.query or parts.fragment:
        raise PublicProfileError(
            f"the public profile needs a base URL such as https://tracker.example.org "
            f"(http(s), no path), not {base_url!r}: set --base-url or TRACKER_BASE_URL")
    return parts.scheme, parts.netloc


def limit_connection(conn, max_value_bytes=DEFAULT_MAX_VALUE_BYTES,
                     max_result_bytes=DEFAULT_MAX_RESULT_BYTES):
    """Cap one value (SQLITE_LIMIT_LENGTH) and one query's rows on ``conn``.

    Called after Datasette set ``row_factory`` (``sqlite3.Row``): the budget
    wraps it, counted per cursor, i.e. per query.
    """
    if max_value_bytes:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, int(max_value_bytes))
    if not max_result_bytes:
        return
    inner = conn.row_factory
    spent = weakref.WeakKeyDictionary()

    def bounded_row(cursor, row):
        size = spent.get(cursor, 0) + sum(
            len(v) for v in row if isinstance(v, (str, bytes, bytearray)))
        if size > max_result_bytes:
            spent.pop(cursor, None)
            raise sqlite3.OperationalError(
                f"result too large: this query's rows pass {max_result_bytes // 1_000_000} MB; "
                "select fewer rows or columns")
        spent[cursor] = size
        return inner(cursor, row) if inner else row

    conn.row_factory = bounded_row


def public_app(app, base_url, headers=SECURITY_HEADERS):
    """Wrap an ASGI ``app``: security headers, hidden ``/-/`` pages, ``Host`` from ``base_url``."""
    scheme, host = public_origin(base_url)
    extra = [(k.encode(), v.encode()) for k, v in headers.items()]
    names = {k for k, _ in extra}

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        scope = dict(scope, scheme=scheme)
        scope["headers"] = [(k, v) for k, v in scope.get("headers", [])
                            if k.lower() not in (b"host", b"x-forwarded-host",
                                                 b"x-forwarded-proto")] + [(b"host", host.encode())]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = dict(message, headers=kept + extra)
            await send(message)

        path = scope.get("path", "")
        if path.startswith("/-/") and not path.startswith(PUBLIC_DASH_PATHS):
            body = b"Not found\n"
            await send_with_headers({"type": "http.response.start", "status": 404, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode())]})
            return await send({"type": "http.response.body", "body": body})
        return await app(scope, receive, send_with_headers)

    return wrapped
