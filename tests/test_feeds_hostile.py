"""Every .atom feed holds whatever a harvested column holds.

For each hostile value (control characters and escape sequences, NUL,
``javascript:`` and other schemes, lone surrogates as SQLite stores them), every
text column of every table of the sample database is made hostile at once — URL
columns replaced, JSON columns given hostile members, dates kept so the week
still has rows — and every feed query must answer a valid feed whose links are
http(s) and whose text holds no control character.
"""

import asyncio
import json
import re
import shutil

import feedparser
import pytest
import sqlite_utils

from sampledb import LATEST_WEEK, populate_sample
from tracker.digest import build_digests
from tracker.db import open_db
from tracker.publish import load_queries, make_datasette

FEEDS = sorted(name for name, q in load_queries().items() if "atom_id" in q["sql"])
# SQLite's json functions turn a "\ud800" escape into these bytes; a non-Python
# writer can store them directly. Python cannot write them, so they go in as SQL.
LONE_SURROGATE = "cast(x'eda080' as text)"
TEXT_VALUES = {
    "controls": "\x1b]0;t\x07\x1b[2J\x1b]8;;https://evil.example/\x1b\\x\x1b]8;;\x1b\\\x9b31m\x08\x7f\x0c",
    "nul": "a\x00b",
    "markup": "<script>alert(1)</script>]]>&amp;",
}
URL_VALUES = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
              "vbscript:x", "https://ok.example/\x1b[2J", "https://ok.example/\x07bel",
              "https://ok.example/\x00nul", "http://ok.example/\x85nel", " https://ok.example/",
              "//evil.example/", "file:///etc/passwd"]
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
DATE = re.compile(r"(_at|_date|^date|published|updated|^week|period_start|period_end|since|"
                  r"^started|^finished|^at)$")
KEYS = {"full_name", "login", "owner", "source", "type", "state", "kind", "status", "url",
        "tracked_via"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("feeds-hostile") / "sample.db"
    populate_sample(sqlite_utils.Database(path)).close()
    # Built before the columns turn hostile: the digest feed reads the digests
    # table, whose own text columns are then made hostile like every other.
    build_digests(open_db(str(path)), all_weeks=True)
    return path


def make_hostile(path, text, url, surrogate):
    """Every text column of every table: text appended, URLs replaced, JSON members added."""
    db = sqlite_utils.Database(path)
    for table in db.tables:
        if table.name.endswith(("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config")):
            continue
        for column, kind in table.columns_dict.items():
            if kind is not str or DATE.search(column):
                continue
            q = f'"{column}"'
            if column in KEYS:
                continue  # join keys and enums: changing them empties the week, not the point
            if column.endswith(("link", "url")):
                db.execute(f"update [{table.name}] set {q} = ? where {q} is not null", [url])
            elif column in ("topics", "labels", "tags", "sources"):
                db.execute(f"update [{table.name}] set {q} = json_array(?, ?) "
                           f"where {q} is not null", [text, "\\ud800"])
            else:
                tail = f" || ? || {LONE_SURROGATE}" if surrogate else " || ?"
                db.execute(f"update [{table.name}] set {q} = {q}{tail} where {q} is not null",
                           [text])
    db.conn.commit()
    db.close()


def fetch_feeds(path):
    async def run():
        ds = make_datasette(path)
        return {q: await ds.client.get(f"/{path.stem}/{q}.atom", params={"week": LATEST_WEEK})
                for q in FEEDS}
    return asyncio.run(run())


@pytest.mark.parametrize("text", sorted(TEXT_VALUES))
@pytest.mark.parametrize("surrogate", [False, True], ids=["", "lone-surrogate"])
def test_every_feed_holds_on_hostile_columns(sample, tmp_path, text, surrogate):
    assert FEEDS, "no feed query found"
    for i in range(0, len(URL_VALUES), 4):  # every URL value, a few per database
        path = tmp_path / f"hostile{i}.db"
        shutil.copy(sample, path)
        make_hostile(path, TEXT_VALUES[text], URL_VALUES[i], surrogate)
        for query, response in fetch_feeds(path).items():
            where = (query, text, URL_VALUES[i], surrogate)
            assert response.status_code == 200, (where, response.text[:300])
            feed = feedparser.parse(response.content)
            assert not feed.bozo, (where, feed.bozo_exception)
            assert feed.entries, where
            assert not CONTROL.search(response.text), (where, CONTROL.search(response.text))
            for entry in feed.entries:
                for link in entry.get("links", []):
                    assert link["href"].startswith(("https://", "http://")) or \
                        link["href"].startswith("/"), (where, link)
                    assert not CONTROL.search(link["href"]) and " " not in link["href"], where
