"""The background worker: routes queued reports into cases, sends scheduled canaries.

:func:`route_report` handles one leased ``report`` item in ONE transaction:
the report joins the live case its target belongs to (a closed case whose
target is not yet enforced is reopened), or opens an ``account`` case for the
target; a canary report opens a ``canary`` case and marks its canary
processed; the work item is completed in the same transaction, so a worker
killed at any point leaves either nothing or everything done, and the lease
brings the item back. :func:`work` loops over the queue.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, select, update

from firebreak.act.canary import (
    CANARY_SOURCE,
    last_canary_sent,
    mark_processed_in,
    send_canary,
)
from firebreak.act.intake import MINOR_REASONS, SUBJECT_SEP, parse_subject, work_subject
from firebreak.act.queue import (
    DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS,
    Lease,
    claim,
    complete_in,
    enqueue_in,
    fail,
    now,
    priority_boost,
)
from firebreak.errors import ActError, FirebreakError
from firebreak.store import Store
from firebreak.store.schema import (
    accounts_enforcement,
    actions,
    case_members,
    cases,
    reports,
    work_items,
)


@dataclass(frozen=True, slots=True)
class Routed:
    """Where a report went: its case, and whether that case was opened or reopened for it."""

    source: str
    report_id: str
    case_id: int
    opened: bool
    reopened: bool


def _new_case(conn: Connection, kind: str, account: str, reason: str | None, source: str, report_id: str,
              t: datetime) -> int:
    evidence = [{"signal": "report:user", "detail": f"reported for {reason or 'unspecified'} ({source}/{report_id})",
                 "weight": 1.0}]
    case_id = int(
        conn.execute(
            cases.insert().values(
                kind=kind, state="open", network=None, evidence_version=f"report:{source}/{report_id}",
                risk=0.0, minors=reason in MINOR_REASONS, unique_followers=0, destinations=[], evidence=evidence,
                opened_at=t, updated_at=t,
            ).returning(cases.c.id)
        ).scalar_one()
    )
    conn.execute(case_members.insert().values(
        case_id=case_id, account=account, role="reported", risk=0.0, evidence=evidence,
        first_version=f"report:{source}/{report_id}", last_version=f"report:{source}/{report_id}", added_at=t,
    ))
    return case_id


def route_report(store: Store, lease: Lease, *, actor: str = "worker") -> Routed:
    """Route the report behind ``lease`` into its case and complete the item (one transaction).

    Raises :class:`~firebreak.errors.LeaseLost` (nothing written) if the lease
    expired, :class:`ActError` if the report is missing.
    """
    if lease.kind != "report":
        raise ActError(f"route_report needs a report item, got {lease.kind}")
    source, report_id = parse_subject(lease.subject)
    t = now()
    with store.transaction() as conn:
        rep = conn.execute(
            select(reports.c.target, reports.c.reason, reports.c.state)
            .where(reports.c.source == source, reports.c.id == report_id)
        ).one_or_none()
        if rep is None:
            raise ActError(f"report {source}/{report_id} is queued but not stored")
        opened = reopened = False
        if source == CANARY_SOURCE:
            case_id = _new_case(conn, "canary", rep.target, rep.reason, source, report_id, t)
            conn.execute(update(cases).where(cases.c.id == case_id).values(state="closed", outcome="canary",
                                                                         closed_at=t))
            mark_processed_in(conn, report_id, case_id, t)
            opened = True
        else:
            live = conn.execute(
                select(cases.c.id, cases.c.state, cases.c.risk)
                .join(case_members, case_members.c.case_id == cases.c.id)
                .where(case_members.c.account == rep.target, cases.c.state != "merged", cases.c.kind != "canary")
                .order_by(cases.c.id).limit(1)
            ).one_or_none()
            enforced = conn.execute(
                select(accounts_enforcement.c.state).where(accounts_enforcement.c.account == rep.target)
            ).scalar_one_or_none()
            if live is None:
                case_id = _new_case(conn, "account", rep.target, rep.reason, source, report_id, t)
                opened = True
            else:
                case_id = int(live.id)
                acted_here = conn.execute(
                    select(actions.c.id).where(actions.c.case_id == case_id, actions.c.account == rep.target).limit(1)
                ).first() is not None
                # a closed case is reopened by a report about a member nobody has acted on yet
                if live.state == "closed" and not acted_here and enforced != "disabled":
                    conn.execute(update(cases).where(cases.c.id == case_id).values(state="open", closed_at=None,
                                                                                 updated_at=t))
                    reopened = True
            if opened or reopened:
                enqueue_in(conn, store, "case", [str(case_id)], at=t, requeue_done=True,
                           boosts=[priority_boost(float(live.risk) if live else 0.0, rep.reason in MINOR_REASONS)])
            state = "actioned" if live is not None and live.state == "closed" and not reopened else "in_review"
            conn.execute(update(reports).where(reports.c.source == source, reports.c.id == report_id)
                         .values(state=state, updated_at=t))
        store.append_audit_in(
            conn, actor, "report.routed", subject_kind="report", subject=f"{source}/{report_id}", at=t,
            detail={"case": case_id, "opened": opened, "reopened": reopened, "target": rep.target},
        )
        if reopened:
            store.append_audit_in(conn, actor, "case.reopened", subject_kind="case", subject=str(case_id), at=t,
                                  detail={"report": f"{source}/{report_id}", "target": rep.target})
        complete_in(conn, lease, at=t)
    return Routed(source, report_id, case_id, opened, reopened)


def queue_stored_reports(store: Store) -> int:
    """Queue every stored report that has no work item yet (reports stored by snapshot
    ingest, :meth:`Store.upsert_reports`). Returns how many were queued."""
    t = now()
    subject = reports.c.source + SUBJECT_SEP + reports.c.id
    with store.transaction() as conn:
        missing = select(reports.c.source, reports.c.id, reports.c.reason).where(
            reports.c.state == "queued",
            ~exists().where(and_(work_items.c.kind == "report", work_items.c.subject == subject)),
        )
        rows = conn.execute(missing).all()
        return enqueue_in(
            conn, store, "report", [work_subject(r.source, r.id) for r in rows],
            boosts=[priority_boost(0.0, r.reason in MINOR_REASONS) for r in rows], at=t,
        )


@dataclass(slots=True)
class WorkStats:
    """What :func:`work` did."""

    routed: int = 0
    failed: int = 0
    canaries_sent: int = 0
    queued_from_store: int = 0


def work(
    store: Store,
    *,
    worker: str = "worker",
    once: bool = False,
    batch: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    poll_s: float = 1.0,
    canary_every: timedelta | None = None,
    stop: threading.Event | None = None,
    on_routed: Callable[[Routed], None] | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> WorkStats:
    """Route queued reports until ``stop`` is set (or, with ``once``, until the queue is empty).

    Each cycle queues stored reports that lack a work item, sends a canary when
    ``canary_every`` has passed since the last one, then claims up to ``batch``
    report items and routes each (a failure is recorded on its item: retried
    with backoff, dead-lettered after ``max_attempts``).
    """
    del max_attempts  # items carry their own limit; kept for a stable signature
    stats = WorkStats()
    halt = stop or threading.Event()
    while not halt.is_set():
        stats.queued_from_store += queue_stored_reports(store)
        if canary_every is not None:
            last = last_canary_sent(store)
            if last is None or now() - last >= canary_every:
                send_canary(store)
                stats.canaries_sent += 1
        leases = claim(store, "report", worker, n=batch, lease=lease)
        for held in leases:
            try:
                routed = route_report(store, held, actor=worker)
            except FirebreakError as exc:
                stats.failed += 1
                with contextlib.suppress(FirebreakError):  # a lost lease: the item comes back by itself
                    fail(store, held, str(exc))
                continue
            stats.routed += 1
            if on_routed is not None:
                on_routed(routed)
        if not leases:
            if once:
                break
            halt.wait(poll_s)
    return stats


__all__ = ["Routed", "WorkStats", "queue_stored_reports", "route_report", "work"]
