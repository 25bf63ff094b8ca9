"""Report intake that never loses a report.

:func:`submit_report` validates one report (a :class:`ReportIn`), stores it
and queues it for routing in ONE committed transaction, and only then returns:
a caller that got an answer may acknowledge the report. Intake is idempotent
on ``(source, id)``: the same report again returns the stored record with
``created=False`` and changes nothing. A malformed report raises
:class:`~firebreak.errors.ReportError` naming the field, before anything is
written. :func:`submit_reports` does the same for a batch, all or nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, select, tuple_

from firebreak.act.queue import DEFAULT_MAX_ATTEMPTS, now, priority_boost
from firebreak.errors import ReportError
from firebreak.store import Store
from firebreak.store.schema import reports

#: reasons a report may give (the snapshot format's vocabulary).
REASONS = ("child_safety", "nudity", "spam", "harassment", "other")
#: reasons that mean minors may be involved (they raise the item's priority).
MINOR_REASONS = frozenset({"child_safety"})
MAX_TEXT = 10_000


class ReportIn(BaseModel):
    """A report as a platform sends it (the API's ``POST /v1/reports`` body).

    ``id`` is the platform's report id (unique within one ``source``);
    ``target`` the reported account (or post, with ``target_kind="post"``).
    Unknown fields are refused, so a typo is an error, not a silent drop.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    id: str = Field(min_length=1, max_length=200)
    reporter: str | None = Field(default=None, max_length=200)
    target: str = Field(min_length=1, max_length=200)
    target_kind: Literal["account", "post"] = "account"
    reason: Literal["child_safety", "nudity", "spam", "harassment", "other"]
    created_at: datetime
    text: str | None = Field(default=None, max_length=MAX_TEXT)

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a timezone (e.g. 2026-12-01T10:00:00Z)")
        return value


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A stored report and where it stands (``state``: queued, in_review, actioned, dismissed, failed)."""

    source: str
    id: str
    reporter: str | None
    target_kind: str | None
    target: str
    reason: str | None
    text: str | None
    created_at: datetime | None
    received_at: datetime
    state: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (timestamps as ISO 8601)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in self.__slots__}
        for key in ("created_at", "received_at"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return out


RECORD_COLUMNS = tuple(reports.c[name] for name in ReportRecord.__slots__)


def parse_report(payload: Mapping[str, Any] | ReportIn, *, where: str = "report") -> ReportIn:
    """Validate ``payload`` into a :class:`ReportIn`; raises :class:`ReportError` naming every bad field."""
    if isinstance(payload, ReportIn):
        return payload
    if not isinstance(payload, Mapping):
        raise ReportError(f"{where}: expected a JSON object, got {type(payload).__name__}")
    try:
        return ReportIn.model_validate(dict(payload))
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}" for err in exc.errors()
        )
        raise ReportError(f"{where}: {problems}") from None


def _check_source(source: str) -> str:
    if not isinstance(source, str) or not source.strip():
        raise ReportError("field source: must be a non-empty string (the platform or snapshot that sent it)")
    if SUBJECT_SEP in source:
        raise ReportError("field source: must not contain the control character U+001F")
    return source.strip()


#: separates source and id in a report's work item subject (refused inside a source).
SUBJECT_SEP = "\x1f"


def work_subject(source: str, report_id: str) -> str:
    """The work item subject naming report ``(source, report_id)``."""
    return f"{source}{SUBJECT_SEP}{report_id}"


def parse_subject(subject: str) -> tuple[str, str]:
    """Inverse of :func:`work_subject`."""
    source, _, report_id = subject.partition(SUBJECT_SEP)
    return source, report_id


#: PostgreSQL: a batch of reports and their work items in ONE statement (arrays unnested
#: server-side): the reports not stored yet are inserted, and a work item is queued for
#: exactly those (in batch order); returns the ids that were new. The arrays travel in
#: binary (``%b``): no per-element quoting.
_PG_INTAKE = """
WITH v AS (
    SELECT * FROM unnest(%(ids)b::text[], %(reporters)b::text[], %(target_kinds)b::text[], %(targets)b::text[],
                         %(reasons)b::text[], %(texts)b::text[], %(created)b::timestamptz[], %(boosts)b::float8[])
        WITH ORDINALITY AS v(id, reporter, target_kind, target, reason, text, created_at, boost_s, ord)
), new AS (
    INSERT INTO reports (source, id, reporter, target_kind, target, reason, text, created_at, received_at,
                         updated_at, state, attempts)
    SELECT %(source)s, id, reporter, target_kind, target, reason, text, created_at, %(t)s, %(t)s, 'queued', 0
    FROM v
    ON CONFLICT (source, id) DO NOTHING
    RETURNING id
), queued AS (
    INSERT INTO work_items (kind, subject, state, due_at, boost_s, available_at, attempts, max_attempts,
                            created_at, updated_at)
    SELECT 'report', %(source)s || %(sep)s || v.id, 'ready', %(t)s - make_interval(secs => v.boost_s), v.boost_s,
           %(t)s, 0, %(max_attempts)s, %(t)s, %(t)s
    FROM new JOIN v ON v.id = new.id
    ORDER BY v.ord
    ON CONFLICT (kind, subject) DO NOTHING
)
SELECT id FROM new
"""
_REPORT_COLUMNS = ("source", "id", "reporter", "target_kind", "target", "reason", "text", "created_at",
                   "received_at", "updated_at", "state", "attempts")
_ITEM_COLUMNS = ("kind", "subject", "state", "due_at", "boost_s", "available_at", "attempts", "max_attempts",
                 "created_at", "updated_at")
_SQLITE_NEW_REPORTS = (f"INSERT INTO reports ({', '.join(_REPORT_COLUMNS)}) "
                       f"VALUES ({', '.join('?' * len(_REPORT_COLUMNS))}) ON CONFLICT (source, id) DO NOTHING")
_SQLITE_NEW_ITEMS = (f"INSERT INTO work_items ({', '.join(_ITEM_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(_ITEM_COLUMNS))}) ON CONFLICT (kind, subject) DO NOTHING")
_SQLITE_STORED = "SELECT id FROM reports WHERE source = ? AND id IN (SELECT value FROM json_each(?))"


def _sqlite_ts(value: datetime) -> str:
    """``value`` as SQLAlchemy's DateTime stores it in SQLite (UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _boost(r: ReportIn) -> float:
    return priority_boost(0.0, r.reason in MINOR_REASONS)


def _store_new(conn: Connection, store: Store, source: str, parsed: Sequence[ReportIn], t: datetime) -> set[str]:
    """Insert the reports not stored yet and queue them (caller's transaction); returns the ids that were new."""
    if store.dialect == "postgresql":
        params = {
            "source": source, "sep": SUBJECT_SEP, "t": t, "max_attempts": DEFAULT_MAX_ATTEMPTS,
            "ids": [r.id for r in parsed], "reporters": [r.reporter for r in parsed],
            "target_kinds": [r.target_kind for r in parsed], "targets": [r.target for r in parsed],
            "reasons": [r.reason for r in parsed], "texts": [r.text for r in parsed],
            "created": [r.created_at for r in parsed], "boosts": [_boost(r) for r in parsed],
        }
        return {row[0] for row in store.run_in(conn, _PG_INTAKE, params)}
    # SQLite: this transaction holds the database's only write lock (BEGIN IMMEDIATE), so
    # the ids read here stay the stored ones until it commits; the driver's executemany
    # then inserts the rest (ON CONFLICT kept as a guard).
    cursor = cast(Any, conn.connection.driver_connection).cursor()
    try:
        stored = {row[0] for row in cursor.execute(_SQLITE_STORED, (source, json.dumps([r.id for r in parsed])))}
        fresh = [r for r in parsed if r.id not in stored]
        stamp = _sqlite_ts(t)
        cursor.executemany(_SQLITE_NEW_REPORTS, [
            (source, r.id, r.reporter, r.target_kind, r.target, r.reason, r.text, _sqlite_ts(r.created_at),
             stamp, stamp, "queued", 0)
            for r in fresh
        ])
        items = []
        for r in fresh:
            boost = _boost(r)
            due = _sqlite_ts(t - timedelta(seconds=boost)) if boost else stamp
            items.append(("report", work_subject(source, r.id), "ready", due, boost, stamp, 0, DEFAULT_MAX_ATTEMPTS,
                          stamp, stamp))
        cursor.executemany(_SQLITE_NEW_ITEMS, items)
    finally:
        cursor.close()
    return {r.id for r in fresh}


def submit_report(
    store: Store, source: str, payload: Mapping[str, Any] | ReportIn
) -> tuple[ReportRecord, bool]:
    """Store and queue one report; returns ``(stored record, created)``.

    Returns only after the transaction committed (safe to acknowledge).
    ``created`` is False when ``(source, id)`` was already stored: the stored
    record is returned unchanged. Raises :class:`ReportError` (naming the field)
    for a malformed report, with nothing stored.
    """
    source = _check_source(source)
    report = parse_report(payload)
    with store.transaction() as conn:
        created = bool(_store_new(conn, store, source, [report], now()))
        record = _fetch(conn, source, report.id)
    if record is None:  # pragma: no cover - committed above
        raise ReportError(f"report {source}/{report.id} vanished after commit")
    return record, created


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What :func:`submit_reports` did: ids stored new, ids already there."""

    new: list[str]
    existing: list[str]


def submit_reports(store: Store, source: str, payloads: Sequence[Mapping[str, Any] | ReportIn]) -> IntakeResult:
    """Store and queue a batch of reports from ``source`` in one transaction (all or nothing).

    Every report is validated first: one malformed report raises
    :class:`ReportError` naming its position and field, and nothing is stored.
    Ids repeated inside the batch count once (the first wins).
    """
    source = _check_source(source)
    parsed = [parse_report(p, where=f"report #{i}") for i, p in enumerate(payloads)]
    unique: dict[str, ReportIn] = {}
    for r in parsed:
        unique.setdefault(r.id, r)
    with store.transaction() as conn:
        new = _store_new(conn, store, source, list(unique.values()), now()) if unique else set()
    return IntakeResult(new=[i for i in unique if i in new], existing=[i for i in unique if i not in new])


def _fetch(conn: Connection, source: str, report_id: str) -> ReportRecord | None:
    row = conn.execute(
        select(*RECORD_COLUMNS).where(reports.c.source == source, reports.c.id == report_id)
    ).mappings().one_or_none()
    return ReportRecord(**row) if row is not None else None


def get_report(store: Store, source: str, report_id: str) -> ReportRecord | None:
    """The stored report ``(source, report_id)``, or ``None``."""
    with store.connection() as conn:
        return _fetch(conn, source, report_id)


def get_reports(store: Store, keys: Sequence[tuple[str, str]]) -> list[ReportRecord]:
    """The stored reports among ``keys`` (``(source, id)`` pairs), in no particular order."""
    if not keys:
        return []
    with store.connection() as conn:
        rows = conn.execute(
            select(*RECORD_COLUMNS).where(tuple_(reports.c.source, reports.c.id).in_(list(keys)))
        ).mappings()
        return [ReportRecord(**row) for row in rows]
