"""One definition of human activity: every digest section gives the same items
and numbers as the canned query it links to, for the same week (issue #12)."""

import pytest

from tracker.db import open_db
from tracker.digest import build as digest
from tracker.publish import load_queries
from test_digest import NOW, WEEK, add_week_rows
from sampledb import LATEST_WEEK, populate_sample

QUERIES = load_queries()


def add_bot_noise(db):
    """A week like 2026-W20 upstream: 'jupyterhub-bot' (a User flagged by the
    bots: list) comments twice on an issue 4 people discuss, and bots open
    dependency bumps that people comment on."""
    db["users"].upsert_all([
        {"id": 92001, "login": "jupyterhub-bot", "type": "User", "is_bot": 1},
        {"id": 92002, "login": "renovate[bot]", "type": "Bot", "is_bot": 0},
        {"id": 92003, "login": "github-actions", "type": "Bot"},
    ] + [{"id": 92010 + n, "login": f"person-{n}", "type": "User"} for n in range(5)],
        pk="id", alter=True)
    issue = dict(repo=80001, state="open", created_at="2026-11-02T00:00:00Z",
                 updated_at="2026-11-19T00:00:00Z")
    db["issues"].upsert_all([
        {**issue, "id": 63896, "number": 3896, "type": "issue", "user": 92010,
         "title": "Helm chart upgrade fails", "reactions": '{"+1": 9, "total_count": 9}'},
        {**issue, "id": 63897, "number": 3897, "type": "pull", "user": 92002,
         "title": "chore(deps): bump jupyterhub", "reactions": '{"+1": 50, "total_count": 50}'},
        {**issue, "id": 63898, "number": 3898, "type": "issue", "user": 92003,
         "title": "Nightly build failed", "reactions": '{"+1": 60, "total_count": 60}'},
    ], pk="id", alter=True)
    comments = [(63896, 92010 + n) for n in range(4)] + [(63896, 92001)] * 2 \
        + [(63897, 92011)] * 9 + [(63898, 92012)] * 8 + [(63897, 92002)] * 5
    db["issue_comments"].upsert_all([
        {"id": 53000 + i, "issue": issue_id, "repo": 80001, "user": user,
         "created_at": f"2026-11-18T10:{i:02d}:00Z"} for i, (issue_id, user) in enumerate(comments)],
        pk="id", alter=True)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    db = open_db(str(tmp_path_factory.mktemp("agree") / "tracker.db"))
    populate_sample(db)
    add_week_rows(db)
    add_bot_noise(db)
    db.conn.commit()
    return db


def query(db, name, **params):
    sql = QUERIES[name]["sql"]
    names = {"week": "", "repo": "", "days": "", "since": "", "weeks": ""}
    rows = [dict(r) for r in db.query(sql, {**names, **params})]
    return [r for r in rows if not (r.get("atom_id") or "").endswith(
        ("invalid-week",) + tuple(f":{w}" for w in (WEEK, LATEST_WEEK)))]


WEEKS = [LATEST_WEEK, WEEK]


@pytest.mark.parametrize("week", WEEKS)
def test_releases(db, week):
    data = digest.collect(db, week)
    rows = query(db, "releases_this_week", week=week)
    assert sorted((r["full_name"], r["tag_name"]) for r in data["releases"]) \
        == sorted((r["repo"], r["tag_name"]) for r in rows)
    assert data["metrics"]["this"]["releases"] == len(rows)


@pytest.mark.parametrize("week", WEEKS)
def test_new_repos(db, week):
    data = digest.collect(db, week)
    rows = query(db, "new_repos_this_week", week=week)
    assert sorted(r["full_name"] for r in data["new_repos"]) == sorted(r["repo"] for r in rows)
    assert data["metrics"]["this"]["new_repos"] == len(rows)


