"""``firebreak ncmec`` commands: escalate, submit, status, standin; settings for each environment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from firebreak.act.ncmec.settings import SettingsError, resolve_settings
from firebreak.cli import app
from tests.act.ncmec.helpers import make_case

runner = CliRunner()


def _cases_file(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(make_case(i).to_json()) + "\n" for i in range(n)), encoding="utf-8")
    return path


def test_escalate_submit_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from firebreak.act.ncmec.standin import running_standin

    for var in ("FIREBREAK_NCMEC_ENV", "FIREBREAK_NCMEC_USERNAME", "FIREBREAK_NCMEC_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    db = f"sqlite:///{tmp_path / 'f.db'}"
    cases = _cases_file(tmp_path, 2)
    first = runner.invoke(app, ["ncmec", "escalate", str(cases), "--db", db])
    assert first.exit_code == 0 and "escalated 2 new case(s), 0 already known" in first.output
    again = runner.invoke(app, ["ncmec", "escalate", str(cases), "--db", db])
    assert "escalated 0 new case(s), 2 already known" in again.output
    with running_standin() as (url, server):
        done = runner.invoke(app, ["ncmec", "submit", "--db", db, "--url", url, "--generated-media"])
        assert done.exit_code == 0, done.output
        rows = [line.split("\t") for line in done.output.strip().splitlines()]
        assert sorted((r[0], r[1]) for r in rows) == [("case-0", "finished"), ("case-1", "finished")]
        assert server.calls["finish"] == 2
    status = runner.invoke(app, ["ncmec", "status", "--db", db, "--json"])
    records = [json.loads(line) for line in status.output.strip().splitlines()]
    assert {r["case_id"]: r["report_id"] for r in records} == {r[0]: int(r[2]) for r in rows}
    table = runner.invoke(app, ["ncmec", "status", "--db", db])
    assert "totals: finished 2" in table.output


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"case_id": "c"}\n', encoding="utf-8")
    result = runner.invoke(app, ["ncmec", "escalate", str(bad), "--db", f"sqlite:///{tmp_path / 'f.db'}"])
    assert result.exit_code == 2
    assert "error: " in result.output and ":1: escalated case: missing field" in result.output
    both = runner.invoke(app, ["ncmec", "submit", "--db", f"sqlite:///{tmp_path / 'f.db'}"])
    assert both.exit_code == 2 and "exactly one of --media DIR and --generated-media" in both.output


def test_production_needs_explicit_choice_and_environment_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("FIREBREAK_NCMEC_ENV", "FIREBREAK_NCMEC_USERNAME", "FIREBREAK_NCMEC_PASSWORD", "FIREBREAK_NCMEC_URL"):
        monkeypatch.delenv(var, raising=False)
    assert resolve_settings().environment == "test"
    assert resolve_settings().base_url == "http://127.0.0.1:8731/ispws"
    with pytest.raises(SettingsError, match="FIREBREAK_NCMEC_USERNAME and FIREBREAK_NCMEC_PASSWORD"):
        resolve_settings("production")
    monkeypatch.setenv("FIREBREAK_NCMEC_USERNAME", "esp")
    monkeypatch.setenv("FIREBREAK_NCMEC_PASSWORD", "secret")
    prod = resolve_settings("production")
    assert prod.base_url == "https://report.cybertip.org/ispws" and "secret" not in repr(prod)
    with pytest.raises(SettingsError, match="test environment only"):
        resolve_settings("production", "http://elsewhere/ispws")
    monkeypatch.setenv("FIREBREAK_NCMEC_ENV", "exttest")
    assert resolve_settings().base_url == "https://exttest.cybertip.org/ispws"


def test_standin_command_serves_the_api(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "FIREBREAK_NCMEC_USERNAME": "u1", "FIREBREAK_NCMEC_PASSWORD": "p1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "firebreak.cli", "ncmec", "standin", "--port", str(port), "--fault-error", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/ispws/status", auth=("u1", "p1"), timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.status_code == 200 and b"<responseCode>0</responseCode>" in answer.content
        assert httpx.get(f"http://127.0.0.1:{port}/ispws/status", auth=("u1", "x")).status_code == 401
        xsd = httpx.get(f"http://127.0.0.1:{port}/ispws/xsd", auth=("u1", "p1"))
        assert b'<xs:element name="report">' in xsd.content
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_standin_refuses_a_bad_fault_rate() -> None:
    result = runner.invoke(app, ["ncmec", "standin", "--fault-drop", "1.5"])
    assert result.exit_code == 2 and "fault rate drop must be between 0 and 1" in result.output
