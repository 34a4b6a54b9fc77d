"""#21: what a fresh user noticed reading the demo, each confirmed and held here:
the archive's stats once, a weekly meeting never the story or the lead, the lead's
sentences capitalised, `--db` after the edit subcommands, a version's key with or
without its tag's "v" (and the keys said in the draft preview)."""

import asyncio
import json
import re
from datetime import datetime, timezone

import pytest
import sqlite_utils
from click.testing import CliRunner

from sample_sources import events as sample_events  # noqa: F401  (populate_sample loads them)
from sampledb import LATEST_WEEK, populate_sample
from tracker.cli import cli
from tracker.db import open_db
from tracker.digest import build_digests, week_bounds
from tracker.digest import kinds, story
from tracker.digest.build import edit_digest, stored_issue
from tracker.digest.site import index_pages
from tracker.publish import make_datasette

WEEK = LATEST_WEEK  # 2026-W24
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tracker.db"
    populate_sample(sqlite_utils.Database(path)).close()
    return open_db(str(path))


def issue(db, week=WEEK):
    return stored_issue(db["digests"].get(week))


# ---------------------------------------------------------------- the archive

def test_the_archive_tells_each_weeks_counts_once(db):
    build_digests(db, all_weeks=True, now=NOW)
    rows = list(db.query("select * from digests where coalesce(period, 'week') = 'week' "
                         "order by week desc"))
    loud = [r for r in rows if r["section_count"]]
    assert loud and all(r["headline"] in r["title"] for r in loud)
    page = index_pages(rows, today="2026-07-01")["index.html"]

    async def get():
        return await make_datasette(db.execute("pragma database_list").fetchone()[2]) \
            .client.get("/digest?year=2026")

    served = asyncio.run(get())
    assert served.status_code == 200
    for text in (page, served.text):
        entries = re.findall(r"<li>(.*?)</li>", text, re.S)
        for r in [r for r in loud if r["week"] >= "2026"]:
            entry = next(e for e in entries if f'{r["week"]}' in e.split('">')[0])
            assert entry.count(r["headline"].replace("&", "&amp;")) == 1, entry


# ---------------------------------------------------------------- weekly meetings

def test_a_weekly_meeting_is_listed_once_and_never_the_story_or_the_lead(db):
    start, end = week_bounds(WEEK)
    events = kinds.events(db, start, end, {}, {})
    call = [e for e in events if e["id"].startswith("event:call@")]
    assert len(call) == 1 and call[0]["routine"] and "weekly" in call[0]["meta"]
    sprint = next(e for e in events if e["id"].startswith("event:sprint@"))
    assert not sprint["routine"]
    # A week whose only news would be the weekly call: quiet, left out of the feed.
    sections = [{"kind": "events", "title": "Coming up", "items": call},
                {"kind": "numbers", "title": "By the numbers", "items": []}]
    assert story.is_quiet(sections)
    assert story.title(None, None, {}, sections=sections) == "A quiet week"
    assert "Coming up" not in story.lead(None, None, sections, {"prs_merged": 2})
    # A one-off event alone is not news either (#21: upcoming events only: quiet) ...
    sections[0]["items"] = call + [sprint]
    assert story.is_quiet(sections)
    # ... but beside news it is the news-like item a title falls back on, and the lead's.
    sections.append({"kind": "posts", "title": "Community", "items": [
        {"id": "p1", "title": "[synthetic] A post", "meta": ""}]})
    assert not story.is_quiet(sections)
    assert story.title(None, None, {}, sections=sections).startswith("Coming up: [synthetic] Sprint")
    assert "Coming up: [synthetic] Sprint" in story.lead(None, None, sections, {})


def test_a_week_of_weekly_meetings_only_is_quiet_on_every_page(db):
    # 2026-W25: nothing harvested, the weekly call of the week after only.
    build_digests(db, week="2026-W25", now=NOW)
    row = db["digests"].get("2026-W25")
    assert row["section_count"] == 0 and row["quiet"] == 1
    assert row["title"].startswith("A quiet week")
    # Its one line is the title; no output says it twice (the Markdown's heading once).
    assert row["title"] not in row["content_html"]
    assert row["content_md"].count("A quiet week") == 1


# ---------------------------------------------------------------- the lead's sentences

