"""The console's routes under ``/console``: login, queue, case page, evidence, decisions, dashboard.

Pages call the same services as the API (:class:`firebreak.api.services.CaseService`);
authorisation is checked here, server-side, for every route, with the same
permissions; every form that changes state carries the session's CSRF token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from firebreak.api.auth import (
    SESSION_COOKIE,
    SESSION_TTL,
    Principal,
    check_csrf,
    current_principal,
)
from firebreak.api.deps import Services, services
from firebreak.api.models import DecisionIn
from firebreak.api.routes.cases import apply_decision
from firebreak.api.services import DECISIONS, POLICIES, CaseNotFound
from firebreak.web.highlight import segments

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix="/console", include_in_schema=False)


class LoginRequired(Exception):
    """Raised for a console page without a session: answered by a redirect to the login page."""


def console_user(permission: str) -> Any:
    """A dependency: the cookie user, redirected to login if absent, 403 if the role lacks ``permission``."""

    def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        if principal is None:
            raise LoginRequired
        if not principal.may(permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {principal.role} may not {permission}")
        return principal

    return dependency


def _page(request: Request, name: str, who: Principal | None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"who": who, **context})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str | None = None) -> HTMLResponse:
    """The login form."""
    return _page(request, "login.html", None, error=error)


@router.post("/login")
def login_submit(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    """Check the password, set the session cookie (HttpOnly, SameSite=Strict) and go to the queue."""
    client = request.client.host if request.client else "unknown"
    try:
        token, _, _ = svc.auth.login(name, password, client)
    except HTTPException as exc:
        page = _page(request, "login.html", None, error=exc.detail)
        page.status_code = exc.status_code
        return page
    response = RedirectResponse("/console/", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Principal, Depends(console_user("cases:read"))],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """End the session and clear the cookie."""
    check_csrf(request, who, csrf_token)
    svc.auth.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/console/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def queue(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Principal, Depends(console_user("cases:read"))],
    status_: str | None = None,
) -> HTMLResponse:
    """The case queue, highest priority first."""
    cases = svc.cases.list_cases(status=status_ if status_ in ("open", "actioned") else None, limit=500)
    state = svc.scans.current()
    return _page(request, "queue.html", who, cases=cases, scan=state.version if state else None)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Principal, Depends(console_user("cases:read"))],
    done: str | None = None,
) -> HTMLResponse:
    """A case: its network picture, members, evidence panel, decision forms and audit trail."""
    try:
        case = svc.cases.get_case(case_id)
    except CaseNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    from firebreak.web.graph import layout  # igraph: loaded on the first case page

    nodes, edges = layout(case)
    return _page(
        request,
        "case.html",
        who,
        case=case,
        nodes=nodes,
        edges=edges,
        decisions=[d for d in DECISIONS if d != "takedown"],
        policies=POLICIES,
        may_takedown=who.may("cases:takedown"),
        done=done,
    )


@router.get("/accounts/{account}/evidence", response_class=HTMLResponse)
def evidence_fragment(
    request: Request,
    account: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Principal, Depends(console_user("scan:read"))],
) -> HTMLResponse:
    """An account's evidence as an HTML fragment (loaded into the case page's side panel)."""
    try:
        ev = svc.cases.account_evidence(account)
    except CaseNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    texts = [{"where": t["where"], "segments": segments(t["text"], t["spans"]), "hits": len(t["spans"])} for t in ev["texts"]]
    texts.sort(key=lambda t: -t["hits"])
    return _page(request, "evidence.html", who, ev=ev, texts=texts)


@router.post("/cases/{case_id}/decisions")
def decide(
    request: Request,
    case_id: str,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Principal, Depends(console_user("cases:decide"))],
    decision: Annotated[str, Form()],
    policy: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    accounts: Annotated[str, Form()] = "",
) -> Response:
    """Apply a decision from the case page's forms, then show the case again."""
    check_csrf(request, who, csrf_token)
    try:
        body = DecisionIn(
            decision=decision,  # type: ignore[arg-type]
            policy=policy,
            reason=reason,
            accounts=[a for a in accounts.replace(",", " ").split() if a] or None,
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc).splitlines()[0]) from None
    result = apply_decision(svc, who, case_id, body)
    return RedirectResponse(
        f"/console/cases/{case_id}?done={result.decision}:{len(result.changed)}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Principal, Depends(console_user("cases:read"))],
) -> HTMLResponse:
    """Metrics with charts, and the last audit's exposure plot when the server was given ``--audit``."""
    from firebreak.web.charts import (
        dashboard_charts,  # Matplotlib: loaded on the first dashboard
    )

    m = svc.cases.metrics()
    exposure = svc.audit_dir is not None and (svc.audit_dir / "exposure.png").is_file()
    return _page(request, "dashboard.html", who, m=m, charts=dashboard_charts(m), exposure=exposure)


@router.get("/exposure.png")
def exposure_png(
    svc: Annotated[Services, Depends(services)],
    who: Annotated[Principal, Depends(console_user("cases:read"))],
) -> FileResponse:
    """The last audit's exposure plot."""
    path = None if svc.audit_dir is None else svc.audit_dir / "exposure.png"
    if path is None or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no audit plot: start the server with --audit DIR")
    return FileResponse(path, media_type="image/png")


def mount_console(app: FastAPI) -> None:
    """Add the console's routes, its static files, and the redirect for pages without a session."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")

    @app.exception_handler(LoginRequired)
    async def to_login(_: Request, __: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/console/login", status_code=status.HTTP_303_SEE_OTHER)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=status.HTTP_307_TEMPORARY_REDIRECT)
