"""``/v1/scan``, ``/v1/accounts/{id}/evidence`` and ``/v1/audit``: what the scan found and who did what."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError

from firebreak.api.auth import PROTECTED, Principal, require
from firebreak.api.deps import Services, services
from firebreak.api.models import AuditOut, EvidenceOut, NetworkOut, ScanOut
from firebreak.api.services import CaseNotFound

router = APIRouter(prefix="/v1", tags=["scan"], responses=PROTECTED)


def scan_summary(svc: Services) -> ScanOut:
    """The scan in force, counted."""
    state = svc.scans.current()
    if state is None:
        return ScanOut(
            directory=None if svc.scans.directory is None else str(svc.scans.directory),
            version=None, loaded_at=None, accounts=0, sellers=0, buyers=0, networks=0, terms=0,
            last_error=svc.scans.last_error,
        )
    roles = state.results.scores.get_column("role")
    return ScanOut(
        directory=str(state.directory),
        version=state.version,
        loaded_at=state.loaded_at,
        accounts=state.results.scores.height,
        sellers=int((roles == "seller").sum()),
        buyers=int((roles == "buyer").sum()),
        networks=state.networks.height,
        terms=state.results.terms.height,
        last_error=svc.scans.last_error,
    )


@router.get("/scan", response_model=ScanOut)
def get_scan(
    _: Annotated[Principal, Depends(require("scan:read"))], svc: Annotated[Services, Depends(services)]
) -> ScanOut:
    """The scan in force: folder, version, when loaded, counts, and the last reload error if any."""
    return scan_summary(svc)


@router.get("/scan/networks", response_model=list[NetworkOut])
def get_networks(
    _: Annotated[Principal, Depends(require("scan:read"))], svc: Annotated[Services, Depends(services)]
) -> list[NetworkOut]:
    """The networks of the scan in force."""
    state = svc.scans.current()
    if state is None:
        return []
    nets = state.networks
    cols = [c for c in ("id", "members", "risk", "sellers", "buyers", "unique_followers") if c in nets.columns]
    return [NetworkOut.model_validate({"risk": None, "sellers": None, "buyers": None, "unique_followers": None, **r})
            for r in nets.select(cols).with_columns(pl.col("members").fill_null([])).iter_rows(named=True)]


@router.get("/accounts/{account}/evidence", response_model=EvidenceOut, responses={404: {"description": "Unknown."}})
def get_evidence(
    account: str,
    _: Annotated[Principal, Depends(require("scan:read"))],
    svc: Annotated[Services, Depends(services)],
) -> EvidenceOut:
    """An account's evidence, with its original texts and the lexicon's matched spans."""
    try:
        return EvidenceOut(**svc.cases.account_evidence(account))
    except CaseNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.get("/audit", response_model=list[AuditOut])
def get_audit(
    _: Annotated[Principal, Depends(require("audit:read"))],
    svc: Annotated[Services, Depends(services)],
    subject_kind: str | None = None,
    subject: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    since: Annotated[str | None, Query(description="RFC 3339 date-time", json_schema_extra={"format": "date-time"})] = None,
    after_id: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,  # the store's integer range
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[AuditOut]:
    """Audit log entries matching every filter, oldest first (page with ``after_id``)."""
    try:
        when = None if since is None else datetime.fromisoformat(since)
    except ValueError:
        error = {"type": "datetime_parsing", "loc": ("query", "since"), "msg": "not an RFC 3339 date-time", "input": since}
        raise RequestValidationError([error]) from None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    entries = svc.store.audit_entries(
        subject_kind=subject_kind, subject=subject, action=action, actor=actor, since=when, after_id=after_id, limit=limit
    )
    return [AuditOut.model_validate(e, from_attributes=True) for e in entries]
