"""Every route x every role -> the expected status, checked against the real app (server-side checks)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.api.conftest import PASSWORD, Api

ALL = frozenset({"reviewer", "lead", "admin", "integration"})
STAFF = frozenset({"reviewer", "lead", "admin"})
# route name -> (method, path, body, roles allowed, status when allowed); written out by hand as the spec.
REPORT = {"id": "m-1", "reporter": "u1", "target": "u2", "reason": "spam", "created_at": "2026-01-01T00:00:00Z"}
GUARD = {"viewer": "u0000001", "surface": "suggested", "candidates": ["u0000002"]}
ROUTES: dict[str, tuple[str, str, Any, frozenset[str], int]] = {
    "submit_report": ("POST", "/v1/reports", REPORT, frozenset({"integration", "lead", "admin"}), 202),
    "get_report": ("GET", "/v1/reports/{report}", None, ALL, 200),
    "guard_filter": ("POST", "/v1/guard/filter", GUARD, frozenset({"integration", "admin"}), 200),
    "list_cases": ("GET", "/v1/cases", None, STAFF, 200),
    "get_case": ("GET", "/v1/cases/{case}", None, STAFF, 200),
    "decide": ("POST", "/v1/cases/{case}/decisions", {"decision": "dismiss", "policy": "no-violation", "reason": "r"}, STAFF, 200),
    "take_down": ("POST", "/v1/cases/{case}/decisions", {"decision": "takedown", "policy": "p", "reason": "r"}, frozenset({"lead", "admin"}), 200),
    "get_scan": ("GET", "/v1/scan", None, STAFF, 200),
    "get_networks": ("GET", "/v1/scan/networks", None, STAFF, 200),
    "get_evidence": ("GET", "/v1/accounts/{seller}/evidence", None, STAFF, 200),
    "get_audit": ("GET", "/v1/audit", None, STAFF, 200),
    "metrics": ("GET", "/metrics", None, frozenset({"lead", "admin"}), 200),
    "publish_scan": ("POST", "/v1/admin/scan/publish", None, frozenset({"admin"}), 200),
    "list_users": ("GET", "/v1/admin/users", None, frozenset({"admin"}), 200),
    "logout": ("POST", "/v1/logout", None, STAFF, 204),
}
PUBLIC = {"healthz": ("GET", "/healthz"), "openapi": ("GET", "/openapi.json"), "login": ("POST", "/v1/login")}
ROLES = ("anonymous", "reviewer", "lead", "admin", "integration")


def _fill(api: Api, path: str, pick: int = 0) -> str:
    """``path`` with real ids; ``pick`` chooses the case (a case taken down has no one left to act on)."""
    cases = api.client.get("/v1/cases", headers=api.headers["admin"]).json()
    seller = api.client.get(f"/v1/cases/{cases[0]['id']}", headers=api.headers["admin"]).json()["members"][0]["account"]
    return path.format(report="r000001", case=cases[min(pick, len(cases) - 1)]["id"], seller=seller)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_role_status(api: Api, route: str, role: str) -> None:
    method, path, body, allowed, ok = ROUTES[route]
    headers = api.headers[role]
    if route == "submit_report":
        body = {**body, "id": f"m-{role}"}  # a new report each time, so 202
    if route == "logout" and role in STAFF:
        headers = api.login(role)  # a session of its own, so the others stay valid
    # each role that may take a network down takes down a case of its own, none that `decide` decided
    pick = 1 + ROLES.index(role) if route == "take_down" else 0
    r = api.client.request(method, _fill(api, path, pick), json=body, headers=headers)
    expected = 401 if role == "anonymous" else ok if role in allowed else 403
    assert r.status_code == expected, (route, role, r.text[:300])


def test_every_api_route_is_in_the_matrix(api: Api) -> None:
    app = api.client.app
    names = {r.name for r in app.routes if isinstance(r, APIRoute) and r.include_in_schema}  # type: ignore[attr-defined]
    covered = set(ROUTES) | set(PUBLIC) | {"decide"}
    assert names - covered == set()


@pytest.mark.parametrize("role", ROLES)
def test_public_routes(api: Api, role: str) -> None:
    assert api.client.get("/healthz", headers=api.headers[role]).status_code == 200
    assert api.client.get("/openapi.json", headers=api.headers[role]).json()["info"]["title"] == "Firebreak"


def test_bad_or_unknown_tokens_are_401(api: Api) -> None:
    for header in ("Bearer fbk_not-a-token", "Basic abc", "Bearer ", "Token x"):
        assert api.client.get("/v1/cases", headers={"Authorization": header}).status_code == 401


CONSOLE = {
    "queue": ("GET", "/console/", STAFF),
    "case": ("GET", "/console/cases/{case}", STAFF),
    "evidence": ("GET", "/console/accounts/{seller}/evidence", STAFF),
    "dashboard": ("GET", "/console/dashboard", STAFF),
}


def _cookie_login(api: Api, name: str) -> str | None:
    r = api.client.post("/console/login", data={"name": name, "password": PASSWORD}, follow_redirects=False)
    api.client.cookies.clear()
    return r.cookies.get("firebreak_session")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(CONSOLE))
def test_console_page_role_status(api: Api, page: str, role: str) -> None:
    method, path, allowed = CONSOLE[page]
    url = _fill(api, path)
    if role == "anonymous":
        r = api.client.request(method, url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        return
    if role == "integration":  # no password: its token is refused by the console's pages
        r = api.client.request(method, url, headers=api.headers[role], follow_redirects=False)
        assert r.status_code == 403
        return
    cookie = _cookie_login(api, role)
    assert cookie
    r = api.client.request(method, url, cookies={"firebreak_session": cookie}, follow_redirects=False)
    assert r.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", ["reviewer", "lead", "admin"])
def test_console_takedown_needs_lead_and_csrf(api: Api, role: str) -> None:
    cookie = _cookie_login(api, role)
    assert cookie
    # a case no other test of this module decides or takes down (a case taken down has no one left to act on)
    cases = api.client.get("/v1/cases", headers=api.headers["admin"]).json()
    case = cases[min(5 + ("reviewer", "lead", "admin").index(role), len(cases) - 1)]["id"]
    page = api.client.get(f"/console/cases/{case}", cookies={"firebreak_session": cookie})
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"decision": "takedown", "policy": "network-takedown-v1", "reason": "seller network"}
    url = f"/console/cases/{case}/decisions"
    no_csrf = api.client.post(url, data=form, cookies={"firebreak_session": cookie}, follow_redirects=False)
    assert no_csrf.status_code == 403
    wrong = api.client.post(url, data={**form, "csrf_token": "x" * 43}, cookies={"firebreak_session": cookie}, follow_redirects=False)
    assert wrong.status_code == 403
    ok = api.client.post(url, data={**form, "csrf_token": csrf}, cookies={"firebreak_session": cookie}, follow_redirects=False)
    assert ok.status_code == (303 if role in ("lead", "admin") else 403)
    # the takedown button is only on leads' and admins' pages
    assert ('id="takedown"' in page.text) == (role in ("lead", "admin"))


def test_api_rejects_cookie_post_without_csrf_header(api: Api) -> None:
    cookie = _cookie_login(api, "lead")
    assert cookie
    r = api.client.post("/v1/reports", json=REPORT, cookies={"firebreak_session": cookie})
    assert r.status_code == 403
    login = api.client.post("/v1/login", json={"name": "lead", "password": PASSWORD}).json()
    r = api.client.post(
        "/v1/reports", json=REPORT, cookies={"firebreak_session": login["token"]}, headers={"X-CSRF-Token": login["csrf_token"]}
    )
    assert r.status_code == 202
