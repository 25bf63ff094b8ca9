"""Cases per network: open, re-scan updates without duplicates, merges, history."""

from __future__ import annotations

import polars as pl
import pytest

from firebreak.act import claim, get_case, items, list_cases, open_cases
from firebreak.errors import ActError
from firebreak.store import Store
from tests.act.conftest import scan_frames

NET = {"net-000": [("s1", "seller", 3.0), ("b1", "buyer", 2.5), ("b2", "buyer", 0.5)]}


def test_one_case_per_network_and_standalone_account(store: Store) -> None:
    scores, nets = scan_frames(NET, alone=[("x1", "seller")])
    sync = open_cases(store, scores, nets, "scan-1")
    assert len(sync.opened) == 2 and sync.members_added == 4
    found = {c.kind: c for c in list_cases(store)}
    assert found["network"].members == 3 and found["network"].destinations == ["t.me/net-000"]
    assert found["network"].unique_followers == 30 and found["account"].members == 1
    detail = get_case(store, found["network"].id)
    roles = {m.account: (m.role, m.evidence_weight) for m in detail.members}
    assert roles == {"s1": ("seller", 3.0), "b1": ("buyer", 2.5), "b2": ("buyer", 0.5)}
    assert [e.action for e in detail.history] == ["case.opened"]
    assert sorted(i.subject for i in items(store, kind="case")) == sorted(str(c) for c in sync.opened)


def test_rescan_updates_the_same_case_without_duplicates(store: Store) -> None:
    scores, nets = scan_frames(NET)
    [case_id] = open_cases(store, scores, nets, "scan-1").opened
    again = open_cases(store, scores, nets, "scan-2")
    assert again.opened == [] and again.members_added == 0
    grown = {"net-007": [*NET["net-000"], ("b3", "buyer", 1.0)]}  # ids change between scans
    scores2, nets2 = scan_frames(grown)
    sync = open_cases(store, scores2, nets2, "scan-3")
    assert sync.opened == [] and sync.updated == [case_id] and sync.members_added == 1
    detail = get_case(store, case_id)
    versions = {m.account: (m.first_version, m.last_version) for m in detail.members}
    assert versions == {"s1": ("scan-1", "scan-3"), "b1": ("scan-1", "scan-3"), "b2": ("scan-1", "scan-3"),
                        "b3": ("scan-3", "scan-3")}
    assert detail.case.network == "net-007" and detail.case.evidence_version == "scan-3"
    assert [e.action for e in detail.history] == ["case.opened", "case.updated"]
    assert detail.history[1].detail["new_members"] == ["b3"]


def test_overlapping_networks_across_scans_merge_into_the_oldest(store: Store) -> None:
    scores, nets = scan_frames({"n1": [("s1", "seller", 1.0), ("b1", "buyer", 1.0)],
                                "n2": [("s2", "seller", 1.0), ("b2", "buyer", 1.0)]})
    first, second = open_cases(store, scores, nets, "scan-1").opened
    scores2, nets2 = scan_frames({"big": [("s1", "seller", 1.0), ("s2", "seller", 1.0), ("b9", "buyer", 1.0)]})
    sync = open_cases(store, scores2, nets2, "scan-2")
    assert sync.merged == [second] and sync.updated == [first]
    merged = get_case(store, second).case
    assert merged.state == "merged" and merged.merged_into == first
    assert {m.account for m in get_case(store, first).members} == {"s1", "b1", "s2", "b2", "b9"}
    assert [c.id for c in list_cases(store)] == [first]
    assert "case.merged" in [e.action for e in get_case(store, first).history]


def test_minors_evidence_marks_the_case_and_raises_its_priority(store: Store) -> None:
    scores, nets = scan_frames({"n1": [("s1", "seller", 1.0)], "n2": [("s2", "seller", 1.0)]})
    scores = scores.with_columns(
        pl.when(pl.col("account") == "s2")
        .then(pl.lit([{"signal": "profile:minor_selling", "detail": "x", "weight": 1.0}],
                     dtype=scores.schema["evidence"]))
        .otherwise(pl.col("evidence")).alias("evidence")
    )
    open_cases(store, scores, nets, "scan-1")
    [top] = claim(store, "case", "rev")
    case = get_case(store, int(top.subject)).case
    assert case.minors and case.network == "n2"


def test_bad_frames_are_clear_errors(store: Store) -> None:
    scores, nets = scan_frames(NET)
    with pytest.raises(ActError, match="networks frame lacks column.*members"):
        open_cases(store, scores, nets.drop("members"), "scan-1")
    with pytest.raises(ActError, match="evidence_version"):
        open_cases(store, scores, nets, "")
    with pytest.raises(ActError, match="no case 99"):
        get_case(store, 99)


def test_a_reported_account_found_in_a_network_joins_it_as_one_case(store: Store) -> None:
    from firebreak.act import submit_report, work

    submit_report(store, "platform", {"id": "r1", "target": "b1", "reason": "child_safety",
                                      "created_at": "2026-11-30T00:00:00Z"})
    work(store, once=True)
    [reported] = list_cases(store)
    assert reported.kind == "account" and reported.minors
    scores, nets = scan_frames(NET)
    sync = open_cases(store, scores, nets, "scan-1")
    assert sync.opened == [] and sync.updated == [reported.id]
    [case] = list_cases(store)
    assert case.kind == "network" and case.members == 3
    assert [r["id"] for r in get_case(store, case.id).reports] == ["r1"]


