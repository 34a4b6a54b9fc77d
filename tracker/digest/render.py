"""Render one composed issue (``compose.compose``) through the Jinja2 templates
in tracker/templates/digest/: one template per output, the same ordered list
of sections in each.

- ``issue.html``  the HTML fragment stored as content_html (week page, static
                  site, Atom entry)
- ``issue.md``    Markdown, for a newsletter tool
- ``issue.txt``   plain text, the email's text/plain part
- ``email.html``  a complete 600 px HTML email with inline CSS

HTML templates are autoescaped; the Markdown and text ones escape with the
``md`` and ``mdlink`` filters (Markdown) or need none (plain text).
"""

import textwrap
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from jinja2 import Environment, PackageLoader, select_autoescape

from markupsafe import Markup

from ..safe import safe_url
from .html import DAY_NAMES
from .svg import bar_chart, sparkline_text
from .markdown import _mdlink, md


def blocks(items):
    """[(group, [items])]: consecutive items of one group together."""
    out = []
    for it in items:
        if out and out[-1][0] == it.get("group"):
            out[-1][1].append(it)
        else:
            out.append((it.get("group"), [it]))
    return out


def wrap(text, width=72, indent=0):
    lines = textwrap.wrap(text or "", width - indent, break_long_words=False,
                          break_on_hyphens=False)
    return ("\n" + " " * indent).join(lines)


def _environment(autoescape):
    env = Environment(loader=PackageLoader("tracker", "templates/digest"),
                      autoescape=select_autoescape(["html"]) if autoescape else False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(blocks=blocks, wrap=wrap, md=lambda t: md(t),
                       mdlink=lambda url, text: _mdlink(url, text))
    return env


_HTML, _TEXT = _environment(True), _environment(False)


def _squeeze(text):
    lines, blank = [], 0
    for line in text.splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def daily_chart(data):
    """Our own inline SVG bar chart of the week's days (no harvested text in it)."""
    if not data.get("daily") or not any(data["daily"]):
        return ""
    return Markup(bar_chart(data["daily"], DAY_NAMES, title="Daily activity, " + data["id"]))


def render_html(data):
    spark = " ".join(f"{day} {n}" for day, n in zip(DAY_NAMES, data.get("daily") or []))
    if spark:
        spark = f"{sparkline_text(data['daily'])} {spark}"
    return _squeeze(_HTML.get_template("issue.html").render(d=data, chart=daily_chart(data),
                                                             spark=spark))


def render_md(data):
    return _squeeze(_TEXT.get_template("issue.md").render(d=data))


def render_text(data):
    return _squeeze(_TEXT.get_template("issue.txt").render(d=data))


def render_email_html(data):
    return _squeeze(_HTML.get_template("email.html").render(d=data))


def with_base(data, base_url):
    """The issue with our site-relative links ('/digest/2026-W47', canned
    queries) made absolute under ``base_url``, or dropped without one: mail
    and plain text cannot follow a relative link."""
    base = (safe_url(base_url) or "").rstrip("/")

    def fix(link):
        if not link or not link.startswith("/"):
            return link
        return base + link if base else None

    return {**data, "urls": {k: fix(v) for k, v in data["urls"].items()},
            "sections": [{**s, "more_url": fix(s.get("more_url"))} for s in data["sections"]]}


def email_message(data, *, base_url=None, sender="Tracking Jupyter <digest@localhost>",
                  to=None, now=None):
    """An RFC 5322 message (``email.message.EmailMessage``): a text/plain part
    carrying every item and a text/html alternative. Send it with any mail tool."""
    data = with_base(data, base_url)
    msg = EmailMessage()
    msg["Subject"] = data["title"]
    msg["From"] = sender
    if to:
        msg["To"] = to
    if now is not None:
        msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=data["id"], domain="tracking-jupyter.invalid")
    msg.set_content(render_text(data), subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(render_email_html(data), subtype="html", charset="utf-8",
                        cte="quoted-printable")
    return msg