def test_a_pinned_items_lead_sentences_start_with_a_capital(db):
    db["releases"].upsert({"id": 3950, "repo": 2001, "tag_name": "v1.3.0", "name": "v1.3.0",
                           "body": "faster startup. now with a cache.",
                           "published_at": "2026-06-12T10:00:00Z",
                           "html_url": "https://github.com/jupyter/sample-notebook/releases/tag/v1.3.0"},
                          pk="id", alter=True)
    db.conn.commit()
    build_digests(db, week=WEEK, now=NOW)
    edit_digest(db, WEEK, "jupyter/sample-notebook@1.3.0", "pin", now=NOW)
    lead = issue(db)["lead"]
    assert lead.startswith("Sample-notebook 1.3.0. Faster startup."), lead
    assert not re.search(r"(?<!\w\.\w)[.!?] [a-z]", lead.split(" Also this")[0]), lead
    # The editor's own words are kept as written.
    from tracker.digest import set_note
    set_note(db, WEEK, "lower case, as the editor wrote it.", now=NOW)
    assert issue(db)["lead"] == "lower case, as the editor wrote it."


# ---------------------------------------------------------------- the CLI and keys

def test_edit_commands_take_db_after_the_subcommand_too(db):
    path = db.execute("pragma database_list").fetchone()[2]
    build_digests(db, week=WEEK, now=NOW)
    runner = CliRunner()
    listing = runner.invoke(cli, ["digest", "items", "--db", path, WEEK])
    assert listing.exit_code == 0 and "jupyter/sample-notebook@1.2.0" in listing.output
    item = "jupyter/sample-notebook@1.2.0"
    for args in (["pin", WEEK, item, "--db", path],
                 ["comment", "--db", path, WEEK, item, "Try this"],
                 ["hide", "--db", path, WEEK, item, "--undo"]):
        done = runner.invoke(cli, ["digest", *args])
        assert done.exit_code == 0, (args, done.output)
    # --config after the subcommand is read too (here: a file that is not there)
    absent = runner.invoke(cli, ["digest", "hide", "--db", path, "--config",
                                 str(path) + ".absent.yml", WEEK, item])
    assert absent.exit_code == 2 and ".absent.yml not found" in absent.output
    edits = {(r["item"], r["action"]) for r in db.query("select * from digest_edits")}
    assert edits == {(item, "pin"), (item, "comment")}
    # the subcommand's --db wins over the group's
    other = runner.invoke(cli, ["digest", "--db", str(path) + ".missing", "items", "--db",
                                path, WEEK])
    assert other.exit_code == 0, other.output


@pytest.mark.parametrize("key", ["jupyter/sample-notebook@v1.2.0", "jupyter/sample-notebook@1.2.0",
                                 "sample-notebook@v1.2.0", "Sample-Notebook@1.2.0"])
def test_a_version_is_named_with_or_without_its_v(db, key):
    build_digests(db, week=WEEK, now=NOW)
    assert edit_digest(db, WEEK, key, "pin", now=NOW) == ["jupyter/sample-notebook@1.2.0"]
    assert issue(db)["story"] == "pinned"
    other = key.replace("@v", "@") if "@v" in key else key.replace("@", "@v")
    edit_digest(db, WEEK, other, "pin", undo=True, now=NOW)
    assert issue(db)["story"] != "pinned"


def test_the_draft_preview_says_each_items_key(db):
    build_digests(db, week=WEEK, now=NOW)
    row = db["digests"].get(WEEK)
    # The running period: a draft (its end after today, whatever day the test runs).
    db["digests"].upsert({**row, "week": "2999-W01", "period_end": "2999-01-06"}, pk="week")
    db.conn.commit()
    path = db.execute("pragma database_list").fetchone()[2]

    async def get(week):
        return await make_datasette(path).client.get(f"/digest/{week}")

    draft, done = asyncio.run(get("2999-W01")), asyncio.run(get(WEEK))
    keys = [it["id"] for s in json.loads(row["sections_json"])["sections"]
            if s["kind"] not in ("numbers", "note") for it in s["items"]]
    assert draft.status_code == 200 and "The keys of this draft" in draft.text
    for key in keys:
        assert f"<code>{key.replace('&', '&amp;')}</code>" in draft.text, key
    assert "The keys of this draft" not in done.text


# ---------------------------------------------------------------- reading the demo (item 4)

