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
