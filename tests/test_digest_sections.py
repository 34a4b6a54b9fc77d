"""#21: sections as data, the headline rule, release summaries, the editor's hand,
the email export, quiet weeks and monthly issues. Every section kind is held to
SQL written independently here, on the sample database plus rows of its own."""

import email
import email.policy
import json
import re
from datetime import datetime, timezone

import feedparser
import pytest
import sqlite_utils
from click.testing import CliRunner

from sample_sources import events as sample_events  # noqa: F401  (populate_sample loads them)
from sampledb import LATEST_WEEK, populate_sample
from tracker.cli import cli
from tracker.config import ConfigError, parse_config
from tracker.db import open_db
from tracker.digest import build_digests, export_digest, week_bounds
from tracker.digest import activity, kinds
from tracker.digest.build import edit_digest, stored_issue
from tracker.digest.layout import DEFAULT_SECTIONS, Section
from tracker.digest.summary import inline_text, release_summary

WEEK = LATEST_WEEK  # 2026-W24: Mon 8 - Sun 14 Jun 2026
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)


def seed_week(db):
    """Labels, forum topics, tagged posts and a discovered repository in WEEK."""
    db["labels"].upsert_all([{"id": 7001, "name": "good first issue", "repo": 2001},
                             {"id": 7002, "name": "bug", "repo": 2001}], pk="id", alter=True)
    db["issues"].upsert_all([
        {"id": 8801, "repo": 2001, "number": 801, "type": "issue", "state": "open", "user": 1,
         "title": "Document the `--port` option", "created_at": "2026-06-09T10:00:00Z",
         "html_url": "https://github.com/jupyter/sample-notebook/issues/801"},
        {"id": 8802, "repo": 2001, "number": 802, "type": "issue", "state": "open", "user": 1,
         "title": "A bug, not for newcomers", "created_at": "2026-06-09T11:00:00Z",
         "html_url": "https://github.com/jupyter/sample-notebook/issues/802"},
        {"id": 8803, "repo": 2001, "number": 803, "type": "issue", "state": "open", "user": 1,
         "title": "Last week's good first issue", "created_at": "2026-06-01T11:00:00Z"},
    ], pk="id", alter=True)
    db["issues_labels"].insert_all([
        {"issues_id": 8801, "labels_id": 7001}, {"issues_id": 8802, "labels_id": 7002},
        {"issues_id": 8803, "labels_id": 7001}], pk=("issues_id", "labels_id"), ignore=True)
    db["feeds"].upsert({"url": "https://edu.example.org/feed", "title": "[synthetic] Edu",
                        "tags": json.dumps(["education"])}, pk="url", alter=True)
    db["feed_entries"].upsert_all([
        {"id": "edu-1", "feed": "https://edu.example.org/feed", "title": "[synthetic] A course",
         "link": "https://edu.example.org/course", "published": "2026-06-10T08:00:00Z",
         "tags": json.dumps(["teaching"])},
        {"id": "edu-2", "feed": "https://edu.example.org/feed", "title": "[synthetic] Binder",
         "link": "https://edu.example.org/binder", "published": "2026-06-11T08:00:00Z",
         "tags": json.dumps(["binder"])}], pk="id", alter=True)
    db["discourse_topics"].upsert_all([
        {"site": "https://forum.example.org", "id": 501, "title": "[synthetic] Spawner help",
         "category": "jupyterhub", "created_at": "2026-06-09T10:00:00.000Z", "reply_count": 9,
         "like_count": 3, "views": 100, "tags": "[]", "synthetic": 1,
         "url": "https://forum.example.org/t/spawner/501"},
        {"site": "https://forum.example.org", "id": 502, "title": "[synthetic] Old topic",
         "category": "general", "created_at": "2026-05-01T10:00:00.000Z", "reply_count": 1,
         "like_count": 0, "views": 5, "tags": "[]", "synthetic": 1,
         "url": "https://forum.example.org/t/old/502"}], pk=("site", "id"), alter=True)
    db["repos"].upsert({"id": 2901, "full_name": "someone/rocket-ext", "name": "rocket-ext",
                        "description": "[synthetic] An extension that took off",
                        "stargazers_count": 120, "html_url": "https://github.com/someone/rocket-ext",
                        "created_at": "2026-06-10T00:00:00Z", "topics": '["jupyterlab-extension"]'},
                       pk="id", alter=True)
    db["repo_sources"].upsert_all([
        {"repo": 2901, "source": "topic:jupyterlab-extension",
         "first_seen_at": "2026-06-11T00:00:00Z"},
        {"repo": 2002, "source": "topic:jupyterlab-extension",
         "first_seen_at": "2026-01-01T00:00:00Z"}], pk=("repo", "source"), alter=True)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tracker.db"
    populate_sample(sqlite_utils.Database(path)).close()
    db = open_db(str(path))
    seed_week(db)
    db.conn.commit()
    return db


