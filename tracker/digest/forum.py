"""Forum threads of a week, ranked (Discourse topics, #23).

``forum_threads_rows(db, start, end)`` is a pure read for the themed-sections
mechanism (#21) to call for the community section: topics created in
``[start, end)``, ranked by engagement: replies plus likes, then views (a
thread many answered outranks one many only read).
"""

import json

from ..safe import clean, safe_url

RANK = "(reply_count + like_count) desc, views desc, created_at, id"


def forum_threads_rows(db, start, end, *, limit=10, site=None):
    """The week's topics, most engaged first: [{title, url, category, tags, reply_count, ...}]."""
    rows = []
    for r in db.query(
            "select site, id, title, category, created_at, posts_count, reply_count, like_count, "
            "views, tags, url, synthetic from discourse_topics "
            "where created_at >= :start and created_at < :end "
            "and (:site is null or site = :site) "
            f"order by {RANK} limit :limit",
            {"start": start, "end": end, "site": site, "limit": limit}):
        row = {k: clean(v) if isinstance(v, str) else v for k, v in r.items()}
        row["url"] = safe_url(row["url"])
        try:
            row["tags"] = [t for t in json.loads(row["tags"] or "[]") if isinstance(t, str)]
        except ValueError:
            row["tags"] = []
        rows.append(row)
    return rows
