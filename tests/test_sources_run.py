"""Calendars, papers and Discourse inside `tracker harvest` (#23): bad input is one
recorded error per source and loses nothing; sources run whatever GitHub answers;
Discourse topics are stored and ranked; config keys are validated."""

import socket

import httpx
import pytest
import sqlite_utils

from sources_helpers import COMMUNITY_ICS, MARCH, FakeClock, pacing_for, sources_config
from tracker.config import ConfigError, parse_config
from tracker.db import open_db
from tracker.digest.forum import forum_threads_rows
from tracker.emulator.sources import SourcesServer, load_synthetic
from tracker.github import GitHubClient
from tracker.harvest.run import Progress, run_harvest
from tracker.sources.run import harvest_sources

GOOD = COMMUNITY_ICS.decode()


def with_event(extra):
    return GOOD.replace("END:VCALENDAR", extra + "END:VCALENDAR").encode()


NO_DTSTART = "BEGIN:VEVENT\nUID:nostart\nSUMMARY:no start\nEND:VEVENT\n"
UNKNOWN_TZ = ("BEGIN:VEVENT\nUID:mars\nDTSTART;TZID=Mars/Olympus_Mons:20260316T100000\n"
              "SUMMARY:on Mars\nEND:VEVENT\n")
SECONDLY = ("BEGIN:VEVENT\nUID:tick\nDTSTART:20260101T000000Z\nRRULE:FREQ=SECONDLY\n"
            "SUMMARY:every second\nEND:VEVENT\n")


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    with SourcesServer(clock=clock.now) as srv:
        yield load_synthetic(srv)


@pytest.fixture
def db():
    return open_db(sqlite_utils.Database(memory=True))


def harvest(db, server, clock, now=MARCH, **only):
    config = sources_config(server, **{"arxiv": (), "joss": (), "zenodo": (), "discourse": (),
                                       **only})
    with httpx.Client(timeout=5) as client:
        return harvest_sources(db, config, client, now=now, pacing=pacing_for(server, clock))


def events(db):
    return {(r["uid"], r["recurrence_id"]): r for r in db["events"].rows}


@pytest.mark.parametrize("extra, uid, words", [
    (NO_DTSTART, "nostart", "no DTSTART"),
    (UNKNOWN_TZ, "mars", "unknown time zone TZID=Mars/Olympus_Mons"),
    (SECONDLY, "tick", "FREQ=SECONDLY"),
])
def test_a_bad_event_is_one_error_and_the_rest_is_stored(db, server, clock, extra, uid, words):
    harvest(db, server, clock)
    before = events(db)
    server.calendars["community"] = with_event(extra)
    result = harvest(db, server, clock)
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.source == "calendars" and words in problem.message and uid in problem.message
    assert events(db) == before  # nothing lost, nothing marked missing
    assert not any(k[0] == uid for k in events(db))


def test_a_bad_event_keeps_its_stored_instances(db, server, clock):
    harvest(db, server, clock)
    broken = GOOD.replace("DTSTART;VALUE=DATE:20260320\n", "")  # the sprint loses DTSTART
    server.calendars["community"] = broken.encode()
    result = harvest(db, server, clock)
    assert len(result.problems) == 1
    assert events(db)[("sprint@synthetic.example", "")]["missing_since"] is None


HTML_PAGE = b"<!DOCTYPE html><html><head><title>Calendar</title></head><body>Sign in</body></html>"


