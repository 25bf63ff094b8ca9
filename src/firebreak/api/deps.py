"""FastAPI dependencies that hand route handlers the server's services (kept on ``app.state``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from prometheus_client import CollectorRegistry

from firebreak.api.auth import Authenticator
from firebreak.api.scanstate import ScanHolder
from firebreak.api.services import CaseService, ReportIntake
from firebreak.store import Store


@dataclass(frozen=True)
class Services:
    """Everything a handler may call: the store (health only), auth, the scan, cases, intake, metrics."""

    store: Store
    auth: Authenticator
    scans: ScanHolder
    cases: CaseService
    intake: ReportIntake
    registry: CollectorRegistry
    audit_dir: Path | None


async def services(request: Request) -> Services:
    """The server's :class:`Services` (async: no thread hop for a lookup)."""
    found: Services = request.app.state.services
    return found