def test_one_version_spelled_three_ways_is_told_once(db):
    db["releases"].upsert_all([
        {"id": 3960, "repo": 2001, "tag_name": "v2.0.0-rc0", "name": "v2.0.0-rc0", "body": "",
         "prerelease": 1, "published_at": "2026-06-10T10:00:00Z",
         "html_url": "https://github.com/jupyter/sample-notebook/releases/tag/v2.0.0-rc0"},
        {"id": 3961, "repo": 2001, "tag_name": "v2.0.0.rc0", "name": "v2.0.0.rc0", "body": "",
         "prerelease": 1, "published_at": "2026-06-10T10:05:00Z",
         "html_url": "https://github.com/jupyter/sample-notebook/releases/tag/v2.0.0.rc0"}],
        pk="id", alter=True)
    db["package_releases"].upsert({
        "registry": "pypi", "name": "sample-notebook", "version": "2.0.0rc0", "prerelease": 1,
        "yanked": 0, "published_at": "2026-06-10T10:20:00Z", "synthetic": 1,
        "url": "https://pypi.org/project/sample-notebook/2.0.0rc0/"},
        pk=("registry", "name", "version"), alter=True)
    db.conn.commit()
    start, end = week_bounds(WEEK)
    items = [kinds.made(it) for it in kinds.releases(db, start, end, {}, {})
             if it["group"] == "jupyter/sample-notebook" and it["version"].startswith("2.0.0")]
    assert len(items) == 1, items
    assert items[0]["url"].endswith("/tag/v2.0.0-rc0")
    assert items[0]["meta"] == "pre-release · also on PyPI (partly synthetic)"
    assert not items[0]["synthetic"]  # a GitHub release is real
    assert kinds.version_key("v0.9.0-beta.1") == kinds.version_key("0.9.0b1") == "0.9.0b1"


def test_titles_keep_their_bracketed_words_and_never_are_counts_alone(db):
    from tracker.digest.activity import _title
    assert _title("[synthetic] Issue #1545") == "[synthetic] Issue #1545"
    assert _title("[WIP] Add `x` in [the docs](https://example.org)") == "[WIP] Add x in the docs"
    sections = [{"kind": "releases", "title": "Releases and announcements",
                 "items": [{"title": "cell-timer 0.2.0", "badge": None}]}]
    assert story.title(None, None, {"prs_merged": 3}, sections=sections) == \
        "Releases and announcements: cell-timer 0.2.0 · 3 merged PRs"


def test_the_emails_text_part_reads_as_plain_text(db):
    import email
    import email.policy
    from tracker.digest import export_digest

    build_digests(db, week=WEEK, now=NOW)
    message = email.message_from_string(export_digest(db, fmt="email", week=WEEK, now=NOW),
                                        policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    numbers = text.split("BY THE NUMBERS\n==============\n\n", 1)[1].split("\n\n", 1)[0]
    assert numbers.count("\n* ") >= 2 and "\n\n" not in numbers  # one compact list
    for s in issue(db)["sections"]:  # every item's links, the person's contribution too
        for it in s["items"]:
            for link in (it.get("url"), it.get("link")):
                assert not link or f"<{link}>" in text, link


def test_a_summary_is_the_releases_own_prose_before_an_upgrade_warning():
    from tracker.digest.summary import release_summary
    body = ("```{admonition} If you are upgrading from 3.0.x\n:class: warning\n\n"
            "A bug in KubeSpawner made user pods risk be orphaned.\n```\n\n"
            "We now publish the chart's images to both Quay.io and Docker Hub.\n")
    assert release_summary(body) == \
        "We now publish the chart's images to both Quay.io and Docker Hub."
    # with nothing else to say, the admonition's prose is the summary
    assert release_summary(body.split("\n\nWe now")[0]) == \
        "A bug in KubeSpawner made user pods risk be orphaned."


def test_hiding_what_is_not_there_says_so_and_an_empty_week_lists_none(db):
    """A typo'd hide is saved but warned about, like pin and comment; a hide that
    matches says which item; `items` of a week without items says so (a reader's trial)."""
    path = db.execute("pragma database_list").fetchone()[2]
    build_digests(db, week=WEEK, now=NOW)
    runner = CliRunner()
    typo = runner.invoke(cli, ["digest", "hide", "--db", path, WEEK, "nosuch/thing#1"])
    assert typo.exit_code == 0 and "no item of" in typo.output and "Hid" not in typo.output
    hid = runner.invoke(cli, ["digest", "hide", "--db", path, WEEK,
                              "jupyter/sample-notebook@1.2.0"])
    assert hid.exit_code == 0 and "Hid jupyter/sample-notebook" in hid.output, hid.output
    empty = "2025-W13"  # the sample has nothing that week
    build_digests(db, week=empty, now=NOW)
    listed = runner.invoke(cli, ["digest", "items", "--db", path, empty])
    assert listed.exit_code == 0 and f"No items in {empty}" in listed.output, listed.output
