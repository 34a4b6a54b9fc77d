"""End to end: `tracker serve` in a subprocess, pages rendered by headless Chromium.

Screenshots land in pytest's tmp dir (printed on failure) for a human to look at.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone

import pytest
import sqlite_utils

from sampledb import LATEST_WEEK, XSS_SCRIPT, populate_sample
from tracker.db import open_db
from tracker.digest import build_digests, week_id

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt-get install chromium)"),
]
VEGA_CHARTS = ["activity", "per-org", "stars", "top-repos"]
METRICS = {"opened": "15", "merged": "8", "releases": "4", "new-repos": "1"}  # sample, 2026-W24


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serving(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
def public_server(tmp_path_factory):
    yield from serving(tmp_path_factory.mktemp("e2e-public"), public=True)


def serving(tmp, public=False):
    db_path = tmp / "sample.db"
    populate_sample(sqlite_utils.Database(db_path)).close()
    build_digests(open_db(str(db_path)), all_weeks=True)
    port = free_port()
    log = open(tmp / "serve.log", "w")
    url = f"http://127.0.0.1:{port}"
    # The public profile's base URL is this server itself: the browser's origin.
    profile = ["--public", "--base-url", url] if public else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "serve", "--db", str(db_path), "--port", str(port),
         *profile],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/sample.json?sql=select+1", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tracker serve did not start: {(tmp / 'serve.log').read_text()}")
                time.sleep(0.2)
        yield url, tmp
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def render(url, shot, profile):
    """Load ``url`` in headless Chromium; save a screenshot; return (DOM after JS, stderr)."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={shot}", "--dump-dom",
         "--window-size=1280,1600", "--virtual-time-budget=10000",
         "--enable-logging=stderr", "--v=0", url],
        capture_output=True, text=True, timeout=60,
    )
    assert os.path.getsize(shot) > 10_000, (url, result.stderr[-2000:])
    return result.stdout, result.stderr


def chart(dom, slug):
    """The markup inside one dashboard card."""
    start = dom.index(f'id="chart-{slug}"')
    end = dom.find('id="card-', start)
    return dom[start: end if end > 0 else len(dom)]


def test_pages_render_in_chromium(server):
    url, tmp = server
    profile = tmp / "profile"
    print(f"screenshots in {tmp}")

    dom, _ = render(f"{url}/", tmp / "home.png", profile)
    assert "Tracking Jupyter" in dom and 'href="/sample"' in dom

    dom, _ = render(f"{url}/sample/releases_this_week", tmp / "query.png", profile)
    assert "Releases this week" in dom
    assert "jupyter/sample-notebook v1.2.0" in dom and "2026-W24" in dom
    assert XSS_SCRIPT not in dom

    dom, _ = render(f"{url}/sample/releases_this_week.atom", tmp / "feed.png", profile)
    assert "tracker:release:3004" in dom

    dom, log = render(f"{url}/-/dashboards/ecosystem-pulse", tmp / "dashboard.png", profile)
    assert "Ecosystem pulse" in dom
    for slug in VEGA_CHARTS:  # Vega ran (offline: bundled scripts) and drew marks
        markup = chart(dom, slug)
        assert 'class="marks"' in markup or "<canvas" in markup, slug
    for slug, value in METRICS.items():
        assert re.search(rf">{value}</p>", chart(dom, slug)), (slug, chart(dom, slug)[:300])
    assert "Uncaught" not in log, log[-2000:]


def test_digest_reader_journey_in_chromium(server):
    """Home -> the digest archive -> a week -> its "previous" link -> the feed link,
    following the hrefs the rendered pages carry."""
    url, tmp = server
    profile = tmp / "profile-digest"

    def href(dom, pattern):
        found = re.search(pattern, dom)
        assert found, pattern
        return found[1].replace("&amp;", "&")

    dom, _ = render(f"{url}/", tmp / "d-home.png", profile)
    index = href(dom, r'<a href="(/digest)">the weekly digest</a>')
    dom, _ = render(url + index, tmp / "d-index.png", profile)
    assert "every weekly digest" in dom.lower() or "the weekly digest" in dom
    assert "(in progress)" in dom  # the running week, on the web only
    week = href(dom, rf'<a href="(/digest/{LATEST_WEEK})">')
    dom, _ = render(url + week, tmp / "d-week.png", profile)
    assert "Tracking Jupyter" in dom and f"({LATEST_WEEK})" in dom and "<svg" in dom
    prev = href(dom, r'<a rel="prev" href="(/digest/[^"]+)">')
    assert prev == "/digest/2026-W23"
    dom, _ = render(url + prev, tmp / "d-prev.png", profile)
    assert "Tracking Jupyter" in dom and "(2026-W23)" in dom
    feed = href(dom, r'<a href="(/sample/digest\.atom)">Subscribe')
    dom, _ = render(url + feed, tmp / "d-feed.png", profile)
    assert "tag:tracking-jupyter.github.io,2026:digest/" in dom
    running = week_id(datetime.now(timezone.utc).date())
    assert f"digest/{running}" not in dom  # never the running week in a feed


def test_dashboard_charts_draw_under_the_public_csp(public_server):
    """The public profile's Content-Security-Policy lets Datasette and Vega run:
    every chart draws, and Chromium reports no refused script, style or request."""
    url, tmp = public_server
    with urllib.request.urlopen(f"{url}/-/dashboards/ecosystem-pulse", timeout=10) as r:
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    dom, log = render(f"{url}/-/dashboards/ecosystem-pulse", tmp / "dashboard-csp.png",
                      tmp / "profile")
    for slug in VEGA_CHARTS:
        markup = chart(dom, slug)
        assert 'class="marks"' in markup or "<canvas" in markup, slug
    for slug, value in METRICS.items():
        assert re.search(rf">{value}</p>", chart(dom, slug)), (slug, chart(dom, slug)[:300])
    assert "Content Security Policy" not in log and "Refused to" not in log, log[-3000:]
    assert "Uncaught" not in log, log[-2000:]
    dom, log = render(f"{url}/sample/releases_this_week", tmp / "query-csp.png", tmp / "profile")
    assert "Releases this week" in dom and "Refused to" not in log, log[-3000:]
