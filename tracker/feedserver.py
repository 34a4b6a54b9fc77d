"""A loopback HTTP server for feed files, for tests and the offline demo.

It serves the files of one directory with ETag and Last-Modified, answers
conditional GETs with 304, logs every request, and can be told to answer a
path with an error, to answer it slowly, or to serve other bytes for it: the
cases a feed harvester has to survive. Nothing is written to the directory.

    with FeedServer(directory) as server:
        harvest(server.url_for("jupyter-blog.rss"))
        server.set_content("jupyter-blog.rss", new_bytes)
        server.fail("jupyter-blog.rss", 500, times=2)
"""

import email.utils
import hashlib
import mimetypes
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .loopback import LoopbackServer

DATA_DIR = Path(__file__).parent / "data" / "feeds"
CONTENT_TYPES = {
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
}


@dataclass
class Request:
    method: str
    path: str
    headers: dict  # lower-case names
    status: int


class FeedServer:
    """``with FeedServer(directory) as server:`` serves it at ``server.url``."""

    def __init__(self, directory=DATA_DIR, host="127.0.0.1", port=0):
        self.directory = Path(directory).resolve()
        self.host, self.port = host, port
        self.requests = []
        self._content = {}  # name -> (bytes, last-modified seconds)
        self._rules = {}  # name -> {"status"|"delay": value, "times": n or None}
        self._lock = threading.Lock()
        self._httpd = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def url_for(self, name):
        return f"{self.url}/{name.lstrip('/')}"

    def start(self):
        self._httpd = LoopbackServer((self.host, self.port), _handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        # A short poll interval makes stop() quick: tests start many servers.
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True,
                         name=f"feedserver:{self.port}").start()
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

    def set_content(self, name, data):
        """Serve these bytes for name from now on (a changed or broken feed)."""
        with self._lock:
            old = self._content.get(name, (None, self._file_mtime(name)))[1] or 0
            # HTTP dates have one-second resolution: a change must move them on,
            # or a client sending only If-Modified-Since would miss it.
            self._content[name] = (bytes(data), max(int(time.time()), int(old) + 1))

    def fail(self, name, status=500, times=None, reason=None, body=None):
        """Answer name with status (every time, or the next `times` requests),
        optionally with this reason phrase and body (any bytes a server may send)."""
        with self._lock:
            self._rules[name] = {"status": status, "times": times, "reason": reason,
                                 "body": body}

    def delay(self, name, seconds, times=None):
        """Wait before answering name (every time, or the next `times` requests)."""
        with self._lock:
            self._rules[name] = {"delay": seconds, "times": times}

    def reset(self, name):
        """Forget overrides and rules for name: serve the file again."""
        with self._lock:
            self._content.pop(name, None)
            self._rules.pop(name, None)

    def requests_for(self, name):
        return [r for r in self.requests if urlsplit(r.path).path == "/" + name.lstrip("/")]

    # -- used by the handler -------------------------------------------------

    def _file(self, name):
        path = (self.directory / name).resolve()
        if path.is_relative_to(self.directory) and path.is_file():
            return path
        return None

    def _file_mtime(self, name):
        path = self._file(name)
        return int(path.stat().st_mtime) if path else None

    def _take_rule(self, name):
        with self._lock:
            rule = self._rules.get(name)
            if rule and rule["times"] is not None:
                rule["times"] -= 1
                if rule["times"] <= 0:
                    del self._rules[name]
            return dict(rule) if rule else None

    def _resource(self, name):
        """(bytes, last-modified seconds), or None for a missing path."""
        with self._lock:
            if name in self._content:
                return self._content[name]
        path = self._file(name)
        return (path.read_bytes(), int(path.stat().st_mtime)) if path else None

    def _log(self, request):
        with self._lock:
            self.requests.append(request)


def _handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self._answer(body=True)

        def do_HEAD(self):
            self._answer(body=False)

        def _answer(self, body):
            name = unquote(urlsplit(self.path).path).lstrip("/")
            headers = {k.lower(): v for k, v in self.headers.items()}
            rule = server._take_rule(name) or {}
            if rule.get("delay"):
                time.sleep(rule["delay"])
            resource = server._resource(name) if name else None
            if rule.get("status"):
                status, data, extra = rule["status"], rule.get("body") or b"error\n", {}
            elif resource is None:
                status, data, extra = 404, b"not found\n", {}
            else:
                data, mtime = resource
                etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
                extra = {
                    "Content-Type": _content_type(name),
                    "ETag": etag,
                    "Last-Modified": email.utils.formatdate(mtime, usegmt=True),
                }
                status = 304 if _not_modified(headers, etag, mtime) else 200
            server._log(Request(self.command, self.path, headers, status))
            try:
                self.send_response(status, rule.get("reason"))
                for key, value in extra.items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body and status != 304:
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout test)

        def log_message(self, *args):
            pass  # tests and the demo read server.requests instead

    return Handler


def _content_type(name):
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _not_modified(headers, etag, mtime):
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110).
    if "if-none-match" in headers:
        tags = [t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")]
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since:
        try:
            return mtime <= email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


if __name__ == "__main__":
    import sys

    directory = sys.argv[1] if len(sys.argv) > 1 else DATA_DIR
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8765
    with FeedServer(directory, port=port) as srv:
        for path in sorted(Path(directory).iterdir()):
            print(srv.url_for(path.name))
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
