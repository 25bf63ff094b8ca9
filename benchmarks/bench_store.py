"""Store benchmark: loading reports into the operational store, versus plain SQLAlchemy Core.

    nice .venv/bin/python benchmarks/bench_store.py             # 200k reports
    .venv/bin/python benchmarks/bench_store.py --quick          # 10k reports
    .venv/bin/python benchmarks/bench_store.py --reports 500000 --pg postgresql://postgres@127.0.0.1/postgres

For SQLite (a temporary file) and PostgreSQL (a temporary database made through the
maintenance URL ``--pg``; skipped with a note if unreachable), on fresh schemas:

- reference: SQLAlchemy Core ``insert(reports).on_conflict_do_nothing()`` executed with
  the frame's rows as dicts (the straightforward Core path), in the same batches;
- ``Store.upsert_reports`` (PostgreSQL ``COPY`` + ``INSERT ... SELECT``; SQLite the
  driver's ``executemany``) on the same frame, then again (every id known: idempotent);
- ``Store.claim_reports(100)`` repeated until 5,000 reports are claimed.

Prints rows/s and the ratio of the Store's speed to the reference (higher is better).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from firebreak.snapshot.schema import REPORTS
from firebreak.store import open_store
from firebreak.store.schema import reports as reports_table
from firebreak.store.store import DEFAULT_SOURCE

BATCH = 5_000
CLAIMS = 5_000


def make_frame(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` synthetic reports in the canonical schema (vectorised, no row loop)."""
    rng = np.random.default_rng(seed)
    start = datetime(2023, 6, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "i": np.arange(n),
            "reporter": rng.integers(0, n // 5 + 1, n),
            "target": rng.integers(0, n // 2 + 1, n),
            "reason": rng.choice(["spam", "harassment", "other", "child_safety", "nudity"], n),
            "secs": rng.integers(0, 30 * 86400, n),
        }
    ).select(
        pl.format("r{}", "i").alias("id"),
        pl.format("u{}", "reporter").alias("reporter"),
        pl.lit("account").alias("target_kind"),
        pl.format("u{}", "target").alias("target"),
        pl.col("reason"),
        pl.format("reported as {}: see profile", "reason").alias("text"),
        (pl.lit(start) + pl.duration(seconds=pl.col("secs"))).cast(REPORTS["created_at"]).alias("created_at"),
    )


def reference_insert(url: str, frame: pl.DataFrame) -> float:
    """Seconds for plain Core executemany of the frame into a migrated store at ``url``."""
    store = open_store(url)
    store.close()
    engine = create_engine(url)
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    now = datetime.now(UTC)
    rows = frame.with_columns(
        pl.lit(DEFAULT_SOURCE).alias("source"),
        pl.lit(now).cast(REPORTS["created_at"]).alias("received_at"),
        pl.lit(now).cast(REPORTS["created_at"]).alias("updated_at"),
    )
    stmt = dialect.insert(reports_table).on_conflict_do_nothing(index_elements=["source", "id"])
    t = time.perf_counter()
    with engine.begin() as conn:
        for batch in rows.iter_slices(BATCH):
            conn.execute(stmt, batch.to_dicts())
    elapsed = time.perf_counter() - t
    engine.dispose()
    return elapsed


def measure(name: str, url_for: Callable[[str], str], frame: pl.DataFrame) -> None:
    """Time the reference load, the Store's load, its re-run and claims on one backend; print them."""
    n = frame.height
    ref = reference_insert(url_for("ref"), frame)
    with open_store(url_for("store")) as store:
        t = time.perf_counter()
        inserted = store.upsert_reports(frame, batch_size=BATCH)
        first = time.perf_counter() - t
        t = time.perf_counter()
        again = store.upsert_reports(frame, batch_size=BATCH)
        rerun = time.perf_counter() - t
        claimed, t = 0, time.perf_counter()
        while claimed < min(CLAIMS, n):
            claimed += store.claim_reports(100).height
        claim = time.perf_counter() - t
    if inserted != n or again != 0:
        raise SystemExit(f"{name}: upsert inserted {inserted} then {again}, expected {n} then 0")
    print(f"{name:<10} reference Core executemany : {n / ref:>10,.0f} rows/s")
    print(f"{name:<10} Store.upsert_reports (new) : {n / first:>10,.0f} rows/s   x{ref / first:.1f} vs reference")
    print(f"{name:<10} Store.upsert_reports (rerun): {n / rerun:>10,.0f} rows/s   (0 new, idempotent)")
    print(f"{name:<10} claim_reports(100)          : {claimed / claim:>10,.0f} reports/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k reports")
    parser.add_argument("--reports", type=int, default=None)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    n = args.reports or (10_000 if args.quick else 200_000)
    frame = make_frame(n)
    print(f"{n:,} reports, batches of {BATCH:,}")

    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", lambda tag: f"sqlite:///{Path(tmp) / tag}.db", frame)

    admin_url = make_url(args.pg)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"firebreak_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"postgresql skipped: {str(exc).splitlines()[0]}")
        return
    try:
        db = admin_url.set(database=name)
        with create_engine(db, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("CREATE SCHEMA ref; CREATE SCHEMA store"))

        def pg_url(tag: str) -> str:
            return db.update_query_dict({"options": f"-csearch_path={tag}"}).render_as_string(hide_password=False)

        measure("postgresql", pg_url, frame)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
