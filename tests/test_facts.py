"""One definition of each fact (#20): the reproductions of issue #20's "numbers
are sometimes wrong", asserted on the whole digest, the canned queries, their
.atom feeds and the dashboard — which all read the views of tracker/facts.py.

- An issue opened in the week and transferred to another watched repository
  (GitHub gives it a new id and number; the walk marks the old row) is one
  issue opened, and its author one new contributor.
- A spam issue deleted by GitHub (410, marked by the walk) makes its author
  nobody: no welcome, no link to the deleted issue.
- A discovery source whose first sweep was incomplete (``incomplete_results``)
  or interrupted (the run stopped) does not announce the old repositories the
  next run finds as "new in the ecosystem".

Everything here is synthetic: logins ``facts-*``, repos ``facts-org/*``.
"""

import asyncio
from datetime import datetime, timezone

import feedparser
import pytest
import sqlite_utils

from tracker.config import Config
from tracker.db import open_db
from tracker.digest import build as digest
from tracker.digest.ecosystem import new_in_ecosystem
from tracker.emulator import Emulator, add_discoverable_repos, load_facts
from tracker.github import GitHubClient, Stopped
from tracker.harvest.discovery import discover
from tracker.db import load_states
from tracker.publish import build_config, load_queries, make_datasette

from conftest import TOKEN

WEEK, START, END = "2026-W47", "2026-11-16", "2026-11-23"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)  # the Wednesday after
SPAM_LOGIN, SPAM_TITLE = "facts-spam-account", "Buy cheap watches facts-spam"
MOVED_FROM, MOVED_TO = ("https://github.com/facts-org/one/issues/5",
                        "https://github.com/facts-org/two/issues/9")
QUERIES = load_queries()
FEEDS = ("first_time_contributors", "busiest_this_week", "new_in_ecosystem")


def run_query(db, name, **params):
    blank = {"week": "", "repo": "", "days": "", "since": "", "weeks": "", "topic": ""}
    return [dict(r) for r in db.query(QUERIES[name]["sql"], {**blank, **params})]


def chart_sql():
    metadata, _ = build_config("tracker")
    charts = metadata["plugins"]["datasette-dashboards"]["ecosystem-pulse"]["charts"]
    return {slug: chart["query"] for slug, chart in charts.items()}


def fetch(db_path, paths):
    """GET each (path, params) on the tracker's own Datasette for db_path."""
    async def run():
        ds = make_datasette(db_path)
        return [await ds.client.get(p, params=params) for p, params in paths]
    return asyncio.run(run())


def add_week(db):
    """facts-alice opens one issue on Tuesday in facts-org/one; it is moved to
    facts-org/two on Wednesday (a new row, a new id and number, the same
    created_at). facts-spam opens an issue on Wednesday; GitHub deletes it on
    Thursday. Both old rows are marked as the reconciliation walk marks them."""
    db["users"].upsert_all([
        {"id": 97001, "login": "facts-alice", "type": "User", "is_bot": 0},
        {"id": 97002, "login": SPAM_LOGIN, "type": "User", "is_bot": 0},
        {"id": 97003, "login": "facts-org", "type": "Organization", "is_bot": 0},
    ], pk="id")
    db["repos"].upsert_all([
        {"id": 96001, "name": "one", "full_name": "facts-org/one", "owner": 97003,
         "tracked_via": "org:facts-org", "created_at": "2020-01-01T00:00:00Z",
         "html_url": "https://github.com/facts-org/one"},
        {"id": 96002, "name": "two", "full_name": "facts-org/two", "owner": 97003,
         "tracked_via": "org:facts-org", "created_at": "2020-01-01T00:00:00Z",
         "html_url": "https://github.com/facts-org/two"},
    ], pk="id")
    issue = {"type": "issue", "state": "open", "comments": 0, "body": "[synthetic]"}
    db["issues"].upsert_all([
        {**issue, "id": 95001, "repo": 96001, "number": 5, "user": 97001,
         "title": "Kernel dies on start", "html_url": MOVED_FROM,
         "created_at": "2026-11-17T09:00:00Z", "updated_at": "2026-11-18T09:00:00Z",
         "transferred_to": MOVED_TO, "transferred_at": "2026-11-19T06:00:00Z"},
        {**issue, "id": 95002, "repo": 96002, "number": 9, "user": 97001,
         "title": "Kernel dies on start", "html_url": MOVED_TO,
         "created_at": "2026-11-17T09:00:00Z", "updated_at": "2026-11-18T09:00:00Z"},
        {**issue, "id": 95003, "repo": 96001, "number": 6, "user": 97002,
         "title": SPAM_TITLE, "html_url": "https://github.com/facts-org/one/issues/6",
         "created_at": "2026-11-18T03:00:00Z", "updated_at": "2026-11-18T03:00:00Z",
         "deleted_at": "2026-11-19T06:00:00Z"},
    ], pk="id")
    # People discuss the moved issue; the spammer comments on their own issue.
    db["issue_comments"].upsert_all([
        {"id": 94001 + k, "issue": issue_id, "repo": repo, "user": user,
         "created_at": f"2026-11-18T1{k}:00:00Z", "body": "[synthetic]"}
        for k, (issue_id, repo, user) in enumerate(
            [(95002, 96002, 97001), (95002, 96002, 97001), (95003, 96001, 97002),
             (95003, 96001, 97002), (95003, 96001, 97002)])
    ], pk="id")


