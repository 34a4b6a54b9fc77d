"""A real HTTP/1.1 server on 127.0.0.1 that answers like api.github.com.

    with Emulator(store, tokens={"good-token"}) as emu:
        httpx.get(f"{emu.url}/repos/jupyterhub/dockerspawner/releases")

Per request, in this order: ``latency`` sleep; an injected fault, if one matches
(faults never spend the rate limit); GitHub App endpoints (JWT auth, ``apps.py``);
auth (unknown or expired token -> 401, counted against
the caller's unauthenticated bucket); ``/rate_limit`` (never counted); rate limit
(exhausted -> 403 with remaining 0); secondary limits (below); routing under
``store.lock``. Every 200 has a
strong ETag (SHA-256 of the body) and Last-Modified (the collection's last
change); a matching If-None-Match (weak or strong, lists, ``*``) or an
If-Modified-Since not older than Last-Modified gives 304, whose request is given
back so it is not counted. 301, 404 and 422 count, as on GitHub.

Buckets: ``core_limit`` per token (per installation for App installation tokens,
so a re-minted token keeps its installation's budget), ``unauth_limit`` per client address without a
token, ``search_limit`` (``unauth_search_limit``, 10 as on GitHub, without a
token) for /search. ``tokens=None`` accepts any token. ``search_options`` switches
/search/issues: ``search_lag`` (seconds: items changed more recently are not found
yet) and ``search_incomplete`` (answers say ``incomplete_results: true``). A 429 fault carries no
x-ratelimit headers, like the recorded exchange; "drop" sends nothing and
"truncate" only a status line, a Content-Length and half the body; every other
answer has them.

Secondary limits (GitHub's, per identity): more than ``concurrency`` requests
in flight answers 429 with ``Retry-After: 60``; more than ``points_per_minute``
requests admitted in any sliding minute answers 403 with GitHub's
secondary-limit message, ``Retry-After`` (seconds until a point is free) and the
primary headers (remaining > 0). Neither spends the primary limit, and a
request refused by the primary limit spends no point (so a client spinning on
an exhausted budget in a test with a fake sleep is not also refused); 0 or None
turns a limit off. Every request in ``requests`` carries ``at``, its arrival
time on ``clock`` (seconds, time.time by default; injectable so tests can run a minute in
no time), and ``secondary`` when it was answered with a secondary limit.
"""

from __future__ import annotations

import hashlib
import itertools
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

from ..loopback import LoopbackServer
from .answers import JSON_TYPE, RATE_DOCS, SECONDARY, SECONDARY_DOCS, FaultAnswers
from .apps import Apps
from .limits import Faults, RateLimits, SecondaryLimits
from .records import http_date, parse_http_date, stable_id
from .render import Renderer, dumps
from .routes import Ctx, HTTPError, dispatch


class RequestRecord(NamedTuple):
    method: str
    path: str
    query: dict
    status: int  # 0 when the connection was dropped without an answer
    counted: bool  # spent primary rate limit
    token_present: bool
    if_none_match: str | None
    if_modified_since: str | None
    at: float = 0.0  # arrival, on the emulator's clock (seconds)
    secondary: bool = False  # answered with a secondary rate limit (403/429)


def not_modified(if_none_match, if_modified_since, etag, last_modified) -> bool:
    if if_none_match is not None:  # takes precedence, as RFC 9110 says
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = parse_http_date(if_modified_since)
    return since is not None and last_modified is not None and last_modified <= since


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tracker-emulator"
    sys_version = ""

    def date_time_string(self, timestamp=None):
        # The Date header on the emulator's clock, as GitHub's Date is on GitHub's.
        return super().date_time_string(timestamp or self.server.emulator.clock())

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle plus the
        # client's delayed ACK adds ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.connections.discard(self.connection)

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self.server.emulator._handle(self)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET


class _Server(LoopbackServer):
    block_on_close = False  # idle keep-alive connections must not block stop()
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], OSError):
            return  # a socket closed under a test's fault injection as well
        super().handle_error(request, client_address)


