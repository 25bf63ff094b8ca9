"""The leased work queue: reports to route, cases to review, appeals to decide.

A worker or reviewer :func:`claim`\\ s items and gets a :class:`Lease` (an
exclusive, expiring hold with a secret token). While it works it may
:func:`renew` the lease; it ends with :func:`complete` (or
:func:`complete_in` inside the transaction that applies the work, so work and
completion commit together), :func:`release` (leave without penalty) or
:func:`fail` (retry later with exponential backoff). An item whose lease
expired (its holder crashed) is taken back on the next claim and counts as a
failed attempt. After ``max_attempts`` failures it is parked as ``dead``: never
dropped, counted by :func:`queue_stats`, raised by ``firebreak check`` and the
``firebreak_dead_letters`` metric, and put back with :func:`retry_dead`.

Claim order is by ``due_at`` = enqueue time minus a priority boost (seconds)
from risk and whether minors are involved (:func:`priority_boost`): an item's
effective priority is its age plus its boost, so old items are never starved
and the order stays one index scan. On PostgreSQL claims use ``FOR UPDATE SKIP
LOCKED``; on SQLite one writer at a time.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from firebreak.errors import ActError, LeaseLost
from firebreak.store import Store
from firebreak.store.schema import WORK_KINDS, WORK_STATES, work_items

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=10)
#: boost (seconds of age) for a risk of 1.0 and for minors being involved.
RISK_BOOST_S = 24 * 3600.0
MINORS_BOOST_S = 72 * 3600.0


@dataclass(frozen=True, slots=True)
class Lease:
    """An exclusive, expiring hold on one work item.

    ``token`` proves the hold: renew, complete, release and fail all check it,
    so a worker whose lease expired cannot finish an item someone else holds.
    """

    item_id: int
    kind: str
    subject: str
    owner: str
    token: str
    expires_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One row of the queue, as :func:`items` returns it."""

    id: int
    kind: str
    subject: str
    state: str
    boost_s: float
    due_at: datetime
    available_at: datetime
    attempts: int
    max_attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


def now() -> datetime:
    """The current UTC time (one clock for the whole act package)."""
    return datetime.now(UTC)


