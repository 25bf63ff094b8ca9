"""Reviewed decisions, network takedowns and appeals, each applied in ONE transaction.

A decision (:func:`decide` for chosen accounts, :func:`take_down` for every
member of a network case by the policy) writes, in one transaction: the
``decisions`` row (who, why, on which evidence version, under which policy
version), one ``actions`` row per account, the accounts' new enforcement state
and strikes, an audit entry per action and one for the decision, the case's
outcome, the reports about its members, and (given a lease) the completion of
the case's work item. Either all of it commits or none of it does.

Every decision has a ``key`` (given by the caller, e.g. an API request id; by
default the case, scope and evidence version): deciding again with the same
key returns the first decision and applies nothing, so a retried or replayed
request never applies an action twice.

On PostgreSQL the transaction is a few statements sent straight to the driver: a
reviewer's :func:`decide` is ONE statement (:mod:`firebreak.act.decide_sql`), a
takedown one statement reading the case, its members and their enforcement, and one
writing everything (``_PG_DECIDE``). SQLite runs the same steps through SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from firebreak.act import decide_sql
from firebreak.act.policy import (
    Member,
    PlannedAction,
    Policy,
    load_policy,
    plan_takedown,
)
from firebreak.act.queue import Lease, complete_in, enqueue_in, lease_lost, now
from firebreak.errors import ActError, StoreError
from firebreak.store import Store
from firebreak.store.schema import (
    ACTIONS,
    accounts_enforcement,
    actions,
    appeals,
    case_members,
    cases,
    decisions,
    reports,
    work_items,
)

#: actions after which reports about the account count as actioned.
ENFORCING = frozenset({"disable", "restrict", "warn", "escalate"})


@dataclass(frozen=True, slots=True)
class AppliedAction:
    """One action a decision applied: the account's state before and after, and the policy rule."""

    account: str
    action: str
    rule: str
    from_state: str
    to_state: str
    strikes: int


@dataclass(frozen=True, slots=True)
class Decision:
    """A stored decision; ``replayed`` is True when its key had already been decided."""

    id: int
    key: str
    case_id: int
    scope: str
    actor: str
    reason: str
    policy_version: str
    evidence_version: str
    decided_at: datetime
    actions: list[AppliedAction]
    replayed: bool = False


def _load_decision(conn: Connection, key: str) -> Decision | None:
    row = conn.execute(select(decisions).where(decisions.c.key == key)).mappings().one_or_none()
    if row is None:
        return None
    acts = [
        AppliedAction(r.account, r.action, r.rule, r.from_state, r.to_state, -1)
        for r in conn.execute(select(actions).where(actions.c.decision_id == row["id"]).order_by(actions.c.id))
    ]
    return Decision(**{**row, "id": int(row["id"]), "case_id": int(row["case_id"])}, actions=acts, replayed=True)


def _current(conn: Connection, accounts: Sequence[str]) -> dict[str, tuple[str, int]]:
    """The accounts' enforcement state and strikes, their rows locked for this transaction."""
    return {
        r.account: (r.state, int(r.strikes))
        for r in conn.execute(
            select(accounts_enforcement.c.account, accounts_enforcement.c.state, accounts_enforcement.c.strikes)
            .where(accounts_enforcement.c.account.in_(list(accounts)))
            .with_for_update()
        )
    }


def _compute(
    policy: Policy, plan: Sequence[PlannedAction], current: Mapping[str, tuple[str, int]]
) -> list[AppliedAction]:
    """What ``plan`` does to each account given its ``current`` (state, strikes): pure."""
    applied: list[AppliedAction] = []
    for p in plan:
        rule = policy.actions[p.action]
        before, strikes = current.get(p.account, ("none", 0))
        strikes = 0 if p.action == "restore" else strikes + rule.strikes
        after = rule.state or before
        why = p.rule
        if p.action != "restore" and strikes >= policy.disable_at_strikes and after != "disabled":
            after, why = "disabled", f"{p.rule}+strikes.disable_at"
        applied.append(AppliedAction(p.account, p.action, why, before, after, strikes))
    return applied


