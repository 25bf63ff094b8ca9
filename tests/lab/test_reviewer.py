"""The act demo on a small simulated platform: networks taken down, re-created accounts caught."""

from __future__ import annotations

from pathlib import Path

from firebreak.act import get_case, list_cases
from firebreak.detect.media import load_bank
from firebreak.lab.reviewer import run_act_demo
from firebreak.lab.sim import simulate
from firebreak.labels import read_labels
from firebreak.scan import ScanParams, scan
from firebreak.store import open_store


def test_demo_takes_networks_down_and_catches_recreated_accounts(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "snap", seed=3, accounts=2000)
    result = scan(sim.snapshot, load_bank(tmp_path / "snap" / "hashbank.txt"), params=ScanParams(seed=3))
    labels = read_labels(tmp_path / "snap" / "labels.jsonl")
    with open_store(f"sqlite:///{tmp_path / 'act.db'}") as store:
        store.upsert_reports(sim.snapshot.reports, source="sim")
        demo = run_act_demo(store, result.scores, result.networks, labels, sim.snapshot.follows,
                            scan_id="scan-1", seed=3)
        assert demo.first_review.takedowns == result.networks.height > 0
        assert demo.recreated > 0 and len(demo.recidivists) >= demo.recreated // 2
        assert demo.second_review.accounts_acted == len(demo.recidivists)
        assert demo.check.ok and demo.metrics.canaries_overdue == 0 and demo.metrics.dead_letters == 0
        assert demo.metrics.proactive_rate is not None and demo.metrics.proactive_rate > 0.5
        assert list_cases(store, state="open") == []
        evader = demo.recidivists[0]
        case = get_case(store, evader.case_id)
        assert any(m.account == evader.account and m.role == "evader" for m in case.members)
        assert "case.reopened" in [h.action for h in case.history]
        sellers = set(labels.filter(labels["role"] == "seller")["account"].to_list())
        disabled = set(store.enforcements("disabled")["account"].to_list())
        assert disabled - {p for p in disabled if p.startswith("recreated-")} <= sellers | disabled
