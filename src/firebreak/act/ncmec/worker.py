"""The reporting worker: drives each escalated case to exactly one finished CyberTipline report.

For one case the flow is ``submit`` -> for each file ``upload`` then
``fileinfo`` -> ``finish``. Each request is written to the ledger before it is
sent and its outcome after, so a worker killed anywhere resumes from the ledger:

- ``submitting`` (the answer to ``/submit`` was lost): the report id is unknown,
  so the report cannot be continued or retracted; the attempt is marked
  ``unknown`` and a new report is submitted. The lost one is never finished, and
  NCMEC deletes unfinished reports (24 hours after opening or one hour after the
  last change), so it never becomes a filed report.
- an ``uploading`` file (the answer to ``/upload`` was lost): the report may hold
  the file without its details, so it is retracted deliberately and the case
  starts again with a fresh report; a report is finished only with every file
  uploaded exactly once and described.
- ``describing`` or ``finishing``: ``/fileinfo`` and ``/finish`` are sent again
  (``5102 already finished`` counts as finished).
- ``retracting``: ``/retract`` is sent again (``5101 already retracted`` counts as done).

Transient failures (1xxx, timeouts, dropped connections) are retried with
exponential backoff; when retries run out the case is released with its error
and the next run resumes it. Permanent failures (2000, 3xxx, 4xxx, 5xxx) put the
case back to a lead with the reason, after retracting any report left open.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import NoReturn, TypeVar

from firebreak.act.ncmec import codes
from firebreak.act.ncmec.cases import EscalatedCase
from firebreak.act.ncmec.client import (
    CyberTiplineClient,
    NcmecError,
    PermanentError,
    RetryPolicy,
    TransientError,
    with_retries,
)
from firebreak.act.ncmec.documents import (
    DocumentError,
    FileHashes,
    Reporter,
    file_details_xml,
    report_xml,
)
from firebreak.act.ncmec.ledger import LeaseLost, Ledger, Submission
from firebreak.act.ncmec.media import MediaError, MediaSource, file_hashes

T = TypeVar("T")


class _Restart(Exception):
    """The current report cannot be completed cleanly; it was dealt with, start a new one."""


class _Returned(Exception):
    """The case went back to a lead."""


@dataclass
class RunSummary:
    """What one :func:`run` did: case ids by outcome."""

    finished: dict[str, int] = field(default_factory=dict)
    returned: dict[str, str] = field(default_factory=dict)
    deferred: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


@dataclass
class Worker:
    """Reports cases from ``ledger`` through ``client``, reading files from ``media``.

    ``hook`` (tests only) is called with a step name (``submit``, ``upload``,
    ``fileinfo``, ``finish``, ``retract``) just before each request is sent and
    with ``STEP.sent`` when its answer arrived but is not yet recorded, e.g. to
    kill the process at a chosen point.
    """

    ledger: Ledger
    client: CyberTiplineClient
    media: MediaSource
    reporter: Reporter
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    hook: Callable[[str], None] | None = None
    max_restarts: int = 5

    def run(self, limit: int | None = None) -> RunSummary:
        """Work every claimable case (at most ``limit``) until it is finished, returned or deferred."""
        summary = RunSummary()
        for case_id in self.ledger.claimable(limit):
            case = self.ledger.claim(case_id)
            if case is None:
                summary.skipped.append(case_id)
                continue
            try:
                summary.finished[case_id] = self.report(case)
            except _Returned as exc:
                summary.returned[case_id] = str(exc)
            except TransientError as exc:
                self.ledger.release(case_id, error=str(exc))
                summary.deferred[case_id] = str(exc)
            except LeaseLost:
                summary.skipped.append(case_id)
        return summary

    # -- one case ----------------------------------------------------------------
    def report(self, case: EscalatedCase) -> int:
        """Drive the claimed ``case`` to a finished report and return its report id.

        Raises :class:`TransientError` when retries ran out or ``max_restarts``
        fresh reports could not be completed (the case stays pending for the
        next run) and ``_Returned`` when the case went back to a lead.
        """
        restarts = 0
        while True:
            try:
                return self._attempt(case)
            except _Restart:
                restarts += 1
                if restarts > self.max_restarts:
                    raise TransientError(
                        "report", codes.SERVER_ERROR, f"{restarts} fresh reports in a row could not be completed",
                        ambiguous=False,
                    ) from None

    def _attempt(self, case: EscalatedCase) -> int:
        sub = self.ledger.active_submission(case.case_id)
        if sub is None:
            sub = self._submit(case)
        if sub.state == "submitting":
            self.ledger.submit_failed(
                case.case_id, sub.id, "unknown", "worker stopped before the answer to /submit was recorded"
            )
            raise _Restart
        if sub.state == "retracting":
            self._retract(case, sub)
        if sub.state == "finishing":
            return self._finish(case, sub)
        assert sub.report_id is not None  # an open submission always has its report id
        self._files(case, sub, sub.report_id)
        self.ledger.begin_finish(case.case_id, sub.id)
        return self._finish(case, sub)

    def _send(self, step: str, call: Callable[[], T], *, retry_ambiguous: bool = True) -> T:
        if self.hook is not None:
            self.hook(step)
        answer = with_retries(call, self.retry, retry_ambiguous=retry_ambiguous)
        if self.hook is not None:
            self.hook(f"{step}.sent")
        return answer

    def _submit(self, case: EscalatedCase) -> Submission:
        try:
            xml = report_xml(case, self.reporter)
        except DocumentError as exc:
            reason = f"report XML breaks the schema: {exc}"
            self.ledger.return_case(case.case_id, reason)
            raise _Returned(reason) from None
        for attempt in range(1, self.retry.attempts + 1):
            sub_id = self.ledger.begin_submit(case.case_id, xml)
            try:
                # A lost answer is not re-sent blindly: the report it may have opened gets its own
                # "unknown" record, and the next try is a new submission.
                answer = self._send("submit", lambda: self.client.submit(xml), retry_ambiguous=False)
                break
            except PermanentError as exc:
                self.ledger.submit_failed(case.case_id, sub_id, "rejected", str(exc))
                self.ledger.return_case(case.case_id, f"NCMEC refused the report: {exc}")
                raise _Returned(str(exc)) from None
            except TransientError as exc:
                if not exc.ambiguous:
                    self.ledger.submit_failed(case.case_id, sub_id, "rejected", f"not opened: {exc}")
                    raise
                self.ledger.submit_failed(case.case_id, sub_id, "unknown", str(exc))
                if attempt == self.retry.attempts:
                    raise
                time.sleep(min(self.retry.initial_s * 2**attempt, self.retry.maximum_s))
        else:  # pragma: no cover - the loop always breaks or raises
            raise AssertionError("unreachable")
        report_id = answer.report_id
        if report_id is None:
            self.ledger.submit_failed(case.case_id, sub_id, "unknown", "answer without a report id")
            raise _Restart
        self.ledger.submitted(case.case_id, sub_id, report_id)
        active = self.ledger.active_submission(case.case_id)
        assert active is not None
        return active

    def _files(self, case: EscalatedCase, sub: Submission, report_id: int) -> None:
        rows = self.ledger.files(sub.id)
        for position, file in enumerate(case.files):
            row = rows.get(position)
            if row is not None and row.state == "uploading":
                self._abandon(case, sub, "worker stopped before the answer to /upload was recorded")
            if row is None:
                try:
                    data = self.media.read(file.ref)
                except MediaError as exc:
                    self._give_up(case, sub, f"file {file.ref}: {exc}")
                hashes = file_hashes(data)
                self.ledger.begin_upload(case.case_id, sub.id, position, file.ref, hashes.md5, hashes.pdq)
                name = file.name or file.ref.rsplit("/", 1)[-1]
                try:
                    answer = self._send(
                        "upload", partial(self.client.upload, report_id, name, data), retry_ambiguous=False
                    )
                except TransientError as exc:
                    if exc.ambiguous:
                        self._abandon(case, sub, f"answer to /upload lost: {exc}")
                    self.ledger.upload_not_sent(case.case_id, sub.id, position, str(exc))
                    raise
                except PermanentError as exc:
                    self._failed(case, sub, exc)
                file_id, server_md5 = answer.file_id, answer.hash
                if not file_id:
                    self._abandon(case, sub, f"upload of {file.ref} answered without a file id")
                self.ledger.uploaded(case.case_id, sub.id, position, file_id, server_md5)
                if server_md5 is not None and server_md5.lower() != hashes.md5:
                    self._abandon(case, sub, f"upload of {file.ref} arrived damaged (MD5 {server_md5})")
                row = self.ledger.files(sub.id)[position]
            if row.state in ("uploaded", "describing"):
                hashes = FileHashes(md5=row.md5, pdq=row.pdq)
                assert row.file_id is not None
                try:
                    details = file_details_xml(report_id, row.file_id, file, hashes)
                except DocumentError as exc:
                    self._give_up(case, sub, f"file details for {file.ref} break the schema: {exc}")
                self.ledger.begin_fileinfo(case.case_id, sub.id, position, details)
                try:
                    self._send("fileinfo", partial(self.client.fileinfo, details))
                except PermanentError as exc:
                    self._failed(case, sub, exc)
                self.ledger.described(case.case_id, sub.id, position)

    def _finish(self, case: EscalatedCase, sub: Submission) -> int:
        assert sub.report_id is not None
        report_id = sub.report_id
        try:
            answer = self._send("finish", lambda: self.client.finish(report_id))
            file_ids = list(answer.file_ids)
        except PermanentError as exc:
            if exc.code != codes.REPORT_ALREADY_FINISHED:
                self._failed(case, sub, exc)
            file_ids = [r.file_id for r in self.ledger.files(sub.id).values() if r.file_id]
        self.ledger.finished(case.case_id, sub.id, report_id, file_ids)
        return report_id

    # -- when a report cannot be completed -----------------------------------------
    def _failed(self, case: EscalatedCase, sub: Submission, exc: NcmecError) -> NoReturn:
        """A permanent error on an open report: expired reports restart, anything else goes to a lead."""
        if exc.code == codes.REPORT_DOES_NOT_EXIST:
            self.ledger.expired(case.case_id, sub.id, str(exc))
            raise _Restart
        self._give_up(case, sub, f"NCMEC refused {exc.endpoint}: {exc}")

    def _give_up(self, case: EscalatedCase, sub: Submission, reason: str) -> NoReturn:
        self.ledger.begin_retract(case.case_id, sub.id, reason, then="return")
        self._retract(case, sub)

    def _abandon(self, case: EscalatedCase, sub: Submission, reason: str) -> NoReturn:
        self.ledger.begin_retract(case.case_id, sub.id, reason, then="restart")
        self._retract(case, sub)

    def _retract(self, case: EscalatedCase, sub: Submission) -> NoReturn:
        """Send ``/retract`` for ``sub`` (already recorded as retracting), then restart or return the case."""
        current = next(s for s in self.ledger.submissions(case.case_id) if s.id == sub.id)
        assert current.report_id is not None
        report_id = current.report_id
        try:
            self._send("retract", lambda: self.client.retract(report_id))
        except PermanentError as exc:
            if exc.code not in (codes.REPORT_ALREADY_RETRACTED, codes.REPORT_DOES_NOT_EXIST):
                reason = f"report {report_id} could not be retracted: {exc}"
                self.ledger.return_case(case.case_id, reason)
                raise _Returned(reason) from None
        self.ledger.retracted(case.case_id, sub.id)
        if current.after_retract == "return":
            self.ledger.return_case(case.case_id, current.reason or "retracted")
            raise _Returned(current.reason or "retracted")
        raise _Restart
