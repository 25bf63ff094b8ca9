"""The console in a real browser (Debian's Chromium driven by Playwright; no browser download):
a reviewer logs in, opens the top case, reads evidence, takes the network down, and the store shows it.

Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from firebreak.act.cases import get_case
from firebreak.api.auth import hash_password
from firebreak.server import ServerSettings, create_app
from firebreak.store import open_store
from firebreak.store.users import add_user
from tests.api.conftest import Platform

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "a reviewer's password"

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None and not Path(CHROMIUM).exists(),
                                reason="Chromium is not installed: `make setup` installs it")


@pytest.fixture
def server(platform: Platform, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The console on loopback (a real uvicorn server in a thread): (base URL, store URL)."""
    db_url = f"sqlite:///{tmp_path / 'firebreak.db'}"
    with open_store(db_url) as store:
        add_user(store, "rita", "lead", password_hash=hash_password(PASSWORD))
        from firebreak.snapshot import load_snapshot

        store.upsert_reports(load_snapshot(platform.snapshot).snapshot.reports, source="snapshot")
    app = create_app(ServerSettings(db_url=db_url, scan_dir=platform.scan, snapshot_dir=platform.snapshot))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield base, db_url
    srv.should_exit = True
    thread.join(timeout=10)


def test_reviewer_takes_a_network_down_in_chromium(server: tuple[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db_url = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + "/console/")
        expect(page).to_have_url(base + "/console/login")
        page.fill("input[name=name]", "rita")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Case queue")
        page.screenshot(path=str(ARTIFACTS / "1-queue.png"), full_page=True)

        # the top row is the highest-priority case
        priorities = [float(t) for t in page.locator("table.queue tbody tr td:nth-child(3)").all_inner_texts()]
        assert priorities == sorted(priorities, reverse=True)
        top = page.locator("a.case-link").first
        case_id = top.inner_text()
        top.click()
        expect(page.locator("h1")).to_contain_text(f"Case {case_id}")
        assert page.locator("svg#network circle.node").count() > 3

        # click a seller in the graph: its evidence, with the matched spans highlighted
        seller = page.locator("tr.member-row", has=page.locator("td:nth-child(2)", has_text="seller")).first
        account = seller.get_attribute("data-account")
        page.locator(f'svg#network circle[data-account="{account}"]').click()
        expect(page.locator("#evidence-account")).to_have_text(account or "")
        assert page.locator("#evidence mark").count() > 0
        # media: hashes and blurred greyscale placeholders by default
        if page.locator("#evidence .placeholder").count():
            style = page.locator("#evidence .placeholder").first.evaluate("e => getComputedStyle(e).filter")
            assert "blur" in style and "grayscale" in style
        page.screenshot(path=str(ARTIFACTS / "2-evidence.png"), full_page=True)

        # keyboard: t jumps to the takedown reason
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("t")
        expect(page.locator("#takedown-reason")).to_be_focused()
        page.keyboard.type("sellers advertise a menu and a shared locker; buyers follow them")
        page.click("#takedown")
        expect(page.locator("#done")).to_contain_text("takedown")
        expect(page.locator("#case-status")).to_have_text("actioned")
        expect(page.locator("#audit")).to_contain_text("case.takedown")
        page.screenshot(path=str(ARTIFACTS / "3-taken-down.png"), full_page=True)

        page.goto(base + "/console/dashboard")
        expect(page.locator("#enforced")).to_contain_text("disabled")
        page.screenshot(path=str(ARTIFACTS / "4-dashboard.png"), full_page=True)
        browser.close()

    with open_store(db_url) as store:
        assert store.enforcement(account or "") == "disabled"
        disabled = store.enforcements(state="disabled")
        network = get_case(store, int(case_id)).case.network
        assert network is not None
        assert disabled.height > 0 and set(disabled["network"].to_list()) == {network}
        trail = store.audit_entries(subject_kind="case", subject=case_id)
        assert [e.actor for e in trail if e.action == "case.takedown"] == ["rita"]
    for name in ("1-queue.png", "2-evidence.png", "3-taken-down.png", "4-dashboard.png"):
        assert (ARTIFACTS / name).stat().st_size > 1000
