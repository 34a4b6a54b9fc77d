"""What the emulator answers when a test arms a fault (``Emulator.add_fault``).

Each kind imitates something GitHub or the network really does: 5xx pages, a
secondary rate limit (403, or 429 with ``Retry-After``), a malformed or truncated
body, a dropped connection, a redirect or ``Link`` to another origin, a 422, the
"too large to list contributors" 403, a reset time already past. A mixin of
``Emulator`` (server.py): it answers through the server's ``_send``/``_log`` and
reads its ``store``, ``limits`` and renderer.
"""

from __future__ import annotations

import json
import time

from .render import dumps
from .routes import Ctx, HTTPError, dispatch

JSON_TYPE = "application/json; charset=utf-8"
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again"
SECONDARY_DOCS = ("https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                  "#about-secondary-rate-limits")
RATE_DOCS = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
SERVER_ERRORS = {"500": (500, "Server Error"), "502": (502, "Server Error"),
                 "503": (503, "Service Unavailable")}


class FaultAnswers:
    def _fault(self, h, fault, path, pairs, ident, resource) -> None:
        if fault.kind in ("offsite_link", "rewrite"):
            return self._rewritten(h, fault, path, pairs)
        if fault.kind == "malformed":
            return self._send(h, 200, b'{"id": 1, "name": "x",, ]', [])
        if fault.kind == "offsite_redirect":
            body = dumps({"message": "Moved Permanently", "url": fault.location})
            return self._send(h, 301, body, [("Location", fault.location)])
        if fault.kind == "too_large":
            body = dumps({"message": "The history or contributor list is too large to list "
                                     "contributors for this repository via the API.",
                          "documentation_url": "https://docs.github.com/rest/repos/repos"
                                               "#list-repository-contributors", "status": "403"})
            return self._send(h, 403, body, self.limits.peek(ident, resource).headers(resource))
        if fault.kind == "reset_past":
            b = self.limits.peek(ident, resource)
            b.remaining, b.reset = 0, time.time() - 30
            body = dumps({"message": "API rate limit exceeded for user ID 1.",
                          "documentation_url": RATE_DOCS})
            return self._send(h, 403, body, b.headers(resource))
        if fault.kind in ("422", "echo"):
            message = fault.message or "Validation Failed"
            if fault.kind == "echo":
                # Authorization first: what such a message is usually about.
                sent = "; ".join(f"{k}: {v}" for k, v in sorted(
                    h.headers.items(), key=lambda kv: kv[0].lower() != "authorization"))
                message = f"{message} (you sent {sent})"
            body = dumps({"message": message, "errors": [{"resource": "Request", "code": "custom",
                                                          "message": message}],
                          "documentation_url": "https://docs.github.com/rest", "status": "422"})
            return self._send(h, 422, body, self.limits.peek(ident, resource).headers(resource))
        if fault.kind == "drop":
            self._log(h, 0)
            h.close_connection = True
            return
        if fault.kind == "truncate":
            try:
                with self.store.lock:
                    result = dispatch(Ctx(self.store, self._render, self.url, path, pairs,
                                          {"accept": h.headers.get("Accept")}))
                    body = self._render.dumps(result.body)
            except HTTPError as e:
                body = dumps(e.body)
            body = body if len(body) > 1 else b'{"message":"truncated"}'
            self._log(h, 200)
            h.send_response(200)
            h.send_header("Content-Type", JSON_TYPE)
            h.send_header("Content-Length", str(len(body)))  # promises more than is sent
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        bucket = self.limits.peek(ident, resource).headers(resource)
        body = dumps({"message": SECONDARY, "documentation_url": SECONDARY_DOCS})
        h.secondary = fault.kind in ("429", "secondary")
        if fault.kind == "429":
            return self._send(h, 429, body, [("Retry-After", str(fault.retry_after or 60))])
        if fault.kind == "secondary":
            retry = [("Retry-After", str(fault.retry_after))] if fault.retry_after else []
            return self._send(h, 403, body, retry + bucket)
        status, message = SERVER_ERRORS[fault.kind]
        self._send(h, status, dumps({"message": message}), bucket)

    def _rewritten(self, h, fault, path, pairs) -> None:
        """The real answer, with its body rewritten or a Link to another origin."""
        try:
            with self.store.lock:
                result = dispatch(Ctx(self.store, self._render, self.url, path, pairs,
                                          {"accept": h.headers.get("Accept")}))
                body = self._render.dumps(result.body)
        except HTTPError as e:
            return self._send(h, e.status, dumps(e.body), e.headers)
        headers = [(k, v) for k, v in result.headers if k.lower() != "link"]
        if fault.kind == "rewrite":
            body = dumps(fault.rewrite(json.loads(body)))
            headers = result.headers
        else:
            headers.append(("Link", f'<{fault.location}>; rel="next"'))
        self._send(h, 200, body, headers)

