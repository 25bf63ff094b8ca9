"""``/v1/reports``: report intake and report status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status

from firebreak.api.auth import PROTECTED, Principal, require
from firebreak.api.deps import Services, services
from firebreak.api.models import ReportAccepted, ReportIn, ReportOut
from firebreak.errors import ReportError

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=PROTECTED)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReportAccepted | ReportOut,
    responses={200: {"model": ReportOut, "description": "Already stored: the stored record."}},
)
def submit_report(
    report: ReportIn,
    response: Response,
    who: Annotated[Principal, Depends(require("reports:submit"))],
    svc: Annotated[Services, Depends(services)],
) -> ReportAccepted | ReportOut:
    """Store a report; 202 once durably committed, 200 with the stored record if the id is known."""
    try:
        created, record = svc.intake.submit(report.model_dump(), source=who.name or "api")
    except ReportError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    if created:
        return ReportAccepted(id=record["id"], status=record["status"])
    response.status_code = status.HTTP_200_OK
    return ReportOut(**record)


@router.get("/{report_id:path}", response_model=ReportOut, responses={404: {"description": "No such report."}})
def get_report(
    report_id: str,
    who: Annotated[Principal, Depends(require("reports:read"))],
    svc: Annotated[Services, Depends(services)],
) -> ReportOut:
    """A stored report and its status in the queue (the caller's own report first, if it sent one)."""
    record = svc.intake.get(report_id, source=who.name or "api")
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report {report_id!r}")
    return ReportOut(**record)
