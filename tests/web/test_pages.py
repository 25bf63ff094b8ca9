"""Console pages without a browser: the dashboard shows the last audit's exposure plot; the case page's
graph draws every member and the shared destinations; media start blurred."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from firebreak.api.auth import hash_password
from firebreak.server import ServerSettings, create_app
from firebreak.store import open_store
from firebreak.store.users import add_user
from tests.api.conftest import Platform

PASSWORD = "a reviewer's password"


def test_dashboard_case_page_and_exposure_plot(platform: Platform, tmp_path: Path) -> None:
    audit = tmp_path / "audit"
    audit.mkdir()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(audit / "exposure.png")  # a benign coloured square
    db_url = f"sqlite:///{tmp_path / 'firebreak.db'}"
    with open_store(db_url) as store:
        add_user(store, "ann", "reviewer", password_hash=hash_password(PASSWORD))
    app = create_app(ServerSettings(db_url=db_url, scan_dir=platform.scan, snapshot_dir=platform.snapshot, audit_dir=audit))
    with TestClient(app) as c:
        assert c.post("/console/login", data={"name": "ann", "password": PASSWORD}).status_code == 200
        dash = c.get("/console/dashboard")
        assert dash.status_code == 200 and 'src="/console/exposure.png"' in dash.text and dash.text.count("<svg") == 3
        png = c.get("/console/exposure.png")
        assert png.status_code == 200 and png.content == (audit / "exposure.png").read_bytes()
        case_id = c.get("/console/").text.split('class="case-link" href="/console/cases/')[1].split('"')[0]
        page = c.get(f"/console/cases/{case_id}").text
        api_case = app.state.services.cases.get_case(case_id)
        assert page.count('class="node member') == len(api_case.members)
        assert page.count("<rect class=\"node destination") == len(api_case.destinations)
        assert page.count('class="edge shares"') == sum(len(v) for v in api_case.shares.values())
        seller = next(m.account for m in api_case.members if m.role == "seller")
        ev = c.get(f"/console/accounts/{seller}/evidence").text
        assert "<mark" in ev
        assert ev.count('class="placeholder blurred"') == min(24, len(app.state.services.cases.account_evidence(seller)["media"]))
