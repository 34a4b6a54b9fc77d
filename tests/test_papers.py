"""Papers (#23): identity and de-duplication across arXiv, JOSS and Zenodo, arXiv
pacing measured on the emulator's request log, empty pages and 429s, bad input."""

import json

import httpx
import pytest
import sqlite_utils

from sources_helpers import FakeClock, pacing_for, sources_config
from tracker.db import open_db
from tracker.emulator.sources import SourcesServer, load_synthetic
from tracker.sources.http import Counter
from tracker.sources.papers.arxiv import fetch_arxiv_page
from tracker.sources.papers.identity import PaperRecord, arxiv_base, normalize_doi, save_papers
from tracker.sources.run import harvest_sources


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def server(clock):
    with SourcesServer(clock=clock.now) as srv:
        yield load_synthetic(srv)


@pytest.fixture
def db():
    return open_db(sqlite_utils.Database(memory=True))


def run(db, server, clock, seconds=3.0, **only):
    config = sources_config(server, **{"calendars": (), "discourse": (), **only})
    with httpx.Client(timeout=5) as client:
        return harvest_sources(db, config, client, pacing=pacing_for(server, clock, seconds))


def test_identity_rules():
    assert normalize_doi("https://doi.org/10.21105/JOSS.01234") == "10.21105/joss.01234"
    assert normalize_doi("doi:10.5281/zenodo.5") == "10.5281/zenodo.5"
    assert normalize_doi("not a doi") is None
    assert arxiv_base("http://arxiv.org/abs/2401.01234v3") == "2401.01234"
    assert arxiv_base("arXiv:math/0501001v2") == "math/0501001"


def test_one_row_per_paper_across_three_sources(db):
    def rec(source, sid, **kw):
        return PaperRecord(source=source, source_id=sid, title=f"{source} title",
                           published=kw.pop("published", "2026-05-01"), **kw)
    arxiv = rec("arxiv", "2605.00001", arxiv_id="2605.00001", published="2026-04-20",
                authors=("A", "B"), venue="arXiv (cs.SE)", url="https://arxiv.org/abs/2605.00001")
    save_papers(db, [arxiv], "2026-04-21T00:00:00Z")
    assert [r["id"] for r in db["papers"].rows] == ["arxiv:2605.00001"]
    # The preprint's entry later carries the JOSS DOI: the row moves to the DOI identity.
    save_papers(db, [rec("arxiv", "2605.00001", arxiv_id="2605.00001", doi="10.21105/joss.00042",
                         published="2026-04-20")], "2026-05-02T00:00:00Z")
    joss = rec("joss", "10.21105/joss.00042", doi="10.21105/joss.00042",
               venue="Journal of Open Source Software", url="https://joss.theoj.org/papers/x")
    zenodo = rec("zenodo", "77", doi="10.21105/joss.00042", also=("10.5281/zenodo.77",),
                  venue="Zenodo (software)", published="2026-05-03")
    save_papers(db, [joss, zenodo], "2026-05-04T00:00:00Z")
    (row,) = db["papers"].rows
    assert row["id"] == "doi:10.21105/joss.00042"
    assert json.loads(row["sources"]) == ["joss", "arxiv", "zenodo"]
    assert row["title"] == "joss title" and row["venue"] == "Journal of Open Source Software"
    assert row["published"] == "2026-04-20"  # the earliest any source gives
    assert row["arxiv_id"] == "2605.00001" and row["first_seen_at"] == "2026-04-21T00:00:00Z"
    # A later arXiv answer never overwrites what JOSS said.
    save_papers(db, [arxiv], "2026-05-05T00:00:00Z")
    assert db["papers"].get("doi:10.21105/joss.00042")["title"] == "joss title"
    assert db["papers"].count == 1


def test_harvest_merges_the_emulated_sources(db, server, clock):
    result = run(db, server, clock)
    assert result.problems == []
    ids = {r["id"]: json.loads(r["sources"]) for r in db["papers"].rows}
    assert ids["doi:10.21105/joss.09101"] == ["joss", "arxiv"]  # arXiv entry with JOSS DOI
    assert ids["doi:10.21105/joss.09100"] == ["joss", "zenodo"]  # Zenodo archive of JOSS paper
    assert ids["arxiv:2605.10001"] == ["arxiv"]
    assert ids["doi:10.5281/zenodo.17000001"] == ["zenodo"]
    assert len(ids) == 12 + 12 + 6 - 3  # arXiv + JOSS + unrelated Zenodo - arXiv/JOSS pairs
    assert all(r["synthetic"] == 1 for r in db["papers"].rows)


def test_arxiv_requests_are_three_seconds_apart(db, server, clock):
    server.arxiv[:] = server.arxiv * 1 + [dict(p, id=f"2606.{20001 + i:05d}")
                                          for i, p in enumerate(server.arxiv * 10)]
    server.fail("/api/query", 429, times=1, retry_after=1)  # asks for less than 3 s
    run(db, server, clock, joss=(), zenodo=())
    log = server.log_for("/api/query")  # 132 new papers: three pages of 50, plus the 429
    assert [r.status for r in log] == [429, 200, 200, 200]
    assert [r.query["start"] for r in log] == [["0"], ["0"], ["50"], ["100"]]
    gaps = [b.at - a.at for a, b in zip(log, log[1:])]
    assert min(gaps) >= 3.0, gaps


def test_arxiv_empty_page_is_asked_again(db, server, clock):
    server.empty_pages("/api/query", times=1)
    result = run(db, server, clock, joss=(), zenodo=())
    assert result.problems == [] and db["papers"].count == 12
    assert [r.status for r in server.log_for("/api/query")] == [200, 200]


def test_arxiv_zero_entries_with_total_is_one_error_and_keeps_rows(db, server, clock):
    run(db, server, clock, joss=(), zenodo=())
    before = list(db["papers"].rows)
    server.empty_pages("/api/query", times=5)
    result = run(db, server, clock, joss=(), zenodo=())
    assert [p.source for p in result.problems] == ["papers"]
    assert "zero entries" in result.problems[0].message or "empty page" in result.problems[0].message
    assert list(db["papers"].rows) == before


def test_arxiv_page_reports_total(server, clock):
    with httpx.Client() as client:
        total, parsed = fetch_arxiv_page(client, f"{server.url}/api/query", "all:jupyter", 0,
                                         pacing=pacing_for(server, clock), counter=Counter())
    assert total == 12 and len(parsed.entries) == 12


def test_html_instead_of_a_feed_is_one_error(db, server, clock):
    run(db, server, clock)
    before = list(db["papers"].rows)
    server.set_content("/papers/published.atom", b"<!doctype html><html><body>Maintenance"
                       b"</body></html>")
    server.set_content("/api/records", b"<html>502 Bad Gateway</html>")
    result = run(db, server, clock)
    assert sorted(p.target for p in result.problems) == [
        f"{server.url}/papers/published.atom", "zenodo:jupyter"]
    assert list(db["papers"].rows) == before


def test_joss_feed_with_a_duplicated_entry(db, server, clock):
    papers = server.joss["published"]
    server.joss["published"] = papers[:3] + [papers[1]] + papers[3:]
    result = run(db, server, clock, arxiv=(), zenodo=())
    assert len(result.problems) == 1 and "appears 2 times" in result.problems[0].message
    assert db["papers"].count == 12


def test_joss_feed_is_fetched_conditionally(db, server, clock):
    run(db, server, clock, arxiv=(), zenodo=())
    result = run(db, server, clock, arxiv=(), zenodo=())
    assert server.log_for("/papers/published.atom")[-1].status == 304
    assert result.costs["papers"].not_modified == 1
