"""GitHub App authentication (PyGithub) against the emulator's App endpoints."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import jwt
import pytest
import sqlite_utils
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tracker.auth import (AppCredentials, AuthConfigError, TokenCredentials,
                          credentials_from_env, watched_owners)
from tracker.config import Config
from tracker.emulator import Emulator, load_facts
from tracker.emulator.apps import BAD_EXP, FAR_EXP, NOT_DECODED
from tracker.github import AuthError, GitHubClient, OffOrigin
from tracker.harvest.run import Progress, run_harvest

from conftest import TOKEN, Sleeps, harvest

ROOT = Path(__file__).resolve().parents[1]
APP_ID = 4242
# Small enough to harvest twice in a test; the App is installed on ines.
SMALL = dict(users=["ines"], repos=["jupyterhub/dockerspawner",
                                    "jupyterhub/jupyterhub-deploy-docker"])
SMALL_YAML = ("github:\n  users: [ines]\n"
              "  repos: [jupyterhub/dockerspawner, jupyterhub/jupyterhub-deploy-docker]\n")
TABLES = {  # table -> columns that do not depend on when or how the run happened
    "repos": "id, full_name, description, stargazers_count",
    "releases": "id, tag_name, published_at, repo",
    "issues": "id, number, title, state, updated_at, repo, type",
    "pull_requests": "id, number, merged_at, repo",
    "issue_comments": "id, issue, updated_at, body",
    "commits": "sha, repo, author_date",
    "contributors": "repo_id, user_id, contributions",
    "users": "id, login",
}


def make_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem, public


@pytest.fixture(scope="module")
def keys():
    return make_key()


@pytest.fixture
def app_emulator(keys):
    with Emulator(load_facts(), tokens={TOKEN}) as emu:
        emu.apps.add_app(APP_ID, keys[1])
        emu.apps.install(APP_ID, "ines")
        yield emu


def app_credentials(emu, pem, **kwargs):
    kwargs.setdefault("owners", watched_owners(Config(**SMALL)))
    return AppCredentials(APP_ID, pem, emu.url, **kwargs)


def app_harvest(db_path, emu, credentials, transport=None):
    client = GitHubClient(base_url=emu.url, credentials=credentials, sleep=Sleeps(),
                          transport=transport)
    with client:
        return run_harvest(str(db_path), Config(**SMALL), client=client, digest=False,
                           progress=Progress(quiet=True))


class ExpireTokensAt(httpx.HTTPTransport):
    """A real transport that, at the n-th request, makes the emulator expire every token."""

    def __init__(self, emu, n):
        super().__init__()
        self.emu, self.n, self.seen = emu, n, 0
        self._lock = threading.Lock()

    def handle_request(self, request):
        with self._lock:
            self.seen += 1
            if self.seen == self.n:
                self.emu.apps.expire_tokens()
        return super().handle_request(request)


def snapshot(path):
    db = sqlite_utils.Database(path)
    return {t: sorted(db.execute(f"select {cols} from {t}").fetchall(), key=repr)
            for t, cols in TABLES.items()}


def secrets_in(emu, pem):
    """Every secret of the run: key lines, each JWT received, each token minted."""
    lines = [ln for ln in pem.splitlines() if ln and not ln.startswith("-----")]
    return lines + list(emu.apps.jwts) + list(emu.apps.grants)


def assert_no_secret(secrets, *texts):
    for text in texts:
        for secret in secrets:
            assert secret not in text, "a secret leaked"


def db_bytes(db_path):
    return "".join(Path(p).read_bytes().decode("latin-1")
                   for p in (db_path, f"{db_path}-wal") if Path(p).exists())


def cli(*args, env, cwd=ROOT):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True,
                          text=True, env={**clean, **env}, cwd=cwd, timeout=120)


# -- the harvest as an App ------------------------------------------------------------
def test_app_harvest_equals_token_harvest(tmp_path, app_emulator, keys):
    with_token = harvest(tmp_path / "token.db", app_emulator, Config(**SMALL))
    credentials = app_credentials(app_emulator, keys[0])
    as_app = app_harvest(tmp_path / "app.db", app_emulator, credentials)
    assert with_token.status == as_app.status == "ok", as_app.errors
    assert snapshot(tmp_path / "app.db") == snapshot(tmp_path / "token.db")
    assert credentials.minted == 1 and credentials.installation_id is not None
    (token,) = app_emulator.apps.grants
    assert len(token) > 40  # no 40-character assumption anywhere
    run = sqlite_utils.Database(tmp_path / "app.db").execute(
        "select credentials from harvest_runs").fetchall()
    assert run == [("app",)]


def test_token_expiring_mid_run_is_reminted_and_nothing_lost(tmp_path, app_emulator, keys):
    harvest(tmp_path / "token.db", app_emulator, Config(**SMALL))

    app_emulator.reset_log()
    credentials = app_credentials(app_emulator, keys[0])
    summary = app_harvest(tmp_path / "app.db", app_emulator, credentials,
                          transport=ExpireTokensAt(app_emulator, 10))
    assert summary.status == "ok", summary.errors
    assert any(r.status == 401 for r in app_emulator.requests)  # the token did expire
    assert credentials.minted >= 2
    assert snapshot(tmp_path / "app.db") == snapshot(tmp_path / "token.db")


def test_token_refreshed_before_it_expires(app_emulator, keys):
    now = [time.time()]
    credentials = app_credentials(app_emulator, keys[0], clock=lambda: now[0])
    first = credentials.token()
    assert credentials.token() == first and credentials.minted == 1
    now[0] += 3600 - 200  # inside the refresh margin of an hour-long token
    assert credentials.token() != first and credentials.minted == 2
    assert not any(r.status == 401 for r in app_emulator.requests)


def test_rejected_fresh_token_fails_clearly(app_emulator, keys):
    app_emulator.apps.token_lifetime = -1  # every token is born expired
    credentials = app_credentials(app_emulator, keys[0])
    with GitHubClient(base_url=app_emulator.url, credentials=credentials) as client:
        with pytest.raises(AuthError) as e:
            client.get("repos/jupyterhub/dockerspawner")
    assert "freshly minted" in str(e.value) and credentials.minted == 2  # one re-mint only


def test_installation_found_for_a_user_and_reported_when_missing(app_emulator, keys):
    credentials = app_credentials(app_emulator, keys[0], owners=[("user", "ines")])
    assert credentials.token()
    assert any(r.path == "/users/ines/installation" for r in app_emulator.requests)
    missing = app_credentials(app_emulator, keys[0], owners=[("org", "voila-dashboards")])
    with pytest.raises(AuthError, match="not installed on voila-dashboards"):
        missing.token()


def test_authorization_only_goes_to_the_api_origin(app_emulator, keys):
    with Emulator(load_facts()) as other:
        with GitHubClient(TOKEN, app_emulator.url) as client:
            # Another origin is refused outright (#10), so it never sees the token.
            with pytest.raises(OffOrigin):
                client.get(f"{other.url}/repos/jupyterhub/dockerspawner")
            client.get("repos/jupyterhub/dockerspawner")
        assert not any(r.token_present for r in other.requests)
        assert app_emulator.requests[-1].token_present


# -- the command line: errors, exit codes, no secret anywhere ----------------------------
@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "tracker.yml"
    path.write_text(SMALL_YAML)
    return path


def app_env(emu, key_path, **extra):
    return {"GITHUB_APP_ID": str(APP_ID), "GITHUB_APP_PRIVATE_KEY_PATH": str(key_path),
            "GITHUB_API_URL": emu.url, **extra}


def test_cli_harvest_as_app_then_status_no_secret_anywhere(tmp_path, app_emulator, keys,
                                                           config_file):
    key_path = tmp_path / "app.pem"
    key_path.write_text(keys[0])
    db_path = tmp_path / "t.db"
    env = app_env(app_emulator, key_path)
    run = cli("harvest", "--db", str(db_path), "--config", str(config_file), "--no-digest",
              env=env)
    assert run.returncode == 0, run.stderr
    # --live mints its own token; the key given as text instead of a path works the same.
    inline = {"GITHUB_APP_ID": str(APP_ID), "GITHUB_APP_PRIVATE_KEY": keys[0],
              "GITHUB_API_URL": app_emulator.url}
    status = cli("status", "--db", str(db_path), "--json", "--live", "--config",
                 str(config_file), env=inline)
    assert status.returncode == 0, status.stderr
    assert '"credentials": "app"' in status.stdout and '"remaining"' in status.stdout
    secrets = secrets_in(app_emulator, keys[0])
    assert len(app_emulator.apps.grants) >= 2 and app_emulator.apps.jwts
    assert_no_secret(secrets, run.stdout, run.stderr, status.stdout, status.stderr,
                     db_bytes(db_path))


@pytest.mark.parametrize("problem", ["garbled key", "key not of this App", "wrong App id",
                                     "expired JWT"])
def test_bad_app_credentials_clear_error_exit_3(tmp_path, keys, config_file, problem):
    pem, public = keys
    app_id, clock = APP_ID, time.time
    if problem == "garbled key":
        pem = pem.replace(pem.splitlines()[3], pem.splitlines()[3][::-1])
    elif problem == "key not of this App":
        pem = make_key()[0]  # e.g. a key deleted from the App's settings
    elif problem == "wrong App id":
        app_id = APP_ID + 1
    else:
        clock = lambda: time.time() + 3600  # noqa: E731  GitHub's clock an hour ahead of ours
    key_path = tmp_path / "app.pem"
    key_path.write_text(pem)
    db_path = tmp_path / "t.db"
    with Emulator(load_facts(), clock=clock) as emu:
        emu.apps.add_app(APP_ID, public)
        emu.apps.install(APP_ID, "ines")
        run = cli("harvest", "--db", str(db_path), "--config", str(config_file), "--no-digest",
                  env=app_env(emu, key_path, GITHUB_APP_ID=str(app_id)))
        secrets = secrets_in(emu, pem)
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "GitHub App" in errors[0]
    if problem != "garbled key":
        assert "401" in errors[0]
    assert sqlite_utils.Database(db_path).execute(
        "select status, credentials from harvest_runs").fetchall() == [("failed", "app")]
    assert_no_secret(secrets, run.stdout, run.stderr, db_bytes(db_path))


def test_token_and_app_settings_together_exit_2(tmp_path, app_emulator, config_file):
    run = cli("harvest", "--db", str(tmp_path / "t.db"), "--config", str(config_file),
              env={"GITHUB_TOKEN": TOKEN, "GITHUB_APP_ID": str(APP_ID),
                   "GITHUB_APP_PRIVATE_KEY_PATH": "/nonexistent.pem",
                   "GITHUB_API_URL": app_emulator.url})
    assert run.returncode == 2
    assert "both GITHUB_TOKEN and GitHub App settings" in run.stderr
    assert TOKEN not in run.stderr and not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("env, message", [
    ({"GITHUB_APP_PRIVATE_KEY": "x"}, "without GITHUB_APP_ID"),
    ({"GITHUB_APP_ID": "1"}, "without GITHUB_APP_PRIVATE_KEY"),
    ({"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY_PATH": "/nonexistent.pem"}, "cannot read"),
    ({"GITHUB_APP_ID": "1", "GITHUB_APP_PRIVATE_KEY": "x", "GITHUB_APP_INSTALLATION_ID": "abc"},
     "must be a number"),
])
def test_incomplete_app_settings(env, message):
    with pytest.raises(AuthConfigError, match=message):
        credentials_from_env(env)


def test_redaction_has_no_length_assumption():
    for token in ("t", "ghp_" + "x" * 36, "ghs_1_" + "y" * 500):
        assert token not in TokenCredentials(token).redact(f"oops {token} oops")


# -- the emulator's App endpoints ---------------------------------------------------------
def test_emulator_app_endpoints_follow_github(app_emulator, keys):
    pem, _ = keys
    now = int(time.time())

    def post(claims, key=pem):
        token = jwt.encode(claims, key, algorithm="RS256")
        iid = next(iter(app_emulator.apps.installations))
        return httpx.post(f"{app_emulator.url}/app/installations/{iid}/access_tokens",
                          headers={"Authorization": f"Bearer {token}"})

    good = post({"iat": now - 60, "exp": now + 300, "iss": str(APP_ID)})
    assert good.status_code == 201
    assert set(good.json()) == {"token", "expires_at", "permissions", "repository_selection"}
    assert good.json()["permissions"] == {"metadata": "read", "contents": "read"}
    cases = [({"iat": now - 60, "exp": now + 600, "iss": str(APP_ID)}, FAR_EXP),
             ({"iat": now - 700, "exp": now - 100, "iss": str(APP_ID)}, BAD_EXP),
             ({"iat": now - 60, "exp": now + 300, "iss": "999"}, NOT_DECODED)]
    for claims, message in cases:
        bad = post(claims)
        assert (bad.status_code, bad.json()["message"]) == (401, message)
    garbage = httpx.get(f"{app_emulator.url}/orgs/jupyterhub/installation",
                        headers={"Authorization": "Bearer not.a.jwt"})
    assert (garbage.status_code, garbage.json()["message"]) == (401, NOT_DECODED)
    header = {"Authorization": "Bearer " + jwt.encode(
        {"iat": now - 60, "exp": now + 300, "iss": str(APP_ID)}, pem, algorithm="RS256")}
    app_emulator.apps.install(APP_ID, "jupyterhub")
    inst = httpx.get(f"{app_emulator.url}/orgs/jupyterhub/installation", headers=header).json()
    assert inst["account"]["login"] == "jupyterhub" and inst["app_id"] == APP_ID
    assert inst["target_type"] == "Organization" and inst["repository_selection"] == "all"
    assert httpx.get(f"{app_emulator.url}/orgs/ines/installation",  # ines is a user
                     headers=header).status_code == 404
    assert httpx.get(f"{app_emulator.url}/users/voila-dashboards/installation",
                     headers=header).status_code == 404
    # The installation's own bucket: every token of it spends the same budget.
    token = good.json()["token"]
    again = post({"iat": now - 60, "exp": now + 300, "iss": str(APP_ID)}).json()["token"]
    assert again != token
    left = []
    for t in (token, again, token):
        answer = httpx.get(f"{app_emulator.url}/repos/ines/juniper",
                           headers={"Authorization": f"Bearer {t}"})
        left.append(int(answer.headers["x-ratelimit-remaining"]))
    assert left == [4999, 4998, 4997]


def test_app_token_calls_take_the_pacers_slots_too(app_emulator, keys):
    """#16: every request counts against the per-minute limit, the App's own included."""
    app_emulator.reset_log()
    credentials = app_credentials(app_emulator, keys[0])
    with GitHubClient(base_url=app_emulator.url, credentials=credentials) as client:
        client.get("repos/jupyterhub/dockerspawner")
        client.get("repos/jupyterhub/dockerspawner/releases")
        sent = len(app_emulator.requests)
        assert any(r.path.startswith("/app/") for r in app_emulator.requests)
        assert client.pacer.granted == sent
