"""Stars over time put to use (#25): the stars_weekly view, the canned query
stars_per_week, the digest's stars gained and Rising, and a repo's row page,
each checked against the emulator's truth or independent SQL."""

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import sqlite_utils

from conftest import TOKEN, harvest
from test_history import REPO, world
from tracker.config import Config
from tracker.db import open_db
from tracker.digest.sections import stars_gained
from tracker.emulator import Emulator
from tracker.emulator.history import stargazers
from tracker.emulator.records import iso
from tracker.canned import canned_rows
from tracker.publish import make_datasette
from tracker.stargains import star_gains


def monday(stamp):
    d = date.fromisoformat(stamp[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):
    path = tmp_path_factory.mktemp("use") / "t.db"
    with Emulator(world(), tokens={TOKEN}) as emu:
        assert harvest(path, emu, Config(repos=[REPO], reconcile_days=0)).status == "ok"
        stars = [iso(s.at) for s in stargazers(emu.store.repo(REPO))]
    return path, stars


def canned(db, name, **params):
    return canned_rows(db, name, **params)  # as Datasette serves it


def test_stars_per_week_equals_the_emulators_stars_by_week(harvested):
    path, stars = harvested
    db = open_db(str(path))
    expected = Counter(monday(s) for s in stars)
    rows = canned(db, "stars_per_week", repo=REPO)
    assert {r["week"]: r["stars_gained"] for r in rows} == dict(expected)
    assert rows[-1]["stars"] == len(stars) and all(r["exact"] == 1 for r in rows)
    assert all(r["series"] == REPO for r in rows)
    # Per organisation (the default): the same numbers under the owner's name.
    by_org = canned(db, "stars_per_week")
    assert {r["series"] for r in by_org} == {"stellar"}
    assert sum(r["stars_gained"] for r in by_org) == len(stars)


def test_digest_stars_gained_is_the_exact_weekly_gain(harvested):
    path, stars = harvested
    db = open_db(str(path))
    week = Counter(monday(s) for s in stars).most_common(1)[0][0]
    end = (date.fromisoformat(week) + timedelta(days=7)).isoformat()
    start_ts, end_ts = f"{week}T00:00:00Z", f"{end}T00:00:00Z"
    exact = sum(1 for s in stars if start_ts <= s < end_ts)
    assert exact > 0
    assert stars_gained(db, start_ts, end_ts) == exact
    gains = star_gains(db, start_ts, end_ts, "select id from repos")
    [(gained, total)] = gains.values()
    assert (gained, total) == (exact, sum(1 for s in stars if s < end_ts))


def test_a_repo_without_history_falls_back_to_snapshots(tmp_path):
    path = tmp_path / "t.db"
    with Emulator(world(), tokens={TOKEN}) as emu:
        harvest(path, emu, Config(repos=[REPO], reconcile_days=0, history=False))
    db = open_db(str(path))
    rows = list(db.query("select source, gained from stars_weekly"))
    assert [r["source"] for r in rows] == ["baseline"] and rows[0]["gained"] == 250
    assert db["stars"].count == 0


def test_the_repo_page_shows_its_star_history(harvested):
    path, stars = harvested
    db = sqlite_utils.Database(path)
    rid = db.execute("select id from repos where full_name = ?", [REPO]).fetchone()[0]
    ds = make_datasette(str(path))

    async def get():
        return await ds.client.get(f"/{path.stem}/repos/{rid}")

    page = asyncio.run(get())
    assert page.status_code == 200
    html = page.text
    assert "Star history" in html and 'class="star-line"' in html
    assert f"{len(stars):,} stars" in html and "exact" in html
    assert f"stars_per_week?repo={REPO}" in html


def test_past_githubs_cap_the_weeks_come_from_snapshots_and_say_so(tmp_path):
    path = tmp_path / "t.db"
    store = world()
    store.star_page_cap = 2
    with Emulator(store, tokens={TOKEN}) as emu:
        harvest(path, emu, Config(repos=[REPO], reconcile_days=0))
    db = open_db(str(path))
    cap = db.execute("select capped_after from history_coverage "
                     "where stream = 'stargazers'").fetchone()[0]
    rows = list(db.query("select week, source, gained from stars_weekly order by week"))
    listing = [r for r in rows if r["source"] == "listing"]
    assert listing and all(r["week"] < monday(cap) for r in listing)
    [backlog] = [r for r in rows if r["source"] == "backlog"]
    assert backlog["week"] >= monday(cap)
    # Listed stars + what accrued past the cap = GitHub's count.
    assert sum(r["gained"] for r in rows) == 250
    assert sum(r["gained"] for r in listing) + backlog["gained"] == 250
    last = canned(db, "stars_per_week", repo=REPO)[-1]
    assert last["stars"] == 250 and last["exact"] == 0
