"""Canary reports: synthetic reports that must travel intake -> queue -> case in time.

:func:`send_canary` stores a canary report (source ``"canary"``) through the
normal intake, in the same transaction as its ``canaries`` row with a
deadline. The worker routes it like any report and marks it processed when its
case exists. :func:`overdue_canaries` lists canaries past their deadline and
still unprocessed: ``firebreak check`` fails on them, and the
``firebreak_canaries_overdue`` metric counts them, so a pipeline that silently
stops processing reports is caught within minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, update

from firebreak.act.intake import ReportIn, _store_new
from firebreak.act.queue import now
from firebreak.store import Store
from firebreak.store.schema import canaries

CANARY_SOURCE = "canary"
DEFAULT_DEADLINE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Canary:
    """One canary: when it was sent, its deadline, and when (and into which case) it was processed."""

    id: str
    sent_at: datetime
    deadline_at: datetime
    processed_at: datetime | None
    case_id: int | None


def send_canary(store: Store, *, deadline: timedelta = DEFAULT_DEADLINE) -> Canary:
    """Send one canary report through intake, due ``deadline`` from now; returns it."""
    t = now()
    canary_id = f"canary-{t:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    report = ReportIn(id=canary_id, target=f"canary:{canary_id}", reason="other", created_at=t,
                      reporter="firebreak-canary", text="canary report: must reach a case before its deadline")
    with store.transaction() as conn:
        conn.execute(canaries.insert().values(id=canary_id, sent_at=t, deadline_at=t + deadline))
        _store_new(conn, store, CANARY_SOURCE, [report], t)
        store.append_audit_in(conn, "canary", "canary.sent", subject_kind="canary", subject=canary_id, at=t,
                              detail={"deadline_s": deadline.total_seconds()})
    return Canary(canary_id, t, t + deadline, None, None)


def mark_processed_in(conn: Connection, canary_id: str, case_id: int, t: datetime) -> None:
    """Mark a canary processed into ``case_id`` (inside the worker's transaction)."""
    conn.execute(update(canaries).where(canaries.c.id == canary_id, canaries.c.processed_at.is_(None))
                 .values(processed_at=t, case_id=case_id))


def _canary(row: object) -> Canary:
    r = row._mapping  # type: ignore[attr-defined]
    return Canary(r["id"], r["sent_at"], r["deadline_at"], r["processed_at"],
                  None if r["case_id"] is None else int(r["case_id"]))


def overdue_canaries(store: Store, *, at: datetime | None = None) -> list[Canary]:
    """Canaries still unprocessed after their deadline, oldest first."""
    t = at or now()
    with store.connection() as conn:
        rows = conn.execute(
            select(canaries).where(canaries.c.processed_at.is_(None), canaries.c.deadline_at < t)
            .order_by(canaries.c.sent_at)
        )
        return [_canary(r) for r in rows]


def get_canary(store: Store, canary_id: str) -> Canary | None:
    """One canary by id, or ``None``."""
    with store.connection() as conn:
        row = conn.execute(select(canaries).where(canaries.c.id == canary_id)).one_or_none()
        return None if row is None else _canary(row)


def last_canary_sent(store: Store) -> datetime | None:
    """When the newest canary was sent (``None``: never)."""
    with store.connection() as conn:
        value: datetime | None = conn.execute(select(func.max(canaries.c.sent_at))).scalar_one()
        return value