def independent(db, sql, week=WEEK):
    start, end = week_bounds(week)
    return sorted(tuple(r) for r in db.execute(sql, {"start": start, "end": end}))


CTX = {"metrics": {"this": {}, "prev": {}}, "previous_label": "last week"}


# ---------------------------------------------------------------- each kind vs SQL

@pytest.mark.parametrize("week", ["2026-W23", WEEK])
def test_each_kind_agrees_with_independent_sql(db, week):
    start, end = week_bounds(week)

    def ids(kind, selector=None):
        return sorted(it["id"] for it in getattr(kinds if hasattr(kinds, kind) else activity,
                                                 kind)(db, start, end, selector or {}, CTX))

    # A project version wherever it appeared (GitHub, PyPI, npm, conda-forge), once,
    # in the week of its first appearance, unless every place yanked it.
    assert ids("releases") == sorted(r for (r,) in independent(db, """
        select key from (
            select repos.full_name || '@' || ltrim(tag_name, 'vV') as key,
                   published_at as at, 0 as yanked from releases
            join repos on repos.id = releases.repo
            where published_at is not null and not coalesce(draft, 0)
            union all
            select coalesce(repos.full_name, lower(replace(replace(pr.name, '_', '-'), '.', '-')))
                   || '@' || pr.version, pr.published_at,
                   coalesce(pr.yanked, 0) or pr.deprecated is not null
            from package_releases pr
            join packages p on p.registry = pr.registry and p.name = pr.name
            left join repos on repos.id = p.repo where pr.published_at is not null)
        group by key having date(min(at)) >= :start and date(min(at)) < :end
           and min(yanked) = 0""", week))
    posts = ids("posts")
    assert posts == sorted({*[r for (r,) in independent(db, """
        select case when link like 'http%' and link not like '% %' then link
                    else 'post:' || e.id end from feed_entries e
        join feeds f on f.url = e.feed
        where date(published) >= :start and date(published) < :end
          and coalesce(f.tags, '') not like '%"releases"%'
          and not (e.link like 'http%'
                   and exists (select 1 from releases r where r.html_url = e.link))""", week)],
        *[r for (r,) in independent(db, """select url from discourse_topics
            where date(created_at) >= :start and date(created_at) < :end""", week)]})
    # A series meeting every week is listed once (its next meeting): routine, not news.
    assert len(ids("events")) == len(independent(db, """select distinct uid,
            case when exists (select 1 from events a join events b on a.uid = b.uid
                              where a.uid = e.uid and b.dtstart > a.dtstart
                                and coalesce(a.status, '') != 'CANCELLED'
                                and coalesce(b.status, '') != 'CANCELLED'
                                and julianday(substr(b.dtstart, 1, 19))
                                    - julianday(substr(a.dtstart, 1, 19)) <= 7)
                 then '' else dtstart end
        from events e
        where date(substr(dtstart, 1, 10)) >= :end
          and date(substr(dtstart, 1, 10)) < date(:end, '+14 days')
          and coalesce(status, '') != 'CANCELLED' and missing_since is null""", week))
    assert len(ids("papers")) == len(independent(db, """select id from papers
        where date(published) >= :start and date(published) < :end""", week))
    assert ids("repositories", {"rank": "new"}) == [r for (r,) in independent(db, """
        select full_name from repos where tracked_via is not null
          and date(created_at) >= :start and date(created_at) < :end""", week)]
    labelled = ids("issues", {"rank": "labelled", "labels": ["good first issue"]})
    assert labelled == [r for (r,) in independent(db, """
        select repos.full_name || '#' || i.number from issues i
        join repos on repos.id = i.repo join issues_labels il on il.issues_id = i.id
        join labels l on l.id = il.labels_id
        where l.name = 'good first issue' and i.state = 'open' and i.type = 'issue'
          and repos.tracked_via is not null
          and date(i.created_at) >= :start and date(i.created_at) < :end""", week)]
    assert ids("people") == sorted(f"@{r}" for (r,) in independent(db, """
        select distinct u.login from first_contributions_per_repo f join users u on u.id = f.user
        where date(f.first_at) >= :start and date(f.first_at) < :end
          and not coalesce(u.is_bot, 0) and coalesce(u.type, '') != 'Bot'
          and u.login not like '%[bot]'""", week))
    if week == WEEK:
        assert labelled == ["jupyter/sample-notebook#801"]
        assert "someone/rocket-ext" in ids("repositories", {"rank": "discovered"})
        assert ids("repositories", {"rank": "best"}) == ["someone/rocket-ext"]
        assert ids("posts", {"tags": ["education"]}) == ["https://edu.example.org/binder",
                                                         "https://edu.example.org/course"]
        assert ids("posts", {"tags": ["binder"]}) == ["https://edu.example.org/binder"]
        assert ids("posts", {"categories": ["jupyterhub"]}) == [
            "https://forum.example.org/t/spawner/501"]


