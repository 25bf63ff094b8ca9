"""The act commands on a real store: open cases from a scan folder, list, take down, errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from firebreak.cli import app
from tests.act.conftest import scan_frames

runner = CliRunner()


def test_cases_from_a_scan_folder_to_a_takedown(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fb.db'}"
    scores, nets = scan_frames({"net-000": [("s1", "seller", 3.0), ("b1", "buyer", 2.5)]})
    scan_dir = tmp_path / "scan-2026-12-01"
    scan_dir.mkdir()
    scores.write_ndjson(scan_dir / "scores.jsonl")
    nets.write_ndjson(scan_dir / "networks.jsonl")
    opened = runner.invoke(app, ["cases", "open", str(scan_dir), "--db", db])
    assert opened.exit_code == 0 and "opened 1" in opened.output
    again = runner.invoke(app, ["cases", "open", str(scan_dir), "--db", db])
    assert "opened 0" in again.output
    listed = runner.invoke(app, ["cases", "list", "--db", db])
    assert "net-000" in listed.output
    down = runner.invoke(app, ["cases", "takedown", "1", "--actor", "lead", "--reason", "network", "--db", db])
    assert down.exit_code == 0 and "s1: escalate" in down.output and "b1: restrict" in down.output
    shown = json.loads(runner.invoke(app, ["cases", "show", "1", "--db", db]).output)
    assert shown["case"]["outcome"] == "taken_down" and shown["case"]["evidence_version"] == "scan-2026-12-01"
    assert len(shown["actions"]) == 2
    metrics = runner.invoke(app, ["metrics", "--prometheus", "--db", db])
    assert "firebreak_actioned_accounts 2.0" in metrics.output


def test_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fb.db'}"
    missing = runner.invoke(app, ["cases", "open", str(tmp_path), "--db", db])
    assert missing.exit_code == 2 and "error:" in missing.output and "scores.jsonl" in missing.output
    bad = runner.invoke(app, ["cases", "decide", "7", "x", "--actor", "a", "--reason", "r", "--db", db])
    assert bad.exit_code == 2 and "ACCOUNT=ACTION" in bad.output
    nocase = runner.invoke(app, ["cases", "takedown", "7", "--actor", "a", "--reason", "r", "--db", db])
    assert nocase.exit_code == 2 and "no case 7" in nocase.output
    report = runner.invoke(app, ["reports", "submit", "-", "--source", "cli", "--db", db],
                           input='{"id": "r1", "target": "a"}')
    assert report.exit_code == 2 and "field reason" in report.output
