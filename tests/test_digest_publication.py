"""The digest as a publication: which weeks exist, text that cannot break XML,
the archive and navigation (issue #12)."""

import re
import xml.dom.minidom
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.db import open_db
from tracker.digest import DigestError, build_digests, export_digest, set_note, week_range
from tracker.publish import load_queries, make_datasette
from tracker.safe import clean
from test_digest import NOW, WEEK, add_week_rows, fetch
from sampledb import populate_sample

ANSI_TITLE = "\x1b[1mTypeError\x1b[0m on import"
CONTROL = "bell\x07 nul\x00 vt\x0b ff\x0c esc\x1b[31mred\x1b[0m \ufffe end"
FEED_QUERIES = sorted(name for name, q in load_queries().items() if "atom_id" in q["sql"])


def seed_control_characters(db):
    """An issue titled with ANSI colour codes and two comments in WEEK, and
    control characters in every other kind of harvested text."""
    db["users"].upsert({"id": 91001, "login": "ctl-user", "name": CONTROL}, pk="id")
    db["repos"].upsert({"id": 81001, "full_name": "ctl-org/ctl-repo", "name": "ctl-repo",
                        "owner": 91001, "description": CONTROL,
                        "html_url": "https://github.com/ctl-org/ctl-repo",
                        "created_at": "2026-11-17T00:00:00Z"}, pk="id")
    db["issues"].upsert({"id": 61001, "repo": 81001, "number": 7, "type": "issue",
                         "state": "open", "user": 91001, "title": ANSI_TITLE, "body": CONTROL,
                         "created_at": "2026-11-16T09:00:00Z",
                         "updated_at": "2026-11-18T09:00:00Z",
                         "html_url": "https://github.com/ctl-org/ctl-repo/issues/7",
                         "reactions": '{"+1": 3, "total_count": 3}'}, pk="id")
    db["issue_comments"].upsert_all([
        {"id": 51001 + i, "issue": 61001, "repo": 81001, "issue_number": 7, "user": 91001,
         "body": CONTROL, "created_at": f"2026-11-1{7 + i}T10:00:00Z"} for i in range(2)],
        pk="id")
    db["releases"].upsert({"id": 71001, "repo": 81001, "tag_name": "v1.0.0\x1b[0m",
                           "name": CONTROL, "body": CONTROL,
                           "published_at": "2026-11-18T10:00:00Z",
                           "html_url": "https://github.com/ctl-org/ctl-repo/releases/v1"},
                          pk="id")
    db["feeds"].upsert({"url": "https://ctl.example.org/feed", "title": CONTROL}, pk="url")
    db["feed_entries"].upsert({"id": "ctl-1", "feed": "https://ctl.example.org/feed",
                               "title": ANSI_TITLE, "summary": CONTROL, "author": CONTROL,
                               "link": "https://ctl.example.org/1",
                               "published": "2026-11-19T10:00:00Z"}, pk="id")


@pytest.fixture
def ctl_path(tmp_path):
    path = tmp_path / "tracker.db"
    db = open_db(str(path))
    populate_sample(db)
    add_week_rows(db)
    seed_control_characters(db)
    db.conn.commit()
    return path


def strict(text):
    """Parse with two strict XML parsers (no recovery, unlike feedparser)."""
    ET.fromstring(text.encode() if isinstance(text, str) else text)
    xml.dom.minidom.parseString(text.encode() if isinstance(text, str) else text)


def test_clean_strips_ansi_and_xml_forbidden_characters():
    assert clean(ANSI_TITLE) == "TypeError on import"
    assert clean(CONTROL) == "bell nul vt ff escred  end"
    assert clean("tab\tnewline\ncr\r ok é 😀") == "tab\tnewline\ncr\r ok é 😀"
    assert clean(None) is None


