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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, select, tuple_

from firebreak.act.queue import enqueue_in, now, priority_boost
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


def _rows(source: str, parsed: Sequence[ReportIn], t: datetime) -> list[dict[str, Any]]:
    return [
        {
            "source": source, "id": r.id, "reporter": r.reporter, "target_kind": r.target_kind,
            "target": r.target, "reason": r.reason, "text": r.text, "created_at": r.created_at,
            "received_at": t, "updated_at": t, "state": "queued", "attempts": 0,
        }
        for r in parsed
    ]


def _store_new(conn: Connection, store: Store, source: str, parsed: Sequence[ReportIn], t: datetime) -> set[str]:
    """Insert the reports not stored yet and queue them; returns the ids that were new."""
    new = set(store.bulk_insert(conn, reports, _rows(source, parsed, t), conflict=("source", "id"), returning="id"))
    fresh = [r for r in parsed if r.id in new]
    enqueue_in(
        conn, store, "report", [work_subject(source, r.id) for r in fresh],
        boosts=[priority_boost(0.0, r.reason in MINOR_REASONS) for r in fresh], at=t,
    )
    return new


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
