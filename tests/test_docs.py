"""The README documents every command and every option (as git-history's tests do)."""

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tracker.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# An option may be documented on its feature's page under docs/ (linked from the README).
DOCS = README + "".join(p.read_text() for p in sorted((ROOT / "docs").rglob("*.md")))
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_is_documented(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert f"tracker {name}" in README


@pytest.mark.parametrize("name,option", [
    (name, opt) for name in COMMANDS for param in cli.commands[name].params
    if isinstance(param, click.Option) for opt in param.opts if opt.startswith("--")
])
def test_every_option_is_documented(name, option):
    assert option in DOCS, f"tracker {name} {option} is not in README.md or docs/"


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    command = "pip install -e '.[test]' && python -m pytest"
    assert command in README and command in ci

