"""The GitHub client on answers the emulator does not give: real GitHub edge cases.

httpx.MockTransport stands in for the network here (GitHub's own behaviour,
recorded in tests/fixtures/github-api/exchanges, not our code, is what is faked).
"""

import httpx
import pytest

from tracker.github import AuthError, GitHubClient, RequestFailed


def client(handler, **kwargs):
    return GitHubClient("ghp_secret_token_x", "https://api.example.test",
                        transport=httpx.MockTransport(handler), sleep=lambda s: None, **kwargs)


@pytest.mark.parametrize("status", [204, 409])
def test_empty_repository_answers_are_not_failures(status):
    gh = client(lambda request: httpx.Response(status, json={"message": "Git Repository is empty."}
                                               if status == 409 else None))
    page = gh.get("repos/o/r/commits")
    assert page.status == status and page.items == []


def test_bearer_token_sent_and_never_in_errors():
    seen = []

    def handler(request):
        seen.append(request.headers["authorization"])
        return httpx.Response(401, json={"message": "Bad credentials"})

    with pytest.raises(AuthError) as error:
        client(handler).get("repos/o/r")
    assert seen == ["Bearer ghp_secret_token_x"]
    assert "ghp_secret_token_x" not in str(error.value)


def test_retry_after_as_http_date_is_honoured():
    answers = iter([
        httpx.Response(403, headers={"retry-after": "Thu, 26 Nov 2026 10:00:05 GMT"},
                       json={"message": "You have exceeded a secondary rate limit"}),
        httpx.Response(200, json={"id": 1}),
    ])
    sleeps = []
    gh = GitHubClient(None, "https://api.example.test",
                      transport=httpx.MockTransport(lambda request: next(answers)),
                      sleep=sleeps.append, clock=lambda: 1795687200.0)  # 10:00:00 UTC
    assert gh.get("repos/o/r").data == {"id": 1}
    assert sleeps == [5.0]


def test_unexpected_status_is_a_clear_failure():
    gh = client(lambda request: httpx.Response(422, json={"message": "Validation Failed"}))
    with pytest.raises(RequestFailed, match="422.*Validation Failed"):
        gh.get("repos/o/r/issues")


def test_rate_limit_wait_uses_githubs_clock_not_ours():
    """Our clock 100 s ahead of GitHub's: the wait is reset - Date + 1, not negative."""
    answers = iter([
        httpx.Response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000",
                                     "x-ratelimit-reset": "1795687210",  # Date + 10 s
                                     "date": "Thu, 26 Nov 2026 10:00:00 GMT"},
                       json={"message": "API rate limit exceeded"}),
        httpx.Response(200, json={"id": 1}, headers={"date": "Thu, 26 Nov 2026 10:00:11 GMT"}),
    ])
    sleeps = []
    gh = GitHubClient("t", "https://api.example.test",
                      transport=httpx.MockTransport(lambda request: next(answers)),
                      sleep=sleeps.append, clock=lambda: 1795687200.0 + 100)
    assert gh.get("repos/o/r").data == {"id": 1}
    assert sleeps == [11.0]


def test_limit_answers_are_bounded():
    from tracker.github import RateLimitExhausted

    gh = client(lambda request: httpx.Response(
        403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"},
        json={"message": "API rate limit exceeded"}), limit_bound=3)
    with pytest.raises(RateLimitExhausted, match="4 times in a row"):
        gh.get("repos/o/r")
    assert gh.stats.requests == 4


def test_redirect_to_other_port_refused_before_sending():
    from tracker.github import OffOrigin

    seen = []

    def handler(request):
        seen.append(str(request.url))
        return httpx.Response(301, headers={"location": "https://api.example.test:8443/repos/x"})

    with pytest.raises(OffOrigin, match="api.example.test:8443"):
        client(handler).get("repos/o/r")
    assert seen == ["https://api.example.test/repos/o/r"]


def test_malformed_json_retried_then_a_clear_failure():
    gh = client(lambda request: httpx.Response(200, content=b"{not json"), retries=2)
    with pytest.raises(RequestFailed, match="invalid JSON .* after 3 attempts"):
        gh.get("repos/o/r")
