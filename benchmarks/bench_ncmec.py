"""NCMEC reporting benchmark: the exactly-once worker versus the same requests sent bare.

    nice .venv/bin/python benchmarks/bench_ncmec.py            # 40 cases, 2 files each
    .venv/bin/python benchmarks/bench_ncmec.py --quick         # 4 cases
    .venv/bin/python benchmarks/bench_ncmec.py --pg postgresql://postgres@127.0.0.1/postgres

Both paths talk to the same in-process stand-in over loopback HTTP and build the
same documents (benign generated squares as files):

- reference: ``CyberTiplineClient`` alone, submit -> upload + fileinfo per file ->
  finish, nothing recorded;
- Firebreak: ``Worker`` with its ledger, every request recorded before and after it
  is sent with an audit entry (SQLite file with ``synchronous=FULL``; PostgreSQL
  when ``--pg`` reaches a server).

Prints cases/s and the ledger's cost as a ratio of wall time (lower is better).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from firebreak.act.ncmec import (
    Account,
    CaseFile,
    EscalatedCase,
    GeneratedSquares,
    Ledger,
    Reporter,
    Worker,
)
from firebreak.act.ncmec.client import CyberTiplineClient, RetryPolicy
from firebreak.act.ncmec.documents import file_details_xml, report_xml
from firebreak.act.ncmec.media import file_hashes
from firebreak.act.ncmec.standin import running_standin
from firebreak.store import open_store

REPORTER = Reporter(email="reports@example.org", esp_service="Benchmark platform")
USER = PASSWORD = "firebreak-test"


def make_cases(n: int, files: int, tag: str) -> list[EscalatedCase]:
    """``n`` synthetic cases with ``files`` generated images each."""
    return [
        EscalatedCase(
            case_id=f"{tag}-{i}",
            network_id=f"n{i % 7}",
            reported=Account(f"acct{i}", f"seller_{i}", f"https://example.social/seller_{i}", "seller"),
            associated=tuple(Account(f"acct{i}_{b}", f"buyer_{i}_{b}") for b in range(3)),
            evidence=("coded menu terms in the profile", "shared off-platform destination"),
            incident_at=datetime(2023, 6, 7, tzinfo=UTC),
            files=tuple(CaseFile(f"{tag}/{i}/{f}.png") for f in range(files)),
        )
        for i in range(n)
    ]


def bare(url: str, cases: list[EscalatedCase]) -> None:
    """The same requests with no bookkeeping at all."""
    media = GeneratedSquares()
    with CyberTiplineClient(url, USER, PASSWORD) as client:
        for case in cases:
            report_id = client.submit(report_xml(case, REPORTER)).report_id
            assert report_id is not None
            for file in case.files:
                data = media.read(file.ref)
                hashes = file_hashes(data)
                file_id = client.upload(report_id, file.ref, data).file_id
                assert file_id is not None
                client.fileinfo(file_details_xml(report_id, file_id, file, hashes))
            client.finish(report_id)


def worker(url: str, db_url: str, cases: list[EscalatedCase]) -> None:
    """Escalate ``cases`` (not timed separately: part of the path) and report them with the worker."""
    with open_store(db_url) as store, CyberTiplineClient(url, USER, PASSWORD) as client:
        ledger = Ledger(store, "bench")
        for case in cases:
            ledger.escalate(case, actor="bench")
        summary = Worker(ledger, client, GeneratedSquares(), REPORTER, retry=RetryPolicy(3, 0.01, 0.1)).run()
        assert len(summary.finished) == len(cases), summary


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def pg_database(admin: str) -> tuple[str, Callable[[], None]] | None:
    """A fresh database through the maintenance URL ``admin`` and its dropper (``None`` if unreachable)."""
    url = make_url(admin).set(drivername="postgresql+psycopg")
    name = f"firebreak_bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}")
        engine.dispose()
        return None

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--quick", action="store_true", help="4 cases, SQLite only")
    args = parser.parse_args()
    n = 4 if args.quick else args.cases
    with running_standin() as (url, _server), tempfile.TemporaryDirectory() as tmp:
        bare(url, make_cases(1, 1, "warm"))  # imports, connection pool, PDQ
        reference = timed(lambda: bare(url, make_cases(n, args.files, "bare")))
        rows = [("reference: bare client, no ledger", reference)]
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        rows.append(("worker + ledger, SQLite", timed(lambda: worker(url, sqlite_url, make_cases(n, args.files, "lite")))))
        pg = None if args.quick else pg_database(args.pg)
        if pg is not None:
            pg_url, drop = pg
            try:
                rows.append(("worker + ledger, PostgreSQL", timed(lambda: worker(url, pg_url, make_cases(n, args.files, "pg")))))
            finally:
                drop()
    print(f"{n} cases x {args.files} files, stand-in on loopback")
    print(f"{'path':<36} {'seconds':>8} {'cases/s':>8} {'ratio':>6}")
    for name, seconds in rows:
        print(f"{name:<36} {seconds:8.2f} {n / seconds:8.1f} {seconds / reference:6.2f}x")


if __name__ == "__main__":
    main()
