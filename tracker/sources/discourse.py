"""Discourse category topics -> ``discourse_topics`` (title, counts, tags).

``GET {base}/c/{slug}.json`` (or ``/c/{slug}/{id}.json``) answers the
category's latest topics: ``{"topic_list": {"topics": [...],
"more_topics_url": "/c/slug/id/l/latest?page=1"}}``. The counts (replies,
likes, views) change every day, so each run rewrites the topics it reads;
nothing is deleted. Paced well under Discourse's per-IP limits (one request a
second by default; anonymous sites allow 200 a minute).
"""

import json
from urllib.parse import urljoin

from ..safe import clean, safe_url
from .http import SourceError, fetch

MAX_PAGES = 2


def category_url(base, slug):
    """``/c/{slug}.json``; a slug given as ``slug/id`` becomes ``/c/{slug}/{id}.json``."""
    return f"{base.rstrip('/')}/c/{slug.strip('/')}.json"


def fetch_topics_page(client, url, *, pacing, counter):
    fetched = fetch(client, url, pacing=pacing, counter=counter, accept="application/json")
    try:
        data = json.loads(fetched.content)
        topics = data["topic_list"]["topics"]
    except (ValueError, KeyError, TypeError):
        raise SourceError("not a Discourse topic list (JSON with topic_list.topics)") from None
    if not isinstance(topics, list):
        raise SourceError("not a Discourse topic list (topic_list.topics is not a list)")
    return topics, data["topic_list"].get("more_topics_url")


def _tags(value):
    tags = []
    for tag in value or []:
        name = tag.get("name") if isinstance(tag, dict) else tag  # newer Discourse: objects
        if isinstance(name, str):
            tags.append(clean(name))
    return tags


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def topic_row(site, category, topic, *, synthetic=False):
    """One topic of a topic list -> a ``discourse_topics`` row, or None (pure)."""
    if not isinstance(topic, dict) or not isinstance(topic.get("id"), int):
        return None
    slug = str(topic.get("slug") or "topic")
    return {
        "site": site, "id": topic["id"],
        "title": clean(topic.get("title") or topic.get("fancy_title") or "") or "(untitled)",
        "slug": clean(slug), "category": category,
        "created_at": topic.get("created_at"),
        "posts_count": _int(topic.get("posts_count")),
        "reply_count": _int(topic.get("reply_count")),
        "like_count": _int(topic.get("like_count")),
        "views": _int(topic.get("views")),
        "tags": json.dumps(_tags(topic.get("tags"))),
        "url": safe_url(f"{site.rstrip('/')}/t/{slug}/{topic['id']}"),
        "synthetic": int(bool(synthetic)),
    }


def save_topics(db, rows):
    if rows:
        db["discourse_topics"].upsert_all(rows, pk=("site", "id"))
    return len(rows)


def harvest_category(db, client, site, slug, *, pacing, counter, synthetic=False,
                     max_pages=MAX_PAGES):
    """Read a category's latest topics (at most ``max_pages``); return topics saved."""
    url, saved, category = category_url(site, slug), 0, slug.split("/")[0]
    for _ in range(max_pages):
        topics, more = fetch_topics_page(client, url, pacing=pacing, counter=counter)
        rows = [r for r in (topic_row(site, category, t, synthetic=synthetic) for t in topics)
                if r]
        with db.conn:
            saved += save_topics(db, rows)
        if not more or not topics:
            break
        # more_topics_url is site-relative and names the HTML page; ask for its JSON.
        path, _, query = more.partition("?")
        url = urljoin(site.rstrip("/") + "/", path.lstrip("/").removesuffix(".json") + ".json")
        url += f"?{query}" if query else ""
    return saved
