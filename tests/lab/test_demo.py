"""The demo pipeline end to end: simulate -> ingest -> scan -> evaluate -> audit, on real files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from firebreak.cli import app


def test_demo_runs_every_stage_and_the_guard_stops_the_flood(tmp_path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--accounts", "4000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    for name in ("simulate", "ingest", "scan", "evaluate", "audit"):
        assert f"✓ {name}" in result.output
    for path in ("snapshot/accounts.jsonl", "snapshot/labels.jsonl", "work/snapshot/follows.parquet",
                 "work/quarantine.jsonl", "work/firebreak.db", "scan/scores.jsonl", "scan/networks.jsonl",
                 "scan/terms.jsonl", "audit/audit.json", "audit/exposure.png"):
        assert (out / path).is_file(), path
    scores = [json.loads(line) for line in (out / "scan/scores.jsonl").read_text().splitlines()]
    flagged = [s for s in scores if s["role"] != "none"]
    assert flagged and all(s["evidence"] for s in flagged)
    audit = json.loads((out / "audit/audit.json").read_text())
    assert max(audit["unguarded"]["exposure"]) > 0.3
    assert audit["guarded"]["exposure"] == [0.0] * len(audit["guarded"]["exposure"])
    assert audit["guarded"]["search_exposure"] == 0.0
