"""What a build of many weeks reads once (#26) gives what each week reads alone.

Byte-identical outputs are tests/test_digest_golden.py; these hold the shared
reads themselves to the per-week ones on the sample database.
"""

import json
from datetime import date, timedelta

import pytest

from tracker.db import open_db
from tracker.digest import activity, kinds, sections, shared
from tracker.digest.build import SHARED_READS_FROM, edit_digest, every_week, week_bounds
from sampledb import populate_sample
from test_digest import NOW, WEEK, add_week_rows


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    db = open_db(str(tmp_path_factory.mktemp("shared") / "tracker.db"))
    populate_sample(db)
    add_week_rows(db)
    db.conn.commit()
    return db


def test_headline_numbers_with_everyones_first_week_known_are_the_same(db):
    firsts = shared.first_weeks(db)
    weeks = every_week(db, now=NOW)
    assert len(weeks) >= SHARED_READS_FROM
    seen_first_timers = 0
    for week in weeks:
        start, end = week_bounds(week)
        alone = sections.metrics(db, start, end)
        assert sections.metrics(db, start, end, firsts=firsts) == alone, week
        seen_first_timers += alone["first_timers"]
    assert seen_first_timers > 0  # the comparison covered first-timers and bots
    assert sections.metrics(db, *week_bounds(WEEK), firsts=firsts)["bot_prs"] > 0
    # Runs of days that are not whole weeks read the issues, as before.
    monday = date.fromisoformat(week_bounds(WEEK)[0])
    days = (monday + timedelta(2)).isoformat(), (monday + timedelta(12)).isoformat()
    assert sections.metrics(db, *days, firsts=firsts) == sections.metrics(db, *days)


def by_first_timers_order(rows):
    """The query's columns in sections.first_timers' order (stable: ties keep the
    rows' own order)."""
    return sorted(({k: r[k] for k in sections.FIRST_TIMER_COLUMNS} for r in rows),
                  key=lambda r: (not r["new_to_ecosystem"], r["first_at"] or "",
                                 r["contributor"] or ""))


def test_first_timers_are_the_query_s(db):
    """shared.first_timer_rows answers first_time_contributors (through its shared
    fragment, without the feed's text) in its order, ties included: one person's
    first PRs to two repositories in one second, as the sample has; whole weeks,
    two weeks, and a month that starts mid-week."""
    total = 0
    periods = [week_bounds(w) for w in every_week(db, now=NOW)]
    periods += [(week_bounds(WEEK)[0], "2026-11-30"), ("2026-11-01", "2026-12-01"),
                ("2025-03-01", "2025-04-01")]
    for start, end in periods:
        query = by_first_timers_order(sections._canned(
            db, "first_time_contributors", start, end, keep=sections.FIRST_TIMER_COLUMNS))
        assert by_first_timers_order(shared.first_timer_rows(db, start, end)) == query, start
        total += len(query)
    assert total > 10


def busiest_query(db, start, end, limit):
    """most_discussed as it read the busiest_this_week query before #26."""
    return [{"id": r["issue"], "type": r["type"], "number": r["number"], "title": r["title"],
             "html_url": r["atom_link"], "state": r["state"], "full_name": r["repo"],
             "week_comments": r["week_comments"], "people": r["commenters"]}
            for r in sections._canned(db, "busiest_this_week", start, end)[:limit]]


def test_most_discussed_is_the_query_s(db):
    """shared.busiest answers busiest_this_week (its first rows, in its order):
    bots' comments not counted, bots' and transferred or deleted issues not listed."""
    start, end = week_bounds(WEEK)
    top = sections.most_discussed(db, start, end)
    assert top and top[0]["week_comments"] > 1 and top == busiest_query(db, start, end, 6)
    with db.conn:  # the busiest issue moves away; a bot talks a lot somewhere else
        db.execute("update issues set transferred_to = 'elsewhere/repo' where id = ?",
                   [top[0]["id"]])
        db["issue_comments"].insert_all(
            [{"id": 59000 + i, "issue": 60002, "user": 90003, "body": "bump",
              "created_at": f"{start}T0{i}:00:00Z"} for i in range(9)], pk="id")
    try:
        listed = 0
        for week in every_week(db, now=NOW):
            start, end = week_bounds(week)
            for limit in (1, 6, 30):
                query = busiest_query(db, start, end, limit)
                assert sections.most_discussed(db, start, end, limit) == query, week
                listed += len(query)
        assert listed > 10
        assert top[0]["id"] not in [r["id"] for r in sections.most_discussed(
            db, *week_bounds(WEEK))]
        month = "2026-11-01", "2026-12-01"  # any period, not only weeks
        assert sections.most_discussed(db, *month, 30) == busiest_query(db, *month, 30)
    finally:
        with db.conn:
            db.execute("update issues set transferred_to = null where id = ?", [top[0]["id"]])
            db.execute("delete from issue_comments where id >= 59000 and id < 59009")