def priority_boost(risk: float, minors: bool) -> float:
    """Seconds of age an item is treated as having on top of its real age.

    ``risk`` in [0, 1] is worth up to :data:`RISK_BOOST_S`; ``minors`` adds
    :data:`MINORS_BOOST_S`.
    """
    return max(0.0, min(1.0, float(risk))) * RISK_BOOST_S + (MINORS_BOOST_S if minors else 0.0)


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts`` (2 s, 4 s, 8 s... capped at 10 min)."""
    wait: timedelta = BACKOFF_BASE * (2 ** max(0, attempts - 1))
    return min(BACKOFF_CAP, wait)


def _check_kind(kind: str) -> None:
    if kind not in WORK_KINDS:
        raise ActError(f"unknown work kind {kind!r}: expected one of {', '.join(WORK_KINDS)}")


def enqueue_in(
    conn: Connection,
    store: Store,
    kind: str,
    subjects: Sequence[str],
    *,
    boosts: Sequence[float] | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    at: datetime | None = None,
    requeue_done: bool = False,
) -> int:
    """Queue one item per subject inside the caller's transaction ``conn``.

    An item already queued for the same ``(kind, subject)`` is kept as it is
    (idempotent); with ``requeue_done`` a finished one becomes ready again
    (a case that changed needs another review). Returns how many items became ready.
    """
    _check_kind(kind)
    if not subjects:
        return 0
    t = at or now()
    boost = list(boosts) if boosts is not None else [0.0] * len(subjects)
    rows = [
        {
            "kind": kind,
            "subject": s,
            "state": "ready",
            "due_at": t - timedelta(seconds=b),
            "boost_s": b,
            "available_at": t,
            "attempts": 0,
            "max_attempts": max_attempts,
            "created_at": t,
            "updated_at": t,
        }
        for s, b in zip(subjects, boost, strict=True)
    ]
    ready = len(store.bulk_insert(conn, work_items, rows, conflict=("kind", "subject"), returning="id"))
    if requeue_done:
        again = conn.execute(
            update(work_items)
            .where(work_items.c.kind == kind, work_items.c.subject.in_(list(subjects)), work_items.c.state == "done")
            .values(state="ready", attempts=0, available_at=t, due_at=t, finished_at=None, updated_at=t),
            execution_options={"preserve_rowcount": True},
        )
        ready += int(again.rowcount)
    return ready


def enqueue(
    store: Store, kind: str, subjects: Sequence[str], *, boosts: Sequence[float] | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int:
    """Queue one item per subject in its own transaction (see :func:`enqueue_in`)."""
    with store.transaction() as conn:
        return enqueue_in(conn, store, kind, subjects, boosts=boosts, max_attempts=max_attempts)


def _reap_expired(conn: Connection, store: Store, kind: str, t: datetime) -> int:
    """Take back items whose lease expired: retry later, or dead-letter them. Returns how many."""
    expired = (
        select(work_items.c.id, work_items.c.attempts, work_items.c.max_attempts, work_items.c.lease_owner)
        .where(work_items.c.state == "leased", work_items.c.kind == kind, work_items.c.lease_expires_at < t)
        .with_for_update(skip_locked=True)
    )
    rows = conn.execute(expired).all()
    for row in rows:
        _retry_or_bury(conn, store, row.id, row.attempts, row.max_attempts, f"lease of {row.lease_owner} expired", t)
    return len(rows)


def _retry_or_bury(
    conn: Connection, store: Store, item_id: int, attempts: int, max_attempts: int, error: str, t: datetime
) -> str:
    dead = attempts >= max_attempts
    values: dict[str, Any] = {
        "state": "dead" if dead else "ready",
        "lease_owner": None,
        "lease_token": None,
        "lease_expires_at": None,
        "last_error": error,
        "updated_at": t,
        "available_at": t + backoff(attempts),
    }
    conn.execute(update(work_items).where(work_items.c.id == item_id).values(**values))
    if dead:
        store.append_audit_in(
            conn, "system", "queue.dead_letter", subject_kind="work_item", subject=str(item_id),
            detail={"attempts": attempts, "error": error}, at=t,
        )
    return str(values["state"])


#: PostgreSQL claim in one statement, run as its own transaction (one round trip): take
#: back expired leases of the kind (retry after backoff, or dead-letter with an audit
#: entry), then lease the first ready items. The two touch disjoint rows (leased vs
#: ready), and a taken-back item waits its backoff.
#:
#: ``lease_commit`` makes the statement's commit skip the wait for the WAL flush
#: (``synchronous_commit`` off for this transaction only). A lease need not survive a
#: database crash: a lost lease is an expired one (the item is claimable again, and the
#: holder's completion, which checks the token, fails and rolls its work back), and any
#: later durable commit, such as the work's own, flushes the claim's WAL first.
PG_CLAIM = """
WITH lease_commit AS (
    SELECT set_config('synchronous_commit', 'off', true) AS setting
), expired AS (
    SELECT id, lease_owner FROM work_items
    WHERE state = 'leased' AND kind = %(kind)s AND lease_expires_at < %(t)s
    FOR UPDATE SKIP LOCKED
), reaped AS (
    UPDATE work_items w
    SET state = CASE WHEN w.attempts >= w.max_attempts THEN 'dead' ELSE 'ready' END,
        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
        last_error = 'lease of ' || coalesce(x.lease_owner, 'None') || ' expired',
        updated_at = %(t)s,
        available_at = %(t)s + make_interval(
            secs => least(%(cap)s::float8, %(base)s::float8 * power(2, greatest(0, w.attempts - 1))))
    FROM expired x WHERE w.id = x.id
    RETURNING w.id, w.state, w.attempts, w.last_error
), buried AS (
    INSERT INTO audit_log (at, actor, action, subject_kind, subject, detail)
    SELECT %(t)s, 'system', 'queue.dead_letter', 'work_item', r.id::text,
           jsonb_build_object('attempts', r.attempts, 'error', r.last_error)
    FROM reaped r WHERE r.state = 'dead'
), picked AS (
    SELECT id FROM work_items
    WHERE state = 'ready' AND kind = %(kind)s AND available_at <= %(t)s
    ORDER BY due_at, id LIMIT %(n)s
    FOR UPDATE SKIP LOCKED
)
UPDATE work_items w
SET state = 'leased', lease_owner = %(worker)s, lease_token = %(token)s, lease_expires_at = %(expires)s,
    attempts = w.attempts + 1, updated_at = %(t)s
