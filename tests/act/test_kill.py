"""SIGKILL trials: a worker killed at random points loses no acknowledged report, applies no
action twice, leaves no action unaudited and no lease held (the benchmark runs 100)."""

from __future__ import annotations

from firebreak.lab.killtrial import run_trials
from firebreak.store import open_store


def test_killed_workers_lose_nothing(db_url: str) -> None:
    open_store(db_url).close()
    report = run_trials(db_url, 3, seed=11, networks=20, kill_after=(0.2, 0.8))
    assert report.trials == 3 and report.errors == []
    assert report.acked > 0 and report.actions > 0
    assert report.lost_reports == 0
    assert report.duplicate_actions == 0
    assert report.actions_without_audit == 0 and report.decisions_without_audit == 0
    assert report.leases_held == 0
    assert report.ok
