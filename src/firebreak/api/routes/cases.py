"""``/v1/cases``: the case queue, a case in full, and decisions on it (through the case service)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status

from firebreak.api.auth import PROTECTED, Principal, require
from firebreak.api.deps import Services, services
from firebreak.api.models import (
    AuditOut,
    CaseDetailOut,
    CaseOut,
    DecisionIn,
    DecisionOut,
    EdgeOut,
    MemberOut,
)
from firebreak.api.services import CaseNotFound, DecisionError, DecisionResult
from firebreak.errors import FirebreakError

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=PROTECTED)


def case_detail(svc: Services, case_id: str) -> CaseDetailOut:
    """A case as the API returns it (404 if unknown)."""
    try:
        case = svc.cases.get_case(case_id)
    except CaseNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return CaseDetailOut(
        case=CaseOut.model_validate(case.summary, from_attributes=True),
        members=[MemberOut.model_validate(m, from_attributes=True) for m in case.members],
        destinations=case.destinations,
        shares=case.shares,
        edges=[EdgeOut(src=src, dst=dst, kind=kind) for src, dst, kind in case.edges],
        evidence=case.evidence,
        reports=case.reports,
        audit=[AuditOut.model_validate(e, from_attributes=True) for e in case.audit],
        scan=case.scan_version,
    )


def apply_decision(svc: Services, who: Principal, case_id: str, body: DecisionIn) -> DecisionResult:
    """Check the caller's right to ``body.decision`` and apply it (404 unknown case, 409 inapplicable)."""
    if body.decision == "takedown" and not who.may("cases:takedown"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {who.role} may not take a network down")
    try:
        if body.decision == "takedown":
            return svc.cases.take_down(case_id, actor=who.name, policy=body.policy, reason=body.reason)
        return svc.cases.decide(
            case_id, body.decision, actor=who.name, policy=body.policy, reason=body.reason, accounts=body.accounts
        )
    except CaseNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except (DecisionError, FirebreakError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.get("", response_model=list[CaseOut])
def list_cases(
    _: Annotated[Principal, Depends(require("cases:read"))],
    svc: Annotated[Services, Depends(services)],
    status_: Annotated[Literal["open", "actioned"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CaseOut]:
    """Cases, highest priority first."""
    return [CaseOut.model_validate(c, from_attributes=True) for c in svc.cases.list_cases(status=status_, limit=limit)]


@router.get("/{case_id}", response_model=CaseDetailOut, responses={404: {"description": "No such case."}})
def get_case(
    case_id: str,
    _: Annotated[Principal, Depends(require("cases:read"))],
    svc: Annotated[Services, Depends(services)],
) -> CaseDetailOut:
    """A case with members, destinations, evidence, reports and audit trail."""
    return case_detail(svc, case_id)


@router.post(
    "/{case_id}/decisions",
    response_model=DecisionOut,
    responses={404: {"description": "No such case."}, 409: {"description": "The decision cannot apply."}},
)
def decide(
    case_id: str,
    body: DecisionIn,
    who: Annotated[Principal, Depends(require("cases:decide"))],
    svc: Annotated[Services, Depends(services)],
) -> DecisionOut:
    """Decide on a case: ``takedown`` (leads and admins) or a per-account decision."""
    result = apply_decision(svc, who, case_id, body)
    return DecisionOut(
        case=result.case,
        decision=result.decision,
        changed={a: [f, t] for a, (f, t) in result.changed.items()},
        audit_id=result.audit_id,
    )
