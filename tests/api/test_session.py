"""Login: argon2 hashes, session cookie flags, rate limiting, logout; /metrics and /healthz."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from tests.api.conftest import PASSWORD, Api


def test_passwords_and_tokens_are_stored_only_as_hashes(api: Api) -> None:
    engine = create_engine(api.db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, password_hash, token_hash FROM users")).all()
    engine.dispose()
    token = api.headers["integration"]["Authorization"].split()[1]
    for name, pw, tok in rows:
        if name == "integration":
            assert pw is None and tok != token and len(tok) == 64
        else:
            assert pw.startswith("$argon2id$") and PASSWORD not in pw


def test_cookie_is_httponly_and_samesite(fresh_api: Api) -> None:
    r = fresh_api.client.post("/console/login", data={"name": "reviewer", "password": PASSWORD}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 303 and "httponly" in cookie and "samesite=strict" in cookie


def test_login_is_rate_limited(fresh_api: Api) -> None:
    c = fresh_api.client
    for _ in range(5):
        assert c.post("/v1/login", json={"name": "lead", "password": "wrong password"}).status_code == 401
    blocked = c.post("/v1/login", json={"name": "lead", "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # the console says so too, and an unknown name costs the same and counts the same
    assert c.post("/console/login", data={"name": "lead", "password": PASSWORD}).status_code == 429
    assert c.post("/v1/login", json={"name": "reviewer", "password": PASSWORD}).status_code == 429  # same client


def test_logout_ends_the_session(fresh_api: Api) -> None:
    headers = fresh_api.login("reviewer")
    assert fresh_api.client.get("/v1/cases", headers=headers).status_code == 200
    assert fresh_api.client.post("/v1/logout", headers=headers).status_code == 204
    fresh_api.client.app.state.services.auth._cache.clear()  # type: ignore[attr-defined]
    assert fresh_api.client.get("/v1/cases", headers=headers).status_code == 401


def test_metrics_are_prometheus_text(api: Api) -> None:
    api.client.get("/healthz")
    r = api.client.get("/metrics", headers=api.headers["lead"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    assert {"firebreak_reports", "firebreak_cases_open", "firebreak_queue_age_seconds", "firebreak_http_requests"} <= set(families)
    queued = [s.value for s in families["firebreak_reports"].samples if s.labels.get("state") == "queued"]
    assert queued and queued[0] > 0
    assert any(s.labels.get("route") == "/healthz" for s in families["firebreak_http_requests"].samples)


def test_healthz(api: Api) -> None:
    body = api.client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["scan"]