def test_the_shipped_layout_lights_up_on_the_sample(db):
    build_digests(db, week=WEEK, now=NOW)
    issue = stored_issue(db["digests"].get(WEEK))
    titles = [s["title"] for s in issue["sections"]]
    assert titles[:3] == ["Releases and announcements", "Project of the week", "Coming up"]
    assert {"Call for participation", "Papers and research", "Most discussed",
            "By the numbers"} <= set(titles)
    assert titles[-1] == "By the numbers"  # the counts close the issue
    assert issue["section_count"] >= 8
    assert [s.title for s in DEFAULT_SECTIONS][0] == "Editor's note"
    seen = [it["id"] for s in issue["sections"] if s["kind"] != "numbers" for it in s["items"]]
    assert len(seen) == len(set(seen))  # an item is told once, in its first section


# ---------------------------------------------------------------- empty sections

def outputs(db, week=WEEK):
    row = db["digests"].get(week)
    eml = email.message_from_string(export_digest(db, fmt="email", week=week, now=NOW),
                                    policy=email.policy.default)
    feed = export_digest(db, fmt="atom", now=NOW, feed_weeks=200, quiet="line")
    entry = next(e for e in feedparser.parse(feed).entries if e.id.endswith(week))
    return {"html": row["content_html"], "md": row["content_md"],
            "page": export_digest(db, fmt="html", week=week, now=NOW),
            "text": eml.get_body(("plain",)).get_content(),
            "email": eml.get_body(("html",)).get_content(),
            "atom": entry.content[0].value}


def test_a_section_with_no_rows_is_absent_from_every_output(db):
    layout = [Section("Papers and research", "papers"), Section("Nothing to see", "papers",
                                                                {"sources": ["nowhere"]}),
              Section("Releases", "releases"), Section("By the numbers", "numbers")]
    settings = parse_config("").digest
    settings.sections = layout
    build_digests(db, all_weeks=True, now=NOW, settings=settings)
    for name, text in outputs(db).items():
        assert "Nothing to see" not in text and "NOTHING TO SEE" not in text, name
        assert "0 papers" not in text and "0 releases" not in text, name
        assert "Releases" in text or "RELEASES" in text, name


# ---------------------------------------------------------------- the headline rule

