"""Cases: one per network (and per standalone flagged account), kept across scans.

:func:`open_cases` takes a scan's ``scores`` and ``networks`` frames (the
spec's "Scan results") and an evidence version (the scan's id) and opens or
updates cases. A case is found again through its members: a network whose
members already belong to a case updates that case (new members added,
existing ones refreshed, nothing duplicated, each change in the audit log as
the case's history); a network touching several cases merges them into the
oldest (the others become ``merged`` and point at it). Changed cases go to the
review queue with a priority from their risk and whether minors are involved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select, update

from firebreak.act.policy import Policy, load_policy
from firebreak.act.queue import enqueue_in, now, priority_boost
from firebreak.errors import ActError
from firebreak.exprs import fmt
from firebreak.store import AuditEntry, Store
from firebreak.store.schema import (
    CASE_KINDS,
    CASE_STATES,
    EDGE_KINDS,
    actions,
    case_edges,
    case_members,
    cases,
    decisions,
    reports,
)

SCORES_COLUMNS = ("account", "risk", "role", "network", "evidence")
NETWORKS_COLUMNS = ("id", "members", "unique_followers", "risk", "evidence", "destinations")
#: columns of the ``edges`` frame :func:`open_cases` takes (``kind`` optional: ``follow``).
EDGES_COLUMNS = ("src", "dst")
FLAGGED_ROLES = ("seller", "buyer")
LOOKUP_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class CaseMember:
    """A member of a case: role, risk and evidence (list of ``{signal, detail, weight}``)."""

    account: str
    role: str
    risk: float
    evidence: list[dict[str, Any]]
    first_version: str
    last_version: str
    added_at: datetime

    @property
    def evidence_weight(self) -> float:
        """Total weight of the member's evidence."""
        return float(sum(float(e.get("weight") or 0.0) for e in self.evidence))


@dataclass(frozen=True, slots=True)
class Case:
    """A case's summary row."""

    id: int
    kind: str
    state: str
    network: str | None
    evidence_version: str
    risk: float
    minors: bool
    unique_followers: int
    destinations: list[str]
    evidence: list[dict[str, Any]]
    outcome: str | None
    merged_into: int | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    members: int = 0


@dataclass(frozen=True, slots=True)
class CaseEdge:
    """One edge of a case's network picture: ``src`` follows or interacted with ``dst`` (both
    members); ``kind`` is ``follow`` or the interaction's kind; the scans that first and last saw it."""

    src: str
    dst: str
    kind: str
    first_version: str
    last_version: str


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """Everything a reviewer sees: the case, its members, reports about them, actions, history,
    and the network picture (edges among the members)."""

    case: Case
    members: list[CaseMember]
    reports: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    history: list[AuditEntry]
    edges: list[CaseEdge] = field(default_factory=list)


@dataclass(slots=True)
class CaseSync:
    """What :func:`open_cases` did: case ids opened, updated (new members or evidence),
    reopened (closed before), merged away (into another), members and edges added."""

    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)
    members_added: int = 0
    #: edges among members stored new by this sync (seen again: only their last version moves).
    edges_added: int = 0


CASE_COLUMNS = [cases.c[name] for name in Case.__dataclass_fields__ if name != "members"]


def _check_columns(frame: pl.DataFrame, needed: Sequence[str], name: str) -> None:
    if not isinstance(frame, pl.DataFrame):
        raise ActError(f"{name} must be a Polars DataFrame, not {type(frame).__name__}")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ActError(f"{name} frame lacks column(s) {', '.join(missing)} (the scan results' {name})")


