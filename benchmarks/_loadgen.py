"""A cheap HTTP/1.1 load generator for the API benchmarks: raw asyncio protocols on keep-alive connections.

Run in worker processes of its own (:class:`LoadGen`), apart from the server and from the
benchmark's own process, so it neither shares the server's interpreter nor waits on it:

- :func:`open_loop`: requests sent on a fixed schedule (constant arrival rate) whatever the
  answers; each latency counts from the request's *scheduled* time, so a server (or client)
  falling behind shows as queueing, not as a lower send rate (no coordinated omission).
  A request finds an idle connection or opens a new one (up to ``max_connections``), else
  waits for one, the wait counted in its latency.
- :func:`closed_loop`: ``concurrency`` connections each sending its next request as soon as
  the previous answer is in (throughput at saturation).

Requests are pre-encoded bytes; answers are read just far enough to know the status and
where the body ends (``Content-Length``). Times are :func:`time.perf_counter`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import numpy as np

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
    uvloop = None


#: the clock of every timestamp: uvloop's loop.time() only counts whole milliseconds.
clock = time.perf_counter


def post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 POST request as bytes (keep-alive)."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}",
             *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Conn(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, on_answer: Callable[[_Conn, int], None], on_lost: Callable[[_Conn], None]) -> None:
        self.on_answer, self.on_lost = on_answer, on_lost
        self.transport: Any = None
        self.buf = bytearray()
        self.need = -1
        self.status = 0
        self.slot = -1
        self.due = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports are not asyncio.Transport subclasses

    def send(self, request: bytes, slot: int, due: float) -> None:
        self.slot, self.due = slot, due
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            length = 0
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else len(head)])
            self.need = end + 4 + length
        if len(self.buf) >= self.need:
            del self.buf[: self.need]
            self.need = -1
            self.on_answer(self, self.status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.on_lost(self)


@dataclass(frozen=True)
class Run:
    """What one client process measured."""

    #: seconds from each request's scheduled (open loop) or send (closed loop) time to its answer; inf: none.
    latency: np.ndarray
    #: HTTP status per request (0: no answer).
    status: np.ndarray
    #: seconds from the first scheduled send to the last answer.
    elapsed: float
    #: this client's CPU seconds over the run.
    cpu: float
    connections: int


async def _open_loop(host: str, port: int, requests: list[bytes], rate: float, n: int, start_at: float,
                     phase: float, max_connections: int, drain_s: float, offset: int) -> Run:
    loop = asyncio.get_running_loop()
    latency = np.full(n, np.inf)
    status = np.zeros(n, dtype=np.int16)
    idle: list[_Conn] = []
    waiting: deque[tuple[int, float]] = deque()
    live = {"conns": 0, "opening": 0, "out": n, "last": 0.0}
    finished = asyncio.Event()

    def answered(conn: _Conn, code: int) -> None:
        now = clock()
        latency[conn.slot], status[conn.slot] = now - conn.due, code
        live["last"] = now
        live["out"] -= 1
        if live["out"] == 0:
            finished.set()
        free(conn)

    def lost(conn: _Conn) -> None:
        live["conns"] -= 1
        if conn in idle:
            idle.remove(conn)
        elif conn.slot >= 0 and status[conn.slot] == 0:
            live["out"] -= 1
            if live["out"] == 0:
                finished.set()

    def free(conn: _Conn) -> None:
        conn.slot = -1
        if waiting:
            slot, due = waiting.popleft()
            conn.send(requests[(offset + slot) % len(requests)], slot, due)
        else:
            idle.append(conn)

    async def connect() -> None:
        try:
            _, conn = await loop.create_connection(lambda: _Conn(answered, lost), host, port)
        except OSError:
            live["opening"] -= 1
            return
        live["opening"] -= 1
        live["conns"] += 1
        free(conn)

    def dispatch(slot: int, due: float) -> None:
        if idle:
            idle.pop().send(requests[(offset + slot) % len(requests)], slot, due)
            return
        waiting.append((slot, due))
        if live["conns"] + live["opening"] < max_connections:
            live["opening"] += 1
            loop.create_task(connect())

    for _ in range(min(8, max_connections)):  # a few warm connections before the clock starts
        live["opening"] += 1
        await connect()
    cpu0 = time.process_time()
    start = clock() + (start_at - time.time())
    i = 0
    while i < n:
        now = clock()
        due = start + (i + phase) / rate
        if due > now:
            await asyncio.sleep(due - now)
            continue
        while i < n and start + (i + phase) / rate <= now:  # catch up: everything due by now goes out
            dispatch(i, start + (i + phase) / rate)
            i += 1
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(finished.wait(), timeout=drain_s)
    cpu = time.process_time() - cpu0
    connections = live["conns"]
    for conn in list(idle):
        if conn.transport is not None:
            conn.transport.close()
    return Run(latency, status, max(live["last"] - start, 1e-9), cpu, connections)


async def _closed_loop(host: str, port: int, requests: list[bytes], concurrency: int, n: int, offset: int) -> Run:
    loop = asyncio.get_running_loop()
    latency = np.full(n, np.inf)
    status = np.zeros(n, dtype=np.int16)
    state = {"next": 0, "out": n}
    finished = asyncio.Event()

    def send_next(conn: _Conn) -> None:
        slot = state["next"]
        if slot < n:
            state["next"] += 1
            conn.send(requests[(offset + slot) % len(requests)], slot, clock())

    def answered(conn: _Conn, code: int) -> None:
        latency[conn.slot], status[conn.slot] = clock() - conn.due, code
        state["out"] -= 1
        if state["out"] == 0:
            finished.set()
        send_next(conn)

    def lost(conn: _Conn) -> None:
        if conn.slot >= 0 and status[conn.slot] == 0:
            state["out"] -= 1
            if state["out"] == 0:
                finished.set()

    conns = [(await loop.create_connection(lambda: _Conn(answered, lost), host, port))[1] for _ in range(concurrency)]
    cpu0, t0 = time.process_time(), clock()
    for conn in conns:
        send_next(conn)
    await asyncio.wait_for(finished.wait(), timeout=max(60.0, n / 50))
    elapsed = clock() - t0
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    return Run(latency, status, elapsed, time.process_time() - cpu0, concurrency)


def _run(coro_factory: Callable[[], object]) -> Run:
    if uvloop is not None:
        return uvloop.run(coro_factory())  # type: ignore[no-any-return, arg-type]
    return asyncio.run(coro_factory())  # type: ignore[no-any-return, arg-type]


_REQUESTS: dict[str, list[bytes]] = {}


def _load(sets: dict[str, list[bytes]]) -> None:
    _REQUESTS.update(sets)


def open_loop(host: str, port: int, name: str, rate: float, n: int, start_at: float, phase: float,
              max_connections: int, drain_s: float, offset: int) -> Run:
    """In a client process: ``n`` requests of the set ``name`` at ``rate``/s from wall time ``start_at``."""
    return _run(lambda: _open_loop(host, port, _REQUESTS[name], rate, n, start_at, phase, max_connections, drain_s, offset))


def closed_loop(host: str, port: int, name: str, concurrency: int, n: int, offset: int) -> Run:
    """In a client process: ``n`` requests of the set ``name`` over ``concurrency`` busy connections."""
    return _run(lambda: _closed_loop(host, port, _REQUESTS[name], concurrency, n, offset))


class LoadGen:
    """``processes`` client processes (spawned), each holding the named sets of pre-encoded requests."""

    def __init__(self, host: str, port: int, sets: dict[str, list[bytes]], processes: int = 1) -> None:
        self.host, self.port, self.processes = host, port, processes
        self.pool = ProcessPoolExecutor(processes, mp_context=get_context("spawn"), initializer=_load, initargs=(sets,))

    def open_loop(self, name: str, rate: float, seconds: float, max_connections: int = 256,
                  drain_s: float = 10.0) -> Run:
        """Requests of set ``name`` at ``rate``/s for ``seconds``, split over the client processes."""
        k = self.processes
        n = int(rate * seconds)
        start_at = time.time() + 0.3
        futures = [
            self.pool.submit(open_loop, self.host, self.port, name, rate / k, (n - j + k - 1) // k, start_at, j / k,
                             max(1, max_connections // k), drain_s, j * n)
            for j in range(k)
        ]
        return _merge([f.result() for f in futures])

    def closed_loop(self, name: str, concurrency: int, n: int) -> Run:
        """``n`` requests of set ``name`` over ``concurrency`` connections (split over the processes)."""
        k = self.processes
        futures = [self.pool.submit(closed_loop, self.host, self.port, name, max(1, concurrency // k), n // k, j * (n // k))
                   for j in range(k)]
        return _merge([f.result() for f in futures])

    def close(self) -> None:
        """Stop the client processes."""
        self.pool.shutdown(cancel_futures=True)


def _merge(runs: list[Run]) -> Run:
    return Run(
        latency=np.concatenate([r.latency for r in runs]),
        status=np.concatenate([r.status for r in runs]),
        elapsed=max(r.elapsed for r in runs),
        cpu=sum(r.cpu for r in runs),
        connections=sum(r.connections for r in runs),
    )
