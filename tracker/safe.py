"""Output safety: everything from GitHub or feeds is untrusted text.

Stored as received; made safe only where it is rendered (HTML, Atom, digest):
``clean`` drops ANSI escape sequences (pasted CI logs) and the characters
XML 1.0 forbids, so no input can make a feed unparseable; ``esc`` and
``plain`` clean too. SQL gets the same function as ``xml_text(text)``
(``register_sql_functions``), which the feed-shaped canned queries call.
"""

import html
import re

_SAFE_SCHEMES = ("http://", "https://")
_TAGS = re.compile(r"<[^>]*>")
# ECMA-48: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \), then any
# nF escapes (ESC ( B), any other two-byte escape; the 8-bit CSI (U+009B) too.
_ANSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                   r"|\x1b[ -/]+[0-~]|\x1b[@-_]?")
# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text):
    """Text without ANSI escape sequences and XML-1.0-forbidden characters
    (None stays None; other values become str)."""
    if text is None:
        return None
    text = str(text)
    if "\x1b" in text or "\x9b" in text:
        text = _ANSI.sub("", text)
    return _NOT_XML.sub("", text)


def register_sql_functions(conn):
    """Give a sqlite3 connection ``xml_text(text)`` (= ``clean``), deterministic."""
    conn.create_function("xml_text", 1, clean, deterministic=True)


def safe_url(url):
    """The URL if it is plain http(s), else None (drops javascript:, data:, ...)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if url.lower().startswith(_SAFE_SCHEMES) and not any(c in url for c in "\"'<> \n\r\t") \
            and clean(url) == url:
        return url
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