def _apply(
    conn: Connection,
    store: Store,
    policy: Policy,
    decision_id: int,
    case_id: int,
    applied: Sequence[AppliedAction],
    *,
    actor: str,
    reason: str,
    evidence_version: str,
    network: str | None,
    t: datetime,
    extra_audit: dict[str, Any] | None = None,
) -> None:
    """Write ``applied``: enforcement state, strikes, action rows, audit entries, the reports
    about the accounts (caller's transaction); ``extra_audit`` (the decision's own entry)
    goes in the same audit insert."""
    if applied:
        stmt = store._insert(accounts_enforcement)
        stmt = stmt.on_conflict_do_update(
            index_elements=["account"],
            set_={c: stmt.excluded[c] for c in ("state", "network", "reason", "updated_by", "updated_at", "strikes")},
        )
        conn.execute(stmt, [
            {"account": a.account, "state": a.to_state, "network": network, "reason": reason, "updated_by": actor,
             "updated_at": t, "strikes": a.strikes}
            for a in applied
        ])
        conn.execute(actions.insert(), [
            {"decision_id": decision_id, "case_id": case_id, "account": a.account, "action": a.action,
             "rule": a.rule, "from_state": a.from_state, "to_state": a.to_state, "applied_at": t}
            for a in applied
        ])
    store.append_audit_many_in(conn, [
        {"actor": actor, "action": f"action.{a.action}", "subject_kind": "account", "subject": a.account, "at": t,
         "detail": _action_detail(a, decision_id, case_id, reason, evidence_version, policy.version)}
        for a in applied
    ] + ([extra_audit] if extra_audit else []))
    enforced = [a.account for a in applied if a.action in ENFORCING]
    dismissed = [a.account for a in applied if a.action == "dismiss"]
    for targets, state in ((enforced, "actioned"), (dismissed, "dismissed")):
        if targets:
            conn.execute(
                update(reports)
                .where(reports.c.target.in_(targets), reports.c.state.in_(("queued", "in_review")))
                .values(state=state, resolved_by=actor, updated_at=t)
            )


def _action_detail(
    a: AppliedAction, decision_id: int | None, case_id: int, reason: str, evidence_version: str, policy_version: str
) -> dict[str, Any]:
    return {"decision": decision_id, "case": case_id, "rule": a.rule, "from": a.from_state, "to": a.to_state,
            "strikes": a.strikes, "reason": reason, "evidence_version": evidence_version,
            "policy_version": policy_version}


def _open_case(conn: Connection, case_id: int) -> Any:
    row = conn.execute(select(cases).where(cases.c.id == case_id).with_for_update()).mappings().one_or_none()
    if row is None:
        raise ActError(f"no case {case_id}")
    if row["state"] == "merged":
        raise ActError(f"case {case_id} was merged into case {row['merged_into']}: decide that one")
    return row


