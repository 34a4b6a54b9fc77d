"""Credentials for a run: none, a personal token, or a GitHub App installation.

Read from the environment, like ``GITHUB_TOKEN`` always was:

    GITHUB_TOKEN                  a personal access token (or any other token)
    GITHUB_APP_ID                 the App's ID (or client ID)
    GITHUB_APP_PRIVATE_KEY        the App's private key, PEM text ...
    GITHUB_APP_PRIVATE_KEY_PATH   ... or a file holding it
    GITHUB_APP_INSTALLATION_ID    optional: else found for the first watched owner
                                  (``GET /orgs/{org}/installation``, then
                                  ``GET /users/{user}/installation``)

App auth goes through PyGithub's own App support: ``github.Auth.AppAuth`` signs
the JWT and ``GithubIntegration`` (on ``GITHUB_API_URL``) finds the installation
and mints its token, so no JWT is built here. An installation token lasts an
hour and a first harvest can run for hours, so the token is re-minted before it
expires, and a 401 during a run gets one re-mint and one retry of the request
before the run fails (exit 3). Nothing here assumes a token's length or shape.

The private key, the JWT and the tokens live only in these objects: they are
never logged, stored or put in a message (``redact`` guards messages built
from other libraries' exceptions). Exceptions::

    AuthConfigError (exit 2)   contradictory or incomplete settings
    github.AuthError (exit 3)  rejected key, JWT, App id, installation or token
"""

import base64
import binascii
import os
import re
import threading
import time
from pathlib import Path

from .github_types import DEFAULT_API_URL, USER_AGENT, AuthError, Suspended, Unreachable
from .redact import hold, hold_key, redact
from .safe import scrub

APP_VARS = ("GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_PATH",
            "GITHUB_APP_INSTALLATION_ID")
# Renew this long before expiry, or a quarter of a shorter lifetime, so a
# request never leaves with a token about to expire in flight.
REFRESH_MARGIN = 300.0
PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


class AuthConfigError(Exception):
    """The environment names no usable credentials, or two kinds at once."""

    exit_code = 2


class Credentials:
    """No credentials: unauthenticated requests (60/hour)."""

    kind = "none"  # stored in harvest_runs.credentials: none | token | app
    label = "none (unauthenticated)"
    # Called before each request these credentials send themselves (an App's
    # token calls): GitHubClient sets it to its pacer's acquire, so those
    # requests count against the same per-minute limit as the harvest's.
    pace = staticmethod(lambda: None)

    def token(self):
        """The token to send now, or None; may mint one (AuthError, Unreachable)."""
        return None

    def renew(self, rejected):
        """After a 401 with ``rejected``: True if a new token is ready to retry with."""
        return False

    def rejected_message(self):
        return "GitHub answered 401 Bad credentials to an unauthenticated request"

    def redact(self, text):
        return str(text)


class TokenCredentials(Credentials):
    """One fixed token (``GITHUB_TOKEN``)."""

    kind = "token"
    label = "personal token (GITHUB_TOKEN)"

    def __init__(self, token):
        self._token = token
        hold(token)  # every message of this process redacts it (tracker.redact)

    def token(self):
        return self._token

    def rejected_message(self):
        return "GitHub rejected the token (401 Bad credentials): check GITHUB_TOKEN"

    def redact(self, text):
        return _redact(text, [self._token])


