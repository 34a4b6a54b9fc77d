"""Our tables stay compatible with github-to-sqlite's, so Jupyter's queries run here.

Both projects save GitHub's official example bodies (tests/fixtures/github-api); every
table and column github-to-sqlite creates must exist here with the same name.
"""

import copy
import json

import pytest
import sqlite_utils

from conftest import GITHUB_API
from tracker.db import open_db
from tracker.harvest import save

g2s = pytest.importorskip("github_to_sqlite.utils")
CONTRACTS = GITHUB_API


REACTIONS = {"url": "https://api.github.com/repos/octocat/Hello-World/issues/1347/reactions",
             "total_count": 6, "+1": 3, "-1": 0, "laugh": 0, "hooray": 1, "confused": 0,
             "heart": 2, "rocket": 0, "eyes": 0}


def example(name):
    data = json.loads((CONTRACTS / f"{name}.json").read_text())
    body = copy.deepcopy(next(iter(data["response_200"]["examples"].values())))
    if name == "issues__list-for-repo":
        # GitHub's real payloads carry the reaction rollup; the example omits it.
        for issue in body:
            issue.setdefault("reactions", dict(REACTIONS))
    return body


@pytest.fixture(scope="module")
def both():
    repo = example("repos__get")
    theirs = sqlite_utils.Database(memory=True)
    ours = open_db(sqlite_utils.Database(memory=True))
    repo_id = g2s.save_repo(theirs, copy.deepcopy(repo))
    save.save_repo(ours, copy.deepcopy(repo), now="2026-11-26T00:00:00Z")
    g2s.save_releases(theirs, example("repos__list-releases"), repo_id)
    save.save_releases(ours, example("repos__list-releases"), repo_id)
    g2s.save_issues(theirs, example("issues__list-for-repo"), repo)
    save.save_issues(ours, example("issues__list-for-repo"), repo_id)
    g2s.save_pull_requests(theirs, example("pulls__list"), repo)
    save.save_pulls(ours, example("pulls__list"), repo_id)
    for comment in example("issues__list-comments-for-repo"):
        g2s.save_issue_comment(theirs, comment)
    save.save_comments(ours, example("issues__list-comments-for-repo"), repo_id)
    g2s.save_contributors(theirs, example("repos__list-contributors"), repo_id)
    save.save_contributors(ours, example("repos__list-contributors"), repo_id)
    g2s.save_commits(theirs, example("repos__list-commits"), repo_id)
    save.save_commits(ours, example("repos__list-commits"), repo_id)
    return theirs, ours


TABLES = [
    "repos", "users", "licenses", "releases", "assets", "issues", "labels",
    "issues_labels", "milestones", "pull_requests", "issue_comments",
    "contributors", "commits", "raw_authors",
]


@pytest.mark.parametrize("table", TABLES)
def test_same_tables_and_columns(both, table):
    theirs, ours = both
    if not theirs[table].exists():
        pytest.skip(f"github-to-sqlite did not create {table} from the examples")
    missing = set(theirs[table].columns_dict) - set(ours[table].columns_dict)
    assert not missing, f"{table} lacks github-to-sqlite columns {sorted(missing)}"


@pytest.mark.parametrize("table", ["repos", "issues", "pull_requests", "issue_comments",
                                   "releases", "contributors", "commits"])
def test_same_row_counts(both, table):
    theirs, ours = both
    assert ours[table].count == theirs[table].count


def test_github_to_sqlite_query_runs_unchanged(both):
    """A query written for github-to-sqlite's schema: open issues by reactions."""
    sql = """
        select repos.html_url, issues.number, issues.title,
          json_extract(issues.reactions, '$."+1"') + json_extract(issues.reactions, '$.heart')
          + json_extract(issues.reactions, '$.hooray') as score
        from issues join repos on repos.id = issues.repo
        where issues.state = 'open' order by score desc
    """
    theirs, ours = both
    assert list(ours.query(sql)) == list(theirs.query(sql))


def test_issue_fields_of_ours(both):
    _, ours = both
    issue = next(ours["issues"].rows)
    assert issue["type"] in ("issue", "pull")
    assert set(json.loads(issue["reactions"])) >= {"+1", "-1", "laugh", "hooray", "confused",
                                                   "heart", "rocket", "eyes", "total_count"}
    assert ours.execute("select count(*) from issues_labels").fetchone()[0] >= 1


