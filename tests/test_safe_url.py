"""safe_url: only http(s) links, and a real link with an apostrophe is kept, made inert (#21)."""

import html

import pytest

from tracker.safe import safe_url


@pytest.mark.parametrize("url,expected", [
    ("https://blog.jupyter.org/archiving-a-course's-notebooks-with-a",
     "https://blog.jupyter.org/archiving-a-course%27s-notebooks-with-a"),
    (" https://example.org/a b ", "https://example.org/a%20b"),
    ('https://example.org/"><script>alert(1)</script>',
     "https://example.org/%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
    ("http://example.org/plain?q=1&r=2", "http://example.org/plain?q=1&r=2"),
    ("javascript:alert(document.cookie)", None),
    ("data:text/html,<b>x</b>", None),
    ("ftp://example.org/file", None),
    (None, None),
    (42, None),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_a_kept_link_cannot_leave_its_attribute():
    url = safe_url("https://example.org/x' onmouseover='alert(1)")
    assert url and not any(c in url for c in "\"'<> ")
    assert html.escape(url, quote=True) == url.replace("&", "&amp;")
