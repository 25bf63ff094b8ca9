"""``firebreak simulate`` from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from firebreak.cli import app

runner = CliRunner()


def test_simulate_writes_a_platform_and_prints_a_summary(tmp_path):
    out = tmp_path / "sim"
    result = runner.invoke(app, ["simulate", "--out", str(out), "--seed", "4", "--accounts", "1500", "--encoding", "jsonl.gz"])
    assert result.exit_code == 0, result.output
    assert "sellers by camouflage" in result.output and "1,500" in result.output
    assert (out / "accounts.jsonl.gz").is_file() and (out / "follows.jsonl.gz").is_file()
    truth = json.loads((out / "truth.json").read_text())
    assert truth["config"]["seed"] == 4 and truth["config"]["accounts"] == 1_500


def test_simulate_rejects_bad_options_in_one_line(tmp_path):
    for args, message in (
        (["--preset", "huge"], "unknown preset"),
        (["--accounts", "10"], "at least 500"),
        (["--base-graph", str(tmp_path / "missing.txt")], "no such file"),
    ):
        result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "x"), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "error:" in result.output and message in result.output
        assert "Traceback" not in result.output
