"""Command-line behaviour that is not about a single library module."""

import pytest
from click.testing import CliRunner

from tracker.cli import cli


@pytest.mark.parametrize("args", [["serve"], ["digest"], ["note", "--week", "2026-W47", "hi"]])
def test_commands_reading_a_database_refuse_a_missing_one(tmp_path, args):
    missing = tmp_path / "nope.db"
    result = CliRunner().invoke(cli, [*args[:1], "--db", str(missing), *args[1:]])
    assert result.exit_code == 2
    assert "does not exist" in result.output and not missing.exists()


def test_init_writes_a_valid_watchlist_and_will_not_overwrite_it(tmp_path):
    path = tmp_path / "tracker.yml"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--path", str(path)]).exit_code == 0
    text = path.read_text()
    again = runner.invoke(cli, ["init", "--path", str(path)])
    assert again.exit_code == 2 and "use --force" in again.output  # usage, like every other
    assert path.read_text() == text
    assert runner.invoke(cli, ["init", "--path", str(path), "--force"]).exit_code == 0
