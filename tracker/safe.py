"""Output safety: everything from GitHub or feeds is untrusted text.

Stored as received; made safe only where it is rendered (HTML, Atom, digest):
``clean`` drops ANSI escape sequences (pasted CI logs) and the characters
XML 1.0 forbids, so no input can make a feed unparseable; ``esc`` and
``plain`` clean too. SQL gets the same function as ``xml_text(text)``
(``register_sql_functions``), which the feed-shaped canned queries call.

Terminals, logs and messages get ``terminal_text``: the same cleaning (escape
sequences including OSC 8 links and titles, BEL, BS, DEL, C0 and 8-bit C1
controls) with line breaks folded, so remote text can neither drive the
operator's terminal nor forge a line. ``scrub`` = ``terminal_text`` then
``tracker.redact.redact``: what every message built from outside text goes
through before it is printed, logged or stored.
"""

import html
import re

_SAFE_SCHEMES = ("http://", "https://")
_TAGS = re.compile(r"<[^>]*>")
# ECMA-48: CSI (ESC [ or 8-bit U+009B ... final byte); the string controls
# OSC (ESC ], U+009D: titles, OSC 8 hyperlinks), DCS, SOS, PM and APC up to BEL
# or ST (ESC \ or U+009C); nF escapes (ESC ( B); any other two-byte escape.
# An 8-bit introducer counts only with its terminator: alone it is more often
# mis-decoded Windows-1252 than an attack, and is dropped like any C1 control.
_ANSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
                   r"|\x1b[\]P^_X][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                   r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
                   r"|\x1b[ -/]+[0-~]|\x1b[@-_]?")
_ESCAPE_START = re.compile("[\x1b\x90-\x9f]")
# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF];
# DEL and the 8-bit C1 controls are legal XML but still drive terminals
# (U+009B is CSI, U+009D OSC), so they go too.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\t\n\r]+")


def clean(text):
    """Text without ANSI escape sequences and XML-1.0-forbidden characters
    (None stays None; other values become str)."""
    if text is None:
        return None
    # Bytes: SQL's xml_text(cast(x as blob)), text that may not be valid UTF-8.
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    # Nearly all text is printable, and printable text holds no escape and no
    # character XML forbids (all are controls, surrogates or noncharacters):
    # nothing to drop, and no regex to run (SQL's xml_text() per row, #26).
    if text.isprintable():
        return text
    if _ESCAPE_START.search(text):
        text = _ANSI.sub("", text)
    return _NOT_XML.sub("", text)


def terminal_text(text, *, oneline=True):
    """Outside text safe for a terminal or a log line: ``clean`` and no carriage
    return; tabs and newlines folded to one space unless ``oneline`` is False.
    None becomes ''."""
    if text is None:
        return ""
    text = clean(text)
    if oneline:
        return _BREAKS.sub(" ", text)
    return text.replace("\r", "")


def scrub(text, *, oneline=True):
    """``terminal_text`` with every credential this process holds redacted: the one
    step for a message built from a response, before printing, logging or storing."""
    from .redact import redact

    return redact(terminal_text(text, oneline=oneline))


def scrub_tree(value):
    """``scrub`` every string in a JSON-shaped value (dicts, lists), keys included;
    each string becomes one line."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub_tree(k): scrub_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_tree(v) for v in value]
    return value


def html_text(text):
    """SQL ``html_text(x)``: x cleaned and HTML-escaped (quotes too); NULL stays NULL."""
    return None if text is None else esc(text)


def safe_link(*urls):
    """SQL ``safe_link(url, fallback, ...)``: the first argument that is a plain
    http(s) URL (``safe_url``), else NULL."""
    for url in urls:
        url = safe_url(url.decode("utf-8", "replace") if isinstance(url, bytes) else url)
        if url:
            return url
    return None


def plain_text(text, limit=None):
    """SQL ``plain_text(html, limit)``: ``plain`` (tags stripped, entities decoded,
    whitespace folded, cut with '…'); NULL stays NULL."""
    if text is None:
        return None
    if isinstance(limit, bytes):  # arguments arrive as blobs (tracker.canned)
        limit = limit.decode("ascii", "replace")
    limit = int(limit) if str(limit or "").strip().isdigit() else None
    return plain(text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text), limit)


def register_sql_functions(conn):
    """Give a sqlite3 connection the project's SQL functions, all deterministic:
    ``xml_text(x)`` (= ``clean``), ``html_text(x)``, ``safe_link(url, ...)``,
    ``plain_text(html, limit)`` and the
    week rule, ``week_start(x)`` and ``iso_week(x)`` (``tracker.weeks``), and
    ``security_release(name, tag, body)`` and ``security_advisories(name, tag, body)``
    (``tracker.security``). Queries
    pass them arguments cast to blob (``tracker.publish.bytes_arguments``), so
    text that is not UTF-8 is cleaned instead of failing the query."""
    from .weeks import iso_week, week_start

    conn.create_function("xml_text", 1, clean, deterministic=True)
    conn.create_function("html_text", 1, html_text, deterministic=True)
    conn.create_function("safe_link", -1, safe_link, deterministic=True)
    conn.create_function("plain_text", 2, plain_text, deterministic=True)
    conn.create_function("week_start", 1, week_start, deterministic=True)
    conn.create_function("iso_week", 1, iso_week, deterministic=True)
    # What a security release is (#21): tracker/security.py.
    from .security import register_sql_function
    register_sql_function(conn)


# Characters that could end an attribute or a Markdown/Atom link, percent-encoded
# rather than dropping the link: real blog URLs carry apostrophes (#21).
_URL_QUOTED = str.maketrans({c: f"%{ord(c):02X}" for c in "\"'<> \n\r\t"})
_URL_QUOTE = re.compile("[\"'<> \n\r\t]")  # translate() is the slow part when there is none


def safe_url(url):
    """The URL if it is plain http(s), else None (drops javascript:, data:, ...);
    quotes, angle brackets and whitespace inside it are percent-encoded."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if url.lower().startswith(_SAFE_SCHEMES) and clean(url) == url:
        return url.translate(_URL_QUOTED) if _URL_QUOTE.search(url) else url
    return None


def esc(text):
    """HTML-escape cleaned text (quotes too, so it is safe inside attributes)."""
    return html.escape(clean("" if text is None else text), quote=True)


def plain(text, limit=None):
    """Text with tags stripped and whitespace folded, optionally shortened with '…'."""
    text = " ".join(_TAGS.sub(" ", clean(html.unescape(text or ""))).split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