def test_partial_user_never_clobbers_a_fuller_record():
    db = open_db(sqlite_utils.Database(memory=True))
    full = {"login": "minrk", "id": 151929, "type": "User", "name": "Min RK",
            "site_admin": False, "html_url": "https://github.com/minrk"}
    save.save_users(db, [full])
    save.save_users(db, [{"login": "minrk", "id": 151929, "type": "User"}])
    assert db["users"].get(151929)["name"] == "Min RK"
    save.save_users(db, [{"login": "pre-commit-ci[bot]", "id": 66853113, "type": "Bot"}])
    bot = db["users"].get(66853113)
    assert bot["name"] == "pre-commit-ci[bot]" and bot["is_bot"] == 1


def test_comment_saved_before_its_issue_is_linked_when_the_issue_arrives():
    db = open_db(sqlite_utils.Database(memory=True))
    repo = example("repos__get")
    save.save_repo(db, repo, now="2026-11-26T00:00:00Z")
    comments = example("issues__list-comments-for-repo")
    issues = example("issues__list-for-repo")
    for comment in comments:  # point the comment at the example issue
        comment["issue_url"] = issues[0]["url"]
    save.save_comments(db, comments, repo["id"])
    assert [r["issue"] for r in db["issue_comments"].rows] == [None] * len(comments)
    save.save_issues(db, issues, repo["id"])
    assert [r["issue"] for r in db["issue_comments"].rows] == [issues[0]["id"]] * len(comments)


# -- partial payloads (issue 14): never erase what another stream knows -------------

MERGED = "2011-01-26T19:01:12Z"


def _pr_pair():
    """The pulls example and its issue twin as the issues listing of GitHub Enterprise
    or an older API version sends it: pull_request without merged_at."""
    pull = example("pulls__list")[0]
    pull["merged_at"] = MERGED
    issue = example("issues__list-for-repo")[0]
    issue["number"] = pull["number"]
    issue["state"] = "closed"
    base = "https://api.github.com/repos/octocat/Hello-World"
    issue["pull_request"] = {"url": f"{base}/pulls/{pull['number']}",
                             "html_url": f"https://github.com/octocat/Hello-World/pull/{pull['number']}",
                             "diff_url": "https://github.com/octocat/Hello-World/pull/1347.diff",
                             "patch_url": "https://github.com/octocat/Hello-World/pull/1347.patch"}
    return pull, issue


@pytest.mark.parametrize("order", ["pulls first", "issues first"])
def test_pr_without_merged_at_in_the_issues_listing_keeps_its_merged_state(order):
    db = open_db(sqlite_utils.Database(memory=True))
    repo_id = save.save_repo(db, example("repos__get"), now="2026-11-26T00:00:00Z")
    pull, issue = _pr_pair()
    steps = [lambda: save.save_pulls(db, [copy.deepcopy(pull)], repo_id),
             lambda: save.save_issues(db, [copy.deepcopy(issue)], repo_id)]
    for step in steps if order == "pulls first" else steps[::-1]:
        step()
    merged = "select type, state, merged_at from issues where number = ?"
    assert list(db.query(merged, [pull["number"]])) == [
        {"type": "pull", "state": "closed", "merged_at": MERGED}]
    # Every later partial page keeps it, as does a mixed page with a full payload.
    other = copy.deepcopy(issue) | {"id": issue["id"] + 1, "number": 9999}
    other["pull_request"] = {**issue["pull_request"], "merged_at": None}
    save.save_issues(db, [copy.deepcopy(issue), other], repo_id)
    assert db["issues"].get(issue["id"])["merged_at"] == MERGED
    assert db["issues"].get(other["id"])["merged_at"] is None


