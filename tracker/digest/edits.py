"""The editor's hand: pin an item as the lead, hide an item, comment on an item.

Stored in ``digest_edits`` (one row per period, item and action) and applied
by ``apply_edits`` when a period is composed, so every output (the week page,
the static site, Markdown, Atom, email) shows the same edited issue. An item
is named by its id (``jupyterhub/zero-to-jupyterhub-k8s@4.4.0``; a version also as
its tag, ``...@v4.4.0``, or by project name alone, ``jupytext@1.19.4``;
``jupyterlab/jupyterlab#123``, ``@login``, a post's link) or by its URL, as
``tracker digest items WEEK`` lists them.
"""

import re
from datetime import datetime, timezone

from ..safe import plain

ACTIONS = ("pin", "hide", "comment")


class EditError(ValueError):
    """A bad edit: unknown action, empty item, a comment without text."""


_TAG_V = re.compile(r"@v(?=\d)")


def _norm(text):
    """An item's name as compared: case and a trailing slash ignored, and a
    version named as its tag ('jupytext@v1.19.4') or without the v (the id's
    'jupytext@1.19.4') is the same item."""
    return _TAG_V.sub("@", (text or "").strip().rstrip("/").lower())


def save_edit(db, period_id, item, action, text=None, *, undo=False, now=None):
    """Store (or with ``undo`` remove) one edit. Pinning replaces an earlier pin."""
    if action not in ACTIONS:
        raise EditError(f"unknown edit {action!r}: use {', '.join(ACTIONS)}")
    item = (item or "").strip()
    if not item:
        raise EditError("name an item: its id or URL, as `tracker digest items` lists them")
    text = plain(text) or None  # one line of text: tags and control characters dropped
    if action == "comment" and not undo and not text:
        raise EditError("a comment needs its text (one line)")
    with db.conn:
        if undo:  # the edit as named then or now: 'jupytext@v1.19.4' = 'jupytext@1.19.4'
            for (stored,) in db.execute("select item from digest_edits where period_id = ? "
                                        "and action = ?", [period_id, action]).fetchall():
                if _norm(stored) == _norm(item):
                    db.execute("delete from digest_edits where period_id = ? and item = ? "
                               "and action = ?", [period_id, stored, action])
            return
        if action == "pin":
            db.execute("delete from digest_edits where period_id = ? and action = 'pin'",
                       [period_id])
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        db["digest_edits"].upsert({"period_id": period_id, "item": item, "action": action,
                                   "text": text, "created_at": stamp},
                                  pk=("period_id", "item", "action"))


def load_edits(db, period_id):
    """{'pin': {item}, 'hide': {item}, 'comment': {item: text}} for one period."""
    edits = {"pin": set(), "hide": set(), "comment": {}}
    if "digest_edits" not in db.table_names():
        return edits
    for item, action, text in db.execute(
            "select item, action, text from digest_edits where period_id = ? order by created_at",
            [period_id]):
        if action == "comment":
            edits["comment"][_norm(item)] = text
        elif action in edits:
            edits[action].add(_norm(item))
    return edits


def _keys(it):
    """The names an item answers to: its id, its URL and, for a version, the
    short PROJECT@VERSION (``jupytext@1.19.4`` for ``jupytext/jupytext@1.19.4``)."""
    keys = {_norm(it["id"]), _norm(it.get("url"))}
    if it.get("project") and it.get("version"):
        keys.add(_norm(f"{it['project'].split('/')[-1]}@{it['version']}"))
    return keys - {""}


def apply_edits(items, edits):
    """Items with hidden ones removed, comments attached, the pinned one first."""
    if not (edits["hide"] or edits["pin"] or edits["comment"]):  # most periods (#26)
        return [{**it, "comment": None, "pinned": False} for it in items]
    out = []
    for it in items:
        keys = _keys(it)
        if keys & edits["hide"]:
            continue
        comment = next((edits["comment"][k] for k in keys if k in edits["comment"]), None)
        pinned = bool(keys & edits["pin"])
        out.append({**it, "comment": comment, "pinned": pinned})
    out.sort(key=lambda it: not it["pinned"])  # stable
    return out


def unmatched(edits, items):
    """Edited names that match no item of the period (a typo, an item gone)."""
    seen = set()
    for it in items:
        seen |= _keys(it)
    names = edits["pin"] | edits["hide"] | set(edits["comment"])
    return sorted(names - seen)
