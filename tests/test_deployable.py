"""`tracker publish DIR`: plain `datasette serve` serves what `tracker serve` serves."""

import json
import shutil
import urllib.error
import urllib.request

import pytest
import sqlite_utils
from click.testing import CliRunner

from sampledb import LATEST_WEEK, populate_sample
from test_public import BASE, GREEDY, fetch, start
from tracker.cli import cli
from tracker.db import open_db
from tracker.digest import build_digests
from tracker.public import SECURITY_HEADERS
from tracker.publish import build_config

pytestmark = pytest.mark.e2e


def deployable(tmp_path, *args):
    directory = tmp_path / "site"
    result = CliRunner().invoke(cli, ["publish", str(directory), "--db", "sample.db", *args])
    assert result.exit_code == 0, result.output
    db_path = directory / "sample.db"
    populate_sample(sqlite_utils.Database(db_path)).close()
    build_digests(open_db(str(db_path)), all_weeks=True)
    return directory


def test_plain_datasette_serves_the_same_pages_with_the_same_limits(tmp_path):
    directory = deployable(tmp_path)
    assert {p.name for p in directory.iterdir()} >= {
        "metadata.json", "settings.json", "templates", "requirements.txt", "README.md"}
    proc, url = start(["datasette", "serve", str(directory)], tmp_path / "datasette.log")
    try:
        status, body, _ = fetch(f"{url}/digest")
        assert status == 200 and LATEST_WEEK.encode() in body
        status, body, _ = fetch(f"{url}/digest/{LATEST_WEEK}")
        # #21: the page's title is the week's headline; the issue line names the week.
        assert status == 200 and b"Tracking Jupyter" in body and LATEST_WEEK.encode() in body
        status, body, _ = fetch(f"{url}/sample/releases_this_week")
        assert status == 200 and b".col-atom_id { display: none; }" in body
        status, body, _ = fetch(f"{url}/sample/digest.atom")
        assert status == 200 and b"tag:tracking-jupyter.github.io" in body
        status, body, _ = fetch(f"{url}/-/settings.json")
        settings = json.loads(body)
        _, ours = build_config("sample")
        assert {k: settings[k] for k in ours} == ours  # 3 s limit, no facet suggestions
        for name, sql in GREEDY.items():
            status, body, _ = fetch(f"{url}/sample.json?sql={urllib.request.quote(sql)}")
            assert status == 400 and (b"too big" in body or b"too large" in body), name
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_public_deployable_carries_the_profile(tmp_path):
    directory = deployable(tmp_path, "--public", "--base-url", BASE)
    settings = json.loads((directory / "settings.json").read_text())
    assert settings["allow_download"] is False
    readme = (directory / "README.md").read_text()
    assert "datasette publish cloudrun" in readme and "--setting sql_time_limit_ms 3000" in readme
    proc, url = start(["datasette", "serve", str(directory)], tmp_path / "datasette.log")
    try:
        for path, expected in (("/", 200), (f"/digest/{LATEST_WEEK}", 200),
                               ("/-/versions.json", 404), ("/-/databases.json", 404)):
            status, headers = head(url + path)
            assert status == expected, path
            for name, value in SECURITY_HEADERS.items():
                assert headers[name] == value, (path, name)
        status, body, _ = fetch(f"{url}/sample/digest.atom")
        assert status == 200 and f"<id>{BASE}/sample/digest.atom</id>".encode() in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_publish_public_needs_a_base_url(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_BASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["publish", str(tmp_path / "x"), "--public"])
    assert result.exit_code == 2 and "base URL" in result.output


def head(url):
    """(status, headers), for error answers too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def test_readme_commands_name_the_database(tmp_path):
    directory = deployable(tmp_path)
    readme = (directory / "README.md").read_text()
    assert "datasette serve /var/lib/tracker/sample.db -m metadata.json" in readme
    shutil.rmtree(directory)
