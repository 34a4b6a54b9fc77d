"""One pass over the configured calendars, paper queries and Discourse categories.

Each target (a calendar, a query, a feed, a category) is fetched, read and
written on its own: its failure is one ``SourceProblem`` for the run's
``harvest_errors`` and leaves what is stored as it was. Validators (ETag,
Last-Modified) live in ``harvest_state`` under ``calendar:URL``, ``joss:URL``,
written only after the rows they describe.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..db import save_state
from .calendars import calendar_rows, fetch_calendar, iso_utc, save_events
from .discourse import harvest_category
from .http import Counter, Pacing, SourceError
from .papers.arxiv import harvest_arxiv
from .papers.identity import save_papers
from .papers.joss import fetch_joss, joss_records
from .papers.zenodo import harvest_zenodo

SOURCES = ("calendars", "papers", "discourse")


@dataclass(frozen=True)
class SourceProblem:
    """One recorded error: which source (calendars|papers|discourse), which target."""

    source: str
    target: str
    message: str
    http_status: int | None = None


@dataclass
class SourcesResult:
    counts: dict = field(default_factory=dict)  # events, papers, topics (new or changed)
    costs: dict = field(default_factory=dict)  # source -> Counter (requests, bytes)
    problems: list = field(default_factory=list)

    @property
    def requests(self):
        return sum(c.requests for c in self.costs.values())

    @property
    def not_modified(self):
        return sum(c.not_modified for c in self.costs.values())


def configured(config):
    return bool(config.calendars or config.papers or config.discourse)


def harvest_sources(db, config, client, *, now=None, pacing=None, environ=None, log=None,
                    stopped=lambda: False):
    """Harvest every configured source into ``db``; never raises for a source's failure."""
    now = now or datetime.now(timezone.utc)
    pacing = pacing or Pacing()
    log = log or (lambda line: None)
    result = SourcesResult()
    result.costs = {name: Counter() for name in SOURCES}

    def attempt(source, target, fn):
        if stopped():
            return
        try:
            fn()
        except SourceError as e:
            result.problems.append(SourceProblem(source, target, f"{target}: {e}", e.status))
            log(f"{source} {target} ERROR {e}")
        except Exception as e:  # hostile input must not stop the other sources
            result.problems.append(SourceProblem(source, target,
                                                 f"{target}: {type(e).__name__}: {e}"))
            log(f"{source} {target} ERROR {type(e).__name__}: {e}")

    def add(name, n):
        result.counts[name] = result.counts.get(name, 0) + n

    for cal in config.calendars:
        attempt("calendars", cal.url, lambda cal=cal: _calendar(
            db, client, cal, now, pacing, result.costs["calendars"], result, add, log))
    papers = config.papers
    if papers:
        arxiv_url, zenodo_url = papers.urls(environ)
        counter, stamp = result.costs["papers"], iso_utc(now)

        def save(records):
            with db.conn:
                new, updated = save_papers(db, records, stamp, synthetic=papers.synthetic)
            add("papers", new + updated)

        def known(record):
            return db.execute("select 1 from papers, json_each(papers.records) "
                              "where json_each.key = ?", [record.key]).fetchone() is not None

        for query in papers.arxiv:
            attempt("papers", f"arxiv:{query}", lambda q=query: harvest_arxiv(
                db, client, arxiv_url, q, pacing=pacing, counter=counter, save=save,
                known=known))
        for url in papers.joss:
            attempt("papers", url, lambda u=url: _joss(db, client, u, pacing, counter, save,
                                                       result, now))
        for query in papers.zenodo:
            attempt("papers", f"zenodo:{query}", lambda q=query: harvest_zenodo(
                db, client, zenodo_url, q, pacing=pacing, counter=counter, save=save,
                known=known))
    forum = config.discourse
    if forum:
        for slug in forum.categories:
            attempt("discourse", f"{forum.url.rstrip('/')}/c/{slug}", lambda s=slug: add(
                "topics", harvest_category(db, client, forum.url, s, pacing=pacing,
                                           counter=result.costs["discourse"],
                                           synthetic=forum.synthetic)))
    return result


def _state(db, key):
    row = db.execute("select etag, last_modified, updated_at from harvest_state where key = ?",
                     [key]).fetchone()
    return dict(zip(("etag", "last_modified", "updated_at"), row)) if row else {}


def _calendar(db, client, cal, now, pacing, counter, result, add, log):
    key = f"calendar:{cal.url}"
    fetched = fetch_calendar(client, cal.url, _state(db, key), pacing=pacing, counter=counter,
                             now=now)
    if fetched.status == 304:
        log(f"calendar {cal.name} 304 not modified")
        return
    read = calendar_rows(cal.name, fetched.content, now, tags=cal.tags, synthetic=cal.synthetic)
    with db.conn:
        new, updated, vanished = save_events(db, cal.name, read, now)
        # A calendar with a bad event is read in full again next time.
        save_state(db, key, etag=None if read.errors else fetched.etag,
                   last_modified=None if read.errors else fetched.last_modified,
                   updated_at=iso_utc(now))
    add("events", new + updated + vanished)
    log(f"calendar {cal.name}: {new} new, {updated} updated, {vanished} vanished")
    if read.errors:
        shown = "; ".join(read.errors[:3]) + (f"; and {len(read.errors) - 3} more"
                                              if len(read.errors) > 3 else "")
        result.problems.append(SourceProblem("calendars", cal.url, f"{cal.url}: {shown}"))


def _joss(db, client, url, pacing, counter, save, result, now):
    key = f"joss:{url}"
    fetched = fetch_joss(client, url, _state(db, key), pacing=pacing, counter=counter)
    if fetched.status == 304:
        return
    records, duplicates = joss_records(fetched.content)
    save(records)
    with db.conn:
        save_state(db, key, etag=fetched.etag, last_modified=fetched.last_modified,
                   updated_at=iso_utc(now))
    if duplicates:
        result.problems.append(SourceProblem(
            "papers", url, f"{url}: entry {duplicates[0]} appears "
                           f"{duplicates.count(duplicates[0]) + 1} times; stored once"))


def sleep_unless(stop):
    """A sleep that a signal's stop event cuts short (fatal GitHub errors do not)."""
    def sleep(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end and getattr(stop, "signum", None) is None:
            time.sleep(min(0.2, max(0.0, end - time.monotonic())))
    return sleep
