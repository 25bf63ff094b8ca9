"""NCMEC CyberTipline reporting: escalated cases, their report submissions, and uploaded files.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01

On merge, ``down_revision`` becomes the Act migration (``0002_act``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_STATES = "'pending', 'working', 'finished', 'returned'"
SUBMISSION_STATES = (
    "'submitting', 'open', 'finishing', 'finished', 'retracting', 'retracted', 'rejected', 'unknown', 'expired'"
)
FILE_STATES = "'uploading', 'uploaded', 'describing', 'described'"
JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")
ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``ncmec_cases``, ``ncmec_submissions`` and ``ncmec_files``."""
    op.create_table(
        "ncmec_cases",
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("network_id", sa.String(), nullable=False),
        sa.Column("case_json", JSON_TYPE, nullable=False),
        sa.Column("state", sa.String(), server_default="pending", nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN ({CASE_STATES})", name="ck_ncmec_cases_state"),
        sa.PrimaryKeyConstraint("case_id", name="pk_ncmec_cases"),
        sa.UniqueConstraint("report_id", name="uq_ncmec_cases_report_id"),
    )
    op.create_index("ix_ncmec_cases_state_created_at", "ncmec_cases", ["state", "created_at"])

    op.create_table(
        "ncmec_submissions",
        sa.Column("id", ID_TYPE, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=True),
        sa.Column("report_xml", sa.Text(), nullable=False),
        sa.Column("file_ids", JSON_TYPE, nullable=True),
        sa.Column("after_retract", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN ({SUBMISSION_STATES})", name="ck_ncmec_submissions_state"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["ncmec_cases.case_id"], name="fk_ncmec_submissions_case_id_ncmec_cases"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ncmec_submissions"),
        sa.UniqueConstraint("report_id", name="uq_ncmec_submissions_report_id"),
    )
    op.create_index("ix_ncmec_submissions_case_id_id", "ncmec_submissions", ["case_id", "id"])

    op.create_table(
        "ncmec_files",
        sa.Column("submission_id", ID_TYPE, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_ref", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("md5", sa.String(), nullable=False),
        sa.Column("pdq", sa.String(), nullable=True),
        sa.Column("file_id", sa.String(), nullable=True),
        sa.Column("server_md5", sa.String(), nullable=True),
        sa.Column("details_xml", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN ({FILE_STATES})", name="ck_ncmec_files_state"),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["ncmec_submissions.id"], name="fk_ncmec_files_submission_id_ncmec_submissions"
        ),
        sa.PrimaryKeyConstraint("submission_id", "position", name="pk_ncmec_files"),
        sa.UniqueConstraint("submission_id", "file_ref", name="uq_ncmec_files_submission_id_file_ref"),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("ncmec_files")
    op.drop_table("ncmec_submissions")
    op.drop_table("ncmec_cases")
