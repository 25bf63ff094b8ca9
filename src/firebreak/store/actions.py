"""Stale review claims put back in the queue (``firebreak worker``).

One committed transaction, audit entries included, so a crash never leaves half of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from firebreak.store.schema import reports
from firebreak.store.store import Store, _guarded


@_guarded("requeueing stale claims")
def requeue_stale_claims(store: Store, older_than: timedelta, *, actor: str = "worker") -> list[str]:
    """Put reports claimed (``in_review``) longer ago than ``older_than`` back in the queue.

    A crashed reviewer's or worker's claims come back this way. Each requeued report
    gets a ``report.requeued`` audit entry in the same transaction. Returns their ids.
    """
    now = datetime.now(UTC)
    stmt = (
        update(reports)
        .where(reports.c.state == "in_review", reports.c.claimed_at < now - older_than)
        .values(state="queued", claimed_at=None, claimed_by=None, last_error="claim expired", updated_at=now)
        .returning(reports.c.id)
    )
    with store._write() as conn:
        ids = [str(row.id) for row in conn.execute(stmt)]
        for report_id in ids:
            store._append(conn, actor, "report.requeued", "report", report_id, {"why": "claim expired"}, now)
    return ids
