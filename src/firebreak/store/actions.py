"""Enforcement applied to many accounts at once, and stale review claims put back in the queue.

Interim store functions used by the HTTP service (:mod:`firebreak.api.services`)
until the act package's takedowns and leased queue are wired in; each is one
committed transaction, audit entries included, so a crash never leaves half of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from firebreak.errors import StoreError
from firebreak.store.schema import ENFORCEMENT_STATES, accounts_enforcement, reports
from firebreak.store.store import Store, _guarded


@_guarded("applying enforcement")
def apply_enforcements(
    store: Store,
    actions: Sequence[tuple[str, str]],
    *,
    actor: str,
    reason: str,
    network: str | None = None,
    action: str = "enforcement.set",
    detail: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Set each ``(account, state)`` in ``actions`` and audit every change, all in one transaction.

    Each account gets one ``action`` audit entry (``from``, ``to``, ``reason``,
    ``network`` plus ``detail``). Returns ``{account: previous state}``. Raises
    :class:`StoreError` (and changes nothing) for an unknown state.
    """
    for _, state in actions:
        if state not in ENFORCEMENT_STATES:
            raise StoreError(f"unknown enforcement state {state!r}: expected one of {', '.join(ENFORCEMENT_STATES)}")
    now = datetime.now(UTC)
    accounts = [account for account, _ in actions]
    previous: dict[str, str] = {}
    with store._write() as conn:
        rows = conn.execute(
            select(accounts_enforcement.c.account, accounts_enforcement.c.state)
            .where(accounts_enforcement.c.account.in_(accounts))
            .with_for_update()
        ).all()
        known = {row.account: row.state for row in rows}
        for account, state in actions:
            values = {"state": state, "network": network, "reason": reason, "updated_by": actor, "updated_at": now}
            conn.execute(
                store._insert(accounts_enforcement)
                .values(account=account, **values)
                .on_conflict_do_update(index_elements=["account"], set_=values)
            )
            previous[account] = known.get(account, "none")
            entry = {"from": previous[account], "to": state, "reason": reason, "network": network, **(detail or {})}
            store._append(conn, actor, action, "account", account, entry, now)
    return previous


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
