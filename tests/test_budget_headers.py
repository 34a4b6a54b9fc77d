"""What the rate-limit headers say when answers arrive out of order.

A harvest runs requests concurrently, so the answers' ``x-ratelimit-remaining`` come back in
any order. The client keeps the lowest figure of a window (``latest_budget``); the emulator
counts a request only once it knows it is a 200, so no answer ever shows a budget lower
than the one that really remains (CI once saw 4846 where 4847 were left).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tracker.emulator import Emulator, load_facts
from tracker.github import GitHubClient
from tracker.github_types import latest_budget

TOKEN = "good-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REPO = "/repos/jupyterhub/dockerspawner"


@pytest.mark.parametrize("known, seen, expected", [
    ((None, None), (4999, 100), (4999, 100)),        # the first answer
    ((4990, 100), (4995, 100), (4990, 100)),         # an older answer read late
    ((4995, 100), (4990, 100), (4990, 100)),         # a newer one
    ((12, 100), (4999, 200), (4999, 200)),           # a new window
    ((4999, 200), (12, 100), (4999, 200)),           # a late answer from the last window
    ((4990, 100), (None, None), (4990, 100)),        # an answer without the headers
    ((4990, None), (4995, 100), (4995, 100)),        # nothing to compare with
    ((0, 100), (0, 100), (0, 100)),
])
def test_latest_budget(known, seen, expected):
    assert latest_budget(known, seen) == expected


def test_no_answer_shows_less_budget_than_remains():
    with Emulator(load_facts(), tokens={TOKEN}) as emu, \
            httpx.Client(base_url=emu.url, headers=AUTH, timeout=10) as http:
        etag = http.get(REPO).headers["etag"]

        def one(i):
            headers = {"If-None-Match": etag} if i % 2 else {}
            r = http.get(REPO, headers=headers)
            return r.status_code, int(r.headers["x-ratelimit-remaining"])

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(400)))
        left = emu.limits.peek(f"token:{TOKEN}", "core").remaining
        full = sorted(n for status, n in answers if status == 200)
        assert {status for status, _ in answers} == {200, 304}
        assert full == list(range(left, left + len(full)))  # one count per 200, none lost
        assert min(n for _, n in answers) == left


def test_a_concurrent_client_ends_on_what_remains():
    with Emulator(load_facts(), tokens={TOKEN}) as emu, \
            GitHubClient(TOKEN, emu.url) as client:
        etag = client.get(REPO.lstrip("/")).etag
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: client.get(REPO.lstrip("/"), etag=etag if i % 2 else None),
                          range(40)))
        assert client.stats.rate_remaining == emu.limits.peek(f"token:{TOKEN}", "core").remaining
