"""Feeds as they really come (issue 14): shared links, bad bytes, small XML errors,
placeholder dates, and a database from before these rules. Served over loopback."""

import hashlib
import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlite_utils

from tracker.config import Feed
from tracker.db import MIGRATIONS, open_db
from tracker.feedserver import DATA_DIR, FeedServer
from tracker.harvest.feeds import harvest_feeds

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)
NOW_ISO = "2026-11-26T12:00:00Z"
LATER = NOW + timedelta(days=7)
LATER_ISO = "2026-12-03T12:00:00Z"
HOME = "https://status.example.org/"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def db():
    return open_db(sqlite_utils.Database(memory=True))


@pytest.fixture
def server():
    with FeedServer(DATA_DIR) as s:
        yield s


@pytest.fixture
def client():
    with httpx.Client(timeout=2) as c:
        yield c


def harvest(db, client, url, now=NOW):
    return harvest_feeds(db, client, [Feed(url)], now=lambda: now, sleep=lambda s: None)


def entries(db, feed=None):
    where = "where feed = ?" if feed else ""
    return {r["title"]: r for r in db.query(f"select * from feed_entries {where}",
                                            [feed] if feed else [])}


def rss(*items, head='<?xml version="1.0" encoding="UTF-8"?>\n'):
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>{d}</pubDate></item>"
        for t, link, d in items)
    return (f'{head}<rss version="2.0"><channel><title>Status</title><link>{HOME}</link>'
            f"{body}</channel></rss>").encode()


INCIDENTS = [
    ("Database maintenance done", HOME, "Tue, 24 Nov 2026 10:00:00 +0000"),
    ("Degraded search", HOME, "Mon, 23 Nov 2026 09:00:00 +0000"),
    ("All systems normal", HOME, "Sun, 22 Nov 2026 08:00:00 +0000"),
]
FOURTH = ("Login outage", HOME, "Wed, 25 Nov 2026 07:30:00 +0000")


# -- 1. identity ------------------------------------------------------------------


def test_items_sharing_one_link_are_three_posts_and_never_overwritten(db, client, server):
    server.set_content("status.rss", rss(*INCIDENTS))
    url = server.url_for("status.rss")
    result = harvest(db, client, url)
    assert (result.entries_new, result.entries_updated) == (3, 0)
    first = entries(db)
    assert {t: (r["link"], r["published"]) for t, r in first.items()} == {
        "Database maintenance done": (HOME, "2026-11-24T10:00:00Z"),
        "Degraded search": (HOME, "2026-11-23T09:00:00Z"),
        "All systems normal": (HOME, "2026-11-22T08:00:00Z"),
    }
    assert len({r["id"] for r in first.values()}) == 3
    server.set_content("status.rss", rss(FOURTH, *INCIDENTS))
    result = harvest(db, client, url, now=LATER)
    assert (result.entries_new, result.entries_updated) == (1, 0)
    after = entries(db)
    assert {t: after[t] for t in first} == first  # stored posts untouched
    assert after["Login outage"]["published"] == "2026-11-25T07:30:00Z"


def test_a_new_post_reusing_a_link_gets_its_own_row(db, client, server):
    # A feed that only ever shows its latest post, always linked to the home page.
    server.set_content("latest.rss", rss(INCIDENTS[2]))
    url = server.url_for("latest.rss")
    harvest(db, client, url)
    before = entries(db)["All systems normal"]
    assert before["id"] == f"{url} {HOME}"  # a unique link is still the id
    server.set_content("latest.rss", rss(INCIDENTS[1]))
    result = harvest(db, client, url, now=LATER)
    assert (result.entries_new, result.entries_updated) == (1, 0)
    after = entries(db)
    assert after["All systems normal"] == before
    assert after["Degraded search"]["published"] == "2026-11-23T09:00:00Z"
    # Stable: the same document again changes nothing.
    server.set_content("latest.rss", rss(INCIDENTS[1]) + b"\n")
    result = harvest(db, client, url, now=LATER)
    assert (result.entries_new, result.entries_updated) == (0, 0)


