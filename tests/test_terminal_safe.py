"""Remote text never drives the operator's terminal, and no credential leaves the run.

Real commands in subprocesses (harvest, status, digest, site, serve) against the
GitHub emulator and the feed server, told to answer with hostile reason phrases,
error bodies and logins, or to echo every request header back (as some proxies
and GitHub Enterprise front ends do). Every byte they print, log, store or serve
is then searched.
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TOKEN
from tracker.emulator import Emulator, load_facts
from tracker.feedserver import FeedServer
from tracker.safe import clean, scrub, terminal_text

ROOT = Path(__file__).resolve().parents[1]
# A window title, a screen clear, an OSC 8 hyperlink, 8-bit CSI and OSC, BS, DEL, BEL.
HOSTILE = ("\x1b]0;pwned\x07\x1b[2J\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
           "\x9b31m\x9d0;t\x9c\x08\x7f\x07")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all C0 but \t \n, DEL, C1
LINE_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]|\r")


def test_terminal_text_drops_every_control_and_keeps_the_words():
    assert terminal_text(f"HTTP 404 {HOSTILE} gone") == "HTTP 404 click gone"
    assert terminal_text("a\r\nforged: ok\tb") == "a forged: ok b"
    assert terminal_text("line\r\nnext", oneline=False) == "line\nnext"
    assert terminal_text(None) == ""
    assert clean("café \x90 ok") == "café  ok"  # a lone C1 is dropped, the rest kept
    assert not CONTROL.search(scrub("\x00\ud800x\u0085\x1bc"))


def tracker_cli(*args, env=None, cwd=None, timeout=180):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TRACKER_"))}
    full.update(env or {}, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True,
                          text=True, env=full, cwd=cwd, timeout=timeout)


# Posted in the week the real ines/juniper v0.1.0 came out, so that digest lists it.
EVIL_RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Evil {HOSTILE}</title>
<link>https://evil.example/</link><description>x</description>
<item><title>hostilepost {HOSTILE} title</title><link>https://evil.example/post</link>
<author>mallory{HOSTILE}@evil.example</author><description>body {HOSTILE} end</description>
<pubDate>Wed, 10 Apr 2019 12:00:00 +0000</pubDate><guid>evil-1</guid></item>
</channel></rss>"""


def hostile_logins(body):
    for item in body if isinstance(body, list) else []:
        if isinstance(item.get("author"), dict):
            item["author"]["login"] = "mallory" + HOSTILE
        item["name"] = f"Release {HOSTILE} name"
    return body


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("terminal")
    db = tmp / "tracker.db"
    with Emulator(load_facts(), tokens={TOKEN}) as emu, FeedServer() as feeds:
        emu.add_fault("rewrite", "/repos/ines/juniper/releases", count=None,
                      rewrite=hostile_logins)
        emu.add_fault("422", "/repos/ines/juniper/issues", count=None,
                      message=f"Validation Failed {HOSTILE}")
        feeds.fail("gone.rss", 404, reason=f"Not Found {HOSTILE}", body=HOSTILE.encode())
        feeds.set_content("evil.rss", EVIL_RSS.encode())
        (tmp / "tracker.yml").write_text(
            "github:\n  repos: [ines/juniper]\n"
            f"feeds:\n  - url: {feeds.url_for('jupyter-blog.rss')}\n"
            f"  - url: {feeds.url_for('gone.rss')}\n"
            f"  - url: {feeds.url_for('evil.rss')}\n")
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url}
        harvest = tracker_cli("harvest", "--db", str(db), "--config", str(tmp / "tracker.yml"),
                              "--max-rate", "0", env=env, cwd=tmp)
    assert harvest.returncode == 1, harvest.stderr  # partial: the 422 and the 404
    return tmp, db, harvest


def test_hostile_text_reaches_no_terminal_log_or_table(hostile_run):
    tmp, db, harvest = hostile_run
    outputs = {"harvest stdout": harvest.stdout, "harvest stderr": harvest.stderr}
    assert "Validation Failed" in harvest.stderr and "Not Found" in harvest.stderr
    for args in (["status", "--max-age", "100000d"], ["status", "--json"]):
        run = tracker_cli(*args, "--db", str(db), cwd=tmp)
        outputs[" ".join(args)] = run.stdout + run.stderr
    assert "Validation Failed" in outputs["status --json"]
    for fmt in ("md", "html", "atom"):
        run = tracker_cli("digest", "--db", str(db), "--all", "--format", fmt, cwd=tmp)
        assert run.returncode == 0, run.stderr
        outputs[f"digest {fmt}"] = run.stdout + run.stderr
    run = tracker_cli("site", "--db", str(db), "-o", str(tmp / "site"), cwd=tmp)
    assert run.returncode == 0, run.stderr
    outputs["site"] = run.stdout + run.stderr
    for page in (tmp / "site").rglob("*"):
        if page.is_file():
            outputs[str(page)] = page.read_text()
    assert "hostilepost" in "".join(outputs.values())  # the hostile title was published
    for name, text in outputs.items():
        pattern = LINE_CONTROL if "harvest" in name or "status" in name else CONTROL
        assert not pattern.search(text), (name, pattern.search(text), text[:2000])
    conn = sqlite3.connect(db)
    stored = conn.execute("select group_concat(message, '|') from harvest_errors").fetchone()[0]
    stored += conn.execute("select group_concat(error_log, '|') from harvest_runs").fetchone()[0]
    stored += conn.execute("select group_concat(coalesce(last_error, ''), '|') from feeds").fetchone()[0]
    assert "Validation Failed" in stored and "Not Found" in stored
    assert not CONTROL.search(stored.replace("\n", "")), stored


