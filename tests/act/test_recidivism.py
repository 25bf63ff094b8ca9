"""Recidivism: a re-created account reopens its network's case with the link as evidence."""

from __future__ import annotations

import polars as pl

from firebreak.act import check_recidivism, claim, get_case, open_cases, take_down
from firebreak.store import Store
from tests.act.conftest import scan_frames


def _follows() -> pl.DataFrame:
    audience = [f"f{i}" for i in range(30)]
    edges = [(f, "s1") for f in audience] + [(f"g{i}", "other") for i in range(30)]
    edges += [(f, "s1-new") for f in audience[:24]]  # the re-created seller gets most of the audience
    edges += [(f"g{i}", "innocent") for i in range(20)] + [(audience[0], "innocent")]
    return pl.DataFrame(edges, schema={"src": pl.String, "dst": pl.String}, orient="row")


def test_recreated_account_reopens_the_case(store: Store) -> None:
    scores, nets = scan_frames({"n1": [("s1", "seller", 2.0), ("b1", "buyer", 1.0)]})
    [case_id] = open_cases(store, scores, nets, "scan-1").opened
    take_down(store, case_id, actor="lead", reason="selling network")
    [lease] = claim(store, "case", "rev") or [None]
    assert lease is None  # nothing to review after the takedown
    destinations = pl.DataFrame({"account": ["d-new", "bystander"], "destination": ["t.me/n1", "t.me/else"]})
    found = check_recidivism(store, _follows(), "scan-2", destinations=destinations)
    assert {(m.account, m.signal) for m in found} == {("s1-new", "recidivism:audience"),
                                                      ("d-new", "recidivism:destination")}
    detail = get_case(store, case_id)
    assert detail.case.state == "open"
    evader = next(m for m in detail.members if m.account == "s1-new")
    assert evader.role == "evader" and "disabled s1" in evader.evidence[0]["detail"]
    assert detail.history[-1].action == "case.reopened" or "case.reopened" in [h.action for h in detail.history]
    [lease] = claim(store, "case", "rev")
    assert lease.subject == str(case_id)
    second = take_down(store, case_id, actor="lead", reason="evader", lease=lease)
    assert sorted(a.account for a in second.actions) == ["d-new", "s1-new"]  # old members not acted on twice
    assert check_recidivism(store, _follows(), "scan-3", destinations=destinations) == []
