"""#26: the fast paths of tracker.safe (called per row by SQL's xml_text(),
html_text() and safe_link()) give exactly what the full rules give.

``clean`` returns printable text as it is: every code point, alone and among
others, is checked against the regex rules it skips; ``safe_url`` translates
only URLs holding a character it would change.
"""

import re

from tracker import safe


def full_clean(text):
    """clean() without its fast path: the rules themselves."""
    if safe._ESCAPE_START.search(text):
        text = safe._ANSI.sub("", text)
    return safe._NOT_XML.sub("", text)


def test_clean_fast_path_agrees_on_every_code_point():
    for start in range(0, 0x110000, 64):
        chunk = "".join(chr(c) for c in range(start, min(start + 64, 0x110000)))
        for text in (chunk, "a" + chunk[:1] + "b", chunk[:1]):
            assert safe.clean(text) == full_clean(text), hex(start)
    # Escape sequences and forbidden characters inside otherwise printable text.
    for text in ["ok \x1b[31mred\x1b[0m", "title\x00", "tab\there", "line\nbreak", "\ud800x",
                 "\ufffe", "caf\u00e9", "\u00a0nbsp", "\x9b31mx", "", "plain"]:
        assert safe.clean(text) == full_clean(text)
        assert safe.clean(text.encode("utf-8", "surrogatepass")) == full_clean(
            text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))


def test_safe_url_translates_only_what_it_would_change():
    for url in ["https://github.com/a/b/issues/1", "https://x.example/it's \"q\" <t>",
                "http://x.example/a\tb", "https://x.example/%27", "javascript:alert(1)",
                "https://x.example/\x1b[2J"]:
        stripped = url.strip()
        expected = (stripped.translate(safe._URL_QUOTED)
                    if stripped.lower().startswith(("http://", "https://"))
                    and full_clean(stripped) == stripped else None)
        assert safe.safe_url(url) == expected
    assert re.fullmatch(r"https://x\.example/it%27s%20%22q%22%20%3Ct%3E",
                        safe.safe_url("https://x.example/it's \"q\" <t>"))