def _record(
    conn: Connection,
    store: Store,
    policy: Policy,
    case: Mapping[str, Any],
    plan: Sequence[PlannedAction],
    *,
    key: str,
    scope: str,
    actor: str,
    reason: str,
    close: bool,
    lease: Lease | None,
    current: Mapping[str, tuple[str, int]] | None = None,
) -> Decision:
    """Record the decision and apply ``plan`` in ``conn``'s transaction (replaying a decided key).

    ``current`` is the plan's accounts' (state, strikes), already read and locked by the
    caller; ``None`` reads it here.
    """
    t = now()
    case_id = int(case["id"])
    if lease is not None and (lease.kind != "case" or lease.subject != str(case_id)):
        raise ActError(f"lease on {lease.kind} {lease.subject} does not cover case {case_id}")
    counts: dict[str, int] = {}
    for p in plan:
        counts[p.action] = counts.get(p.action, 0) + 1
    case_entry = {
        "actor": actor, "action": "case.takedown" if scope == "network" else "case.decided", "subject_kind": "case",
        "subject": str(case_id), "at": t,
        "detail": {"decision": None, "key": key, "actions": counts, "reason": reason, "closed": close,
                   "evidence_version": case["evidence_version"], "policy_version": policy.version},
    }
    outcome = "taken_down" if scope == "network" else ("dismissed" if set(counts) <= {"dismiss"} else "actioned")
    decision = {"key": key, "case_id": case_id, "scope": scope, "actor": actor, "reason": reason,
                "policy_version": policy.version, "evidence_version": case["evidence_version"], "decided_at": t}
    if store.dialect == "postgresql":
        if current is None:
            current = _current(conn, [p.account for p in plan])
        applied = _compute(policy, plan, current)
        decision_id = _write_pg(conn, store, decision, applied, case_entry, network=case["network"],
                                close=close, outcome=outcome, lease=lease)
        if decision_id is None:  # this key was decided before: replay (nothing was applied)
            return _replay(conn, key)
    else:
        inserted = conn.execute(
            store._insert(decisions).values(**decision)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(decisions.c.id)
        ).scalar_one_or_none()
        if inserted is None:  # this key was decided before: replay, apply nothing
            _finish_replay(conn, lease)
            return _replay(conn, key)
        decision_id = int(inserted)
        case_entry["detail"]["decision"] = decision_id
        applied = _compute(policy, plan, current if current is not None else
                           _current(conn, [p.account for p in plan]))
        _apply(conn, store, policy, decision_id, case_id, applied, actor=actor, reason=reason,
               evidence_version=case["evidence_version"], network=case["network"], t=t, extra_audit=case_entry)
        if close:
            conn.execute(update(cases).where(cases.c.id == case_id).values(state="closed", outcome=outcome,
                                                                         closed_at=t, updated_at=t))
        if lease is not None:
            complete_in(conn, lease, at=t)
        elif close:
            _finish_unleased(conn, "case", str(case_id), t)
    return Decision(decision_id, key, case_id, scope, actor, reason, policy.version, case["evidence_version"], t,
                    applied)


def _replay(conn: Connection, key: str) -> Decision:
    replay = _load_decision(conn, key)
    if replay is None:  # pragma: no cover - the conflicting row exists in this transaction
        raise ActError(f"decision key {key!r} conflicts but cannot be read")
    return replay