def test_headline_rule_security_then_major_then_took_off_then_discussed(db):
    db["releases"].upsert_all([
        {"id": 3901, "repo": 2002, "tag_name": "v4.1.2", "name": "v4.1.2",
         "body": "Fixes GHSA-abcd-efgh-ijkl.", "published_at": "2026-06-12T10:00:00Z",
         "html_url": "https://github.com/jupyterlab/jupyterlab/releases/tag/v4.1.2"},
        {"id": 3902, "repo": 2004, "tag_name": "v6.0.0", "name": "v6.0.0",
         "body": "## Highlights\nA new major version.", "published_at": "2026-06-12T11:00:00Z",
         "html_url": "https://github.com/jupyterhub/jupyterhub/releases/tag/v6.0.0"}],
        pk="id", alter=True)

    def title():
        build_digests(db, week=WEEK, now=NOW)
        return db["digests"].get(WEEK)["title"]

    # The sample's PyPI-only security release (#22) is the story first.
    assert title().startswith("sample-hub 5.1.1 patches a security issue · ")
    hub = next(it for s in stored_issue(db["digests"].get(WEEK))["sections"]
               for it in s["items"] if it["id"] == "jupyterhub/sample-hub@5.1.1")
    assert "on PyPI, no GitHub release" in hub["meta"] and hub["badge"] == "security"
    edit_digest(db, WEEK, "jupyterhub/sample-hub@5.1.1", "hide", now=NOW)
    assert title().startswith("sample-lab 4.1.2 patches a security issue · ")
    edit_digest(db, WEEK, "jupyterlab/sample-lab@4.1.2", "hide", now=NOW)
    assert title().startswith("sample-hub 6.0.0 is out · ")
    edit_digest(db, WEEK, "jupyterhub/sample-hub@6.0.0", "hide", now=NOW)
    assert title().startswith("someone/rocket-ext took off: 120 stars in its first week · ")
    edit_digest(db, WEEK, "someone/rocket-ext", "hide", now=NOW)
    top = activity.issues(db, *week_bounds(WEEK), {"rank": "discussed"}, CTX)[0]
    assert title().startswith(f"Most discussed: {top['title']}")
    lead = stored_issue(db["digests"].get(WEEK))["lead"]
    assert lead.startswith("The most discussed thread was") and lead.count(". ") <= 3
    # The editor's pin outranks every rule; the note becomes the lead.
    edit_digest(db, WEEK, "https://edu.example.org/course", "pin", now=NOW)
    assert title().startswith("[synthetic] A course")
    from tracker.digest import set_note
    set_note(db, WEEK, "Hello from the editor.", now=NOW)
    assert stored_issue(db["digests"].get(WEEK))["lead"] == "Hello from the editor."


# ---------------------------------------------------------------- summaries

MARKUP = re.compile(r"\]\(|\*\*|__|```|~~~|:::|<[a-zA-Z/!]|\{[a-z-]+\}|^#|^\s*[-*+] |"
                    r"^\s*>|\[!|&[a-z]+;|https?://")


