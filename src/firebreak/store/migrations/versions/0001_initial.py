"""Initial schema: reports queue, accounts' enforcement state, append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORT_STATES = "'queued', 'in_review', 'actioned', 'dismissed', 'failed'"
ENFORCEMENT_STATES = "'none', 'under_review', 'restricted', 'disabled'"

PG_APPEND_ONLY = (
    """CREATE FUNCTION firebreak_audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % rejected', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$""",
    """CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION firebreak_audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION firebreak_audit_log_append_only()""",
)
SQLITE_APPEND_ONLY = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE rejected'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE rejected'); END""",
)


def upgrade() -> None:
    """Create the three tables, their indexes, and the audit log's append-only triggers."""
    op.create_table(
        "reports",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("reporter", sa.String(), nullable=True),
        sa.Column("target_kind", sa.String(), nullable=True),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("resolved_by", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN ({REPORT_STATES})", name="ck_reports_state"),
        sa.CheckConstraint("attempts >= 0", name="ck_reports_attempts"),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
    )
    op.create_index("ix_reports_state_received_at_id", "reports", ["state", "received_at", "id"])
    op.create_index("ix_reports_target", "reports", ["target"])

    op.create_table(
        "accounts_enforcement",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("network", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN ({ENFORCEMENT_STATES})", name="ck_accounts_enforcement_state"),
        sa.PrimaryKeyConstraint("account", name="pk_accounts_enforcement"),
    )
    op.create_index("ix_accounts_enforcement_state", "accounts_enforcement", ["state"])
    op.create_index("ix_accounts_enforcement_network", "accounts_enforcement", ["network"])

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("subject_kind", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_subject_kind_subject_id", "audit_log", ["subject_kind", "subject", "id"])
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])

    pg = op.get_bind().dialect.name == "postgresql"
    for statement in PG_APPEND_ONLY if pg else SQLITE_APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    """Drop everything :func:`upgrade` created."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS firebreak_audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_table("audit_log")
    op.drop_table("accounts_enforcement")
    op.drop_table("reports")