@pytest.fixture(scope="module")
def week_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("facts") / "tracker.db"
    db = open_db(str(path))
    add_week(db)
    db.conn.commit()
    digest.build_digests(db, week=WEEK, now=NOW)
    return path


def test_transferred_issue_is_opened_once_everywhere(week_db):
    db = open_db(str(week_db))
    metrics = digest.collect(db, WEEK)["metrics"]["this"]
    assert (metrics["issues_opened"], metrics["first_timers"], metrics["contributors"]) \
        == (1, 1, 1)
    row = db["digests"].get(WEEK)
    for text in (row["content_html"], row["content_md"], row["headline"]):
        assert "2 issues" not in text and "2 issues and PRs" not in text
    assert MOVED_FROM not in row["content_html"] and MOVED_TO in row["content_html"]
    (pulse,) = [r for r in run_query(db, "ecosystem_pulse", week=WEEK) if r["org"] == "(all)"]
    assert pulse["opened"] == 1
    firsts = run_query(db, "first_time_contributors", week=WEEK)
    assert [(r["contributor"], r["repo"]) for r in firsts] == [("facts-alice", "facts-org/two")]
    busiest = run_query(db, "busiest_this_week", week=WEEK)
    assert [(r["repo"], r["number"], r["week_comments"]) for r in busiest] \
        == [("facts-org/two", 9, 2)]
    charts = chart_sql()
    assert db.execute(charts["opened"], {"week": WEEK, "org": ""}).fetchone()[0] == 1
    assert db.execute(charts["opened"], {"week": WEEK, "org": "facts-org"}).fetchone()[0] == 1
    activity = {(r["week"], r["kind"]): r["n"] for r in db.query(
        charts["activity"], {"week": WEEK, "org": ""})}
    assert activity[(START, "Issues & PRs opened")] == 1


def test_deleted_spam_author_is_nobody_anywhere(week_db):
    db = open_db(str(week_db))
    data = digest.collect(db, WEEK)
    assert [p["login"] for p in data["first_timers"]] == ["facts-alice"]
    assert SPAM_TITLE not in str(data)
    row = db["digests"].get(WEEK)
    for text in (row["content_html"], row["content_md"], row["atom_content_html"]):
        assert SPAM_LOGIN not in text and SPAM_TITLE not in text
        assert "facts-org/one/issues/6" not in text
        assert "2 new contributors" not in text
    # One person welcomed (#21's "Welcome, new contributors" section), the spammer never.
    welcome = row["content_md"].split("## Welcome, new contributors")[1].split("\n## ")[0]
    assert "facts-alice" in welcome and welcome.count("\n- ") == 1
    for name in FEEDS[:2]:
        rows = run_query(db, name, week=WEEK)
        assert SPAM_LOGIN not in str(rows) and SPAM_TITLE not in str(rows), name
    top = {r["repo"]: r["events"] for r in db.query(chart_sql()["top-repos"],
                                                    {"week": WEEK, "org": ""})}
    assert "facts-org/one" not in top or top["facts-org/one"] < 4  # no deleted issue's activity
    responses = fetch(week_db, [(f"/tracker/{name}.atom", {"week": WEEK}) for name in FEEDS[:2]]
                      + [("/tracker/digest.atom", {}), ("/-/dashboards/ecosystem-pulse", {}),
                         ("/tracker.json", {"sql": chart_sql()["opened"], "week": WEEK,
                                            "org": "", "_shape": "array"})])
    for response in responses[:3]:
        assert response.status_code == 200, response.text[:300]
        feed = feedparser.parse(response.text)
        assert not feed.bozo and feed.entries
        assert SPAM_LOGIN not in response.text and SPAM_TITLE not in response.text
        assert "facts-org/one/issues/6" not in response.text
    firsts = feedparser.parse(responses[0].text)
    assert [e.link for e in firsts.entries] == [MOVED_TO]
    assert responses[3].status_code == 200
    assert responses[4].status_code == 200 and responses[4].json() == [{"n": 1}]


# ---------------------------------------------------------------- "new" means new

