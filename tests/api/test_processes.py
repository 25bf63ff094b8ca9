"""Real processes: `firebreak serve` and `firebreak worker` stop cleanly on SIGTERM and lose nothing
on SIGKILL; `firebreak users add` prints an integration token alone, reads passwords from stdin."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from firebreak.act.cases import list_cases
from firebreak.store import open_store
from tests.api.conftest import Platform
from tests.store.conftest import make_reports

CLI = [sys.executable, "-m", "firebreak.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _token(db_url: str) -> str:
    out = subprocess.run([*CLI, "users", "add", "platform", "--role", "integration", "--db", db_url],
                         capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.strip()


def _start(db_url: str, port: int, scan: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([*CLI, "serve", "--db", db_url, "--port", str(port), "--scan", str(scan)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("serve did not answer within 60 s")


@pytest.fixture
def db_file(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'firebreak.db'}"


def test_users_add(db_file: str) -> None:
    token = _token(db_file)
    assert token.startswith("fbk_") and len(token.splitlines()) == 1 and len(token) > 40
    ok = subprocess.run([*CLI, "users", "add", "ann", "--role", "reviewer", "--db", db_file],
                        check=False, input="a long password\n", capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and ok.stdout == ""
    again = subprocess.run([*CLI, "users", "add", "ann", "--role", "lead", "--db", db_file],
                           check=False, input="another password\n", capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and again.stderr.startswith("error: ") and "already exists" in again.stderr
    bad = subprocess.run([*CLI, "users", "add", "bob", "--role", "boss", "--db", db_file],
                         check=False, input="x\n", capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--role must be one of" in bad.stderr
    short = subprocess.run([*CLI, "users", "add", "cy", "--role", "admin", "--db", db_file],
                           check=False, input="short\n", capture_output=True, text=True, timeout=60)
    assert short.returncode == 2 and "at least 8" in short.stderr


def test_serve_sigkill_loses_no_acknowledged_report_and_sigterm_stops_cleanly(
    db_file: str, platform: Platform
) -> None:
    token = _token(db_file)
    headers = {"Authorization": f"Bearer {token}"}
    port = _free_port()
    proc = _start(db_file, port, platform.scan)
    acked = []
    try:
        for i in range(20):
            body = {"id": f"k{i}", "reporter": "u1", "target": "u2", "reason": "spam", "created_at": "2026-01-01T00:00:00Z"}
            r = httpx.post(f"http://127.0.0.1:{port}/v1/reports", json=body, headers=headers, timeout=10)
            if r.status_code == 202:
                acked.append(body["id"])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert len(acked) == 20
    with open_store(db_file) as store:
        assert set(store.reports(ids=acked)["id"].to_list()) == set(acked)
    port = _free_port()
    proc = _start(db_file, port, platform.scan)
    again = httpx.post(f"http://127.0.0.1:{port}/v1/reports", headers=headers, timeout=10,
                       json={"id": "k0", "reporter": "u1", "target": "u2", "reason": "spam", "created_at": "2026-01-01T00:00:00Z"})
    assert again.status_code == 200
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_worker_requeues_expired_claims_routes_reports_and_stops_on_sigterm(db_file: str) -> None:
    with open_store(db_file) as store:
        store.upsert_reports(make_reports(["w1", "w2"]))
        store.claim_reports(2, worker="crashed-reviewer")
    proc = subprocess.Popen([*CLI, "worker", "--db", db_file, "--interval", "0.1", "--lease", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        with open_store(db_file) as store:
            # requeued after their claim expired, then routed into cases by act's worker
            while len(store.audit_entries(action="report.routed")) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(store.audit_entries(action="report.requeued")) == 2
            assert sorted(e.subject.split("/")[-1] for e in store.audit_entries(action="report.routed")) == ["w1", "w2"]
            assert store.count_reports("in_review") == 2
            assert {c.kind for c in list_cases(store)} == {"account"}
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    assert rc == 0
    assert "stopped after" in (proc.stderr.read() if proc.stderr else "")


def test_worker_sigkill_leaves_a_consistent_store(db_file: str) -> None:
    with open_store(db_file) as store:
        store.upsert_reports(make_reports([f"s{i}" for i in range(50)]))
        store.claim_reports(50, worker="gone")
    proc = subprocess.Popen([*CLI, "worker", "--db", db_file, "--interval", "0.05", "--lease", "0.5"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(float(os.environ.get("FIREBREAK_KILL_AFTER", "1.0")))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with open_store(db_file) as store:
        rows = store.reports()
        requeued = {e.subject for e in store.audit_entries(action="report.requeued")}
        routed = [e.subject.split("/")[-1] for e in store.audit_entries(action="report.routed")]
        # every report is still there; a report left the claimed state only through an audited requeue,
        # and each routed report was routed once
        assert rows.height == 50
        assert set(rows.filter(rows["claimed_by"].is_null())["id"].to_list()) == requeued
        assert len(routed) == len(set(routed))
        assert set(rows.filter((rows["state"] == "in_review") & rows["claimed_by"].is_null())["id"].to_list()) == set(routed)
    with open_store(db_file) as store:  # a new worker finishes the job
        from firebreak.api.worker import run_worker

        time.sleep(0.6)  # the killed worker's leases (0.5 s) expire, so its items come back
        run_worker(db_file, lease_s=0.5, once=True)
        assert store.count_reports("in_review") == 50
        routed = [e.subject for e in store.audit_entries(action="report.routed")]
        assert len(routed) == len(set(routed)) == 50
