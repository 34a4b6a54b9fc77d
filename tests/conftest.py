"""Shared fixtures: the GitHub emulator over loopback, a client, a harvest helper."""

import json
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


class Sleeps(list):
    """Records back-off sleeps instead of sleeping, so fault tests stay fast."""

    def __call__(self, seconds):
        self.append(seconds)


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
        return run_harvest(str(db_path), config, client=client, digest=False,
                           progress=Progress(quiet=True), **kwargs)
