"""Cases through the API: priority order, a case in full, decisions and a network takedown in the store."""

from __future__ import annotations

from firebreak.store import open_store
from tests.api.conftest import Api


def test_cases_are_ordered_by_priority(api: Api) -> None:
    cases = api.client.get("/v1/cases", headers=api.headers["reviewer"]).json()
    assert len(cases) >= 3
    priorities = [c["priority"] for c in cases]
    assert priorities == sorted(priorities, reverse=True)
    assert all(c["kind"] in ("network", "account") for c in cases)


def test_case_detail_has_members_evidence_and_reports(api: Api) -> None:
    top = api.client.get("/v1/cases", headers=api.headers["reviewer"]).json()[0]
    case = api.client.get(f"/v1/cases/{top['id']}", headers=api.headers["reviewer"]).json()
    assert case["case"]["id"] == top["id"]
    roles = {m["role"] for m in case["members"]}
    assert "seller" in roles
    assert len(case["members"]) == top["members"]
    assert all(set(ds) <= set(case["destinations"]) for ds in case["shares"].values())
    assert api.client.get("/v1/cases/no-such-case", headers=api.headers["reviewer"]).status_code == 404


def test_case_detail_edges_are_the_stored_network_picture(api: Api) -> None:
    top = next(c for c in api.client.get("/v1/cases", headers=api.headers["reviewer"]).json()
               if c["kind"] == "network")
    case = api.client.get(f"/v1/cases/{top['id']}", headers=api.headers["reviewer"]).json()
    members = {m["account"] for m in case["members"]}
    edges = {(e["src"], e["dst"], e["kind"]) for e in case["edges"]}
    assert edges, "a simulated network's members follow each other"
    assert all(src in members and dst in members and kind == "follow" for src, dst, kind in edges)
    from firebreak.act.cases import get_case

    with open_store(api.db_url) as store:
        stored = {(e.src, e.dst, e.kind) for e in get_case(store, int(top["id"])).edges}
    assert edges == stored


def test_evidence_has_spans_inside_the_original_text(api: Api) -> None:
    top = api.client.get("/v1/cases", headers=api.headers["reviewer"]).json()[0]
    case = api.client.get(f"/v1/cases/{top['id']}", headers=api.headers["reviewer"]).json()
    seller = next(m["account"] for m in case["members"] if m["role"] == "seller")
    ev = api.client.get(f"/v1/accounts/{seller}/evidence", headers=api.headers["reviewer"]).json()
    assert ev["role"] == "seller" and ev["evidence"]
    spans = [(t["text"], s) for t in ev["texts"] for s in t["spans"]]
    assert spans
    assert all(0 <= s["start"] < s["end"] <= len(text) for text, s in spans)


def test_takedown_applies_the_policy_in_the_store_and_audits(fresh_api: Api) -> None:
    api = fresh_api
    top = api.client.get("/v1/cases", headers=api.headers["lead"]).json()[0]
    case = api.client.get(f"/v1/cases/{top['id']}", headers=api.headers["lead"]).json()
    body = {"decision": "takedown", "policy": "network-takedown-v1", "reason": "selling network"}
    r = api.client.post(f"/v1/cases/{top['id']}/decisions", json=body, headers=api.headers["lead"])
    assert r.status_code == 200
    with open_store(api.db_url) as store:
        enforced = dict(store.enforcements().select("account", "state").iter_rows())
        entries = [e for e in store.audit_entries(subject_kind="account") if e.action.startswith("action.")]
        trail = store.audit_entries(subject_kind="case", subject=top["id"])
    for m in case["members"]:
        want = {"seller": "disabled", "buyer": "restricted"}.get(m["role"])
        assert enforced.get(m["account"]) == want
    assert len(entries) == sum(m["role"] in ("seller", "buyer") for m in case["members"])
    assert all(e.actor == "lead" and e.detail["case"] == int(top["id"]) and e.detail["evidence_version"]
               and "network-takedown-v1" in e.detail["reason"] for e in entries)
    assert [e.action for e in trail].count("case.takedown") == 1
    after = api.client.get(f"/v1/cases/{top['id']}", headers=api.headers["lead"]).json()
    assert after["case"]["status"] == "actioned" and "case.takedown" in [a["action"] for a in after["audit"]]


def test_decisions_on_accounts_outside_the_case_change_nothing(fresh_api: Api) -> None:
    api = fresh_api
    top = api.client.get("/v1/cases", headers=api.headers["reviewer"]).json()[0]
    body = {"decision": "disable", "policy": "seller-disable-v1", "reason": "r", "accounts": ["u9999999"]}
    r = api.client.post(f"/v1/cases/{top['id']}/decisions", json=body, headers=api.headers["reviewer"])
    assert r.status_code == 409
    with open_store(api.db_url) as store:
        assert store.enforcements().height == 0


def test_reviewer_disables_one_account(fresh_api: Api) -> None:
    api = fresh_api
    top = api.client.get("/v1/cases", headers=api.headers["reviewer"]).json()[0]
    case = api.client.get(f"/v1/cases/{top['id']}", headers=api.headers["reviewer"]).json()
    seller = next(m["account"] for m in case["members"] if m["role"] == "seller")
    body = {"decision": "disable", "policy": "seller-disable-v1", "reason": "menu and age claim", "accounts": [seller]}
    r = api.client.post(f"/v1/cases/{top['id']}/decisions", json=body, headers=api.headers["reviewer"])
    assert r.status_code == 200 and r.json()["changed"] == {seller: ["none", "disabled"]}
    with open_store(api.db_url) as store:
        assert store.enforcement(seller) == "disabled"
