"""The operational store: report queue, enforcement state and audit log behind one interface.

One :class:`Store` class serves SQLite (embedded, the default) and PostgreSQL
(production) through SQLAlchemy 2 Core; the few differences (``FOR UPDATE SKIP
LOCKED``, bulk loading by ``COPY`` or ``executemany``, SQLite's write
transactions) stay inside it. Every write is one
committed transaction. On SQLite, writes from one process go through a single
writer lock and start with ``BEGIN IMMEDIATE``, so concurrent writers queue
instead of failing half-way; the file runs in WAL mode with ``synchronous=FULL``
because a report, once accepted, must survive a power cut (``NORMAL`` may lose
the last commits), and commits here are per batch, not per row, so the extra
fsync costs little.
"""

from __future__ import annotations

import json
import select as io_select
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import polars as pl
import polars.selectors as cs
from sqlalchemy import (
    Connection,
    Engine,
    case,
    column,
    create_engine,
    event,
    func,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from firebreak.errors import StoreError
from firebreak.snapshot.schema import REPORTS, TS
from firebreak.store import migrate
from firebreak.store.schema import (
    ENFORCEMENT_STATES,
    REPORT_OUTCOMES,
    REPORT_STATES,
    accounts_enforcement,
    audit_log,
    reports,
    trusted_flaggers,
)
from firebreak.store.url import parse_db_url, safe_url

#: columns of the frames :meth:`Store.claim_reports` and :meth:`Store.reports` return.
REPORT_ROWS = pl.Schema(
    {
        **REPORTS,
        "source": pl.String(),
        "received_at": TS,
        "state": pl.String(),
        "attempts": pl.Int64(),
        "last_error": pl.String(),
        "claimed_at": TS,
        "claimed_by": pl.String(),
        "resolved_by": pl.String(),
        "updated_at": TS,
    }
)
#: columns of the frame :meth:`Store.enforcements` returns.
ENFORCEMENT_ROWS = pl.Schema(
    {
        "account": pl.String(),
        "state": pl.String(),
        "network": pl.String(),
        "reason": pl.String(),
        "updated_by": pl.String(),
        "updated_at": TS,
    }
)
#: columns of the frame :meth:`Store.trusted_flaggers` returns.
TRUSTED_ROWS = pl.Schema(
    {
        "account": pl.String(),
        "organisation": pl.String(),
        "since": TS,
        "added_by": pl.String(),
        "added_at": TS,
    }
)
UPSERT_BATCH = 5_000
#: the source recorded for reports stored without one (e.g. a snapshot read without its path).
DEFAULT_SOURCE = "snapshot"
INCOMING = "firebreak_reports_incoming"
#: how SQLAlchemy stores a DateTime in SQLite (read back by schema.UTCDateTime).
SQLITE_TS = "%Y-%m-%d %H:%M:%S%.6f"
SQLITE_BUSY_TIMEOUT_S = 30
PG_CONNECT_TIMEOUT_S = 5
#: a pooled PostgreSQL connection idle this long is pinged before use.
PG_PING_IDLE_S = 1.0

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the append-only audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    subject_kind: str
    subject: str
    detail: dict[str, Any]


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def _guarded(what: str) -> Callable[[Callable[Concatenate[Store, P], R]], Callable[Concatenate[Store, P], R]]:
    """Turn database failures inside a Store method into a one-line :class:`StoreError`."""

    def wrap(fn: Callable[Concatenate[Store, P], R]) -> Callable[Concatenate[Store, P], R]:
        @wraps(fn)
        def inner(self: Store, *args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(self, *args, **kwargs)
            except (SQLAlchemyError, self.engine.dialect.loaded_dbapi.Error) as exc:
                raise StoreError(f"{what} failed on {self.url}: {_one_line(exc)}") from exc

        return cast("Callable[Concatenate[Store, P], R]", inner)

    return wrap


def _now() -> datetime:
    return datetime.now(UTC)


def _check_state(state: str | None, allowed: tuple[str, ...], kind: str) -> None:
    if state is not None and state not in allowed:
        raise StoreError(f"unknown {kind} state {state!r}: expected one of {', '.join(allowed)}")


class Store:
    """A connection pool to the operational store; build one with :func:`open_store`.

    Thread-safe; use it as a context manager or call :meth:`close` when done.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: the database URL with any password masked.
        self.url = safe_url(engine.url)
        self.dialect = engine.dialect.name
        self._writer = threading.Lock() if self.dialect == "sqlite" else None

    # -- plumbing ---------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One committed write transaction (rolled back if the block raises)."""
        if self._writer is not None:
            with self._writer, self.engine.connect() as conn:
                conn.execution_options(firebreak_write=True)
                with conn.begin():
                    yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def transaction(self) -> AbstractContextManager[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        For the store's own layers (:mod:`firebreak.act`) that write several
        tables atomically; on SQLite it holds the process's writer lock and
        starts with ``BEGIN IMMEDIATE``.
        """
        return self._write()

    def connection(self) -> AbstractContextManager[Connection]:
        """A connection for reads (no write lock taken)."""
        return self._read()

    def append_audit_in(
        self,
        conn: Connection,
        actor: str,
        action: str,
        *,
        subject_kind: str,
        subject: str,
        detail: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one audit entry inside the caller's transaction ``conn`` (see :meth:`transaction`)."""
        return self._append(conn, actor, action, subject_kind, subject, dict(detail or {}), at or _now())

    def append_audit_many_in(self, conn: Connection, entries: list[dict[str, Any]]) -> int:
        """Append several audit entries in one statement inside ``conn``'s transaction.

        Each entry has ``actor, action, subject_kind, subject, detail, at``.
        Returns how many were appended.
        """
        if not entries:
            return 0
        for e in entries:
            try:
                json.dumps(e["detail"])
            except (TypeError, ValueError) as exc:
                raise StoreError(f"audit detail for {e['action']} {e['subject']!r} is not JSON: {exc}") from None
        conn.execute(insert(audit_log), entries)
        return len(entries)

    def bulk_insert(
        self,
        conn: Connection,
        table: Any,
        rows: list[dict[str, Any]],
        *,
        conflict: tuple[str, ...] | None = None,
        returning: str | None = None,
    ) -> list[Any]:
        """Insert ``rows`` (dicts with the same keys: strings, numbers, datetimes, None)
        into ``table`` inside ``conn``'s transaction, through the driver.

        Multi-row ``INSERT ... VALUES`` statements (``ON CONFLICT (conflict) DO
        NOTHING`` when ``conflict`` is given) skip SQLAlchemy's per-value
        processing, which dominates small-row inserts. Returns the ``returning``
        column's values of the rows actually inserted (empty if not asked).
        """
        if not rows:
            return []
        columns = list(rows[0])
        sqlite_ts = self.dialect == "sqlite"
        mark = "?" if sqlite_ts else "%s"
        per_row = f"({', '.join([mark] * len(columns))})"
        tail = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING" if conflict else ""
        tail += f" RETURNING {returning}" if returning else ""
        chunk = max(1, 30_000 // len(columns))
        found: list[Any] = []
        stamps: dict[datetime, Any] = {}  # rows of one batch mostly share their timestamps
        driver = conn.connection.driver_connection
        if driver is None:  # pragma: no cover - a checked-out connection always has one
            raise StoreError(f"no driver connection to {self.url}")
        cursor = driver.cursor()
        try:
            if not sqlite_ts:
                # psycopg re-parses a long multi-row statement on every call; its
                # pipelined executemany of the one-row statement is faster.
                one = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES {per_row}{tail}"
                cursor.executemany(one, [tuple(row[c] for c in columns) for row in rows], returning=bool(returning))
                if returning:
                    while True:
                        found.extend(r[0] for r in cursor.fetchall())
                        if not cursor.nextset():
                            break
                return found
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                params: list[Any] = []
                for row in part:
                    for name in columns:
                        value = row[name]
                        if isinstance(value, datetime):
                            converted = stamps.get(value)
                            if converted is None:
                                converted = value.astimezone(UTC)
                                if sqlite_ts:
                                    converted = converted.strftime("%Y-%m-%d %H:%M:%S.%f")
                                stamps[value] = converted
                            value = converted
                        params.append(value)
                sql = (
                    f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
                    f"{', '.join([per_row] * len(part))}{tail}"
                )
                cursor.execute(sql, params)
                if returning:
                    found.extend(r[0] for r in cursor.fetchall())
        finally:
            cursor.close()
        return found

    def run_in(
        self, conn: Connection, sql: str, params: Mapping[str, Any] | tuple[Any, ...] = ()
    ) -> list[tuple[Any, ...]]:
        """PostgreSQL only: run one driver statement (``%(name)s`` / ``%s`` placeholders,
        ``%(name)b`` for a parameter sent in binary) inside ``conn``'s transaction, straight
        through psycopg (no per-statement SQLAlchemy work; prepared server-side once it
        repeats); returns its rows (``[]`` when it returns none). A database error is
        raised as :class:`StoreError`, and the caller's transaction then rolls back.
        """
        if self.dialect != "postgresql":
            raise StoreError(f"driver statements here are for PostgreSQL, not {self.dialect}")
        driver = cast(Any, conn.connection.driver_connection)
        try:
            with driver.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.rownumber is not None else []
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise StoreError(f"statement failed on {self.url}: {_one_line(exc)}") from exc

    def run_alone(self, sql: str, params: Mapping[str, Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """PostgreSQL only: run one driver statement as its own transaction (autocommit: one
        round trip, no BEGIN / COMMIT); committed when this returns. See :meth:`run_in`."""
        if self.dialect != "postgresql":
            raise StoreError(f"driver statements here are for PostgreSQL, not {self.dialect}")
        pooled = self.engine.raw_connection()  # no SQLAlchemy Connection: its setup would cost more
        try:
            driver = cast(Any, pooled.driver_connection)
            if driver.info.transaction_status != driver.info.transaction_status.IDLE:
                driver.rollback()  # nothing of ours is open on a connection fresh from the pool
            driver.autocommit = True
            try:
                with driver.cursor() as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall() if cursor.rownumber is not None else []
            finally:
                if not driver.closed:
                    driver.autocommit = False
        except self.engine.dialect.loaded_dbapi.Error as exc:
            if getattr(pooled, "driver_connection", None) is not None and cast(Any, pooled.driver_connection).broken:
                pooled.invalidate(exc)
            raise StoreError(f"statement failed on {self.url}: {_one_line(exc)}") from exc
        finally:
            pooled.close()

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(table)

    # -- migrations -------------------------------------------------------------
    @_guarded("migration")
    def upgrade(self) -> str:
        """Migrate the database to the newest schema this code knows; returns that revision."""
        head = migrate.head_revision()
        with self._write() as conn:
            migrate.lock_for_migration(conn)
            current = migrate.current_revision(conn)
            self._check_known(current, head)
            if current != head:
                migrate.upgrade(conn, head)
        return head

    @_guarded("reading the schema revision")
    def revision(self) -> str | None:
        """The schema revision the database is at (``None`` if never migrated)."""
        with self._read() as conn:
            return migrate.current_revision(conn)

    def verify(self) -> None:
        """Raise :class:`StoreError` unless the database is at the newest schema revision."""
        head, current = migrate.head_revision(), self.revision()
        self._check_known(current, head)
        if current != head:
            raise StoreError(
                f"database {self.url} is at schema revision {current or 'none'}, this Firebreak needs "
                f"{head}: open_store(url) migrates it"
            )

    def _check_known(self, current: str | None, head: str) -> None:
        if current is not None and current not in migrate.known_revisions():
            raise StoreError(
                f"database {self.url} is at schema revision {current}, newer than this Firebreak "
                f"knows (newest {head}): upgrade Firebreak"
            )

    # -- reports ----------------------------------------------------------------
    @_guarded("storing reports")
    def upsert_reports(
        self, reports_frame: pl.DataFrame, *, source: str | None = None, batch_size: int = UPSERT_BATCH
    ) -> int:
        """Queue the reports in ``reports_frame`` that the store does not hold yet.

        ``reports_frame`` has the canonical reports columns
        (:data:`firebreak.snapshot.schema.REPORTS`; ``id`` and ``target`` required,
        missing optional columns count as null, extra columns are ignored).
        Reports are keyed by ``(source, id)``: ``source`` (e.g. the snapshot path
        or platform; :data:`DEFAULT_SOURCE` if not given) is part of the key, so
        two sources may reuse an id. Reports whose key is already stored are left
        untouched, so re-running is a no-op. All rows go in one committed transaction (all or nothing), in
        batches of ``batch_size``: PostgreSQL ``COPY`` into a temporary table, then
        ``INSERT ... ON CONFLICT DO NOTHING``; SQLite the driver's ``executemany``
        of the same statement. Returns how many reports were new.
        """
        frame = _canonical_reports(reports_frame)
        if frame.height == 0:
            return 0
        now = _now()
        frame = frame.with_columns(
            pl.lit(source or DEFAULT_SOURCE, pl.String).alias("source"),
            pl.lit(now, TS).alias("received_at"),
            pl.lit(now, TS).alias("updated_at"),
            pl.lit("queued").alias("state"),
            pl.lit(0).alias("attempts"),
        )
        with self._write() as conn:
            if self.dialect == "postgresql":
                return _copy_new_reports(conn, frame, batch_size)
            return _insert_new_reports_sqlite(conn, frame, batch_size)

    @_guarded("counting reports")
    def count_reports(self, state: str | None = None) -> int:
        """How many reports the store holds, in ``state`` if given (one of ``REPORT_STATES``)."""
        _check_state(state, REPORT_STATES, "report")
        query = select(func.count()).select_from(reports)
        if state is not None:
            query = query.where(reports.c.state == state)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    @_guarded("reading reports")
    def reports(self, state: str | None = None, ids: list[str] | None = None) -> pl.DataFrame:
        """Stored reports (optionally only in ``state`` / with these ``ids``), oldest first,
        as a frame with columns :data:`REPORT_ROWS`."""
        _check_state(state, REPORT_STATES, "report")
        query = select(*(reports.c[name] for name in REPORT_ROWS)).order_by(
            reports.c.received_at, reports.c.id
        )
        if state is not None:
            query = query.where(reports.c.state == state)
        if ids is not None:
            query = query.where(reports.c.id.in_(ids))
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return pl.from_dicts([dict(r) for r in rows], schema=REPORT_ROWS) if rows else pl.DataFrame(schema=REPORT_ROWS)

    @_guarded("claiming reports")
    def claim_reports(self, n: int, *, worker: str | None = None) -> pl.DataFrame:
        """Atomically move up to ``n`` of the oldest ``queued`` reports to ``in_review``, trusted flaggers' first.

        Concurrent callers never receive the same report (PostgreSQL: ``FOR UPDATE
        SKIP LOCKED``; SQLite: one writer at a time). Returns the claimed reports,
        oldest first, as a frame with columns :data:`REPORT_ROWS`.
        """
        if n <= 0:
            return pl.DataFrame(schema=REPORT_ROWS)
        now = _now()
        pick = (
            select(reports.c.id)
            .where(reports.c.state == "queued")
            .order_by(
                # trusted flaggers' reports first (the DSA's Article 22: processed with priority)
                case((reports.c.reporter.in_(select(trusted_flaggers.c.account)), 0), else_=1),
                reports.c.received_at,
                reports.c.id,
            )
            .limit(n)
            .with_for_update(skip_locked=True)
            .cte("picked")
        )
        # A CTE runs once; an ``IN (subquery ... LIMIT n)`` may be rescanned by the
        # PostgreSQL planner and then update more than n rows.
        stmt = (
            update(reports)
            .where(reports.c.id == pick.c.id, reports.c.state == "queued")
            .values(state="in_review", claimed_at=now, claimed_by=worker, updated_at=now)
            .returning(*(reports.c[name] for name in REPORT_ROWS))
        )
        with self._write() as conn:
            rows = conn.execute(stmt).mappings().all()
        if not rows:
            return pl.DataFrame(schema=REPORT_ROWS)
        return pl.from_dicts([dict(r) for r in rows], schema=REPORT_ROWS).sort("received_at", "id")

    @_guarded("completing a report")
    def complete_report(
        self, report_id: str, state: str, actor: str, *, note: str | None = None, source: str | None = None
    ) -> None:
        """Close a claimed (``in_review``) report as ``actioned`` or ``dismissed``.

        ``source`` picks the report when several sources used ``report_id``.
        Appends a ``report.<state>`` audit entry by ``actor`` in the same
        transaction. Raises :class:`StoreError` if the report is unknown, ambiguous
        or not in review.
        """
        if state not in REPORT_OUTCOMES:
            raise StoreError(f"a report can be completed as {' or '.join(REPORT_OUTCOMES)}, not {state!r}")
        now = _now()
        stmt = (
            update(reports)
            .where(self._report_key(report_id, source), reports.c.state == "in_review")
            .values(state=state, resolved_by=actor, updated_at=now)
            .returning(
                reports.c.source, reports.c.target_kind, reports.c.target, reports.c.reason, reports.c.attempts
            )
        )
        with self._write() as conn:
            self._check_unambiguous(conn, report_id, source)
            row = conn.execute(stmt).mappings().one_or_none()
            if row is None:
                raise self._not_in_review(conn, report_id)
            self._append(conn, actor, f"report.{state}", "report", report_id, {**row, "note": note}, now)

    @_guarded("failing a report")
    def fail_report(
        self, report_id: str, error: str, *, max_attempts: int | None = None, source: str | None = None
    ) -> str:
        """Record a failed attempt at a claimed report and put it back in the queue.

        ``attempts`` goes up by one and ``last_error`` keeps ``error``. The report
        returns to ``queued``, unless ``max_attempts`` is given and reached: then it
        is parked as ``failed`` (still stored, with a ``report.failed`` audit entry).
        Returns the report's new state.
        """
        now = _now()
        attempts = reports.c.attempts + 1
        new_state: Any = "queued"
        if max_attempts is not None:
            new_state = case((attempts >= max_attempts, "failed"), else_="queued")
        stmt = (
            update(reports)
            .where(self._report_key(report_id, source), reports.c.state == "in_review")
            .values(
                state=new_state,
                attempts=attempts,
                last_error=error,
                claimed_at=None,
                claimed_by=None,
                updated_at=now,
            )
            .returning(reports.c.state, reports.c.attempts)
        )
        with self._write() as conn:
            self._check_unambiguous(conn, report_id, source)
            row = conn.execute(stmt).one_or_none()
            if row is None:
                raise self._not_in_review(conn, report_id)
            if row.state == "failed":
                detail = {"attempts": row.attempts, "error": error}
                self._append(conn, "system", "report.failed", "report", report_id, detail, now)
        return str(row.state)

    @_guarded("re-queueing stale reports")
    def requeue_stale(self, older_than: timedelta) -> int:
        """Return reports claimed more than ``older_than`` ago (a worker died) to the queue,
        counting it as a failed attempt. Returns how many were re-queued."""
        now = _now()
        stmt = (
            update(reports)
            .where(reports.c.state == "in_review", reports.c.claimed_at < now - older_than)
            .values(
                state="queued",
                attempts=reports.c.attempts + 1,
                last_error="claim expired",
                claimed_at=None,
                claimed_by=None,
                updated_at=now,
            )
        )
        with self._write() as conn:
            return int(conn.execute(stmt, execution_options={"preserve_rowcount": True}).rowcount)

    @staticmethod
    def _report_key(report_id: str, source: str | None) -> Any:
        key = reports.c.id == report_id
        return key if source is None else key & (reports.c.source == source)

    def _check_unambiguous(self, conn: Connection, report_id: str, source: str | None) -> None:
        if source is not None:
            return
        query = select(func.count()).select_from(reports).where(reports.c.id == report_id)
        if int(conn.execute(query).scalar_one()) > 1:
            raise StoreError(f"report id {report_id!r} exists in several sources in {self.url}: give its source")

    def _not_in_review(self, conn: Connection, report_id: str) -> StoreError:
        query = select(reports.c.state).where(reports.c.id == report_id).limit(1)
        state = conn.execute(query).scalar_one_or_none()
        if state is None:
            return StoreError(f"no report {report_id!r} in {self.url}")
        return StoreError(f"report {report_id!r} is {state}, not in_review: claim it first")

    # -- enforcement ------------------------------------------------------------
    @_guarded("setting enforcement")
    def set_enforcement(
        self, account: str, state: str, *, actor: str, reason: str, network: str | None = None
    ) -> str:
        """Set ``account``'s enforcement state (one of ``ENFORCEMENT_STATES``).

        Appends an ``enforcement.set`` audit entry (``from``, ``to``, ``reason``,
        ``network``) in the same transaction, so a state never changes unaudited.
        Returns the previous state (``"none"`` for an account never enforced).
        """
        _check_state(state, ENFORCEMENT_STATES, "enforcement")
        now = _now()
        current = (
            select(accounts_enforcement.c.state)
            .where(accounts_enforcement.c.account == account)
            .with_for_update()
        )
        values = {
            "state": state,
            "network": network,
            "reason": reason,
            "updated_by": actor,
            "updated_at": now,
        }
        upsert = (
            self._insert(accounts_enforcement)
            .values(account=account, **values)
            .on_conflict_do_update(index_elements=["account"], set_=values)
        )
        with self._write() as conn:
            previous = conn.execute(current).scalar_one_or_none() or "none"
            conn.execute(upsert)
            detail = {"from": previous, "to": state, "reason": reason, "network": network}
            self._append(conn, actor, "enforcement.set", "account", account, detail, now)
        return previous

    @_guarded("reading enforcement")
    def enforcement(self, account: str) -> str:
        """``account``'s enforcement state (``"none"`` if never set)."""
        query = select(accounts_enforcement.c.state).where(accounts_enforcement.c.account == account)
        with self._read() as conn:
            return conn.execute(query).scalar_one_or_none() or "none"

    @_guarded("reading enforcement")
    def enforcements(self, state: str | None = None) -> pl.DataFrame:
        """Every account with an enforcement record (only ``state`` if given), as a frame
        with columns :data:`ENFORCEMENT_ROWS`, sorted by account."""
        _check_state(state, ENFORCEMENT_STATES, "enforcement")
        query = select(*(accounts_enforcement.c[name] for name in ENFORCEMENT_ROWS)).order_by(
            accounts_enforcement.c.account
        )
        if state is not None:
            query = query.where(accounts_enforcement.c.state == state)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return pl.from_dicts([dict(r) for r in rows], schema=ENFORCEMENT_ROWS) if rows else pl.DataFrame(schema=ENFORCEMENT_ROWS)

    # -- trusted flaggers -------------------------------------------------------
    @_guarded("adding trusted flaggers")
    def add_trusted_flaggers(self, rows: pl.DataFrame, *, actor: str) -> int:
        """Add or update trusted-flagger accounts (``account, organisation[, since]``); returns how many.

        Each account written appends a ``trusted_flagger.add`` audit entry in the same transaction.
        """
        missing = [c for c in ("account", "organisation") if c not in rows.columns]
        if missing:
            raise StoreError(f"trusted flaggers need {', '.join(missing)}")
        frame = rows.with_columns(
            [pl.lit(None, dtype=TS).alias("since")] if "since" not in rows.columns else [pl.col("since").cast(TS)]
        ).select("account", "organisation", "since").unique("account", keep="last", maintain_order=True)
        if frame.filter(pl.col("account").is_null() | pl.col("organisation").is_null()).height:
            raise StoreError("trusted flaggers need an account and an organisation on every row")
        now = _now()
        with self._write() as conn:
            for row in frame.iter_rows(named=True):  # an operator's registry: tens of rows
                values = {"organisation": row["organisation"], "since": row["since"], "added_by": actor, "added_at": now}
                conn.execute(
                    self._insert(trusted_flaggers)
                    .values(account=row["account"], **values)
                    .on_conflict_do_update(index_elements=["account"], set_=values)
                )
                detail = {"organisation": row["organisation"], "since": row["since"].isoformat() if row["since"] else None}
                self._append(conn, actor, "trusted_flagger.add", "account", row["account"], detail, now)
        return frame.height

    @_guarded("removing trusted flaggers")
    def remove_trusted_flaggers(self, accounts: list[str], *, actor: str) -> int:
        """Remove ``accounts`` from the registry (audited); returns how many were registered."""
        now = _now()
        removed = 0
        with self._write() as conn:
            for account in dict.fromkeys(accounts):
                gone = conn.execute(trusted_flaggers.delete().where(trusted_flaggers.c.account == account)).rowcount
                if gone:
                    removed += 1
                    self._append(conn, actor, "trusted_flagger.remove", "account", account, {}, now)
        return removed

    @_guarded("reading trusted flaggers")
    def trusted_flaggers(self) -> pl.DataFrame:
        """The registry as a frame with columns :data:`TRUSTED_ROWS`, sorted by organisation and account."""
        query = select(*(trusted_flaggers.c[name] for name in TRUSTED_ROWS)).order_by(
            trusted_flaggers.c.organisation, trusted_flaggers.c.account
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return pl.from_dicts([dict(r) for r in rows], schema=TRUSTED_ROWS) if rows else pl.DataFrame(schema=TRUSTED_ROWS)

    # -- audit log --------------------------------------------------------------
    @_guarded("writing the audit log")
    def append_audit(
        self,
        actor: str,
        action: str,
        *,
        subject_kind: str,
        subject: str,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry (``detail`` must be JSON-serialisable) and return it as stored."""
        with self._write() as conn:
            return self._append(conn, actor, action, subject_kind, subject, dict(detail or {}), _now())

    @_guarded("reading the audit log")
    def audit_entries(
        self,
        *,
        subject_kind: str | None = None,
        subject: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        after_id: int | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries matching every filter given, in the order they were appended.

        ``since`` keeps entries at or after that time; ``after_id`` those with a
        larger id (for paging); ``limit`` caps the count.
        """
        query = select(audit_log).order_by(audit_log.c.id)
        filters = {"subject_kind": subject_kind, "subject": subject, "action": action, "actor": actor}
        for name, value in filters.items():
            if value is not None:
                query = query.where(audit_log.c[name] == value)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        if after_id is not None:
            query = query.where(audit_log.c.id > after_id)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [AuditEntry(**row) for row in conn.execute(query).mappings()]

    @staticmethod
    def _append(
        conn: Connection,
        actor: str,
        action: str,
        subject_kind: str,
        subject: str,
        detail: dict[str, Any],
        at: datetime,
    ) -> AuditEntry:
        try:
            json.dumps(detail)
        except (TypeError, ValueError) as exc:
            what = f"{action} {subject_kind} {subject!r}"
            raise StoreError(f"audit detail for {what} is not JSON: {exc}") from None
        row: dict[str, Any] = {
            "actor": actor,
            "action": action,
            "subject_kind": subject_kind,
            "subject": subject,
            "detail": detail,
            "at": at,
        }
        entry_id: int = conn.execute(insert(audit_log).values(**row).returning(audit_log.c.id)).scalar_one()
        return AuditEntry(id=int(entry_id), **row)


def _canonical_reports(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` reduced to the canonical report columns and dtypes, one row per id."""
    if not isinstance(frame, pl.DataFrame):
        raise StoreError(f"reports must be a Polars DataFrame, not {type(frame).__name__}")
    missing = [name for name in ("id", "target") if name not in frame.columns]
    if missing:
        raise StoreError(f"reports frame lacks required column(s): {', '.join(missing)}")
    try:
        canonical = frame.select(
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in REPORTS.items()
        )
    except pl.exceptions.PolarsError as exc:
        raise StoreError(f"reports frame does not match the reports schema: {_one_line(exc)}") from None
    bad = canonical.filter(pl.col("id").is_null() | pl.col("target").is_null()).height
    if bad:
        raise StoreError(f"{bad} report row(s) have no id or no target")
    return canonical.unique(subset="id", keep="first", maintain_order=True)  # one source per call


def _copy_new_reports(conn: Connection, frame: pl.DataFrame, batch_size: int) -> int:
    """PostgreSQL: ``COPY`` the frame (as CSV written by Polars) into a temporary table,
    then insert the rows whose id is new. Returns how many were inserted."""
    columns = list(frame.columns)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {INCOMING} (LIKE {reports.name} INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    copy_sql = f"COPY {INCOMING} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    driver = cast(Any, conn.connection.driver_connection)  # psycopg's connection: COPY is not in DB-API
    with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for batch in frame.iter_slices(max(batch_size, UPSERT_BATCH)):
            # Strings always quoted and nulls bare: COPY csv tells NULL from "".
            copy.write(batch.write_csv(include_header=False, quote_style="non_numeric", null_value=""))
    incoming = table(INCOMING, *(column(name) for name in columns))
    stmt = (
        postgresql.insert(reports)
        .from_select(columns, select(*incoming.c))
        .on_conflict_do_nothing(index_elements=["source", "id"])
    )
    return int(conn.execute(stmt, execution_options={"preserve_rowcount": True}).rowcount)


def _insert_new_reports_sqlite(conn: Connection, frame: pl.DataFrame, batch_size: int) -> int:
    """SQLite: insert the rows whose id is new with the driver's ``executemany`` (row
    tuples straight from Polars, timestamps pre-formatted as SQLAlchemy stores them).
    Returns how many were inserted."""
    frame = frame.with_columns(cs.datetime().dt.convert_time_zone("UTC").dt.strftime(SQLITE_TS))
    columns = ", ".join(frame.columns)
    marks = ", ".join("?" * frame.width)
    sql = f"INSERT INTO {reports.name} ({columns}) VALUES ({marks}) ON CONFLICT (source, id) DO NOTHING"
    cursor = cast(Any, conn.connection.driver_connection).cursor()
    inserted = 0
    try:
        for batch in frame.iter_slices(batch_size):
            cursor.executemany(sql, batch.rows())
            inserted += cursor.rowcount
    finally:
        cursor.close()
    return inserted


def _use_wal(dbapi_conn: sqlite3.Connection) -> None:
    """Put the database file in WAL mode (persistent: later connections find it set).

    Switching needs an exclusive lock and SQLite's busy handler does not wait for
    it, so when several processes create the file at once, retry until the timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            mode = dbapi_conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode in ("wal", "memory"):
                return
            if dbapi_conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.02)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        parent = Path(database).expanduser().resolve().parent
        if not parent.is_dir():
            raise StoreError(f"cannot open database {safe_url(url)}: directory {parent} does not exist")
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transactions out of pysqlite's hands: SQLAlchemy's "begin" event
        # below emits BEGIN (IMMEDIATE for writes), so DDL is transactional too.
        dbapi_conn.isolation_level = None
        _use_wal(dbapi_conn)
        for pragma in ("synchronous=FULL", "foreign_keys=ON"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("firebreak_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _peer_spoke(dbapi_conn: Any) -> bool:
    """Whether an idle connection's socket has something to read (the server closed it,
    e.g. on restart, or sent a notice): a zero-wait check, no round trip."""
    try:
        fd = dbapi_conn.pgconn.socket
    except Exception:  # closed or broken: ask the server to be sure
        return True
    try:
        readable, _, _ = io_select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _postgres_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    if "application_name" not in url.query:
        connect_args["application_name"] = "firebreak"
    engine = create_engine(url, connect_args=connect_args)

    # Pessimistic disconnect handling without a round trip per checkout: a pooled
    # connection is pinged (SELECT 1) only when it idled PG_PING_IDLE_S or more, or when
    # its socket turned readable while idle (a restarted server closes it). A dead one
    # is replaced transparently (DisconnectionError makes the pool reconnect).
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["firebreak_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("firebreak_idle_since", None)
        if since is None or (time.monotonic() - since < PG_PING_IDLE_S and not _peer_spoke(dbapi_conn)):
            return  # fresh from connect, or idle briefly with a quiet socket
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_conn.rollback()  # the ping opened a transaction: hand the connection over idle
        except Exception as exc:
            raise DisconnectionError(f"pooled connection is dead: {_one_line(exc)}") from exc

    return engine


def open_store(url: str, *, upgrade: bool = True) -> Store:
    """Connect to the store at ``url`` and bring its schema to the newest revision.

    ``url`` is a SQLAlchemy URL (``sqlite:///PATH``, ``postgresql://USER@HOST/DB``;
    plain ``postgresql://`` uses psycopg 3) or a bare SQLite file path. With
    ``upgrade=False`` the schema is only verified. Raises :class:`StoreError`
    (one line) for a bad URL, an unreachable database, or a schema this code
    cannot use.
    """
    parsed = parse_db_url(url)
    engine = _sqlite_engine(parsed) if parsed.get_backend_name() == "sqlite" else _postgres_engine(parsed)
    store = Store(engine)
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        store.close()
        raise StoreError(f"cannot open database {store.url}: {_one_line(exc)}") from None
    try:
        if upgrade:
            store.upgrade()
        else:
            store.verify()
    except BaseException:
        store.close()
        raise
    return store
