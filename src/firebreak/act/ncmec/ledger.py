"""The reporting ledger: every CyberTipline step, recorded in the store before and after it is sent.

Three tables (``store/schema.py``): ``ncmec_cases`` (one row per escalated case,
with its lease and, once filed, its report id), ``ncmec_submissions`` (each
attempt at a report: the XML as sent, the report id, its state) and
``ncmec_files`` (each uploaded file: hashes, file id, the details as sent).
Every method below is one committed transaction that also appends an
``ncmec.*`` entry to the store's append-only audit log, and that first renews
this worker's lease on the case (raising :class:`LeaseLost` if another worker
holds it), so two workers never drive the same case.

A worker writes ``begin_*`` before a request and the matching outcome after
it; a process killed in between leaves the ``*ing`` state behind, which tells
the next worker exactly which request's answer was lost (see
:mod:`firebreak.act.ncmec.worker`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, delete, func, insert, or_, select, update

from firebreak.act.ncmec.cases import EscalatedCase
from firebreak.errors import FirebreakError, StoreError
from firebreak.store import Store
from firebreak.store.schema import ncmec_cases, ncmec_files, ncmec_submissions

SUBJECT = "ncmec_case"
#: submission states in which a report may be open on the server and needs this worker's attention.
ACTIVE = ("submitting", "open", "finishing", "retracting")
#: columns of :meth:`Ledger.cases`.
CASE_ROWS = pl.Schema(
    [
        ("case_id", pl.String()),
        ("network_id", pl.String()),
        ("state", pl.String()),
        ("report_id", pl.Int64()),
        ("attempts", pl.Int64()),
        ("last_error", pl.String()),
        ("claimed_by", pl.String()),
        ("submissions", pl.Int64()),
        ("updated_at", pl.Datetime("us", "UTC")),
    ]
)


class LeaseLost(FirebreakError):
    """Another worker holds the case (this worker's lease expired and was taken over)."""


@dataclass(frozen=True, slots=True)
class Submission:
    """One attempt at a report, as the ledger holds it."""

    id: int
    case_id: str
    state: str
    report_id: int | None
    report_xml: str
    after_retract: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class FileRow:
    """One file of a submission, as the ledger holds it."""

    position: int
    file_ref: str
    state: str
    md5: str
    pdq: str | None
    file_id: str | None
    server_md5: str | None
    details_xml: str | None


def _now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """The NCMEC tables of ``store``, driven by one worker (``worker`` names it in leases and the audit log).

    ``lease`` is how long a claim lasts without a step; a restarted worker with
    the same name resumes its own cases at once, another worker only after the lease.
    """

    def __init__(self, store: Store, worker: str, *, lease: timedelta = timedelta(minutes=5)) -> None:
        self.store = store
        self.worker = worker
        self.lease = lease

    # -- cases -------------------------------------------------------------------
    def escalate(self, case: EscalatedCase, *, actor: str) -> bool:
        """Record ``case`` as pending a report; returns ``False`` if its id is already known (no change)."""
        now = _now()
        with self.store._write() as conn:
            known = conn.execute(select(ncmec_cases.c.case_id).where(ncmec_cases.c.case_id == case.case_id))
            if known.first() is not None:
                return False
            conn.execute(
                insert(ncmec_cases).values(
                    case_id=case.case_id,
                    network_id=case.network_id,
                    case_json=case.to_json(),
                    state="pending",
                    created_at=now,
                    updated_at=now,
                )
            )
            detail = {"network": case.network_id, "files": len(case.files), "reported": case.reported.id}
            Store._append(conn, actor, "ncmec.case.escalated", SUBJECT, case.case_id, detail, now)
        return True

    def claimable(self, limit: int | None = None) -> list[str]:
        """Ids of unfinished cases this worker may claim now (oldest first)."""
        now = _now()
        query = (
            select(ncmec_cases.c.case_id)
            .where(ncmec_cases.c.state.in_(("pending", "working")), self._free(now))
            .order_by(ncmec_cases.c.created_at, ncmec_cases.c.case_id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.store._read() as conn:
            return [row[0] for row in conn.execute(query)]

    def _free(self, now: datetime) -> Any:
        return or_(
            ncmec_cases.c.claimed_by.is_(None),
            ncmec_cases.c.claimed_by == self.worker,
            ncmec_cases.c.lease_until < now,
        )

    def claim(self, case_id: str) -> EscalatedCase | None:
        """Take the lease on ``case_id`` and return the case, or ``None`` if it is finished, returned or held."""
        now = _now()
        stmt = (
            update(ncmec_cases)
            .where(
                ncmec_cases.c.case_id == case_id,
                ncmec_cases.c.state.in_(("pending", "working")),
                self._free(now),
            )
            .values(state="working", claimed_by=self.worker, lease_until=now + self.lease, updated_at=now)
            .returning(ncmec_cases.c.case_json)
        )
        with self.store._write() as conn:
            row = conn.execute(stmt).first()
            if row is None:
                return None
            Store._append(conn, self.worker, "ncmec.case.claimed", SUBJECT, case_id, {}, now)
        return EscalatedCase.from_json(dict(row[0]))

    def release(self, case_id: str, *, error: str | None = None) -> None:
        """Give the lease back; with ``error``, count a failed run and keep the error for ``status``."""
        now = _now()
        values: dict[str, Any] = {"claimed_by": None, "lease_until": None, "updated_at": now}
        if error is not None:
            values |= {"attempts": ncmec_cases.c.attempts + 1, "last_error": error, "state": "pending"}
        stmt = update(ncmec_cases).where(
            ncmec_cases.c.case_id == case_id,
            ncmec_cases.c.claimed_by == self.worker,
            ncmec_cases.c.state.in_(("pending", "working")),
        )
        with self.store._write() as conn:
            if conn.execute(stmt.values(**values)).rowcount and error is not None:
                Store._append(conn, self.worker, "ncmec.case.deferred", SUBJECT, case_id, {"error": error}, now)

    def _hold(self, conn: Connection, case_id: str, now: datetime) -> None:
        """Renew this worker's lease on ``case_id`` inside ``conn``'s transaction, or raise :class:`LeaseLost`."""
        stmt = (
            update(ncmec_cases)
            .where(
                ncmec_cases.c.case_id == case_id,
                ncmec_cases.c.claimed_by == self.worker,
                ncmec_cases.c.state == "working",
            )
            .values(lease_until=now + self.lease, updated_at=now)
        )
        if conn.execute(stmt).rowcount != 1:
            raise LeaseLost(f"case {case_id} is no longer leased to worker {self.worker}")

    def _step(self, conn: Connection, case_id: str, action: str, detail: dict[str, Any], now: datetime) -> None:
        self._hold(conn, case_id, now)
        Store._append(conn, self.worker, f"ncmec.{action}", SUBJECT, case_id, detail, now)

    def return_case(self, case_id: str, reason: str) -> None:
        """Put the case back to a lead: state ``returned`` with ``reason`` (a permanent failure)."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "case.returned", {"reason": reason}, now)
            conn.execute(
                update(ncmec_cases)
                .where(ncmec_cases.c.case_id == case_id)
                .values(state="returned", last_error=reason, claimed_by=None, lease_until=None, updated_at=now)
            )

    # -- submissions -------------------------------------------------------------
    def active_submission(self, case_id: str) -> Submission | None:
        """The case's submission that still needs work (at most one exists), or ``None``."""
        query = select(ncmec_submissions).where(
            ncmec_submissions.c.case_id == case_id, ncmec_submissions.c.state.in_(ACTIVE)
        )
        with self.store._read() as conn:
            rows = conn.execute(query.order_by(ncmec_submissions.c.id)).mappings().all()
        if len(rows) > 1:  # pragma: no cover - begin_submit refuses to create a second
            raise StoreError(f"case {case_id} has {len(rows)} active submissions")
        return _submission(rows[0]) if rows else None

    def submissions(self, case_id: str) -> list[Submission]:
        """Every submission of the case, oldest first."""
        query = select(ncmec_submissions).where(ncmec_submissions.c.case_id == case_id)
        with self.store._read() as conn:
            return [_submission(r) for r in conn.execute(query.order_by(ncmec_submissions.c.id)).mappings()]

    def begin_submit(self, case_id: str, report_xml: bytes) -> int:
        """Record that ``report_xml`` is about to be submitted; returns the new submission's id."""
        now = _now()
        text = report_xml.decode("utf-8")
        with self.store._write() as conn:
            self._hold(conn, case_id, now)
            active = conn.execute(
                select(func.count())
                .select_from(ncmec_submissions)
                .where(ncmec_submissions.c.case_id == case_id, ncmec_submissions.c.state.in_(ACTIVE))
            ).scalar_one()
            if active:
                raise StoreError(f"case {case_id} already has an active submission")
            sub_id: int = conn.execute(
                insert(ncmec_submissions)
                .values(case_id=case_id, state="submitting", report_xml=text, created_at=now, updated_at=now)
                .returning(ncmec_submissions.c.id)
            ).scalar_one()
            Store._append(
                conn, self.worker, "ncmec.submit.sending", SUBJECT, case_id, {"submission": sub_id}, now
            )
        return int(sub_id)

    def _set(self, conn: Connection, sub_id: int, now: datetime, **values: Any) -> None:
        conn.execute(
            update(ncmec_submissions).where(ncmec_submissions.c.id == sub_id).values(updated_at=now, **values)
        )

    def submitted(self, case_id: str, sub_id: int, report_id: int) -> None:
        """The server opened report ``report_id`` for the submission."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "submit.sent", {"submission": sub_id, "report_id": report_id}, now)
            self._set(conn, sub_id, now, state="open", report_id=report_id)

    def submit_failed(self, case_id: str, sub_id: int, state: str, reason: str) -> None:
        """The submit was refused (``rejected``) or its answer was lost for good (``unknown``)."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, f"submit.{state}", {"submission": sub_id, "reason": reason}, now)
            self._set(conn, sub_id, now, state=state, reason=reason)

    def expired(self, case_id: str, sub_id: int, reason: str) -> None:
        """The server no longer knows the open report (unfinished reports expire)."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "report.expired", {"submission": sub_id, "reason": reason}, now)
            self._set(conn, sub_id, now, state="expired", reason=reason)

    def begin_finish(self, case_id: str, sub_id: int) -> None:
        """Record that ``/finish`` is about to be sent."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "finish.sending", {"submission": sub_id}, now)
            self._set(conn, sub_id, now, state="finishing")

    def finished(self, case_id: str, sub_id: int, report_id: int, file_ids: list[str]) -> None:
        """The report is filed: the submission and the case are finished, the case keeps ``report_id``."""
        now = _now()
        with self.store._write() as conn:
            detail = {"submission": sub_id, "report_id": report_id, "file_ids": file_ids}
            self._step(conn, case_id, "finish.sent", detail, now)
            self._set(conn, sub_id, now, state="finished", file_ids=file_ids)
            conn.execute(
                update(ncmec_cases)
                .where(ncmec_cases.c.case_id == case_id)
                .values(
                    state="finished", report_id=report_id, last_error=None,
                    claimed_by=None, lease_until=None, updated_at=now,
                )
            )

    def begin_retract(self, case_id: str, sub_id: int, reason: str, *, then: str) -> None:
        """Record that ``/retract`` is about to be sent, why, and what follows (``restart`` or ``return``)."""
        if then not in ("restart", "return"):
            raise ValueError(f"then must be 'restart' or 'return', not {then!r}")
        now = _now()
        with self.store._write() as conn:
            detail = {"submission": sub_id, "reason": reason, "then": then}
            self._step(conn, case_id, "retract.sending", detail, now)
            self._set(conn, sub_id, now, state="retracting", reason=reason, after_retract=then)

    def retracted(self, case_id: str, sub_id: int) -> None:
        """The report is retracted."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "retract.sent", {"submission": sub_id}, now)
            self._set(conn, sub_id, now, state="retracted")

    # -- files -------------------------------------------------------------------
    def files(self, sub_id: int) -> dict[int, FileRow]:
        """The submission's files by position."""
        query = select(ncmec_files).where(ncmec_files.c.submission_id == sub_id)
        with self.store._read() as conn:
            rows = conn.execute(query).mappings().all()
        return {
            int(r["position"]): FileRow(
                position=int(r["position"]), file_ref=r["file_ref"], state=r["state"], md5=r["md5"],
                pdq=r["pdq"], file_id=r["file_id"], server_md5=r["server_md5"], details_xml=r["details_xml"],
            )
            for r in rows
        }

    def begin_upload(
        self, case_id: str, sub_id: int, position: int, file_ref: str, md5: str, pdq: str | None
    ) -> None:
        """Record that file ``file_ref`` (with its hashes) is about to be uploaded."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "upload.sending", {"submission": sub_id, "file": file_ref, "md5": md5}, now)
            conn.execute(
                insert(ncmec_files).values(
                    submission_id=sub_id, position=position, file_ref=file_ref, state="uploading",
                    md5=md5, pdq=pdq, updated_at=now,
                )
            )

    def upload_not_sent(self, case_id: str, sub_id: int, position: int, reason: str) -> None:
        """The upload certainly did not reach the server: forget it so the next run sends it again."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "upload.not_sent", {"submission": sub_id, "position": position, "reason": reason}, now)
            conn.execute(
                delete(ncmec_files).where(
                    ncmec_files.c.submission_id == sub_id, ncmec_files.c.position == position
                )
            )

    def uploaded(self, case_id: str, sub_id: int, position: int, file_id: str, server_md5: str | None) -> None:
        """The server stored the file as ``file_id`` and answered its MD5."""
        now = _now()
        with self.store._write() as conn:
            detail = {"submission": sub_id, "position": position, "file_id": file_id, "md5": server_md5}
            self._step(conn, case_id, "upload.sent", detail, now)
            self._set_file(conn, sub_id, position, now, state="uploaded", file_id=file_id, server_md5=server_md5)

    def begin_fileinfo(self, case_id: str, sub_id: int, position: int, details_xml: bytes) -> None:
        """Record the ``fileDetails`` document about to be sent."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "fileinfo.sending", {"submission": sub_id, "position": position}, now)
            self._set_file(
                conn, sub_id, position, now, state="describing", details_xml=details_xml.decode("utf-8")
            )

    def described(self, case_id: str, sub_id: int, position: int) -> None:
        """The server accepted the file's details."""
        now = _now()
        with self.store._write() as conn:
            self._step(conn, case_id, "fileinfo.sent", {"submission": sub_id, "position": position}, now)
            self._set_file(conn, sub_id, position, now, state="described")

    @staticmethod
    def _set_file(conn: Connection, sub_id: int, position: int, now: datetime, **values: Any) -> None:
        conn.execute(
            update(ncmec_files)
            .where(ncmec_files.c.submission_id == sub_id, ncmec_files.c.position == position)
            .values(updated_at=now, **values)
        )

    # -- reading -----------------------------------------------------------------
    def cases(self, state: str | None = None) -> pl.DataFrame:
        """Every escalated case (only ``state`` if given) with its report id and submission count,
        as a frame with columns :data:`CASE_ROWS`, oldest first."""
        count = (
            select(func.count())
            .select_from(ncmec_submissions)
            .where(ncmec_submissions.c.case_id == ncmec_cases.c.case_id)
            .scalar_subquery()
        )
        query = select(*(ncmec_cases.c[n] for n in CASE_ROWS if n != "submissions"), count.label("submissions"))
        if state is not None:
            query = query.where(ncmec_cases.c.state == state)
        query = query.order_by(ncmec_cases.c.created_at, ncmec_cases.c.case_id)
        with self.store._read() as conn:
            rows = conn.execute(query).mappings().all()
        return pl.from_dicts([dict(r) for r in rows], schema=CASE_ROWS) if rows else pl.DataFrame(schema=CASE_ROWS)


def _submission(row: Any) -> Submission:
    return Submission(
        id=int(row["id"]),
        case_id=row["case_id"],
        state=row["state"],
        report_id=row["report_id"],
        report_xml=row["report_xml"],
        after_retract=row["after_retract"],
        reason=row["reason"],
    )
