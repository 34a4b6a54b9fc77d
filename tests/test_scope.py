"""#19 item 4: scope, freshness and settings are exact.

Each reproduction of the issue runs the real harvest (in process, or the CLI in a
subprocess) against the GitHub emulator and the feed server over loopback.
"""

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import TOKEN, Sleeps, harvest
from tracker.config import ConfigError, Config, Feed, parse_config
from tracker.db import open_db
from tracker.emulator import Emulator, load_facts
from tracker.feedserver import FeedServer
from tracker.github import GitHubClient
from tracker.harvest.run import Progress, run_harvest
from tracker.status import collect_status, parse_age

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 31, 10, 0, tzinfo=timezone.utc)


def tracker(*args, env=None, cwd=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TRACKER_"))}
    full.update(env or {}, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True,
                          text=True, env=full, cwd=cwd, timeout=120)


def one_error(proc, code, *words):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, proc.stderr
    for word in words:
        assert word in errors[0], errors[0]


# -- --repo limits one run only ------------------------------------------------------------

def test_repo_option_never_changes_what_later_runs_watch(tmp_path, emulator):
    db = tmp_path / "t.db"
    config = Config(users=["ines"])
    first = harvest(db, emulator, config)
    assert first.status == "ok" and first.repos >= 2, first.line()
    one = harvest(db, emulator, config, repos=["ines/juniper"])
    assert (one.status, one.repos) == ("ok", 1)
    conn = sqlite3.connect(db)
    via = dict(conn.execute("select full_name, tracked_via from repos"))
    assert via["ines/juniper"] == "user:ines", via
    assert conn.execute("select source from harvest_runs order by id desc").fetchone() == \
        ("repos",)  # a --repo run is complete for no source
    conn.close()
    again = harvest(db, emulator, config)  # the listing answers 304: stored rows decide
    assert (again.status, again.repos) == ("ok", first.repos)


# -- feeds whatever GitHub answers; freshness per source, true ---------------------------------

def test_feeds_are_harvested_when_github_budget_is_spent(tmp_path):
    db = tmp_path / "t.db"
    with Emulator(load_facts(), tokens={TOKEN}, unauth_limit=4) as emu, FeedServer() as feeds:
        config = Config(users=["ines"], orgs=["jupyterhub"],
                        feeds=[Feed(url=feeds.url_for("jupyter-blog.rss"))])
        client = GitHubClient(None, emu.url, sleep=Sleeps(), max_wait=0)
        with client:
            summary = run_harvest(str(db), config, client=client, digest=False,
                                  progress=Progress(quiet=True))
    assert (summary.status, summary.exit_code) == ("partial", 4), summary.line()
    assert summary.counts["feed_entries"] > 0, summary.line()
    conn = sqlite3.connect(db)
    assert conn.execute("select status, exit_code from harvest_runs").fetchall() == \
        [("partial", 4)]
    assert conn.execute("select count(*) from feed_entries").fetchone()[0] > 0
    conn.close()
    report = collect_status(str(db), now=datetime.now(timezone.utc))
    assert report["sources"]["feeds"]["last_complete"] is not None  # fetched: fresh
    assert report["sources"]["github"]["last_complete"] is None  # spent: not complete
    assert not report["healthy"] and report["reason"] == "github: no complete harvest yet"


def test_a_run_that_skipped_the_feeds_does_not_make_them_fresh(tmp_path, emulator):
    db = tmp_path / "t.db"
    with FeedServer() as feeds:
        config = Config(users=["ines"], feeds=[Feed(url=feeds.url_for("jupyter-blog.rss"))])
        assert harvest(db, emulator, config, repos=["ines/juniper"]).status == "ok"
    report = collect_status(str(db), now=datetime.now(timezone.utc))
    assert report["sources"]["feeds"]["last_complete"] is None
    assert report["sources"]["github"]["last_complete"] is None


# -- --max-age: units checked, limits exact -------------------------------------------------------

def test_max_age_is_exact_to_the_second(tmp_path):
    db = open_db(str(tmp_path / "t.db"))
    done = NOW - timedelta(seconds=10)
    db["harvest_runs"].insert({"started_at": (done - timedelta(seconds=5)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"), "finished_at": done.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": "all", "status": "ok", "errors": 0, "exit_code": 0}, pk="id")
    db.conn.commit()
    stale = collect_status(str(tmp_path / "t.db"), max_age=parse_age("1s"), now=NOW)
    assert not stale["healthy"]
    assert stale["reason"].endswith("is 10s old, more than --max-age 1s"), stale["reason"]
    assert collect_status(str(tmp_path / "t.db"), max_age=parse_age("10s"), now=NOW)["healthy"]
    assert not collect_status(str(tmp_path / "t.db"), max_age=parse_age("9s"), now=NOW)["healthy"]
    assert parse_age("90m") == timedelta(minutes=90) and parse_age("2d") == timedelta(days=2)


@pytest.mark.parametrize("bad", ["1w", "5x", "h", "-1h", "1.5.2h", "26 hours"])
def test_max_age_unknown_unit_is_a_usage_error(tmp_path, bad):
    db = tmp_path / "t.db"
    open_db(str(db)).conn.close()
    one_error(tracker("status", "--db", str(db), "--max-age", bad), 2, "--max-age", "unit")


# -- nothing watched; malformed settings ---------------------------------------------------------

@pytest.mark.parametrize("text", ["", "feeds: []\n", "github:\n  orgs: []\n"])
def test_empty_watchlist_says_nothing_is_watched(tmp_path, text):
    (tmp_path / "tracker.yml").write_text(text)
    proc = tracker("harvest", "--db", str(tmp_path / "t.db"), "--config",
                   str(tmp_path / "tracker.yml"), env={"GITHUB_TOKEN": TOKEN})
    one_error(proc, 2, "nothing is watched")
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("url", ["notaurl", "api.github.com", "ftp://api.github.com",
                                 "https://", "http://host:notaport/", "https://a b.example"])
def test_malformed_github_api_url_is_a_usage_error_at_once(tmp_path, url):
    (tmp_path / "tracker.yml").write_text("github:\n  users: [ines]\n")
    proc = tracker("harvest", "--db", str(tmp_path / "t.db"), "--config",
                   str(tmp_path / "tracker.yml"),
                   env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": url})
    one_error(proc, 2, "GITHUB_API_URL", "http(s) URL")
    assert not (tmp_path / "t.db").exists()


def test_malformed_base_url_setting_is_a_usage_error(tmp_path):
    db = tmp_path / "t.db"
    open_db(str(db)).conn.close()
    for args, env in ((["digest", "--format", "atom"], {"TRACKER_BASE_URL": "example.org"}),
                      (["site", "-o", str(tmp_path / "s")], {"TRACKER_BASE_URL": "notaurl"}),
                      (["digest", "--format", "atom", "--base-url", "www.x.org"], {})):
        one_error(tracker(*args, "--db", str(db), env=env), 2, "http(s) URL")


def test_discovery_tier_for_an_unconfigured_source_is_an_error(tmp_path):
    good = "github:\n  topics: [jupyter]\ndiscovery:\n  tiers:\n    topic:jupyter: full\n"
    assert parse_config(good).discovery.tiers == {"topic:jupyter": "full"}
    with pytest.raises(ConfigError, match=r"discovery.tiers\['topic:jupyterr'\]"):
        parse_config(good.replace("topic:jupyter: full", "topic:jupyterr: full"))
    (tmp_path / "tracker.yml").write_text(
        "github:\n  topics: [jupyter]\n  search: ['jupyter in:name']\n"
        "discovery:\n  tiers:\n    search:jupyter: none\n")
    proc = tracker("harvest", "--db", str(tmp_path / "t.db"), "--config",
                   str(tmp_path / "tracker.yml"), env={"GITHUB_TOKEN": TOKEN})
    one_error(proc, 2, "search:jupyter", "matches no configured topic or search",
              "search:jupyter in:name")