def test_every_atom_query_and_export_parses_strictly(ctl_path):
    db = open_db(str(ctl_path))
    build_digests(db, all_weeks=True, now=NOW)
    ds = make_datasette(ctl_path)
    paths = [f"/tracker/{name}.atom?week={WEEK}" for name in FEED_QUERIES]
    paths.append("/tracker/digest.atom?weeks=200")
    for path, response in zip(paths, fetch(ds, *paths)):
        assert response.status_code == 200, (path, response.text[:300])
        strict(response.content)
    body = fetch(ds, f"/tracker/busiest_this_week.atom?week={WEEK}")[0].text
    assert "TypeError on import" in body and "\x1b" not in body
    for fmt in ("atom", "html", "md"):
        out = export_digest(db, fmt=fmt, week=None if fmt == "atom" else WEEK, now=NOW)
        assert clean(out) == out, fmt  # nothing XML 1.0 forbids, no ANSI escapes
        if fmt == "atom":
            strict(out)
    assert "TypeError on import" in export_digest(db, fmt="md", week=WEEK, now=NOW)


def test_cli_atom_export_with_control_characters_parses(ctl_path, tmp_path):
    out = tmp_path / "x.atom"
    result = CliRunner().invoke(cli, ["digest", "--db", str(ctl_path), "--week", WEEK,
                                      "--format", "atom", "--output", str(out)])
    assert result.exit_code == 0, result.output
    strict(out.read_bytes())


# ---------------------------------------------------------------- weeks

@pytest.fixture
def db(ctl_path):
    return open_db(str(ctl_path))


@pytest.mark.parametrize("week", ["2030-W01", "1999-W01", "2026-W49"])
def test_weeks_outside_the_range_are_refused(db, week):
    with pytest.raises(DigestError):
        build_digests(db, week=week, now=NOW)
    with pytest.raises(DigestError):
        set_note(db, week, "hi", now=NOW)
    assert db["digests"].count == 0


def test_cli_refuses_out_of_range_weeks_with_exit_2(ctl_path):
    for week in ("2030-W01", "1999-W01"):
        result = CliRunner().invoke(cli, ["digest", "--db", str(ctl_path), "--week", week])
        assert result.exit_code == 2 and week in result.output, result.output
        assert "Traceback" not in result.output
    assert open_db(str(ctl_path))["digests"].count == 0


def test_week_accepts_a_date_in_it(db):
    assert build_digests(db, week="2026-11-18", now=NOW) == [WEEK]
    assert build_digests(db, week="2026-11-22T23:00:00Z", now=NOW) == [WEEK]


def test_epoch_and_future_dates_never_make_weeks(db):
    db["feed_entries"].insert({"id": "epoch", "feed": "https://ctl.example.org/feed",
                               "title": "epoch", "published": "1970-01-01T00:00:00Z"})
    db["issues"].insert({"id": 69998, "repo": 81001, "type": "issue",
                         "created_at": "2031-01-01T00:00:00Z"})
    first, running = week_range(db, now=NOW)
    assert first == "2025-W01" and running == "2026-W48"
    weeks = build_digests(db, all_weeks=True, now=NOW)
    assert weeks[0] == first and weeks[-1] == running
    assert "1970-W01" not in weeks and not [w for w in weeks if w > running]
    # every week in between exists, empty or not
    assert len(weeks) == len(set(weeks)) == 100


def test_running_week_is_built_but_never_exported(db):
    weeks = build_digests(db, now=NOW)  # a first build fills the archive
    assert weeks[0] == "2025-W01" and weeks[-2:] == ["2026-W47", "2026-W48"]
    assert build_digests(db, now=NOW) == ["2026-W47", "2026-W48"]
    xml_text = export_digest(db, fmt="atom", now=NOW)
    assert "digest/2026-W47" in xml_text and "2026-W48" not in xml_text
    with pytest.raises(DigestError, match="still running"):
        export_digest(db, fmt="md", week="2026-W48", now=NOW)
    later = NOW + timedelta(days=7)
    # 2026-W48 is quiet here: in the feed only when quiet weeks are published as a line.
    assert "2026-W48" in export_digest(db, fmt="atom", now=later, quiet="line")
    assert ("2026-W48" in export_digest(db, fmt="atom", now=later)) \
        == (not db["digests"].get("2026-W48")["quiet"])


