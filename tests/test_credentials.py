"""Credentials as they really arrive (#19 item 3), over loopback against the emulator:
an App token that outlives its hour, a 401 mid-run, a suspended installation, and
private keys pasted the way CI secret stores and .env files hold them."""

import json
import threading
import time

import httpx
import pytest
import sqlite_utils

from conftest import TOKEN
from test_auth import (APP_ID, SMALL, app_credentials, app_env, app_harvest, cli, db_bytes,
                       harvest, make_key, secrets_in, snapshot)
from tracker.auth import AppCredentials, normalise_pem, refresh_after
from tracker.config import Config
from tracker.emulator import Emulator, load_facts
from tracker.github import AuthError, GitHubClient, Suspended


@pytest.fixture(scope="module")
def keys():
    return make_key()


class Clock:
    """GitHub's and our clock in one (offset from the real one, so JWTs stay valid);
    ``tick`` seconds pass with every request the transport sends."""

    def __init__(self, tick=0.0):
        self.offset, self.tick = 0.0, tick
        self._lock = threading.Lock()

    def __call__(self):
        return time.time() + self.offset

    def step(self):
        with self._lock:
            self.offset += self.tick


class Ticking(httpx.HTTPTransport):
    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def handle_request(self, request):
        self.clock.step()
        return super().handle_request(request)


def run_record(path):
    return sqlite_utils.Database(path).execute(
        "select status, exit_code, errors from harvest_runs order by id desc limit 1").fetchone()


@pytest.mark.parametrize("lifetime", [3600, 600, 60, 8, 1])
def test_margin_works_for_any_lifetime(lifetime):
    after = refresh_after(lifetime)
    assert 0 < after < lifetime
    assert lifetime - after == min(300, lifetime / 4)


def test_token_renewed_before_it_expires_during_a_long_run(tmp_path, keys):
    """A run that outlives its tokens (20 s tokens, 1 s per request): each is renewed
    before expires_at, so GitHub never answers 401 and nothing is missing. (The clock
    runs at most a few minutes ahead, so the App's JWTs, signed on the real clock,
    stay valid.)"""
    clock = Clock(tick=1.0)
    with Emulator(load_facts(), tokens={TOKEN}, clock=clock) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        emu.apps.install(APP_ID, "ines")
        emu.apps.token_lifetime = 20
        harvest(tmp_path / "token.db", emu, Config(**SMALL))
        emu.reset_log()
        credentials = app_credentials(emu, keys[0], clock=clock)
        summary = app_harvest(tmp_path / "app.db", emu, credentials, transport=Ticking(clock))
        assert summary.status == "ok", summary.errors
        assert credentials.minted >= 3 and clock.offset < 240
        assert not any(r.status == 401 for r in emu.requests)
    assert snapshot(tmp_path / "app.db") == snapshot(tmp_path / "token.db")


def test_renewal_reads_githubs_clock_not_ours(keys):
    """Our clock two minutes behind GitHub's: the token's life is measured from GitHub's
    Date header, so it is renewed before it expires on GitHub's side."""
    github_clock = Clock()
    github_clock.offset = 120.0
    with Emulator(load_facts(), tokens={TOKEN}, clock=github_clock) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        emu.apps.install(APP_ID, "ines")
        emu.apps.token_lifetime = 600
        ours = [time.time()]
        credentials = app_credentials(emu, keys[0], clock=lambda: ours[0])
        first = credentials.token()
        ours[0] += 600 - 150 + 1  # renewal is due 150 s before the end of a 600 s life
        assert credentials.token() != first and credentials.minted == 2


def test_expired_token_renewed_once_never_a_rate_limit(tmp_path, keys):
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        emu.apps.install(APP_ID, "ines")
        credentials = app_credentials(emu, keys[0])
        emu.apps.before_request(12, emu.apps.expire_tokens)
        client = GitHubClient(base_url=emu.url, credentials=credentials, sleep=lambda s: None)
        from tracker.harvest.run import Progress, run_harvest

        with client:
            summary = run_harvest(str(tmp_path / "t.db"), Config(**SMALL), client=client,
                                  digest=False, progress=Progress(quiet=True))
        assert sum(r.status == 401 for r in emu.requests) >= 1
    assert summary.status == "ok" and summary.exit_code == 0, summary.errors
    assert client.stats.limit_answers == 0 and credentials.minted == 2
    assert run_record(tmp_path / "t.db") == ("ok", 0, 0)


