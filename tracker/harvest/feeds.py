"""Harvest Atom and RSS feeds into the ``feeds`` and ``feed_entries`` tables.

``fetch_feed`` does HTTP only (conditional GET, bounded retries), ``parse_feed``
decides whether a document is complete enough to store, ``entry_row`` is pure
and ``save_*`` write. Entries are stored as the feed sent them, hostile markup
and ``javascript:`` links included; ``entry_link``, ``entry_title``,
``entry_text`` and ``entry_html`` are the only safe ways to render them.

The bozo rule: feedparser sets ``bozo`` for benign oddities and for broken
documents alike. Only a wrong declared encoding (CharacterEncodingOverride)
or a non-XML Content-Type (NonXMLContentType) is accepted, because the XML
parser still read the whole document. Anything else (a SAXParseException from
a truncated or ill-formed document, an unknown encoding) means feedparser
fell back to its lenient parser and may return only part of the feed, which
would look complete. Such a fetch is refused: the error goes on the ``feeds``
row, stored entries stay as they are, the validators are not updated (so the
next run fetches again) and the run moves on to the next feed.
"""

import calendar
import hashlib
import io
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import httpx
from sqlite_utils.db import NotFoundError

from ..safe import esc, plain, safe_url

ATTEMPTS = 3
BACKOFF = 1.0  # seconds before the 2nd attempt; doubled before each later one
MAX_RETRY_AFTER = 30.0
MAX_BYTES = 20 * 1024 * 1024  # far above any real feed; stops a runaway body
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass
class FeedsResult:
    feeds: int = 0
    not_modified: int = 0
    entries_new: int = 0
    entries_updated: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


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


class FeedError(Exception):
    """The body was fetched but is not a complete feed."""


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
                    return Fetched(
                        status, _read_capped(r, attempt), r.headers.get("etag"),
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


# -- parse and rows (pure) --------------------------------------------------


def parse_feed(content, headers=None):
    """feedparser's result for a body, or FeedError if it is not a complete feed."""
    # A BytesIO, never bytes or a URL: feedparser opens a str/bytes argument
    # as a URL or a local file name if it can, and it must not fetch anything.
    # No sanitizing or link rewriting: entries are stored as received, and
    # escaped where they are rendered.
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers or {},
                              sanitize_html=False, resolve_relative_uris=False)
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(exc, BENIGN_BOZO):
        raise FeedError(
            f"not well-formed ({type(exc).__name__}: {exc}); "
            f"refused {len(parsed.entries)} possibly partial entries"
        )
    if not parsed.get("version"):
        raise FeedError("not an RSS or Atom feed")
    return parsed


def entry_key(entry):
    """The feed's own id for an entry, else its link, else a hash of title and date."""
    for value in (entry.get("id"), entry.get("link")):
        if value and value.strip():
            return value.strip()
    date = entry.get("published") or entry.get("updated") or ""
    text = f"{entry.get('title') or ''}\n{date}"
    if not text.strip():
        text = entry.get("summary") or ""
    return "sha1:" + hashlib.sha1(text.encode()).hexdigest()


def entry_id(feed_url, key):
    """The stored id: the key namespaced by feed, since guids like "1" are not global.

    A space cannot occur in a URL, so the first space splits the id back apart.
    """
    return f"{feed_url} {key}"


def entry_row(feed_url, entry, first_seen):
    """A ``feed_entries`` row for one feedparser entry; ``first_seen`` is an ISO UTC string."""
    key = entry_key(entry)
    published = _utc(entry, "published_parsed", "updated_parsed", "created_parsed")
    updated = _utc(entry, "updated_parsed", "published_parsed", "created_parsed")
    authors = [a.get("name") for a in entry.get("authors") or [] if a.get("name")]
    content = entry.get("content") or []
    return {
        "id": entry_id(feed_url, key),
        "entry_id": key,
        "feed": feed_url,
        "title": entry.get("title"),
        "link": entry.get("link"),
        "author": ", ".join(authors) if len(authors) > 1 else entry.get("author"),
        "published": published or first_seen,
        "updated": updated or first_seen,
        "date_is_first_seen": 0 if published else 1,
        "summary": entry.get("summary") or (content[0].get("value") if content else None),
        "tags": json.dumps([t["term"] for t in entry.get("tags") or [] if t.get("term")]),
        "first_seen": first_seen,
    }


def _utc(entry, *fields):
    for name in fields:
        # dict.get: FeedParserDict.get maps a missing updated_parsed to
        # published_parsed (with a DeprecationWarning); we choose the order here.
        value = dict.get(entry, name)
        if value:
            try:
                # feedparser's tuples are UTC; time.mktime would read them as local time.
                seconds = calendar.timegm(value)
                return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- writes -------------------------------------------------------------------


def save_feed_entries(db, feed_url, rows):
    """Upsert entries by id; return (new, updated). Nothing is ever deleted."""
    existing = {r["id"]: r for r in db.query("select * from feed_entries where feed = ?",
                                              [feed_url])}
    changed, new, updated, seen = [], 0, 0, set()
    for row in rows:
        if row["id"] in seen:  # a feed repeating a guid: the first (newest) wins
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
        with db.conn:
            _harvest_one(db, client, feed, _iso(now()), sleep, log, result)
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
        save_feed(db, url, **base, last_status=status, last_error=message,
                  entry_count=_entry_count(db, url))
        result.errors.append(f"{url}: {message}")
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
        parsed = parse_feed(fetched.content, fetched.headers)
        rows = [entry_row(url, entry, stamp) for entry in parsed.entries]
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
        entry_count=_entry_count(db, url),
    )
    result.entries_new += new
    result.entries_updated += updated
    log(f"feed {url} {new} new, {updated} updated")


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