class AppCredentials(Credentials):
    """A GitHub App installation: mints, caches and refreshes installation tokens.

    ``owners`` is a list of ``("org"|"user", login)`` tried in order when no
    installation id is given. ``clock`` is injectable (seconds since the epoch).
    """

    kind = "app"

    def __init__(self, app_id, private_key, base_url, *, installation_id=None, owners=(),
                 clock=time.time, timeout=30):
        self.app_id = str(app_id)
        self.installation_id = installation_id
        self.base_url = base_url.rstrip("/")
        self.owners = list(owners)
        self.clock = clock
        self.timeout = timeout
        self.minted = 0  # tokens minted this run (for logs and tests; never the token)
        hold_key(private_key)
        self._key = normalise_pem(private_key)
        hold_key(self._key)
        self._token = None
        self._refresh_at = 0.0
        self._used = False  # the current token was handed out at least once
        self._secrets = []  # every token and JWT seen, for redact()
        self._lock = threading.Lock()

    @property
    def label(self):
        which = self.installation_id or "not yet looked up"
        return f"GitHub App {self.app_id}, installation {which}"

    def token(self):
        with self._lock:
            # A token is renewed when due, but only after it was used once: one
            # that looks due on arrival (a lifetime shorter than our clock's
            # error) is tried, and GitHub's 401 then decides (see renew).
            if self._token is None or (self.clock() >= self._refresh_at and self._used):
                self._mint()
            self._used = True
            return self._token

    def renew(self, rejected):
        with self._lock:
            if self._token is not None and self._token != rejected:
                return True  # another worker has already re-minted
            self._mint()
            return True

    def rejected_message(self):
        return (f"GitHub rejected a freshly minted token of {self.label} (401 Bad credentials): "
                "check that the App is still installed and not suspended")

    def redact(self, text):
        return _redact(text, [self._key, self._token, *self._secrets])

    # -- minting (PyGithub) -------------------------------------------------------
    def _integration(self):
        import github

        _check_key(self._key)
        auth = github.Auth.AppAuth(self.app_id, self._key)
        return github.GithubIntegration(auth=auth, base_url=self.base_url, timeout=self.timeout,
                                        user_agent=USER_AGENT, retry=None)

    def _mint(self):
        integration = self._integration()
        try:
            if self.installation_id is None:
                self.installation_id = self._find_installation(integration)
            grant = self._call(integration.get_access_token, int(self.installation_id),
                               what=f"installation {self.installation_id}")
        finally:
            integration.close()
        now = self.clock()
        self._token = grant.token
        self._secrets.append(grant.token)
        hold(grant.token)
        self._refresh_at = now + refresh_after(_lifetime(grant, now))
        self._used = False
        self.minted += 1

    def _find_installation(self, integration):
        from github import UnknownObjectException

        if not self.owners:
            raise AuthError("GITHUB_APP_INSTALLATION_ID is not set and the watchlist names no "
                            "org or user to find the App's installation for")
        for kind, login in self.owners:
            lookup = (integration.get_org_installation if kind == "org"
                      else integration.get_user_installation)
            try:
                return self._call(lookup, login, what=f"the installation on {login}").id
            except UnknownObjectException:
                continue
        tried = ", ".join(login for _, login in self.owners)
        raise AuthError(f"GitHub App {self.app_id} is not installed on {tried}: install it "
                        "there or set GITHUB_APP_INSTALLATION_ID")

    def _call(self, fn, *args, what):
        """One PyGithub call; its errors become ours, with every secret redacted."""
        import requests
        from github import GithubException, UnknownObjectException

        self.pace()
        try:
            return fn(*args)
        except UnknownObjectException:
            if what.startswith("installation"):
                raise AuthError(f"GitHub App {self.app_id} has no {what} (404): check "
                                "GITHUB_APP_INSTALLATION_ID") from None
            raise
        except GithubException as e:
            message = self.redact(_github_message(e))
            if e.status == 403 and "suspended" in message.lower():
                raise Suspended(f"{self.label} is suspended (403 {message}): an owner of the "
                                "account suspended it; unsuspend it in the account's settings "
                                "(Applications), then run again") from None
            if e.status == 401:
                raise AuthError(
                    f"GitHub rejected the JWT of GitHub App {self.app_id} (401 {message}): "
                    "check GITHUB_APP_ID, that the private key is one of the App's current "
                    "keys, and the clock") from None
            raise AuthError(f"GitHub refused {what} for GitHub App {self.app_id} "
                            f"({e.status} {message})") from None
        except requests.RequestException as e:
            # Like any other request that cannot reach the API: fatal, exit 5.
            raise Unreachable(f"cannot reach {self.base_url} to mint an installation "
                              f"token: {type(e).__name__}") from None


def refresh_after(lifetime):
    """Seconds after minting to renew a token that lives ``lifetime`` seconds:
    five minutes before it expires, or a quarter of its life when that is shorter."""
    lifetime = max(lifetime, 0.0)
    return lifetime - min(REFRESH_MARGIN, lifetime / 4)


