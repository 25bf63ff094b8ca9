"""Building the ASGI application: API routers, the console, metrics, on one store and one scan.

::

    from firebreak.server import ServerSettings, create_app
    app = create_app(ServerSettings(db_url="sqlite:///work/firebreak.db", scan_dir=Path("out/scan")))
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from firebreak.api.actcases import ActCaseService
from firebreak.api.auth import Authenticator, LoginLimiter
from firebreak.api.deps import Services
from firebreak.api.fastguard import PATH as GUARD_PATH
from firebreak.api.fastguard import GuardFastPath
from firebreak.api.metrics import HttpMetrics, registry_for
from firebreak.api.routes import cases, guard, reports, scan, system
from firebreak.api.scanstate import ScanHolder
from firebreak.api.services import ReportIntake
from firebreak.errors import FirebreakError, StoreError
from firebreak.store import open_store

API_VERSION = "1.0.0"
log = logging.getLogger("firebreak.api")


@dataclass(frozen=True)
class ServerSettings:
    """What a server serves: the store, the scan folder, optionally its snapshot and the last audit."""

    db_url: str
    scan_dir: Path | None = None
    snapshot_dir: Path | None = None
    audit_dir: Path | None = None
    #: mark the session cookie Secure (behind HTTPS); off for plain loopback HTTP.
    secure_cookies: bool = False
    login_attempts: int = 5
    login_window_s: float = 300.0
    scan_check_s: float = 1.0


def create_app(settings: ServerSettings) -> FastAPI:
    """The ASGI app: API routers, the console under ``/console``, HTTP metrics.

    Opens (and migrates) the store and loads the scan now, so a bad URL or folder fails at
    start-up with a one-line :class:`FirebreakError`.
    """
    store = open_store(settings.db_url)
    scans = ScanHolder(settings.scan_dir, settings.snapshot_dir, check_s=settings.scan_check_s)
    if settings.scan_dir is not None and scans.current() is None:
        store.close()
        raise FirebreakError(f"cannot load the scan in {settings.scan_dir}: {scans.last_error}")
    case_service = ActCaseService(store, scans.current)
    case_service.sync()  # the scan in force opens or updates its cases now
    registry = registry_for(case_service, scans.current)
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Firebreak",
        version=API_VERSION,
        description="Report intake, the recommendation guard, cases and decisions, for the platform and its reviewers.",
        # operations are measured by our Prometheus metrics; no OpenTelemetry look-ups per request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.services = Services(
        store=store,
        auth=Authenticator(store, limiter=LoginLimiter(settings.login_attempts, settings.login_window_s)),
        scans=scans,
        cases=case_service,
        intake=ReportIntake(store),
        registry=registry,
        audit_dir=settings.audit_dir,
    )
    app.state.auth = app.state.services.auth
    app.state.settings = settings

    @app.exception_handler(StoreError)
    async def store_unavailable(_: Request, exc: StoreError) -> JSONResponse:
        log.error("store error: %s", exc)
        return JSONResponse({"detail": str(exc)}, status_code=503)

    for module in (reports, guard, cases, scan, system):
        app.include_router(module.router)
    from firebreak.web.console import mount_console

    mount_console(app)

    guard_route = next(r for r in guard.router.routes if getattr(r, "path", None) == GUARD_PATH)
    app.add_middleware(GuardFastPath, state=app.state, route=guard_route)  # inside the metrics: timed too
    app.add_middleware(HttpMetrics, registry=registry)
    return app
