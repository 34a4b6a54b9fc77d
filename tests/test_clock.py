"""The date matrix in .ci/dates runs this suite with the wall clock shifted; this test fails
when the shift did not reach Python, a subprocess or SQLite, so a shifted run that passes
passes for the right reason."""
import os
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timezone

import pytest

EXPECT = os.environ.get("TRACKER_EXPECT_DATE")


@pytest.mark.skipif(not EXPECT, reason="only under .ci/dates (TRACKER_EXPECT_DATE unset)")
def test_wall_clock_is_shifted_everywhere():
    assert datetime.now(timezone.utc).date().isoformat() == EXPECT
    assert sqlite3.connect(":memory:").execute("select date('now')").fetchone()[0] == EXPECT
    before = time.time()
    child = subprocess.run([sys.executable, "-c", "import datetime, time; "
                            "print(datetime.date.today(), time.time())"],
                           capture_output=True, text=True, check=True)
    after = time.time()
    day, stamp = child.stdout.split()
    assert day == EXPECT
    # One clock for parent and children: a fixed offset, not a start instant that every
    # process would begin again from (its subprocesses would then be minutes behind it).
    assert before - 1 <= float(stamp) <= after + 1, (before, stamp, after)
    start, wall = time.monotonic(), time.time()
    time.sleep(0.05)  # sleeping and the monotonic clock still work
    assert time.monotonic() - start >= 0.05
    assert time.time() > wall  # and the wall clock moves: never frozen


def test_week_53_is_a_real_week():
    assert date(2026, 12, 31).isocalendar()[:2] == (2026, 53)