def ten_megabytes():
    line = b"X-PAD:" + b"y" * 70 + b"\r\n"
    return b"BEGIN:VCALENDAR\r\n" + line * (10 * 1024 * 1024 // len(line)) + b"END:VCALENDAR\r\n"


@pytest.mark.parametrize("kind", ["html", "10MB"])
def test_html_or_a_10_mb_calendar_is_one_error_and_keeps_rows(db, server, clock, kind):
    harvest(db, server, clock)
    before = events(db)
    server.set_content("/calendars/community.ics", HTML_PAGE if kind == "html"
                       else ten_megabytes(), "text/calendar")
    result = harvest(db, server, clock)
    assert [p.source for p in result.problems] == ["calendars"]
    assert ("HTML" if kind == "html" else "limit") in result.problems[0].message
    assert events(db) == before
    server.reset("/calendars/community.ics")
    assert harvest(db, server, clock).problems == []


def test_calendar_conditional_get(db, server, clock):
    harvest(db, server, clock)
    result = harvest(db, server, clock)
    assert server.log_for("/calendars/community.ics")[-1].status == 304
    assert result.costs["calendars"].not_modified == 1


def test_discourse_topics_stored_and_ranked(db, server, clock):
    result = harvest(db, server, clock, calendars=(), discourse=("jupyterhub",))
    assert result.problems == [] and db["discourse_topics"].count == 40
    paths = [r.path for r in server.requests]
    assert paths == ["/c/jupyterhub.json", "/c/jupyterhub/11/l/latest.json"]
    row = db["discourse_topics"].get((server.url, 30003))
    assert row["url"] == f"{server.url}/t/synthetic-question-3/30003"
    assert row["tags"] == '["jupyterhub", "synthetic"]'
    assert db["discourse_topics"].get((server.url, 30002))["tags"] == '["spawner"]'
    top = forum_threads_rows(db, "2026-05-01", "2026-05-15")
    score = [(r["reply_count"] + r["like_count"], r["views"]) for r in top]
    assert score == sorted(score, reverse=True) and len(top) == 7
    independent = [r[0] for r in db.execute(
        "select id from discourse_topics where created_at between '2026-05-01' and '2026-05-15' "
        "order by reply_count + like_count desc, views desc")]
    assert [r["id"] for r in top] == independent


def test_discourse_html_answer_is_one_error(db, server, clock):
    server.set_content("/c/jupyterhub.json", b"<html>Too many requests</html>")
    result = harvest(db, server, clock, calendars=(), discourse=("jupyterhub",))
    assert len(result.problems) == 1 and "topic list" in result.problems[0].message


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sources_run_whatever_github_answers(tmp_path, server, clock):
    """GitHub unreachable: the run fails (exit 5) yet calendars and papers are stored,
    and each source's error is one harvest_errors row."""
    config = sources_config(server, zenodo=(), discourse=())
    config.repos = ["a/b"]
    server.set_content("/papers/published.atom", b"<html>not a feed</html>")
    client = GitHubClient("t", f"http://127.0.0.1:{closed_port()}", sleep=lambda s: None,
                          retries=0)
    with httpx.Client(timeout=5) as sources:
        summary = run_harvest(str(tmp_path / "t.db"), config, client=client, digest=False,
                              progress=Progress(quiet=True), source_client=sources,
                              sources_now=MARCH, sources_pacing=pacing_for(server, clock))
    assert summary.exit_code == 5
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert db["events"].count > 0 and db["papers"].count == 12
    errors = list(db.query("select source, target from harvest_errors"))
    assert {"source": "papers", "target": f"{server.url}/papers/published.atom"} in errors
    assert summary.counts["events"] == db["events"].count


def test_only_sources_records_no_github_credentials(tmp_path, server, clock):
    config = sources_config(server, discourse=())
    with httpx.Client(timeout=5) as sources:
        summary = run_harvest(str(tmp_path / "t.db"), config, only="sources", digest=False,
                              progress=Progress(quiet=True), source_client=sources,
                              environ={}, sources_now=MARCH,
                              sources_pacing=pacing_for(server, clock))
    assert (summary.status, summary.exit_code) == ("ok", 0)
    run = next(sqlite_utils.Database(tmp_path / "t.db")["harvest_runs"].rows)
    assert run["credentials"] == "none" and run["requests"] == summary.requests > 0


def test_config_keys():
    config = parse_config("""
calendars:
  - {url: https://example.org/a.ics, name: jupyter, tags: [community]}
papers:
  arxiv: ["all:jupyter"]
  joss: [https://joss.theoj.org/papers/published.atom]
  zenodo: [jupyter]
discourse: {url: https://discourse.jupyter.org, categories: [general, jupyterhub/11]}
""")
    assert config.calendars[0].name == "jupyter" and config.papers.arxiv == ["all:jupyter"]
    assert config.papers.urls({}) == ("https://export.arxiv.org/api/query",
                                      "https://zenodo.org/api/records")
    assert config.papers.urls({"TRACKER_ARXIV_URL": "http://127.0.0.1:9/api/query",
                               "TRACKER_ZENODO_URL": "http://127.0.0.1:9/z"}) == (
        "http://127.0.0.1:9/api/query", "http://127.0.0.1:9/z")
    assert config.discourse.categories == ["general", "jupyterhub/11"]
    for bad, words in [
        ("calendars: [{url: 'ftp://x', name: a}]", "'calendars[0].url'"),
        ("calendars: [{url: 'https://x/a.ics'}]", "'calendars[0].name'"),
        ("papers: {arxiv: all:jupyter}", "'papers.arxiv' must be a list"),
        ("papers: {crossref: [x]}", "unknown key 'papers.crossref'"),
        ("discourse: {url: 'https://d.org', categories: ['Bad Slug']}", "categories[0]"),
    ]:
        with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
            parse_config(bad)
