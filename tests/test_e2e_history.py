"""End to end (#25): the demo's dashboard draws a non-empty "Stars over time"
chart in headless Chromium, from the demo's (synthetic, marked) star histories."""

import re
import subprocess
import sys
import time
import urllib.request

import pytest
import sqlite_utils

from test_demo import free_port_block
from test_e2e_browser import CHROMIUM, chart, free_port, render
from tracker.demo import run_demo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt-get install chromium)"),
]


def test_the_demo_dashboard_draws_a_non_empty_stars_chart(tmp_path):
    path = tmp_path / "demo.db"
    run_demo(str(path), port=free_port_block(), serve=False, out=lambda text: None)
    db = sqlite_utils.Database(path)
    assert db["stars"].count > 0 and db["forks"].count > 0
    assert db.execute("select count(*) from stars where synthetic is not 1").fetchone()[0] == 0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "serve", "--db", str(path),
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/demo.json?sql=select+1", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, \
                    (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        dom, log_text = render(f"{url}/-/dashboards/ecosystem-pulse", tmp_path / "stars.png",
                               tmp_path / "profile")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    markup = chart(dom, "stars")
    assert 'class="marks"' in markup, markup[:500]
    # Vega drew at least one line with many points: the whole history, not an empty frame.
    lines = re.findall(r'<path[^>]*\bd="(M[^"]+)"', markup)
    assert lines and max(len(re.findall(r"[ML]", d)) for d in lines) > 20, lines[:2]
    assert "Uncaught" not in log_text, log_text[-2000:]