#: PostgreSQL: a whole decision in one statement. ``d`` inserts the decision (nothing on
#: a replayed key) and everything else hangs on it: enforcement upserts, action rows,
#: audit entries (per action, then the decision's own), the reports about the accounts,
#: closing the case. ``w`` ends the case's work item (see ``_PG_DONE_*``).
_PG_DECIDE = """
WITH d AS (
    INSERT INTO decisions (key, case_id, scope, actor, reason, policy_version, evidence_version, decided_at)
    VALUES (%(key)s, %(case_id)s, %(scope)s, %(actor)s, %(reason)s, %(policy_version)s, %(evidence_version)s,
            %(decided_at)s)
    ON CONFLICT (key) DO NOTHING
    RETURNING id
), p AS (
    SELECT * FROM unnest(%(accounts)b::text[], %(acts)b::text[], %(rules)b::text[], %(froms)b::text[],
                         %(tos)b::text[], %(strikes)b::int[])
        AS p(account, action, rule, from_state, to_state, strikes)
), e AS (
    INSERT INTO accounts_enforcement (account, state, network, reason, updated_by, updated_at, strikes)
    SELECT p.account, p.to_state, %(network)s, %(reason)s, %(actor)s, %(decided_at)s, p.strikes FROM p, d
    ON CONFLICT (account) DO UPDATE SET state = excluded.state, network = excluded.network,
        reason = excluded.reason, updated_by = excluded.updated_by, updated_at = excluded.updated_at,
        strikes = excluded.strikes
), a AS (
    INSERT INTO actions (decision_id, case_id, account, action, rule, from_state, to_state, applied_at)
    SELECT d.id, %(case_id)s, p.account, p.action, p.rule, p.from_state, p.to_state, %(decided_at)s FROM p, d
), au AS (
    INSERT INTO audit_log (at, actor, action, subject_kind, subject, detail)
    SELECT at, actor, action, subject_kind, subject, detail FROM (
        SELECT 0 AS part, p.account AS ord, %(decided_at)s AS at, %(actor)s AS actor, 'action.' || p.action AS action,
               'account' AS subject_kind, p.account AS subject,
               jsonb_build_object('decision', d.id, 'case', %(case_id)s::bigint, 'rule', p.rule,
                                  'from', p.from_state, 'to', p.to_state, 'strikes', p.strikes,
                                  'reason', %(reason)s::text, 'evidence_version', %(evidence_version)s::text,
                                  'policy_version', %(policy_version)s::text) AS detail
        FROM p, d
        UNION ALL
        SELECT 1, '', %(decided_at)s, %(actor)s, %(case_action)s, 'case', %(case_id)s::text,
               %(case_detail)s::jsonb || jsonb_build_object('decision', d.id)
        FROM d
    ) entries ORDER BY part, ord
), r AS (
    UPDATE reports
    SET state = CASE WHEN target = ANY(%(enforced)b::text[]) THEN 'actioned' ELSE 'dismissed' END,
        resolved_by = %(actor)s, updated_at = %(decided_at)s
    WHERE (target = ANY(%(enforced)b::text[]) OR target = ANY(%(dismissed)b::text[]))
      AND state IN ('queued', 'in_review') AND EXISTS (SELECT 1 FROM d)
), c AS (
    UPDATE cases SET state = 'closed', outcome = %(outcome)s, closed_at = %(decided_at)s, updated_at = %(decided_at)s
    WHERE id = %(case_id)s AND %(close)s AND EXISTS (SELECT 1 FROM d)
), w AS (
    {done}
)
SELECT (SELECT id FROM d), (SELECT count(*) FROM w)
"""
#: ends the caller's lease (also on a replay: the work was done before).
_PG_DONE_LEASED = """UPDATE work_items SET state = 'done', finished_at = %(decided_at)s, updated_at = %(decided_at)s,
        lease_token = NULL, lease_expires_at = NULL
    WHERE id = %(item)s AND state = 'leased' AND lease_token = %(token)s AND lease_expires_at >= %(decided_at)s
    RETURNING id"""
#: decided without a lease and closed: a waiting work item for the case is done too.
_PG_DONE_UNLEASED = """UPDATE work_items SET state = 'done', finished_at = %(decided_at)s, updated_at = %(decided_at)s
    WHERE kind = 'case' AND subject = %(case_id)s::text AND state = 'ready' AND EXISTS (SELECT 1 FROM d)
    RETURNING id"""
_PG_DONE_NONE = "SELECT NULL::bigint AS id WHERE false"
_PG_DECIDE_BY_DONE = {name: _PG_DECIDE.replace("{done}", sql) for name, sql in
                      (("leased", _PG_DONE_LEASED), ("unleased", _PG_DONE_UNLEASED), ("none", _PG_DONE_NONE))}