def test_feed_carries_the_latest_complete_weeks_with_their_own_updated(db):
    build_digests(db, all_weeks=True, now=NOW)
    feed = ET.fromstring(export_digest(db, fmt="atom", now=NOW, feed_weeks=5))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    ids = [e.find("a:id", ns).text[-8:] for e in feed.findall("a:entry", ns)]
    loud = [w for (w,) in db.execute("select week from digests where not quiet and "
                                     "week <= '2026-W47' order by week desc limit 5")]
    assert ids == loud and ids[0] == "2026-W47"  # quiet weeks are left out
    # A change to one week moves only that entry's <updated>.
    db["releases"].insert({"id": 79999, "repo": 81001, "tag_name": "v9.9.9",
                           "published_at": "2026-11-10T10:00:00Z"})
    build_digests(db, week="2026-W46", now=NOW + timedelta(hours=3))
    feed = ET.fromstring(export_digest(db, fmt="atom", now=NOW, feed_weeks=5))
    updated = {e.find("a:id", ns).text[-8:]: e.find("a:updated", ns).text
               for e in feed.findall("a:entry", ns)}
    assert updated["2026-W46"] == "2026-11-25T12:00:00Z"
    assert {updated[w] for w in ids if w != "2026-W46"} == {"2026-11-25T09:00:00Z"}


# ---------------------------------------------------------------- archive

def test_archive_and_week_navigation(ctl_path):
    db = open_db(str(ctl_path))
    build_digests(db, all_weeks=True, now=NOW)
    ds = make_datasette(ctl_path)
    home, index, page, first, older = fetch(ds, "/", "/digest", f"/digest/{WEEK}",
                                            "/digest/2025-W01", "/digest?year=2025")
    assert 'href="/digest"' in home.text
    assert index.status_code == 200 and older.status_code == 200
    # It opens on the latest week with content; then one year per page, newest
    # first, every week with content listed and quiet runs folded into one line.
    latest, archive = index.text.split('<ul class="archive">')
    assert f'href="/digest/{WEEK}"' in latest
    for year, text in (("2026", archive), ("2025", older.text.split('<ul class="archive">')[1])):
        weeks = [r["week"] for r in db.query(
            "select week from digests where substr(week, 1, 4) = ? and section_count > 0 "
            "order by week desc", [year])]
        assert weeks
        positions = [text.index(f'href="/digest/{w}"') for w in weeks]
        assert positions == sorted(positions), year
    assert "quiet weeks" in archive and 'href="/digest?year=2025"' in index.text
    assert "releases" in index.text and "/tracker/digest.atom" in index.text
    assert 'rel="prev" href="/digest/2026-W46"' in page.text
    assert 'rel="next" href="/digest/2026-W48"' in page.text
    assert 'href="/digest"' in page.text and 'href="/tracker/digest.atom"' in page.text
    assert first.status_code == 200 and 'rel="prev"' not in first.text


# ---------------------------------------------------------------- releases, Markdown

Z2JH_NOTES = """## 4.4.0

4.4.0 upgrades JupyterHub to 5.5.0.

This is a security release, addressing [GHSA-xxhm-r32g-hq5p](https://github.com/jupyterhub/jupyterhub/security/advisories/GHSA-xxhm-r32g-hq5p).

### Highlights
- Bump `jupyterhub` to 5.5.0 ([#3612](https://github.com/jupyterhub/zero-to-jupyterhub-k8s/pull/3612))
- New `singleuser.extraPodConfig` option
- Drop Python 3.8 images
- A fourth bullet that is not shown
"""


def test_security_release_first_with_highlights(db):
    db["releases"].upsert({"id": 71500, "repo": 80001, "tag_name": "4.4.0",
                           "name": "4.4.0", "body": Z2JH_NOTES,
                           "published_at": "2026-11-20T10:00:00Z",
                           "html_url": "https://github.com/jupyterhub/z2jh/releases/4.4.0"},
                          pk="id")
    build_digests(db, week=WEEK, now=NOW)
    data = __import__("tracker.digest.build", fromlist=["collect"]).collect(db, WEEK)
    first = data["releases"][0]
    assert first["tag_name"] == "4.4.0" and first["security"]
    assert first["advisories"] == ["GHSA-xxhm-r32g-hq5p"]
    row = db["digests"].get(WEEK)
    html, md = row["content_html"], row["content_md"]
    # The story of the week, and the release first in its project's group.
    assert row["title"].startswith("old-repo 4.4.0 patches a security issue · ")
    assert html.index(">old-repo 4.4.0<") < html.index(">old-repo 2.1.0<")
    assert "⚠ security" in html and "security: GHSA-xxhm-r32g-hq5p" in html
    # The summary is the first meaningful sentence, plain: no heading, no markup.
    assert "4.4.0 upgrades JupyterHub to 5.5.0." in html and "## 4.4.0" not in md
    assert "  4.4.0 upgrades JupyterHub to 5.5.0." in md
    assert "Bump" not in html and "A fourth bullet" not in html


