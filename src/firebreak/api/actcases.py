"""The case service over :mod:`firebreak.act`: act's persistent cases, decisions, takedowns and metrics.

:class:`ActCaseService` implements :class:`~firebreak.api.services.CaseService`.
Cases are act's cases (their integer ids as strings); the scan in force is synced
into them with :func:`firebreak.act.cases.open_cases` (evidence version = the scan's
version) the first time the service sees a scan version; decisions and takedowns
are :func:`firebreak.act.decisions.decide` and :func:`~firebreak.act.decisions.take_down`
(one transaction each, idempotent); figures come from
:func:`firebreak.act.metrics.compute_metrics`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import func, select

from firebreak.act import cases as act_cases
from firebreak.act import decisions as act_decisions
from firebreak.act.metrics import _action_times, compute_metrics
from firebreak.api.evidence import EvidenceReader
from firebreak.api.scanstate import ScanState
from firebreak.api.services import (
    DECISIONS,
    CaseDetail,
    CaseNotFound,
    CaseSummary,
    DecisionError,
    DecisionResult,
    Member,
    Metrics,
)
from firebreak.errors import ActError
from firebreak.store import Store
from firebreak.store.schema import case_members, reports

#: act case state -> the API's case status.
STATUS = {"open": "open", "closed": "actioned"}


class ActCaseService:
    """:class:`~firebreak.api.services.CaseService` over act's cases, decisions and metrics."""

    def __init__(self, store: Store, scan: Callable[[], ScanState | None]) -> None:
        self.store = store
        self.scan = scan
        self._synced: str | None = None
        self._lock = threading.Lock()
        self._evidence = EvidenceReader()

    # ---------------------------------------------------------------- syncing
    def sync(self) -> ScanState | None:
        """Open or update act's cases for the scan in force once per scan version; returns the scan."""
        state = self.scan()
        if state is None or state.version == self._synced:
            return state
        with self._lock:
            if state.version != self._synced:
                scores = state.results.scores
                act_cases.open_cases(self.store, scores, state.networks, state.version, actor="server",
                                     edges=state.follows)
                self._synced = state.version
        return state

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _case_id(case_id: str) -> int:
        try:
            return int(case_id)
        except ValueError:
            raise CaseNotFound(f"no case {case_id!r}: case ids are integers") from None

    def _counts(self, ids: list[int]) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
        """Per case: members by role, and reports about its members."""
        roles: dict[int, dict[str, int]] = {}
        reported: dict[int, int] = {}
        if not ids:
            return roles, reported
        with self.store.connection() as conn:
            row: Any
            for row in conn.execute(
                select(case_members.c.case_id, case_members.c.role, func.count())
                .where(case_members.c.case_id.in_(ids))
                .group_by(case_members.c.case_id, case_members.c.role)
            ):
                roles.setdefault(int(row[0]), {})[str(row[1])] = int(row[2])
            for row in conn.execute(
                select(case_members.c.case_id, func.count())
                .join(reports, reports.c.target == case_members.c.account)
                .where(case_members.c.case_id.in_(ids))
                .group_by(case_members.c.case_id)
            ):
                reported[int(row[0])] = int(row[1])
        return roles, reported

    @staticmethod
    def _summary(case: act_cases.Case, roles: dict[str, int], n_reports: int) -> CaseSummary:
        # priority: risk, raised for minors, widened by the audience reached and by user reports
        import math

        priority = case.risk * (1 + math.log10(1 + case.unique_followers)) + 0.1 * n_reports + (1.0 if case.minors else 0.0)
        return CaseSummary(
            id=str(case.id),
            kind=case.kind,
            priority=round(priority, 4),
            risk=float(case.risk),
            members=case.members,
            sellers=roles.get("seller", 0),
            buyers=roles.get("buyer", 0),
            unique_followers=int(case.unique_followers),
            reports=n_reports,
            status=STATUS.get(case.state, case.state),
        )

    # ---------------------------------------------------------------- queries
    def list_cases(self, *, status: str | None = None, limit: int = 100) -> list[CaseSummary]:
        """Act's cases (not merged, not canaries), highest priority first; ``status`` ``open`` or ``actioned``."""
        self.sync()
        state = {"open": "open", "actioned": "closed"}.get(status) if status is not None else None
        if status is not None and state is None:
            return []
        found = [
            c for c in act_cases.list_cases(self.store, state=state)
            if c.state != "merged" and c.kind != "canary"
        ]
        roles, reported = self._counts([c.id for c in found])
        out = [self._summary(c, roles.get(c.id, {}), reported.get(c.id, 0)) for c in found]
        out.sort(key=lambda s: (-s.priority, int(s.id)))
        return out[:limit]

    def get_case(self, case_id: str) -> CaseDetail:
        """Act's case ``case_id`` with members (and their enforcement state), reports, history and
        its stored network picture (edges among members, kept across scans)."""
        self.sync()
        cid = self._case_id(case_id)
        try:
            detail = act_cases.get_case(self.store, cid)
        except ActError as exc:
            raise CaseNotFound(str(exc)) from None
        accounts = [m.account for m in detail.members]
        enforced = dict(
            self.store.enforcements().filter(pl.col("account").is_in(accounts)).select("account", "state").iter_rows()
        )
        members = [
            Member(m.account, m.role, float(m.risk), len(m.evidence), enforced.get(m.account, "none"))
            for m in sorted(detail.members, key=lambda m: (m.role != "seller", -m.risk, m.account))
        ]
        destinations = list(detail.case.destinations)
        shares: dict[str, list[str]] = {}
        for m in detail.members:
            details = " ".join(str(e.get("detail") or "") for e in m.evidence)
            got = [d for d in destinations if d in details]
            if got:
                shares[m.account] = got
        follows = [(e.src, e.dst) for e in detail.edges if e.kind == "follow"]
        roles, reported = self._counts([cid])
        return CaseDetail(
            summary=self._summary(detail.case, roles.get(cid, {}), reported.get(cid, 0)),
            members=members,
            destinations=destinations,
            evidence=[dict(e) for e in detail.case.evidence],
            reports=[{**r, "id": r["id"]} for r in detail.reports],
            audit=detail.history,
            shares=shares,
            follows=follows,
            edges=[(e.src, e.dst, e.kind) for e in detail.edges],
            scan_version=detail.case.evidence_version,
        )

    def account_evidence(self, account: str) -> dict[str, Any]:
        """An account's scan evidence, texts with lexicon spans and media hashes (from the scan in force
        and its snapshot: :class:`~firebreak.api.evidence.EvidenceReader`)."""
        state = self.scan()
        if state is None:
            raise CaseNotFound("no scan in force: start the server with --scan DIR")
        return self._evidence.read(state, account)

    # -------------------------------------------------------------- decisions
    def _result(self, case_id: str, decision: str, made: act_decisions.Decision) -> DecisionResult:
        entries = self.store.audit_entries(subject_kind="case", subject=case_id)
        audit_id = max((e.id for e in entries), default=0)
        changed = {a.account: (a.from_state, a.to_state) for a in made.actions}
        return DecisionResult(case_id, decision, changed, audit_id)

    def decide(
        self, case_id: str, decision: str, *, actor: str, policy: str, reason: str, accounts: list[str] | None = None
    ) -> DecisionResult:
        """``decision`` on ``accounts`` (members of the case; default all) through :func:`act.decisions.decide`."""
        if decision == "takedown":
            return self.take_down(case_id, actor=actor, policy=policy, reason=reason)
        if decision not in DECISIONS:
            raise DecisionError(f"unknown decision {decision!r}: expected one of {', '.join(DECISIONS)}")
        case = self.get_case(case_id)
        chosen = accounts if accounts else [m.account for m in case.members]
        try:
            made = act_decisions.decide(
                self.store, int(case_id), dict.fromkeys(chosen, decision), actor=actor, reason=f"{reason} ({policy})"
            )
        except ActError as exc:
            raise DecisionError(str(exc)) from None
        return self._result(case_id, decision, made)

    def take_down(self, case_id: str, *, actor: str, policy: str, reason: str) -> DecisionResult:
        """The whole network down under act's policy, in one transaction (:func:`act.decisions.take_down`)."""
        self.get_case(case_id)
        try:
            made = act_decisions.take_down(self.store, int(case_id), actor=actor, reason=f"{reason} ({policy})")
        except ActError as exc:
            raise DecisionError(str(exc)) from None
        if not made.actions and not made.replayed:
            raise DecisionError(f"case {case_id} has no members left to act on")
        return self._result(case_id, "takedown", made)

    # ---------------------------------------------------------------- metrics
    def metrics(self) -> Metrics:
        """Act's figures (proactive rate, time to action, queue age, cases) mapped onto the API's Metrics."""
        self.sync()
        m = compute_metrics(self.store)
        now = datetime.now(UTC)
        rep = self.store.reports()
        by_state = rep.group_by("state").len()
        enforced = self.store.enforcements()
        en_state = enforced.group_by("state").len()
        actioned = enforced.filter(pl.col("state").is_in(["restricted", "disabled"]))
        per_day = actioned.select(((pl.lit(now) - pl.col("updated_at")).dt.total_days()).alias("d")).group_by("d").len()
        queued = rep.filter(pl.col("state") == "queued")
        queue_h = queued.select(((pl.lit(now) - pl.col("received_at")).dt.total_seconds() / 3600.0).alias("h"))
        times = _action_times(self.store)
        tta_h = times.select(
            (pl.col("acted") - pl.min_horizontal("found", "reported")).dt.total_microseconds().truediv(3.6e9).alias("h")
        ).drop_nulls()
        open_n = m.cases_by_state.get("open", 0)
        return Metrics(
            reports_by_state=dict(zip(by_state["state"].to_list(), by_state["len"].to_list(), strict=True)),
            enforced_by_state=dict(zip(en_state["state"].to_list(), en_state["len"].to_list(), strict=True)),
            queue_age_s=max(m.queue_oldest_s.values(), default=0.0),
            proactive_rate=m.proactive_rate,
            time_to_action_p50_s=m.time_to_action_p50_s,
            time_to_action_p95_s=m.time_to_action_p95_s,
            cases_open=open_n,
            cases_total=open_n + m.cases_by_state.get("closed", 0),
            actions_per_day=dict(zip(per_day["d"].to_list(), per_day["len"].to_list(), strict=True)),
            time_to_action_h=tta_h["h"].to_list(),
            queue_ages_h=queue_h["h"].to_list(),
        )