def _write_pg(
    conn: Connection,
    store: Store,
    decision: Mapping[str, Any],
    applied: Sequence[AppliedAction],
    case_entry: Mapping[str, Any],
    *,
    network: str | None,
    close: bool,
    outcome: str,
    lease: Lease | None,
) -> int | None:
    """Write the decision in one statement (PostgreSQL); returns its id, ``None`` on a replayed key.
    Raises :class:`LeaseLost` (so the caller's transaction rolls everything back) if ``lease``
    is no longer held."""
    detail = {k: v for k, v in case_entry["detail"].items() if k != "decision"}
    params = {
        **decision, "network": network, "close": close, "outcome": outcome,
        "accounts": [a.account for a in applied], "acts": [a.action for a in applied],
        "rules": [a.rule for a in applied], "froms": [a.from_state for a in applied],
        "tos": [a.to_state for a in applied], "strikes": [a.strikes for a in applied],
        "enforced": [a.account for a in applied if a.action in ENFORCING],
        "dismissed": [a.account for a in applied if a.action == "dismiss"],
        "case_action": case_entry["action"], "case_detail": json.dumps(detail),
        "item": lease.item_id if lease is not None else None, "token": lease.token if lease is not None else None,
    }
    done = "leased" if lease is not None else ("unleased" if close else "none")
    (decision_id, finished), = store.run_in(conn, _PG_DECIDE_BY_DONE[done], params)
    if lease is not None and finished != 1:
        raise lease_lost(lease)
    return None if decision_id is None else int(decision_id)


def _finish_replay(conn: Connection, lease: Lease | None) -> None:
    """A replayed decision still ends the caller's lease (the work was done before)."""
    if lease is not None:
        complete_in(conn, lease)


def _finish_unleased(conn: Connection, kind: str, subject: str, t: datetime) -> None:
    """Decided without a lease (e.g. from the CLI): a waiting work item for it is done too."""
    conn.execute(
        update(work_items)
        .where(work_items.c.kind == kind, work_items.c.subject == subject, work_items.c.state == "ready")
        .values(state="done", finished_at=t, updated_at=t)
    )


def _members(conn: Connection, case_id: int) -> list[Member]:
    rows = conn.execute(
        select(case_members.c.account, case_members.c.role, case_members.c.evidence)
        .where(case_members.c.case_id == case_id).order_by(case_members.c.account)
    )
    return [Member(r.account, r.role, _weight(r.evidence)) for r in rows]


#: PostgreSQL, one statement for a takedown: the case (locked first), then its members,
#: their enforcement rows (locked, in account order) and the members already acted on in it.
_PG_READ_CASE = """
WITH c AS (
    SELECT id, state, network, evidence_version, merged_into FROM cases WHERE id = %(case_id)s FOR UPDATE
)
SELECT c.id, c.state, c.network, c.evidence_version, c.merged_into,
    (SELECT coalesce(json_agg(json_build_array(m.account, m.role, m.evidence) ORDER BY m.account), '[]')
     FROM case_members m WHERE m.case_id = c.id),
    (SELECT coalesce(json_agg(json_build_array(e.account, e.state, e.strikes)), '[]')
     FROM (SELECT account, state, strikes FROM accounts_enforcement
           WHERE c.state <> 'merged' AND account IN (SELECT account FROM case_members WHERE case_id = c.id)
           ORDER BY account FOR UPDATE) e),
    (SELECT coalesce(json_agg(a.account), '[]') FROM actions a WHERE a.case_id = c.id AND a.action <> 'restore')
FROM c
"""


def _read_pg(
    conn: Connection, store: Store, case_id: int
) -> tuple[dict[str, Any], list[Member], dict[str, tuple[str, int]], set[str]]:
    """PostgreSQL, one round trip: the case (locked; raises :class:`ActError` if unknown or
    merged), its members, their enforcement (locked) and the members already acted on in it."""
    found = store.run_in(conn, _PG_READ_CASE, {"case_id": case_id})
    if not found:
        raise ActError(f"no case {case_id}")
    *head, members, current, acted = found[0]
    case = dict(zip(("id", "state", "network", "evidence_version", "merged_into"), head, strict=True))
    if case["state"] == "merged":
        raise ActError(f"case {case_id} was merged into case {case['merged_into']}: decide that one")
    return (
        case,
        [Member(a, role, _weight(evidence)) for a, role, evidence in members],
        {a: (state, int(strikes)) for a, state, strikes in current},
        set(acted),
    )


