"""``/v1/guard/filter``: the guard of the scan in force, for the platform's recommenders and search.

Well-formed, authorised calls are answered before they reach this route, by the same code
(:mod:`firebreak.api.fastguard`); the route answers the rest and documents the endpoint.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status

from firebreak.api.auth import PROTECTED, Principal, require
from firebreak.api.deps import Services, services
from firebreak.api.fastguard import guard_json
from firebreak.api.models import GuardIn, GuardOut

router = APIRouter(prefix="/v1/guard", tags=["guard"], responses=PROTECTED)


@router.post("/filter", response_model=GuardOut, responses={503: {"description": "No scan in force."}})
async def guard_filter(
    body: GuardIn,
    _: Annotated[Principal, Depends(require("guard:filter"))],
    svc: Annotated[Services, Depends(services)],
) -> Response:
    """The candidates ``viewer`` may be shown on ``surface``, and those removed with the guard's reason."""
    state = svc.scans.current()
    if state is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no scan in force: start the server with --scan DIR")
    # serialised straight to JSON (the shape is GuardOut's, documented above)
    return Response(guard_json(state, body.viewer, body.candidates, body.surface), media_type="application/json")