@pytest.mark.parametrize("week", WEEKS)
def test_most_discussed(db, week):
    data = digest.collect(db, week)
    rows = query(db, "busiest_this_week", week=week)
    assert [(r["full_name"], r["number"], r["week_comments"], r["people"])
            for r in data["discussed"]] \
        == [(r["repo"], r["number"], r["week_comments"], r["commenters"])
            for r in rows[: len(data["discussed"])]]
    assert len(data["discussed"]) == min(6, len(rows))


def test_bots_are_never_people(db):
    data = digest.collect(db, WEEK)
    discussed = {r["number"]: r for r in data["discussed"]}
    assert (discussed[3896]["week_comments"], discussed[3896]["people"]) == (4, 4)
    assert 3897 not in discussed and 3898 not in discussed  # bots' own items
    assert 3898 not in [r["number"] for r in data["reacted"]]
    logins = {p["login"] for p in data["first_timers"]}
    assert not logins & {"jupyterhub-bot", "renovate[bot]", "github-actions"}
    digest.build_digests(db, week=WEEK, now=NOW)
    html = db["digests"].get(WEEK)["content_html"]
    assert "6 comments" not in html and "4 comments from 4 people" in html
    bots = digest.collect(db, WEEK)["metrics"]["this"]["bot_prs"]
    # Counted in By the numbers ("N pull requests by bots"), never as people.
    assert ("by bots" in html) == bool(bots)


@pytest.mark.parametrize("week", WEEKS)
def test_most_reacted(db, week):
    data = digest.collect(db, week)
    rows = query(db, "most_reacted_open_issues", week=week)
    assert [(r["full_name"], r["number"], r["reactions"]) for r in data["reacted"]] \
        == [(r["repo"], r["number"], r["score"]) for r in rows[: len(data["reacted"])]]
    assert len(data["reacted"]) == min(5, len(rows))


@pytest.mark.parametrize("week", WEEKS)
def test_merged(db, week):
    data = digest.collect(db, week)
    rows = query(db, "merged_prs_per_repo", week=week)
    assert [(g["full_name"], g["merged"], g["bots"]) for g in data["merged"]] \
        == [(r["repo"], r["merged_prs"], r["by_bots"]) for r in rows]


@pytest.mark.parametrize("week", WEEKS)
def test_first_timers(db, week):
    data = digest.collect(db, week)
    rows = query(db, "first_time_contributors", week=week)
    assert sorted((p["login"], p["full_name"], p["new_to_ecosystem"])
                  for p in data["first_timers"]) \
        == sorted((r["contributor"], r["repo"], r["new_to_ecosystem"]) for r in rows)


@pytest.mark.parametrize("week", WEEKS)
def test_posts(db, week):
    data = digest.collect(db, week)
    rows = query(db, "posts_this_week", week=week)
    assert sorted((p["title"] or "", p["published"]) for p in data["posts"]) \
        == sorted((r["title"] or "", r["published"]) for r in rows)


@pytest.mark.parametrize("week", WEEKS)
def test_headline_numbers_match_the_pulse(db, week):
    m = digest.collect(db, week)["metrics"]["this"]
    (total,) = [r for r in query(db, "ecosystem_pulse", week=week) if r["org"] == "(all)"]
    assert (total["opened"], total["closed"], total["merged"], total["releases"]) \
        == (m["prs_opened"] + m["issues_opened"], m["issues_closed"], m["prs_merged"],
            m["releases"])


def test_release_arriving_through_a_feed_is_told_once(db):
    db["feed_entries"].upsert({"id": "rel-feed", "feed": "https://blog.example.org/feed",
                               "title": "v2.1.0", "published": "2026-11-17T10:05:00Z",
                               "link": "https://github.com/digest-org/old-repo/releases/tag/v2.1.0"},
                              pk="id")
    data = digest.collect(db, WEEK)
    assert "v2.1.0" in [r["tag_name"] for r in data["releases"]]
    assert "v2.1.0" not in [p["title"] for p in data["posts"]]
    assert "v2.1.0" not in [r["title"] for r in query(db, "posts_this_week", week=WEEK)]
