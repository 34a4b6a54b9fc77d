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