EXT = "jupyterlab-extension"
T1, T2, T3 = (datetime(2026, 11, 16, 10, tzinfo=timezone.utc).timestamp(),
              datetime(2026, 11, 17, 10, tzinfo=timezone.utc).timestamp(),
              datetime(2026, 11, 19, 10, tzinfo=timezone.utc).timestamp())


class Clock:
    """The emulator's and the client's time; sleeping moves it on, and a sleep may
    stand for the moment SIGTERM arrives (``stop_on_sleep``)."""

    def __init__(self, t):
        self.t, self.stop = t, None

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds
        if self.stop is not None:
            self.stop.set()  # the operator's SIGTERM, while the run waits

    def stamp(self):
        return datetime.fromtimestamp(self.t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def discovery_run(emu, clock, db):
    with GitHubClient(TOKEN, emu.url, clock=clock, sleep=clock.sleep, stop=clock.stop) as client:
        return discover(client, db, Config(topics=[EXT]), clock.stamp(),
                        state=load_states(db), log=lambda m: None)


def first_sweep_then_complete(tmp_path, spoil):
    """Run 1 (Monday) with its sweep spoiled, run 2 (Tuesday) complete, then a repo
    created on Wednesday, found by run 3 (Thursday). Old repos: created 2019-2023."""
    store = load_facts()
    add_discoverable_repos(store, 250, [EXT], seed=20, second_topic=0,
                           start="2019-01-01T00:00:00Z", end="2023-12-31T00:00:00Z")
    clock = Clock(T1)
    emu = Emulator(store, tokens={TOKEN}, search_limit=2 if spoil == "interrupted" else 30)
    emu.start()
    emu.limits.clock = clock
    path = tmp_path / "tracker.db"
    db = open_db(str(path))
    try:
        if spoil == "incomplete":
            store.search_incomplete = 100  # GitHub's search keeps timing out
            first = discovery_run(emu, clock, db)
            assert first.incomplete == [f"topic:{EXT}"]
            store.search_incomplete = 0
        else:
            import threading
            clock.stop = threading.Event()
            with pytest.raises(Stopped):
                discovery_run(emu, clock, db)
            clock.stop = None
        partial = db.execute("select count(*) from repo_sources").fetchone()[0]
        assert 0 < partial < 250  # the spoiled sweep kept what it had found
        clock.t = T2
        second = discovery_run(emu, clock, db)
        assert second.incomplete == [] and second.swept == [f"topic:{EXT}"]
        with store.lock:
            fresh = store.add_repo("facts-dev", "facts-brand-new", owner_type="User",
                                   id=799_000_001, description="[synthetic] Made on Wednesday",
                                   language="Python", default_branch="main",
                                   created_at=T2 + 86400, pushed_at=T2 + 86400, topics=[EXT],
                                   stargazers_count=3)
            fresh.updated_at = fresh.pushed_at
        clock.t = T3
        discovery_run(emu, clock, db)
        # A watched repo's issue, so the week has activity and its digest exists.
        db["issues"].upsert({"id": 95100, "repo": 96100, "number": 1, "type": "issue",
                             "title": "[synthetic] hello", "state": "open",
                             "created_at": "2026-11-18T00:00:00Z"}, pk="id")
        db.conn.commit()
    finally:
        emu.stop()
    return path


@pytest.mark.parametrize("spoil", ["incomplete", "interrupted"])
def test_spoiled_first_sweep_announces_no_old_repo(tmp_path, spoil):
    path = first_sweep_then_complete(tmp_path, spoil)
    db = open_db(str(path))
    assert db.execute("select count(*) from repo_sources").fetchone()[0] == 251
    new = new_in_ecosystem(db, START, END)["repos"]
    assert [(r["full_name"], r["why"]) for r in new] == [("facts-dev/facts-brand-new", "created")]
    rows = run_query(db, "new_in_ecosystem", week=WEEK)
    assert [(r["repo"], r["why"]) for r in rows] == [("facts-dev/facts-brand-new", "created")]
    per_topic = list(db.query(chart_sql()["new-per-topic"], {"week": WEEK}))
    assert per_topic == [{"topic": EXT, "n": 1}]
    digest.build_digests(db, week=WEEK, now=NOW)
    row = db["digests"].get(WEEK)
    for text in (row["content_html"], row["content_md"]):
        assert "synthetic-project-" not in text and "first seen" not in text
        assert "facts-brand-new" in text
    (atom,) = fetch(path, [("/tracker/new_in_ecosystem.atom", {"week": WEEK})])
    assert atom.status_code == 200
    feed = feedparser.parse(atom.text)
    assert [e.title for e in feed.entries] == ["New in the ecosystem: facts-dev/facts-brand-new"]


def test_first_complete_sweep_is_kept_and_later_finds_are_news(tmp_path):
    path = first_sweep_then_complete(tmp_path, "incomplete")
    db = open_db(str(path))
    stamp = lambda t: datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert list(db.query("select * from discovery_backfills")) \
        == [{"source": f"topic:{EXT}", "completed_at": stamp(T2)}]
    news = list(db.query("select repo, news_at from discovery_finds where news_at is not null"))
    assert news == [{"repo": 799_000_001, "news_at": stamp(T3)}]


# ---------------------------------------------------------------- one copy of each rule

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
# What makes a rule, not a mention: a test on a user's type/login/is_bot, or
# arithmetic that finds a week's Monday or number.
BOT_RULE = __import__("re").compile(
    r"""like\s+'%\[bot\]'|endswith\(["']\[bot\]|[!=]=?\s*['"]Bot['"]|coalesce\([\w.]*is_bot"""
    r"""|\bnot\s+[\w.]*is_bot\b|is_bot\s*(=|!=|==|is)\s""")
WEEK_RULE = __import__("re").compile(
    r"""weekday|isocalendar|'-6 days'|'\+3 days'|%[WVGj]|timedelta\([^)]*weekday""")
# The shared definitions; the emulator is GitHub (it gives bots their type), and
# a [bot] login's profile is /apps/NAME on GitHub (a link, not who is a person).
OWNERS = {"tracker/weeks.py", "tracker/facts.py", "tracker/harvest/rows.py"}
NOT_RULES = ("tracker/emulator/", "tracker/datasette_plugin.py")


def test_bot_and_week_rules_live_only_in_the_shared_definitions():
    found = []
    for path in sorted((ROOT / "tracker").rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix not in (".py", ".sql", ".yml", ".html", ".j2") or rel in OWNERS \
                or rel.startswith(NOT_RULES):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if BOT_RULE.search(line) or WEEK_RULE.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == [], "a bot or week rule outside tracker/facts.py and tracker/weeks.py"


def test_the_bots_view_agrees_with_the_harvest_rule():
    from tracker.harvest.rows import is_bot

    users = [{"id": 1, "login": "alice", "type": "User"},
             {"id": 2, "login": "renovate[bot]", "type": "Bot"},
             {"id": 3, "login": "app[bot]", "type": "User"},
             {"id": 4, "login": "jupyterhub-bot", "type": "User"},  # on the bots: list
             {"id": 5, "login": "octo-org", "type": "Organization"}]
    db = open_db(sqlite_utils.Database(memory=True))
    db["users"].insert_all([{**u, "is_bot": int(is_bot(u, ["jupyterhub-bot"]))} for u in users])
    # Rows written before is_bot existed: the view still knows a bot by type or login.
    db["users"].insert_all([{**u, "id": u["id"] + 10} for u in users])
    bots = {r[0] for r in db.execute("select id from bots")}
    people = {r[0] for r in db.execute("select id from people")}
    assert bots == {2, 3, 4, 12, 13} and people == {1, 5, 11, 14, 15}


def test_sql_functions_hold_on_hostile_bytes():
    db = open_db(sqlite_utils.Database(memory=True))
    surrogate = "cast(x'eda080' as text)"  # as SQLite's JSON functions store "\ud800"
    row = db.execute(f"""select html_text(cast({surrogate} || '<b>&"' as blob)),
        safe_link(cast('javascript:alert(1)' as blob), cast({surrogate} as blob),
                  cast('https://ok.example/a?b=1' as blob)),
        plain_text(cast('<p>a &amp; <i>b</i>' || char(27) || '[2J</p>' as blob),
                   cast(600 as blob)),
        week_start(cast('2026-W53' as blob)), week_start(cast('2027-01-03T10:00:00Z' as blob)),
        iso_week(cast('2027-01-03' as blob)), iso_week(cast('2026-W54' as blob)),
        html_text(null), safe_link(null)""").fetchone()
    assert row == ("\ufffd" * 3 + "&lt;b&gt;&amp;&quot;", "https://ok.example/a?b=1", "a & b",
                   "2026-12-28", "2026-12-28", "2026-W53", None, None, None)


def test_a_section_runs_the_canned_query_over_any_period(week_db):
    from tracker.canned import canned_rows

    db = open_db(str(week_db))
    by_week = canned_rows(db, "first_time_contributors", week=WEEK)
    by_bounds = canned_rows(db, "first_time_contributors", START, END)
    assert by_week == by_bounds and [r["contributor"] for r in by_week] == ["facts-alice"]
    # A month (the digest's monthly issue) is the same query over other bounds.
    month = canned_rows(db, "busiest_this_week", "2026-11-01", "2026-12-01")
    assert [(r["repo"], r["number"]) for r in month] == [("facts-org/two", 9)]