def test_an_edited_title_is_an_update_of_the_same_post(db, client, server):
    server.set_content("one.rss", rss(INCIDENTS[0]))
    url = server.url_for("one.rss")
    harvest(db, client, url)
    edited = ("Database maintenance finished", HOME, INCIDENTS[0][2])
    server.set_content("one.rss", rss(edited))
    result = harvest(db, client, url, now=LATER)
    assert (result.entries_new, result.entries_updated) == (0, 1)
    assert list(entries(db)) == ["Database maintenance finished"]


def old_release_db():
    """The schema the previous release created: every migration before issue 14's."""
    db = sqlite_utils.Database(memory=True)
    old = [m.__name__ for m in MIGRATIONS].index("_migration_real_world_data")
    for migration in MIGRATIONS[:old]:
        migration(db)
    db.execute(f"pragma user_version={old}")
    return db


def test_database_from_the_previous_release_upgrades_without_duplicates(client, server):
    server.set_content("status.rss", rss(*INCIDENTS))
    url, blog = server.url_for("status.rss"), server.url_for("jupyter-blog.rss")
    db = old_release_db()
    # What the previous release stored: one row per link (the first item won),
    # a guid-keyed blog post, and an epoch placeholder date.
    db["feed_entries"].insert_all([
        {"id": f"{url} {HOME}", "entry_id": HOME, "feed": url,
         "title": "Database maintenance done", "link": HOME, "published": "2026-11-24T10:00:00Z",
         "updated": "2026-11-24T10:00:00Z", "date_is_first_seen": 0, "summary": None,
         "tags": "[]", "first_seen": "2026-11-24T11:00:00Z"},
        {"id": f"{blog} https://medium.com/p/77df24c8db80",
         "entry_id": "https://medium.com/p/77df24c8db80", "feed": blog, "title": "old title",
         "link": "https://blog.jupyter.org/x", "published": "1970-01-01T00:00:00Z",
         "updated": "1970-01-01T00:00:00Z", "date_is_first_seen": 0, "summary": None,
         "tags": "[]", "first_seen": "2026-11-20T00:00:00Z"},
    ])
    db["feeds"].insert({"url": url, "etag": '"abc"', "last_modified": "Tue, 24 Nov 2026 10:00:00 GMT"})
    # A merged PR whose merged_at an issues page without it had erased.
    db["issues"].insert({"id": 1, "repo": 7, "number": 5, "type": "pull", "state": "closed",
                         "merged_at": None})
    db["issues"].insert({"id": 2, "repo": 7, "number": 6, "type": "pull", "state": "closed",
                         "merged_at": None})
    db["pull_requests"].insert_all([
        {"id": 10, "repo": 7, "number": 5, "merged_at": "2026-11-20T10:00:00Z"},
        {"id": 11, "repo": 7, "number": 6, "merged_at": None}])
    db = open_db(db)
    assert [(r["number"], r["merged_at"]) for r in db["issues"].rows] == [
        (5, "2026-11-20T10:00:00Z"), (6, None)]
    # Every feed is fetched once in full under the new rules (no 304 on old validators).
    assert (db["feeds"].get(url)["etag"], db["feeds"].get(url)["last_modified"]) == (None, None)
    epoch = db["feed_entries"].get(f"{blog} https://medium.com/p/77df24c8db80")
    assert (epoch["published"], epoch["updated"], epoch["date_is_first_seen"]) == (
        "2026-11-20T00:00:00Z", "2026-11-20T00:00:00Z", 1)
    assert db["feeds"].columns_dict["last_warning"] is str
    result = harvest(db, client, url)
    assert (result.entries_new, result.entries_updated) == (2, 0)
    stored = entries(db, url)
    assert sorted(stored) == sorted(t for t, _, _ in INCIDENTS)
    assert stored["Database maintenance done"]["id"] == f"{url} {HOME}"  # kept its id
    assert stored["Database maintenance done"]["first_seen"] == "2026-11-24T11:00:00Z"
    harvest(db, client, blog)
    ids = [r["id"] for r in db.query("select id from feed_entries where feed = ?", [blog])]
    assert len(ids) == len(set(ids)) == 84 and f"{blog} https://medium.com/p/77df24c8db80" in ids