def _weight(evidence: Any) -> float:
    return float(sum(float(e.get("weight") or 0.0) for e in (evidence or [])))


def take_down(
    store: Store,
    case_id: int,
    *,
    actor: str,
    reason: str,
    key: str | None = None,
    policy: Policy | None = None,
    lease: Lease | None = None,
) -> Decision:
    """Take a whole network down: every member gets the policy's action, in one transaction.

    Closes the case as ``taken_down``. ``key`` makes the call idempotent
    (default ``takedown:<case>:<evidence version>``: the same network on the
    same evidence is taken down once). ``lease`` (the case's work item) is
    completed in the same transaction. Raises :class:`ActError` for an unknown
    or merged case, or an empty reason.
    """
    if not reason.strip():
        raise ActError("a takedown needs a reason")
    pol = policy or load_policy()
    with store.transaction() as conn:
        current: dict[str, tuple[str, int]] | None = None
        if store.dialect == "postgresql":
            case, members, current, done = _read_pg(conn, store, case_id)
        else:
            case = _open_case(conn, case_id)
            done = {
                r.account
                for r in conn.execute(
                    select(actions.c.account).where(actions.c.case_id == case_id, actions.c.action != "restore")
                )
            }
            members = _members(conn, case_id)
        key = key or f"takedown:{case_id}:{case['evidence_version']}"
        # members already acted on in this case (an earlier takedown) are not acted on twice
        plan = plan_takedown(pol, [m for m in members if m.account not in done])
        return _record(conn, store, pol, case, plan, key=key, scope="network", actor=actor, reason=reason,
                       close=True, lease=lease, current=current)


def decide(
    store: Store,
    case_id: int,
    choices: Mapping[str, str],
    *,
    actor: str,
    reason: str,
    key: str | None = None,
    close: bool = True,
    policy: Policy | None = None,
    lease: Lease | None = None,
) -> Decision:
    """Decide chosen members of a case: ``choices`` maps account -> action
    (``disable``, ``restrict``, ``warn``, ``dismiss``, ``escalate``).

    Accounts must be members of the case. With ``close`` the case is closed
    (outcome ``actioned``, or ``dismissed`` when every choice is dismiss).
    Idempotent on ``key`` (default: the case, evidence version and choices).
    """
    if not reason.strip():
        raise ActError("a decision needs a reason")
    if not choices:
        raise ActError("a decision needs at least one account and action")
    bad = sorted({a for a in choices.values() if a not in ACTIONS or a == "restore"})
    if bad:
        raise ActError(f"unknown action(s) {', '.join(bad)}: use disable, restrict, warn, dismiss or escalate")
    pol = policy or load_policy()
    digest = ",".join(f"{a}={choices[a]}" for a in sorted(choices))
    plan = [PlannedAction(a, choices[a], f"reviewer.{choices[a]}") for a in sorted(choices)]
    if lease is not None and (lease.kind != "case" or lease.subject != str(case_id)):
        raise ActError(f"lease on {lease.kind} {lease.subject} does not cover case {case_id}")
    if store.dialect == "postgresql":
        return _decide_pg(store, pol, case_id, plan, digest, key=key, actor=actor, reason=reason, close=close,
                          lease=lease)
    with store.transaction() as conn:
        case = _open_case(conn, case_id)
        members = {m.account for m in _members(conn, case_id)}
        strangers = sorted(set(choices) - members)
        if strangers:
            raise ActError(f"account(s) {', '.join(strangers[:5])} are not members of case {case_id}")
        key = key or f"decide:{case_id}:{case['evidence_version']}:{digest}"
        return _record(conn, store, pol, case, plan, key=key, scope="account", actor=actor, reason=reason,
                       close=close, lease=lease)


