"""POST /v1/guard/filter: the scan's guard over HTTP, equal to the in-process guard; reloads on a new scan."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl

from firebreak.graph.ids import IdMap
from firebreak.guard.decisions import REASONS
from firebreak.guard.policy import Guard
from firebreak.scan import ScanResult, read_scan
from tests.api.conftest import Api


def _flagged(api: Api) -> tuple[list[str], list[str]]:
    scores = read_scan(api.platform.scan).scores
    sellers = scores.filter(pl.col("role") == "seller")["account"].to_list()
    buyers = scores.filter(pl.col("role") == "buyer")["account"].to_list()
    return sellers, buyers


def test_filter_removes_flagged_with_reasons_and_keeps_order(api: Api) -> None:
    sellers, buyers = _flagged(api)
    candidates = ["u0000003", sellers[0], "not-an-account", buyers[0], "u0000004"]
    r = api.client.post("/v1/guard/filter", json={"viewer": "u0000009", "surface": "explore", "candidates": candidates},
                        headers=api.headers["integration"])
    assert r.status_code == 200
    body = r.json()
    assert body["allowed"] == ["u0000003", "not-an-account", "u0000004"]
    assert body["removed"] == [{"account": sellers[0], "reason": "flagged_seller"}, {"account": buyers[0], "reason": "flagged_buyer"}]


def test_filter_agrees_with_the_in_process_guard(api: Api) -> None:
    results = read_scan(api.platform.scan)
    accounts = pl.read_ndjson(api.platform.snapshot / "accounts.jsonl")
    ids = IdMap.from_ids(accounts["id"])
    minor = (accounts["age_group"] == "minor").to_numpy()
    guard = Guard(block_search_terms=False).fit(ids, results.scores, networks=results.networks, terms=results.terms, minor=minor)
    rng = np.random.default_rng(0)
    for viewer in rng.choice(ids.n, size=8, replace=False):
        cand = rng.choice(ids.n, size=100, replace=False)
        refused = guard.refused(np.zeros(100, dtype=np.int64), cand, np.array([viewer]))
        body = {"viewer": ids.ids[int(viewer)], "surface": "suggested", "candidates": ids.decode(cand).to_list()}
        got = api.client.post("/v1/guard/filter", json=body, headers=api.headers["integration"]).json()
        assert got["allowed"] == ids.decode(cand[~refused]).to_list()
        assert [x["account"] for x in got["removed"]] == ids.decode(cand[refused]).to_list()
        assert {x["reason"] for x in got["removed"]} <= set(REASONS[1:])


def test_minors_are_kept_from_buyers(api: Api) -> None:
    accounts = pl.read_ndjson(api.platform.snapshot / "accounts.jsonl")
    minors = accounts.filter(pl.col("age_group") == "minor")["id"].head(5).to_list()
    _, buyers = _flagged(api)
    r = api.client.post("/v1/guard/filter", json={"viewer": buyers[0], "surface": "suggested", "candidates": minors},
                        headers=api.headers["integration"]).json()
    assert r["allowed"] == [] and {x["reason"] for x in r["removed"]} == {"minor_protection"}


def test_bad_surface_is_422(api: Api) -> None:
    r = api.client.post("/v1/guard/filter", json={"viewer": "a", "surface": "feed", "candidates": []}, headers=api.headers["integration"])
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "surface"


def test_a_published_scan_takes_effect_without_restart(fresh_api: Api, tmp_path: Path) -> None:
    # the server reads a folder we control: start from the scan, then drop one seller from it
    api = fresh_api
    folder = api.platform.scan
    sellers, _ = _flagged(api)
    seller = sellers[0]
    body = {"viewer": "u0000009", "surface": "search", "candidates": [seller]}
    assert api.client.post("/v1/guard/filter", json=body, headers=api.headers["integration"]).json()["allowed"] == []
    backup = tmp_path / "backup"
    shutil.copytree(folder, backup)
    try:
        # a new scan published the way `firebreak scan` publishes one: a complete folder swapped in
        current = read_scan(folder)
        ScanResult(
            current.scores.filter(pl.col("account") != seller),
            current.networks.with_columns(pl.col("members").list.eval(pl.element().filter(pl.element() != seller))),
            current.terms,
        ).write(folder)
        got = api.client.post("/v1/guard/filter", json=body, headers=api.headers["integration"]).json()
        assert got["allowed"] == [seller]
        # an admin can also force a reload; the summary names the new version
        published = api.client.post("/v1/admin/scan/publish", headers=api.headers["admin"]).json()
        assert published["version"] == got["scan"] and published["last_error"] is None
    finally:
        for f in backup.iterdir():
            shutil.copy2(f, folder / f.name)