def test_cli_installation_suspended_mid_run_one_line_failed_exit_3(tmp_path, keys):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  orgs: [jupyterhub, voila-dashboards]\n  users: [ines]\n")
    key_path = tmp_path / "app.pem"
    key_path.write_text(keys[0])
    db_path = tmp_path / "t.db"
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        installation = emu.apps.install(APP_ID, "jupyterhub")
        emu.apps.before_request(8, lambda: emu.apps.suspend(installation.id))
        run = cli("harvest", "--db", str(db_path), "--config", str(config), "--no-digest",
                  env=app_env(emu, key_path))
        assert any(r.status == 403 for r in emu.requests)
        secrets = secrets_in(emu, keys[0])
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "suspended" in errors[0] and "unsuspend" in errors[0]
    assert len(run.stdout.strip().splitlines()) == 1 and run.stdout.startswith("failed")
    status, code, n = run_record(db_path)
    assert (status, code, n) == ("failed", 3, 1)
    for secret in secrets:
        assert secret not in run.stderr + run.stdout + db_bytes(db_path)


def test_suspended_before_the_run_is_the_same_one_line(tmp_path, keys):
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        emu.apps.suspend(emu.apps.install(APP_ID, "ines").id)
        credentials = app_credentials(emu, keys[0])
        with pytest.raises(Suspended, match="suspended .*unsuspend"):
            credentials.token()
        assert isinstance(Suspended("x"), AuthError) and Suspended.exit_code == 3


def pem_variants(pem):
    one_line = pem.strip().replace("\n", "\\n")
    return {
        "literal \\n on one line": one_line,
        "literal \\n, double-quoted": f'"{one_line}"',
        "CRLF": pem.replace("\n", "\r\n"),
        "single-quoted with blank lines around": f"\n'{pem}'\n\n",
        "indented (YAML block)": "\n".join("    " + line for line in pem.splitlines()),
        "body lines joined by spaces": pem.strip().replace("\n", " "),
        "literal \\r\\n": pem.strip().replace("\n", "\\r\\n"),
    }


@pytest.mark.parametrize("variant", list(pem_variants("x")))
def test_private_key_as_it_really_arrives(variant, keys):
    pasted = pem_variants(keys[0])[variant]
    assert normalise_pem(pasted) == normalise_pem(keys[0])
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        emu.apps.install(APP_ID, "ines")
        credentials = AppCredentials(APP_ID, pasted, emu.url, owners=[("user", "ines")])
        assert credentials.token()


def test_cli_key_with_literal_newlines_in_the_environment(tmp_path, keys):
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  repos: [jupyterhub/dockerspawner]\n  users: [ines]\n")
    db_path = tmp_path / "t.db"
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        emu.apps.install(APP_ID, "ines")
        env = {"GITHUB_APP_ID": str(APP_ID), "GITHUB_API_URL": emu.url,
               "GITHUB_APP_PRIVATE_KEY": keys[0].strip().replace("\n", "\\n")}
        run = cli("harvest", "--db", str(db_path), "--config", str(config), "--no-digest",
                  env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ok:") and run_record(db_path) == ("ok", 0, 0)


@pytest.mark.parametrize("what,text,advice", [
    ("not a PEM at all", "ghp_0123456789abcdef", "holds no '-----BEGIN"),
    ("a public key", None, "public key, not a private key"),
    ("damaged body", "-----BEGIN RSA PRIVATE KEY-----\nMII%%%%\n-----END RSA PRIVATE KEY-----",
     "not base64"),
    ("truncated body", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n"
                       "-----END RSA PRIVATE KEY-----", "does not decode"),
])
def test_unreadable_key_gets_advice_that_can_work(tmp_path, keys, what, text, advice):
    text = keys[1] if text is None else text
    key_path = tmp_path / "app.pem"
    key_path.write_text(text)
    config = tmp_path / "tracker.yml"
    config.write_text("github:\n  users: [ines]\n")
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        run = cli("harvest", "--db", str(tmp_path / "t.db"), "--config", str(config),
                  "--no-digest", env=app_env(emu, key_path))
    assert run.returncode == 3 and "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and advice in errors[0], run.stderr
    assert run_record(tmp_path / "t.db")[:2] == ("failed", 3)


def test_live_status_goes_through_the_client_and_its_origin_check(tmp_path):
    from tracker.status import live_rate_limit

    with Emulator(load_facts(), tokens={TOKEN}) as emu, Emulator(load_facts()) as other:
        env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": emu.url}
        live = live_rate_limit(env)
        assert live["core"]["limit"] == 5000 and live["core"]["remaining"] <= 5000
        assert [r.path for r in emu.requests] == ["/rate_limit"]
        emu.add_fault("offsite_redirect", "/rate_limit", location=f"{other.url}/rate_limit")
        refused = live_rate_limit(env)
        assert "another origin" in refused["error"] and TOKEN not in json.dumps(refused)
        assert not other.requests
