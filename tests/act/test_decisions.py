"""Decisions and takedowns: one transaction with its audit log, idempotent, strikes, appeals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from firebreak.act import (
    claim,
    decide,
    decide_appeal,
    escalations,
    file_appeal,
    get_case,
    get_reports,
    items,
    list_appeals,
    load_policy,
    open_cases,
    submit_report,
    take_down,
    work,
)
from firebreak.errors import ActError, LeaseLost
from firebreak.store import Store
from firebreak.store.schema import actions
from tests.act.conftest import report, scan_frames

NET = {"net-000": [("s1", "seller", 3.0), ("b1", "buyer", 2.5), ("b2", "buyer", 0.5)]}


def _case(store: Store) -> int:
    scores, nets = scan_frames(NET)
    return open_cases(store, scores, nets, "scan-1").opened[0]


def _count_actions(store: Store) -> int:
    with store.connection() as conn:
        return int(conn.execute(select(func.count()).select_from(actions)).scalar_one())


def test_takedown_applies_the_policy_with_audit_in_one_go(store: Store) -> None:
    case_id = _case(store)
    submit_report(store, "platform", report("r1", "b1"))
    work(store, once=True)
    [lease] = claim(store, "case", "lead")
    d = take_down(store, case_id, actor="lead", reason="selling network", lease=lease)
    got = {a.account: (a.action, a.to_state) for a in d.actions}
    assert got == {"s1": ("escalate", "disabled"), "b1": ("restrict", "restricted"), "b2": ("warn", "none")}
    assert d.policy_version == load_policy().version and d.evidence_version == "scan-1"
    assert store.enforcement("s1") == "disabled" and store.enforcement("b1") == "restricted"
    detail = get_case(store, case_id)
    assert detail.case.state == "closed" and detail.case.outcome == "taken_down"
    assert detail.reports[0]["state"] == "actioned"
    audits = [e for e in store.audit_entries() if e.action.startswith("action.")]
    assert len(audits) == 3 and all(e.detail["decision"] == d.id and e.actor == "lead" for e in audits)
    assert {e.detail["evidence_version"] for e in audits} == {"scan-1"}
    assert store.audit_entries(action="case.takedown")[0].detail["actions"] == {"escalate": 1, "restrict": 1,
                                                                                 "warn": 1}
    assert [i.state for i in items(store, kind="case")] == ["done"]
    assert escalations(store)[0].accounts == ["s1"]


def test_takedown_is_idempotent(store: Store) -> None:
    case_id = _case(store)
    first = take_down(store, case_id, actor="lead", reason="x")
    again = take_down(store, case_id, actor="lead", reason="x")
    assert again.replayed and again.id == first.id
    assert _count_actions(store) == 3
    assert len(store.audit_entries(action="case.takedown")) == 1


def test_lost_lease_rolls_the_whole_takedown_back(store: Store) -> None:
    case_id = _case(store)
    [lease] = claim(store, "case", "slow")
    claimed = claim(store, "case", "other")
    assert claimed == []
    from dataclasses import replace

    forged = replace(lease, token="not-the-token")
    with pytest.raises(LeaseLost):
        take_down(store, case_id, actor="slow", reason="x", lease=forged)
    assert _count_actions(store) == 0 and store.enforcement("s1") == "none"
    assert store.audit_entries(action="case.takedown") == []
    assert get_case(store, case_id).case.state == "open"


def test_per_account_decisions_and_strikes(store: Store) -> None:
    case_id = _case(store)
    with pytest.raises(ActError, match="not members"):
        decide(store, case_id, {"zz": "warn"}, actor="rev", reason="x")
    with pytest.raises(ActError, match="unknown action"):
        decide(store, case_id, {"b2": "ban"}, actor="rev", reason="x")
    for n in range(3):  # three warnings reach the policy's strike limit
        d = decide(store, case_id, {"b2": "warn"}, actor="rev", reason=f"warning {n}", close=False, key=f"w{n}")
    assert d.actions[0].to_state == "disabled" and d.actions[0].rule.endswith("strikes.disable_at")
    assert d.actions[0].strikes == 3


def test_appeal_restores_the_account(store: Store) -> None:
    case_id = _case(store)
    take_down(store, case_id, actor="lead", reason="x")
    with pytest.raises(ActError, match="no enforcement action"):
        file_appeal(store, "nobody", "please")
    appeal = file_appeal(store, "b1", "I only followed")
    with pytest.raises(ActError, match="already has an open appeal"):
        file_appeal(store, "b1", "again")
    [lease] = claim(store, "appeal", "lead")
    restored = decide_appeal(store, appeal.id, restore=True, actor="lead", note="follows only", lease=lease)
    assert restored.state == "restored" and store.enforcement("b1") == "none"
    assert list_appeals(store) == [] and list_appeals(store, state="restored")[0].account == "b1"
    assert [i.state for i in items(store, kind="appeal")] == ["done"]
    with pytest.raises(ActError, match="already decided"):
        decide_appeal(store, appeal.id, restore=False, actor="lead", note="x")
    assert store.audit_entries(action="appeal.restored")[0].subject == "b1"


def test_a_reviewer_decision_under_a_lease_is_applied_once_with_its_audit(store: Store) -> None:
    case_id = _case(store)
    submit_report(store, "platform", report("r1", "b1"))
    submit_report(store, "platform", report("r2", "b2"))
    work(store, once=True)
    [lease] = claim(store, "case", "rev")
    first = decide(store, case_id, {"b1": "restrict", "b2": "dismiss"}, actor="rev", reason="seen", lease=lease)
    assert [(a.account, a.action, a.from_state, a.to_state, a.strikes) for a in first.actions] == [
        ("b1", "restrict", "none", "restricted", 1), ("b2", "dismiss", "none", "none", 0)]
    assert store.enforcement("b1") == "restricted" and store.enforcement("b2") == "none"
    assert {r.id: r.state for r in get_reports(store, [("platform", "r1"), ("platform", "r2")])} == {
        "r1": "actioned", "r2": "dismissed"}
    assert get_case(store, case_id).case.state == "closed"
    assert items(store, kind="case")[0].state == "done"
    entries = store.audit_entries(action="case.decided")
    assert len(entries) == 1 and entries[0].detail["key"] == first.key and entries[0].detail["decision"] == first.id
    action_entries = [e for e in store.audit_entries(subject_kind="account") if e.action.startswith("action.")]
    assert sorted((e.subject, e.detail["decision"], e.detail["to"]) for e in action_entries) == [
        ("b1", first.id, "restricted"), ("b2", first.id, "none")]
    again = decide(store, case_id, {"b1": "restrict", "b2": "dismiss"}, actor="rev", reason="seen")
    assert again.replayed and again.id == first.id and _count_actions(store) == 2


def test_a_reviewer_decision_checks_case_members_and_lease_and_writes_nothing_else(store: Store) -> None:
    case_id = _case(store)
    with pytest.raises(ActError, match="no case"):
        decide(store, 9999, {"b1": "warn"}, actor="rev", reason="x")
    with pytest.raises(ActError, match="not members"):
        decide(store, case_id, {"b1": "warn", "zz": "warn"}, actor="rev", reason="x")
    [lease] = claim(store, "case", "rev")
    from dataclasses import replace

    with pytest.raises(LeaseLost):
        decide(store, case_id, {"b1": "warn"}, actor="rev", reason="x", lease=replace(lease, token="forged"))
    assert _count_actions(store) == 0 and store.enforcement("b1") == "none"
    assert store.audit_entries(action="case.decided") == []
    assert get_case(store, case_id).case.state == "open" and items(store, kind="case")[0].state == "leased"
    decide(store, case_id, {"b1": "warn"}, actor="rev", reason="x", lease=lease)
    assert items(store, kind="case")[0].state == "done"


def test_the_one_statement_decision_stays_within_psycopgs_parse_cache() -> None:
    from firebreak.act import decide_sql

    # psycopg re-parses statements longer than 4096 bytes on every call (MAX_CACHED_STATEMENT_LENGTH)
    assert len(decide_sql.DECIDE.encode()) <= 4096
