"""The digest's output does not change when its reads get faster (#26).

The golden files in tests/golden/digest/ were written by the digest as it was
before the #26 speed-ups (main at f580fd6): the Markdown and HTML of a few
seeded weeks and of a month, and a hash of every stored column of every week
(and month) of the sample database and of the demo. A faster read that changes
one byte of any week fails here. Building every week at once (``--all``, which
shares its reads between weeks) must equal building each week on its own.

When a change to the digest's *content* is intended, rewrite the files with
``TRACKER_WRITE_GOLDEN=1 python -m pytest tests/test_digest_golden.py`` and
read the diff.
"""

import hashlib
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tracker.db import open_db
from tracker.digest import build_digests
from tracker.digest.layout import DigestSettings
from sampledb import LATEST_WEEK, populate_sample
from test_digest import NOW, WEEK, add_week_rows

GOLDEN = Path(__file__).resolve().parent / "golden" / "digest"
WRITE = os.environ.get("TRACKER_WRITE_GOLDEN") == "1"
# What a reader sees and what the exports render: every content column.
COLUMNS = ("period", "period_start", "period_end", "title", "headline", "content_html",
           "content_md", "editor_note", "atom_id", "atom_link", "atom_content_html", "quiet",
           "section_count", "sections_json")
MONTHLY = DigestSettings(period="month")


def fingerprint(db, normalise=lambda text: text):
    """{week or month: sha256 of its content columns}, every stored digest."""
    out = {}
    for row in db.query("select * from digests order by week"):
        text = json.dumps([row[c] for c in COLUMNS], ensure_ascii=False)
        out[row["week"]] = hashlib.sha256(normalise(text).encode()).hexdigest()
    return out


def check(name, actual):
    """Compare ``actual`` (text) with the golden file ``name`` (or write it)."""
    path = GOLDEN / name
    if WRITE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with TRACKER_WRITE_GOLDEN=1 once"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:  # the first differing line says which part moved
        for i, (a, e) in enumerate(zip(actual.splitlines(), expected.splitlines())):
            assert a == e, f"{name} line {i + 1} differs"
    assert actual == expected, name


def sample(folder):
    """The sample database (named tracker.db: the name is in the digest's links)."""
    db = open_db(str(folder / "tracker.db"))
    populate_sample(db)
    add_week_rows(db)
    db.conn.commit()
    return db


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample database with every week and every month built at once."""
    db = sample(tmp_path_factory.mktemp("golden"))
    build_digests(db, all_weeks=True, now=NOW, settings=MONTHLY)
    return db


def test_every_week_and_month_of_the_sample_is_unchanged(built):
    prints = fingerprint(built)
    assert len(prints) > 20 and "2026-11" in prints and WEEK in prints
    check("sample.json", json.dumps(prints, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("period", [WEEK, LATEST_WEEK, "2026-11"])
def test_markdown_and_html_of_seeded_periods_are_unchanged(built, period):
    row = built["digests"].get(period)
    check(f"{period}.md", row["content_md"])
    check(f"{period}.html", row["content_html"])


def test_one_week_alone_equals_the_same_week_built_with_all(built, tmp_path):
    """Shared reads of --all give what a single week's own reads give."""
    db = sample(tmp_path)
    for week in (WEEK, LATEST_WEEK, "2025-W01"):
        build_digests(db, week=week, now=NOW)
    mine, theirs = fingerprint(db), fingerprint(built)
    assert mine == {w: theirs[w] for w in mine} and len(mine) == 3


# ------------------------------------------------------------------ the demo

DEMO_NOW = datetime(2026, 7, 27, 12, tzinfo=timezone.utc)  # after the facts end (2026-07-24)
HARVESTED = "2026-07-25T06:00:00Z"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's database with its digests rebuilt for a fixed date: the harvest's
    own timestamps (today) and the loopback ports set to constants."""
    from test_demo import free_port_block
    from tracker.demo import run_demo

    path = tmp_path_factory.mktemp("golden-demo") / "demo.db"
    port = free_port_block()
    run_demo(str(path), port=port, serve=False, out=lambda text: None)
    db = open_db(str(path))
    with db.conn:
        db.execute("delete from digests")
        db.execute("update harvest_runs set started_at = ?, finished_at = ?",
                   [HARVESTED, HARVESTED])
    return db, port


def test_the_demos_digests_are_unchanged(demo):
    db, port = demo
    build_digests(db, all_weeks=True, now=DEMO_NOW, settings=MONTHLY)
    ports = re.compile(r"127\.0\.0\.1:(%s)" % "|".join(str(port + i) for i in range(4)))

    def normalise(text):
        return ports.sub(lambda m: f"127.0.0.1:PORT+{int(m[1]) - port}", text)

    prints = fingerprint(db, normalise)
    assert len(prints) > 20
    check("demo.json", json.dumps(prints, indent=1, sort_keys=True) + "\n")
    busy = "2026-W29"
    row = db["digests"].get(busy)
    check(f"demo-{busy}.md", normalise(row["content_md"]))
