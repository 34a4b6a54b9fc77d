"""#20: the writer applies typed ops and drops a state whose streams failed this run."""

import sqlite_utils
from click.testing import CliRunner

from tracker.cli import cli
from tracker.config import Config
from tracker.db import load_states, open_db
from tracker.github import RequestFailed
from tracker.harvest.ops import Failed, Rows, State, Stream, state_key
from tracker.harvest.outcome import RunError, Summary
from tracker.harvest.progress import Progress
from tracker.harvest.signals import StopEvent
from tracker.harvest.writer import WRITERS, Run, apply

NOW = "2026-01-05T10:00:00Z"


def writer_run():
    db = open_db(sqlite_utils.Database(memory=True))
    return Run(db, None, Config(), None, Summary(), Progress(quiet=True), StopEvent(), NOW, False)


def test_a_state_needing_a_failed_stream_is_dropped_others_are_written():
    run = writer_run()
    apply(run, Failed("o/r", 7, "comments", RequestFailed("HTTP 502")))
    apply(run, State(state_key(7, "comments"), {"watermark": "x"}, needs=(Stream(7, "comments"),)))
    apply(run, State(state_key(7, "synced"), {"watermark": "x"}, needs=(Stream(7),)))
    apply(run, State(state_key(7, "issues"), {"watermark": "y"}, needs=(Stream(7, "issues"),)))
    apply(run, State(state_key(8, "synced"), {"watermark": "z"}, needs=(Stream(8),)))
    assert {k: v["watermark"] for k, v in load_states(run.db).items()} == {
        "repo:7:issues": "y", "repo:8:synced": "z"}
    assert run.summary.errors == [RunError("o/r comments: HTTP 502", target="o/r",
                                           stream="comments")]


def test_a_page_that_cannot_be_saved_fails_its_stream():
    run = writer_run()
    apply(run, Rows("issues", 7, [{"id": 1, "number": 1, "user": "not a user object"}]))
    apply(run, State(state_key(7, "issues"), {"watermark": "x"}, needs=(Stream(7, "issues"),)))
    assert (7, "issues") in run.failed and load_states(run.db) == {}
    assert run.summary.errors[0].stream == "issues"


def test_ops_are_dispatched_by_type_and_every_type_has_a_handler():
    from tracker.harvest import ops

    types = [v for v in vars(ops).values() if isinstance(v, type) and v.__module__ == ops.__name__
             and v not in (ops.Stream, ops.Page)]
    assert set(types) == set(WRITERS)


def test_old_crontabs_with_search_still_run(tmp_path):
    result = CliRunner().invoke(cli, ["harvest", "--search", "--db", str(tmp_path / "t.db"),
                                      "--config", str(tmp_path / "missing.yml")])
    assert "No such option" not in result.output and result.exit_code == 2
    assert "--search" not in CliRunner().invoke(cli, ["harvest", "--help"]).output
