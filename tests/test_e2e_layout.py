"""#19 item 7: the dashboard's layout in a real browser, with a busy week and an empty one.

Headless Chromium driven through chromedriver (tests/webdriver.py, plain HTTP): every
card's bounding box is measured after the charts have drawn. An empty chart once grew to
33,554,432 px and pushed the cards below it out of reach; now each card keeps its size
and an empty chart says so.
"""

import subprocess
import sys
import time
import urllib.request

import pytest
import sqlite_utils

from sampledb import LATEST_WEEK, populate_sample
from tracker.publish import build_config
from webdriver import CHROMEDRIVER, CHROMIUM, Browser, _free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                       reason="chromium and chromedriver are not on PATH "
                              "(apt-get install chromium chromium-driver)"),
]
EMPTY_WEEK = "2001-W02"  # years before the sample's first activity
LAYOUT = build_config("sample")[0]["plugins"]["datasette-dashboards"]["ecosystem-pulse"]["layout"]
DRAWN = """return [...document.querySelectorAll('.dashboard-card-chart')].every(
    e => e.querySelector('svg, canvas') || /\\d/.test(e.textContent))"""
MEASURE = """return Object.fromEntries([...document.querySelectorAll('.dashboard-card')].map(e => {
    const r = e.getBoundingClientRect();
    return [e.id.replace('card-', ''), {top: r.top + scrollY, left: r.left, width: r.width,
            height: r.height, empty: e.textContent.includes('No data for this selection')}];
}))"""


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layout")
    db = tmp / "sample.db"
    populate_sample(sqlite_utils.Database(db)).close()
    port = _free_port()
    log = open(tmp / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "serve", "--db", str(db),
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp / "serve.log").read_text())
                time.sleep(0.2)
        with Browser(tmp / "profile") as browser:
            def measure(week):
                browser.get(f"{url}/-/dashboards/ecosystem-pulse?week={week}")
                assert browser.wait_for(DRAWN), f"charts did not draw for {week}"
                time.sleep(0.5)  # Vega's resize pass after the first draw
                return browser.run(MEASURE)
            yield measure
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def check_layout(cards):
    """Every card has a sane size; cards of one layout row share a top; rows never overlap."""
    assert set(cards) == {slug for row in LAYOUT for slug in row}, cards
    for slug, box in cards.items():
        assert 100 <= box["height"] <= 700, (slug, box)
        assert box["width"] >= 200, (slug, box)
    bottom = 0
    for row in LAYOUT:
        tops = {round(cards[slug]["top"]) for slug in row}
        assert len(tops) == 1, (row, tops)
        assert tops.pop() >= bottom - 1, (row, bottom)
        bottom = max(cards[slug]["top"] + cards[slug]["height"] for slug in row)
    assert bottom < 3000, bottom  # the whole dashboard fits a few screens


def test_every_card_keeps_its_size_in_a_busy_and_an_empty_week(dashboard):
    busy, empty = dashboard(LATEST_WEEK), dashboard(EMPTY_WEEK)
    check_layout(busy)
    check_layout(empty)
    for slug in busy:
        assert abs(busy[slug]["height"] - empty[slug]["height"]) <= 2, \
            (slug, busy[slug], empty[slug])
    # Charts without rows say so; charts with rows never do.
    assert {slug for slug, box in empty.items() if box["empty"]} >= {"per-org", "top-repos"}
    assert not any(box["empty"] for slug, box in busy.items() if slug != "new-per-topic")
