"""Console and API users, their API tokens and console sessions, in the operational store.

Secrets never reach the database in the clear: passwords are stored as argon2
hashes (made by the caller, :mod:`firebreak.api.auth`), API tokens and session
ids as SHA-256 digests (they are 256-bit random values, so a fast hash is enough).
Every change appends an audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update

from firebreak.errors import StoreError
from firebreak.store.schema import USER_ROLES, sessions, users
from firebreak.store.store import Store, _guarded


@dataclass(frozen=True, slots=True)
class User:
    """A stored user (hashes left out)."""

    name: str
    role: str
    created_at: datetime
    disabled: bool


@dataclass(frozen=True, slots=True)
class Session:
    """A console session as stored: whose it is, its CSRF token and when it ends."""

    user: User
    csrf: str
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _user(row: object) -> User:
    return User(
        name=row.name,  # type: ignore[attr-defined]
        role=row.role,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        disabled=bool(row.disabled),  # type: ignore[attr-defined]
    )


@_guarded("adding a user")
def add_user(
    store: Store,
    name: str,
    role: str,
    *,
    password_hash: str | None = None,
    token_hash: str | None = None,
    actor: str = "cli",
) -> User:
    """Store a new user ``name`` with ``role`` (one of :data:`USER_ROLES`) and one credential.

    Raises :class:`StoreError` if the name is taken, the role unknown, or neither or both
    of ``password_hash`` and ``token_hash`` are given.
    """
    if role not in USER_ROLES:
        raise StoreError(f"unknown role {role!r}: expected one of {', '.join(USER_ROLES)}")
    if not name or not name.strip() or len(name) > 64:
        raise StoreError("a user name must be 1 to 64 characters")
    if (password_hash is None) == (token_hash is None):
        raise StoreError("a user needs exactly one of a password or an API token")
    now = _now()
    with store._write() as conn:
        taken = conn.execute(select(users.c.name).where(users.c.name == name)).first()
        if taken is not None:
            raise StoreError(f"user {name!r} already exists")
        conn.execute(
            insert(users).values(
                name=name, role=role, password_hash=password_hash, token_hash=token_hash, created_at=now, disabled=0
            )
        )
        store._append(conn, actor, "user.add", "user", name, {"role": role}, now)
    return User(name=name, role=role, created_at=now, disabled=False)


@_guarded("reading users")
def list_users(store: Store) -> list[User]:
    """Every stored user, by name."""
    query = select(users.c.name, users.c.role, users.c.created_at, users.c.disabled).order_by(users.c.name)
    with store._read() as conn:
        return [_user(row) for row in conn.execute(query)]


@_guarded("reading a user")
def password_hash_of(store: Store, name: str) -> tuple[User, str] | None:
    """``(user, argon2 hash)`` of an enabled password user, or ``None``."""
    query = select(users).where(users.c.name == name, users.c.disabled == 0, users.c.password_hash.is_not(None))
    with store._read() as conn:
        row = conn.execute(query).first()
    return None if row is None else (_user(row), str(row.password_hash))


@_guarded("updating a password hash")
def rehash_password(store: Store, name: str, password_hash: str) -> None:
    """Replace ``name``'s password hash (after argon2 parameters change)."""
    with store._write() as conn:
        conn.execute(update(users).where(users.c.name == name).values(password_hash=password_hash))


@_guarded("reading a token")
def user_by_token_hash(store: Store, token_hash: str) -> User | None:
    """The enabled user whose API token hashes to ``token_hash``, or ``None``."""
    query = select(users).where(users.c.token_hash == token_hash, users.c.disabled == 0)
    with store._read() as conn:
        row = conn.execute(query).first()
    return None if row is None else _user(row)


@_guarded("opening a session")
def open_session(store: Store, user: str, id_hash: str, csrf: str, expires_at: datetime) -> None:
    """Store a console session for ``user`` (``id_hash``: SHA-256 of the session id)."""
    now = _now()
    with store._write() as conn:
        conn.execute(
            insert(sessions).values(id_hash=id_hash, user_name=user, csrf=csrf, created_at=now, expires_at=expires_at)
        )
        store._append(conn, user, "session.open", "user", user, {}, now)


@_guarded("reading a session")
def session_by_hash(store: Store, id_hash: str) -> Session | None:
    """The live (unexpired, enabled user) session whose id hashes to ``id_hash``, or ``None``."""
    query = (
        select(users, sessions.c.csrf, sessions.c.expires_at)
        .join(sessions, sessions.c.user_name == users.c.name)
        .where(sessions.c.id_hash == id_hash, sessions.c.expires_at > _now(), users.c.disabled == 0)
    )
    with store._read() as conn:
        row = conn.execute(query).first()
    return None if row is None else Session(user=_user(row), csrf=str(row.csrf), expires_at=row.expires_at)


@_guarded("closing a session")
def close_session(store: Store, id_hash: str) -> None:
    """Delete a session (logout), and every expired one while at it."""
    with store._write() as conn:
        conn.execute(delete(sessions).where((sessions.c.id_hash == id_hash) | (sessions.c.expires_at <= _now())))
