"""#21 end to end: the email export drawn by headless Chromium at 600 px scrolls
nowhere sideways, even with a long unbroken title; the week page renders."""

import email
import email.policy
import re
import shutil
import subprocess
from datetime import datetime, timezone

import pytest
import sqlite_utils

from sampledb import LATEST_WEEK, populate_sample
from test_digest_sections import seed_week
from tracker.db import open_db
from tracker.digest import build_digests, export_digest

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt-get install chromium)"),
]
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
# Written into a copy of the email's HTML only: the measurement, not the message.
MEASURE = ("<script>window.addEventListener('load', () => { document.title = "
           "'measure:' + document.documentElement.scrollWidth + ':' + window.innerWidth; });"
           "</script>")


def chromium(path, shot, profile, width):
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--screenshot={shot}", "--dump-dom",
         f"--window-size={width},1600", "--hide-scrollbars", "--virtual-time-budget=5000",
         f"file://{path}"],
        capture_output=True, text=True, timeout=90)
    assert shot.exists(), result.stderr[-2000:]
    return result.stdout


def test_email_renders_at_600px_without_horizontal_scroll(tmp_path):
    path = tmp_path / "tracker.db"
    populate_sample(sqlite_utils.Database(path)).close()
    db = open_db(str(path))
    seed_week(db)
    db["feed_entries"].insert({
        "id": "long-1", "feed": "https://edu.example.org/feed", "published": "2026-06-12T08:00:00Z",
        "title": "[synthetic] " + "Unbreakable" * 30, "link": "https://edu.example.org/" + "x" * 300})
    db.conn.commit()
    build_digests(db, all_weeks=True, now=NOW)
    msg = email.message_from_string(
        export_digest(db, fmt="email", week=LATEST_WEEK, base_url="https://t.example.org", now=NOW),
        policy=email.policy.default)
    html = msg.get_body(("html",)).get_content()
    page = tmp_path / "email.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    for width in (600, 500):  # 500: headless Chromium's narrowest window
        dom = chromium(page, tmp_path / f"email-{width}.png", tmp_path / "profile", width)
        found = re.search(r"<title>measure:(\d+):(\d+)</title>", dom)
        assert found, dom[:500]
        scroll, inner = int(found[1]), int(found[2])
        assert inner == width and scroll <= inner, (width, scroll, inner)
        assert "Unbreakable" in dom and "Call for participation" in dom
