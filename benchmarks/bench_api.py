"""API load benchmark: the guard endpoint and report intake over loopback HTTP, from other processes.

    nice .venv/bin/python benchmarks/bench_api.py            # 4,000 accounts, 5 s per rate
    .venv/bin/python benchmarks/bench_api.py --quick         # small and short

Starts ``firebreak serve`` (a subprocess: one uvicorn worker, uvloop + httptools) on a
simulated platform's scan; the load comes from client processes of its own
(``benchmarks/_loadgen.py``: raw asyncio HTTP/1.1 on keep-alive connections, cheap enough
not to take the server's core):

- guard, bare: the in-process :meth:`ScanState.filter` (ids looked up, guard applied) and
  :meth:`Guard.refusals_for` alone, on the same inputs;
- guard, saturated: ``POST /v1/guard/filter`` with 100 random candidates per call from 8
  busy connections (closed loop): requests/s and the **server's CPU per call** (the server
  process's CPU time over the run / calls), the figure that holds on a shared machine;
- guard, open loop at rising rates until the knee (answered rate below 90% of the target,
  p99 above 100 ms, or errors): requests are sent on a fixed schedule whatever the answers
  and each latency counts from its scheduled time (no coordinated omission); p50/p99/p99.9,
  server CPU per call and the server's share of one core at each rate;
- intake: ``POST /v1/reports`` (each a committed SQLite transaction, ``synchronous=FULL``)
  from 16 busy connections: reports/s, beside the bare in-process ``upsert_reports`` of
  one-row frames with the same durability.

Ends with ``key=value`` lines (``guard_p99_ms_at_500=...``). Goal (issue 12): guard p99 <= 20 ms
at 500 requests/s on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import orjson
import polars as pl
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loadgen import LoadGen, Run, post
from _platform import platform, store_with_token

from firebreak.api.scanstate import load_scan
from firebreak.snapshot.schema import REPORTS
from firebreak.store import open_store

CANDIDATES = 100
GOAL_RATE = 500


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, scan: Path, snap: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    cmd = [sys.executable, "-m", "firebreak.cli", "serve", "--db", db_url, "--scan", str(scan), "--snapshot", str(snap),
           "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("serve did not start")


def bodies(ids: list[str], n: int, seed: int = 0) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    arr = np.asarray(ids, dtype=object)
    return [
        {"viewer": str(arr[rng.integers(len(arr))]), "surface": "suggested",
         "candidates": arr[rng.choice(len(arr), CANDIDATES, replace=False)].tolist()}
        for _ in range(n)
    ]


def server_cpu(server: psutil.Process) -> float:
    """CPU seconds (user + system) of the server and its worker processes."""
    return sum(sum(p.cpu_times()[:2]) for p in [server, *server.children(recursive=True)])


def summary(run: Run) -> tuple[float, float, float, int]:
    """(p50, p99, p99.9) latency in seconds over all requests (unanswered ones count as infinite) and errors."""
    p50, p99, p999 = np.percentile(run.latency, [50, 99, 99.9])
    return float(p50), float(p99), float(p999), int((run.status != 200).sum())


def ms(x: float) -> str:
    return f"{1000 * x:.2f} ms" if math.isfinite(x) else "none"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small platform, short runs")
    ap.add_argument("--accounts", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=None, help="seconds per request rate")
    ap.add_argument("--rates", default=None, help="comma-separated request rates to try, in order")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--clients", type=int, default=1, help="load generator processes")
    ap.add_argument("--reports", type=int, default=None, help="reports sent for the intake figure")
    args = ap.parse_args()
    accounts = args.accounts or (1500 if args.quick else 4000)
    seconds = args.seconds or (1.0 if args.quick else 5.0)
    default_rates = "100,500" if args.quick else "100,200,300,500,750,1000,1500,2000,3000,4000"
    rates = [float(r) for r in (args.rates or default_rates).split(",")]
    n_reports = args.reports or (200 if args.quick else 3000)
    n_saturate = 1000 if args.quick else 20_000

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        snap, scan = platform(root, accounts)
        db_url = f"sqlite:///{root / 'firebreak.db'}"
        token = store_with_token(db_url)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        ids = pl.read_ndjson(snap / "accounts.jsonl")["id"].to_list()
        payloads = bodies(ids, 2000)
        guard_requests = [post("/v1/guard/filter", orjson.dumps(p), headers) for p in payloads]
        intake_requests = [
            post("/v1/reports", orjson.dumps({"id": f"bench-{i}", "reporter": "u0000001", "target": "u0000002",
                                              "reason": "spam", "created_at": "2026-01-01T00:00:00Z", "text": "bench"}),
                 headers)
            for i in range(n_reports)
        ]

        state = load_scan(scan, snap)
        bare, bare_guard = [], []
        for p in payloads[:1000]:
            viewer, cands = str(p["viewer"]), list(p["candidates"])  # type: ignore[call-overload]
            t = time.perf_counter()
            state.filter(viewer, cands, "suggested")
            bare.append(time.perf_counter() - t)
            idx = np.fromiter((state.index.get(c, -1) for c in cands), np.int64, len(cands))
            vi = state.index.get(viewer, -1)
            t = time.perf_counter()
            state.guard.refusals_for(vi, idx, surface="suggested")
            bare_guard.append(time.perf_counter() - t)
        b50, b99 = np.percentile(bare, [50, 99])
        g50, g99 = np.percentile(bare_guard, [50, 99])
        print(f"platform: {accounts} accounts, {CANDIDATES} candidates per call, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}, {args.workers} server worker(s), {args.clients} client process(es)")
        print(f"bare in-process ScanState.filter: p50 {ms(b50)}  p99 {ms(b99)}")
        print(f"bare in-process Guard.refusals_for: p50 {ms(g50)}  p99 {ms(g99)}")

        proc, base = start_server(db_url, scan, snap, args.workers)
        port = int(base.rsplit(":", 1)[1])
        gen = LoadGen("127.0.0.1", port, {"guard": guard_requests, "intake": intake_requests}, processes=args.clients)
        server = psutil.Process(proc.pid)
        try:
            gen.open_loop("guard", 200, 1.0)  # warm-up (and the client processes started)
            before = server_cpu(server)
            run = gen.closed_loop("guard", 8, n_saturate)
            saturated_cpu = (server_cpu(server) - before) / len(run.latency)
            p50, p99, _, errors = summary(run)
            print(f"guard saturated (8 busy connections, {len(run.latency)} calls): {len(run.latency) / run.elapsed:.0f} req/s, "
                  f"p50 {ms(p50)}, p99 {ms(p99)}, server CPU {ms(saturated_cpu)} per call, "
                  f"client CPU {ms(run.cpu / len(run.latency))} per call, {errors} errors")
            print("| target req/s | answered req/s | p50 | p99 | p99.9 | server CPU per call | server CPU (one core) "
                  "| client CPU per call | connections | errors |")
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
            knee, at_goal, open_cpu = None, math.nan, []
            for rate in rates:
                before = server_cpu(server)
                run = gen.open_loop("guard", rate, seconds)
                cpu_s = server_cpu(server) - before
                p50, p99, p999, errors = summary(run)
                answered = int((run.status == 200).sum()) / run.elapsed
                per_call = cpu_s / max(1, len(run.latency))
                open_cpu.append(per_call)
                if rate == GOAL_RATE:
                    at_goal = p99
                print(f"| {rate:.0f} | {answered:.0f} | {ms(p50)} | {ms(p99)} | {ms(p999)} | {ms(per_call)} | "
                      f"{100 * cpu_s / run.elapsed:.0f}% | {ms(run.cpu / max(1, len(run.latency)))} | {run.connections} | {errors} |",
                      flush=True)
                if answered < 0.9 * rate or p99 > 0.1 or errors:
                    knee = rate
                    break
            print(f"knee: {'not reached' if knee is None else f'{knee:.0f} req/s'}")
            before = server_cpu(server)
            run = gen.closed_loop("intake", 16, n_reports)
            intake_cpu = (server_cpu(server) - before) / n_reports
            rps = n_reports / run.elapsed
            intake_errors = int((run.status != 202).sum())
            print(f"intake over HTTP (16 busy connections, each report its own committed transaction): {rps:.0f} reports/s, "
                  f"p50 {ms(float(np.percentile(run.latency, 50)))}, server CPU {ms(intake_cpu)} per report, {intake_errors} errors")
        finally:
            gen.close()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        with open_store(db_url) as store:
            assert store.count_reports() >= n_reports - intake_errors
            t = time.perf_counter()
            n_bare = min(n_reports, 1000)
            for i in range(n_bare):
                frame = pl.DataFrame([{"id": f"bare-{i}", "reporter": "u1", "target": "u2", "target_kind": "account",
                                       "reason": "spam", "text": "bench", "created_at": datetime(2026, 1, 1, tzinfo=UTC)}],
                                     schema=REPORTS)
                store.upsert_reports(frame, source="bench")
            bare_rps = n_bare / (time.perf_counter() - t)
        print(f"bare in-process upsert_reports, one report per transaction: {bare_rps:.0f} reports/s "
              f"(HTTP intake at {rps / bare_rps:.2f}x of it)")
        print(f"guard_server_cpu_ms_per_call={1000 * saturated_cpu:.3f}")
        print(f"guard_server_cpu_ms_per_call_open_loop_min={1000 * min(open_cpu):.3f}")
        print(f"guard_knee_req_per_s={'none' if knee is None else f'{knee:.0f}'}")
        print(f"guard_p99_ms_at_{GOAL_RATE}={1000 * at_goal:.2f}")
        print(f"intake_reports_per_s={rps:.0f}")


if __name__ == "__main__":
    main()