def _edges(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"src": pl.String, "dst": pl.String, "kind": pl.String}, orient="row")


def test_the_network_picture_is_stored_with_the_case_and_kept_once(store: Store) -> None:
    scores, nets = scan_frames(NET, alone=[("x1", "seller")])
    edges = _edges([("b1", "s1", "follow"), ("b2", "s1", "follow"), ("b1", "s1", "message"),
                    ("b1", "s1", "follow"),  # repeated in the input: stored once
                    ("s1", "outsider", "follow"), ("x1", "s1", "follow"),  # not both members of one case
                    ("s1", "s1", "follow")])  # self-loop
    sync = open_cases(store, scores, nets, "scan-1", edges=edges)
    assert sync.edges_added == 3
    net_case = next(c for c in list_cases(store) if c.kind == "network")
    stored = {(e.src, e.dst, e.kind, e.first_version, e.last_version) for e in get_case(store, net_case.id).edges}
    assert stored == {("b1", "s1", "follow", "scan-1", "scan-1"), ("b2", "s1", "follow", "scan-1", "scan-1"),
                      ("b1", "s1", "message", "scan-1", "scan-1")}
    # a re-scan sees the same edges and one new one: nothing duplicated, last version moves
    grown = {"net-000": [*NET["net-000"], ("b3", "buyer", 1.0)]}
    scores2, nets2 = scan_frames(grown)
    again = open_cases(store, scores2, nets2, "scan-2", edges=_edges([("b1", "s1", "follow"), ("b3", "s1", "follow")]))
    assert again.edges_added == 1
    after = {(e.src, e.dst, e.kind): (e.first_version, e.last_version) for e in get_case(store, net_case.id).edges}
    assert after == {("b1", "s1", "follow"): ("scan-1", "scan-2"), ("b2", "s1", "follow"): ("scan-1", "scan-1"),
                     ("b1", "s1", "message"): ("scan-1", "scan-1"), ("b3", "s1", "follow"): ("scan-2", "scan-2")}
    # a scan without edges keeps the stored picture
    open_cases(store, scores2, nets2, "scan-3")
    assert len(get_case(store, net_case.id).edges) == 4


def test_edges_follow_members_into_a_merged_case(store: Store) -> None:
    scores, nets = scan_frames({"n1": [("s1", "seller", 1.0), ("b1", "buyer", 1.0)],
                                "n2": [("s2", "seller", 1.0), ("b2", "buyer", 1.0)]})
    first, second = open_cases(store, scores, nets, "scan-1",
                               edges=_edges([("b1", "s1", "follow"), ("b2", "s2", "like")])).opened
    scores2, nets2 = scan_frames({"big": [("s1", "seller", 1.0), ("s2", "seller", 1.0), ("b9", "buyer", 1.0)]})
    open_cases(store, scores2, nets2, "scan-2", edges=_edges([("b9", "s2", "comment"), ("s1", "s2", "follow")]))
    kept = {(e.src, e.dst, e.kind) for e in get_case(store, first).edges}
    assert kept == {("b1", "s1", "follow"), ("b2", "s2", "like"), ("b9", "s2", "comment"), ("s1", "s2", "follow")}
    assert {(e.src, e.dst) for e in get_case(store, second).edges} == {("b2", "s2")}


def test_edges_without_kind_are_follows_and_unknown_kinds_are_refused(store: Store) -> None:
    scores, nets = scan_frames(NET)
    plain = pl.DataFrame({"src": ["b1"], "dst": ["s1"]})
    [case_id] = open_cases(store, scores, nets, "scan-1", edges=plain).opened
    assert [(e.src, e.dst, e.kind) for e in get_case(store, case_id).edges] == [("b1", "s1", "follow")]
    with pytest.raises(ActError, match="unknown kind"):
        open_cases(store, scores, nets, "scan-2", edges=_edges([("b1", "s1", "poke")]))
    with pytest.raises(ActError, match="edges frame lacks"):
        open_cases(store, scores, nets, "scan-2", edges=pl.DataFrame({"from": ["b1"]}))
    assert get_case(store, case_id).case.evidence_version == "scan-1"  # nothing half-stored


def test_snapshot_edges_are_follows_and_interactions_to_accounts_or_post_authors() -> None:
    from firebreak.act.cases import snapshot_edges

    follows = pl.DataFrame({"src": ["b1", "b1", "s1"], "dst": ["s1", "s1", "s1"]})
    events = pl.DataFrame({"actor": ["b1", "b2", "b2", "b3", "b1"], "kind": ["message", "like", "search", "comment", "view"],
                           "target": ["s1", "p1", None, "p9", "b1"], "query": [None, None, "q", None, None]})
    posts = pl.DataFrame({"id": ["p1"], "author": ["s1"]})
    got = set(snapshot_edges(follows, events, posts).iter_rows())
    # a like on a post goes to its author; an unknown post stays as its id (no member has that id);
    # searches, self-loops and repeats are dropped
    assert got == {("b1", "s1", "follow"), ("b1", "s1", "message"), ("b2", "s1", "like"), ("b3", "p9", "comment")}
    assert set(snapshot_edges(follows).iter_rows()) == {("b1", "s1", "follow")}