def test_a_payload_without_reactions_or_author_keeps_the_stored_ones():
    db = open_db(sqlite_utils.Database(memory=True))
    repo_id = save.save_repo(db, example("repos__get"), now="2026-11-26T00:00:00Z")
    full = example("issues__list-for-repo")[0]
    save.save_issues(db, [copy.deepcopy(full)], repo_id)
    stored = db["issues"].get(full["id"])
    partial = {k: v for k, v in copy.deepcopy(full).items() if k not in ("reactions", "body")}
    partial.update(user=None, title="New title")
    save.save_issues(db, [partial], repo_id)
    after = db["issues"].get(full["id"])
    assert after == {**stored, "title": "New title"}
    assert after["user"] == full["user"]["id"] and json.loads(after["reactions"])["+1"] == 3


def test_a_comment_without_author_or_reactions_keeps_the_stored_ones():
    db = open_db(sqlite_utils.Database(memory=True))
    repo_id = save.save_repo(db, example("repos__get"), now="2026-11-26T00:00:00Z")
    full = example("issues__list-comments-for-repo")[0]
    save.save_comments(db, [copy.deepcopy(full)], repo_id)
    stored = db["issue_comments"].get(full["id"])
    assert stored["user"] == full["user"]["id"]
    partial = {k: v for k, v in copy.deepcopy(full).items() if k != "reactions"}
    partial.update(user=None, body="Edited")
    save.save_comments(db, [partial], repo_id)
    assert db["issue_comments"].get(full["id"]) == {**stored, "body": "Edited"}


def test_nested_objects_without_ids_are_saved_with_what_they_have():
    db = open_db(sqlite_utils.Database(memory=True))
    repo_id = save.save_repo(db, example("repos__get"), now="2026-11-26T00:00:00Z")
    one, two = example("issues__list-for-repo")[0], example("issues__list-for-repo")[0]
    two.update(id=two["id"] + 1, number=two["number"] + 1)
    for issue in (one, two):
        issue["labels"] = [{"name": "bug", "color": "f29513"}, "help wanted"]
        issue["assignee"] = {"login": "ghost"}  # no id: nothing to link
        issue["assignees"] = []
        issue["milestone"] = {"title": "v1.0", "state": "open", "id": 1002604}
    two["user"] = None
    two["milestone"] = {"title": "v2.0", "state": "open"}  # neither id nor number
    save.save_issues(db, [one, two], repo_id)
    labels = {r["name"]: r for r in db["labels"].rows}
    assert set(labels) == {"bug", "help wanted"}
    assert labels["bug"]["color"] == "f29513" and labels["bug"]["id"] < 0
    links = list(db.query("select issues_id, labels.name from issues_labels "
                          "join labels on labels.id = labels_id order by 1, 2"))
    assert links == [{"issues_id": one["id"], "name": "bug"},
                     {"issues_id": one["id"], "name": "help wanted"},
                     {"issues_id": two["id"], "name": "bug"},
                     {"issues_id": two["id"], "name": "help wanted"}]
    milestones = {r["title"]: r for r in db["milestones"].rows}
    assert milestones["v1.0"]["id"] == 1002604 and milestones["v1.0"]["number"] is None
    assert milestones["v2.0"]["id"] < 0 and milestones["v2.0"]["repo"] == repo_id
    rows = {r["id"]: r for r in db["issues"].rows}
    assert rows[one["id"]]["milestone"] == 1002604
    assert rows[two["id"]]["milestone"] == milestones["v2.0"]["id"]
    assert rows[one["id"]]["user"] == one["user"]["id"] and rows[two["id"]]["user"] is None
    assert rows[one["id"]]["assignee"] is None
    # Sent again: the synthetic keys are stable, no new rows.
    save.save_issues(db, [one], repo_id)
    assert db["labels"].count == 2


def test_an_issue_listed_again_is_no_longer_marked_gone():
    db = open_db(sqlite_utils.Database(memory=True))
    repo_id = save.save_repo(db, example("repos__get"), now="2026-11-26T00:00:00Z")
    issue = example("issues__list-for-repo")[0]
    save.save_issues(db, [copy.deepcopy(issue)], repo_id)
    db.execute("update issues set transferred_to = 'https://github.com/o/r/issues/1', "
               "transferred_at = '2026-11-27T00:00:00Z'")
    save.save_issues(db, [copy.deepcopy(issue)], repo_id)
    row = db["issues"].get(issue["id"])
    assert (row["transferred_to"], row["transferred_at"], row["deleted_at"]) == (None, None, None)
