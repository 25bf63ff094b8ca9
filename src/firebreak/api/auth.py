"""Who may call what: roles, credentials, sessions, CSRF and login rate limiting.

Roles and their rights (:data:`PERMISSIONS`):

============== =========================================================
reviewer       read cases, scan results, evidence, reports, the audit log; decide accounts
lead           everything a reviewer may, plus network takedowns, metrics, sending reports
admin          everything, plus users and publishing a scan
integration    only send reports, read their status, and call the guard
============== =========================================================

Credentials: API calls carry ``Authorization: Bearer TOKEN``, where TOKEN is an
integration user's API token or a session token from ``POST /v1/login``; the
console carries the same session in an HttpOnly, SameSite=Strict cookie, and
every state-changing request made with the cookie must echo the session's CSRF
token (form field ``csrf_token`` or header ``X-CSRF-Token``). Only hashes are
stored: argon2id for passwords, SHA-256 for tokens and session ids.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import HTTPException, Request, status

from firebreak.store import Store
from firebreak.store import users as user_store
from firebreak.store.schema import USER_ROLES

ROLES = USER_ROLES
PERMISSIONS: dict[str, frozenset[str]] = {
    "reports:submit": frozenset({"integration", "lead", "admin"}),
    "reports:read": frozenset({"integration", "reviewer", "lead", "admin"}),
    "guard:filter": frozenset({"integration", "admin"}),
    "cases:read": frozenset({"reviewer", "lead", "admin"}),
    "cases:decide": frozenset({"reviewer", "lead", "admin"}),
    "cases:takedown": frozenset({"lead", "admin"}),
    "scan:read": frozenset({"reviewer", "lead", "admin"}),
    "audit:read": frozenset({"reviewer", "lead", "admin"}),
    "metrics:read": frozenset({"lead", "admin"}),
    "admin": frozenset({"admin"}),
}
#: responses every authenticated route may give, for the OpenAPI document.
PROTECTED: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not valid JSON."},
    401: {"description": "No valid bearer token or session."},
    403: {"description": "The caller's role lacks the right, or a cookie request lacks its CSRF token."},
}
SESSION_COOKIE = "firebreak_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SESSION_TTL = timedelta(hours=8)
TOKEN_PREFIX = "fbk_"
_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 defaults


def new_token() -> str:
    """A fresh random API or session token (256 bits, URL-safe)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a token or session id is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> tuple[bool, str | None]:
    """``(matches, new hash)``: ``new hash`` is set when ``stored`` used outdated parameters."""
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored) else None)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: name, role, how they came (``bearer`` or ``cookie``) and the session's CSRF token."""

    name: str
    role: str
    via: str
    csrf: str | None = None

    def may(self, permission: str) -> bool:
        """Whether this caller's role holds ``permission``."""
        return self.role in PERMISSIONS[permission]


class LoginLimiter:
    """At most ``attempts`` failed logins per ``window_s`` seconds for one name and for one client address.

    Kept in memory (per server process): a restart forgets it, which only helps an attacker
    by one window. Thread-safe.
    """

    def __init__(self, attempts: int = 5, window_s: float = 300.0) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until any of ``keys`` may try again (0: allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._failures.get(key)
                if not q:
                    continue
                while q and q[0] <= now - self.window_s:
                    q.popleft()
                if len(q) >= self.attempts:
                    wait = max(wait, q[0] + self.window_s - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        """Count one failed attempt against each of ``keys``."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of ``keys`` after a successful login."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


class Authenticator:
    """Resolves bearer tokens and session cookies to a :class:`Principal` (cached for ``cache_s`` seconds)."""

    def __init__(self, store: Store, *, cache_s: float = 5.0, limiter: LoginLimiter | None = None) -> None:
        self.store = store
        self.cache_s = cache_s
        self.limiter = limiter or LoginLimiter()
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: str, load: Callable[[], Principal | None]) -> Principal | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = load()
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + self.cache_s, principal)
        return principal

    def forget(self, token: str) -> None:
        """Drop a token from the cache (after logout)."""
        with self._lock:
            for via in ("bearer", "cookie"):
                self._cache.pop(f"{via}:{token_hash(token)}", None)

    def from_token(self, token: str, via: str) -> Principal | None:
        """The principal for an API token or session token presented ``via`` ``bearer`` or ``cookie``."""
        digest = token_hash(token)

        def load() -> Principal | None:
            session = user_store.session_by_hash(self.store, digest)
            if session is not None:
                return Principal(session.user.name, session.user.role, via, session.csrf)
            if via == "bearer":
                user = user_store.user_by_token_hash(self.store, digest)
                if user is not None:
                    return Principal(user.name, user.role, via)
            return None

        return self._cached(f"{via}:{digest}", load)

    def login(self, name: str, password: str, client: str) -> tuple[str, str, datetime]:
        """Check a password and open a session: returns ``(session token, csrf token, expiry)``.

        Raises ``HTTPException`` 429 (with ``Retry-After``) when rate limited, 401 when wrong.
        """
        keys = (f"name:{name}", f"client:{client}")
        wait = self.limiter.retry_after(*keys)
        if wait:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS, "too many failed logins: try again later", {"Retry-After": str(wait)}
            )
        found = user_store.password_hash_of(self.store, name)
        if found is None:
            _hasher.hash(password)  # same work whether or not the name exists
            ok, rehash = False, None
        else:
            ok, rehash = verify_password(found[1], password)
        if not ok or found is None:
            self.limiter.failed(*keys)
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password")
        self.limiter.succeeded(*keys)
        if rehash is not None:
            user_store.rehash_password(self.store, name, rehash)
        token, csrf = new_token(), secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + SESSION_TTL
        user_store.open_session(self.store, found[0].name, token_hash(token), csrf, expires)
        return token, csrf, expires

    def logout(self, token: str) -> None:
        """Close the session behind ``token``."""
        user_store.close_session(self.store, token_hash(token))
        self.forget(token)


def _authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.auth
    return auth


def current_principal(request: Request) -> Principal | None:
    """The caller, from ``Authorization: Bearer`` or the session cookie (bearer wins); ``None`` if neither is valid."""
    auth = _authenticator(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return auth.from_token(token.strip(), "bearer")
        return None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return auth.from_token(cookie, "cookie")
    return None


def check_csrf(request: Request, principal: Principal, form_token: str | None = None) -> None:
    """Reject (403) a state-changing cookie request whose CSRF token is missing or wrong."""
    if principal.via != "cookie" or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = form_token or request.headers.get(CSRF_HEADER) or ""
    if principal.csrf is None or not hmac.compare_digest(sent, principal.csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")


def require(permission: str) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency: the caller, if authenticated (else 401) and allowed ``permission`` (else 403).

    Cookie-authenticated unsafe requests must carry the CSRF token in the ``X-CSRF-Token``
    header (HTML forms are checked by the console's own routes).
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    async def dependency(request: Request) -> Principal:
        # async: most calls are answered from the credential cache, without a thread hop
        principal = current_principal(request)
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "authentication required", {"WWW-Authenticate": "Bearer"}
            )
        if not principal.may(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role} may not {permission}")
        if request.url.path.startswith("/v1/"):
            check_csrf(request, principal)
        return principal

    return dependency


