"""A release's summary: the first meaningful sentence of its notes, as plain text.

Release notes are Markdown, MyST or HTML written for a changelog, not for a
newsletter: they open with headings, "What's Changed", admonition fences
(```` ```{important} ````), bot lines ("Bump x from 1 to 2 by @dependabot"),
reference definitions and links. ``release_summary`` drops all of that and
returns the first sentence worth reading, cut at a sentence or word boundary
(never mid-word), with no markup left: it reads the same in HTML, Markdown,
plain text and an Atom summary.
"""

import html
import re

from ..safe import clean

LIMIT = 200

_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(\{[\w.-]+\})?")
_HEADING = re.compile(r"^\s{0,3}(#{1,6}\s|=+\s*$|-{3,}\s*$)")
_LABEL = re.compile(r"^\s*([*_]{1,2})[^*_]+\1:?\s*$")  # **Fixed**, __Changed__
_REFDEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+")  # [GHSA-x]: https://...
_OPTION = re.compile(r"^\s*:[\w-]+:")  # a MyST directive's :class: line
_BORING = re.compile(
    r"(?i)^(what'?s changed|changelog|change ?log|release notes|highlights|new contributors|"
    r"full changelog|contributors( to this release)?|changes|summary|overview|"
    r"(bug ?fixes|fixes|features|enhancements|maintenance|documentation|other)( made)?)\W*$")
_BOILERPLATE = re.compile(
    r"(?i)^(\**full changelog\**:?|\(?\[?full changelog|see (the )?(full )?changelog|"
    r"the following people contributed|this release (was|is) (made|generated)|"
    r"\**new contributors|\(?github contributors page|no (merged )?(prs|pull requests|changes)\b|"
    r"merged (prs|pull requests)\W*$)")
# Admonitions for some readers only ("If you are upgrading from 3.0.x"): their
# prose is a summary only when the notes have nothing else. An {important} or
# {note} that opens the notes is the release's own word ("4.3.3 is a security
# release fixing ...").
_ASIDES = {"{admonition}", "{warning}", "{caution}", "{danger}", "{attention}", "{error}"}
_HANDLE = re.compile(r"@[\w-]+")
_BOT = re.compile(r"(?i)(\[bot\]|@dependabot|@pre-commit-ci|@renovate|pre-commit\.ci|"
                  r"^bump \S+ from \S+ to \S+|^\[pre-commit\.ci\])")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TAG = re.compile(r"<[^>]*>")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REFLINK = re.compile(r"\[([^\]]+)\](\[[^\]]*\])?")
_AUTOLINK = re.compile(r"<https?://[^>]*>")
_URL = re.compile(r"https?://([^\s()<>]*[^\s()<>.,;:!?'\"])")
_EMPHASIS = re.compile(r"(\*\*|__|\*|~~|`+)")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ROLE = re.compile(r"\{[\w:-]+\}`([^`]*)`")  # MyST {ref}`text`
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s+(\[[ xX]\]\s+)?")
_TRAILER = re.compile(r"\s+(by @\S+\s+)?in\s+(#\d+|\S+/pull/\d+)\s*$|\s+\(?#\d+\)?\s*$|"
                      r"\s+\(\s*@[\w-]+(\s*,\s*@[\w-]+)*\s*\)\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(A-Z0-9])")
_EMPTY_PARENS = re.compile(r"\(\s*[,;]?\s*\)|\[\s*\]")


def inline_text(text, references=True):
    """One line of Markdown/MyST/HTML as plain text: links to their text,
    images, tags, URLs and emphasis markers gone, whitespace folded.
    ``references=False`` (a title: no link definitions to refer to) keeps a
    bracketed word as written: "[synthetic] Issue", "[WIP] Add x"."""
    text = html.unescape(_TAG.sub(" ", text))
    text = _ROLE.sub(r"\1", text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub("", text)
    if references:
        text = _REFLINK.sub(r"\1", text)
    text = _URL.sub(lambda m: m[1].rstrip("/"), text)  # a bare URL reads as its address
    text = _EMPHASIS.sub("", text)
    text = _UNDERSCORE.sub("", text)
    text = _EMPTY_PARENS.sub("", text)
    text = text.replace("\\", "")
    return " ".join(clean(text).split()).strip(" :;,-–—")


def _blocks(body, directives=None):
    """Paragraphs and bullets of the notes worth reading, as plain text, in order.
    ``directives``: True, only those inside an aside (an admonition for some
    readers, ``_ASIDES``); False, all others (an {important} note's prose too);
    None, all."""
    body = _COMMENT.sub("", clean(body or "").replace("\r\n", "\n"))
    fence, keep, para = None, False, []
    for raw in body.split("\n"):
        m = _FENCE.match(raw)
        if fence is None and m:
            # A MyST directive (```{important}) holds prose; a code fence does not.
            fence, keep = m[1][0] * 3, bool(m[2]) and m[2] not in ("{code}", "{code-block}")
            aside = m[2] in _ASIDES
            if para:
                yield " ".join(para)
                para = []
            continue
        if fence is not None:
            if raw.strip().startswith(fence) and not raw.strip().strip(fence[0]):
                fence = None
                if para and directives in (None, aside):
                    yield " ".join(para)
                para = []
                continue
            if not keep or _OPTION.match(raw) or directives not in (None, aside):
                continue
        elif directives:
            continue
        line = raw.strip()
        bullet = bool(_LIST.match(raw))
        if (not line or _HEADING.match(raw) or _LABEL.match(raw) or _REFDEF.match(raw)
                or bullet or line.startswith(("|", ">"))):
            if para:
                yield " ".join(para)
                para = []
            if bullet:  # its wrapped lines follow: the item is one paragraph
                para = [_LIST.sub("", raw).strip()]
            elif line.startswith(">"):
                yield line.lstrip("> ")
            continue
        para.append(line)
    if para:
        yield " ".join(para)


def _meaningful(text):
    if not text or _BORING.match(text) or _BOILERPLATE.match(text) or _BOT.search(text):
        return False
    # a list of contributors ("@a @b, @c") is no sentence: 8 letters say it is
    # (counted up to 8: long notes, 300 releases a week at 1M issues, #26)
    letters = 0
    for c in _HANDLE.sub("", text):
        if c.isalpha():
            letters += 1
            if letters == 8:
                return True
    return False


def first_sentence(text, limit=LIMIT):
    """The first sentence of plain text, at most ``limit`` characters; a longer
    one is cut at a word boundary and ends with '…'."""
    sentence = _SENTENCE_END.split(text, 1)[0].strip()
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if " " in cut and not sentence[limit - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—(") + "…"


def release_summary(body, limit=LIMIT):
    """The first meaningful sentence of release notes as plain text ('' if none):
    the release's own prose first; an admonition's ("If you are upgrading from
    3.0.x: …", a warning for some readers) only when there is nothing else."""
    for directives in (False, True):
        for block in _blocks(body, directives):
            if block.rstrip(" *_").endswith(":"):
                continue  # "This release fixes:" leads into a list: a cut sentence
            text = inline_text(block)
            for _ in range(2):  # "Fix x (#12) (@someone)": each trailer once
                text = _TRAILER.sub("", text).strip()
            if _meaningful(text):
                return first_sentence(text, limit)
    return ""