class Emulator(FaultAnswers):
    def __init__(self, store=None, *, tokens=None, latency: float = 0.0, core_limit: int = 5000,
                 unauth_limit: int = 60, search_limit: int = 30, unauth_search_limit: int = 10,
                 host: str = "127.0.0.1", port: int = 0, points_per_minute: int | None = 900,
                 concurrency: int | None = 100, clock=time.time):
        if store is None:
            from .facts import load_facts
            store = load_facts()
        self.store = store
        self.tokens = None if tokens is None else set(tokens)  # None: any token is good
        self.latency = latency
        self.limits = RateLimits(core_limit=core_limit, unauth_limit=unauth_limit,
                                 search_limit=search_limit, unauth_search_limit=unauth_search_limit)
        self.secondary = SecondaryLimits(points_per_minute, concurrency, clock)
        self.clock = clock
        self.faults = Faults()
        self.apps = Apps(self.store, clock=clock)  # GitHub Apps: see apps.py
        # GitHub answers a spent primary budget with 403 or 429; tests pick (search only).
        self.search_limit_status = 403
        self.requests: list[RequestRecord] = []
        self.host, self.port = host, port
        self.url: str | None = None
        self._server = self._thread = self._render = None
        self._log_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._started = int(time.time())
        # /search/issues switches: index lag in seconds (items changed more recently are
        # not found yet) and whether answers say incomplete_results (a search timeout).
        self.search_options = {"search_lag": 0, "search_incomplete": False}

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> "Emulator":
        self._server = _Server((self.host, self.port), _Handler)
        self._server.emulator, self._server.connections = self, set()
        self.port = self._server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self._render = Renderer(self.store, self.url, lazy_repos=True)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"github-emulator-{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        for conn in list(self._server.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- controls for tests and benchmarks ------------------------------------
    def counted_requests(self) -> int:
        with self._log_lock:
            return sum(1 for r in self.requests if r.counted)

    def reset_log(self) -> None:
        with self._log_lock:
            self.requests = []

    def set_rate_limit(self, remaining: int = 0, reset_in: float = 3600, resource: str = "core",
                       token: str | None = None) -> None:
        """Force the bucket of one token, or of every caller when token is None."""
        self.limits.set(remaining, reset_in, resource, f"token:{token}" if token else None)

    def add_fault(self, kind: str, path_contains: str | None = None, count: int | None = 1,
                  seconds: float = 0.0, retry_after: int | None = None,
                  query_contains: str | None = None, location: str | None = None,
                  rewrite=None, message: str | None = None):
        """Inject ``kind`` on the next ``count`` requests (None: all of them) whose path
        contains ``path_contains`` and raw query string contains ``query_contains``.
        Kinds: 500 502 503 drop truncate delay(seconds) secondary(retry_after) 429(retry_after)
        malformed too_large reset_past offsite_redirect(location) offsite_link(location)
        rewrite(rewrite) 422(message) echo(message). See limits.FAULT_KINDS."""
        return self.faults.add(kind, path_contains, count, seconds, retry_after, query_contains,
                               location, rewrite, message)

    def before(self, callback, path_contains: str | None = None,
               query_contains: str | None = None, count: int | None = 1, seconds: float = 0.0):
        """Call ``callback()`` before answering the next ``count`` matching requests (then
        wait ``seconds``, if any, and answer as usual): a test acts "between page 1 and
        page 2" or "while a request is in flight" without sleeping to synchronise."""
        return self.faults.add("call", path_contains, count, seconds, None, query_contains,
                               None, callback)

    def clear_faults(self) -> None:
        self.faults.clear()

    def secondary_answers(self) -> int:
        """Requests answered with a secondary rate limit (403/429), injected ones included."""
        with self._log_lock:
            return sum(1 for r in self.requests if r.secondary)

    # -- the request path ------------------------------------------------------
    def _handle(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        auth = h.headers.get("Authorization")
        inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
        # Logged just before the first byte goes out, so a client that has its
        # answer always finds its request in emu.requests.
        h.log_entry = (h.command, split.path, dict(pairs), auth is not None, inm, ims,
                       self.clock())
        h.counted = h.logged = h.secondary = False
        try:
            self._answer(h, split.path, pairs, auth, inm, ims)
        except (ConnectionError, TimeoutError):
            return  # the client hung up (e.g. a stopped harvest): nothing to answer
        except Exception:  # a bug here must not hang the client
            traceback.print_exc()
            self._send(h, 500, dumps({"message": "Server Error (emulator bug)"}), [])
        finally:
            self._log(h, 0)  # no-op unless nothing was sent (a dropped connection)

    def _log(self, h, status: int) -> None:
        if not h.logged:
            h.logged = True
            method, path, query, token_present, inm, ims, at = h.log_entry
            with self._log_lock:
                self.requests.append(RequestRecord(method, path, query, status, h.counted,
                                                   token_present, inm, ims, at, h.secondary))

    def _answer(self, h, path, pairs, auth, inm, ims) -> None:
        self.apps.request_seen()
        ip_ident = f"ip:{h.client_address[0]}"
        resource = "search" if path.startswith("/search/") else "core"
        token, good = None, True
        if auth is not None:
            scheme, _, token = auth.strip().partition(" ")
            token = token.strip()
            good = scheme.lower() in ("bearer", "token") and bool(token) and (
                self.tokens is None or token in self.tokens)
        ident = f"token:{token}" if auth is not None and good else ip_ident
        installation = self.apps.token_identity(token) if token else None
        if installation is not None:  # an App installation token: its own bucket
            good, ident = installation[0], (installation[1] if installation[0] else ip_ident)
        # In flight from arrival, latency included, as GitHub sees a slow request.
        calm = self.secondary.enter(ident)
        try:
            self._answer_admitted(h, path, pairs, auth, inm, ims, ip_ident, resource, token,
                                  good, ident, calm)
        finally:
            self.secondary.leave(ident)

    def _answer_admitted(self, h, path, pairs, auth, inm, ims, ip_ident, resource, token, good,
                         ident, calm) -> None:
        if self.latency:
            time.sleep(self.latency)

        fault = self.faults.take(path, urlsplit(h.path).query)
        if fault is not None:
            if fault.kind == "call":
                fault.rewrite()
            elif fault.kind != "delay":
                return self._fault(h, fault, path, pairs, ident, resource)
            time.sleep(fault.seconds)

        if self.apps.handles(h.command, path):  # JWT-authenticated, not rate-limited here
            length = int(h.headers.get("Content-Length") or 0)
            if length:
                h.rfile.read(length)
            return self._send(h, *self.apps.answer(h.command, path, auth, self.url))

        if token and self.apps.suspended(token):
            status, body, _ = self.apps.suspended_answer()
            return self._send(h, status, body, self.limits.peek(ident, resource).headers(resource))

        if not good:
            h.counted, bucket = self.limits.take(ip_ident, "core")
            body = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
                    "status": "401"}
            return self._send(h, 401, dumps(body), bucket.headers("core"))

        if path.rstrip("/") == "/rate_limit":
            core, search = self.limits.peek(ident, "core"), self.limits.peek(ident, "search")
            as_dict = lambda b: {"limit": b.limit, "used": b.limit - b.remaining,  # noqa: E731
                                 "remaining": b.remaining, "reset": int(b.reset)}
            body = dumps({"resources": {"core": as_dict(core), "search": as_dict(search)},
                          "rate": as_dict(core)})
            return self._ok(h, body, self._started, core.headers("core"), inm, ims)

        if self.limits.peek(ident, resource).remaining <= 0:
            return self._refuse_spent(h, ident, resource, auth, token)
        retry_after = 60 if not calm else self.secondary.take(ident)
        if retry_after is not None:  # refused before counting: the primary limit is not spent
            h.secondary = True
            body = dumps({"message": SECONDARY, "documentation_url": SECONDARY_DOCS})
            if not calm:  # like the recorded 429: no x-ratelimit headers
                return self._send(h, 429, body, [("Retry-After", str(retry_after))])
            return self._send(h, 403, body, [("Retry-After", str(retry_after))]
                              + self.limits.peek(ident, resource).headers(resource))
        try:
            with self.store.lock:
                if h.command != "GET":
                    raise HTTPError(404, {"message": "Not Found", "status": "404",
                                          "documentation_url": "https://docs.github.com/rest"})
                result = dispatch(Ctx(self.store, self._render, self.url, path, pairs,
                                      {**self.search_options,
                                       "accept": h.headers.get("Accept")}))
                body = self._render.dumps(result.body)
        except HTTPError as e:
            h.counted, bucket = self.limits.take(ident, resource)
            if not h.counted:
                return self._refuse_spent(h, ident, resource, auth, token)
            body = None if e.body is None else dumps(e.body)
            return self._send(h, e.status, body, e.headers + bucket.headers(resource))
        self._ok(h, body, result.last_modified or self._started, result.headers, inm, ims,
                 spend=(ident, resource, auth, token))

    def _refuse_spent(self, h, ident, resource, auth, token) -> None:
        """The primary limit is spent: GitHub's 403 (429 for search, if so set)."""
        who = (f"user ID {stable_id('user', token)}" if auth is not None else
               f"{h.client_address[0]}. (But here's the good news: Authenticated requests "
               "get a higher rate limit. Check out the documentation for more details.)")
        body = {"message": f"API rate limit exceeded for {who}.", "documentation_url": RATE_DOCS}
        status = self.search_limit_status if resource == "search" else 403
        bucket = self.limits.peek(ident, resource)
        return self._send(h, status, dumps(body), bucket.headers(resource))

    def _ok(self, h, body, last_modified, headers, inm, ims, spend=None) -> None:
        """200, or 304 when the client's validators match. A 304 is not counted, and a
        200 is counted only once it is known to be one: a request counted and given
        back would show a concurrent answer a budget lower than it ever really is."""
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'
        fresh = not_modified(inm, ims, etag, last_modified)
        if spend is not None:
            ident, resource, auth, token = spend
            if fresh:
                bucket = self.limits.peek(ident, resource)
            else:
                h.counted, bucket = self.limits.take(ident, resource)
                if not h.counted:
                    return self._refuse_spent(h, ident, resource, auth, token)
            headers = headers + bucket.headers(resource)
        headers = headers + [
            ("ETag", etag), ("Last-Modified", http_date(last_modified)),
            ("Cache-Control", "private, max-age=60, s-maxage=60"),
            ("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")]
        if fresh:
            self._send(h, 304, None, headers)
        else:
            self._send(h, 200, body, headers)

    def _send(self, h, status: int, body: bytes | None, headers) -> None:
        self._log(h, status)
        h.send_response(status)
        h.send_header("Content-Type", JSON_TYPE)
        h.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        h.send_header("X-GitHub-Request-Id", f"{next(self._ids):04X}:{self.port:04X}:EMU")
        for name, value in headers:
            h.send_header(name, value)
        if body is not None:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body:
            h.wfile.write(body)