def test_a_period_s_versions_are_read_once_and_each_caller_gets_its_own(db):
    start, end = week_bounds(WEEK)
    memo = {}
    first = kinds.week_versions(db, start, end, memo)
    assert first and list(memo) == [("versions", start, end)]
    first[0]["places"].append("changed by a caller")
    again = kinds.week_versions(db, start, end, memo)
    assert "changed by a caller" not in again[0]["places"]
    assert again == kinds.week_versions(db, start, end)  # no memo: read as before
    # One period at a time: the next week's read replaces it.
    kinds.week_versions(db, "2026-11-23", "2026-11-30", memo)
    assert list(memo) == [("versions", "2026-11-23", "2026-11-30")]


def test_call_for_participation_without_any_such_label_is_empty_at_once(db):
    selector = {"rank": "labelled", "labels": ["no such label anywhere"]}
    ctx = {"memo": {}}
    assert activity.issues(db, *week_bounds(WEEK), selector, ctx) == []
    assert ctx["memo"] == {("labels", ("no such label anywhere",)): False}


def test_people_are_made_whole_when_shown_pinned_or_commented(db):
    """The people section's items are made when shown (kinds.lazy_item): a pinned
    or commented one is whole, with the edit, and nothing half-made is stored."""
    start, end = week_bounds(WEEK)
    eager = {f"@{p['login']}": activity._person(p) for p in sections.first_timers(db, start, end)}
    assert "@digest-newcomer" in eager
    edit_digest(db, WEEK, "@digest-newcomer", "comment", "Welcome!", now=NOW)
    edit_digest(db, WEEK, "@digest-newcomer", "pin", now=NOW)
    issue = json.loads(db["digests"].get(WEEK)["sections_json"])
    (people,) = [s for s in issue["sections"] if s["kind"] == "people"]
    assert people["items"][0] == {**json.loads(json.dumps(eager["@digest-newcomer"])),
                                  "comment": "Welcome!", "pinned": True}
    for it in people["items"]:
        assert it == {**json.loads(json.dumps(eager[it["id"]])), "comment": it["comment"],
                      "pinned": it["pinned"]}
    assert kinds.MAKE not in json.dumps(issue)
    edit_digest(db, WEEK, "@digest-newcomer", "hide", now=NOW)
    issue = json.loads(db["digests"].get(WEEK)["sections_json"])
    assert "@digest-newcomer" not in [it["id"] for s in issue["sections"] for it in s["items"]]


def test_clean_leaves_printable_ascii_as_it_is_and_cleans_the_rest_as_before():
    """safe.clean's fast path (printable ASCII has nothing to drop) answers what
    its regular expressions answer, for every character up to U+2FFF, the
    surrogates and the non-characters, alone and in text."""
    from tracker import safe

    def by_regex(text):
        if safe._ESCAPE_START.search(text):
            text = safe._ANSI.sub("", text)
        return safe._NOT_XML.sub("", text)

    for cp in [*range(0x3000), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF, 0x10FFFF]:
        for text in (chr(cp), f"a{chr(cp)}b", f"\x1b[31m{chr(cp)}"):
            assert safe.clean(text) == by_regex(text), hex(cp)
    text = "Fix #12 in https://x.org/?a=1&b=<2>"
    assert safe.clean(text) == text


def test_releases_are_made_whole_when_shown_with_their_edits(db):
    """Release items are lazy too (their notes' summary is made when shown):
    a commented, pinned release is whole, and the story still finds the
    security release among lazy items."""
    start, end = week_bounds(WEEK)
    whole = [kinds.made(it) for it in kinds.releases(db, start, end, {}, {"memo": {}})]
    assert whole and all(kinds.MAKE not in it and "summary" in it for it in whole)
    target = whole[-1]
    edit_digest(db, WEEK, target["id"], "comment", "Worth a look", now=NOW)
    edit_digest(db, WEEK, target["id"], "pin", now=NOW)
    issue = json.loads(db["digests"].get(WEEK)["sections_json"])
    (section,) = [s for s in issue["sections"] if s["kind"] == "releases"]
    assert section["items"][0] == {**json.loads(json.dumps(target)), "comment": "Worth a look",
                                   "pinned": True}
    assert issue["story"] == "pinned" and issue["story_id"] == target["id"]
    edit_digest(db, WEEK, target["id"], "pin", undo=True, now=NOW)


def test_first_timers_names_and_links_come_cleaned(tmp_path):
    """Who a first-timer is comes with the fragment's row (joined by id, not looked up
    by login): a name and profile link from GitHub are harvested text, cleaned as the
    rest, and a javascript: link never becomes an item's link."""
    db = open_db(str(tmp_path / "t.db"))
    populate_sample(db)
    add_week_rows(db)
    start, end = week_bounds(WEEK)
    rows = sections.first_timers(db, start, end)
    assert rows
    hostile = rows[0]["user"]
    db["users"].update(hostile, {"name": "Eve\x1b[31m\x00 [synthetic]",
                                 "html_url": "javascript:alert(1)"})
    db.conn.commit()
    mine = [r for r in sections.first_timers(db, start, end) if r["user"] == hostile]
    assert mine and all(r["name"] == "Eve [synthetic]" for r in mine)
    items = activity.people(db, start, end, {}, {})
    assert all(it["url"] is None for it in items if it["id"] == f"@{mine[0]['login']}")
