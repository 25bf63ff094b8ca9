"""Trusted-flagger registry: accounts of vetted organisations (the EU DSA's Article 22 model).

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-01

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``trusted_flaggers`` (one row per account of a vetted organisation)."""
    op.create_table(
        "trusted_flaggers",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", name="pk_trusted_flaggers"),
    )
    op.create_index("ix_trusted_flaggers_organisation", "trusted_flaggers", ["organisation"])


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_index("ix_trusted_flaggers_organisation", table_name="trusted_flaggers")
    op.drop_table("trusted_flaggers")
