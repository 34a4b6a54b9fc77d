"""Feed harvesting over real loopback HTTP (tracker.feedserver), checked against
the feed files themselves, read independently with ElementTree."""

import email.utils
import hashlib
import io
import re
import socket
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import feedparser
import httpx
import pytest
import sqlite_utils

from tracker.config import Feed, default_config_text, parse_config
from tracker.db import open_db
from tracker.feedserver import DATA_DIR, FeedServer
from tracker.harvest.outcome import RunError
from tracker.harvest.feeds import (
    BENIGN_BOZO, FeedsResult, entry_html, entry_link, entry_row, entry_text,
    entry_title, harvest_feeds, parse_feed,
)
from tracker.safe import esc

GOOD = {
    "jupyter-blog.rss": 84,
    "dockerspawner.releases.atom": 10,
    "zero-to-jupyterhub-k8s.releases.atom": 10,
    "hostile.rss": 4,
}
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)
NOW_ISO = "2026-11-26T12:00:00Z"
LATER = NOW + timedelta(days=7)
LATER_ISO = "2026-12-03T12:00:00Z"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
BLOG = "jupyter-blog.rss"


@pytest.fixture
def db():
    return open_db(sqlite_utils.Database(memory=True))


@pytest.fixture
def server():
    with FeedServer(DATA_DIR) as s:
        yield s


@pytest.fixture
def client():
    with httpx.Client(timeout=2, headers={"User-Agent": "tracker-tests"}) as c:
        yield c


def harvest(db, client, urls, now=NOW, sleeps=None, log=None):
    feeds = [u if isinstance(u, Feed) else Feed(u) for u in urls]
    sleeps = [] if sleeps is None else sleeps
    return harvest_feeds(db, client, feeds, now=lambda: now, sleep=sleeps.append, log=log)


def rows(db, feed=None, table="feed_entries"):
    where, params = ("where feed = ?", [feed]) if feed else ("", [])
    return list(db.query(f"select * from {table} {where} order by 1", params))