def test_markdown_reads_as_plain_text_and_keeps_people(db):
    db["issues"].upsert({"id": 61002, "repo": 81001, "number": 8, "type": "pull",
                         "state": "open", "user": 91001, "title": "Fix: `--quiet` also <b>",
                         "created_at": "2026-11-16T09:00:00Z"}, pk="id")
    db["issue_comments"].upsert({"id": 51101, "issue": 61002, "repo": 81001, "user": 90002,
                                 "created_at": "2026-11-18T10:00:00Z"}, pk="id")
    build_digests(db, week=WEEK, now=NOW)
    md = db["digests"].get(WEEK)["content_md"]
    html = db["digests"].get(WEEK)["content_html"]
    assert "Fix: --quiet also" in html and "<b>" not in html  # markup stripped, text kept
    assert "Fix: --quiet also" in md and "<b>" not in md
    assert "\\#" not in md and "\\(" not in md.replace("\\]\\(", "")
    assert "from 2 people" in md  # the most-discussed issue, as in the HTML
    assert "TypeError on import" in md


# ---------------------------------------------------------------- query pages

def test_query_pages_are_for_people(ctl_path):
    ds = make_datasette(ctl_path)
    busy, banana, banana2, empty, feed = fetch(
        ds, f"/tracker/busiest_this_week?week={WEEK}", "/tracker/releases_this_week?week=banana",
        "/tracker/merged_prs_per_repo?week=2026-W99",
        "/tracker/releases_this_week?week=2026-W10", f"/tracker/busiest_this_week.atom?week={WEEK}")
    assert busy.status_code == 200
    assert ".rows-and-columns .col-atom_id { display: none; }" in busy.text
    # titles link to GitHub, logins to profiles, repos to their page
    assert '<a href="https://github.com/ctl-org/ctl-repo/issues/7">TypeError on import</a>' \
        in busy.text and "\x1b" not in busy.text
    assert '<a href="https://github.com/digest-regular">digest-regular</a>' in busy.text
    assert f'<a href="/digest/{WEEK}">{WEEK}</a>' in busy.text  # the week's digest
    assert '<a href="https://github.com/digest-org/old-repo">digest-org/old-repo</a>' in busy.text
    assert "is not a week" in banana.text and "banana" in banana.text
    assert "“2026-W99” is not a week" in banana2.text
    assert "No releases in 2026-W10" in empty.text and "is not a week" not in empty.text
    assert feed.status_code == 200  # the feed still has its columns


def test_sections_follow_the_configured_layout(db):
    """Sections are data: the digest: block's order and titles, in every output."""
    from tracker.config import parse_config

    settings = parse_config("""
digest:
  sections:
    - {title: People first, kind: people}
    - {title: Talk, kind: issues, selector: {rank: discussed}}
    - {title: What shipped, kind: releases, selector: {owners: [digest-org]}}
    - {title: Nothing here, kind: papers}
    - {title: Counts, kind: numbers}
""").digest
    build_digests(db, week=WEEK, now=NOW, settings=settings)
    row = db["digests"].get(WEEK)
    html, md = row["content_html"], row["content_md"]
    titles = re.findall(r"<h2[^>]*>([^<(]+)", html)
    assert [t.strip() for t in titles] == ["People first", "Talk", "What shipped", "Counts"]
    assert md.index("## People first") < md.index("## Talk") < md.index("## What shipped")
    assert "Nothing here" not in html and "Nothing here" not in md  # empty: left out
    assert "ctl-repo" not in html.split("What shipped")[1].split("<h2")[0]  # owners selector


def test_impossible_weeks_stored_by_older_versions_are_removed(db):
    for week in ("1970-W01", "2030-W01"):
        db["digests"].insert({"week": week, "title": "bad", "content_html": "<p>bad</p>",
                              "period_start": "1970-01-01", "period_end": "1970-01-04",
                              "atom_updated": "2026-01-01T00:00:00Z"}, pk="week")
    build_digests(db, now=NOW)
    assert not db["digests"].count_where("week in ('1970-W01', '2030-W01')")
