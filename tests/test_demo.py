"""`tracker demo` on real Jupyter data: offline, loopback only, digest names real releases."""

import asyncio
import json
import re
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import feedparser
import pytest
import sqlite_utils

from tracker.demo import DEMO_DISCOVERED, DEMO_TOPICS, run_demo
from tracker.digest.ecosystem import new_in_ecosystem
from tracker.publish import make_datasette
from tracker.safe import register_sql_functions


def free_port_block():
    """A port p with p+1, p+2 and p+3 free too (Datasette, feeds, emulator, sources)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            for offset in (1, 2, 3):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    pytest.skip("no block of three free ports")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    port = free_port_block()
    first = run_demo(str(path), port=port, serve=False, out=lambda text: None)
    second = run_demo(str(path), port=port, serve=False, out=lambda text: None)
    return path, first, second


def test_demo_never_leaves_loopback(demo):
    _, first, _ = demo
    assert urlsplit(first.api_url).hostname == "127.0.0.1"
    assert first.feed_urls and all(urlsplit(u).hostname == "127.0.0.1" for u in first.feed_urls)


def test_demo_harvests_the_real_repos(demo):
    path, first, _ = demo
    db = sqlite_utils.Database(path)
    assert first.summary.status == "ok", first.summary.errors
    names = {r[0] for r in db.execute("select full_name from repos where tracked_via is not null")}
    assert names == {
        "jupyterhub/dockerspawner", "jupyterhub/jupyterhub-deploy-docker",
        "jupyterhub/zero-to-jupyterhub-k8s", "voila-dashboards/voila", "jupytext/jupytext",
        "ines/course-starter-python", "ines/juniper",
    }
    assert db.execute("select published_at from releases where tag_name = '14.0.0' and repo = "
                      "(select id from repos where full_name = 'jupyterhub/dockerspawner')"
                      ).fetchone() == ("2025-02-12T13:22:42Z",)
    # 104 real posts and 29 synthetic ones (community-synthetic.rss, #21).
    assert db["feed_entries"].count == 133
    assert db.execute("select count(*) from feed_entries where title like '[synthetic]%'"
                      ).fetchone()[0] == 29


def test_demo_discovers_synthetic_repos(demo):
    path, first, _ = demo
    db = sqlite_utils.Database(path)
    found = [r for r in db.execute(
        "select full_name, description from repos where tracked_via is null")]
    assert len(found) == DEMO_DISCOVERED
    assert all(n.startswith("synthetic-dev-") and d.startswith("[synthetic]") for n, d in found)
    sources = {r[0] for r in db.execute("select distinct source from repo_sources")}
    assert {f"topic:{t}" for t in DEMO_TOPICS} <= sources
    # The section has something to show in the demo's recent weeks.
    shown = new_in_ecosystem(db, "2026-05-18", "2026-07-27")["repos"]
    assert len(shown) >= 10 and all(r["why"] == "created" for r in shown)


def test_second_demo_run_is_incremental(demo):
    _, _, second = demo
    # One search per topic (the search budget: not "counted", which is the core
    # budget); every core request is a free 304.
    # Plus change detection's issue searches for the watched owners (#20).
    searches = second.summary.search
    assert second.summary.counted == 0 and searches > len(DEMO_TOPICS)
    # Calendars, papers and the forum (#23) are counted apart: arXiv, Zenodo and
    # Discourse answer in full every day; the calendar and the JOSS feed are 304s.
    c = second.summary.counts
    assert c["source_not_modified"] == 2
    # Packages (#22): PyPI's changelog (one XML-RPC call) says nothing changed; the
    # npm packages (two: #21's new extension too) and the two conda-forge builds
    # answer 304 (dockerspawner has none in the demo: its absence is remembered
    # until the reconciliation schedule).
    assert (c["package_requests"], c["package_not_modified"]) == (5, 4)
    assert second.summary.not_modified - c["source_not_modified"] - \
        c["package_not_modified"] == second.summary.requests - c["source_requests"] - \
        c["package_requests"] - searches > 0


def test_digest_feed_names_real_releases(demo):
    path, first, _ = demo
    assert "2025-W07" in first.weeks

    async def fetch():
        ds = make_datasette(path)
        # The demo's facts end in 2025; the feed's default is the latest 26 weeks.
        return await ds.client.get("/demo/digest.atom?weeks=1000")

    response = asyncio.run(fetch())
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    week = [e for e in feed.entries if e.id.endswith("/2025-W07")]
    assert week, [e.title for e in feed.entries[:5]]
    content = week[0].content[0].value
    assert "dockerspawner" in content and "14.0.0" in content


def test_demo_command_help():
    result = subprocess.run([sys.executable, "-m", "tracker", "demo", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "--no-serve" in result.stdout


def test_demo_refuses_a_busy_port_before_harvesting(tmp_path):
    with socket.socket() as taken:
        # P+1..P+3 free (another test's server there would be named too).
        taken.bind(("127.0.0.1", free_port_block()))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tracker", "demo", "--db", str(tmp_path / "d.db"),
             "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: port {port} on 127.0.0.1 is in use")
    assert "Traceback" not in result.stderr and not (tmp_path / "d.db").exists()


def test_demo_busy_weeks_show_coming_up_and_new_papers(demo):
    """#23: the demo follows a synthetic calendar, arXiv, JOSS, Zenodo and a forum."""
    from tracker.demo import active_weeks
    from tracker.digest import week_bounds
    from tracker.digest.events import upcoming_events_rows
    from tracker.digest.papers import new_papers_rows

    path, first, _ = demo
    assert first.summary.status == "ok", first.summary.errors
    db = sqlite_utils.Database(path)
    for table in ("events", "papers", "discourse_topics"):
        assert db[table].count and all(r[0] == 1 for r in db.execute(
            f"select synthetic from {table}")), table
    weeks = active_weeks(db)
    assert weeks
    for week in weeks:
        start, end = week_bounds(week)
        assert upcoming_events_rows(db, start, end), week
        assert new_papers_rows(db, start, end), week
        html = db["digests"].get(week)["content_html"]
        assert '<h2 id="coming-up">Coming up' in html
        assert '<h2 id="papers-and-research">Papers and research' in html


