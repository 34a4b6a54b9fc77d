"""A loopback server for calendars, the arXiv API, JOSS feeds, Zenodo search
and Discourse, with ETag/Last-Modified/304, a request log and faults.

    with SourcesServer(clock=fake.now) as srv:
        srv.calendars["jupyter"] = ics_bytes          # /calendars/jupyter.ics
        srv.arxiv.append({...})                       # /api/query
        srv.joss["published"] = [{...}]               # /papers/published.atom
        srv.zenodo.append({...})                      # /api/records
        srv.discourse["general"] = (5, [{...}])       # /c/general.json, /c/general/5.json
        srv.fail("/api/query", 429, times=1, retry_after=5)
        srv.empty_pages("/api/query", times=2)        # arXiv's zero-entry pages
        srv.set_content("/papers/published.atom", b"<html>...")

``requests`` logs (at, path, query, status, bytes); ``at`` comes from the
injected ``clock``, so a test can measure pacing without waiting.
"""

import email.utils
import hashlib
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from ..loopback import LoopbackServer
from . import scholarly


@dataclass(frozen=True)
class Logged:
    at: float
    path: str
    query: dict
    status: int
    bytes: int


class SourcesServer:
    def __init__(self, host="127.0.0.1", port=0, clock=time.monotonic):
        self.host, self.port, self.clock = host, port, clock
        self.calendars, self.joss, self.discourse = {}, {}, {}
        self.arxiv, self.zenodo = [], []
        self.requests = []
        self._content, self._faults, self._empty = {}, {}, {}
        self._lock = threading.Lock()
        self._httpd = None
        self.mtime = 1767225600  # Last-Modified while content is unchanged

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        self._httpd = LoopbackServer((self.host, self.port), _handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True,
                         name=f"sourceserver:{self.port}").start()
        return self

    def stop(self):
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- faults ---------------------------------------------------------------------
    def set_content(self, path, data, content_type="text/html; charset=utf-8"):
        with self._lock:
            self._content[path] = (bytes(data), content_type)

    def reset(self, path):
        with self._lock:
            self._content.pop(path, None)
            self._faults.pop(path, None)
            self._empty.pop(path, None)

    def fail(self, path, status=500, times=None, retry_after=None):
        with self._lock:
            self._faults[path] = {"status": status, "times": times, "retry_after": retry_after}

    def empty_pages(self, path="/api/query", times=1):
        """Answer the next ``times`` arXiv pages with zero entries (totals kept)."""
        with self._lock:
            self._empty[path] = times

    def log_for(self, path):
        return [r for r in self.requests if r.path == path]

    # -- answers ----------------------------------------------------------------------
    def _take(self, table, path):
        with self._lock:
            rule = table.get(path)
            if rule is None:
                return None
            if isinstance(rule, int):
                table[path] = rule - 1
                if table[path] <= 0:
                    del table[path]
                return rule
            if rule["times"] is not None:
                rule["times"] -= 1
                if rule["times"] <= 0:
                    del table[path]
            return dict(rule)

    def answer(self, path, query):
        """(status, body, content type, extra headers) for a GET."""
        fault = self._take(self._faults, path)
        if fault:
            extra = {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] else {}
            return fault["status"], b"error\n", "text/plain", extra
        with self._lock:
            if path in self._content:
                body, kind = self._content[path]
                return 200, body, kind, {}
        one = lambda name, default: (query.get(name) or [default])[0]  # noqa: E731
        if path.startswith("/calendars/") and path.endswith(".ics"):
            body = self.calendars.get(path[len("/calendars/"):-4])
            return (200, body, "text/calendar; charset=utf-8", {}) if body else _missing()
        if path == "/api/query":
            start, size = int(one("start", 0)), int(one("max_results", 10))
            papers = [] if self._take(self._empty, path) else self.arxiv
            body = scholarly.arxiv_feed(papers, one("search_query", ""), start, size,
                                        f"{self.url}/api/query")
            if not papers:  # arXiv's glitch: no entries, yet the true total
                full = scholarly.arxiv_feed(self.arxiv, one("search_query", ""), 0, 0, "")
                total = full.split(b"<opensearch:totalResults>")[1].split(b"<")[0]
                body = body.replace(b"<opensearch:totalResults>0<",
                                    b"<opensearch:totalResults>" + total + b"<")
            return 200, body, "application/atom+xml; charset=utf-8", {}
        if path.startswith("/papers/") and path.endswith(".atom"):
            name = path[len("/papers/"):-5]
            if name not in self.joss:
                return _missing()
            return (200, scholarly.joss_feed(self.joss[name], f"JOSS: {name}"),
                    "application/atom+xml; charset=utf-8", {})
        if path == "/api/records":
            body = scholarly.zenodo_search(self.zenodo, one("q", ""), int(one("page", 1)),
                                           int(one("size", 10)), f"{self.url}/api/records")
            return 200, body, "application/json", {}
        if path.startswith("/c/") and path.endswith(".json"):
            parts = path[3:-5].split("/")
            if parts[-1] == "latest" and len(parts) >= 3:
                parts = parts[:-2]  # /c/slug/id/l/latest.json
            slug = parts[0]
            if slug not in self.discourse:
                return _missing()
            category_id, topics = self.discourse[slug]
            return (200, scholarly.discourse_latest(topics, slug, category_id,
                                                    int(one("page", 0))),
                    "application/json", {})
        return _missing()

    def _log(self, entry):
        with self._lock:
            self.requests.append(entry)


def _missing():
    return 404, b"not found\n", "text/plain", {}


def _handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            at = server.clock()
            split = urlsplit(self.path)
            path, query = unquote(split.path), parse_qs(split.query)
            status, body, kind, extra = server.answer(path, query)
            headers = {}
            if status == 200:
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                headers = {"ETag": etag,
                           "Last-Modified": email.utils.formatdate(server.mtime, usegmt=True)}
                if self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
            server._log(Logged(at, path, query, status, len(body)))
            try:
                self.send_response(status)
                for key, value in {**headers, **extra}.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def log_message(self, *args):
            pass

    return Handler


def load_synthetic(server, directory=None):
    """Fill a server with the synthetic data of ``tracker/data/sources``."""
    import json
    from pathlib import Path

    directory = Path(directory or Path(__file__).parent.parent / "data" / "sources")
    data = json.loads((directory / "sources.json").read_text())
    server.calendars["community"] = (directory / "community.ics").read_bytes()
    server.arxiv[:] = data["arxiv"]
    server.joss.update(data["joss"])
    server.zenodo[:] = data["zenodo"]
    server.discourse.update({slug: tuple(v) for slug, v in data["discourse"].items()})
    return server
