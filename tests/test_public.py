"""The public serving profile: headers on every kind of page, hidden introspection,
absolute URLs from the base URL only, bounded queries in a real server process."""

import asyncio
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import feedparser
import pytest
import sqlite_utils
from click.testing import CliRunner

from sampledb import LATEST_WEEK, populate_sample
from tracker.cli import cli
from tracker.db import open_db
from tracker.digest import build_digests
from tracker.public import SECURITY_HEADERS
from tracker.publish import make_datasette

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://tracker.example.org"
HIDDEN = ["/-/versions.json", "/-/databases.json", "/-/threads.json", "/-/plugins.json",
          "/-/settings.json", "/-/metadata.json", "/-/config.json", "/-/actor.json",
          "/-/permissions", "/-/allow-debug", "/-/messages", "/-/patterns", "/-/versions",
          "/-/databases", "/-/threads"]
HOSTILE_HOST = {"host": "evil.example", "x-forwarded-host": "evil.example",
                "x-forwarded-proto": "http"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("public") / "sample.db"
    populate_sample(sqlite_utils.Database(path)).close()
    build_digests(open_db(str(path)), all_weeks=True)
    return path


def get_all(db_path, paths, headers=None, **kwargs):
    async def run():
        ds = make_datasette(db_path, **kwargs)
        return {p: await ds.client.get(p, headers=headers) for p in paths}
    return asyncio.run(run())


def kinds_of_page(db):
    release = sqlite_utils.Database(db).execute("select id from releases limit 1").fetchone()[0]
    return {
        "/": 200, "/sample": 200, "/sample/releases": 200, f"/sample/releases/{release}": 200,
        "/sample/releases.json": 200, "/sample/releases.csv": 200,
        "/sample/releases_this_week": 200, "/sample/releases_this_week.json": 200,
        "/sample/releases_this_week.atom": 200, "/sample/digest.atom": 200,
        "/sample?sql=select+1": 200, "/sample.json?sql=select+1": 200,
        "/digest": 200, f"/digest/{LATEST_WEEK}": 200, "/digest/1999-W01": 404,
        "/-/dashboards": 200, "/-/dashboards/ecosystem-pulse": 200,
        "/-/static/app.css": 200, "/no/such/page": 404, "/-/versions.json": 404,
    }


def test_security_headers_on_every_kind_of_page(sample):
    expected = kinds_of_page(sample)
    pages = get_all(sample, list(expected), public=True, base_url=BASE)
    for path, response in pages.items():
        assert response.status_code == expected[path], (path, response.status_code)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get_list(name) == [value], (path, name)
    csp = SECURITY_HEADERS["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


def test_without_the_profile_pages_are_unchanged(sample):
    pages = get_all(sample, ["/", "/-/versions.json"])
    assert pages["/-/versions.json"].status_code == 200
    assert "content-security-policy" not in pages["/"].headers


def test_introspection_and_debug_pages_are_hidden(sample):
    pages = get_all(sample, HIDDEN + ["/", "/sample", "/-/dashboards/ecosystem-pulse"],
                    public=True, base_url=BASE)
    for path in HIDDEN:
        assert pages[path].status_code == 404, path
    for response in pages.values():
        assert str(sample.parent) not in response.text  # the file's absolute path


def test_absolute_urls_come_from_the_base_url_never_from_host(sample):
    paths = ["/sample/digest.atom", "/sample/releases_this_week.atom", "/sample/releases.json",
             "/sample/releases_this_week"]
    pages = get_all(sample, paths, headers=HOSTILE_HOST, public=True, base_url=BASE)
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert "evil.example" not in response.text, path
        assert "evil.example" not in str(response.headers), path
    for path in paths[:2]:
        feed = feedparser.parse(pages[path].text)
        assert feed.feed.id == BASE + path, feed.feed.id
        assert [link.href for link in feed.feed.links if link.rel == "self"] == [BASE + path]
        for entry in feed.entries:
            if path.endswith("digest.atom"):
                assert entry.link.startswith(BASE + "/digest"), entry.link


def test_public_needs_a_base_url(sample, monkeypatch):
    monkeypatch.delenv("TRACKER_BASE_URL", raising=False)
    for extra in ([], ["--base-url", "javascript:alert(1)"], ["--base-url", f"{BASE}/sub"]):
        result = CliRunner().invoke(cli, ["serve", "--db", str(sample), "--public", *extra])
        assert result.exit_code == 2 and "base URL" in result.output, result.output


# -- a real server process: refused quickly, memory bounded -------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, log_path, ready="/"):
    port = free_port()
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", *args, "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + ready, timeout=2):
                return proc, url
        except urllib.error.HTTPError:
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(Path(log_path).read_text())
            time.sleep(0.2)


def fetch(url, timeout=60):
    """(status, body bytes, seconds)."""
    began = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read(), time.monotonic() - began
    except urllib.error.HTTPError as e:
        return e.code, e.read(), time.monotonic() - began


def peak_rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024


COUNT = "with recursive c(x) as (select 1 union all select x + 1 from c where x < {n}) "
GREEDY = {
    "one gigabyte value": "select length(randomblob(999999999))",
    "150 MB blob as JSON": "select randomblob(150000000)",
    "many 1.9 MB values": COUNT.format(n=1000) + "select randomblob(1900000) from c",
    "zeroblob": "select zeroblob(999999999)",
    "repeat by replace": "select replace(hex(zeroblob(1000000)), '0', '0000000000')",
}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_public_server_refuses_greedy_sql_quickly_with_bounded_memory(sample, tmp_path):
    proc, url = start(["tracker", "serve", "--db", str(sample), "--public", "--base-url", BASE],
                      tmp_path / "serve.log")
    try:
        for name, sql in GREEDY.items():
            status, body, seconds = fetch(f"{url}/sample.json?sql={urllib.request.quote(sql)}")
            print(f"{name}: HTTP {status} in {seconds:.2f}s, {len(body)} bytes; "
                  f"peak RSS so far {peak_rss_mb(proc.pid):.0f} MB")
            assert status == 400, (name, body[:300])
            assert b"too big" in body or b"too large" in body, (name, body[:300])
        status, _, _ = fetch(f"{url}/sample/releases_this_week.json")
        assert status == 200  # the server still answers
        peak = peak_rss_mb(proc.pid)
        print(f"peak RSS (VmHWM) of the server: {peak:.0f} MB")
        assert peak < 300
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_systemd_serve_unit_is_public_and_memory_bounded(tmp_path):
    import configparser
    import shlex
    import shutil

    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    unit_path = ROOT / "deploy" / "systemd" / "tracker-serve.service"
    parser.read(unit_path)
    service = parser["Service"]
    assert service["MemoryMax"].endswith(("M", "G")) and service["ProtectSystem"] == "strict"
    assert "TRACKER_BASE_URL=https://" in service["Environment"]
    args = shlex.split(service["ExecStart"])
    assert args[0] == "/opt/tracker/venv/bin/tracker" and args[1] == "serve"
    serve = cli.commands["serve"]
    known = {opt for p in serve.params for opt in p.opts}
    assert "--public" in args and all(a in known for a in args[2:] if a.startswith("--"))
    assert args[args.index("--host") + 1] == "127.0.0.1"  # behind the reverse proxy
    analyze = shutil.which("systemd-analyze")
    if analyze:
        fake = tmp_path / "tracker"
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
        copy = tmp_path / "tracker-serve.service"
        copy.write_text(unit_path.read_text().replace(args[0], str(fake)))
        result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0 or "tracker-serve" not in result.stderr, result.stderr
