"""Feed documents to rows (pure): leniency, encodings, entry identity, dates.

The rules are explained in ``tracker.harvest.feeds``' docstring; this module
only reads bytes and returns feedparser results, warnings and rows.
"""

import calendar
import codecs
import hashlib
import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import feedparser

BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
# Real dates of feed entries lie between these; anything else is a placeholder.
EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
AHEAD = timedelta(days=1)


class FeedError(Exception):
    """The body was fetched but is not a complete feed."""


def parse_feed(content, headers=None):
    """feedparser's result for a body, or FeedError if it is not a complete feed."""
    return read_feed(content, headers)[0]


def read_feed(content, headers=None):
    """``(parsed, warnings)`` for a body; FeedError if it is cut short or not a feed.

    ``warnings`` lists what was repaired or read leniently, in words for the
    ``feeds.last_warning`` column.
    """
    headers = headers or {}
    warnings = []
    content, note = _repair_utf8(content, headers)
    if note:
        warnings.append(note)
    stripped = content.lstrip(b" \t\r\n")
    if len(stripped) < len(content) and stripped.startswith(b"<?xml"):
        warnings.append(f"{len(content) - len(stripped)} blank characters before <?xml ignored")
        content = stripped
    # A BytesIO, never bytes or a URL: feedparser opens a str/bytes argument
    # as a URL or a local file name if it can, and it must not fetch anything.
    # No sanitizing or link rewriting: entries are stored as received, and
    # escaped where they are rendered.
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers,
                              sanitize_html=False, resolve_relative_uris=False)
    exc = parsed.get("bozo_exception")
    if parsed.get("bozo"):
        if isinstance(exc, BENIGN_BOZO):
            warnings.append(f"{type(exc).__name__}: {exc}")
        elif _root_closed(content):
            warnings.append(f"not well-formed ({type(exc).__name__}: {exc}); "
                            f"read leniently, {len(parsed.entries)} entries")
        else:
            raise FeedError(
                f"not well-formed ({type(exc).__name__}: {exc}); "
                f"refused {len(parsed.entries)} possibly partial entries"
            )
    if not parsed.get("version"):
        raise FeedError("not an RSS or Atom feed")
    return parsed, warnings


_CHARSET = re.compile(rb"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)", re.I)


def _declared_encodings(content, headers):
    found = []
    for pattern, text in ((_CHARSET, (headers.get("content-type") or "").encode()),
                          (_XML_ENCODING, content[:200])):
        match = pattern.search(text)
        if match:
            try:
                found.append(codecs.lookup(match.group(1).decode("ascii")).name)
            except (LookupError, UnicodeDecodeError):
                found.append(None)
    return found


def _repair_utf8(content, headers):
    """Declared UTF-8 but with invalid bytes: replace them, say where; else unchanged."""
    declared = _declared_encodings(content, headers)
    if not declared or any(name != "utf-8" for name in declared):
        return content, None
    try:
        content.decode("utf-8")
        return content, None
    except UnicodeDecodeError as e:
        first = e.start
    text = content.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - content.decode("utf-8", errors="ignore").count("\ufffd")
    return text.encode("utf-8"), (f"declared UTF-8 but {bad} invalid byte sequence(s), "
                                  f"first at byte {first}: replaced by U+FFFD")


_ROOT = re.compile(rb"<(?![?!])([A-Za-z_][\w.:-]*)")


def _root_closed(content):
    """Whether the document ends by closing its root element (else it was cut short)."""
    # Skip comments and the doctype before looking for the root's name.
    head = re.sub(rb"<!--.*?-->|<!DOCTYPE[^>]*>", b"", content[:4096], flags=re.S)
    match = _ROOT.search(head)
    if not match:
        return False
    tail = re.sub(rb"<!--.*?-->", b"", content[-4096:], flags=re.S).rstrip()
    return re.search(rb"</" + re.escape(match.group(1)) + rb"\s*>$", tail) is not None


def entry_key(entry, shared=False):
    """The feed's own id for an entry, else its link, else a hash of title and date.

    ``shared``: that id or link is not unique in the document, so it is combined
    with the title and date (hashed) to tell the entries apart.
    """
    # dict.get: FeedParserDict.get("updated") falls back to published with a warning.
    date = dict.get(entry, "published") or dict.get(entry, "updated") or ""
    key = _plain_key(entry)
    if key and shared:
        text = f"{key}\n{entry.get('title') or ''}\n{date}"
        return "sha1:" + hashlib.sha1(text.encode()).hexdigest()
    if key:
        return key
    text = f"{entry.get('title') or ''}\n{date}"
    if not text.strip():
        text = entry.get("summary") or ""
    return "sha1:" + hashlib.sha1(text.encode()).hexdigest()


def _plain_key(entry):
    for value in (entry.get("id"), entry.get("link")):
        if value and value.strip():
            return value.strip()
    return None


def entry_rows(feed_url, entries, first_seen):
    """Rows for one document's entries, keys made unique within the document."""
    counts = Counter(_plain_key(e) for e in entries)
    rows = []
    for entry in entries:
        plain = _plain_key(entry)
        shared = plain is not None and counts[plain] > 1
        row = entry_row(feed_url, entry, first_seen, key=entry_key(entry, shared))
        # Private hints for save_feed_entries (dropped before writing): the bare
        # key a pre-upgrade row may be stored under, and whether the key is a
        # link (weaker than a guid: a new post can reuse a link).
        row["_plain"] = entry_id(feed_url, plain) if shared else None
        row["_weak"] = not shared and not (entry.get("id") or "").strip() and plain is not None
        row["_shared_key"] = entry_id(feed_url, entry_key(entry, True)) if plain else None
        rows.append(row)
    return rows


def entry_id(feed_url, key):
    """The stored id: the key namespaced by feed, since guids like "1" are not global.

    A space cannot occur in a URL, so the first space splits the id back apart.
    """
    return f"{feed_url} {key}"


def entry_row(feed_url, entry, first_seen, key=None):
    """A ``feed_entries`` row for one feedparser entry; ``first_seen`` is an ISO UTC string.

    Dates are ``YYYY-MM-DDTHH:MM:SSZ``; a missing or placeholder date becomes
    ``first_seen`` with ``date_is_first_seen`` = 1.
    """
    key = key or entry_key(entry)
    latest = datetime.strptime(first_seen, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc) + AHEAD
    published = _utc(entry, latest, "published_parsed", "updated_parsed", "created_parsed")
    updated = _utc(entry, latest, "updated_parsed", "published_parsed", "created_parsed")
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


def _utc(entry, latest, *fields):
    for name in fields:
        # dict.get: FeedParserDict.get maps a missing updated_parsed to
        # published_parsed (with a DeprecationWarning); we choose the order here.
        value = dict.get(entry, name)
        if value:
            try:
                # feedparser's tuples are UTC; time.mktime would read them as local time.
                when = datetime.fromtimestamp(calendar.timegm(value), timezone.utc)
            except (OverflowError, ValueError, OSError):
                continue
            # Go's zero time, the Unix epoch, a year typed wrong: not a date.
            if EARLIEST <= when <= latest:
                return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return None
