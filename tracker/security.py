"""What a security release is: the one definition every reader shares (#21, #22).

A version is a **security release** when

1. a package registry says it fixes an advisory (PyPI's ``vulnerabilities``,
   OSV records with ``fixed_in``: ``package_releases.advisories``), or
2. its release text names an advisory id (``CVE-2024-30265``,
   ``GHSA-m22c-4q2m-m5wr``, ``PYSEC-2023-12``) where a reader sees it (in the
   text or a link's text; an id only inside a URL does not count: "see the
   published advisory" of an earlier release is not a fix), or
3. a sentence of its text says plainly that it is one: "Security release!",
   "this release is a security workaround", "a security fix", "fixes a
   (critical) vulnerability", "fixes a security issue".

What does not make a security release on its own (precision first: a false ⚠
is worse than none, and a real one nearly always carries an id): the word
"security" elsewhere (``securityContext``, "security documentation", a
"Security announcement" heading in a major release, "security patches" of a
product that no longer gets them), a sentence about updating or bumping
dependencies (Dependabot bumps, "updated yarn.lock to address security
vulnerabilities"), or a negated statement ("won't get security fixes").

The rule is Python (``security_release``); SQL reads the same function as
``security_release(name, tag_name, body)`` and its ids as
``security_advisories(name, tag_name, body)`` (registered with the project's
other SQL functions), so the ``release_places``/``project_releases`` views,
the canned queries and the digest cannot disagree. docs/digest.md tells the
rule with the demo's real cases.
"""

import re
from functools import lru_cache

_ID = re.compile(r"(?i)(?<![\w-])(CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+)(?![\w])")
# Cheap test first: most release notes mention none of these.
_MAYBE = re.compile(r"(?i)secur|vulnerab|cve-|ghsa-|pysec-")
_URL = re.compile(r"https?://[^\s)>\]]+")
_REF_DEF = re.compile(r"(?m)^\s{0,3}\[[^\]]+\]:\s*\S+.*$")  # [label]: https://...
_REF_LABEL = re.compile(r"\]\[[^\]]*\]")                    # [text][label] -> [text]
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_STATEMENT = re.compile(
    r"(?i)\bsecurity[ -](?:release|fix|fixes|workaround)\b"
    r"|\b(?:this|the) release (?:fixes|patches|addresses|closes)\b[^.!?]*"
    r"\b(?:vulnerabilit(?:y|ies)|security (?:issue|hole|bug|flaw|problem)s?)\b"
    r"|\bfix(?:es|ed|ing)? (?:an? |the |two |several |multiple |some )?"
    r"(?:(?:critical|high|moderate|medium|low)(?:[- ]severity)? )?"
    r"(?:security (?:vulnerabilit(?:y|ies)|issues?|holes?|bugs?|flaws?)|vulnerabilit(?:y|ies))")
_DEPENDENCY = re.compile(
    r"(?i)\bdependenc(?:y|ies)\b|\bbump(?:s|ed|ing)?\b|yarn\.lock|package-lock"
    r"|\bdependabot\b|\brequirements\b"
    r"|\b(?:upgrad|updat)(?:e|es|ed|ing) (?:the )?[`\w.@/-]+ (?:from|to) ")
_NEGATION = re.compile(r"(?i)\b(?:no|not|never|without|won't|don't|doesn't|isn't)\b")


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):  # SQL passes blobs (text that may not be UTF-8)
        return value.decode("utf-8", "replace")
    return str(value)


def _norm(found):
    found = found.upper()
    return "GHSA" + found[4:].lower() if found.startswith("GHSA") else found


def advisory_ids(text):
    """(ids a reader sees, ids only inside URLs), each de-duplicated, in order."""
    text = _text(text)
    visible = _URL.sub(" ", _REF_LABEL.sub("]", _REF_DEF.sub(" ", text)))
    seen = list(dict.fromkeys(_norm(m) for m in _ID.findall(visible)))
    hidden = [i for i in dict.fromkeys(_norm(m) for m in _ID.findall(text)) if i not in seen]
    return seen, hidden


def _sentences(text):
    """Sentences of release notes, each with whether it is (in) a list item: a
    wrapped line joins its paragraph or bullet; links reduced to their text."""
    text = _URL.sub(" ", _REF_LABEL.sub("]", _REF_DEF.sub(" ", text)))
    text = re.sub(r"\[([^\]]*)\]", r"\1", text)
    units, current = [], []
    for line in text.splitlines():
        stripped = line.strip().lstrip(">").strip()
        if not stripped or stripped.startswith("#") or _BULLET.match(stripped):
            if current:
                units.append(" ".join(current))
            current = []
            if stripped.startswith("#"):
                units.append(stripped.lstrip("#").strip())
                continue
        if stripped:
            current.append(_BULLET.sub("", stripped))
    if current:
        units.append(" ".join(current))
    for unit in units:
        yield from (s for s in _SENTENCE_END.split(unit) if s)


def says_security_release(text):
    """True when a sentence of ``text`` says plainly that this is a security
    release or fix (rule 3 above), not about dependencies, not negated."""
    return any(_STATEMENT.search(s) and not _DEPENDENCY.search(s) and not _NEGATION.search(s)
               for s in _sentences(_text(text)))


@lru_cache(maxsize=4096)
def _judge(name, tag, body):
    text = "\n\n".join(t for t in (name, tag, body) if t)
    if not _MAYBE.search(text):
        return False, ()
    seen, hidden = advisory_ids(text)
    if seen:
        return True, tuple(seen)
    if says_security_release(text):
        return True, tuple(hidden)
    return False, ()


def security_release(name=None, tag=None, body=None, advisories=()):
    """(is_security, [advisory ids]) for a release's name, tag and notes and the
    ids a registry gave (``advisories``): the one rule (module docstring)."""
    registry = [_norm(a) for a in advisories or () if a]
    flag, ids = _judge(_text(name), _text(tag), _text(body))
    ids = list(dict.fromkeys(registry + list(ids)))
    return bool(registry) or flag, ids


def security_release_sql(name, tag, body):
    """``security_release(name, tag, body)`` in SQL: 1 or 0."""
    return int(security_release(name, tag, body)[0])


def security_advisories_sql(name, tag, body):
    """``security_advisories(name, tag, body)`` in SQL: the ids of a security
    release ("GHSA-..., CVE-..."), NULL when there are none (#22)."""
    flag, ids = security_release(name, tag, body)
    return ", ".join(ids) if flag and ids else None


def register_sql_function(conn):
    conn.create_function("security_release", 3, security_release_sql, deterministic=True)
    conn.create_function("security_advisories", 3, security_advisories_sql, deterministic=True)