def _lifetime(grant, now):
    """A token's lifetime, read on GitHub's clock (its Date header) when the answer
    has one: ``expires_at`` is GitHub's time, and our clock may be off by minutes."""
    from email.utils import parsedate_to_datetime

    if not grant.expires_at:
        return 3600.0
    expires = grant.expires_at.timestamp()
    headers = {k.lower(): v for k, v in (getattr(grant, "raw_headers", None) or {}).items()}
    try:
        return expires - parsedate_to_datetime(headers["date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return expires - now


def normalise_pem(text):
    """A PEM key as it really arrives in CI secret stores and ``.env`` files, made whole:
    surrounding quotes and blanks, literal ``\\n``, CRLF, indented or joined lines.
    The body is re-wrapped at 64 columns; text that holds no PEM block is returned
    unchanged (``_check_key`` then says what is wrong with it)."""
    if not isinstance(text, str):
        return text
    cleaned = text.strip().strip("'\"").replace("\\r", "").replace("\\n", "\n")
    match = PEM_BLOCK.search(cleaned)
    if match is None or ":" in match.group(2):  # none, or an encrypted key's headers
        return cleaned.replace("\r\n", "\n")
    label, body = match.group(1), re.sub(r"\s+", "", match.group(2))
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


def _check_key(key):
    """A key that cannot be used fails here with advice that can work, not deep inside PyJWT."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(key.encode(), password=None)
        return
    except (ValueError, TypeError, AttributeError):
        pass
    raise AuthError(f"the GitHub App private key cannot be used: {_key_problem(key)}")


def _key_problem(key):
    where = "GITHUB_APP_PRIVATE_KEY / GITHUB_APP_PRIVATE_KEY_PATH"
    match = PEM_BLOCK.search(key or "")
    if match is None:
        return (f"{where} holds no '-----BEGIN ... PRIVATE KEY-----' block; give the whole "
                "contents of the .pem file the App's settings let you download")
    label = match.group(1)
    if "PRIVATE KEY" not in label:
        return (f"{where} holds a {label.lower()}, not a private key; give the App's private "
                "key (the .pem file downloaded from its settings)")
    if "ENCRYPTED" in label or "Proc-Type" in match.group(2):
        return f"{where} is encrypted with a passphrase; give the key GitHub generated, unencrypted"
    try:
        base64.b64decode(re.sub(r"\s+", "", match.group(2)), validate=True)
    except (binascii.Error, ValueError):
        return (f"the key in {where} is damaged (its text is not base64): copy the whole .pem "
                "file again; if the file itself is damaged, generate a new key in the App's "
                "settings")
    return (f"the key in {where} is damaged (it does not decode as an RSA key): copy the "
            "whole .pem file again; if the file itself is damaged, generate a new key in the "
            "App's settings")


def _github_message(exc):
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and data.get("message"):
        # Redacted before it is cut, so no prefix of a credential survives the cut.
        return scrub(str(data["message"])[:4000])[:200]
    return "no message"


def _redact(text, secrets):
    """Replace every occurrence of each secret (any length, any shape) by ``***``."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return redact(text)


def watched_owners(config):
    """``[("org"|"user", login)]`` in watchlist order: orgs, users, owners of single repos."""
    owners = [("org", o) for o in config.orgs] + [("user", u) for u in config.users]
    owners += [("user", r.split("/")[0]) for r in config.repos]
    seen, unique = set(), []
    for kind, login in owners:
        if login.lower() not in seen:
            seen.add(login.lower())
            unique.append((kind, login))
    return unique


def credentials_from_env(environ=None, *, owners=(), base_url=None):
    """The run's Credentials from the environment; AuthConfigError (exit 2) when
    the settings contradict each other or are incomplete. Nothing is minted yet."""
    environ = os.environ if environ is None else environ
    token = environ.get("GITHUB_TOKEN") or None
    app_vars = [name for name in APP_VARS if environ.get(name)]
    if token and app_vars:
        raise AuthConfigError(
            f"both GITHUB_TOKEN and GitHub App settings ({', '.join(app_vars)}) are set: "
            "unset one of them")
    if not app_vars:
        return TokenCredentials(token) if token else Credentials()
    app_id = environ.get("GITHUB_APP_ID")
    key, key_path = environ.get("GITHUB_APP_PRIVATE_KEY"), environ.get("GITHUB_APP_PRIVATE_KEY_PATH")
    if not app_id:
        raise AuthConfigError(f"{', '.join(app_vars)} set without GITHUB_APP_ID")
    if key and key_path:
        raise AuthConfigError("set GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_PATH, not both")
    if key_path:
        try:
            key = Path(key_path).read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise AuthConfigError(f"cannot read GITHUB_APP_PRIVATE_KEY_PATH {key_path}: "
                                  f"{getattr(e, 'strerror', None) or type(e).__name__}") from None
    if not key:
        raise AuthConfigError("GITHUB_APP_ID is set without GITHUB_APP_PRIVATE_KEY or "
                              "GITHUB_APP_PRIVATE_KEY_PATH")
    installation = environ.get("GITHUB_APP_INSTALLATION_ID") or None
    if installation is not None and not installation.strip().isdigit():
        raise AuthConfigError("GITHUB_APP_INSTALLATION_ID must be a number")
    base = base_url or environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return AppCredentials(app_id, key, base, owners=owners,
                          installation_id=int(installation) if installation else None)
