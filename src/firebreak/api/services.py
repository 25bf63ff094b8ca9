"""What the API and the console call: the case service's typed interface and report intake.

Route handlers and pages only talk to :class:`CaseService` (implemented over
:mod:`firebreak.act` by :class:`~firebreak.api.actcases.ActCaseService`) and
:class:`ReportIntake` (over :mod:`firebreak.act.intake`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from firebreak.errors import FirebreakError
from firebreak.store import AuditEntry, Store

#: what a decision may do; ``takedown`` acts on the whole network (sellers disabled, buyers restricted).
DECISIONS = ("takedown", "disable", "restrict", "dismiss", "escalate")
POLICIES = ("network-takedown-v1", "seller-disable-v1", "buyer-restrict-v1", "no-violation", "ncmec-escalation")


class CaseNotFound(FirebreakError):
    """No case with that id in the scan in force."""


class DecisionError(FirebreakError):
    """A decision that cannot apply (accounts outside the case, no scan in force...)."""


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One line of the queue."""

    id: str
    kind: str
    priority: float
    risk: float
    members: int
    sellers: int
    buyers: int
    unique_followers: int
    reports: int
    status: str


@dataclass(frozen=True, slots=True)
class Member:
    """A case member: role, risk, how much evidence, enforcement state."""

    account: str
    role: str
    risk: float
    evidence: int
    state: str


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """A case with its members, destinations, evidence, reports and audit trail."""

    summary: CaseSummary
    members: list[Member]
    destinations: list[str]
    evidence: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    audit: list[AuditEntry]
    #: member -> destinations it shares (from its evidence).
    shares: dict[str, list[str]] = field(default_factory=dict)
    #: follows among members, as (src, dst) pairs (empty without a snapshot).
    follows: list[tuple[str, str]] = field(default_factory=list)
    #: the network picture: edges among members as (src, dst, kind), kind ``follow`` or an interaction kind.
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    scan_version: str = ""


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """What a decision changed: ``{account: (from, to)}`` and its audit entry id."""

    case: str
    decision: str
    changed: dict[str, tuple[str, str]]
    audit_id: int


@dataclass(frozen=True, slots=True)
class Metrics:
    """Operational figures (the dashboard and ``/metrics``)."""

    reports_by_state: dict[str, int]
    enforced_by_state: dict[str, int]
    queue_age_s: float
    proactive_rate: float | None
    time_to_action_p50_s: float | None
    time_to_action_p95_s: float | None
    cases_open: int
    cases_total: int
    #: days ago -> accounts actioned that day (for the dashboard chart).
    actions_per_day: dict[int, int]
    #: time to action of each actioned, reported account, in hours.
    time_to_action_h: list[float]
    #: ages of queued reports, in hours.
    queue_ages_h: list[float]


class CaseService(Protocol):
    """What the API and the console need of cases, decisions and metrics."""

    def list_cases(self, *, status: str | None = None, limit: int = 100) -> list[CaseSummary]:
        """Cases, highest priority first (``status``: ``open`` or ``actioned``)."""
        ...

    def get_case(self, case_id: str) -> CaseDetail:
        """One case in full; raises :class:`CaseNotFound`."""
        ...

    def decide(
        self, case_id: str, decision: str, *, actor: str, policy: str, reason: str, accounts: list[str] | None = None
    ) -> DecisionResult:
        """Apply a per-account decision (``disable``, ``restrict``, ``dismiss``, ``escalate``) to members of a case."""
        ...

    def take_down(self, case_id: str, *, actor: str, policy: str, reason: str) -> DecisionResult:
        """Take the whole network down in one transaction (sellers disabled, buyers restricted)."""
        ...

    def account_evidence(self, account: str) -> dict[str, Any]:
        """An account's scan evidence, original texts with lexicon spans, and media hashes."""
        ...

    def metrics(self) -> Metrics:
        """Current operational figures."""
        ...


class ReportIntake:
    """Report intake for the API over :mod:`firebreak.act.intake`: acknowledged only once
    committed (stored and queued for routing in one transaction), idempotent on ``(source, id)``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def submit(self, report: dict[str, Any], *, source: str) -> tuple[bool, dict[str, Any]]:
        """Store and queue ``report`` (keys ``id, reporter, target, reason, created_at, text``) from
        ``source`` unless ``(source, id)`` is already stored; returns ``(newly stored, the stored record)``.

        Raises :class:`~firebreak.errors.ReportError` naming the field for a report act refuses.
        """
        from firebreak.act.intake import submit_report

        created_at = report["created_at"]
        if isinstance(created_at, datetime) and created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        record, created = submit_report(self.store, source, {**report, "created_at": created_at})
        return created, _record_dict(record)

    def get(self, report_id: str, *, source: str | None = None) -> dict[str, Any] | None:
        """The stored report ``(source, report_id)`` with its ``status``, or ``None``.

        Without ``source`` (or when ``source`` sent no such report), the report with that id from
        any source (the lowest source name) is returned: reviewers read reports of every sender.
        """
        from firebreak.act.intake import get_report

        if source is not None:
            record = get_report(self.store, source, report_id)
            if record is not None:
                return _record_dict(record)
        rows = self.store.reports(ids=[report_id])
        if rows.height == 0:
            return None
        first = rows.sort("source").row(0, named=True)
        found = get_report(self.store, first["source"], report_id)
        return None if found is None else _record_dict(found)


def _record_dict(record: Any) -> dict[str, Any]:
    """An act :class:`~firebreak.act.intake.ReportRecord` as the API's record (``state`` as ``status``)."""
    out: dict[str, Any] = {name: getattr(record, name) for name in record.__slots__}
    out["status"] = out.pop("state")
    return out