def _units(scores: pl.DataFrame, networks: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Members (unit, account, role, risk, evidence) and units (unit, kind, network, risk, ...)."""
    per_account = scores.select(
        "account", pl.col("role").cast(pl.String), pl.col("risk").cast(pl.Float64), "evidence"
    ).unique("account", keep="first")
    net_members = (
        networks.select(pl.col("id").alias("network"), "members")
        .explode("members")
        .rename({"members": "account"})
        .drop_nulls("account")
        .unique("account", keep="first")
        .with_columns(fmt("network:{}", "network").alias("unit"))
    )
    alone = (
        per_account.filter(pl.col("role").is_in(FLAGGED_ROLES))
        .join(net_members.select("account"), on="account", how="anti")
        .select("account", pl.lit(None, pl.String).alias("network"), fmt("account:{}", "account").alias("unit"))
    )
    members = (
        pl.concat([net_members.select("unit", "network", "account"), alone.select("unit", "network", "account")])
        .join(per_account, on="account", how="left")
        .with_columns(pl.col("role").fill_null("member"), pl.col("risk").fill_null(0.0))
    )
    nets = networks.select(
        fmt("network:{}", "id").alias("unit"),
        pl.lit("network").alias("kind"),
        pl.col("id").alias("network"),
        pl.col("risk").cast(pl.Float64).fill_null(0.0),
        pl.col("unique_followers").cast(pl.Int64).fill_null(0),
        "destinations",
        "evidence",
    )
    singles = (
        members.filter(pl.col("network").is_null())
        .select(
            "unit", pl.lit("account").alias("kind"), "network", "risk",
            pl.lit(0, pl.Int64).alias("unique_followers"),
            pl.lit([], pl.List(pl.String)).alias("destinations"),
            pl.col("evidence"),
        )
    )
    units = pl.concat([nets, singles], how="diagonal_relaxed")
    return members, units


def _existing(conn: Connection, accounts: Sequence[str]) -> dict[str, tuple[int, str]]:
    """account -> (case id, case state) for accounts already in a live (not merged) case."""
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(accounts), LOOKUP_CHUNK):
        chunk = list(accounts[i : i + LOOKUP_CHUNK])
        rows = conn.execute(
            select(case_members.c.account, cases.c.id, cases.c.state)
            .join(cases, cases.c.id == case_members.c.case_id)
            .where(case_members.c.account.in_(chunk), cases.c.state != "merged")
            .order_by(cases.c.id)
        )
        for row in rows:
            found.setdefault(row.account, (int(row.id), str(row.state)))
    return found


def _evidence_list(value: Any) -> list[dict[str, Any]]:
    return [dict(e) for e in (value or [])]


def open_cases(
    store: Store,
    scores: pl.DataFrame,
    networks: pl.DataFrame,
    evidence_version: str,
    *,
    actor: str = "scan",
    policy: Policy | None = None,
    edges: pl.DataFrame | None = None,
) -> CaseSync:
    """Open or update one case per network and per standalone flagged account of a scan.

    ``scores`` has ``account, risk, role, network, evidence`` and ``networks``
    has ``id, members, unique_followers, risk, evidence, destinations`` (the
    scan results' frames); ``evidence_version`` names the scan (it is recorded
    on every member and decision). ``edges`` (``src, dst`` and optionally
    ``kind``: ``follow``, the default, or an interaction kind of
    :data:`~firebreak.store.schema.EDGE_KINDS`), e.g. the snapshot's follows,
    gives the network picture: every edge between two members of a case this
    scan opened or updated is stored with the case, once (a re-scan only moves
    its last version). Runs in one transaction (all or nothing).
    Returns what changed as a :class:`CaseSync`.
    """
    _check_columns(scores, SCORES_COLUMNS, "scores")
    _check_columns(networks, NETWORKS_COLUMNS, "networks")
    edge_frame = None
    if edges is not None:
        _check_columns(edges, EDGES_COLUMNS, "edges")
        edge_frame = _edge_frame(edges)
    if not evidence_version:
        raise ActError("evidence_version must name the scan (e.g. its folder or id)")
    pol = policy or load_policy()
    members, units = _units(scores, networks)
    by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in members.iter_rows(named=True):  # one row per flagged account, not per edge
        by_unit[row["unit"]].append(row)
    sync = CaseSync()
    t = now()
    with store.transaction() as conn:
        existing = _existing(conn, members.get_column("account").to_list())
        touched: dict[int, float] = {}
        minors_of: dict[int, bool] = {}
        synced: set[int] = set()
        for unit in units.iter_rows(named=True):
            rows = by_unit.get(unit["unit"], [])
            if not rows:
                continue
            signals = [e["signal"] for r in rows for e in (r["evidence"] or [])]
            minors = pol.involves_minors(signals)
            hits = sorted({existing[r["account"]][0] for r in rows if r["account"] in existing})
            values = {
                "network": unit["network"],
                "evidence_version": evidence_version,
                "risk": float(unit["risk"]),
                "unique_followers": int(unit["unique_followers"]),
                "destinations": list(unit["destinations"] or []),
                "evidence": _evidence_list(unit["evidence"]),
                "updated_at": t,
            }
            if not hits:
                case_id = int(
                    conn.execute(
                        cases.insert()
                        .values(kind=unit["kind"], state="open", minors=minors, opened_at=t, **values)
                        .returning(cases.c.id)
                    ).scalar_one()
                )
                sync.opened.append(case_id)
                store.append_audit_in(
                    conn, actor, "case.opened", subject_kind="case", subject=str(case_id), at=t,
                    detail={"evidence_version": evidence_version, "network": unit["network"], "members": len(rows)},
                )
            else:
                case_id = hits[0]
                for other in hits[1:]:
                    _merge(conn, store, other, case_id, actor, evidence_version, t)
                    sync.merged.append(other)
                    for acct, (cid, st) in list(existing.items()):
                        if cid == other:
                            existing[acct] = (case_id, st)
                # a reported account that a scan now places in a network makes its case a network case
                kind = {"kind": "network"} if unit["kind"] == "network" else {}
                conn.execute(update(cases).where(cases.c.id == case_id).values(**values, **kind))
            new_accounts = [r["account"] for r in rows if r["account"] not in existing or existing[r["account"]][0] != case_id]
            _upsert_members(conn, store, case_id, rows, evidence_version, t)
            if new_accounts and hits:
                sync.members_added += len(new_accounts)
                state: str = conn.execute(select(cases.c.state).where(cases.c.id == case_id)).scalar_one()
                if state == "closed":
                    conn.execute(update(cases).where(cases.c.id == case_id).values(state="open", closed_at=None))
                    sync.reopened.append(case_id)
                    store.append_audit_in(
                        conn, actor, "case.reopened", subject_kind="case", subject=str(case_id), at=t,
                        detail={"evidence_version": evidence_version, "new_members": new_accounts[:100]},
                    )
                sync.updated.append(case_id)
                store.append_audit_in(
                    conn, actor, "case.updated", subject_kind="case", subject=str(case_id), at=t,
                    detail={"evidence_version": evidence_version, "new_members": new_accounts[:100],
                            "new_member_count": len(new_accounts)},
                )
            elif not hits:
                sync.members_added += len(rows)
            for r in rows:
                existing[r["account"]] = (case_id, "open")
            if minors:
                conn.execute(update(cases).where(cases.c.id == case_id).values(minors=True))
            if not hits or new_accounts:
                touched[case_id] = float(unit["risk"])
                minors_of[case_id] = minors or minors_of.get(case_id, False)
            synced.add(case_id)
        if edge_frame is not None:
            sync.edges_added = _store_edges(conn, store, sorted(synced - set(sync.merged)), edge_frame,
                                            evidence_version, t)
        live = sorted(set(touched) - set(sync.merged))
        enqueue_in(
            conn, store, "case", [str(c) for c in live],
            boosts=[priority_boost(touched[c], minors_of[c]) for c in live], at=t, requeue_done=True,
        )
    return sync


def _upsert_members(
    conn: Connection, store: Store, case_id: int, rows: Sequence[dict[str, Any]], version: str, t: datetime
) -> None:
    payload = [
        {
            "case_id": case_id, "account": r["account"], "role": r["role"] or "member",
            "risk": float(r["risk"] or 0.0), "evidence": _evidence_list(r["evidence"]),
            "first_version": version, "last_version": version, "added_at": t,
        }
        for r in rows
    ]
    stmt = store._insert(case_members)
    stmt = stmt.on_conflict_do_update(
        index_elements=["case_id", "account"],
        set_={"role": stmt.excluded.role, "risk": stmt.excluded.risk, "evidence": stmt.excluded.evidence,
              "last_version": stmt.excluded.last_version},
    )
    conn.execute(stmt, payload)


#: interaction event kinds kept in a network picture (a search has no counterpart account).
INTERACTION_KINDS = ("message", "comment", "like", "view")


def snapshot_edges(
    follows: pl.DataFrame, events: pl.DataFrame | None = None, posts: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The ``edges`` frame for :func:`open_cases` from a snapshot's tables: each follow
    (``src, dst``) as kind ``follow``, and each interaction event (``actor, kind, target``)
    of :data:`INTERACTION_KINDS` from its actor to the account it targets, or to the author
    of the post it targets (``posts``: ``id, author``). Columns ``src, dst, kind``, unique."""
    frames = [follows.select(pl.col("src").cast(pl.String), pl.col("dst").cast(pl.String),
                             pl.lit("follow").alias("kind"))]
    if events is not None and events.height:
        acted = events.filter(pl.col("kind").is_in(INTERACTION_KINDS) & pl.col("target").is_not_null())
        target = pl.col("target").cast(pl.String)
        if posts is not None and posts.height:
            authors = posts.select(pl.col("id").cast(pl.String).alias("target"), pl.col("author").cast(pl.String))
            acted = acted.with_columns(target).join(authors, on="target", how="left")
            target = pl.coalesce("author", "target")
        frames.append(acted.select(pl.col("actor").cast(pl.String).alias("src"), target.alias("dst"),
                                   pl.col("kind").cast(pl.String)))
    return pl.concat(frames).drop_nulls().filter(pl.col("src") != pl.col("dst")).unique()


def _edge_frame(edges: pl.DataFrame) -> pl.DataFrame:
    """``src, dst, kind`` of ``edges`` (kind ``follow`` when absent), unique, without self-loops."""
    kind = pl.col("kind").cast(pl.String) if "kind" in edges.columns else pl.lit("follow")
    frame = edges.select(pl.col("src").cast(pl.String), pl.col("dst").cast(pl.String), kind.alias("kind"))
    unknown = frame.filter(~pl.col("kind").is_in(EDGE_KINDS)).get_column("kind").unique().drop_nulls().to_list()
    if unknown:
        raise ActError(f"edges: unknown kind(s) {', '.join(sorted(unknown)[:5])}: expected {', '.join(EDGE_KINDS)}")
    return frame.drop_nulls().filter(pl.col("src") != pl.col("dst")).unique()


def _store_edges(
    conn: Connection, store: Store, case_ids: Sequence[int], edges: pl.DataFrame, version: str, t: datetime
) -> int:
    """Store the edges of ``edges`` (see :func:`_edge_frame`) between two members of the same case among ``case_ids``;
    an edge stored before keeps its row (its ``last_version`` becomes ``version``). Returns how many were new."""
    if not case_ids:
        return 0
    rows: list[tuple[int, str]] = []
    for i in range(0, len(case_ids), LOOKUP_CHUNK):
        rows += [
            (int(r[0]), str(r[1]))
            for r in conn.execute(
                select(case_members.c.case_id, case_members.c.account)
                .where(case_members.c.case_id.in_(list(case_ids[i : i + LOOKUP_CHUNK])))
            )
        ]
    members = pl.DataFrame(rows, schema={"case_id": pl.Int64, "account": pl.String}, orient="row")
    found = (
        edges.join(members.rename({"account": "src"}), on="src")
        .join(members.rename({"account": "dst"}), on=["dst", "case_id"])
        .select("case_id", "src", "dst", "kind")
        .sort("case_id", "src", "dst", "kind")
    )
    if found.is_empty():
        return 0
    before = int(
        conn.execute(
            select(func.count()).select_from(case_edges).where(case_edges.c.case_id.in_(list(case_ids)))
        ).scalar_one()
    )
    stmt = store._insert(case_edges)
    stmt = stmt.on_conflict_do_update(
        index_elements=["case_id", "src", "dst", "kind"], set_={"last_version": stmt.excluded.last_version}
    )
    conn.execute(stmt, [
        {**row, "first_version": version, "last_version": version, "added_at": t}
        for row in found.iter_rows(named=True)
    ])
    after = int(
        conn.execute(
            select(func.count()).select_from(case_edges).where(case_edges.c.case_id.in_(list(case_ids)))
        ).scalar_one()
    )
    return after - before


def _merge(conn: Connection, store: Store, source: int, target: int, actor: str, version: str, t: datetime) -> None:
    """Copy case ``source``'s members and edges into ``target`` and mark ``source`` merged (audited on both)."""
    rows = conn.execute(select(case_members).where(case_members.c.case_id == source)).mappings().all()
    if rows:
        stmt = store._insert(case_members).on_conflict_do_nothing(index_elements=["case_id", "account"])
        conn.execute(stmt, [{**r, "case_id": target} for r in rows])
    edge_rows = conn.execute(select(case_edges).where(case_edges.c.case_id == source)).mappings().all()
    if edge_rows:
        stmt = store._insert(case_edges).on_conflict_do_nothing(index_elements=["case_id", "src", "dst", "kind"])
        conn.execute(stmt, [{**r, "case_id": target} for r in edge_rows])
    conn.execute(
        update(cases).where(cases.c.id == source).values(state="merged", merged_into=target, updated_at=t, closed_at=t)
    )
    for subject, detail in ((source, {"into": target}), (target, {"from": source})):
        store.append_audit_in(
            conn, actor, "case.merged", subject_kind="case", subject=str(subject), at=t,
            detail={**detail, "evidence_version": version, "members": len(rows)},
        )


def _case(row: Any, members: int = 0) -> Case:
    data = dict(row)
    data["destinations"] = list(data.get("destinations") or [])
    data["evidence"] = list(data.get("evidence") or [])
    data["minors"] = bool(data["minors"])
    data["merged_into"] = None if data["merged_into"] is None else int(data["merged_into"])
    data["id"] = int(data["id"])
    return Case(**data, members=members)


def list_cases(
    store: Store, *, state: str | None = "open", kind: str | None = None, limit: int | None = None
) -> list[Case]:
    """Cases (``state`` ``None`` for all), highest risk first, with their member counts."""
    if state is not None and state not in CASE_STATES:
        raise ActError(f"unknown case state {state!r}: expected one of {', '.join(CASE_STATES)}")
    if kind is not None and kind not in CASE_KINDS:
        raise ActError(f"unknown case kind {kind!r}: expected one of {', '.join(CASE_KINDS)}")
    counts = (
        select(case_members.c.case_id, func.count().label("n")).group_by(case_members.c.case_id).subquery()
    )
    query = (
        select(*CASE_COLUMNS, func.coalesce(counts.c.n, 0).label("n"))
        .outerjoin(counts, counts.c.case_id == cases.c.id)
        .order_by(cases.c.minors.desc(), cases.c.risk.desc(), cases.c.id)
    )
    if state is not None:
        query = query.where(cases.c.state == state)
    if kind is not None:
        query = query.where(cases.c.kind == kind)
    if limit is not None:
        query = query.limit(limit)
    with store.connection() as conn:
        out = []
        for row in conn.execute(query).mappings():
            data = dict(row)
            n = int(data.pop("n"))
            out.append(_case(data, n))
        return out


def get_case(store: Store, case_id: int) -> CaseDetail:
    """A case with members, reports about its members, the actions taken, its audit history
    and its stored network picture (edges among members).

    Raises :class:`ActError` if there is no such case.
    """
    with store.connection() as conn:
        row = conn.execute(select(*CASE_COLUMNS).where(cases.c.id == case_id)).mappings().one_or_none()
        if row is None:
            raise ActError(f"no case {case_id}")
        member_rows = conn.execute(
            select(case_members).where(case_members.c.case_id == case_id).order_by(case_members.c.role.desc(),
                                                                                 case_members.c.account)
        ).mappings().all()
        members = [
            CaseMember(**{k: v for k, v in m.items() if k != "case_id"}) for m in member_rows
        ]
        accounts = [m.account for m in members]
        report_rows: list[dict[str, Any]] = []
        for i in range(0, len(accounts), LOOKUP_CHUNK):
            report_rows += [
                dict(r)
                for r in conn.execute(
                    select(reports.c.source, reports.c.id, reports.c.target, reports.c.reason,
                           reports.c.created_at, reports.c.received_at, reports.c.state)
                    .where(reports.c.target.in_(accounts[i : i + LOOKUP_CHUNK]))
                    .order_by(reports.c.received_at)
                ).mappings()
            ]
        action_rows = [
            dict(r)
            for r in conn.execute(
                select(actions.c.id, actions.c.decision_id, actions.c.account, actions.c.action, actions.c.rule,
                       actions.c.from_state, actions.c.to_state, actions.c.applied_at, decisions.c.actor,
                       decisions.c.reason, decisions.c.evidence_version)
                .join(decisions, decisions.c.id == actions.c.decision_id)
                .where(actions.c.case_id == case_id)
                .order_by(actions.c.id)
            ).mappings()
        ]
        edge_list = [
            CaseEdge(**r)
            for r in conn.execute(
                select(case_edges.c.src, case_edges.c.dst, case_edges.c.kind, case_edges.c.first_version,
                       case_edges.c.last_version)
                .where(case_edges.c.case_id == case_id)
                .order_by(case_edges.c.kind, case_edges.c.src, case_edges.c.dst)
            ).mappings()
        ]
    history = store.audit_entries(subject_kind="case", subject=str(case_id))
    return CaseDetail(_case(row, len(members)), members, report_rows, action_rows, history, edge_list)


def cases_of(store: Store, accounts: Iterable[str]) -> dict[str, int]:
    """account -> id of the live (not merged) case it is a member of, for those that have one."""
    with store.connection() as conn:
        return {a: cid for a, (cid, _) in _existing(conn, sorted(set(accounts))).items()}
