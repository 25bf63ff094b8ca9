"""Act: reports keyed by (source, id); work queue, cases, decisions, actions, appeals, canaries; strikes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONT = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
#: the source given to reports stored before sources were required.
LEGACY_SOURCE = "snapshot"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    """Re-key reports on (source, id), add strikes, and create the act tables."""
    op.execute(f"UPDATE reports SET source = '{LEGACY_SOURCE}' WHERE source IS NULL")
    with op.batch_alter_table("reports", recreate="auto") as batch:
        batch.alter_column("source", existing_type=sa.String(), nullable=False)
        batch.drop_constraint("pk_reports", type_="primary")
        batch.create_primary_key("pk_reports", ["source", "id"])
    with op.batch_alter_table("accounts_enforcement") as batch:
        batch.add_column(sa.Column("strikes", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "work_items",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("state", sa.String(), server_default="ready", nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("boost_s", sa.Float(), server_default="0", nullable=False),
        sa.Column("available_at", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_token", sa.String(), nullable=True),
        sa.Column("lease_expires_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.CheckConstraint(_in("state", ("ready", "leased", "done", "dead")), name="ck_work_items_state"),
        sa.CheckConstraint(_in("kind", ("report", "case", "appeal")), name="ck_work_items_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_work_items"),
        sa.UniqueConstraint("kind", "subject", name="uq_work_items_kind_subject"),
    )
    op.create_index("ix_work_items_state_kind_due_at", "work_items", ["state", "kind", "due_at"])
    op.create_index("ix_work_items_state_lease_expires_at", "work_items", ["state", "lease_expires_at"])

    op.create_table(
        "cases",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("state", sa.String(), server_default="open", nullable=False),
        sa.Column("network", sa.String(), nullable=True),
        sa.Column("evidence_version", sa.String(), nullable=False),
        sa.Column("risk", sa.Float(), server_default="0", nullable=False),
        sa.Column("minors", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("unique_followers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("destinations", JSONT, nullable=False),
        sa.Column("evidence", JSONT, nullable=False),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("merged_into", ID, nullable=True),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.CheckConstraint(_in("kind", ("network", "account", "canary")), name="ck_cases_kind"),
        sa.CheckConstraint(_in("state", ("open", "closed", "merged")), name="ck_cases_state"),
        sa.ForeignKeyConstraint(["merged_into"], ["cases.id"], name="fk_cases_merged_into_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_state_kind", "cases", ["state", "kind"])
    op.create_index("ix_cases_network", "cases", ["network"])

    op.create_table(
        "case_members",
        sa.Column("case_id", ID, nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("risk", sa.Float(), server_default="0", nullable=False),
        sa.Column("evidence", JSONT, nullable=False),
        sa.Column("first_version", sa.String(), nullable=False),
        sa.Column("last_version", sa.String(), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_members_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", "account", name="pk_case_members"),
    )
    op.create_index("ix_case_members_account", "case_members", ["account"])

    op.create_table(
        "decisions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("evidence_version", sa.String(), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.CheckConstraint(_in("scope", ("account", "network")), name="ck_decisions_scope"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_decisions_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
        sa.UniqueConstraint("key", name="uq_decisions_key"),
    )
    op.create_index("ix_decisions_case_id", "decisions", ["case_id"])

    op.create_table(
        "actions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("decision_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("from_state", sa.String(), nullable=False),
        sa.Column("to_state", sa.String(), nullable=False),
        sa.Column("applied_at", TS, nullable=False),
        sa.CheckConstraint(
            _in("action", ("disable", "restrict", "warn", "dismiss", "escalate", "restore")),
            name="ck_actions_action",
        ),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], name="fk_actions_decision_id_decisions"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_actions_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_actions"),
        sa.UniqueConstraint("decision_id", "account", name="uq_actions_decision_id_account"),
    )
    op.create_index("ix_actions_account", "actions", ["account"])
    op.create_index("ix_actions_action_applied_at", "actions", ["action", "applied_at"])

    op.create_table(
        "appeals",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("case_id", ID, nullable=True),
        sa.Column("state", sa.String(), server_default="open", nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("filed_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("state", ("open", "upheld", "restored")), name="ck_appeals_state"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_appeals_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_appeals"),
    )
    op.create_index("ix_appeals_account", "appeals", ["account"])

    op.create_table(
        "canaries",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("deadline_at", TS, nullable=False),
        sa.Column("processed_at", TS, nullable=True),
        sa.Column("case_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_canaries_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_canaries"),
    )
    op.create_index("ix_canaries_processed_at_deadline_at", "canaries", ["processed_at", "deadline_at"])


def downgrade() -> None:
    """Drop the act tables and strikes; key reports on id again (fails if ids now collide)."""
    for name in ("canaries", "appeals", "actions", "decisions", "case_members", "cases", "work_items"):
        op.drop_table(name)
    with op.batch_alter_table("accounts_enforcement") as batch:
        batch.drop_column("strikes")
    with op.batch_alter_table("reports", recreate="auto") as batch:
        batch.drop_constraint("pk_reports", type_="primary")
        batch.create_primary_key("pk_reports", ["id"])
        batch.alter_column("source", existing_type=sa.String(), nullable=True)
