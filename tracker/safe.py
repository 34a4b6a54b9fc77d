"""Output safety: everything from GitHub or feeds is untrusted text.

Stored as received; made safe only where it is rendered (HTML, Atom, digest).
"""

import html
import re

_SAFE_SCHEMES = ("http://", "https://")
_TAGS = re.compile(r"<[^>]*>")


def safe_url(url):
    """The URL if it is plain http(s), else None (drops javascript:, data:, ...)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if url.lower().startswith(_SAFE_SCHEMES) and not any(c in url for c in "\"'<> \n\r\t"):
        return url
    return None


def esc(text):
    """HTML-escape text (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def plain(text, limit=None):
    """Text with tags stripped and whitespace folded, optionally shortened with '…'."""
    text = " ".join(_TAGS.sub(" ", html.unescape(text or "")).split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
