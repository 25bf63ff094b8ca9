"""API load benchmark: the guard endpoint and report intake over loopback HTTP, from another process.

    nice .venv/bin/python benchmarks/bench_api.py            # 4,000 accounts, 5 s per rate
    .venv/bin/python benchmarks/bench_api.py --quick         # small and short

Starts ``firebreak serve`` (a subprocess: one uvicorn worker) on a simulated platform's scan,
then, from this process:

- guard: ``POST /v1/guard/filter`` with 100 random candidates per call, open loop (requests
  are sent on a fixed schedule whatever the answers, latency counted from the scheduled
  time so queueing shows) at rising rates until the knee (sent rate below 90% of the
  target, or p99 above 100 ms); p50/p99 per rate, beside the bare in-process call
  (:meth:`ScanState.filter` on the same inputs, then ``Guard.refused`` alone);
- intake: ``POST /v1/reports`` (each a committed SQLite transaction, ``synchronous=FULL``)
  from 16 concurrent connections: requests/s, beside the bare in-process ``upsert_reports``
  of one-row frames with the same durability.

Goal (issue 12): guard p99 <= 20 ms at 500 requests/s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
import numpy as np
import orjson
import polars as pl
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _platform import platform, store_with_token

from firebreak.api.scanstate import load_scan
from firebreak.snapshot.schema import REPORTS
from firebreak.store import open_store

CANDIDATES = 100


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


async def open_loop(base: str, headers: dict[str, str], payloads: list[bytes], rate: float,
                    seconds: float) -> tuple[np.ndarray, float, int]:
    """Send at ``rate``/s for ``seconds``; returns (latencies in s from schedule, sent rate, errors)."""
    n = int(rate * seconds)
    lat = np.full(n, np.nan)
    errors = 0
    hdrs = {**headers, "Content-Type": "application/json"}
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=256)) as client:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05

        async def one(i: int) -> None:
            nonlocal errors
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                async with client.post("/v1/guard/filter", data=payloads[i % len(payloads)], headers=hdrs) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            lat[i] = loop.time() - due

        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = loop.time() - start
    return lat, n / max(elapsed, 1e-9), errors


async def intake(base: str, headers: dict[str, str], n: int, concurrency: int = 16) -> tuple[float, int]:
    """POST ``n`` new reports from ``concurrency`` connections; returns (reports/s, errors)."""
    sem = asyncio.Semaphore(concurrency)
    errors = 0
    async with aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=concurrency)) as client:
        async def one(i: int) -> None:
            nonlocal errors
            async with sem:
                body = {"id": f"bench-{i}", "reporter": "u0000001", "target": "u0000002", "reason": "spam",
                        "created_at": "2026-01-01T00:00:00Z", "text": "bench"}
                async with client.post("/v1/reports", json=body, headers=headers) as r:
                    await r.read()
                    if r.status != 202:
                        errors += 1

        t = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - t), errors


def server_cpu(server: psutil.Process) -> float:
    """CPU seconds (user + system) of the server and its worker processes."""
    return sum(sum(p.cpu_times()[:2]) for p in [server, *server.children(recursive=True)])


def ms(x: float) -> str:
    return f"{1000 * x:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small platform, short runs")
    ap.add_argument("--accounts", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=None, help="seconds per request rate")
    ap.add_argument("--rates", default=None, help="comma-separated request rates to try, in order")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--reports", type=int, default=None, help="reports sent for the intake figure")
    args = ap.parse_args()
    accounts = args.accounts or (1500 if args.quick else 4000)
    seconds = args.seconds or (1.0 if args.quick else 5.0)
    rates = [float(r) for r in (args.rates or ("100,300" if args.quick else "100,200,300,400,500,600,800,1000,1500")).split(",")]
    n_reports = args.reports or (200 if args.quick else 3000)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        snap, scan = platform(root, accounts)
        db_url = f"sqlite:///{root / 'firebreak.db'}"
        token = store_with_token(db_url)
        headers = {"Authorization": f"Bearer {token}"}
        ids = pl.read_ndjson(snap / "accounts.jsonl")["id"].to_list()
        payloads = bodies(ids, 2000)
        encoded = [orjson.dumps(p) for p in payloads]

        state = load_scan(scan, snap)
        bare, bare_guard = [], []
        for p in payloads[:1000]:
            t = time.perf_counter()
            state.filter(str(p["viewer"]), list(p["candidates"]), "suggested")  # type: ignore[arg-type]
            bare.append(time.perf_counter() - t)
            idx = state.ids.encode(list(p["candidates"]))  # type: ignore[arg-type]
            t = time.perf_counter()
            state.guard.refused(np.zeros(idx.size, dtype=np.int64), idx, np.array([0]))
            bare_guard.append(time.perf_counter() - t)
        b50, b99 = np.percentile(bare, [50, 99])
        g50, g99 = np.percentile(bare_guard, [50, 99])
        print(f"platform: {accounts} accounts, {CANDIDATES} candidates per call, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}, {args.workers} server worker(s)")
        print(f"bare in-process ScanState.filter: p50 {ms(b50)}  p99 {ms(b99)}")
        print(f"bare in-process Guard.refused:    p50 {ms(g50)}  p99 {ms(g99)}")

        proc, base = start_server(db_url, scan, snap, args.workers)
        try:
            asyncio.run(open_loop(base, headers, encoded, 50, 1.0))  # warm-up
            print("| target req/s | sent req/s | p50 | p99 | p99 / bare p99 | server CPU per request | errors |")
            print("| --- | --- | --- | --- | --- | --- | --- |")
            knee = None
            server = psutil.Process(proc.pid)
            cpu_per_req = []
            for rate in rates:
                before = server_cpu(server)
                lat, sent, errors = asyncio.run(open_loop(base, headers, encoded, rate, seconds))
                cpu = (server_cpu(server) - before) / max(1, lat.size)
                cpu_per_req.append(cpu)
                p50, p99 = np.nanpercentile(lat, [50, 99])
                print(f"| {rate:.0f} | {sent:.0f} | {ms(p50)} | {ms(p99)} | {p99 / b99:.1f}x | {ms(cpu)} | {errors} |",
                      flush=True)
                if sent < 0.9 * rate or p99 > 0.1 or errors:
                    knee = rate
                    break
            print(f"knee: {'not reached' if knee is None else f'{knee:.0f} req/s'}")
            best = max(min(cpu_per_req), 1e-6)
            print(f"server CPU per guard request {ms(best)} (bare filter {ms(b50)}): one worker saturates near "
                  f"{1 / best:.0f} req/s of a free core")
            rps, errors = asyncio.run(intake(base, headers, n_reports))
            print(f"intake over HTTP (16 connections, each report its own committed transaction): {rps:.0f} reports/s, {errors} errors")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        with open_store(db_url) as store:
            assert store.count_reports() >= n_reports - errors
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


if __name__ == "__main__":
    main()
