"""The case service the API and the console call: a small typed interface and its interim implementation.

Route handlers and pages only talk to :class:`CaseService`. :class:`StoreCaseService`
implements it on what exists today: cases are the networks (and standalone flagged
sellers) of the scan in force, decisions and takedowns are enforcement changes in
the store with audit entries, and metrics are computed from the store's reports and
enforcement tables.

ADAPTER POINT (act): when ``firebreak.act`` lands, the lead replaces
:class:`StoreCaseService` by a thin adapter over act's cases, decisions, takedowns
and metrics (``act`` persists cases across scans, leases queue items and owns the
Prometheus figures). Every place to rewire is marked ``ADAPTER(act)`` below; the
Protocol and the API's JSON stay as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import polars as pl

from firebreak.api.scanstate import ScanState
from firebreak.errors import FirebreakError
from firebreak.store import AuditEntry, Store
from firebreak.store.actions import apply_enforcements

#: what a decision may do; ``takedown`` acts on the whole network under :data:`TAKEDOWN_POLICY`.
DECISIONS = ("takedown", "disable", "restrict", "dismiss", "escalate")
#: the written policy a network takedown applies (role -> enforcement state).
TAKEDOWN_POLICY = {"seller": "disabled", "buyer": "restricted"}
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


def _quantile(values: pl.Series, q: float) -> float | None:
    if values.len() == 0:
        return None
    value = values.quantile(q, interpolation="linear")
    return None if value is None else float(value)


class StoreCaseService:
    """:class:`CaseService` over the scan in force and the store (interim, until act is wired)."""

    def __init__(self, store: Store, scan: Callable[[], ScanState | None]) -> None:
        self.store = store
        self.scan = scan
        self._lexicon: Any = None

    # ---------------------------------------------------------------- helpers
    def _state(self) -> ScanState:
        state = self.scan()
        if state is None:
            raise CaseNotFound("no scan in force: start the server with --scan DIR")
        return state

    def _case_frame(self, state: ScanState) -> pl.DataFrame:
        """One row per case: id, kind, members (list), risk, sellers, buyers, unique_followers, destinations."""
        # ADAPTER(act): act's cases table replaces this derivation from the scan.
        nets = state.networks
        cases = nets.select(
            pl.col("id"),
            pl.lit("network").alias("kind"),
            pl.col("members"),
            pl.col("risk").cast(pl.Float64) if "risk" in nets.columns else pl.lit(0.0).alias("risk"),
            *(
                (pl.col(c).cast(pl.Int64) if c in nets.columns else pl.lit(0, pl.Int64).alias(c))
                for c in ("sellers", "buyers", "unique_followers")
            ),
            (
                pl.col("destinations").cast(pl.List(pl.String))
                if "destinations" in nets.columns
                else pl.lit([], pl.List(pl.String)).alias("destinations")
            ),
        )
        scores = state.results.scores
        lone = scores.filter((pl.col("role") == "seller") & pl.col("network").is_null()).select(
            ("acct-" + pl.col("account")).alias("id"),
            pl.lit("account").alias("kind"),
            pl.concat_list(pl.col("account")).alias("members"),
            pl.col("risk").cast(pl.Float64),
            pl.lit(1, pl.Int64).alias("sellers"),
            pl.lit(0, pl.Int64).alias("buyers"),
            pl.lit(0, pl.Int64).alias("unique_followers"),
            pl.lit([], pl.List(pl.String)).alias("destinations"),
        )
        return pl.concat([cases, lone], how="vertical_relaxed").select(cases.columns)

    def _summaries(self, state: ScanState) -> pl.DataFrame:
        cases = self._case_frame(state)
        members = cases.select("id", pl.col("members").alias("account")).explode("account")
        reports = self.store.reports().select("target", "state")
        enforcement = self.store.enforcements().select("account", pl.col("state").alias("enforced"))
        roles = state.results.scores.select("account", "role")
        per = (
            members.join(reports.group_by("target").len("reports"), left_on="account", right_on="target", how="left")
            .join(enforcement, on="account", how="left")
            .join(roles, on="account", how="left")
            .group_by("id")
            .agg(
                pl.col("reports").fill_null(0).sum().alias("reports"),
                # a case is actioned once every seller in it is disabled
                ((pl.col("role") == "seller") & (pl.col("enforced") != "disabled").fill_null(True))
                .sum()
                .alias("sellers_left"),
            )
        )
        out = cases.join(per, on="id", how="left").with_columns(
            pl.col("reports").fill_null(0),
            pl.when(pl.col("sellers_left").fill_null(1) > 0).then(pl.lit("open")).otherwise(pl.lit("actioned")).alias(
                "status"
            ),
            # priority: risk, widened by the audience reached and by open user reports
            (
                pl.col("risk") * (1 + (1 + pl.col("unique_followers")).log10()) + 0.1 * pl.col("reports").fill_null(0)
            ).alias("priority"),
        )
        return out.sort(["priority", "id"], descending=[True, False])

    @staticmethod
    def _summary(row: dict[str, Any]) -> CaseSummary:
        return CaseSummary(
            id=row["id"],
            kind=row["kind"],
            priority=round(float(row["priority"]), 4),
            risk=float(row["risk"] or 0.0),
            members=len(row["members"]),
            sellers=int(row["sellers"] or 0),
            buyers=int(row["buyers"] or 0),
            unique_followers=int(row["unique_followers"] or 0),
            reports=int(row["reports"] or 0),
            status=row["status"],
        )

    # ---------------------------------------------------------------- queries
    def list_cases(self, *, status: str | None = None, limit: int = 100) -> list[CaseSummary]:
        """Cases, highest priority first, optionally only ``open`` or ``actioned`` ones, at most ``limit``."""
        state = self.scan()
        if state is None:
            return []
        frame = self._summaries(state)
        if status is not None:
            frame = frame.filter(pl.col("status") == status)
        return [self._summary(row) for row in frame.head(limit).iter_rows(named=True)]

    def get_case(self, case_id: str) -> CaseDetail:
        """The case ``case_id`` with members, destinations, shares, follows, reports and audit trail."""
        state = self._state()
        frame = self._summaries(state).filter(pl.col("id") == case_id)
        if frame.height == 0:
            raise CaseNotFound(f"no case {case_id!r} in the scan in force ({state.version})")
        row = frame.row(0, named=True)
        members = pl.DataFrame({"account": row["members"]}, schema={"account": pl.String})
        scores = state.results.scores
        has_ev = "evidence" in scores.columns
        info = members.join(
            scores.select(
                "account",
                "role",
                "risk",
                (pl.col("evidence").list.len() if has_ev else pl.lit(0)).alias("evidence"),
            ),
            on="account",
            how="left",
        ).join(self.store.enforcements().select("account", "state"), on="account", how="left")
        member_list = [
            Member(r["account"], r["role"] or "none", float(r["risk"] or 0), int(r["evidence"] or 0), r["state"] or "none")
            for r in info.sort(["role", "risk"], descending=[True, True]).iter_rows(named=True)
        ]
        destinations = list(row["destinations"] or [])
        shares: dict[str, list[str]] = {}
        if destinations and has_ev:
            ev = (
                scores.filter(pl.col("account").is_in(members.get_column("account").implode()))
                .select("account", "evidence")
                .explode("evidence")
                .select("account", pl.col("evidence").struct.field("detail").alias("detail"))
                .drop_nulls()
            )
            hits = ev.select(
                "account",
                *(pl.col("detail").str.contains(d, literal=True).alias(d) for d in destinations),
            ).group_by("account").agg(pl.col(d).any() for d in destinations)
            for r in hits.iter_rows(named=True):
                got = [d for d in destinations if r[d]]
                if got:
                    shares[r["account"]] = got
        follows = state.follows.filter(
            pl.col("src").is_in(members.get_column("account").implode())
            & pl.col("dst").is_in(members.get_column("account").implode())
        )
        reports = self.store.reports().filter(pl.col("target").is_in(members.get_column("account").implode()))
        evidence = []
        if row["kind"] == "network":
            net = state.networks.filter(pl.col("id") == case_id)
            if "evidence" in net.columns and net.height:
                evidence = net.select(pl.col("evidence").explode()).drop_nulls().to_series().to_list()
        return CaseDetail(
            summary=self._summary(row),
            members=member_list,
            destinations=destinations,
            evidence=[dict(e) for e in evidence],
            reports=reports.select("id", "reporter", "target", "reason", "text", "created_at", "state").to_dicts(),
            audit=self.store.audit_entries(subject_kind="case", subject=case_id),
            shares=shares,
            follows=list(follows.iter_rows()),
            edges=[(src, dst, "follow") for src, dst in follows.iter_rows()],
            scan_version=state.version,
        )

    def account_evidence(self, account: str) -> dict[str, Any]:
        """``{account, role, risk, network, evidence, texts: [{where, text, spans}], media: [hash]}``.

        ``spans`` are the lexicon's hits in the original text (start, end, term, category),
        so the console can highlight exactly what matched.
        """
        state = self._state()
        scores = state.results.scores.filter(pl.col("account") == account)
        known = scores.height > 0 or state.ids.encode([account])[0] >= 0
        if not known:
            raise CaseNotFound(f"account {account!r} is not in the scan in force")
        row: dict[str, Any] = scores.row(0, named=True) if scores.height else {"role": "none", "risk": 0.0, "network": None}
        texts: list[tuple[str, str]] = []
        bio = state.accounts.filter(pl.col("id") == account)
        if bio.height:
            b = bio.row(0, named=True)
            texts += [("handle", b["handle"] or ""), ("bio", b["bio"] or "")]
        posts = state.posts.filter(pl.col("author") == account)
        texts += [(f"post {p}", t or "") for p, t in posts.select("id", "text").iter_rows()]
        texts = [(w, t) for w, t in texts if t]
        lexicon = self._lexicon_loaded()
        hits = lexicon.match_many([t for _, t in texts]) if texts else []
        media = [h for hs in posts.get_column("media").to_list() for h in (hs or []) if h]
        return {
            "account": account,
            "role": row.get("role") or "none",
            "risk": float(row.get("risk") or 0.0),
            "network": row.get("network"),
            "evidence": [dict(e) for e in (row.get("evidence") or [])],
            "texts": [
                {
                    "where": where,
                    "text": text,
                    "spans": [
                        {"start": h.span[0], "end": h.span[1], "term": h.term, "category": h.category}
                        for h in hs
                        if h.span[0] >= 0 and h.span[1] <= len(text)
                    ],
                }
                for (where, text), hs in zip(texts, hits, strict=True)
            ],
            "media": media,
        }

    def _lexicon_loaded(self) -> Any:
        if self._lexicon is None:
            from firebreak.detect.lexicon import load_lexicon

            self._lexicon = load_lexicon()
        return self._lexicon

    # -------------------------------------------------------------- decisions
    def decide(
        self, case_id: str, decision: str, *, actor: str, policy: str, reason: str, accounts: list[str] | None = None
    ) -> DecisionResult:
        """Apply ``decision`` to ``accounts`` (members of the case; default all) with its audit entries."""
        # ADAPTER(act): act.decide(case, decision, ...) replaces this.
        if decision == "takedown":
            return self.take_down(case_id, actor=actor, policy=policy, reason=reason)
        if decision not in DECISIONS:
            raise DecisionError(f"unknown decision {decision!r}: expected one of {', '.join(DECISIONS)}")
        case = self.get_case(case_id)
        members = {m.account: m for m in case.members}
        chosen = accounts if accounts else list(members)
        outside = [a for a in chosen if a not in members]
        if outside:
            raise DecisionError(f"account(s) not in case {case_id}: {', '.join(outside[:5])}")
        state = {"disable": "disabled", "restrict": "restricted"}.get(decision)
        detail = {"case": case_id, "policy": policy, "decision": decision, "scan": case.scan_version}
        changed: dict[str, tuple[str, str]] = {}
        if state is not None:
            previous = apply_enforcements(
                self.store,
                [(a, state) for a in chosen],
                actor=actor,
                reason=reason,
                network=case_id,
                action="enforcement.set",
                detail=detail,
            )
            changed = {a: (p, state) for a, p in previous.items()}
        entry = self.store.append_audit(
            actor,
            f"case.{decision}",
            subject_kind="case",
            subject=case_id,
            detail={**detail, "reason": reason, "accounts": chosen},
        )
        return DecisionResult(case_id, decision, changed, entry.id)

    def take_down(self, case_id: str, *, actor: str, policy: str, reason: str) -> DecisionResult:
        """Disable the sellers and restrict the buyers of the case, in one transaction, with the audit log."""
        # ADAPTER(act): act's network takedown (one transaction, strikes, appeals) replaces this.
        case = self.get_case(case_id)
        actions = [(m.account, TAKEDOWN_POLICY[m.role]) for m in case.members if m.role in TAKEDOWN_POLICY]
        if not actions:
            raise DecisionError(f"case {case_id} has no sellers or buyers to act on")
        detail = {"case": case_id, "policy": policy, "decision": "takedown", "scan": case.scan_version}
        previous = apply_enforcements(
            self.store, actions, actor=actor, reason=reason, network=case_id, action="enforcement.set", detail=detail
        )
        entry = self.store.append_audit(
            actor,
            "case.takedown",
            subject_kind="case",
            subject=case_id,
            detail={**detail, "reason": reason, "disabled": sum(s == "disabled" for _, s in actions),
                    "restricted": sum(s == "restricted" for _, s in actions)},
        )
        return DecisionResult(case_id, "takedown", {a: (previous[a], s) for a, s in actions}, entry.id)

    # ---------------------------------------------------------------- metrics
    def metrics(self) -> Metrics:
        """Figures computed from the store: reports by state, actions, proactive rate, time to action, queue age."""
        # ADAPTER(act): act's metrics (same names) replace this computation.
        now = datetime.now(UTC)
        reports = self.store.reports()
        enforced = self.store.enforcements()
        by_state = reports.group_by("state").len()
        reports_by_state = dict(zip(by_state["state"].to_list(), by_state["len"].to_list(), strict=True))
        en_state = enforced.group_by("state").len()
        enforced_by_state = dict(zip(en_state["state"].to_list(), en_state["len"].to_list(), strict=True))
        queued = reports.filter(pl.col("state") == "queued")
        queue_ages = queued.select(((pl.lit(now) - pl.col("received_at")).dt.total_seconds() / 3600.0).alias("h"))
        actioned = enforced.filter(pl.col("state").is_in(["restricted", "disabled"]))
        first_report = reports.group_by("target").agg(pl.col("created_at").min().alias("first"))
        joined = actioned.join(first_report, left_on="account", right_on="target", how="left")
        proactive = (
            joined.select((pl.col("first").is_null() | (pl.col("first") > pl.col("updated_at"))).mean()).item()
            if joined.height
            else None
        )
        tta = joined.filter(pl.col("first").is_not_null() & (pl.col("first") <= pl.col("updated_at"))).select(
            ((pl.col("updated_at") - pl.col("first")).dt.total_seconds()).alias("s")
        )
        per_day = actioned.select(((pl.lit(now) - pl.col("updated_at")).dt.total_days()).alias("d")).group_by("d").len()
        state = self.scan()
        cases = self._summaries(state) if state is not None else pl.DataFrame({"status": []}, schema={"status": pl.String})
        return Metrics(
            reports_by_state=reports_by_state,
            enforced_by_state=enforced_by_state,
            queue_age_s=float(queue_ages.get_column("h").max() or 0.0) * 3600.0 if queue_ages.height else 0.0,  # type: ignore[arg-type]
            proactive_rate=None if proactive is None else float(proactive),
            time_to_action_p50_s=_quantile(tta["s"], 0.5),
            time_to_action_p95_s=_quantile(tta["s"], 0.95),
            cases_open=int((cases["status"] == "open").sum()),
            cases_total=cases.height,
            actions_per_day=dict(zip(per_day["d"].to_list(), per_day["len"].to_list(), strict=True)),
            time_to_action_h=[s / 3600.0 for s in tta["s"].to_list()],
            queue_ages_h=queue_ages["h"].to_list(),
        )


def finite(x: float | None) -> float | None:
    """``x`` unless it is NaN or infinite (JSON has neither)."""
    return None if x is None or not math.isfinite(x) else x


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
