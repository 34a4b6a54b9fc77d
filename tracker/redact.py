"""Redaction: no credential this process holds leaves it in a message.

Credentials register what they hold when they get it (``hold``): the token,
each minted installation token, the App's private key and every line of it
(an echo may quote one line, or the key with its newlines escaped).
``redact`` replaces each held secret by ``***``, then anything shaped like a
credential that was never held here: a JWT (PyGithub builds the App's JWT
itself), a PEM private-key block, a GitHub token (``ghp_``, ``ghs_``,
``github_pat_``...) and the value after ``Bearer``/``token`` in a quoted
Authorization header. A proxy or a GitHub Enterprise front end that echoes
the request in an error body thus never puts a credential on a terminal, in a
log, in the database or on a served page.

``tracker.safe.scrub`` (terminal-safe text, then this) is what message paths call.
"""

import re
import threading

MASK = "***"
# A secret shorter than this is not searched for: a 3-character "token" would
# mask ordinary words in every message (and is not a credential GitHub issues).
MIN_LENGTH = 6
# A key line worth hiding: base64 body lines of a PEM, not its BEGIN/END lines.
_KEY_LINE = re.compile(r"^[A-Za-z0-9+/=]{16,}$")
_SHAPES = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"  # JWT
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})"
    # After Bearer/token: a credential-like word (16+ token characters, a digit
    # among them), not an English one ("Bearer authentication").
    r"|(?:(?<=[Bb]earer )|(?<=[Aa]uthorization: token ))(?=[A-Za-z0-9._~+/=-]*\d)"
    r"[A-Za-z0-9._~+/=-]{16,}",
    re.S,
)

_held = set()
_lock = threading.Lock()


def hold(*secrets):
    """Remember credentials this process holds, so every message redacts them."""
    with _lock:
        for secret in secrets:
            if isinstance(secret, str) and len(secret.strip()) >= MIN_LENGTH:
                _held.add(secret)
                _held.add(secret.strip())


def hold_key(private_key):
    """Remember a PEM private key: the whole text and each of its body lines."""
    if not isinstance(private_key, str):
        return
    hold(private_key)
    hold(*(line.strip() for line in private_key.splitlines() if _KEY_LINE.match(line.strip())))


def redact(text):
    """``text`` with every held credential and credential-shaped string as ``***``."""
    text = "" if text is None else str(text)
    with _lock:
        secrets = sorted(_held, key=len, reverse=True)  # a key before its lines
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _SHAPES.sub(MASK, text)
