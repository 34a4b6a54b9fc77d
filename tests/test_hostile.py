"""The shared hostile feed, harvested for real, stays inert in every output we publish.

The payloads (script tags, event handlers, javascript:/data: links) are stored
as received; Datasette pages, Atom feeds and the digest must never render them.
"""

import asyncio
import re
from html.parser import HTMLParser
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from tracker.config import Feed
from tracker.db import open_db
from tracker.digest import build_digests, export_digest, week_id
from tracker.feedserver import FeedServer
from tracker.harvest.feeds import harvest_feeds
from tracker.publish import make_datasette

ATOM = "{http://www.w3.org/2005/Atom}"


class ActiveMarkup(HTMLParser):
    """Collects markup that would run or navigate: the feed's payloads all call alert()."""

    def __init__(self):
        super().__init__()
        self.found, self._tag = [], None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag in ("iframe", "object", "embed"):
            self.found.append(tag)
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") and "alert" in value:
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action") and value.startswith(("javascript:", "data:")):
                self.found.append(f"{tag} {name}={value[:20]}")

    def handle_data(self, data):
        if self._tag in ("script", "style") and "alert" in data:
            self.found.append(f"{self._tag}: {data[:30]}")


def active(html):
    parser = ActiveMarkup()
    parser.feed(html)
    return parser.found


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "tracker.db"
    db = open_db(str(path))
    with FeedServer() as server, httpx.Client(timeout=10) as client:
        result = harvest_feeds(db, client, [Feed(url=server.url_for("hostile.rss"))])
    assert not result.errors and db["feed_entries"].count == 4
    stored = " ".join(r[0] or "" for r in db.execute("select title || link || summary from feed_entries"))
    assert "<script>alert(1)</script>" in stored  # stored exactly as received
    day = db.execute("select min(published) from feed_entries").fetchone()[0]
    weeks = sorted({week_id(date.fromisoformat(r[0][:10]))
                    for r in db.execute("select published from feed_entries")})
    # "now" is two weeks after the newest entry, so every week is complete on any date.
    last = db.execute("select max(published) from feed_entries").fetchone()[0]
    now = datetime.combine(date.fromisoformat(last[:10]) + timedelta(14), datetime.min.time(),
                           tzinfo=timezone.utc)
    build_digests(db, all_weeks=True, now=now)
    assert weeks and day
    return path, db, weeks, now


def fetch(path, urls):
    async def run():
        ds = make_datasette(path)
        return [await ds.client.get(url) for url in urls]

    return asyncio.run(run())


def atom_active(xml):
    """Active markup in the HTML content of an Atom feed (titles are text: inert)."""
    root = ET.fromstring(xml)
    found = []
    for entry in root.iter(f"{ATOM}entry"):
        for content in entry.iter(f"{ATOM}content"):
            found += active(content.text or "")
        for link in entry.iter(f"{ATOM}link"):
            if re.match(r"\s*(javascript|data):", link.get("href", ""), re.I):
                found.append(link.get("href"))
    return found


def test_datasette_pages_escape_hostile_entries(site):
    path, _db, weeks, _now = site
    urls = ["/tracker/feed_entries", "/tracker/feeds"]
    urls += [f"/tracker/posts_this_week?week={w}" for w in weeks]
    urls += [f"/digest/{w}" for w in weeks]
    for url, response in zip(urls, fetch(path, urls), strict=True):
        assert response.status_code == 200, url
        assert not active(response.text), url
        if url == "/tracker/feed_entries":  # shown, as inert text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;Hostile title test" in response.text


def test_atom_feeds_carry_no_active_markup(site):
    path, _db, weeks, _now = site
    urls = [f"/tracker/posts_this_week.atom?week={w}" for w in weeks] + ["/tracker/digest.atom"]
    for url, response in zip(urls, fetch(path, urls), strict=True):
        assert response.status_code == 200, url
        assert not atom_active(response.text), url


def test_digest_exports_escape_hostile_entries(site):
    _path, db, weeks, now = site
    assert not atom_active(export_digest(db, fmt="atom", now=now))
    for week in weeks:
        html = export_digest(db, fmt="html", week=week, now=now)
        assert not active(html), week
        # Hostile titles arrive as text: escaped, or (#21's plain summaries) tags stripped.
        assert "<script" not in html.lower() and ("alert(" in html or "Hostile" not in html)
        markdown = export_digest(db, fmt="md", week=week, now=now)
        assert "<script" not in markdown and "javascript:" not in markdown.lower()
