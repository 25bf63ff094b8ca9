"""Work queue: index the claim order (state, kind, due_at, id) so a claim reads one index range.

The claim orders ready items by ``due_at, id``; the old index stopped at ``due_at``,
so PostgreSQL sorted every ready item of the kind on each claim.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Replace ``ix_work_items_state_kind_due_at`` by the same index with ``id`` appended."""
    op.create_index("ix_work_items_state_kind_due_at_id", "work_items", ["state", "kind", "due_at", "id"])
    op.drop_index("ix_work_items_state_kind_due_at", table_name="work_items")


def downgrade() -> None:
    """Put the old index back."""
    op.create_index("ix_work_items_state_kind_due_at", "work_items", ["state", "kind", "due_at"])
    op.drop_index("ix_work_items_state_kind_due_at_id", table_name="work_items")
