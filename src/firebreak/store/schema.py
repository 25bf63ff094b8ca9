"""The operational store's tables, as SQLAlchemy 2 Core metadata (no ORM).

This describes the schema at the migrations' head; the migrations in
``migrations/versions/`` create it (a test checks that both agree).

- ``reports``: user reports and their place in the review queue. A report is
  ``queued`` until a worker claims it (``in_review``), then ``actioned`` or
  ``dismissed``; a failed attempt returns it to ``queued`` with ``attempts``
  raised, and only an explicit retry limit parks it as ``failed``. Rows are never
  deleted.
- ``accounts_enforcement``: each account's current enforcement state.
- ``trusted_flaggers``: accounts of vetted organisations (the EU DSA's Article 22
  trusted flaggers): never flagged as buyers nor pulled into networks by the scan,
  and their reports are claimed first.
- ``users`` and ``sessions``: console and API users (argon2 password hashes, SHA-256 of
  API tokens) and console sessions (SHA-256 of the session id, its CSRF token).
- ``audit_log``: append-only record of every decision (triggers reject UPDATE and
  DELETE on both SQLite and PostgreSQL).
- ``ncmec_cases``, ``ncmec_submissions``, ``ncmec_files``: escalated cases on their
  way to a finished NCMEC CyberTipline report, each step recorded before and after
  it is sent (see :mod:`firebreak.act.ncmec.ledger`); the report XML as sent, the
  report id and the file ids are kept.

Added by migration ``0002`` for :mod:`firebreak.act`:

- reports are keyed by ``(source, id)`` (two snapshots may reuse an id);
- ``work_items``: the leased work queue (reports to route, cases to review,
  appeals), with retries, backoff and a dead-letter state;
- ``cases`` and ``case_members``: one case per network (or standalone account);
- ``decisions`` and ``actions``: reviewed decisions and each enforcement action
  they applied (an action is unique per decision and account);
- ``appeals`` and ``canaries``; ``accounts_enforcement`` gains ``strikes``.

Added by migration ``0006``: ``case_edges``, the network picture of a case (follows and
interactions among its members, by kind, with the scans that first and last saw each).
Migration ``0007`` extends the queue's claim-order index with ``id``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

REPORT_STATES = ("queued", "in_review", "actioned", "dismissed", "failed")
#: states a reviewer may close a claimed report with.
REPORT_OUTCOMES = ("actioned", "dismissed")
ENFORCEMENT_STATES = ("none", "under_review", "restricted", "disabled")
#: an escalated case: waiting, being reported, reported (one finished report), or back to a lead.
NCMEC_CASE_STATES = ("pending", "working", "finished", "returned")
#: one attempt at a report: submit sent (outcome not yet known), open, finish sent, finished,
#: retract sent, retracted, rejected at submit, unknown (answer to submit lost), expired.
NCMEC_SUBMISSION_STATES = (
    "submitting", "open", "finishing", "finished", "retracting", "retracted", "rejected", "unknown", "expired",
)
#: one file of a submission: upload sent, uploaded (file id known), details sent, details accepted.
NCMEC_FILE_STATES = ("uploading", "uploaded", "describing", "described")
#: states of a leased work item.
WORK_STATES = ("ready", "leased", "done", "dead")
#: what a work item asks for.
WORK_KINDS = ("report", "case", "appeal")
CASE_KINDS = ("network", "account", "canary")
CASE_STATES = ("open", "closed", "merged")
#: kinds of edge in a case's network picture: a follow, or an interaction by its event kind.
EDGE_KINDS = ("follow", "message", "comment", "like", "view")
#: what a decision may do to one account.
ACTIONS = ("disable", "restrict", "warn", "dismiss", "escalate", "restore")
APPEAL_STATES = ("open", "upheld", "restored")

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
    Column("source", String, nullable=False),
    Column("id", String, nullable=False),
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
    PrimaryKeyConstraint("source", "id"),
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
    Column("strikes", Integer, nullable=False, server_default="0"),
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

ncmec_cases = Table(
    "ncmec_cases",
    metadata,
    Column("case_id", String, primary_key=True),
    Column("network_id", String, nullable=False),
    Column("case_json", DETAIL, nullable=False),
    Column("state", String, nullable=False, server_default="pending"),
    Column("report_id", BigInteger, unique=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("claimed_by", String),
    Column("lease_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("state", NCMEC_CASE_STATES), name="state"),
    Index(None, "state", "created_at"),
)

ncmec_submissions = Table(
    "ncmec_submissions",
    metadata,
    Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
    Column("case_id", String, ForeignKey("ncmec_cases.case_id"), nullable=False),
    Column("state", String, nullable=False),
    Column("report_id", BigInteger, unique=True),
    Column("report_xml", Text, nullable=False),
    Column("file_ids", DETAIL),
    Column("after_retract", String),
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("state", NCMEC_SUBMISSION_STATES), name="state"),
    Index(None, "case_id", "id"),
)

ncmec_files = Table(
    "ncmec_files",
    metadata,
    Column("submission_id", AUDIT_ID, ForeignKey("ncmec_submissions.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("file_ref", String, nullable=False),
    Column("state", String, nullable=False),
    Column("md5", String, nullable=False),
    Column("pdq", String),
    Column("file_id", String),
    Column("server_md5", String),
    Column("details_xml", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("state", NCMEC_FILE_STATES), name="state"),
    UniqueConstraint("submission_id", "file_ref"),
)

work_items = Table(
    "work_items",
    metadata,
    Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
    Column("kind", String, nullable=False),
    Column("subject", String, nullable=False),
    Column("state", String, nullable=False, server_default="ready"),
    # Claim order: ``due_at`` = enqueue time minus a priority boost, so older
    # items rise by themselves and a high-risk item jumps ahead by its boost.
    Column("due_at", UTCDateTime, nullable=False),
    Column("boost_s", Float, nullable=False, server_default="0"),
    Column("available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_owner", String),
    Column("lease_token", String),
    Column("lease_expires_at", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    CheckConstraint(_in("state", WORK_STATES), name="state"),
    CheckConstraint(_in("kind", WORK_KINDS), name="kind"),
    UniqueConstraint("kind", "subject"),
    Index(None, "state", "kind", "due_at", "id"),
    Index(None, "state", "lease_expires_at"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
    Column("kind", String, nullable=False),
    Column("state", String, nullable=False, server_default="open"),
    Column("network", String),
    Column("evidence_version", String, nullable=False),
    Column("risk", Float, nullable=False, server_default="0"),
    Column("minors", Boolean, nullable=False, server_default="0"),
    Column("unique_followers", Integer, nullable=False, server_default="0"),
    Column("destinations", DETAIL, nullable=False),
    Column("evidence", DETAIL, nullable=False),
    Column("outcome", String),
    Column("merged_into", AUDIT_ID, ForeignKey("cases.id")),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    CheckConstraint(_in("kind", CASE_KINDS), name="kind"),
    CheckConstraint(_in("state", CASE_STATES), name="state"),
    Index(None, "state", "kind"),
    Index(None, "network"),
)

case_members = Table(
    "case_members",
    metadata,
    Column("case_id", AUDIT_ID, ForeignKey("cases.id"), nullable=False),
    Column("account", String, nullable=False),
    Column("role", String, nullable=False),
    Column("risk", Float, nullable=False, server_default="0"),
    Column("evidence", DETAIL, nullable=False),
    Column("first_version", String, nullable=False),
    Column("last_version", String, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("case_id", "account"),
    Index(None, "account"),
)

case_edges = Table(
    "case_edges",
    metadata,
    Column("case_id", AUDIT_ID, ForeignKey("cases.id"), nullable=False),
    Column("src", String, nullable=False),
    Column("dst", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("first_version", String, nullable=False),
    Column("last_version", String, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("kind", EDGE_KINDS), name="kind"),
    PrimaryKeyConstraint("case_id", "src", "dst", "kind"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
    Column("key", String, nullable=False, unique=True),
    Column("case_id", AUDIT_ID, ForeignKey("cases.id"), nullable=False),
    Column("scope", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("reason", Text, nullable=False),
    Column("policy_version", String, nullable=False),
    Column("evidence_version", String, nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("scope", ("account", "network")), name="scope"),
    Index(None, "case_id"),
)

actions = Table(
    "actions",
    metadata,
    Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
    Column("decision_id", AUDIT_ID, ForeignKey("decisions.id"), nullable=False),
    Column("case_id", AUDIT_ID, ForeignKey("cases.id"), nullable=False),
    Column("account", String, nullable=False),
    Column("action", String, nullable=False),
    Column("rule", String, nullable=False),
    Column("from_state", String, nullable=False),
    Column("to_state", String, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("action", ACTIONS), name="action"),
    UniqueConstraint("decision_id", "account"),
    Index(None, "account"),
    Index(None, "action", "applied_at"),
)

appeals = Table(
    "appeals",
    metadata,
    Column("id", AUDIT_ID, primary_key=True, autoincrement=True),
    Column("account", String, nullable=False),
    Column("case_id", AUDIT_ID, ForeignKey("cases.id")),
    Column("state", String, nullable=False, server_default="open"),
    Column("statement", Text, nullable=False),
    Column("filed_at", UTCDateTime, nullable=False),
    Column("decided_by", String),
    Column("decided_at", UTCDateTime),
    Column("note", Text),
    CheckConstraint(_in("state", APPEAL_STATES), name="state"),
    Index(None, "account"),
)

canaries = Table(
    "canaries",
    metadata,
    Column("id", String, primary_key=True),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("deadline_at", UTCDateTime, nullable=False),
    Column("processed_at", UTCDateTime),
    Column("case_id", AUDIT_ID, ForeignKey("cases.id")),
    Index(None, "processed_at", "deadline_at"),
)

trusted_flaggers = Table(
    "trusted_flaggers",
    metadata,
    Column("account", String, primary_key=True),
    Column("organisation", String, nullable=False),
    Column("since", UTCDateTime),
    Column("added_by", String, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Index(None, "organisation"),
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
