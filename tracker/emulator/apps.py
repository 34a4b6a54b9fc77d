"""GitHub Apps in the emulator: JWT-authenticated App endpoints and installation tokens.

    emu.apps.add_app(1234, public_key_pem)            # the App and its public key
    installation = emu.apps.install(1234, "jupyterhub")
    emu.apps.token_lifetime = 3600                     # seconds, as on GitHub
    emu.apps.expire_tokens()                           # every minted token expires now
    emu.apps.suspend(installation.id)                  # an owner suspends the App there
    emu.apps.before_request(40, emu.apps.expire_tokens)  # ... just before the 40th request

Endpoints (``server.py`` routes them here before token auth):
``POST /app/installations/{id}/access_tokens`` (201 ``{token, expires_at,
permissions, repository_selection}``), ``GET /orgs/{org}/installation`` and
``GET /users/{user}/installation`` (an ``installation`` object), all with an
``RS256`` JWT whose ``iss`` is the App: a JWT that cannot be decoded or verified
with the App's public key, an ``iat`` in the future, an ``exp`` in the past or
more than ten minutes after ``iat`` answer 401 with GitHub's messages. Tokens
are long and of no fixed length (like GitHub's ``ghs_`` stateless format); a
token past ``expires_at`` answers 401 Bad credentials; every token of one
installation spends the installation's own rate-limit bucket. A suspended
installation answers 403 "This installation has been suspended", both when a
token is asked for and to every request made with a token it already has.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field

from .records import iso, stable_id
from .render import dumps

DOCS = "https://docs.github.com/rest"
NOT_DECODED = "A JSON web token could not be decoded"
BAD_IAT = ("'Issued at' claim ('iat') must be an Integer representing the time that the "
           "assertion was issued")
BAD_EXP = ("'Expiration time' claim ('exp') must be a numeric value representing the future "
           "time at which the assertion expires")
FAR_EXP = "'Expiration time' claim ('exp') is too far in the future"
MAX_JWT_SECONDS = 600
SUSPENDED = "This installation has been suspended"
TOKEN_DOCS = ("https://docs.github.com/rest/reference/apps"
              "#create-an-installation-access-token-for-an-app")
PERMISSIONS = {"metadata": "read", "contents": "read"}

ROUTES = [
    ("POST", re.compile(r"/app/installations/(\d+)/access_tokens"), "access_token"),
    ("GET", re.compile(r"/orgs/([^/]+)/installation"), "org_installation"),
    ("GET", re.compile(r"/users/([^/]+)/installation"), "user_installation"),
]


@dataclass
class App:
    id: int
    public_key: str  # PEM
    slug: str
    client_id: str


@dataclass
class Installation:
    id: int
    app: App
    account: str  # login
    target_type: str  # "Organization" or "User"
    created_at: int
    permissions: dict = field(default_factory=lambda: dict(PERMISSIONS))
    suspended_at: int | None = None


@dataclass
class Grant:
    installation: Installation
    expires_at: float


class Apps:
    """The emulator's registry of Apps, installations and minted tokens; thread-safe."""

    def __init__(self, store, clock=time.time, token_lifetime: float = 3600.0):
        self.store = store
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.apps: dict[str, App] = {}
        self.installations: dict[int, Installation] = {}
        self.grants: dict[str, Grant] = {}  # token -> grant (tests look for leaks here)
        self.jwts: list[str] = []  # every JWT received (tests look for leaks too)
        self._lock = threading.Lock()
        self._seen = 0  # requests the server received (any path), for before_request
        self._scheduled: dict[int, list] = {}

    # -- set-up -------------------------------------------------------------------
    def add_app(self, app_id: int, public_key_pem: str, slug: str = "tracker") -> App:
        app = App(int(app_id), public_key_pem, slug, f"Iv1.{stable_id('app', str(app_id)):x}")
        with self._lock:
            self.apps[str(app.id)] = self.apps[app.client_id] = app
        return app

    def install(self, app_id: int, account: str, installation_id: int | None = None) -> Installation:
        owner = self.store.owner(account)
        target = owner.type if owner is not None and owner.type == "Organization" else "User"
        login = owner.login if owner is not None else account
        iid = installation_id or stable_id("installation", f"{app_id}:{login}")
        inst = Installation(iid, self.apps[str(app_id)], login, target, int(self.clock()))
        with self._lock:
            self.installations[iid] = inst
        return inst

    def expire_tokens(self) -> int:
        """Make every minted token expire now (a run mid-way then gets 401s)."""
        with self._lock:
            now = self.clock()
            for grant in self.grants.values():
                grant.expires_at = min(grant.expires_at, now - 1)
            return len(self.grants)

    def suspend(self, installation_id: int, suspended: bool = True) -> None:
        """Suspend (or unsuspend) an installation, as an owner of its account can."""
        with self._lock:
            inst = self.installations[int(installation_id)]
            inst.suspended_at = int(self.clock()) if suspended else None

    def before_request(self, n: int, action) -> None:
        """Call ``action()`` just before the server answers its ``n``-th request from
        now on: a credential event at a known point of a run, with no sleep."""
        with self._lock:
            self._scheduled.setdefault(self._seen + n, []).append(action)

    # -- used by server.py ----------------------------------------------------------
    def request_seen(self) -> None:
        with self._lock:
            self._seen += 1
            actions = self._scheduled.pop(self._seen, [])
        for action in actions:
            action()

    def suspended(self, token: str) -> bool:
        """Whether ``token`` belongs to an installation that is suspended now."""
        with self._lock:
            grant = self.grants.get(token)
            return grant is not None and grant.installation.suspended_at is not None

    def suspended_answer(self):
        return 403, dumps({"message": SUSPENDED, "documentation_url": DOCS}), []

    def handles(self, method: str, path: str) -> bool:
        path = path.rstrip("/")
        return any(m == method and p.fullmatch(path) for m, p, _ in ROUTES)

    def token_identity(self, token: str) -> tuple[bool, str] | None:
        """For an installation token: (still valid, rate-limit identity); else None."""
        with self._lock:
            grant = self.grants.get(token)
            if grant is None:
                return None
            return grant.expires_at > self.clock(), f"installation:{grant.installation.id}"

    def answer(self, method: str, path: str, authorization: str | None, base: str):
        """(status, body bytes, headers) for one App endpoint."""
        path = path.rstrip("/")
        app, error = self._verify(authorization)
        if app is None:
            return 401, dumps({"message": error, "documentation_url": DOCS}), []
        for m, pattern, name in ROUTES:
            match = pattern.fullmatch(path)
            if m == method and match:
                return getattr(self, name)(app, match.group(1), base)
        return _not_found()

    # -- endpoints ------------------------------------------------------------------
    def access_token(self, app: App, iid: str, base: str):
        inst = self.installations.get(int(iid))
        if inst is None or inst.app is not app:
            return _not_found()
        if inst.suspended_at is not None:
            return 403, dumps({"message": SUSPENDED, "documentation_url": TOKEN_DOCS}), []
        # Long and of no fixed length, like GitHub's newer ghs_ tokens.
        token = f"ghs_{app.id}_{secrets.token_urlsafe(48 + secrets.randbelow(48))}"
        with self._lock:
            expires = self.clock() + self.token_lifetime
            self.grants[token] = Grant(inst, expires)
        body = {"token": token, "expires_at": iso(int(expires)),
                "permissions": dict(inst.permissions), "repository_selection": "all"}
        return 201, dumps(body), []

    def org_installation(self, app: App, login: str, base: str):
        return self._installation_on(app, login, base, org_only=True)

    def user_installation(self, app: App, login: str, base: str):
        return self._installation_on(app, login, base, org_only=False)

    def _installation_on(self, app, login, base, org_only):
        for inst in self.installations.values():
            if inst.app is app and inst.account.lower() == login.lower():
                if org_only and inst.target_type != "Organization":
                    break
                return 200, dumps(self.render(inst, base)), []
        return _not_found()

    def render(self, inst: Installation, base: str) -> dict:
        """GitHub's ``installation`` object."""
        owner = self.store.owner(inst.account)
        account_id = owner.id if owner is not None else stable_id("user", inst.account)
        kind = "organizations" if inst.target_type == "Organization" else "users"
        account = {"login": inst.account, "id": account_id,
                   "node_id": f"MDQ6VXNlcj{account_id}", "avatar_url":
                   f"https://avatars.githubusercontent.com/u/{account_id}?v=4",
                   "gravatar_id": "", "url": f"{base}/users/{inst.account}",
                   "html_url": f"https://github.com/{inst.account}", "type": inst.target_type,
                   "site_admin": False}
        return {
            "id": inst.id, "client_id": inst.app.client_id, "account": account,
            "repository_selection": "all",
            "access_tokens_url": f"{base}/app/installations/{inst.id}/access_tokens",
            "repositories_url": f"{base}/installation/repositories",
            "html_url": f"https://github.com/{kind}/{inst.account}/settings/installations/{inst.id}",
            "app_id": inst.app.id, "app_slug": inst.app.slug, "target_id": account_id,
            "target_type": inst.target_type, "permissions": dict(inst.permissions),
            "events": [], "created_at": iso(inst.created_at), "updated_at": iso(inst.created_at),
            "single_file_name": None, "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None if inst.suspended_at is None else account,
            "suspended_at": None if inst.suspended_at is None else iso(inst.suspended_at),
        }

    # -- JWT, checked as GitHub does ------------------------------------------------------
    def _verify(self, authorization):
        import jwt

        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, NOT_DECODED
        with self._lock:
            self.jwts.append(token)
        try:
            if jwt.get_unverified_header(token).get("alg") != "RS256":
                return None, NOT_DECODED
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None, NOT_DECODED
        app = self.apps.get(str(claims.get("iss")))
        if app is None:
            return None, NOT_DECODED
        try:
            jwt.decode(token, app.public_key, algorithms=["RS256"],
                       options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
        except jwt.PyJWTError:
            return None, NOT_DECODED
        iat, exp, now = claims.get("iat"), claims.get("exp"), self.clock()
        if not isinstance(iat, int) or iat > now + 60:  # a minute of clock drift
            return None, BAD_IAT
        if not isinstance(exp, (int, float)) or exp <= now:
            return None, BAD_EXP
        if exp - iat > MAX_JWT_SECONDS:
            return None, FAR_EXP
        return app, None


def _not_found():
    return 404, dumps({"message": "Not Found", "documentation_url": DOCS, "status": "404"}), []