FROM picked p, lease_commit WHERE w.id = p.id AND w.state = 'ready'
RETURNING w.id, w.subject, w.attempts, w.due_at
"""


def claim(
    store: Store, kind: str, worker: str, *, n: int = 1, lease: timedelta = DEFAULT_LEASE
) -> list[Lease]:
    """Lease up to ``n`` ready items of ``kind`` for ``worker``, highest priority first.

    Expired leases of that kind are taken back first (a failed attempt each).
    Concurrent callers never get the same item. Returns the leases (possibly none).
    """
    _check_kind(kind)
    if n <= 0:
        return []
    t = now()
    token = secrets.token_hex(16)
    expires = t + lease
    if store.dialect == "postgresql":
        params = {"kind": kind, "t": t, "n": n, "worker": worker, "token": token, "expires": expires,
                  "base": BACKOFF_BASE.total_seconds(), "cap": BACKOFF_CAP.total_seconds()}
        rows = store.run_alone(PG_CLAIM, params)
        rows.sort(key=lambda r: (r[3], r[0]))
        return [Lease(int(r[0]), kind, r[1], worker, token, expires, int(r[2])) for r in rows]
    with store.transaction() as conn:
        _reap_expired(conn, store, kind, t)
        pick = (
            select(work_items.c.id)
            .where(work_items.c.state == "ready", work_items.c.kind == kind, work_items.c.available_at <= t)
            .order_by(work_items.c.due_at, work_items.c.id)
            .limit(n)
            .with_for_update(skip_locked=True)
            .cte("picked")
        )
        stmt = (
            update(work_items)
            .where(work_items.c.id == pick.c.id, work_items.c.state == "ready")
            .values(
                state="leased", lease_owner=worker, lease_token=token, lease_expires_at=expires,
                attempts=work_items.c.attempts + 1, updated_at=t,
            )
            .returning(work_items.c.id, work_items.c.subject, work_items.c.attempts, work_items.c.due_at)
        )
        found = sorted(conn.execute(stmt).all(), key=lambda r: (r.due_at, r.id))
    return [Lease(int(r.id), kind, r.subject, worker, token, expires, int(r.attempts)) for r in found]


def _held(lease: Lease, t: datetime) -> Any:
    return and_(
        work_items.c.id == lease.item_id,
        work_items.c.state == "leased",
        work_items.c.lease_token == lease.token,
        work_items.c.lease_expires_at >= t,
    )


def lease_lost(lease: Lease) -> LeaseLost:
    """The error for a lease that expired or was taken over."""
    return LeaseLost(f"lease on {lease.kind} item {lease.item_id} ({lease.subject}) expired or was taken over")


def renew(store: Store, lease: Lease, *, extend: timedelta = DEFAULT_LEASE) -> Lease:
    """Extend a held lease to ``extend`` from now; raises :class:`LeaseLost` if it is no longer held."""
    t = now()
    with store.transaction() as conn:
        result = conn.execute(
            update(work_items).where(_held(lease, t)).values(lease_expires_at=t + extend, updated_at=t),
            execution_options={"preserve_rowcount": True},
        )
        if result.rowcount != 1:
            raise lease_lost(lease)
    return Lease(lease.item_id, lease.kind, lease.subject, lease.owner, lease.token, t + extend, lease.attempts)


def complete_in(conn: Connection, lease: Lease, *, at: datetime | None = None) -> None:
    """Mark the leased item done inside the caller's transaction; raises :class:`LeaseLost`
    (and so rolls the caller's work back) if the lease is no longer held."""
    t = at or now()
    result = conn.execute(
        update(work_items)
        .where(_held(lease, t))
        .values(state="done", finished_at=t, updated_at=t, lease_token=None, lease_expires_at=None),
        execution_options={"preserve_rowcount": True},
    )
    if result.rowcount != 1:
        raise lease_lost(lease)


def complete(store: Store, lease: Lease) -> None:
    """Mark the leased item done (see :func:`complete_in`)."""
    with store.transaction() as conn:
        complete_in(conn, lease)


def release(store: Store, lease: Lease) -> None:
    """Give the item back untouched (a reviewer left): ready now, the attempt not counted."""
    t = now()
    with store.transaction() as conn:
        result = conn.execute(
            update(work_items)
            .where(_held(lease, t))
            .values(
                state="ready", attempts=work_items.c.attempts - 1, lease_owner=None, lease_token=None,
                lease_expires_at=None, available_at=t, updated_at=t,
            ),
            execution_options={"preserve_rowcount": True},
        )
        if result.rowcount != 1:
            raise lease_lost(lease)


def fail(store: Store, lease: Lease, error: str) -> str:
    """Record a failed attempt: the item is retried after :func:`backoff`, or dead-lettered
    once it has had ``max_attempts``. Returns the item's new state (``ready`` or ``dead``)."""
    t = now()
    with store.transaction() as conn:
        row = conn.execute(
            select(work_items.c.attempts, work_items.c.max_attempts).where(_held(lease, t)).with_for_update()
        ).one_or_none()
        if row is None:
            raise lease_lost(lease)
        return _retry_or_bury(conn, store, lease.item_id, row.attempts, row.max_attempts, error, t)


def retry_dead(store: Store, item_id: int, *, actor: str) -> None:
    """Put a dead-lettered item back in the queue with its attempts reset (audited)."""
    t = now()
    with store.transaction() as conn:
        result = conn.execute(
            update(work_items)
            .where(work_items.c.id == item_id, work_items.c.state == "dead")
            .values(state="ready", attempts=0, available_at=t, updated_at=t),
            execution_options={"preserve_rowcount": True},
        )
        if result.rowcount != 1:
            raise ActError(f"work item {item_id} is not dead-lettered")
        store.append_audit_in(conn, actor, "queue.retry_dead", subject_kind="work_item", subject=str(item_id), at=t)


def items(
    store: Store, *, kind: str | None = None, states: Iterable[str] | None = None, limit: int | None = None
) -> list[WorkItem]:
    """Queue items (optionally of ``kind`` / in ``states``), in claim order."""
    query = select(*(work_items.c[f] for f in WorkItem.__slots__)).order_by(work_items.c.due_at, work_items.c.id)
    if kind is not None:
        _check_kind(kind)
        query = query.where(work_items.c.kind == kind)
    if states is not None:
        wanted = list(states)
        unknown = sorted(set(wanted) - set(WORK_STATES))
        if unknown:
            raise ActError(f"unknown work state(s) {', '.join(unknown)}: expected {', '.join(WORK_STATES)}")
        query = query.where(work_items.c.state.in_(wanted))
    if limit is not None:
        query = query.limit(limit)
    with store.connection() as conn:
        return [WorkItem(**row) for row in conn.execute(query).mappings()]


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Counts by ``(kind, state)``, the age in seconds of the oldest waiting item per kind,
    and how many leases have expired but are not yet taken back."""

    counts: dict[tuple[str, str], int]
    oldest_ready_s: dict[str, float]
    expired_leases: int

    @property
    def dead(self) -> int:
        """Dead-lettered items, all kinds."""
        return sum(n for (_, state), n in self.counts.items() if state == "dead")


def queue_stats(store: Store) -> QueueStats:
    """Counts by kind and state, oldest waiting age per kind, expired leases (one read)."""
    t = now()
    with store.connection() as conn:
        counts = {
            (r.kind, r.state): int(r.n)
            for r in conn.execute(
                select(work_items.c.kind, work_items.c.state, func.count().label("n")).group_by(
                    work_items.c.kind, work_items.c.state
                )
            )
        }
        oldest = {
            r.kind: max(0.0, (t - r.first).total_seconds())
            for r in conn.execute(
                select(work_items.c.kind, func.min(work_items.c.created_at).label("first"))
                .where(or_(work_items.c.state == "ready", work_items.c.state == "leased"))
                .group_by(work_items.c.kind)
            )
            if r.first is not None
        }
        expired = int(
            conn.execute(
                select(func.count()).select_from(work_items).where(
                    work_items.c.state == "leased", work_items.c.lease_expires_at < t
                )
            ).scalar_one()
        )
    return QueueStats(counts, oldest, expired)
