"""Planning: what this run fetches from GitHub, decided before any worker starts.

In order, each step reading what the one before stored:

1. discovery (``discovery.py``): repositories found by topic and search queries;
2. resolution (``repos.py``): the watchlist's owners and repositories, their metadata;
3. change detection (``changes.py``, unless ``exact``): one issue search per group of
   owners tells which streams each watched repository still needs;
4. reconciliation (``reconcile.py``): which repositories walk their open issues today;
5. discovered repositories, each with the streams its tier asks for;
6. stars and forks over time (``history.py``, #25) for the repositories that want them.

The result is a list of ``Job`` (a repository and its producers) for ``pump.pump``.
A producer is ``fn(client, repo, state, stop)`` yielding ops (``ops.py``); to add a
stream to every watched repository, append its producer in ``_producers``.

Discovery and resolution write directly instead of through ops: they run before
the workers, in one listing thread with its own connection, and the rest of the
plan reads what they store (targets, ``pushed_at``, ``tracked_via``). Each stores a
page's rows before that page's state (ETag, watermark) and commits them together;
a page that cannot be saved raises before its state is written, so the next run
asks for it again (``tests/test_failed_save.py`` holds this for an owner listing and a
discovery source).
"""

from dataclasses import dataclass
from functools import partial

from ..db import load_states
from . import changes
from .discovery import discover_step, discovery_targets
from .pump import in_background
from .history import history_ops, plan_history
from .reconcile import plan_reconcile, reconcile_ops, track_open
from .repos import resolve_repos
from .streams import repo_ops


@dataclass(frozen=True)
class Job:
    """One repository and the producers its worker runs, in order."""

    repo: dict
    producers: tuple


def plan_github(run, only_repos, exact=False):
    """Discover, resolve and plan; returns the jobs (empty when the run was stopped)."""
    state = load_states(run.db)
    # Discovery (#13) first: for a watched repo the full metadata written next wins.
    found = in_background(run, lambda db: discover_step(
        run.client, db, run.config, run.now, state, only_repos, run.progress.log))
    for error in found.errors:
        run.error(error, stream="discovery")
    run.summary.counts["discovered"] = found.new
    targets, errors = in_background(run, lambda db: resolve_repos(
        run.client, db, run.config, state, run.now, only=only_repos, log=run.progress.log))
    for error in errors:
        run.error(error)  # RunErrors from repos.py keep their target and traceback
    if run.stop.is_set():
        run.summary.repos = len(targets)
        return []
    state = load_states(run.db)  # listings just saved repo states too
    streams_of = repo_ops
    if not exact:  # change detection (#15): which streams each watched repo still needs
        detected = in_background(run, lambda db: changes.plan_run(
            run.client, db, targets, state, now=run.now, log=run.progress.log))
        streams_of = detected.repo_ops
    # Only watched repos get the reconciliation walk; discovered ones are added
    # after it is planned, each with the streams its tier asks for.
    plan_reconcile(run.db, targets, state, run.now, run.config.reconcile_days)
    discovered = discovery_targets(run.db, targets, run.config, run.now, only_repos,
                                   fresh=found.fresh)
    # #25: stars and forks over time, by arithmetic on the counts just saved.
    plan_history(run.db, targets + discovered, state, run.now, run.config)
    jobs = [Job(repo, _producers(streams_of, run.now)) for repo in targets]
    for repo in discovered:
        jobs.append(Job(repo, (partial(_tier_ops, streams=repo["streams"]),
                               partial(history_ops, now=run.now))))
    run.state = state
    run.summary.repos = len(jobs)
    run.names = {job.repo["id"]: job.repo["full_name"] for job in jobs}
    return jobs


def _producers(streams_of, now):
    """What every watched repository runs: its streams, then the reconciliation walk
    (which compares open_issues_count with the issues the streams saved, #19)."""
    seen = {}  # issue number -> state, as saved this run

    def streams(client, repo, state, stop):
        return track_open(streams_of(client, repo, state, stop), seen)

    return (streams, partial(_reconcile, now=now, seen=seen), partial(history_ops, now=now))


def _reconcile(client, repo, state, stop, *, now, seen=None):
    return reconcile_ops(client, repo, state, stop, now, seen)


def _tier_ops(client, repo, state, stop, *, streams):
    return repo_ops(client, repo, state, stop, streams=streams)