def _decide_pg(
    store: Store,
    policy: Policy,
    case_id: int,
    plan: Sequence[PlannedAction],
    digest: str,
    *,
    key: str | None,
    actor: str,
    reason: str,
    close: bool,
    lease: Lease | None,
) -> Decision:
    """:func:`decide` on PostgreSQL: one statement, its own transaction (see :mod:`firebreak.act.decide_sql`)."""
    t = now()
    counts: dict[str, int] = {}
    for p in plan:
        counts[p.action] = counts.get(p.action, 0) + 1
    rules = [policy.actions[p.action] for p in plan]
    params = {
        "case_id": case_id, "key": key, "digest": digest, "actor": actor, "reason": reason, "t": t,
        "policy_version": policy.version, "disable_at": policy.disable_at_strikes, "close": close,
        "outcome": "dismissed" if set(counts) <= {"dismiss"} else "actioned",
        "accounts": [p.account for p in plan], "acts": [p.action for p in plan], "rules": [p.rule for p in plan],
        "rule_states": [r.state for r in rules], "rule_strikes": [r.strikes for r in rules],
        "enforced": [p.account for p in plan if p.action in ENFORCING],
        "dismissed": [p.account for p in plan if p.action == "dismiss"],
        "case_detail": json.dumps({"actions": counts, "reason": reason, "closed": close,
                                   "policy_version": policy.version}),
        "leased": lease is not None, "item": lease.item_id if lease is not None else None,
        "token": lease.token if lease is not None else None,
        "subject": None if lease is not None else str(case_id),  # an unleased decision ends a waiting item
    }
    try:
        (state, merged_into, used_key, decision_id, version, applied, _), = store.run_alone(decide_sql.DECIDE, params)
    except StoreError as exc:
        if lease is not None and decide_sql.LEASE_LOST_MARK in str(exc):
            raise lease_lost(lease) from None
        raise
    if state is None:
        raise ActError(f"no case {case_id}")
    if state == "merged":
        raise ActError(f"case {case_id} was merged into case {merged_into}: decide that one")
    if used_key is None:
        with store.connection() as conn:
            members = {m.account for m in _members(conn, case_id)}
        strangers = sorted({p.account for p in plan} - members)
        raise ActError(f"account(s) {', '.join(strangers[:5])} are not members of case {case_id}")
    if decision_id is None:  # this key was decided before: nothing was applied
        with store.connection() as conn:
            return _replay(conn, used_key)
    return Decision(int(decision_id), used_key, case_id, "account", actor, reason, policy.version, version, t,
                    [AppliedAction(a, act, rule, before, after, int(strikes))
                     for a, act, rule, before, after, strikes in applied])


# -- appeals ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Appeal:
    """An appeal against the enforcement on ``account``."""

    id: int
    account: str
    case_id: int | None
    state: str
    statement: str
    filed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    note: str | None


def file_appeal(store: Store, account: str, statement: str) -> Appeal:
    """File an appeal for an enforced account and queue it (``appeal`` work item).

    The appeal is tied to the case of the account's latest action. Raises
    :class:`ActError` if the account has no enforcement to appeal or already has an open appeal.
    """
    if not statement.strip():
        raise ActError("an appeal needs a statement")
    t = now()
    with store.transaction() as conn:
        last = conn.execute(
            select(actions.c.case_id).where(actions.c.account == account).order_by(actions.c.id.desc()).limit(1)
        ).scalar_one_or_none()
        if last is None:
            raise ActError(f"account {account!r} has no enforcement action to appeal")
        pending = conn.execute(
            select(func.count()).select_from(appeals).where(appeals.c.account == account, appeals.c.state == "open")
        ).scalar_one()
        if pending:
            raise ActError(f"account {account!r} already has an open appeal")
        row = conn.execute(
            appeals.insert().values(account=account, case_id=last, state="open", statement=statement, filed_at=t)
            .returning(*appeals.c)
        ).mappings().one()
        enqueue_in(conn, store, "appeal", [str(row["id"])], at=t)
        store.append_audit_in(conn, account, "appeal.filed", subject_kind="account", subject=account, at=t,
                              detail={"appeal": int(row["id"]), "case": int(last)})
    return Appeal(**{**row, "id": int(row["id"]), "case_id": int(last)})


