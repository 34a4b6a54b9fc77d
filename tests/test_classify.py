"""classify(): one GitHub answer -> one decision, from a table of real answers (#20).

Two sources: every response of the recorded exchanges in tests/fixtures/github-api
(real api.github.com traffic recorded by hub4j, octokit and github3.py), and the
answers GitHub documents for what those recordings lack (a spent search budget, a
suspended App installation, 401 Bad credentials, 410, 451 DMCA, 5xx, a body that
is not JSON). The messages are GitHub's own wording.
"""

import json

import httpx
import pytest

from conftest import GITHUB_API
from tracker.classify import (DONE, FAIL, GONE, PAUSE, REDIRECT, RENEW, RESET, RETRY,
                              SECONDARY_MIN_WAIT, classify, classify_failure)

NOW = 1_800_000_000  # GitHub's clock for HTTP-date Retry-After answers
DOCS = "https://docs.github.com/rest"


def response(status, headers=(), body=None, content=None, url="https://api.github.com/x"):
    if content is None and body is not None:
        content = json.dumps(body).encode()
    return httpx.Response(status, headers=list(headers), content=content or b"",
                          request=httpx.Request("GET", url))


def recorded():
    """(file, index, httpx.Response) for every recorded response."""
    out = []
    for path in sorted((GITHUB_API / "exchanges").glob("*.json")):
        for k, exchange in enumerate(json.loads(path.read_text())["exchanges"]):
            r = exchange["response"]
            # hub4j's recordings template their times; any concrete value will do.
            headers = [(name, "1800000060" if "{{" in value and name.lower().endswith("reset")
                        else "Thu, 15 Jan 2027 08:00:00 GMT" if "{{" in value else value)
                       for name, value in r["headers"]
                       if name.lower() not in ("content-encoding", "content-length")]
            out.append((path.name, k, response(r["status"], headers, r.get("body"),
                                               url=exchange["request"]["url"])))
    return out


# What the recordings mean (file, response index) -> (action, detail checked below).
RECORDED = {
    ("github3py-conditional-304.json", 1): DONE,
    ("hub4j-conditional-304-etag.json", 1): DONE,
    # A 403 with x-ratelimit-remaining: 0 and no Retry-After: primary budget spent.
    ("hub4j-primary-rate-limit-403.json", 1): RESET,
    # A 403 with Retry-After (budget left): a secondary limit, whatever the message.
    ("hub4j-secondary-rate-limit-403-retry-after.json", 0): PAUSE,
    ("hub4j-secondary-rate-limit-403.json", 0): PAUSE,
    ("hub4j-secondary-rate-limit-429-retry-after.json", 0): PAUSE,
    ("octokit-rename-repository-301-307.json", 0): REDIRECT,
    ("octokit-rename-repository-301-307.json", 2): REDIRECT,
}


@pytest.mark.parametrize("name,k,answer", recorded(), ids=lambda v: str(v)[:40])
def test_recorded_answers(name, k, answer):
    decision = classify(answer, now=NOW)
    expected = RECORDED.get((name, k), DONE)
    assert decision.action == expected
    if expected == DONE and answer.status_code == 200:
        assert decision.data == answer.json()
    if (name, k) == ("hub4j-secondary-rate-limit-403-retry-after.json", 0):
        assert decision.wait == 2.0
    if (name, k) == ("hub4j-secondary-rate-limit-429-retry-after.json", 0):
        assert decision.wait == 8.0
    if (name, k) == ("hub4j-secondary-rate-limit-403.json", 0):
        assert decision.wait == SECONDARY_MIN_WAIT  # no Retry-After: at least a minute
    if (name, k) == ("hub4j-primary-rate-limit-403.json", 1):
        assert decision.reset == 1800000060 and not decision.search


def limit_headers(remaining, resource="core", reset=NOW + 40, limit=5000):
    return [("x-ratelimit-limit", str(limit)), ("x-ratelimit-remaining", str(remaining)),
            ("x-ratelimit-reset", str(reset)), ("x-ratelimit-used", str(limit - remaining)),
            ("x-ratelimit-resource", resource)]


SEARCH_SPENT = {"message": "API rate limit exceeded for user ID 1.", "documentation_url":
                "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}
SECONDARY = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                        "before you try again. If you reach out to GitHub Support for help, "
                        "please include the request ID 0000:0000:0000000:0000000:00000000.",
             "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/"
                                  "rate-limits-for-the-rest-api#about-secondary-rate-limits"}
SUSPENDED = {"message": "This installation has been suspended", "documentation_url":
             "https://docs.github.com/rest/reference/apps#create-an-installation-access-token-"
             "for-an-app"}

