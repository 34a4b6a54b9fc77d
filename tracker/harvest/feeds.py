"""Harvest Atom and RSS feeds into the ``feeds`` and ``feed_entries`` tables.

``fetch_feed`` does HTTP only (conditional GET, bounded retries), ``read_feed``
decides whether a document is complete enough to store and ``entry_rows``
makes its rows (both pure, in ``feedparse.py``), and ``save_*`` write. Entries are stored as the feed sent them, hostile markup
and ``javascript:`` links included; ``entry_link``, ``entry_title``,
``entry_text`` and ``entry_html`` are the only safe ways to render them.

The bozo rule: feedparser sets ``bozo`` for benign oddities and for broken
documents alike, so ``read_feed`` tells them apart and never accepts one
silently. A document *cut short* (fewer bytes than Content-Length, or its root
element never closed) is refused: the lenient parser would return part of the
feed, which would look complete. The error goes on the ``feeds`` row, stored
entries stay as they are, the validators are not updated (so the next run
fetches again) and the run moves on. A *complete* document with a small XML
error (an HTML entity such as ``&nbsp;``, blank lines before ``<?xml``) is
read by feedparser's lenient parser and stored, with a warning on the
``feeds`` row (``last_warning``). A feed declared UTF-8 (HTTP or XML) with
invalid bytes is decoded as UTF-8 with U+FFFD for the bad bytes, never
re-decoded as windows-1252 (which garbles every non-ASCII character); any
other re-decoding feedparser does is recorded as a warning too.

Feeds write outside the GitHub pipeline's ops (``ops.py``): one feed is one
transaction holding its entries and, last, its validators, so a feed whose
entries cannot be saved keeps its old ETag and is fetched again next run
(``tests/test_failed_save.py``).

Identity: an entry is its feed's guid/id, else its link. When that key is not
unique within one document (status pages linking every item to the home
page), the entry is keyed by key + title + date instead, and a row stored
under the bare key keeps its id if it holds the same post (so databases from
before this rule gain no duplicates). A link-keyed stored row is never
overwritten by a different post (other title and date): that post gets its
own id. Dates before 1990 or more than a day ahead (Go's zero time, the Unix
epoch) are placeholders: treated as missing.
"""

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from sqlite_utils.db import NotFoundError

from ..safe import esc, plain, safe_url, scrub
from .outcome import RunError
from .feedparse import (  # noqa: F401  (re-exported: the feed API lives here)
    BENIGN_BOZO, FeedError, entry_id, entry_key, entry_row, entry_rows,
    parse_feed, read_feed,
)

ATTEMPTS = 3
BACKOFF = 1.0  # seconds before the 2nd attempt; doubled before each later one
MAX_RETRY_AFTER = 30.0
MAX_BYTES = 20 * 1024 * 1024  # far above any real feed; stops a runaway body
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


@dataclass
class FeedsResult:
    feeds: int = 0
    not_modified: int = 0
    entries_new: int = 0
    entries_updated: int = 0
    requests: int = 0
    errors: list = field(default_factory=list)  # RunError values (target: the feed URL)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Fetched:
    """A successful fetch: 200 with the body, or 304 with nothing new."""

    status: int
    content: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    headers: dict = field(default_factory=dict)
    requests: int = 1


class FetchError(Exception):
    """The feed could not be fetched; ``status`` is None without an HTTP answer."""

    def __init__(self, message, status=None, requests=0):
        super().__init__(message)
        self.status = status
        self.requests = requests


# -- fetch (network only) ---------------------------------------------------


def fetch_feed(client, url, etag, last_modified, *, sleep=time.sleep, attempts=ATTEMPTS):
    """GET a feed conditionally; retry 5xx, 429, timeouts and connection errors."""
    if url.startswith("file://"):
        return _read_file(url, last_modified)
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for attempt in range(1, attempts + 1):
        after = f" after {attempt} attempts" if attempt > 1 else ""
        try:
            with client.stream("GET", url, headers=headers, follow_redirects=True) as r:
                status = r.status_code
                if status == 304:
                    return Fetched(304, etag=r.headers.get("etag") or etag,
                                   last_modified=r.headers.get("last-modified") or last_modified,
                                   requests=attempt)
                retry = status >= 500 or status == 429
                if retry and attempt < attempts:
                    delay = _retry_delay(r.headers.get("retry-after"), attempt)
                elif status >= 400:
                    raise FetchError(f"HTTP {status} {r.reason_phrase}{after}", status, attempt)
                else:
                    content = _read_capped(r, attempt)
                    _check_length(r, content, attempt)
                    return Fetched(
                        status, content, r.headers.get("etag"),
                        r.headers.get("last-modified"),
                        {"content-type": r.headers.get("content-type", ""),
                         "content-location": str(r.url)},
                        attempt,
                    )
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
            if attempt == attempts:
                raise FetchError(f"{type(e).__name__}: {e}{after}", None, attempt) from None
            delay = _retry_delay(None, attempt)
        except httpx.HTTPError as e:  # bad URL scheme, redirect loop: retrying won't help
            raise FetchError(f"{type(e).__name__}: {e}", None, attempt) from None
        sleep(delay)


