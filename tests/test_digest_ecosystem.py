"""The "New in the ecosystem" and "Rising" sections against SQL written independently,
and against the canned queries new_in_ecosystem and rising_repos."""

import re

import pytest
import sqlite_utils

from sample_discovery import HOSTILE_DESC, HOSTILE_TOPIC, KERNEL, VOILA, at
from sampledb import HOSTILE, LATEST_WEEK, populate_sample
from tracker.digest.ecosystem import new_in_ecosystem, render_html, render_md, rising
from tracker.publish import QUERIES, expand

MON, NEXT_MON = "2026-06-08", "2026-06-15"  # 2026-W24
SUN = "2026-06-14"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    db = populate_sample(sqlite_utils.Database(tmp_path_factory.mktemp("eco") / "eco.db"))
    # One more: created in the week (here only, to keep sampledb's facts), found by the
    # kernel topic after its backfill, with a snapshot before and in the week.
    with db.conn:
        db["repos"].insert({"id": 4002, "name": "sample-kernel", "full_name":
                            "sample-dev-2/sample-kernel", "owner": 3102, "stargazers_count": 12,
                            "topics": f'["{KERNEL}"]', "created_at": at(24, 3),
                            "html_url": "https://github.com/sample-dev-2/sample-kernel",
                            "description": "[synthetic] A kernel"})
        db["repo_sources"].insert({"repo": 4002, "source": f"topic:{KERNEL}",
                                   "first_seen_at": at(24, 4), "last_seen_at": at(24, 7)})
        db["repo_stats"].insert_all([
            {"repo": 4002, "harvested_at": at(24, 4), "stargazers_count": 12},
            {"repo": 4002, "harvested_at": at(24, 7), "stargazers_count": 15}])
    return db


INDEPENDENT_NEW = """
    select r.full_name from repos r
    where r.missing_since is null
      and r.id in (select repo from repo_sources where source like 'topic:%' or source like 'search:%')
      and (date(r.created_at) between :mon and :sun
        or exists (select 1 from repo_sources s where s.repo = r.id
                   and (s.source like 'topic:%' or s.source like 'search:%')
                   and date(s.first_seen_at) between :mon and :sun
                   and s.first_seen_at > (select min(b.first_seen_at) from repo_sources b
                                          where b.source = s.source)))
    order by r.stargazers_count desc, r.full_name
"""

INDEPENDENT_RISING = """
    with d as (select distinct repo from repo_sources
               where source like 'topic:%' or source like 'search:%'),
    ends as (
      select d.repo,
        (select stargazers_count from repo_stats s where s.repo = d.repo
           and date(s.harvested_at) between :mon and :sun order by harvested_at desc limit 1) as e,
        coalesce(
          (select stargazers_count from repo_stats s where s.repo = d.repo
             and date(s.harvested_at) < :mon order by harvested_at desc limit 1),
          (select stargazers_count from repo_stats s where s.repo = d.repo
             and date(s.harvested_at) between :mon and :sun order by harvested_at limit 1)) as b
      from d)
    select r.full_name, e - b from ends join repos r on r.id = ends.repo
    where e - b > 0 order by e - b desc, r.full_name
"""


def canned(db, name, **params):
    sql = expand((QUERIES / f"{name}.sql").read_text())
    cur = db.execute(sql, {"week": LATEST_WEEK, "topic": "", **params})
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def test_new_in_ecosystem_equals_independent_sql(db):
    new = new_in_ecosystem(db, MON, NEXT_MON)
    expected = [n for (n,) in db.execute(INDEPENDENT_NEW, {"mon": MON, "sun": SUN})]
    assert [r["full_name"] for r in new["repos"]] == expected
    assert expected == ["sample-dev-2/sample-kernel", "sample-eve/sample-voila-app"]
    why = {r["full_name"]: r["why"] for r in new["repos"]}
    assert why == {"sample-dev-2/sample-kernel": "created",
                   "sample-eve/sample-voila-app": "first seen"}
    rows = [r for r in canned(db, "new_in_ecosystem") if r["repo"]]
    assert [(r["repo"], r["why"]) for r in rows] == [(r["full_name"], r["why"])
                                                     for r in new["repos"]]


def test_per_topic_counts_equal_sql(db):
    new = new_in_ecosystem(db, MON, NEXT_MON)
    names = [r["full_name"] for r in new["repos"]]
    marks = ",".join("?" * len(names))
    expected = db.execute(f"""select substr(s.source, 7), count(*) from repo_sources s
        join repos r on r.id = s.repo where s.source like 'topic:%'
        and r.full_name in ({marks}) group by 1 order by 2 desc, 1""", names).fetchall()
    assert [(t["topic"], t["n"]) for t in new["per_topic"]] == [tuple(e) for e in expected]
    assert {t["topic"] for t in new["per_topic"]} == {KERNEL, VOILA}


def test_topic_filter(db):
    only = new_in_ecosystem(db, MON, NEXT_MON, topic=VOILA)
    assert [r["full_name"] for r in only["repos"]] == ["sample-eve/sample-voila-app"]
    rows = [r["repo"] for r in canned(db, "new_in_ecosystem", topic=VOILA) if r["repo"]]
    assert rows == ["sample-eve/sample-voila-app"]
    assert new_in_ecosystem(db, MON, NEXT_MON, topic="nothing-here")["repos"] == []
    placeholder = canned(db, "new_in_ecosystem", topic="nothing-here")
    assert len(placeholder) == 1 and placeholder[0]["atom_title"].startswith("Nothing new")


def test_backfill_is_not_news(db):
    earlier = new_in_ecosystem(db, "2026-05-11", "2026-05-18")  # W20: every first run
    # Only the repo really created that week; the backfill's old repos are not news.
    assert [(r["full_name"], r["why"]) for r in earlier["repos"]] == [
        ("jupyterlab/sample-extension", "created")]


def test_rising_equals_independent_sql(db):
    rows = rising(db, MON, NEXT_MON)
    expected = [tuple(r) for r in db.execute(INDEPENDENT_RISING, {"mon": MON, "sun": SUN})]
    assert [(r["full_name"], r["gained"]) for r in rows] == expected
    assert expected[0] == ("sample-dev-1/sample-widget", 35)
    assert [(r["repo"], r["gained"]) for r in canned(db, "rising_repos")] == expected
    assert [r["full_name"] for r in rising(db, MON, NEXT_MON, topic=KERNEL)] == [
        "sample-dev-2/sample-kernel"]


def test_rendering_is_escaped_and_xml_safe(db):
    new, up = new_in_ecosystem(db, MON, NEXT_MON), rising(db, MON, NEXT_MON)
    html, md = render_html(new, up), render_md(new, up)
    for text in (html, md):
        assert "sample-dev-2/sample-kernel" in text.replace("\\", "")
        assert "\x07" not in text and "javascript:" not in text
        for hostile in HOSTILE + [HOSTILE_TOPIC]:
            assert hostile not in text
    # Tags are stripped to plain text (tracker.safe.plain), the bell removed.
    assert "alert(1) app with a bell" in html
    assert re.findall(r'href="([^"]+)"', html) and all(
        u.startswith("https://") for u in re.findall(r'href="([^"]+)"', html))
    assert "Rising" in html and "+35" in html
    empty = render_html({"repos": [], "per_topic": []}, [])
    assert "No new repository" in empty and "Rising" not in empty
    assert HOSTILE_DESC.split()[1] not in md  # the raw <script> tag
