"""Canaries fail `firebreak check` when not processed; metrics and their Prometheus text."""

from __future__ import annotations

import time
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from firebreak.act import (
    check,
    compute_metrics,
    open_cases,
    overdue_canaries,
    prometheus_text,
    send_canary,
    submit_report,
    take_down,
    work,
)
from firebreak.cli import app
from firebreak.store import Store
from tests.act.conftest import report, scan_frames


def test_unprocessed_canary_fails_check_until_the_worker_runs(store: Store, db_url: str) -> None:
    c = send_canary(store, deadline=timedelta(milliseconds=10))
    time.sleep(0.05)
    assert [o.id for o in overdue_canaries(store)] == [c.id]
    result = CliRunner().invoke(app, ["check", "--db", db_url])
    assert result.exit_code == 1 and f"ALERT: CANARY {c.id}" in result.output
    assert compute_metrics(store).canaries_overdue == 1
    work(store, once=True)
    assert overdue_canaries(store) == [] and check(store).ok
    assert CliRunner().invoke(app, ["check", "--db", db_url]).exit_code == 0


def test_proactive_rate_and_time_to_action(store: Store) -> None:
    submit_report(store, "platform", report("r1", "b1"))  # b1 reported before any scan found it
    scores, nets = scan_frames({"n1": [("s1", "seller", 2.0), ("b1", "buyer", 3.0), ("b2", "buyer", 0.1)]})
    [case_id] = open_cases(store, scores, nets, "scan-1").opened
    take_down(store, case_id, actor="lead", reason="x")
    m = compute_metrics(store)
    assert m.actioned_accounts == 3 and m.proactive_accounts == 2
    assert abs((m.proactive_rate or 0) - 2 / 3) < 1e-9
    assert m.time_to_action_p50_s is not None and 0 <= m.time_to_action_p50_s <= (m.time_to_action_p95_s or 0) < 60
    families = {f.name: f for f in text_string_to_metric_families(prometheus_text(store, m))}
    assert families["firebreak_proactive_rate"].samples[0].value == m.proactive_rate
    assert families["firebreak_dead_letters"].samples[0].value == 0
    states = {(s.labels["kind"], s.labels["state"]): s.value for s in families["firebreak_queue_items"].samples}
    assert states[("report", "ready")] == 1 and states[("case", "done")] == 1