def _retry_delay(retry_after, attempt):
    delay = BACKOFF * 2 ** (attempt - 1)
    if retry_after and retry_after.strip().isdigit():
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return delay


def _read_capped(response, attempt):
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchError(f"body larger than {MAX_BYTES} bytes", response.status_code, attempt)
        chunks.append(chunk)
    return b"".join(chunks)


def _check_length(response, content, attempt):
    # A body shorter than its Content-Length was cut short: refuse it, never
    # parse it leniently. (Compressed bodies are measured as sent.)
    declared = response.headers.get("content-length", "")
    encoded = response.headers.get("content-encoding", "identity") != "identity"
    received = response.num_bytes_downloaded if encoded else len(content)
    if declared.isdigit() and received < int(declared):
        raise FetchError(f"download cut short: {received} of {declared} bytes",
                         response.status_code, attempt)


def _read_file(url, last_modified):
    # The watchlist accepts file:// URLs (local mirrors); the mtime stands in
    # for Last-Modified so an unchanged file is "not modified", like a 304.
    path = Path(unquote(urlsplit(url).path))
    try:
        stamp = _http_date(path.stat().st_mtime)
        if stamp == last_modified:
            return Fetched(304, last_modified=stamp, requests=0)
        return Fetched(200, path.read_bytes(), None, stamp, {}, requests=0)
    except OSError as e:
        raise FetchError(f"cannot read {path}: {e.strerror}") from None


def _http_date(seconds):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(int(seconds)))


def _iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- writes -------------------------------------------------------------------


def save_feed_entries(db, feed_url, rows):
    """Upsert entries by id; return (new, updated). Nothing is ever deleted.

    Rows from ``entry_rows`` carry identity hints: a row keyed by key + title +
    date takes over a row stored under the bare key when that row holds the
    same post; a link-keyed row never overwrites a different post.
    """
    existing = {r["id"]: r for r in db.query("select * from feed_entries where feed = ?",
                                              [feed_url])}
    changed, new, updated, seen = [], 0, 0, set()
    for row in rows:
        row = _settle_id(dict(row), existing, seen)
        if row["id"] in seen:  # a feed repeating an entry: the first (newest) wins
            continue
        seen.add(row["id"])
        old = existing.get(row["id"])
        if old is None:
            new += 1
            changed.append(row)
            continue
        row = {**row, "first_seen": old["first_seen"]}
        if row["date_is_first_seen"]:
            # Undated entries keep the date they were first seen on, not today's.
            for name in ("published", "updated", "date_is_first_seen"):
                row[name] = old[name]
        if any(old.get(k) != v for k, v in row.items()):
            updated += 1
            changed.append(row)
    if changed:
        db["feed_entries"].upsert_all(changed, pk="id", alter=True)
    return new, updated


def _settle_id(row, existing, seen):
    """The row with its final id (see save_feed_entries); private hints removed."""
    plain, weak, shared_key = row.pop("_plain", None), row.pop("_weak", False), \
        row.pop("_shared_key", None)
    if (plain and row["id"] not in existing and plain in existing and plain not in seen
            and _same_post(existing[plain], row)):
        return {**row, "id": plain, "entry_id": existing[plain]["entry_id"]}
    old = existing.get(row["id"])
    if weak and old is not None and not _same_post(old, row) and shared_key:
        return {**row, "id": shared_key, "entry_id": shared_key.split(" ", 1)[1]}
    return row


def _same_post(old, row):
    """A stored row and a new one are the same post unless title and date both differ."""
    if old["title"] == row["title"]:
        return True
    dated = not old["date_is_first_seen"] and not row["date_is_first_seen"]
    return dated and old["published"] == row["published"]


