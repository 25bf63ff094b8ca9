"""The guard endpoint's fast path: a pure ASGI middleware answering well-formed, authorised calls itself.

``POST /v1/guard/filter`` is the platform's hot path (every recommendation and search
page calls it). :class:`GuardFastPath` answers a call directly when it carries a bearer
token whose role may ``guard:filter`` (the same :class:`~firebreak.api.auth.Authenticator`
and its in-memory cache of SHA-256 token hashes) and a JSON body that :class:`GuardIn`
would accept; the answer is the route's own (:func:`guard_json`). Every other call (no
or wrong credentials, a cookie session, a malformed body, no scan in force) goes on,
body replayed, to the FastAPI route, which gives the documented 401/403/422/503 answers;
the OpenAPI document is the route's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from firebreak.api.scanstate import SURFACES, ScanState
from firebreak.errors import StoreError

PATH = "/v1/guard/filter"
PERMISSION = "guard:filter"
#: GuardIn's limits (firebreak.api.models): viewer length, number of candidates.
MAX_VIEWER = 200
MAX_CANDIDATES = 10_000
_KEYS = frozenset({"viewer", "surface", "candidates"})
_SURFACES = frozenset(SURFACES)
_HEADERS = [(b"content-type", b"application/json")]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def guard_json(state: ScanState, viewer: str, candidates: list[str], surface: str) -> bytes:
    """The guard's answer as JSON bytes: ``{"allowed": [...], "removed": [{"account", "reason"}], "scan"}``."""
    allowed, removed = state.filter(viewer, candidates, surface)
    out = {"allowed": allowed, "removed": [{"account": a, "reason": r} for a, r in removed], "scan": state.version}
    return orjson.dumps(out)


def parse_guard_body(body: bytes) -> tuple[str, str, list[str]] | None:
    """``(viewer, surface, candidates)`` when ``body`` is JSON that :class:`GuardIn` accepts; ``None`` otherwise."""
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or obj.keys() != _KEYS:
        return None
    viewer, surface, candidates = obj["viewer"], obj["surface"], obj["candidates"]
    if type(viewer) is not str or not 0 < len(viewer) <= MAX_VIEWER:
        return None
    if type(surface) is not str or surface not in _SURFACES:
        return None
    if type(candidates) is not list or len(candidates) > MAX_CANDIDATES or not set(map(type, candidates)) <= {str}:
        return None
    return viewer, surface, candidates


def _bearer_and_json(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The bearer token, if the request has one and says its body is ``application/json``; else ``None``.

    As Starlette reads headers: the first of a repeated header counts, values are Latin-1.
    """
    authorization = content_type = None
    for name, value in headers:
        if name == b"authorization" and authorization is None:
            authorization = value
        elif name == b"content-type" and content_type is None:
            content_type = value
    if authorization is None or content_type is None:
        return None
    if content_type.split(b";", 1)[0].strip().lower() != b"application/json":
        return None
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class GuardFastPath:
    """Pure ASGI middleware: answers :data:`PATH` calls it can, hands the rest to ``app`` unchanged.

    ``state`` is the FastAPI app's state (``services``: :class:`~firebreak.api.deps.Services`);
    ``route`` the guard's route, set as ``scope["route"]`` so HTTP metrics name it.
    """

    def __init__(self, app: ASGIApp, state: Any, route: Any) -> None:
        self.app = app
        self.state = state
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        answer = self._answer(scope, body)
        if answer is None:
            await self.app(scope, _replay(body, receive), send)
            return
        scope["route"] = self.route
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_HEADERS, (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    def _answer(self, scope: Scope, body: bytes) -> bytes | None:
        token = _bearer_and_json(scope["headers"])
        if token is None:
            return None
        services = self.state.services
        try:
            principal = services.auth.from_token(token, "bearer")
        except StoreError:
            return None  # the route answers 503
        if principal is None or not principal.may(PERMISSION):
            return None
        parsed = parse_guard_body(body)
        if parsed is None:
            return None
        state = services.scans.current()
        if state is None:
            return None
        viewer, surface, candidates = parsed
        return guard_json(state, viewer, candidates, surface)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out ``body`` first, then defers to the original (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
