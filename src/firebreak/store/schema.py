"""The operational store's tables, as SQLAlchemy 2 Core metadata (no ORM).

This describes the schema at the migrations' head; the migrations in
``migrations/versions/`` create it (a test checks that both agree).

- ``reports``: user reports and their place in the review queue. A report is
  ``queued`` until a worker claims it (``in_review``), then ``actioned`` or
  ``dismissed``; a failed attempt returns it to ``queued`` with ``attempts``
  raised, and only an explicit retry limit parks it as ``failed``. Rows are never
  deleted.
- ``accounts_enforcement``: each account's current enforcement state.
- ``users`` and ``sessions``: console and API users (argon2 password hashes, SHA-256 of
  API tokens) and console sessions (SHA-256 of the session id, its CSRF token).
- ``audit_log``: append-only record of every decision (triggers reject UPDATE and
  DELETE on both SQLite and PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

REPORT_STATES = ("queued", "in_review", "actioned", "dismissed", "failed")
#: states a reviewer may close a claimed report with.
REPORT_OUTCOMES = ("actioned", "dismissed")
ENFORCEMENT_STATES = ("none", "under_review", "restricted", "disabled")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


DETAIL: Any = JSON().with_variant(JSONB(), "postgresql")
AUDIT_ID: Any = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(naming_convention=NAMING)

reports = Table(
    "reports",
    metadata,
    Column("id", String, primary_key=True),
    Column("source", String),
    Column("reporter", String),
    Column("target_kind", String),
    Column("target", String, nullable=False),
    Column("reason", String),
    Column("text", Text),
    Column("created_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("state", String, nullable=False, server_default="queued"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("claimed_at", UTCDateTime),
    Column("claimed_by", String),
    Column("resolved_by", String),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("state", REPORT_STATES), name="state"),
    CheckConstraint("attempts >= 0", name="attempts"),
    Index(None, "state", "received_at", "id"),
    Index(None, "target"),
)

accounts_enforcement = Table(
    "accounts_enforcement",
    metadata,
    Column("account", String, primary_key=True),
    Column("state", String, nullable=False),
    Column("network", String),
    Column("reason", Text),
    Column("updated_by", String, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("state", ENFORCEMENT_STATES), name="state"),
    Index(None, "state"),
    Index(None, "network"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String, nullable=False),
    Column("action", String, nullable=False),
    Column("subject_kind", String, nullable=False),
    Column("subject", String, nullable=False),
    Column("detail", DETAIL, nullable=False),
    Index(None, "subject_kind", "subject", "id"),
    Index(None, "action", "id"),
    Index(None, "at"),
)

#: roles a console or API user may hold (see ``firebreak.api.auth`` for what each may do).
USER_ROLES = ("reviewer", "lead", "admin", "integration")

users = Table(
    "users",
    metadata,
    Column("name", String, primary_key=True),
    Column("role", String, nullable=False),
    Column("password_hash", Text),
    Column("token_hash", String, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Integer, nullable=False, server_default="0"),
    CheckConstraint(_in("role", USER_ROLES), name="role"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String, primary_key=True),
    Column("user_name", String, nullable=False),
    Column("csrf", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index(None, "user_name"),
    Index(None, "expires_at"),
)
