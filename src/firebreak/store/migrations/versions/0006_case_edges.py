"""Case edges: the network picture of a case (follows and interactions among its members).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
EDGE_KINDS = ("follow", "message", "comment", "like", "view")


def upgrade() -> None:
    """Create ``case_edges`` (one row per case, source, target and kind of edge)."""
    kinds = ", ".join(repr(k) for k in EDGE_KINDS)
    op.create_table(
        "case_edges",
        sa.Column("case_id", ID, nullable=False),
        sa.Column("src", sa.String(), nullable=False),
        sa.Column("dst", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("first_version", sa.String(), nullable=False),
        sa.Column("last_version", sa.String(), nullable=False),
        sa.Column("added_at", TS, nullable=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name="ck_case_edges_kind"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_edges_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", "src", "dst", "kind", name="pk_case_edges"),
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_table("case_edges")