def utc(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_rows(name, url, first_seen=NOW_ISO):
    """What feed_entries must hold for a file, read with ElementTree, not feedparser."""
    root = ET.parse(DATA_DIR / name).getroot()
    out = []
    if root.tag == "rss":
        for item in root.iter("item"):
            text = lambda tag: (item.findtext(tag) or "").strip() or None  # noqa: E731
            key = text("guid") or text("link")
            date = utc(email.utils.parsedate_to_datetime(item.findtext("pubDate")))
            out.append({
                "id": f"{url} {key}", "entry_id": key, "feed": url,
                "title": text("title"), "link": text("link"), "author": text(DC + "creator"),
                "published": date, "updated": date, "date_is_first_seen": 0,
                "summary": text("description") or text(CONTENT + "encoded"),
                "tags": "[]", "first_seen": first_seen,
            })
    else:
        for entry in root.findall(ATOM + "entry"):
            date = entry.findtext(ATOM + "updated")
            assert date.endswith("Z")
            out.append({
                "id": f"{url} {entry.findtext(ATOM + 'id')}",
                "entry_id": entry.findtext(ATOM + "id"), "feed": url,
                "title": entry.findtext(ATOM + "title"),
                "link": entry.find(ATOM + "link").get("href"),
                "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
                "published": date, "updated": date, "date_is_first_seen": 0,
                "summary": entry.findtext(ATOM + "content").strip(),
                "tags": "[]", "first_seen": first_seen,
            })
    return sorted(out, key=lambda r: r["id"])


# -- every shared feed ------------------------------------------------------


def test_every_shared_feed_harvests_whole_rows(db, client, server):
    urls = {name: server.url_for(name) for name in GOOD}
    log = []
    result = harvest(db, client, urls.values(), log=log.append)
    assert result == FeedsResult(feeds=4, not_modified=0, entries_new=108,
                                 entries_updated=0, requests=4, errors=[])
    assert log == [f"feed {urls[n]} {count} new, 0 updated" for n, count in GOOD.items()]
    for name, count in GOOD.items():
        stored = rows(db, urls[name])
        assert len(stored) == count
        assert stored == expected_rows(name, urls[name])


def test_known_facts(db, client, server):
    url = server.url_for("dockerspawner.releases.atom")
    harvest(db, client, [url])
    row = db["feed_entries"].get(f"{url} tag:github.com,2008:Repository/999999901/14.0.0")
    assert (row["title"], row["published"], row["updated"], row["author"]) == (
        "14.0.0", "2025-02-12T13:22:42Z", "2025-02-12T13:22:42Z", "Min RK")
    assert row["link"] == "https://github.com/jupyterhub/dockerspawner/releases/tag/14.0.0"
    assert row["summary"].startswith("<p>14.0.0 is a small release.")


def test_feeds_rows(db, client, server):
    blog = server.url_for(BLOG)
    atom = server.url_for("dockerspawner.releases.atom")
    harvest(db, client, [Feed(blog, "Jupyter Blog", ["blog", "news"]), Feed(atom)])
    served = {urlpath(r.path): r for r in server.requests}
    assert served["/" + BLOG].status == 200
    stored = rows(db, table="feeds")
    etags = [r["etag"] for r in stored]
    assert all(re.fullmatch(r'"[0-9a-f]{20}"', e) for e in etags)
    assert all(r["last_modified"].endswith(" GMT") for r in stored)
    assert [{**r, "etag": None, "last_modified": None} for r in stored] == [
        {"url": atom, "title": "Release notes from dockerspawner",
         "site_link": "https://github.com/jupyterhub/dockerspawner/releases", "tags": "[]",
         "etag": None, "last_modified": None, "last_fetched": NOW_ISO, "last_status": 200,
         "last_error": None, "last_warning": None, "entry_count": 10},
        {"url": blog, "title": "Jupyter Blog", "site_link": "https://blog.jupyter.org",
         "tags": '["blog", "news"]', "etag": None, "last_modified": None,
         "last_fetched": NOW_ISO, "last_status": 200, "last_error": None,
         "last_warning": None, "entry_count": 84},
    ]


def urlpath(path):
    return path.split("?")[0]


def test_dates_are_utc_whatever_the_local_zone(db, client, server, monkeypatch):
    # time.mktime would read feedparser's UTC tuples as local (here +13:00) time.
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        url = server.url_for("dockerspawner.releases.atom")
        harvest(db, client, [url])
        assert rows(db, url) == expected_rows("dockerspawner.releases.atom", url)
    finally:
        monkeypatch.undo()
        time.tzset()


# -- incremental runs ---------------------------------------------------------


def test_second_run_is_304_and_changes_nothing(db, client, server):
    urls = [server.url_for(name) for name in GOOD]
    harvest(db, client, urls)
    entries, feeds = rows(db), rows(db, table="feeds")
    log = []
    result = harvest(db, client, urls, now=LATER, log=log.append)
    assert result == FeedsResult(feeds=4, not_modified=4, requests=4)
    assert log == [f"feed {u} 304 not modified" for u in urls]
    second = server.requests[4:]
    assert [r.status for r in second] == [304] * 4
    assert all(r.headers["if-none-match"] == f["etag"] for r, f in
               zip(second, sorted(feeds, key=lambda f: urls.index(f["url"]))))
    assert all("if-modified-since" in r.headers for r in second)
    assert rows(db) == entries
    assert rows(db, table="feeds") == [
        {**f, "last_fetched": LATER_ISO, "last_status": 304} for f in feeds
    ]


def test_unchanged_body_without_validators_counts_nothing(db, client, server):
    url = server.url_for(BLOG)
    harvest(db, client, [url])
    before = rows(db)
    db["feeds"].update(url, {"etag": None, "last_modified": None})
    result = harvest(db, client, [url], now=LATER)
    assert server.requests[-1].status == 200
    assert (result.entries_new, result.entries_updated, result.not_modified) == (0, 0, 0)
    assert rows(db) == before


def blog_window(new_item=None, retitle=None, keep=4):
    """The blog feed cut to its newest `keep` items, as a live feed's window would be."""
    text = (DATA_DIR / BLOG).read_text()
    head = text[: text.index("<item>")]
    items = re.findall(r"<item>.*?</item>", text, re.S)[:keep]
    if retitle:
        old, new = retitle
        items = [i.replace(f"<![CDATA[{old}]]>", f"<![CDATA[{new}]]>") for i in items]
    if new_item:
        items.insert(0, new_item)
    return (head + "\n".join(items) + "\n    </channel>\n</rss>\n").encode()


NEW_ITEM = """<item>
            <title><![CDATA[Tracking Jupyter: a new weekly digest]]></title>
            <link>https://blog.jupyter.org/tracking-jupyter-0123456789ab</link>
            <guid isPermaLink="false">https://medium.com/p/0123456789ab</guid>
            <dc:creator><![CDATA[A. Curator]]></dc:creator>
            <pubDate>Thu, 26 Nov 2026 09:30:00 GMT</pubDate>
        </item>"""
OLD_TITLE = "JupyterLite Officially Joins Project Jupyter"
NEW_TITLE = "JupyterLite Officially Joins Project Jupyter (updated)"


def test_changed_feed_adds_and_updates_without_deleting(db, client, server):
    url = server.url_for(BLOG)
    harvest(db, client, [url])
    before = {r["id"]: r for r in rows(db)}
    server.set_content(BLOG, blog_window(NEW_ITEM, (OLD_TITLE, NEW_TITLE)))
    log = []
    result = harvest(db, client, [url], now=LATER, log=log.append)
    assert (result.entries_new, result.entries_updated) == (1, 1)
    assert log == [f"feed {url} 1 new, 1 updated"]
    after = {r["id"]: r for r in rows(db)}
    assert len(after) == 85  # the 80 that fell out of the window are kept
    new_id = f"{url} https://medium.com/p/0123456789ab"
    assert after.pop(new_id) == {
        "id": new_id, "entry_id": "https://medium.com/p/0123456789ab", "feed": url,
        "title": "Tracking Jupyter: a new weekly digest",
        "link": "https://blog.jupyter.org/tracking-jupyter-0123456789ab",
        "author": "A. Curator", "published": "2026-11-26T09:30:00Z",
        "updated": "2026-11-26T09:30:00Z", "date_is_first_seen": 0, "summary": None,
        "tags": "[]", "first_seen": LATER_ISO,
    }
    changed = f"{url} https://medium.com/p/77df24c8db80"
    assert after[changed] == {**before[changed], "title": NEW_TITLE}  # first_seen kept
    assert after == {**before, changed: after[changed]}
    assert db["feeds"].get(url)["entry_count"] == 85


def test_undated_entries_keep_their_first_seen_date(db, client, server):
    def feed(description):
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Undated</title><link>https://example.org/</link>
<item><title>No date, no id</title><description>{description}</description></item>
<item><title>Dated</title><guid>https://example.org/2</guid>
<pubDate>Tue, 10 Mar 2026 15:30:00 +0100</pubDate></item>
</channel></rss>""".encode()

    server.set_content("undated.rss", feed("first"))
    url = server.url_for("undated.rss")
    harvest(db, client, [url])
    key = "sha1:" + hashlib.sha1(b"No date, no id\n").hexdigest()
    undated = {
        "id": f"{url} {key}", "entry_id": key, "feed": url, "title": "No date, no id",
        "link": None, "author": None, "published": NOW_ISO, "updated": NOW_ISO,
        "date_is_first_seen": 1, "summary": "first", "tags": "[]", "first_seen": NOW_ISO,
    }
    dated = {
        "id": f"{url} https://example.org/2", "entry_id": "https://example.org/2",
        # A guid without isPermaLink="false" is the link, per RSS 2.0.
        "feed": url, "title": "Dated", "link": "https://example.org/2", "author": None,
        "published": "2026-03-10T14:30:00Z", "updated": "2026-03-10T14:30:00Z",
        "date_is_first_seen": 0, "summary": None, "tags": "[]", "first_seen": NOW_ISO,
    }
    assert rows(db) == sorted([undated, dated], key=lambda r: r["id"])
    server.set_content("undated.rss", feed("second"))
    result = harvest(db, client, [url], now=LATER)
    assert (result.entries_new, result.entries_updated) == (0, 1)
    assert rows(db) == sorted([{**undated, "summary": "second"}, dated], key=lambda r: r["id"])


def test_entry_ids_are_unique_across_feeds(db, client, server):
    # hostile.rss uses guids like "hostile-1": served twice, it must not collide.
    server.set_content("copy.rss", (DATA_DIR / "hostile.rss").read_bytes())
    a, b = server.url_for("hostile.rss"), server.url_for("copy.rss")
    harvest(db, client, [a, b])
    assert len(rows(db, a)) == len(rows(db, b)) == 4
    assert {r["entry_id"] for r in rows(db, a)} == {r["entry_id"] for r in rows(db, b)}
    assert db["feed_entries"].count == 8


def test_entry_row_keys():
    parsed = feedparser.parse(io.BytesIO(b"""<rss version="2.0"><channel><title>t</title>
        <item><guid>g-1</guid><link>https://e.org/1</link><title>a</title></item>
        <item><link>https://e.org/2</link><title>b</title>
          <category>jupyter</category><category>news</category></item>
        <item><title>c</title><pubDate>Wed, 24 Jun 2026 00:00:00 GMT</pubDate></item>
        </channel></rss>"""))
    got = [entry_row("https://f.org/feed", e, NOW_ISO) for e in parsed.entries]
    digest = hashlib.sha1(b"c\nWed, 24 Jun 2026 00:00:00 GMT").hexdigest()
    assert [r["id"] for r in got] == [
        "https://f.org/feed g-1", "https://f.org/feed https://e.org/2",
        f"https://f.org/feed sha1:{digest}",
    ]
    assert got[1]["tags"] == '["jupyter", "news"]'
    assert got[2]["published"] == "2026-06-24T00:00:00Z"


# -- broken feeds -------------------------------------------------------------


def test_truncated_feed_is_refused_and_earlier_entries_stay(db, client, server):
    url, other = server.url_for(BLOG), server.url_for("zero-to-jupyterhub-k8s.releases.atom")
    harvest(db, client, [url])
    entries, feed_row = rows(db, url), db["feeds"].get(url)
    server.set_content(BLOG, (DATA_DIR / "broken-truncated.rss").read_bytes())
    log = []
    result = harvest(db, client, [url, other], now=LATER, log=log.append)
    message = ("not well-formed (SAXParseException: <unknown>:28:12: unclosed token); "
               "refused 3 possibly partial entries")
    assert [(e.message, e.target) for e in result.errors] == [(f"{url}: {message}", url)]
    assert log == [f"feed {url} ERROR {message}", f"feed {other} 10 new, 0 updated"]
    assert rows(db, url) == entries
    assert rows(db, other) == expected_rows("zero-to-jupyterhub-k8s.releases.atom", other,
                                            first_seen=LATER_ISO)
    # The validators are the good document's, so the fixed feed is fetched again.
    assert db["feeds"].get(url) == {
        **feed_row, "last_fetched": LATER_ISO, "last_status": 200, "last_error": message,
    }
    server.reset(BLOG)
    result = harvest(db, client, [url], now=LATER)
    assert result.not_modified == 1 and not result.errors
    assert db["feeds"].get(url)["last_error"] is None


def test_truncated_feed_first_seen(db, client, server):
    url = server.url_for("broken-truncated.rss")
    result = harvest(db, client, [Feed(url, "Broken", ["test"])])
    assert len(result.errors) == 1
    assert db["feed_entries"].count == 0
    assert db["feeds"].get(url) == {
        "url": url, "title": "Broken", "site_link": None, "tags": '["test"]', "etag": None,
        "last_modified": None, "last_fetched": NOW_ISO, "last_status": 200,
        "last_error": result.errors[0].message.removeprefix(f"{url}: "), "last_warning": None,
        "entry_count": 0,
    }


def test_not_a_feed_is_refused(db, client, server):
    server.set_content("page.xml", b'<?xml version="1.0"?><html><body><p>hi</p></body></html>')
    url = server.url_for("page.xml")
    result = harvest(db, client, [url])
    assert [e.message for e in result.errors] == [f"{url}: not an RSS or Atom feed"]


def test_benign_bozo_is_accepted(db, client, server):
    # Served as text/plain: feedparser flags the content type and the charset,
    # but its XML parser still read the whole document.
    data = (DATA_DIR / BLOG).read_bytes()
    parsed = parse_feed(data, {"content-type": "text/plain"})
    assert parsed.bozo and isinstance(parsed.bozo_exception, BENIGN_BOZO)
    server.set_content("blog.txt", data)
    url = server.url_for("blog.txt")
    result = harvest(db, client, [url])
    assert not result.errors and result.entries_new == 84
    assert rows(db, url) == expected_rows(BLOG, url)


# -- retries --------------------------------------------------------------------


def test_500_is_retried_then_recorded(db, client, server):
    url = server.url_for(BLOG)
    harvest(db, client, [url])
    entries, feed_row = rows(db), db["feeds"].get(url)
    server.fail(BLOG, 500)
    sleeps = []
    result = harvest(db, client, [url], now=LATER, sleeps=sleeps)
    assert sleeps == [1.0, 2.0]
    assert [r.status for r in server.requests[1:]] == [500, 500, 500]
    message = "HTTP 500 Internal Server Error after 3 attempts"
    assert result == FeedsResult(feeds=1, requests=3, errors=[
        RunError(f"{url}: {message}", source="feeds", target=url, status=500)])
    assert rows(db) == entries
    assert db["feeds"].get(url) == {
        **feed_row, "last_fetched": LATER_ISO, "last_status": 500, "last_error": message,
    }


def test_one_500_then_success(db, client, server):
    server.fail(BLOG, 503, times=1)
    sleeps = []
    result = harvest(db, client, [server.url_for(BLOG)], sleeps=sleeps)
    assert sleeps == [1.0]
    assert (result.requests, result.entries_new, result.errors) == (2, 84, [])


def test_timeout_is_retried(db, server):
    server.delay(BLOG, 1.0, times=1)
    sleeps = []
    with httpx.Client(timeout=0.25) as quick:
        result = harvest(db, quick, [server.url_for(BLOG)], sleeps=sleeps)
    assert sleeps == [1.0]
    assert (result.requests, result.entries_new, result.errors) == (2, 84, [])


def test_connection_refused_is_retried_then_recorded(db, client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.rss"
    sleeps = []
    result = harvest(db, client, [url], sleeps=sleeps)
    assert sleeps == [1.0, 2.0] and result.requests == 3
    row = db["feeds"].get(url)
    assert row["last_status"] is None
    assert row["last_error"].startswith("ConnectError") and "after 3 attempts" in row["last_error"]


def test_404_is_not_retried(db, client, server):
    url = server.url_for("missing.rss")
    sleeps = []
    result = harvest(db, client, [url], sleeps=sleeps)
    assert sleeps == [] and result.requests == 1
    assert [(e.message, e.status) for e in result.errors] == [(f"{url}: HTTP 404 Not Found", 404)]


def test_file_urls(db, client):
    url = (DATA_DIR / BLOG).as_uri()
    first = harvest(db, client, [url])
    second = harvest(db, client, [url], now=LATER)
    assert (first.entries_new, first.requests) == (84, 0)
    assert second.not_modified == 1
    assert rows(db, url) == expected_rows(BLOG, url)


# -- hostile content and output helpers -----------------------------------------


def test_hostile_feed_is_stored_raw_and_rendered_safely(db, client, server):
    url = server.url_for("hostile.rss")
    harvest(db, client, [url])
    stored = {r["entry_id"]: r for r in rows(db)}
    one, two = stored["hostile-1"], stored["hostile-2"]
    assert one["title"] == "<script>alert(1)</script>Hostile title test"
    assert one["link"] == "javascript:alert(document.cookie)"
    assert one["author"] == "<img src=x onerror=alert(1)>"
    assert "<script>alert(1)</script>" in one["summary"] and 'onclick="alert(1)"' in one["summary"]
    assert two["link"] == "JaVaScRiPt:alert(1)"
    assert "data:text/html;base64" in two["summary"]

    assert entry_link(one) is None and entry_link(two) is None
    real = [r for r in stored.values() if r["link"].startswith("https://")]
    assert len(real) == 2 and all(entry_link(r) == r["link"] for r in real)
    assert entry_html(one) == "&lt;script&gt;alert(1)&lt;/script&gt;Hostile title test"
    assert entry_html(two) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert entry_text(one) == "Read more"
    assert entry_text(two) == "data link"
    for row in stored.values():
        for text in (entry_html(row), esc(entry_text(row)), esc(entry_title(row))):
            assert "<script" not in text and "<img" not in text and "javascript:" not in text
    assert entry_html(real[0]) == (
        '<a href="https://blog.jupyter.org/congratulations-distinguished-contributors-'
        '1998f468b29e">Congratulations, Distinguished Contributors!</a>'
    )


def test_full_text_search_follows_updates(db, client, server):
    url = server.url_for(BLOG)
    harvest(db, client, [url])

    def search(word):
        return [r["title"] for r in db.query(
            "select title from feed_entries where rowid in "
            "(select rowid from feed_entries_fts where feed_entries_fts match ?)", [word])]

    assert search("Arbalister") == ["Instantly view Parquet files in JupyterLab with Arbalister"]
    server.set_content(BLOG, blog_window(retitle=(OLD_TITLE, "JupyterLite joins Jupyter, zebra")))
    harvest(db, client, [url], now=LATER)
    assert search("zebra") == ["JupyterLite joins Jupyter, zebra"]
    assert search("Officially") == []


# -- the server and the watchlist -------------------------------------------------


def test_feedserver_conditional_get(server, client):
    url = server.url_for(BLOG)
    first = client.get(url)
    assert first.status_code == 200 and first.content == (DATA_DIR / BLOG).read_bytes()
    assert first.headers["content-type"] == "application/rss+xml; charset=utf-8"
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    server.set_content(BLOG, b"<rss/>")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.content == b"<rss/>"
    assert changed.headers["etag"] != etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200
    assert (email.utils.parsedate_to_datetime(changed.headers["last-modified"])
            > email.utils.parsedate_to_datetime(modified))
    server.fail(BLOG, 502, times=1)
    assert [client.get(url).status_code for _ in range(2)] == [502, 200]
    assert client.get(server.url + "/%2E%2E/feedserver.py").status_code == 404
    assert client.get(server.url_for("nope.rss")).status_code == 404
    assert len(server.requests_for(BLOG)) == 7


def test_default_watchlist_feeds():
    feeds = parse_config(default_config_text()).feeds
    urls = [f.url for f in feeds]
    assert "https://blog.jupyter.org/feed" in urls
    assert "https://discourse.jupyter.org/latest.rss" in urls
    assert len(set(urls)) == len(urls)
    assert all(u.startswith("https://") and f.title for u, f in zip(urls, feeds))
