"""What one GitHub answer means for the request that got it: a pure function.

``classify(response, search=..., now=...)`` looks at the status, the headers
(``Retry-After``, ``X-RateLimit-*``) and the body of one answer and returns a
``Decision``; ``GitHubClient._send`` (tracker/github.py) is a short loop that
acts on it. Nothing here sends, sleeps or counts, so the table of real GitHub
answers in tests/test_classify.py pins every branch.

    DONE      use the answer (200 with JSON, 204, 304, 409 empty repository)
    GONE      the resource is not there for us: 404, 410 deleted, 451 blocked;
              the caller decides (a repo is marked missing, an issue deleted)
    REDIRECT  301/302/307/308: follow ``Location`` (the caller bounds the hops)
    RETRY     5xx, a body that is not JSON, a dropped connection: back off, retry
    PAUSE     a secondary rate limit: every worker waits ``wait`` seconds
    RESET     the primary budget (``search`` or core) is spent until ``reset``
    RENEW     401 Bad credentials: renew the token once, then retry
    FAIL      an answer that will not change by asking again; ``error`` says
              which exception (``Permanent``, ``Suspended``, ``PageCapped``,
              ``RequestFailed``)

GitHub answers a spent budget with 403 *or* 429 and ``x-ratelimit-remaining: 0``;
a secondary limit with 403/429 and ``Retry-After`` or a "secondary rate limit"
message; a suspended App installation with 403 "This installation has been
suspended". A 401 is never a rate limit.
"""

import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from .safe import scrub

DONE, GONE, REDIRECT, RETRY = "done", "gone", "redirect", "retry"
PAUSE, RESET, RENEW, FAIL = "pause", "reset", "renew", "fail"

SECONDARY_MIN_WAIT = 60.0  # GitHub: "wait at least one minute" without Retry-After
# 403 messages that mean "this will never work for this repo", with budget left.
PERMANENT_MESSAGES = ("too large to list contributors",)
SUSPENDED_MESSAGES = ("installation has been suspended", "installation is suspended",
                      "is suspended")
# A 422 past the last page GitHub serves of a long listing (stargazers): see
# tracker/harvest/history.py.
PAGE_CAP_MESSAGE = "pagination is limited for this resource"
ANSWERS = (200, 204, 304, 409)  # 204/409: contributors/commits of an empty repository
GONE_STATUSES = (404, 410, 451)
REDIRECTS = (301, 302, 307, 308)


@dataclass(frozen=True)
class Decision:
    action: str
    wait: float | None = None  # PAUSE: seconds
    reset: int | None = None  # RESET: epoch seconds on GitHub's clock, if known
    search: bool = False  # RESET: the search budget, not core
    kind: str | None = None  # RETRY: "server" | "json" | "transport" | "connect"
    error: str | None = None  # FAIL: "permanent" | "suspended" | "failed"
    message: str = ""
    data: object = None  # DONE: the parsed JSON body (None for 204/304/409)
    status: int | None = None  # the HTTP status decided on


def classify(response, *, search=False, now=None):
    """The Decision for one httpx.Response; ``search``: it answered a /search request;
    ``now``: GitHub's time (epoch seconds) to read an HTTP-date ``Retry-After``."""
    status, h = response.status_code, response.headers
    search = search or h.get("x-ratelimit-resource") == "search"
    if status == 200:
        try:
            return Decision(DONE, data=response.json())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            # Complete but malformed: a proxy or a GitHub hiccup; retried.
            return Decision(RETRY, kind="json", message=str(e), status=status)
    if status in ANSWERS:
        return Decision(DONE)
    if status in REDIRECTS:
        return Decision(REDIRECT, message=h.get("location", ""))
    if status in GONE_STATUSES:
        return Decision(GONE, message=message_of(response), data=_json(response))
    if status == 401:
        return Decision(RENEW, message=message_of(response))
    if status in (403, 429):
        return _forbidden(response, search, now)
    if status >= 500:
        return Decision(RETRY, kind="server", message=f"HTTP {status}", status=status)
    if status == 422 and PAGE_CAP_MESSAGE in message_of(response).lower():
        return Decision(FAIL, error="page_capped", message=message_of(response))
    return Decision(FAIL, error="failed",
                    message=f"unexpected HTTP {status}: {message_of(response)}")


def _forbidden(response, search, now):
    h = response.headers
    message = message_of(response)
    spent = h.get("x-ratelimit-remaining") == "0"
    retry_after = h.get("retry-after")
    if spent and (search or retry_after is None):
        return Decision(RESET, reset=_int(h.get("x-ratelimit-reset")), search=search,
                        message=message)
    if retry_after is not None:
        return Decision(PAUSE, wait=_retry_after(retry_after, now), message=message)
    lowered = message.lower()
    if "secondary rate limit" in lowered or response.status_code == 429:
        return Decision(PAUSE, wait=SECONDARY_MIN_WAIT, message=message)
    if any(m in lowered for m in SUSPENDED_MESSAGES) and "installation" in lowered:
        return Decision(FAIL, error="suspended", message=message)
    if any(m in lowered for m in PERMANENT_MESSAGES):
        return Decision(FAIL, error="permanent", message=message)
    return Decision(FAIL, error="failed", message=f"HTTP {response.status_code}: {message}")


def classify_failure(error, connect_errors=()):
    """The Decision for a request that got no answer (an httpx.TransportError)."""
    kind = "connect" if isinstance(error, connect_errors) else "transport"
    return Decision(RETRY, kind=kind, message=type(error).__name__)


def gone_reason(status, body):
    """'451 Repository access blocked (dmca)': what a GONE answer said, for a person."""
    body = body if isinstance(body, dict) else {}
    message = scrub(str(body.get("message") or "").strip()[:150]) or {
        404: "Not Found", 410: "Gone", 451: "Unavailable For Legal Reasons"}.get(status, "")
    block = body.get("block") if isinstance(body.get("block"), dict) else {}
    why = f" ({scrub(str(block['reason']))[:40]})" if block.get("reason") else ""
    return f"{status} {message}{why}"


def _json(response):
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


def _retry_after(value, now):
    seconds = _int(value)
    if seconds is None:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - (now or 0)
        except (TypeError, ValueError):
            seconds = SECONDARY_MIN_WAIT
    return max(float(seconds), 0.0)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def message_of(response):
    """GitHub's ``message``, cleaned and redacted before it is cut (an echoed token
    must not survive as a prefix, nor an escape sequence as half of one)."""
    try:
        body = response.json()
        text = body.get("message", "") if isinstance(body, dict) else ""
        return scrub(str(text)[:4000])[:200]
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return scrub(response.text[:4000])[:200]