def real_releases():
    """Every release of the demo's real facts (tracker/data/jupyter), with its folder."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "tracker/data/jupyter"
    for path in sorted(root.glob("*/releases.json")):
        for release in json.loads(path.read_text()):
            yield path.parent.name, release


def real_release_notes():
    for _, release in real_releases():
        yield release.get("body")


def real_body(folder, tag):
    return next(r["body"] for f, r in real_releases() if (f, r["tag_name"]) == (folder, tag))


# github-activity / release-drafter lines that say nothing about the release
BOILERPLATE = re.compile(r"(?i)^\W*(no merged prs|full changelog|what's changed|new contributors|"
                         r"github contributors page|contributors to this release|merged prs)")


def test_summaries_of_real_release_notes_have_no_markup_or_cut_word():
    bodies = [b for b in real_release_notes() if b]
    assert len(bodies) >= 100
    nonempty = 0
    for body in bodies:
        summary = release_summary(body, limit=120)
        if not summary:
            continue
        nonempty += 1
        assert not MARKUP.search(summary), (summary, body[:300])
        assert "What's Changed" not in summary and "dependabot" not in summary.lower()
        assert not BOILERPLATE.match(summary), (summary, body[:300])
        assert len(summary) <= 120
        # never a sentence cut where its notes go on: "This release fixes" (then a
        # list), or a bullet's first line without its wrapped rest
        whole = release_summary(body, limit=10_000)
        rest = inline_text(body).partition(whole)[2]
        assert whole.endswith((".", "!", "?")) or not re.match(r"\s*(:(\s|$)|[a-z])", rest), \
            (whole, rest[:80])
        if summary.endswith("…"):  # cut at a word boundary: the last word is whole
            last = summary[:-1].split()[-1]
            assert re.search(r"(?<!\w)" + re.escape(last) + r"(?!\w)", inline_text(body)), \
                (summary, body[:300])
    assert nonempty >= len(bodies) // 2


@pytest.mark.parametrize("body,expected", [
    ("```{admonition} If you are upgrading from 3.0.x\n:class: warning\nRead the guide "
     "first. Really.\n```\n\nMore.", "Read the guide first."),
    ("## What's Changed\n* Bump foo from 1 to 2 by @dependabot[bot] in https://x/pull/1\n"
     "* Fix the **thing** in `code` by @me in https://github.com/a/b/pull/2", "Fix the thing in code"),
    ("<p>An <b>HTML</b> note &amp; more.</p>", "An HTML note & more."),
    ("**Full Changelog**: https://github.com/a/b/compare/1...2", ""),
])
def test_summary_cases(body, expected):
    assert release_summary(body) == expected


@pytest.mark.parametrize("folder,tag,expected", [
    # an {important} note that opens the notes is the release's own word; the
    # "This release fixes:" after it leads into a list and is no sentence
    ("jupyterhub__zero-to-jupyterhub-k8s", "4.3.3",
     "4.3.3 is a security release fixing vulnerabilities in jupyterhub and 2 authenticators."),
    ("jupyterhub__zero-to-jupyterhub-k8s", "4.3.4",
     "4.3.4 is a security release fixing a moderate CSRF vulnerability in jupyterhub."),
    # a wrapped bullet is one sentence, not its first line
    ("jupyterhub__zero-to-jupyterhub-k8s", "0.9.0-beta.1",
     "The default configuration is now catering to autoscaling clusters where nodes can be added "
     "and removed, as compared to fixed clusters where there is only a fixed amount of nodes."),
    ("jupyterhub__dockerspawner", "0.9.1", "Fix typo which would cause using the deprecated "
     ".hub_ip_connect configuration with JupyterHub 0.8 to crash instead of warn in 0.9.0."),
    # github-activity boilerplate is never a summary: nothing else, no summary
    ("voila-dashboards__voila", "v0.4.0b0", ""),
    ("voila-dashboards__voila", "0.1.1", ""),
    ("voila-dashboards__voila", "0.0.6", "Support Python < 3.6"),
])
def test_summaries_of_real_release_notes(folder, tag, expected):
    assert release_summary(real_body(folder, tag)) == expected


def test_markdown_shows_a_summarys_lt_as_itself():
    """voila 0.0.6 read "Support Python &lt; 3.6" in Markdown and text."""
    from tracker.digest.markdown import md

    summary = release_summary(real_body("voila-dashboards__voila", "0.0.6"))
    assert md(summary) == "Support Python < 3.6"  # CommonMark reads no tag in "< 3"
    # where "<" or "&" could start a tag or an entity, an entity keeps it text in
    # every Markdown reader (not all honour a backslash before "<")
    assert md("<script>x</script> &amp; <https://e.example>") == \
        "&lt;script>x&lt;/script> &amp;amp; &lt;https://e.example>"
    assert md("Q&A, a<b, 1 < 2") == "Q&A, a&lt;b, 1 < 2"
    for body in filter(None, real_release_notes()):
        text = md(release_summary(body))
        assert "&lt; " not in text and not re.search(r"<[A-Za-z/!?]", text), text


def test_long_summaries_are_cut_at_a_word():
    text = "Supercalifragilistic " * 20
    out = release_summary(text, limit=50)
    assert out.endswith("…") and len(out) <= 50 and out[:-1].split()[-1] == "Supercalifragilistic"


# ---------------------------------------------------------------- the editor's hand

def test_pin_hide_comment_change_every_output(db):
    build_digests(db, all_weeks=True, now=NOW)
    hidden, pinned = "https://edu.example.org/binder", "jupyter/sample-notebook#801"
    before = outputs(db)

    def shows(name, text, title):
        return (title.replace("[", "\\[").replace("]", "\\]") if name == "md" else title) in text

    assert all(shows(name, text, "[synthetic] Binder") for name, text in before.items())
    assert edit_digest(db, WEEK, hidden, "hide", now=NOW) == [hidden]  # matched before it went
    assert edit_digest(db, WEEK, pinned, "pin", now=NOW) == [pinned]
    assert edit_digest(db, WEEK, "https://edu.example.org/course", "comment",
                       "Worth <b>a</b> read", now=NOW) == ["https://edu.example.org/course"]
    after = outputs(db)
    for name, text in after.items():
        assert not shows(name, text, "[synthetic] Binder"), name
        assert "Worth" in text and "<b>a</b>" not in text, name
        assert "Document the --port option" in text.split("\n", 40)[0] + text[:3000], name
    assert db["digests"].get(WEEK)["title"].startswith("Document the --port option")
    assert "editor's pick" in after["html"]
    edit_digest(db, WEEK, hidden, "hide", undo=True, now=NOW)
    assert shows("md", outputs(db)["md"], "[synthetic] Binder")


def test_cli_edits_list_items_and_refuse_bad_input(db, tmp_path):
    path = db.execute("pragma database_list").fetchone()[2]
    build_digests(db, week=WEEK, now=NOW)
    runner = CliRunner()
    listing = runner.invoke(cli, ["digest", "--db", path, "items", WEEK])
    assert listing.exit_code == 0 and "jupyter/sample-notebook#801" in listing.output
    done = runner.invoke(cli, ["digest", "--db", path, "comment", WEEK, "jupyter/sample-notebook#801",
                               "Good first task"])
    assert done.exit_code == 0, done.output
    assert "Good first task" in open_db(path)["digests"].get(WEEK)["content_md"]
    for args in (["pin", "2026-W99", "x"], ["comment", WEEK, "x"], ["pin", "nope", "x"]):
        bad = runner.invoke(cli, ["digest", "--db", path, *args])
        assert bad.exit_code == 2 and "Traceback" not in bad.output, args


# ---------------------------------------------------------------- email

def test_email_export_is_mime_and_its_text_part_carries_every_item(db):
    build_digests(db, all_weeks=True, now=NOW)
    raw = export_digest(db, fmt="email", week=WEEK, base_url="https://t.example.org", now=NOW)
    msg = email.message_from_string(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert " ".join(msg["Subject"].split()) == db["digests"].get(WEEK)["title"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    issue = stored_issue(db["digests"].get(WEEK))
    for section in issue["sections"]:
        for it in section["items"]:
            assert it["title"] in text, it
            assert not it["url"] or it["url"] in text, it
    assert "max-width:600px" in html and "<style" not in html and "<script" not in html
    assert "https://t.example.org/digest/2026-W24" in text  # read it on the web


# ---------------------------------------------------------------- monthly

def test_monthly_issues_pages_and_feed(db):
    settings = parse_config("digest: {period: month}").digest
    build_digests(db, all_weeks=True, now=NOW, settings=settings)
    months = [r["week"] for r in db.query("select week from digests where period = 'month' "
                                          "order by week")]
    assert "2026-06" in months and "2026-05" in months and all(len(m) == 7 for m in months)
    june = db["digests"].get("2026-06")
    assert june["period_start"] == "2026-06-01" and june["period_end"] == "2026-06-30"
    assert "June 2026" in june["content_html"]
    releases = independent(db, """select id from releases where published_at >= '2026-06-01'
        and published_at < '2026-07-01' and not coalesce(draft, 0)""")
    assert f"{len(releases)} releases" in june["content_html"]
    feed = feedparser.parse(export_digest(db, fmt="atom", period="month", now=NOW))
    assert not feed.bozo and feed.feed.title == "Tracking Jupyter: the monthly digest"
    assert feed.entries[0].id.endswith("month/2026-06")
    weekly = feedparser.parse(export_digest(db, fmt="atom", now=NOW))
    assert not [e for e in weekly.entries if "month" in e.id]
    md = export_digest(db, fmt="md", week="2026-06", period="month", now=NOW)
    assert "June 2026" in md


def test_period_month_from_the_command_line(db):
    """#21: `--period month` builds and exports a monthly issue without a config file."""
    path = db.execute("pragma database_list").fetchone()[2]
    runner = CliRunner()
    built = runner.invoke(cli, ["digest", "--db", path, "--period", "month", "--week", "2026-06"])
    assert built.exit_code == 0, built.output
    md = runner.invoke(cli, ["digest", "--db", path, "--period", "month", "--week", "2026-06",
                             "--format", "md"])
    assert md.exit_code == 0 and "June 2026" in md.output, md.output
    bad = runner.invoke(cli, ["digest", "--db", path, "--period", "year"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


# ---------------------------------------------------------------- configuration

@pytest.mark.parametrize("block,message", [
    ("digest: [1]", "'digest' must be a mapping"),
    ("digest: {colour: red}", "unknown key 'digest.colour'"),
    ("digest: {period: year}", "'digest.period'"),
    ("digest: {sections: [{title: X, kind: gossip}]}", "'digest.sections[0].kind'"),
    ("digest: {sections: [{kind: posts}]}", "'digest.sections[0].title'"),
    ("digest: {sections: [{title: X, kind: posts, selector: {labels: [a]}}]}",
     "'digest.sections[0].selector.labels'"),
    ("digest: {sections: [{title: X, kind: issues, selector: {rank: hot}}]}",
     "'digest.sections[0].selector.rank'"),
    ("digest: {sections: [{title: X, kind: note}, {title: x, kind: note}]}", "two sections"),
])
def test_digest_block_is_validated(block, message, tmp_path):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(block)
    config = tmp_path / "tracker.yml"
    config.write_text(block)
    db_path = tmp_path / "t.db"
    open_db(str(db_path))
    result = CliRunner().invoke(cli, ["digest", "--db", str(db_path), "--config", str(config)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_project_of_the_week_uses_exact_star_gains(db):
    """#25's stargazer history (history_weekly), when harvested, outranks snapshots."""
    db["history_coverage"].insert({"repo": 2002, "stream": "stargazers", "github_count": 400,
                                   "capped": 0}, alter=True)
    db["stars"].insert_all([{"user": 5000 + i, "repo": 2002, "starred_at": "2026-06-10T10:00:00Z"}
                            for i in range(300)], pk=("user", "repo"), alter=True)
    # Found by a topic and not watched (#21: a watched repo is never the project of the week).
    db["repos"].update(2002, {"description": "The sample lab", "tracked_via": None})
    ctx = {**CTX, "memo": {}}
    (best,) = activity.repositories(db, *week_bounds(WEEK), {"rank": "best"}, ctx)
    assert best["id"] == "jupyterlab/sample-lab" and best["meta"].startswith("+300★ this week")
    (before,) = activity.repositories(db, *week_bounds("2026-W23"), {"rank": "best"},
                                      {**CTX, "memo": {}})
    assert before["id"] != "jupyterlab/sample-lab" or "+300" not in before["meta"]


def _exact_stars(db, repo, n, at="2026-06-10T10:00:00Z"):
    db["history_coverage"].insert({"repo": repo, "stream": "stargazers", "github_count": n + 100,
                                   "capped": 0}, alter=True)
    db["stars"].insert_all([{"user": 7000 + i, "repo": repo, "starred_at": at}
                            for i in range(n)], pk=("user", "repo"), alter=True)


def test_a_watched_repo_that_a_topic_finds_is_never_the_project_of_the_week(db):
    """#21: the project of the week is the *discovered* repository with the best week."""
    repo = db.execute("select id from repos where full_name = 'jupyterlab/sample-extension'"
                      ).fetchone()[0]
    assert db.execute("select 1 from discovered_repos where repo = ?", [repo]).fetchone()
    _exact_stars(db, repo, 500)
    db["repos"].update(repo, {"description": "[synthetic] An extension"})
    (best,) = activity.repositories(db, *week_bounds(WEEK), {"rank": "best"},
                                    {**CTX, "memo": {}})
    assert best["id"] != "jupyterlab/sample-extension"
    db["repos"].update(repo, {"tracked_via": None})  # the same repo, found by the topic only
    (best,) = activity.repositories(db, *week_bounds(WEEK), {"rank": "best"},
                                    {**CTX, "memo": {}})
    assert best["id"] == "jupyterlab/sample-extension"


def test_the_project_of_the_week_is_not_the_headlines_project(db):
    repo = db.execute("select id from repos where full_name = 'jupyterhub/sample-hub'").fetchone()[0]
    db["repos"].update(repo, {"tracked_via": None, "description": "[synthetic] The hub"})
    db["repo_sources"].upsert({"repo": repo, "source": "topic:jupyterhub",
                               "first_seen_at": "2026-01-01T00:00:00Z"}, pk=("repo", "source"))
    _exact_stars(db, repo, 500)
    (alone,) = activity.repositories(db, *week_bounds(WEEK), {"rank": "best"},
                                     {**CTX, "memo": {}})
    assert alone["id"] == "jupyterhub/sample-hub"  # the best week, were it not the story
    build_digests(db, week=WEEK, now=NOW)
    issue = stored_issue(db["digests"].get(WEEK))
    assert "sample-hub" in issue["headline"]
    (potw,) = [s for s in issue["sections"] if s["title"] == "Project of the week"]
    assert [it["id"] for it in potw["items"]] != ["jupyterhub/sample-hub"]
    assert potw["items"] and potw["more"] == 0


def test_upcoming_events_and_a_project_of_the_week_alone_are_a_quiet_week():
    from tracker.digest import story

    potw = {"kind": "repositories", "rank": "best", "title": "Project of the week",
            "items": [{"id": "someone/x", "title": "someone/x", "meta": "+4★ this week"}]}
    events = {"kind": "events", "title": "Coming up",
              "items": [{"id": "event:cafe", "title": "[synthetic] Café", "meta": "Tue"}]}
    numbers = {"kind": "numbers", "title": "By the numbers", "items": [{"id": "n:stars"}]}
    assert story.is_quiet([potw, numbers])
    assert story.is_quiet([events, numbers])
    assert story.is_quiet([potw, events, numbers])
    post = {"kind": "posts", "title": "Community", "items": [{"id": "p", "title": "A post"}]}
    assert not story.is_quiet([potw, events, post, numbers])
    # Discovered repositories listed in their own sections are news.
    listed = {**potw, "rank": "discovered", "title": "Extensions and kernels"}
    assert not story.is_quiet([listed, numbers])
    # A project of the week that is new to the ecosystem, or took off, is news alone.
    for mark in ({"badge": "new"}, {"took_off": True}):
        news = {**potw, "items": [{**potw["items"][0], **mark}]}
        assert not story.is_quiet([news, numbers]), mark


def test_a_monthly_issue_says_month_not_week(db):
    from tracker.digest.monthly import compose_month

    repo = db.execute("select id from repos where full_name = 'jupyterlab/sample-extension'"
                      ).fetchone()[0]
    db["repos"].update(repo, {"tracked_via": None, "description": "[synthetic] An extension"})
    _exact_stars(db, repo, 52)
    issue = compose_month(db, "2026-06", layout=DEFAULT_SECTIONS)
    titles = [s["title"] for s in issue["sections"]]
    assert "Project of the month" in titles and "Project of the week" not in titles
    text = json.dumps(issue["sections"], ensure_ascii=False)
    assert "this month" in text and "★ this week" not in text


def test_a_watched_repos_stars_in_a_topic_section_alone_are_a_quiet_week():
    from tracker.digest import story

    hosted = {"kind": "repositories", "rank": "discovered", "title": "Hosted environments",
              "items": [{"id": "jupyterhub/dockerspawner", "title": "jupyterhub/dockerspawner",
                         "meta": "+4★ this week", "watched": True}]}
    numbers = {"kind": "numbers", "title": "By the numbers", "items": [{"id": "n:stars"}]}
    assert story.is_quiet([hosted, numbers])
    hosted["items"][0]["claims"] = ["dockerspawner@1.0.0"]  # its first release: news
    assert not story.is_quiet([hosted, numbers])


def test_topic_sections_flag_watched_repos(db):
    found = activity.repositories(db, *week_bounds(WEEK), {"rank": "discovered"},
                                  {**CTX, "memo": {}})
    watched = {r for (r,) in db.execute("select full_name from repos where tracked_via is not null")}
    assert found and all(bool(it.get("watched")) == (it["id"] in watched) for it in found)
