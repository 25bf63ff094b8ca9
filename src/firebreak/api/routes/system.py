"""``/healthz``, ``/metrics``, login and logout, and admin actions (publish a scan, list users)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse

from firebreak.api.auth import PROTECTED, Principal, current_principal, require
from firebreak.api.deps import Services, services
from firebreak.api.metrics import CONTENT_TYPE, metrics_text
from firebreak.api.models import Health, LoginIn, LoginOut, ScanOut
from firebreak.api.routes.scan import scan_summary
from firebreak.errors import FirebreakError
from firebreak.store import users as user_store

router = APIRouter(tags=["system"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(svc: Annotated[Services, Depends(services)]) -> Response | Health:
    """200 when the database answers; 503 (same body) when it does not. No authentication."""
    try:
        svc.store.revision()
        database = "ok"
    except FirebreakError as exc:
        database = str(exc)
    state = svc.scans.current()
    body = Health(status="ok" if database == "ok" else "unavailable", database=database,
                  scan=None if state is None else state.version)
    if database != "ok":
        return JSONResponse(body.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
    return body


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}, **PROTECTED})
def metrics(
    _: Annotated[Principal, Depends(require("metrics:read"))], svc: Annotated[Services, Depends(services)]
) -> Response:
    """Operational metrics in the Prometheus text format."""
    return Response(metrics_text(svc.registry), media_type=CONTENT_TYPE)


@router.post("/v1/login", response_model=LoginOut, responses={400: PROTECTED[400], 401: {"description": "Wrong name or password."}, 429: {"description": "Too many failed logins."}}, tags=["session"])
def login(body: LoginIn, request: Request, svc: Annotated[Services, Depends(services)]) -> LoginOut:
    """Exchange a password for a session token (rate limited per name and per client address)."""
    client = request.client.host if request.client else "unknown"
    token, csrf, expires = svc.auth.login(body.name, body.password, client)
    return LoginOut(token=token, csrf_token=csrf, expires_at=expires)


@router.post("/v1/logout", status_code=status.HTTP_204_NO_CONTENT, responses=PROTECTED, tags=["session"])
def logout(request: Request, svc: Annotated[Services, Depends(services)]) -> Response:
    """End the session whose token is presented as bearer."""
    principal = current_principal(request)
    header = request.headers.get("authorization", "")
    if principal is None or not header.lower().startswith("bearer "):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "authentication required", {"WWW-Authenticate": "Bearer"})
    if principal.csrf is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an API token is not a session: nothing to log out")
    svc.auth.logout(header.split(" ", 1)[1].strip())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/v1/admin/scan/publish", response_model=ScanOut, responses=PROTECTED, tags=["admin"])
def publish_scan(
    _: Annotated[Principal, Depends(require("admin"))], svc: Annotated[Services, Depends(services)]
) -> ScanOut:
    """Reload the scan folder now (a new scan takes effect without a restart)."""
    svc.scans.reload()
    return scan_summary(svc)


@router.get("/v1/admin/users", responses=PROTECTED, tags=["admin"])
def list_users(
    _: Annotated[Principal, Depends(require("admin"))], svc: Annotated[Services, Depends(services)]
) -> list[dict[str, object]]:
    """Every user: name, role, created_at, disabled."""
    return [{"name": u.name, "role": u.role, "created_at": u.created_at.isoformat(), "disabled": u.disabled}
            for u in user_store.list_users(svc.store)]
