"""Operational metrics: proactive rate, time to action, queue, dead letters, canaries.

:func:`compute_metrics` reads them from the store into a :class:`Metrics`;
:func:`prometheus_text` renders the same figures in the Prometheus text
exposition format (through ``prometheus_client``), for ``GET /metrics``;
:func:`check` says whether anything needs a human now (overdue canaries, dead
letters), for ``firebreak check``.

Definitions. An *actioned account* is one with an enforcing action
(disable, restrict, warn, escalate); its *first action* is the earliest. It was
*found proactively* when it became a case member (a scan flagged it) before
any user report about it was received, or was never reported; the
*proactive rate* is the share of actioned accounts found proactively. *Time to
action* runs from the earlier of (found, first report received) to the first
action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func, select

from firebreak.act.canary import CANARY_SOURCE, overdue_canaries
from firebreak.act.decisions import ENFORCING
from firebreak.act.queue import now, queue_stats
from firebreak.store import Store
from firebreak.store.schema import (
    WORK_KINDS,
    WORK_STATES,
    actions,
    case_members,
    cases,
    reports,
)


@dataclass(frozen=True, slots=True)
class Metrics:
    """The operational figures at ``at`` (seconds for durations; ``None`` when there is no data)."""

    at: datetime
    actioned_accounts: int
    proactive_accounts: int
    proactive_rate: float | None
    time_to_action_p50_s: float | None
    time_to_action_p95_s: float | None
    items_by_state: dict[str, dict[str, int]]
    queue_oldest_s: dict[str, float]
    dead_letters: int
    expired_leases: int
    canaries_overdue: int
    cases_by_state: dict[str, int] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str]]:
        """``(name, value)`` pairs for printing."""
        def fmt(v: float | None, unit: str = "s") -> str:
            return "n/a" if v is None else f"{v:,.1f} {unit}"
        out = [
            ("actioned accounts", f"{self.actioned_accounts:,}"),
            ("found proactively", f"{self.proactive_accounts:,}"),
            ("proactive rate", "n/a" if self.proactive_rate is None else f"{self.proactive_rate:.1%}"),
            ("time to action p50", fmt(self.time_to_action_p50_s)),
            ("time to action p95", fmt(self.time_to_action_p95_s)),
        ]
        for kind in WORK_KINDS:
            states = self.items_by_state.get(kind, {})
            out.append((f"queue {kind}", ", ".join(f"{s} {states.get(s, 0):,}" for s in WORK_STATES)))
            out.append((f"queue {kind} oldest waiting", fmt(self.queue_oldest_s.get(kind))))
        out += [
            ("dead letters", f"{self.dead_letters:,}"),
            ("expired leases (to be taken back)", f"{self.expired_leases:,}"),
            ("canaries overdue", f"{self.canaries_overdue:,}"),
            ("cases", ", ".join(f"{k} {v:,}" for k, v in sorted(self.cases_by_state.items())) or "none"),
        ]
        return out


def _action_times(store: Store) -> pl.DataFrame:
    """Per actioned account: first action, when it was found, first report received."""
    with store.connection() as conn:
        acted = conn.execute(
            select(actions.c.account, func.min(actions.c.applied_at).label("acted"))
            .where(actions.c.action.in_(sorted(ENFORCING)))
            .group_by(actions.c.account)
        ).all()
        found = conn.execute(
            select(case_members.c.account, func.min(case_members.c.added_at).label("found"))
            .join(cases, cases.c.id == case_members.c.case_id)
            .where(cases.c.kind == "network")
            .group_by(case_members.c.account)
        ).all()
        reported = conn.execute(
            select(reports.c.target.label("account"), func.min(reports.c.received_at).label("reported"))
            .where(reports.c.source != CANARY_SOURCE)
            .group_by(reports.c.target)
        ).all()
    ts = pl.Datetime("us", "UTC")
    frames = [
        pl.DataFrame([tuple(r) for r in rows], schema={"account": pl.String, name: ts}, orient="row")
        for rows, name in ((acted, "acted"), (found, "found"), (reported, "reported"))
    ]
    return frames[0].join(frames[1], on="account", how="left").join(frames[2], on="account", how="left")


def compute_metrics(store: Store) -> Metrics:
    """Read every figure from the store (a few aggregate queries; no per-row Python)."""
    t = now()
    times = _action_times(store)
    proactive = times.filter(
        pl.col("found").is_not_null() & (pl.col("reported").is_null() | (pl.col("found") <= pl.col("reported")))
    ).height
    delays = times.select(
        (pl.col("acted") - pl.min_horizontal("found", "reported")).dt.total_microseconds().truediv(1e6).alias("d")
    ).drop_nulls()
    p50 = p95 = None
    if delays.height:
        p50 = float(delays.get_column("d").quantile(0.5, "linear") or 0.0)
        p95 = float(delays.get_column("d").quantile(0.95, "linear") or 0.0)
    qs = queue_stats(store)
    by_state: dict[str, dict[str, int]] = {}
    for (kind, state), n in qs.counts.items():
        by_state.setdefault(kind, {})[state] = n
    with store.connection() as conn:
        case_counts = {r.state: int(r.n) for r in conn.execute(
            select(cases.c.state, func.count().label("n")).where(cases.c.kind != "canary").group_by(cases.c.state))}
    n = times.height
    return Metrics(
        at=t,
        actioned_accounts=n,
        proactive_accounts=proactive,
        proactive_rate=(proactive / n) if n else None,
        time_to_action_p50_s=p50,
        time_to_action_p95_s=p95,
        items_by_state=by_state,
        queue_oldest_s=qs.oldest_ready_s,
        dead_letters=qs.dead,
        expired_leases=qs.expired_leases,
        canaries_overdue=len(overdue_canaries(store, at=t)),
        cases_by_state=case_counts,
    )


def prometheus_text(store: Store, metrics: Metrics | None = None) -> str:
    """The metrics in the Prometheus text exposition format (``text/plain; version=0.0.4``)."""
    m = metrics or compute_metrics(store)
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, value: float | None, **labels: str) -> None:
        g = Gauge(name, doc, list(labels), registry=registry)
        if value is not None:
            (g.labels(**labels) if labels else g).set(value)

    gauge("firebreak_actioned_accounts", "Accounts with an enforcing action.", m.actioned_accounts)
    gauge("firebreak_proactive_rate", "Share of actioned accounts found before any user report.", m.proactive_rate)
    tta = Gauge("firebreak_time_to_action_seconds", "Time from found or first report to first action.",
                ["quantile"], registry=registry)
    for q, v in (("0.5", m.time_to_action_p50_s), ("0.95", m.time_to_action_p95_s)):
        if v is not None:
            tta.labels(quantile=q).set(v)
    items = Gauge("firebreak_queue_items", "Work items by kind and state.", ["kind", "state"], registry=registry)
    oldest = Gauge("firebreak_queue_oldest_seconds", "Age of the oldest waiting work item.", ["kind"],
                   registry=registry)
    for kind in WORK_KINDS:
        for state in WORK_STATES:
            items.labels(kind=kind, state=state).set(m.items_by_state.get(kind, {}).get(state, 0))
        oldest.labels(kind=kind).set(m.queue_oldest_s.get(kind, 0.0))
    gauge("firebreak_dead_letters", "Dead-lettered work items (alarm when above 0).", m.dead_letters)
    gauge("firebreak_expired_leases", "Leases expired and not yet taken back.", m.expired_leases)
    gauge("firebreak_canaries_overdue", "Canary reports past their deadline (alarm when above 0).",
          m.canaries_overdue)
    cases_g = Gauge("firebreak_cases", "Cases by state.", ["state"], registry=registry)
    for state, n in m.cases_by_state.items():
        cases_g.labels(state=state).set(n)
    return generate_latest(registry).decode("utf-8")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """``ok`` unless a problem needs a human now; ``problems`` are one line each."""

    ok: bool
    problems: list[str]


def check(store: Store) -> CheckResult:
    """Overdue canaries and dead-lettered items are failures (each named in ``problems``)."""
    problems: list[str] = []
    t = now()
    for c in overdue_canaries(store, at=t):
        late = (t - c.deadline_at).total_seconds()
        problems.append(
            f"CANARY {c.id} sent {c.sent_at:%Y-%m-%d %H:%M:%S} UTC is {late:,.0f} s past its deadline and was "
            "never processed: reports are not reaching cases"
        )
    qs = queue_stats(store)
    for (kind, state), n in sorted(qs.counts.items()):
        if state == "dead" and n:
            problems.append(f"DEAD LETTERS: {n} {kind} item(s) failed repeatedly and wait for a human "
                            "(firebreak queue list --state dead; firebreak queue retry ID)")
    return CheckResult(not problems, problems)
