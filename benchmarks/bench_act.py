"""Act benchmark: kill trials (reliability) and intake / claim + decide speed against the bare database.

    nice .venv/bin/python benchmarks/bench_act.py            # 100 kill trials per database, restarts on PG
    .venv/bin/python benchmarks/bench_act.py --quick         # 2 trials per database, small sizes, no restarts

Reliability (SQLite file and PostgreSQL, each on a fresh database): ``--trials`` worker
processes (:mod:`firebreak.lab.killtrial`) submit reports, route them and take network
cases down under leases, and are killed with SIGKILL at random moments; in full mode
every 10th PostgreSQL trial restarts the server (``pg_ctlcluster --skip-systemctl-redirect
VERSION main restart``) while the worker runs. Afterwards the queue is drained and the
invariants counted: acknowledged reports lost, actions applied twice, actions or
decisions without their audit entry, leases still held (all must be 0).

Speed, in the same run on the same database:

- intake: :func:`firebreak.act.submit_reports` (validation, reports row, work item, one
  transaction per batch of 500) versus a bare batched insert of the same rows into a
  plain table with the same key (``executemany`` of one INSERT per batch of 500);
- claim + decide: per case, :func:`firebreak.act.claim` then :func:`firebreak.act.decide`
  (one account warned, case closed, lease completed, audited) versus a bare dequeue
  (``SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1`` + ``UPDATE`` done, one transaction), and
  versus a bare dequeue that also writes one action row; PostgreSQL, 1 and 4 worker processes.

Each speed comparison runs ``--rounds`` times (fresh rows each round, the side that goes
first alternating) and keeps each side's best round, so a burst of load from other jobs
on the machine does not decide the ratio. Worker processes connect (and open the store)
before the clock starts. Ratios are act time / bare time (lower is better; the goal is <= 2).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_database(admin: str) -> tuple[str, Callable[[], None]] | None:
    url = make_url(admin)
    name = f"firebreak_bench_act_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL unreachable at {admin}: {str(exc).splitlines()[0]}; skipping it")
        return None

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def restart_postgres() -> None:
    """Restart the local PostgreSQL cluster and wait until it accepts connections."""
    version = max(p.name for p in Path("/etc/postgresql").iterdir())
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True)
    for _ in range(100):
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0:
            return
        time.sleep(0.1)


# -- reliability -------------------------------------------------------------------------
def reliability(db: str, label: str, trials: int, restarts: bool, networks: int) -> bool:
    from firebreak.lab.killtrial import run_trials
    from firebreak.store import open_store

    open_store(db).close()
    started = time.perf_counter()
    report = run_trials(db, trials, seed=7, restart_every=10 if restarts else 0,
                        restart=restart_postgres if restarts else None, networks=networks)
    took = time.perf_counter() - started
    print(f"\n{label}: {report.trials} SIGKILL trials ({report.restarts} server restarts) in {took:.0f} s")
    print(f"  acknowledged reports     {report.acked:>8,}   lost            {report.lost_reports}")
    print(f"  actions applied          {report.actions:>8,}   applied twice   {report.duplicate_actions}")
    print(f"  actions without audit    {report.actions_without_audit:>8}   decisions without audit "
          f"{report.decisions_without_audit}")
    print(f"  leases still held        {report.leases_held:>8}   dead letters    {report.dead_letters}")
    for error in report.errors:
        print(f"  error: {error}")
    print(f"  invariants: {'OK' if report.ok else 'VIOLATED'}")
    return report.ok


# -- speed: intake -----------------------------------------------------------------------------
def _payloads(n: int, offset: int = 0) -> list[dict[str, Any]]:
    return [{"id": f"b{offset + i}", "target": f"acct{(offset + i) % 997}", "reason": "spam",
             "reporter": f"u{i % 101}", "text": "synthetic benchmark report",
             "created_at": "2026-11-30T12:00:00Z"} for i in range(n)]


BARE_DDL = """CREATE TABLE bare_reports (source TEXT NOT NULL, id TEXT NOT NULL, reporter TEXT, target_kind TEXT,
 target TEXT NOT NULL, reason TEXT, text TEXT, created_at TIMESTAMP, received_at TIMESTAMP NOT NULL,
 state TEXT NOT NULL, PRIMARY KEY (source, id))"""


def intake_speed(db: str, label: str, n: int, batch: int = 500, rounds: int = 3) -> float:
    from datetime import UTC, datetime

    from firebreak.act import submit_report, submit_reports
    from firebreak.store import open_store

    payloads = _payloads(n)
    with open_store(db) as store:
        with store.transaction() as conn:
            conn.exec_driver_sql(BARE_DDL)
        now = datetime.now(UTC).replace(tzinfo=None)
        created = datetime(2026, 11, 30, 12)
        mark = "?" if store.dialect == "sqlite" else "%s"
        submit_reports(store, "warm-up", _payloads(10, offset=10 * n))  # imports and statement caches

        def bare_round(r: int) -> float:
            rows = [(f"bare{r}", p["id"], p["reporter"], "account", p["target"], p["reason"], p["text"], created,
                     now, "queued") for p in payloads]
            t = time.perf_counter()
            for i in range(0, n, batch):
                with store.transaction() as conn:
                    cursor = conn.connection.driver_connection.cursor()
                    cursor.executemany(f"INSERT INTO bare_reports VALUES ({', '.join([mark] * 10)})",
                                       rows[i:i + batch])
                    cursor.close()
            return time.perf_counter() - t

        def act_round(r: int) -> float:
            t = time.perf_counter()
            for i in range(0, n, batch):
                submit_reports(store, f"bench{r}", payloads[i:i + batch])
            return time.perf_counter() - t

        bares, acts = [], []
        for r in range(rounds):  # alternate which side goes first; keep each side's best round
            if r % 2 == 0:
                bares.append(bare_round(r))
                acts.append(act_round(r))
            else:
                acts.append(act_round(r))
                bares.append(bare_round(r))
        bare, act = min(bares), min(acts)
        t = time.perf_counter()
        for p in _payloads(200, offset=n):
            submit_report(store, "single", p)
        single = (time.perf_counter() - t) / 200
    ratio = act / bare
    print(f"\n{label} intake, {n:,} reports in batches of {batch}, best of {rounds} alternating rounds:")
    print(f"  bare batched insert      {n / bare:>10,.0f} reports/s")
    print(f"  submit_reports           {n / act:>10,.0f} reports/s   ratio {ratio:.2f}x (goal <= 2x)")
    print(f"  submit_report, 1 commit each: {single * 1000:.2f} ms per acknowledged report")
    return ratio


# -- speed: claim + decide -------------------------------------------------------------------------
def _bare_worker(db: str, with_action: bool, ready: Any, go: Any, out: Any) -> None:
    engine = create_engine(db)
    done = 0
    with engine.connect() as conn:
        ready.put(True)
        go.wait()
        while True:
            with conn.begin():
                row = conn.execute(text(
                    "SELECT id FROM bare_queue WHERE state = 'ready' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
                )).first()
                if row is None:
                    break
                conn.execute(text("UPDATE bare_queue SET state = 'done' WHERE id = :id"), {"id": row[0]})
                if with_action:
                    conn.execute(text("INSERT INTO bare_actions (item, account, action) VALUES (:i, 'a', 'warn')"),
                                 {"i": row[0]})
            done += 1
    engine.dispose()
    out.put(done)


def _run_workers(target: Callable[..., None], args: tuple[Any, ...], workers: int) -> tuple[float, int]:
    """Start ``workers`` processes, let each connect (and open the store), then time them
    from one common start until the queue is empty."""
    ctx = mp.get_context("fork")
    ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, ready, go, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    t = time.perf_counter()
    go.set()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return time.perf_counter() - t, total


def _prepare_claims(db: str, n: int, tag: str) -> None:
    """A fresh bare queue of ``n`` ready rows, and ``n`` fresh one-member act cases queued for review."""
    import polars as pl

    from firebreak.act import open_cases
    from firebreak.store import open_store

    with open_store(db) as store:
        with store.transaction() as conn:
            for name in ("bare_queue", "bare_actions"):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
            conn.exec_driver_sql("CREATE TABLE bare_queue (id BIGSERIAL PRIMARY KEY, state TEXT NOT NULL, "
                                 "payload TEXT)")
            conn.exec_driver_sql("CREATE TABLE bare_actions (id BIGSERIAL PRIMARY KEY, item BIGINT, "
                                 "account TEXT, action TEXT)")
        ev = pl.List(pl.Struct({"signal": pl.String, "detail": pl.String, "weight": pl.Float64}))
        scores = pl.DataFrame({"account": [f"{tag}-{i}" for i in range(n)], "risk": [0.5] * n,
                               "role": ["seller"] * n, "network": [None] * n,
                               "evidence": [[{"signal": "s", "detail": "d", "weight": 1.0}]] * n},
                              schema_overrides={"evidence": ev, "network": pl.String})
        nets = pl.DataFrame(schema={"id": pl.String, "members": pl.List(pl.String), "unique_followers": pl.Int64,
                                    "risk": pl.Float64, "evidence": ev, "destinations": pl.List(pl.String)})
        open_cases(store, scores, nets, f"bench-{tag}")
        with store.transaction() as conn:
            # decide() names the account: map case id -> its member through a lookup table
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_members")
            conn.exec_driver_sql("CREATE TABLE bench_members AS SELECT case_id, account FROM case_members")
            conn.exec_driver_sql(f"INSERT INTO bare_queue (state, payload) SELECT 'ready', 'x' FROM "
                                 f"generate_series(1, {n})")
            conn.exec_driver_sql("ANALYZE")


def claim_speed(db: str, label: str, n: int, rounds: int = 3) -> list[float]:
    from firebreak.store import open_store

    ratios = []
    for workers in (1, 4):
        bares, bares2, acts = [], [], []
        for r in range(rounds):  # alternate which side goes first; keep each side's best round
            _prepare_claims(db, n, f"w{workers}r{r}-{uuid.uuid4().hex[:6]}")
            for side in (("bare", "act") if r % 2 == 0 else ("act", "bare")):
                if side == "act":
                    acts.append(_run_workers(_act_worker_named, (db,), workers))
                    continue
                bares.append(_run_workers(_bare_worker, (db, False), workers))
                with open_store(db) as store, store.transaction() as conn:
                    conn.exec_driver_sql("UPDATE bare_queue SET state = 'ready'")
                bares2.append(_run_workers(_bare_worker, (db, True), workers))
        (bare_t, bare_n), (bare2_t, _), (act_t, act_n) = min(bares), min(bares2), min(acts)
        ratio = act_t / bare_t
        ratios.append(ratio)
        print(f"\n{label} claim + decide, {workers} worker process(es), {n:,} items, best of {rounds} "
              f"alternating rounds:")
        print(f"  bare SKIP LOCKED dequeue             {bare_n / bare_t:>8,.0f} items/s")
        print(f"  bare dequeue + one action row        {bare_n / bare2_t:>8,.0f} items/s")
        print(f"  claim + decide (act)                 {act_n / act_t:>8,.0f} items/s   ratio {ratio:.2f}x vs "
              f"dequeue, {act_t / bare2_t:.2f}x vs dequeue + action (goal <= 2x)")
    return ratios


def _act_worker_named(db: str, ready: Any, go: Any, out: Any) -> None:
    from firebreak.act import claim, decide
    from firebreak.store import open_store

    done = 0
    with open_store(db) as store:
        with store.connection() as conn:
            member = dict(conn.exec_driver_sql("SELECT case_id, account FROM bench_members").all())
        ready.put(True)
        go.wait()
        while leases := claim(store, "case", f"bench-{mp.current_process().pid}"):
            lease = leases[0]
            case_id = int(lease.subject)
            decide(store, case_id, {member[case_id]: "warn"}, actor="bench", reason="bench", lease=lease)
            done += 1
    out.put(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 trials, small sizes, no server restarts")
    parser.add_argument("--trials", type=int, help="kill trials per database (default 100, quick 2)")
    parser.add_argument("--reports", type=int, help="reports for the intake comparison (default 20000, quick 2000)")
    parser.add_argument("--items", type=int, help="cases for claim + decide (default 1000, quick 100)")
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL maintenance URL")
    parser.add_argument("--rounds", type=int, help="alternating speed rounds, best kept (default 3, quick 1)")
    parser.add_argument("--skip-trials", action="store_true", help="speed figures only")
    args = parser.parse_args()
    trials = args.trials or (2 if args.quick else 100)
    networks = 20 if args.quick else 300
    n_reports = args.reports or (2_000 if args.quick else 20_000)
    n_items = args.items or (100 if args.quick else 1_000)
    rounds = args.rounds or (1 if args.quick else 3)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        speed_db = f"sqlite:///{Path(tmp) / 'speed.db'}"
        if not args.skip_trials:
            ok &= reliability(sqlite_db, "SQLite", trials, restarts=False, networks=networks)
        intake_speed(speed_db, "SQLite", n_reports, rounds=rounds)
    pg = _pg_database(args.pg)
    if pg is not None:
        url, drop = pg
        try:
            if not args.skip_trials:
                ok &= reliability(url, "PostgreSQL", trials, restarts=not args.quick, networks=networks)
            speed = _pg_database(args.pg)
            if speed is not None:
                speed_url, drop_speed = speed
                try:
                    intake_speed(speed_url, "PostgreSQL", n_reports, rounds=rounds)
                    claim_speed(speed_url, "PostgreSQL", n_items, rounds=rounds)
                finally:
                    drop_speed()
        finally:
            drop()
    print(f"\nreliability invariants: {'all held' if ok else 'VIOLATED'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