def decide_appeal(
    store: Store,
    appeal_id: int,
    *,
    restore: bool,
    actor: str,
    note: str,
    policy: Policy | None = None,
    lease: Lease | None = None,
) -> Appeal:
    """Decide an open appeal: ``restore`` the account (state ``none``, strikes cleared, a
    ``restore`` action under a new decision) or uphold the enforcement. One transaction."""
    pol = policy or load_policy()
    t = now()
    with store.transaction() as conn:
        row = conn.execute(select(appeals).where(appeals.c.id == appeal_id).with_for_update()).mappings().one_or_none()
        if row is None:
            raise ActError(f"no appeal {appeal_id}")
        if row["state"] != "open":
            raise ActError(f"appeal {appeal_id} was already decided ({row['state']})")
        state = "restored" if restore else "upheld"
        if restore:
            case = dict(conn.execute(select(cases).where(cases.c.id == row["case_id"])).mappings().one())
            _record(conn, store, pol, case, [PlannedAction(row["account"], "restore", "appeal.restore")],
                    key=f"appeal:{appeal_id}", scope="account", actor=actor, reason=note, close=False, lease=None)
        conn.execute(update(appeals).where(appeals.c.id == appeal_id).values(state=state, decided_by=actor,
                                                                           decided_at=t, note=note))
        store.append_audit_in(conn, actor, f"appeal.{state}", subject_kind="account", subject=row["account"], at=t,
                              detail={"appeal": appeal_id, "note": note})
        if lease is not None:
            complete_in(conn, lease, at=t)
        else:
            _finish_unleased(conn, "appeal", str(appeal_id), t)
    return Appeal(**{**row, "id": int(row["id"]), "state": state, "decided_by": actor, "decided_at": t, "note": note})


def list_appeals(store: Store, *, state: str | None = "open") -> list[Appeal]:
    """Appeals (``state`` ``None`` for all), oldest first."""
    query = select(appeals).order_by(appeals.c.id)
    if state is not None:
        query = query.where(appeals.c.state == state)
    with store.connection() as conn:
        return [Appeal(**{**r, "id": int(r["id"]), "case_id": r["case_id"] and int(r["case_id"])})
                for r in conn.execute(query).mappings()]


@dataclass(frozen=True, slots=True)
class Escalation:
    """A case whose decision escalated accounts to NCMEC (input of :mod:`firebreak.act.ncmec`)."""

    decision_id: int
    case_id: int
    accounts: list[str]
    actor: str
    reason: str
    evidence_version: str
    decided_at: datetime


def escalations(store: Store, *, after_decision: int | None = None) -> list[Escalation]:
    """Decisions with ``escalate`` actions, oldest first (``after_decision``: only newer ids)."""
    query = (
        select(decisions.c.id, decisions.c.case_id, decisions.c.actor, decisions.c.reason,
               decisions.c.evidence_version, decisions.c.decided_at, actions.c.account)
        .join(actions, actions.c.decision_id == decisions.c.id)
        .where(actions.c.action == "escalate")
        .order_by(decisions.c.id, actions.c.account)
    )
    if after_decision is not None:
        query = query.where(decisions.c.id > after_decision)
    out: dict[int, Escalation] = {}
    with store.connection() as conn:
        for r in conn.execute(query):
            esc = out.setdefault(int(r.id), Escalation(int(r.id), int(r.case_id), [], r.actor, r.reason,
                                                       r.evidence_version, r.decided_at))
            esc.accounts.append(r.account)
    return list(out.values())
