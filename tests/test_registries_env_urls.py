"""#22 (a new user's trial): the registries' base URLs from the environment are
checked up front exactly like the config keys and GITHUB_API_URL: one line,
exit 2, nothing harvested (no request reaches the registry)."""

import pytest
import sqlite_utils
from click.testing import CliRunner

from registries_helpers import fill
from tracker.cli import cli as main
from tracker.config import ConfigError, parse_config, url_setting_error
from tracker.emulator.registries import RegistryServer

EXAMPLE = {"TRACKER_PYPI_URL": "https://pypi.org", "TRACKER_NPM_URL": "https://registry.npmjs.org",
           "TRACKER_ANACONDA_URL": "https://api.anaconda.org"}
BAD = ["pypi.org", "ftp://x", "http://", "http://[::1", "not a url"]


@pytest.mark.parametrize("variable", ["TRACKER_PYPI_URL", "TRACKER_NPM_URL",
                                      "TRACKER_ANACONDA_URL"])
@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("only", [["--only", "packages"], []])
def test_a_bad_registry_url_in_the_environment_stops_with_exit_2(tmp_path, variable, value,
                                                                 only):
    with RegistryServer() as reg:
        fill(reg)
        path = tmp_path / "tracker.yml"
        path.write_text(f"packages:\n  pypi: [sample-kernel]\n  npm: [sample-theme]\n"
                        f"  conda_forge: [sample-ext]\n  pypi_url: {reg.url}\n"
                        f"  npm_url: {reg.url}\n  anaconda_url: {reg.url}\n")
        result = CliRunner().invoke(
            main, ["harvest", "--config", str(path), "--db", str(tmp_path / "t.db"),
                   "--no-digest", *only], env={variable: value, "GITHUB_TOKEN": None})
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert lines == ["Error: " + url_setting_error(variable, value, EXAMPLE[variable])]
        assert "Traceback" not in result.output
        assert reg.requests == []
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert not db["package_releases"].exists() or db["package_releases"].count == 0


@pytest.mark.parametrize("value", BAD)
def test_the_config_keys_use_the_same_check(value):
    with pytest.raises(ConfigError) as caught:
        parse_config(f"packages:\n  pypi_url: '{value}'\n")
    assert str(caught.value).endswith(
        url_setting_error("'packages.pypi_url'", value, "https://pypi.org"))


def test_harvest_help_names_the_registry_variables():
    text = CliRunner().invoke(main, ["harvest", "--help"]).output
    for variable in EXAMPLE:
        assert variable in text


def test_a_packages_only_run_says_what_the_registries_gave(tmp_path):
    with RegistryServer() as reg:
        fill(reg)
        path = tmp_path / "tracker.yml"
        path.write_text(f"packages:\n  pypi: [sample-kernel]\n  pypi_url: {reg.url}\n"
                        f"  rate: 0\n")
        result = CliRunner().invoke(
            main, ["harvest", "--config", str(path), "--db", str(tmp_path / "t.db"),
                   "--no-digest", "--only", "packages", "-q"], env={"GITHUB_TOKEN": None})
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert ", 2 package releases;" in line and "rate limit left" not in line