# -- 2. encoding ------------------------------------------------------------------


def test_declared_utf8_with_a_bad_byte_is_decoded_as_utf8_with_a_warning(db, client, server):
    doc = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
           '<title>Ümlaut news</title><link>https://e.org/</link>'
           '<item><title>Schön</title><link>https://e.org/1</link><author>jörg@e.org (Jörg)</author>'
           '<description>kaputt XX hier</description></item>'
           '<item><title>Café</title><link>https://e.org/2</link>'
           '<description>Grüße</description></item></channel></rss>').encode()
    server.set_content("bad-byte.rss", doc.replace(b"XX", b"\xff"))
    url = server.url_for("bad-byte.rss")
    result = harvest(db, client, url)
    assert not result.errors and result.entries_new == 2
    stored = entries(db)
    assert {t: (r["summary"], r["author"]) for t, r in stored.items()} == {
        "Schön": ("kaputt \ufffd hier", "jörg@e.org (Jörg)"),
        "Café": ("Grüße", None),
    }
    feed = db["feeds"].get(url)
    assert feed["title"] == "Ümlaut news" and feed["last_error"] is None
    assert feed["last_warning"] == ("declared UTF-8 but 1 invalid byte sequence(s), "
                                    f"first at byte {doc.index(b'XX')}: replaced by U+FFFD")
    assert result.warnings == [f"{url}: {feed['last_warning']}"]


def test_a_good_feed_has_no_warning(db, client, server):
    url = server.url_for("jupyter-blog.rss")
    result = harvest(db, client, url)
    assert result.warnings == [] and db["feeds"].get(url)["last_warning"] is None


# -- 3. complete documents with small errors vs documents cut short -----------------


def test_html_entity_in_a_complete_document_is_stored_with_a_warning(db, client, server):
    doc = rss(("Release&nbsp;1.0 is out", "https://e.org/1", "Tue, 24 Nov 2026 10:00:00 +0000"),
              ("Release 0.9", "https://e.org/0", "Mon, 23 Nov 2026 10:00:00 +0000"))
    server.set_content("entity.rss", doc)
    url = server.url_for("entity.rss")
    result = harvest(db, client, url)
    assert not result.errors and result.entries_new == 2
    assert set(entries(db)) == {"Release\xa01.0 is out", "Release 0.9"}
    warning = db["feeds"].get(url)["last_warning"]
    assert warning.startswith("not well-formed (SAXParseException: ") and "undefined entity" in warning
    assert warning.endswith("read leniently, 2 entries")


def test_blank_lines_before_the_xml_declaration_are_ignored_with_a_warning(db, client, server):
    server.set_content("blank.rss", b"\n\n" + rss(INCIDENTS[0]))
    url = server.url_for("blank.rss")
    result = harvest(db, client, url)
    assert not result.errors and result.entries_new == 1
    assert entries(db)["Database maintenance done"]["published"] == "2026-11-24T10:00:00Z"
    assert db["feeds"].get(url)["last_warning"] == "2 blank characters before <?xml ignored"


def test_an_entity_error_in_a_document_cut_short_is_still_refused(db, client, server):
    doc = rss(("Release&nbsp;1.0 is out", "https://e.org/1", "Tue, 24 Nov 2026 10:00:00 +0000"))
    server.set_content("cut.rss", doc[: doc.index(b"</channel>")])
    url = server.url_for("cut.rss")
    result = harvest(db, client, url)
    assert len(result.errors) == 1 and "refused 1 possibly partial entries" in result.errors[0].message
    assert db["feed_entries"].count == 0


