"""Shared fixtures: the GitHub emulator over loopback, a client, a harvest helper."""

import json
import time
from pathlib import Path

import pytest

from tracker.config import Config
from tracker.emulator import Emulator, load_facts
from tracker.github import GitHubClient
from tracker.harvest.run import Progress, run_harvest

TOKEN = "ghp_testtoken_never_printed_0123456789"
FACTS = Path(__file__).resolve().parents[1] / "tracker" / "data" / "jupyter"
# GitHub's contract and recorded exchanges, vendored (see tests/fixtures/README.md).
GITHUB_API = Path(__file__).resolve().parent / "fixtures" / "github-api"

# The real repos of the seed; mwouts/jupytext answers 301 -> jupytext/jupytext.
SEED_CONFIG = dict(orgs=["jupyterhub", "voila-dashboards"], users=["ines"],
                   repos=["mwouts/jupytext"])


def facts(folder, name):
    path = FACTS / folder / name
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in path.read_text().splitlines() if line]
    return json.loads(path.read_text())


def openapi_to_jsonschema(node):
    """OpenAPI 3.0 ``nullable: true`` -> JSON Schema ``anyOf [..., null]``."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_jsonschema(v) for k, v in node.items()}
    if out.get("nullable") is True:
        del out["nullable"]
        return {"anyOf": [out, {"type": "null"}]}
    return out


class Sleeps(list):
    """Records back-off sleeps instead of sleeping, so fault tests stay fast
    (``real=True``: also sleep, for waits the emulator measures on its clock)."""

    def __init__(self, real=False):
        super().__init__()
        self.real = real

    def __call__(self, seconds):
        self.append(seconds)
        if self.real:
            time.sleep(seconds)


@pytest.fixture
def emulator():
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        yield emu


def harvest(db_path, emu, config=None, *, token=TOKEN, sleeps=None, **kwargs):
    """Run the real harvest code path against the emulator; return the Summary."""
    config = config or Config(**SEED_CONFIG)
    client = GitHubClient(token, emu.url, sleep=sleeps if sleeps is not None else Sleeps(),
                          max_wait=kwargs.pop("max_wait", 900), retries=kwargs.pop("retries", 5))
    with client:
        summary = run_harvest(str(db_path), config, client=client, digest=False,
                              progress=Progress(quiet=True), **kwargs)
    # Every run's record agrees with how it ended (issue #10).
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        record = conn.execute("select status, exit_code, errors from harvest_runs "
                              "order by id desc limit 1").fetchone()
    conn.close()
    assert record == (summary.status, summary.exit_code, len(summary.errors)), record
    return summary
