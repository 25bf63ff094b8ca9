"""The guard's fast path (firebreak.api.fastguard): the same answers and refusals as the FastAPI route."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from starlette.datastructures import Headers

from firebreak.api.auth import CSRF_HEADER, SESSION_COOKIE
from firebreak.api.fastguard import _bearer_and_json, parse_guard_body
from firebreak.api.models import GuardIn
from tests.api.conftest import PASSWORD, Api

_text = st.text(max_size=5) | st.text(min_size=199, max_size=201)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
_bodies = st.fixed_dictionaries(
    {},
    optional={
        "viewer": _text | _json,
        "surface": st.sampled_from(["suggested", "search", "explore", "feed", "Search"]) | _json,
        "candidates": st.lists(st.text(max_size=4), max_size=4) | st.lists(_json, max_size=3) | _json,
        "extra": _json,
    },
)


def _route_accepts(obj: Any) -> bool:
    try:
        GuardIn.model_validate(json.loads(json.dumps(obj)))
    except ValidationError:
        return False
    return True


@given(_bodies)
@settings(max_examples=400, deadline=None)
def test_the_fast_path_parses_exactly_what_the_route_accepts(obj: dict[str, Any]) -> None:
    parsed = parse_guard_body(json.dumps(obj).encode())
    assert (parsed is not None) == _route_accepts(obj)
    if parsed is not None:
        assert parsed == (obj["viewer"], obj["surface"], obj["candidates"])


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"viewer": "a", "surface": "search", "candidates": [1]}'])
def test_malformed_bodies_are_not_parsed(body: bytes) -> None:
    assert parse_guard_body(body) is None


def _cookie_session(api: Api) -> dict[str, str]:
    """Headers of an admin's console session (cookie + CSRF): such calls take the FastAPI route."""
    r = api.client.post("/v1/login", json={"name": "admin", "password": PASSWORD})
    out = r.json()
    return {"Cookie": f"{SESSION_COOKIE}={out['token']}", CSRF_HEADER: out["csrf_token"]}


def test_fast_path_and_route_answer_alike(api: Api) -> None:
    body = {"viewer": "u0000009", "surface": "explore", "candidates": [f"u{i:07d}" for i in range(200)] + ["nobody"]}
    fast = api.client.post("/v1/guard/filter", json=body, headers=api.headers["integration"])
    route = api.client.post("/v1/guard/filter", json=body, headers=_cookie_session(api))
    assert fast.status_code == route.status_code == 200
    assert fast.content == route.content and fast.json()["removed"]
    assert fast.headers["content-type"] == route.headers["content-type"] == "application/json"


def test_a_cookie_call_without_csrf_is_still_refused(api: Api) -> None:
    headers = _cookie_session(api)
    del headers[CSRF_HEADER]
    body = {"viewer": "u0000009", "surface": "explore", "candidates": []}
    assert api.client.post("/v1/guard/filter", json=body, headers=headers).status_code == 403


@pytest.mark.parametrize(
    ("content_type", "payload", "status"),
    [
        (None, b'{"viewer": "a", "surface": "search", "candidates": []}', 422),
        ("text/plain", b'{"viewer": "a", "surface": "search", "candidates": []}', 422),
        ("application/json", b'{"viewer": "a", "surface": "search"', 422),
        ("application/json", b'{"viewer": "a", "surface": "search", "candidates": [], "more": 1}', 422),
        ("application/json; charset=utf-8", b'{"viewer": "a", "surface": "search", "candidates": ["b"]}', 200),
    ],
)
def test_content_types_and_bodies_as_the_route_answers(api: Api, content_type: str | None, payload: bytes, status: int) -> None:
    headers = dict(api.headers["integration"])
    if content_type is not None:
        headers["Content-Type"] = content_type
    r = api.client.post("/v1/guard/filter", content=payload, headers=headers)
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["detail"]


def test_fast_path_calls_are_in_the_http_metrics(api: Api) -> None:
    body = {"viewer": "u0000009", "surface": "search", "candidates": ["u0000001"]}
    assert api.client.post("/v1/guard/filter", json=body, headers=api.headers["integration"]).status_code == 200
    text = api.client.get("/metrics", headers=api.headers["admin"]).text
    assert 'firebreak_http_requests_total{method="POST",route="/v1/guard/filter",status="200"}' in text


_header_values = st.sampled_from(
    [b"Bearer abc", b"bearer  abc ", b"Basic abc", b"Bearer ", b"Bearer", b"application/json",
     b"application/json; charset=utf-8", b"text/plain", b"APPLICATION/JSON", b"application/problem+json"]
)


@given(st.lists(st.tuples(st.sampled_from([b"authorization", b"content-type", b"host"]), _header_values), max_size=5))
@settings(max_examples=300, deadline=None)
def test_headers_are_read_as_starlette_reads_them(raw: list[tuple[bytes, bytes]]) -> None:
    headers = Headers(raw=raw)
    scheme, _, token = headers.get("authorization", "").partition(" ")
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    expected = bearer if content_type == "application/json" else None
    assert _bearer_and_json(raw) == expected