def test_fewer_bytes_than_content_length_is_refused(db):
    doc = (DATA_DIR / "jupyter-blog.rss").read_bytes()

    def handler(request):  # the server promised the whole file, then hung up
        return httpx.Response(200, headers={"content-length": str(len(doc)),
                                            "content-type": "application/rss+xml"},
                              content=doc[:-200])

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        result = harvest(db, client, "https://blog.example.org/feed")
    assert [e.message for e in result.errors] == ["https://blog.example.org/feed: download cut short: "
                             f"{len(doc) - 200} of {len(doc)} bytes"]
    assert db["feed_entries"].count == 0


# -- 4. placeholder dates ---------------------------------------------------------


def test_placeholder_dates_are_first_seen_and_every_date_is_zero_padded(db, client, server):
    items = [
        ("Epoch", "https://e.org/1", "Thu, 01 Jan 1970 00:00:00 +0000"),
        ("Go zero time", "https://e.org/2", "Mon, 01 Jan 0001 00:00:00 +0000"),
        ("Typo year", "https://e.org/3", "Sat, 26 Nov 2126 12:00:00 +0000"),
        ("Two days ahead", "https://e.org/4", "Sat, 28 Nov 2026 12:00:00 +0000"),
        ("Later today", "https://e.org/5", "Thu, 26 Nov 2026 20:00:00 +0000"),
        ("Early real", "https://e.org/6", "Mon, 01 Jan 1990 00:00:00 +0000"),
    ]
    server.set_content("dates.rss", rss(*items))
    url = server.url_for("dates.rss")
    harvest(db, client, url)
    stored = entries(db)
    assert {t: (r["published"], r["updated"], r["date_is_first_seen"])
            for t, r in stored.items()} == {
        "Epoch": (NOW_ISO, NOW_ISO, 1),
        "Go zero time": (NOW_ISO, NOW_ISO, 1),
        "Typo year": (NOW_ISO, NOW_ISO, 1),
        "Two days ahead": (NOW_ISO, NOW_ISO, 1),
        "Later today": ("2026-11-26T20:00:00Z", "2026-11-26T20:00:00Z", 0),
        "Early real": ("1990-01-01T00:00:00Z", "1990-01-01T00:00:00Z", 0),
    }
    # Next week the placeholders keep the date they were first seen on.
    harvest(db, client, url, now=LATER)
    assert entries(db)["Epoch"]["published"] == NOW_ISO
    for row in db.query("select published, updated, first_seen from feed_entries"):
        assert all(ISO.fullmatch(v) for v in row.values()), row


def test_placeholder_key_is_stable_across_runs(db, client, server):
    # Undated entries sharing a link are told apart by title (their date is absent).
    server.set_content("undated.rss", rss(("A", HOME, ""), ("B", HOME, "")))
    url = server.url_for("undated.rss")
    harvest(db, client, url)
    result = harvest(db, client, url, now=LATER)
    assert db["feed_entries"].count == 2 and result.entries_new == 0
    expected = "sha1:" + hashlib.sha1(f"{HOME}\nA\n".encode()).hexdigest()
    assert entries(db)["A"]["entry_id"] == expected


def test_harvest_health_shows_a_feed_warning(db, client, server):
    from tracker.publish import QUERIES, expand

    server.set_content("blank.rss", b"\n\n" + rss(INCIDENTS[0]))
    url = server.url_for("blank.rss")
    harvest(db, client, url)
    sql = expand((QUERIES / "harvest_health.sql").read_text())
    feed = next(r for r in db.query(sql) if r["kind"] == "feed")
    assert (feed["status"], feed["detail"]) == (
        "warning", "warning: 2 blank characters before <?xml ignored; 1 entries, "
                   "newest 2026-11-24T10:00:00Z")
