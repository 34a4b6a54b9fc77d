"""A real feed reader subscribes to the digest: Debian's newsboat, run
non-interactively against feeds served on 127.0.0.1, then its cache read."""

import os
import shutil
import sqlite3
import subprocess
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tracker.db import open_db
from tracker.digest import build_digests, export_digest
from test_digest import HOSTILE, add_week_rows, datasette_for, fetch

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(
    NEWSBOAT is None, reason="newsboat is not installed (Debian: apt-get install newsboat)")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def serve(files):
    """Serve {path: bytes} as Atom on 127.0.0.1; returns (server, base URL)."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def newsboat_items(tmp_path, url):
    """Subscribe a fresh newsboat to one URL, reload once, return its cached items.

    One cache per feed: newsboat keys items by guid, and both feeds carry the
    same entry ids (as they should), so a shared cache would merge them."""
    work = tmp_path / url.rsplit("/", 1)[-1]
    (work / "home").mkdir(parents=True)
    (work / "urls").write_text(url + "\n")
    (work / "config").write_text("download-timeout 10\n")
    result = subprocess.run(
        [NEWSBOAT, "-u", str(work / "urls"), "-c", str(work / "cache.db"),
         "-C", str(work / "config"), "-x", "reload"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(work / "home"), "TERM": "dumb",
             "XDG_CONFIG_HOME": str(work / "home/.config"),
             "XDG_DATA_HOME": str(work / "home/.local/share")},
    )
    assert result.returncode == 0, result.stderr + result.stdout
    with sqlite3.connect(work / "cache.db") as cache:
        feeds = cache.execute("select title from rss_feed where rssurl = ?", [url]).fetchall()
        items = cache.execute("select title, guid, content from rss_item where feedurl = ?",
                              [url]).fetchall()
    assert feeds == [("Tracking Jupyter: the weekly digest",)]
    return items


def test_newsboat_reads_the_digest_feeds(tmp_path):
    db_path = tmp_path / "tracker.db"
    db = open_db(str(db_path))
    add_week_rows(db)
    weeks = build_digests(db, all_weeks=True, now=NOW)
    assert len(weeks) >= 3
    # Feeds carry the latest 26 complete weeks that are not quiet (#21): 2026-W48 is still running at NOW
    # (the export's clock); Datasette's query reads the wall clock.
    def titles(today):
        return {r["title"] for r in db.query("select title from digests where period_end < ? "
                                             "and not quiet order by week desc limit 26",
                                             [today])}
    expected = {"export": titles(NOW.date().isoformat()),
                "digest": titles(datetime.now(timezone.utc).date().isoformat())}
    (datasette_atom,) = fetch(datasette_for(db_path), "/tracker/digest.atom")
    assert datasette_atom.status_code == 200
    server, base = serve({"/export.atom": export_digest(db, fmt="atom", now=NOW).encode(),
                          "/digest.atom": datasette_atom.content})
    try:
        for name in ("export", "digest"):
            url = f"{base}/{name}.atom"
            items = newsboat_items(tmp_path, url)
            assert {title for title, _, _ in items} == expected[name], url
            assert all(guid.startswith("tag:tracking-jupyter.github.io,2026:digest/")
                       for _, guid, _ in items)
            # The reader got the hostile strings as text, never as markup.
            content = "".join(c for _, _, c in items)
            assert "alert(" in content and "<script" not in content, url
            assert HOSTILE not in content
    finally:
        server.shutdown()
