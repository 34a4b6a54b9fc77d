"""The pipeline's messages: small frozen values that producers yield and the writer applies.

A *producer* is a generator run in a worker thread (``streams.repo_ops``,
``reconcile.reconcile_ops``, ``changes.Plan.repo_ops``). It only talks to GitHub
and yields ops; the one writer (``writer.apply``) looks each op's *type* up in
``writer.WRITERS`` and applies it with the run's connection, one transaction per op.

The rule that keeps a failed save from being forgotten: a ``State`` names the
streams it depends on (``needs``). When a page of one of them was not stored in
this run (its ``Rows`` could not be saved, or a ``Failed``/``Gone`` op said the
fetch broke), the writer drops the state update, so the next run asks GitHub for
those pages again. The check compares ``Stream`` values; no state key is ever parsed.

Adding a stream (registries, star history, ...):

1. a saver ``save_NAME(db, items, repo_id, bots) -> int`` in ``writer.SAVERS``
   under the stream's name (and, to count *changes* rather than rows written, an
   entry in ``writer.CHANGED``);
2. a producer ``NAME_ops(client, repo, state, stop)`` that yields
   ``Rows("NAME", repo_id, items)`` for each page, then
   ``State(state_key(repo_id, "NAME"), {...}, needs=(Stream(repo_id, "NAME"),))``;
3. its place in the plan: ``plan.producers`` lists which producers a repository runs.

A test of the new stream should break one page's save (``tests/test_failed_save.py``
shows how, with a SQLite trigger) and check that the next run stores it.
"""

from dataclasses import dataclass, field


def state_key(repo_id, stream):
    """The ``harvest_state`` key of one repository's stream (written, never parsed)."""
    return f"repo:{repo_id}:{stream}"


@dataclass(frozen=True)
class Stream:
    """One stream of one repository; ``name=None`` stands for all of the repository's."""

    repo: int
    name: str | None = None

    def covers(self, repo, name):
        return self.repo == repo and (self.name is None or name is None or self.name == name)


class Page:
    """An op carrying a page of ``stream`` for ``repo``: when the writer cannot save it,
    the stream has failed for this run."""


@dataclass(frozen=True)
class Rows(Page):
    """A page of items of ``stream`` for repository ``repo``, saved by ``writer.SAVERS[stream]``."""

    stream: str
    repo: int
    items: list


@dataclass(frozen=True)
class State:
    """Write ``fields`` to ``harvest_state[key]``, unless a stream in ``needs`` failed this run."""

    key: str
    fields: dict = field(default_factory=dict)
    needs: tuple = ()  # Stream values


@dataclass(frozen=True)
class Failed:
    """Fetching ``stream`` (None: the whole repository) failed with ``error``; recorded."""

    repo_name: str
    repo: int | None
    stream: str | None
    error: Exception


@dataclass(frozen=True)
class Permanent:
    """GitHub answers the same refusal every time (e.g. "contributor list is too large"):
    recorded on the stream's state and skipped from then on."""

    repo_name: str
    repo: int
    stream: str
    message: str


@dataclass(frozen=True)
class Gone:
    """The repository answered 404, 410 or 451 mid-walk: marked missing with ``reason``
    ("451 Repository access blocked (dmca)"), its stored rows kept."""

    repo_name: str
    repo: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Note:
    """A line for the progress log."""

    text: str


@dataclass(frozen=True)
class Done:
    """A worker finished every producer of one repository."""

    repo_name: str


# -- #25: stars and forks over time (history.py yields them, history_save.py applies them)

@dataclass(frozen=True)
class HistoryRows(Page):
    """A page of the ``stargazers`` or ``forks`` listing, seen by full walk ``walk``."""

    stream: str
    repo: int
    items: list
    walk: int | None


@dataclass(frozen=True)
class HistoryState:
    """Bring the coverage row of ``repo``'s ``stream`` in step, unless that stream failed."""

    repo: int
    stream: str
    fields: dict

    @property
    def needs(self):
        return (Stream(self.repo, self.stream),)


@dataclass(frozen=True)
class HistoryGone:
    """After full walk ``walk``: entries it did not list are gone from ``now`` (a capped
    walk vouches only up to ``until``); dropped when the stream failed."""

    repo: int
    stream: str
    walk: int
    now: str
    until: str | None

    @property
    def needs(self):
        return (Stream(self.repo, self.stream),)