@pytest.fixture(scope="module")
def echoing_run(tmp_path_factory):
    """Every GitHub answer of one stream quotes the request's headers, token included."""
    tmp = tmp_path_factory.mktemp("echo")
    db = tmp / "tracker.db"
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.add_fault("echo", "/repos/ines/juniper/issues", count=None)
        emu.add_fault("echo", "/repos/ines/juniper/releases", count=None,
                      message=f"Bad request, your token {TOKEN} is Bearer {TOKEN}")
        (tmp / "tracker.yml").write_text("github:\n  repos: [ines/juniper]\n")
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url}
        harvest = tracker_cli("harvest", "--db", str(db), "--config", str(tmp / "tracker.yml"),
                              "--max-rate", "0", env=env, cwd=tmp)
        status = tracker_cli("status", "--db", str(db), "--json", "--live",
                             "--config", str(tmp / "tracker.yml"), env=env, cwd=tmp)
    assert harvest.returncode == 1, harvest.stderr
    assert "you sent" in harvest.stderr  # the echo happened and was reported
    return tmp, db, [harvest, status]


def credential_fragments(secret, size=12):
    """The secret and every piece of it long enough to mean something."""
    return {secret[i:i + size] for i in range(0, len(secret) - size + 1)}


def test_an_echoed_token_is_nowhere(echoing_run):
    tmp, db, runs = echoing_run
    texts = [r.stdout + r.stderr for r in runs]
    assert "***" in texts[0]
    for path in tmp.rglob("*"):
        if path.is_file():  # the database, its WAL, anything else the run wrote
            texts.append(path.read_bytes().decode("latin-1"))
    from tracker.publish import make_datasette
    import asyncio

    async def pages():
        ds = make_datasette(db)
        urls = ["/tracker/harvest_health", "/tracker/harvest_health.json",
                "/tracker/harvest_errors", "/tracker/harvest_errors.json", "/tracker/harvest_runs.json"]
        return [(await ds.client.get(u)).text for u in urls]

    texts += asyncio.run(pages())
    fragments = credential_fragments(TOKEN)
    for text in texts:
        leaked = [f for f in fragments if f in text]
        assert not leaked, (leaked, text[:500])


def test_an_app_run_leaks_no_installation_token_jwt_or_key_line(tmp_path):
    """As a GitHub App: the installation token, the JWT (echoed while minting) and
    a line of the private key (quoted by a front end) are redacted everywhere."""
    from test_auth import APP_ID, make_key

    pem, public = make_key()
    key_line = [ln for ln in pem.splitlines() if ln and not ln.startswith("-----")][3]
    (tmp_path / "app.pem").write_text(pem)
    (tmp_path / "tracker.yml").write_text("github:\n  repos: [ines/juniper]\n")
    texts = []
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.apps.add_app(APP_ID, public)
        emu.apps.install(APP_ID, "ines")
        env = {"GITHUB_APP_ID": str(APP_ID), "GITHUB_APP_PRIVATE_KEY_PATH": str(tmp_path / "app.pem"),
               "GITHUB_API_URL": emu.url}
        args = ("--config", str(tmp_path / "tracker.yml"), "--max-rate", "0")
        emu.add_fault("echo", "/repos/ines/juniper/issues", count=None,
                      message=f"Validation Failed for key line {key_line}")
        first = tracker_cli("harvest", "--db", str(tmp_path / "a.db"), *args, env=env, cwd=tmp_path)
        emu.clear_faults()
        emu.add_fault("echo", "/access_tokens", count=None)  # the JWT goes back
        second = tracker_cli("harvest", "--db", str(tmp_path / "b.db"), *args, env=env,
                             cwd=tmp_path)
        secrets = [key_line, *emu.apps.grants, *emu.apps.jwts]
    assert first.returncode == 1 and "you sent" in first.stderr, first.stderr
    assert second.returncode == 3 and "***" in second.stderr, second.stderr
    assert emu.apps.grants and emu.apps.jwts
    texts += [first.stdout, first.stderr, second.stdout, second.stderr]
    texts += [p.read_bytes().decode("latin-1") for p in tmp_path.glob("*.db*")]
    fragments = set().union(*(credential_fragments(s) for s in secrets))
    for text in texts:
        assert not [f for f in fragments if f in text], "a credential leaked"


def test_redact_held_credentials_and_credential_shapes():
    from tracker.redact import hold, hold_key, redact

    hold("s3cr3t-value-never-shown", "abc")  # too short to search for: ignored
    pem = ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n"
           "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdXV4\n-----END PRIVATE KEY-----\n")
    hold_key(pem)
    assert redact("x s3cr3t-value-never-shown y") == "x *** y"
    assert redact("line Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdXV4 quoted") == "line *** quoted"
    assert redact("an abc stays") == "an abc stays"
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiI0MjQyIn0.c2lnbmF0dXJl"
    assert redact(f"sent {jwt}!") == "sent ***!"
    assert redact("other ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 x") == "other *** x"
    assert redact("Authorization: Bearer 0123456789abcdefXYZ;") == "Authorization: Bearer ***;"
    assert redact("Bearer authentication is required") == "Bearer authentication is required"
    assert redact("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----") == "***"
