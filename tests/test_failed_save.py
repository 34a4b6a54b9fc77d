"""#20: a page that cannot be saved is fetched again by the next run, never forgotten.

The storage fault is real SQLite: a trigger refuses to write one row (as a full
disk or a corrupt page would), so the harvest's own code runs unchanged. Runs take
``now`` as a parameter: the run after the failure is an hour later, past the
10-minute overlap of change detection, so only a watermark that did not move can
bring the lost change back.
"""

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
import sqlite_utils

from tracker.config import Config
from tracker.db import open_db
from tracker.emulator.truth import differences

from conftest import harvest

SPOT = "jupyterhub/dockerspawner"
DEPLOY = "jupyterhub/jupyterhub-deploy-docker"
SMALL = Config(users=["ines"], repos=[SPOT, DEPLOY])


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def refuse(path, table, where):
    """Make SQLite refuse every insert or update of ``table`` rows matching ``where``."""
    conn = sqlite3.connect(path)
    for event in ("insert", "update"):
        conn.execute(f"create trigger refuse_{table}_{event} before {event} on {table} "
                     f"when {where} begin select raise(abort, 'disk I/O error'); end")
    conn.commit()
    conn.close()


def allow(path, table):
    conn = sqlite3.connect(path)
    for event in ("insert", "update"):
        conn.execute(f"drop trigger refuse_{table}_{event}")
    conn.commit()
    conn.close()


def watched(store, config):
    owners = {o.lower() for o in config.orgs + config.users}
    return {r.full_name for r in store.repos.values()
            if r.owner.login.lower() in owners or r.full_name in config.repos}


def exact_db(emu, path, config=SMALL):
    return differences(emu.store, sqlite_utils.Database(path), watched(emu.store, config))


@pytest.mark.parametrize("exact", [False, True], ids=["search", "exact"])
def test_a_page_that_fails_to_save_is_fetched_again_past_the_overlap(tmp_path, emulator,
                                                                    exact):
    path = tmp_path / "t.db"
    t0 = datetime.now(timezone.utc)
    for minutes in (0, 1):  # the first run walks everything; the second can search
        assert harvest(path, emulator, SMALL, exact=exact,
                       now=stamp(t0 + timedelta(minutes=minutes))).status == "ok"
    issue = emulator.store.repo(SPOT).issues[526]
    emulator.store.update_issue(SPOT, 526, title="[synthetic] edited, then lost by a save")
    refuse(path, "issues", f"new.id = {issue.id}")
    failed = harvest(path, emulator, SMALL, exact=exact, now=stamp(t0 + timedelta(hours=1)))
    assert failed.status == "partial" and failed.exit_code == 1
    # 526 is a PR: under --exact the pulls page (which updates its issue row) fails too.
    assert {e.target for e in failed.errors} == {SPOT}
    assert "issues" in {e.stream for e in failed.errors}
    assert "disk I/O error" in failed.errors[0].message
    assert exact_db(emulator, path)  # the change is not stored
    allow(path, "issues")
    emulator.reset_log()
    again = harvest(path, emulator, SMALL, exact=exact, now=stamp(t0 + timedelta(hours=2)))
    assert again.status == "ok", again.errors
    assert exact_db(emulator, path) == []
    assert again.counts.get("issues") == 1  # the one change, told once


def test_an_owner_listing_page_that_fails_to_save_is_fetched_again(tmp_path, emulator):
    path = tmp_path / "t.db"
    open_db(str(path)).conn.close()
    refuse(path, "repos", "new.full_name = 'ines/juniper'")
    failed = harvest(path, emulator, SMALL)
    assert failed.status == "partial"
    assert [(e.target, e.stream) for e in failed.errors] == [("ines", "repos")]
    allow(path, "repos")
    assert harvest(path, emulator, SMALL).status == "ok"
    assert exact_db(emulator, path) == []


def test_a_feed_whose_entries_cannot_be_saved_keeps_its_etag(tmp_path):
    import httpx

    from tracker.config import Feed
    from tracker.feedserver import DATA_DIR, FeedServer
    from tracker.harvest.feeds import harvest_feeds

    path = tmp_path / "t.db"
    open_db(str(path)).conn.close()
    refuse(path, "feed_entries", "1")
    with FeedServer(DATA_DIR) as server, httpx.Client(timeout=5) as client:
        url = server.url_for("jupyter-blog.rss")
        db = open_db(str(path))
        failed = harvest_feeds(db, client, [Feed(url)], sleep=lambda s: None)
        assert [(e.source, e.target) for e in failed.errors] == [("feeds", url)]
        assert "disk I/O error" in failed.errors[0].message
        assert db.execute("select count(*) from feeds where etag is not null").fetchone() == (0,)
        allow(path, "feed_entries")
        again = harvest_feeds(db, client, [Feed(url)], sleep=lambda s: None)
        assert not again.errors and again.not_modified == 0 and again.entries_new > 0


def test_a_discovery_page_that_cannot_be_saved_is_searched_again(tmp_path):
    from tracker.emulator import add_discoverable_repos, load_facts

    from test_discovery import EXT, full_run, ids_with_topic, start

    store = load_facts()
    add_discoverable_repos(store, 30, [EXT], seed=5)
    emu, clock = start(store)
    try:
        path = tmp_path / "t.db"
        open_db(str(path)).conn.close()
        refuse(path, "repo_sources", f"new.source = 'topic:{EXT}'")
        config = Config(repos=["ines/juniper"], topics=[EXT])
        failed = full_run(path, emu, clock, config)
        assert failed.status == "partial"
        assert [e.stream for e in failed.errors] == ["discovery"]
        assert sqlite_utils.Database(path).execute(
            "select count(*) from harvest_state where key like 'discovery%:%'").fetchone() == (0,)
        allow(path, "repo_sources")
        clock.t += 3600
        assert full_run(path, emu, clock, config).status == "ok"
        found = {r[0] for r in sqlite_utils.Database(path).execute(
            "select repo from repo_sources where source = ?", [f"topic:{EXT}"])}
        assert found == ids_with_topic(store, EXT)
    finally:
        emu.stop()