DOCUMENTED = [
    # (what, response, action, fields the decision must have)
    ("search budget spent, 403", response(403, limit_headers(0, "search", limit=30),
                                          SEARCH_SPENT), RESET,
     {"search": True, "reset": NOW + 40}),
    ("search budget spent, 429", response(429, limit_headers(0, "search", limit=30),
                                          SEARCH_SPENT), RESET, {"search": True}),
    ("core budget spent, 429", response(429, limit_headers(0), SEARCH_SPENT), RESET,
     {"search": False, "reset": NOW + 40}),
    ("secondary, Retry-After as an HTTP date",
     response(403, [("retry-after", "Fri, 15 Jan 2027 08:00:30 GMT")] + limit_headers(4000),
              SECONDARY), PAUSE, {}),
    ("secondary 429 without any header", response(429, [], SECONDARY), PAUSE,
     {"wait": SECONDARY_MIN_WAIT}),
    ("installation suspended", response(403, limit_headers(4990), SUSPENDED), FAIL,
     {"error": "suspended"}),
    ("contributor list too large",
     response(403, limit_headers(4990), {"message": "The history or contributor list is too "
                                         "large to list contributors for this repository via "
                                         "the API.", "status": "403"}), FAIL,
     {"error": "permanent"}),
    ("resource not accessible by integration",
     response(403, limit_headers(4990), {"message": "Resource not accessible by integration",
                                         "documentation_url": DOCS}), FAIL, {"error": "failed"}),
    ("401 bad credentials, even with the budget at 0",
     response(401, limit_headers(0, limit=60), {"message": "Bad credentials",
                                                 "documentation_url": DOCS}), RENEW, {}),
    ("404", response(404, limit_headers(4990), {"message": "Not Found",
                                                "documentation_url": DOCS}), GONE, {}),
    ("410 deleted issue", response(410, limit_headers(4990), {
        "message": "This issue was deleted", "documentation_url": DOCS}), GONE, {}),
    ("451 DMCA", response(451, limit_headers(4990), {
        "message": "Repository access blocked", "block": {
            "reason": "dmca", "created_at": "2020-10-23T14:19:10Z",
            "html_url": "https://github.com/github/dmca/blob/master/2020/10/2020-10-23-RIAA.md"}}),
     GONE, {"message": "Repository access blocked"}),
    ("502", response(502, [], content=b"<html>Bad Gateway</html>"), RETRY,
     {"kind": "server", "status": 502}),
    ("503 unicorn", response(503, [], {"message": "Service Unavailable"}), RETRY,
     {"kind": "server"}),
    ("200 with a body that is not JSON", response(200, limit_headers(4990),
                                                   content=b'{"id": 1, "name": "x",, ]'),
     RETRY, {"kind": "json"}),
    ("204 contributors of an empty repository", response(204, limit_headers(4990)), DONE,
     {"data": None}),
    ("409 commits of an empty repository", response(409, limit_headers(4990), {
        "message": "Git Repository is empty.", "documentation_url": DOCS}), DONE, {}),
    ("422 validation failed", response(422, limit_headers(4990), {
        "message": "Validation Failed", "errors": [{"code": "invalid"}]}), FAIL,
     {"error": "failed"}),
]


@pytest.mark.parametrize("what,answer,action,fields", DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_documented_answers(what, answer, action, fields):
    decision = classify(answer, now=NOW)
    assert decision.action == action
    for name, value in fields.items():
        assert getattr(decision, name) == value, name


def test_retry_after_http_date_is_read_on_githubs_clock():
    answer = response(403, [("retry-after", "Fri, 15 Jan 2027 08:00:30 GMT")], SECONDARY)
    at = 1_800_000_000  # 2027-01-15T08:00:00Z
    assert classify(answer, now=at).wait == 30.0
    assert classify(answer, now=at + 90).wait == 0.0  # past: no negative waits


def test_a_search_request_is_a_search_reset_even_without_the_resource_header():
    answer = response(403, [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "7")],
                      SEARCH_SPENT)
    assert classify(answer, search=True).search and not classify(answer).search


def test_no_answer_at_all():
    refused = classify_failure(httpx.ConnectError("refused"), (httpx.ConnectError,))
    dropped = classify_failure(httpx.RemoteProtocolError("dropped"), (httpx.ConnectError,))
    assert (refused.action, refused.kind) == (RETRY, "connect")
    assert (dropped.action, dropped.kind) == (RETRY, "transport")


def test_messages_are_clean_and_cut():
    answer = response(403, [], {"message": "\x1b[31mred\x1b[0m " + "x" * 500})
    decision = classify(answer)
    assert "\x1b" not in decision.message and len(decision.message) <= 220