def test_demo_follows_packages(demo):
    """#22: real PyPI histories (told with their GitHub releases), synthetic npm and
    conda-forge rows marked as such."""
    path, first, _ = demo
    db = sqlite_utils.Database(path)
    register_sql_functions(db.conn)  # the views call security_release() (tracker/security.py)
    told = db.execute("select places, synthetic from project_releases "
                      "where project = 'jupytext/jupytext' and version = '1.18.0'").fetchone()
    assert told == ("GitHub, PyPI", 0)
    # dockerspawner's PyPI links name only jupyter.org; its name and release tags make it
    # jupyterhub/dockerspawner's (tracker/registries/link.py), so 14.0.0 is told once.
    assert db.execute("select r.full_name from packages p join repos r on r.id = p.repo "
                      "where p.registry = 'pypi' and p.name = 'dockerspawner'").fetchone() \
        == ("jupyterhub/dockerspawner",)
    assert db.execute("select project, places from project_releases where version = '14.0.0' "
                      "and project like '%dockerspawner'").fetchall() == \
        [("jupyterhub/dockerspawner", "GitHub, PyPI")]
    yanked = db.execute("select yanked, yanked_reason, synthetic from package_releases "
                        "where registry = 'pypi' and name = 'jupytext' and version = '1.20.0'"
                        ).fetchone()
    assert yanked == (1, "Wrong label used, that was 1.19.0", 0)
    assert db.execute("select count(*) from package_releases where registry != 'pypi' "
                      "and synthetic = 0").fetchone() == (0,)
    assert db.execute("select count(*) from package_releases where registry = 'conda_forge'"
                      ).fetchone()[0] > 0
    # A synthetic package's first-ever release, told under "Extensions and kernels" (#22).
    issue = json.loads(db["digests"].get("2026-W25")["sections_json"])
    ext = next(s for s in issue["sections"] if s["title"] == "Extensions and kernels")
    assert [it["title"] for it in ext["items"] if it.get("first_release")] == \
        ["@synthetic-dev/jupyterlab-cell-timer 0.1.0"]
    assert db.execute("select synthetic from package_releases where name = "
                      "'@synthetic-dev/jupyterlab-cell-timer' and version = '0.1.0'"
                      ).fetchone() == (1,)