def save_feed(db, url, **fields):
    """Upsert the ``feeds`` row for url with the given columns, keeping the others."""
    db["feeds"].upsert({"url": url, **fields}, pk="url", alter=True)


def _entry_count(db, url):
    return db.execute("select count(*) from feed_entries where feed = ?", [url]).fetchone()[0]


# -- the run --------------------------------------------------------------------


def harvest_feeds(db, client, feeds, *, now=None, sleep=time.sleep, log=None):
    """Fetch every feed and store its entries, committing feed by feed."""
    now = now or (lambda: datetime.now(timezone.utc))
    log = log or (lambda line: None)
    result = FeedsResult()
    done = set()
    for feed in feeds:
        if feed.url in done:
            continue
        done.add(feed.url)
        result.feeds += 1
        try:
            with db.conn:  # the entries and the validators that describe them, or neither
                _harvest_one(db, client, feed, _iso(now()), sleep, log, result)
        except Exception as e:  # e.g. a storage error: the next run fetches this feed again
            message = f"{feed.url}: cannot save: {type(e).__name__}: {e}"
            result.errors.append(RunError(message, source="feeds", target=feed.url))
            log(f"feed {feed.url} ERROR {message}")
    return result


def _harvest_one(db, client, feed, stamp, sleep, log, result):
    url = feed.url
    try:
        stored = db["feeds"].get(url)
    except NotFoundError:  # first time we see this feed
        stored = {}
    base = {"tags": json.dumps(feed.tags), "last_fetched": stamp}
    if feed.title:
        base["title"] = feed.title

    def fail(message, status):
        message = scrub(message)  # a server's reason phrase, stored and printed
        save_feed(db, url, **base, last_status=status, last_error=message,
                  entry_count=_entry_count(db, url))
        result.errors.append(RunError(f"{url}: {message}", source="feeds", target=url,
                                      status=status))
        log(f"feed {url} ERROR {message}")

    try:
        fetched = fetch_feed(client, url, stored.get("etag"), stored.get("last_modified"),
                             sleep=sleep)
    except FetchError as e:
        result.requests += e.requests
        return fail(str(e), e.status)
    result.requests += fetched.requests
    if fetched.status == 304:
        save_feed(db, url, **base, etag=fetched.etag, last_modified=fetched.last_modified,
                  last_status=304, last_error=None)
        result.not_modified += 1
        log(f"feed {url} 304 not modified")
        return
    try:
        parsed, warnings = read_feed(fetched.content, fetched.headers)
        rows = entry_rows(url, parsed.entries, stamp)
    except Exception as e:  # hostile input must not stop the run
        return fail(str(e) if isinstance(e, FeedError) else f"{type(e).__name__}: {e}",
                    fetched.status)
    new, updated = save_feed_entries(db, url, rows)
    # Validators are written last: if the run dies before this, the next run
    # refetches the feed instead of trusting a 304 for entries never stored.
    save_feed(
        db, url, **{"title": parsed.feed.get("title"), **base},
        site_link=parsed.feed.get("link"), etag=fetched.etag,
        last_modified=fetched.last_modified, last_status=fetched.status, last_error=None,
        last_warning="; ".join(warnings) or None, entry_count=_entry_count(db, url),
    )
    result.entries_new += new
    result.entries_updated += updated
    result.warnings += [f"{url}: {w}" for w in warnings]
    note = f" (warning: {'; '.join(warnings)})" if warnings else ""
    log(f"feed {url} {new} new, {updated} updated{note}")


# -- output helpers (pure): the only way feed text should reach HTML ------------

_SCRIPTS = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.I | re.S)


def entry_link(row):
    """The entry's link if it is plain http(s), else None (drops javascript:, data:...)."""
    return safe_url(row.get("link"))


def entry_title(row, limit=200):
    """The title as literal text, whitespace folded (not escaped: escape it to render)."""
    title = " ".join((row.get("title") or "").split())
    if len(title) > limit:
        title = title[: limit - 1].rstrip() + "…"
    return title or "(untitled)"


def entry_text(row, limit=300):
    """The summary as plain text without tags or script bodies (escape it to render)."""
    return plain(_SCRIPTS.sub(" ", row.get("summary") or ""), limit)


def entry_html(row):
    """An escaped HTML snippet: the title, linked only when the link is http(s)."""
    title, link = esc(entry_title(row)), entry_link(row)
    return f'<a href="{esc(link)}">{title}</a>' if link else title