def busiest_weeks(db, n=3):
    """The weeks with the most activity: issues and PRs opened, merged, comments, releases."""
    def activity(row):
        m = json.loads(row["sections_json"])["metrics"]
        return m["prs_opened"] + m["issues_opened"] + m["prs_merged"] + m["comments"] \
            + m["releases"]
    rows = db.query("select week, sections_json, section_count from digests "
                    "where coalesce(period, 'week') = 'week'")
    return sorted(rows, key=lambda r: (-activity(r), r["week"]))[:n]


def test_demo_newsletter_acceptance(demo):
    """#21 on the demo: the three busiest weeks show at least eight sections with
    content, the archive opens on the latest week, the feed has no all-zero entry."""
    path, _, _ = demo
    db = sqlite_utils.Database(path)
    busiest = busiest_weeks(db)
    assert [r["section_count"] for r in busiest] and all(
        r["section_count"] >= 8 for r in busiest), [(r["week"], r["section_count"]) for r in busiest]
    # Every section kind of the shipped layout has content in some demo week.
    kinds = {s["kind"] for (js,) in db.execute("select sections_json from digests")
             for s in json.loads(js)["sections"]}
    assert kinds >= {"releases", "posts", "events", "papers", "repositories", "issues",
                     "people", "numbers"}
    titles = {s["title"] for (js,) in db.execute("select sections_json from digests")
              for s in json.loads(js)["sections"]}
    assert titles >= {"Education and industry use", "Binder and reproducibility",
                      "Example notebooks", "Call for participation", "Project of the week",
                      "Coming up", "Papers and research", "Community"}

    async def fetch(*paths):
        ds = make_datasette(path)
        return [await ds.client.get(p) for p in paths]

    index, feed = asyncio.run(fetch("/digest", "/demo/digest.atom?weeks=1000"))
    latest = db.execute("select week from digests where section_count > 0 "
                        "order by week desc limit 1").fetchone()[0]
    assert index.status_code == 200
    assert re.search(r'<a href="/digest/(\d{4}-W\d\d)">', index.text)[1] == latest
    entries = feedparser.parse(feed.content).entries
    assert entries and not [e for e in entries if e.title.startswith("A quiet week")]
    quiet = {w for (w,) in db.execute("select week from digests where section_count = 0")}
    assert quiet and not [e for e in entries if e.id.rsplit("/", 1)[1] in quiet]


def test_the_demo_ignores_mirror_urls_from_the_environment():
    """A TRACKER_PYPI_URL exported for real harvests must not take the offline demo
    off its own registry emulator (a new user's re-check of #22)."""
    from tracker.demo import demo_environ

    env = {"TRACKER_PYPI_URL": "https://mirror.example.org", "TRACKER_NPM_URL": "http://x",
           "TRACKER_ANACONDA_URL": "http://y", "GITHUB_API_URL": "https://ghe.example.org/api/v3",
           "HOME": "/home/u"}
    assert demo_environ(env) == {"HOME": "/home/u"}


def test_demo_release_summaries_read_whole_and_escape_once(demo):
    """#21: real notes that read badly: a sentence cut before its list (4.3.3),
    boilerplate (voila 0.4.0b0's "No merged PRs"), "<" shown as "&lt;" (voila 0.0.6)."""
    db = sqlite_utils.Database(demo[0])

    def issue(week):
        return db["digests"].get(week)

    for week in ("2026-W13", "2026-W18"):
        text = issue(week)["content_md"]
        assert "is a security release fixing" in text and "This release fixes" not in text, week
    assert "No merged PRs" not in issue("2022-W40")["content_md"]
    old = issue("2018-W49")
    assert "Support Python < 3.6" in old["content_md"]
    assert "Support Python &lt; 3.6" in old["content_html"] and "&amp;lt;" not in old["content_html"]
    for week, md in db.execute("select week, content_md from digests"):
        # an entity shows as written in plain text: only where "<" would open a tag
        assert not re.search(r"&(?!lt;[A-Za-z/!?])[a-z]+;", md or ""), week
