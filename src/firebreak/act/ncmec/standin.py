"""A local stand-in for the CyberTipline Reporting API, for tests, the demo and integration work.

It implements the public contract under ``/ispws``: HTTP Basic auth on every
call (2000 otherwise); ``GET /status``, ``GET /xsd``; ``POST /submit`` (the
``<report>`` is checked against the same ``cybertip.xsd`` Firebreak builds
with: malformed XML is 4110, an out-of-order or incomplete document 4100);
``POST /upload`` (multipart ``id`` + ``file``; answers the file id and the MD5
of what arrived); ``POST /fileinfo``; ``POST /finish`` (answers
``reportDoneResponse`` with the file ids); ``POST /retract``; and the 5xxx codes
for unknown, retracted or finished reports and unknown files. Open reports that
stay unchanged longer than ``open_ttl_s`` expire (NCMEC deletes unfinished
reports; its rule is 24 hours after opening or one hour after the last change).

Fault injection (:class:`Faults`) makes chosen endpoints slow, answer 1000
server errors, drop the connection before handling the request, or handle it
and then drop the connection so the answer is lost. ``/_standin/reports``
lists what the stand-in holds (JSON) so tests can count finished reports;
``/_standin/faults`` changes the faults while it runs. State is in memory.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import itertools
import logging
import random
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from lxml import etree

from firebreak.act.ncmec import codes
from firebreak.act.ncmec.documents import (
    XSD_PATH,
    DocumentError,
    done_xml,
    response_xml,
    validate,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ENDPOINTS = ("status", "submit", "upload", "fileinfo", "finish", "retract")
#: HTTP status the stand-in sends with each class of response code.
HTTP_STATUS = {0: 200, 1: 500, 2: 401, 3: 403, 4: 400, 5: 404}


@dataclass(frozen=True, slots=True)
class Faults:
    """Per-request fault probabilities for the endpoints in ``endpoints``.

    ``slow``: the answer is delayed by ``slow_s`` seconds; ``error``: a 1000
    server error without handling the request; ``drop``: the connection is
    closed before handling; ``lose``: the request is handled, then the
    connection is closed so its answer is lost. ``seed`` makes the draws repeatable.
    """

    slow: float = 0.0
    slow_s: float = 0.2
    error: float = 0.0
    drop: float = 0.0
    lose: float = 0.0
    endpoints: tuple[str, ...] = ENDPOINTS
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("slow", "error", "drop", "lose"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault rate {name} must be between 0 and 1, got {value}")
        unknown = set(self.endpoints) - set(ENDPOINTS)
        if unknown:
            raise ValueError(f"unknown endpoints {sorted(unknown)}: expected some of {', '.join(ENDPOINTS)}")


@dataclass(frozen=True, slots=True)
class StandinSettings:
    """The stand-in's credentials, open-report lifetime and faults."""

    username: str = "firebreak-test"
    password: str = "firebreak-test"
    open_ttl_s: float = 3600.0
    faults: Faults = field(default_factory=Faults)


@dataclass
class _File:
    file_id: str
    name: str
    md5: str
    size: int
    details: str | None = None


@dataclass
class _Report:
    report_id: int
    xml: str
    state: str = "open"
    opened: float = field(default_factory=time.monotonic)
    modified: float = field(default_factory=time.monotonic)
    files: dict[str, _File] = field(default_factory=dict)


class _DropConnection(Exception):
    """Raised inside the ASGI app after a partial answer: the server closes the connection."""


class _QuietDrops(logging.Filter):
    """Keep injected connection drops out of uvicorn's error log (they are the point, not a bug)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _DropConnection))


def _quiet_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in logger.filters):
        logger.addFilter(_QuietDrops())


class CyberTiplineStandin:
    """The stand-in's state and request handling (an ASGI app: :attr:`app`)."""

    def __init__(self, settings: StandinSettings | None = None) -> None:
        self.settings = settings or StandinSettings()
        self.faults = self.settings.faults
        self._rng = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self._ids = itertools.count(10_000_001)
        self.reports: dict[int, _Report] = {}
        self.calls: dict[str, int] = dict.fromkeys(ENDPOINTS, 0)
        self.injected: dict[str, int] = {"slow": 0, "error": 0, "drop": 0, "lose": 0}
        self.app = self._build()

    def set_faults(self, faults: Faults) -> None:
        """Replace the faults (and reseed their random draws)."""
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)

    # -- the FastAPI app -----------------------------------------------------------
    def _build(self) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        api = FastAPI(title="CyberTipline stand-in", docs_url=None, redoc_url=None, openapi_url=None)

        def xml(body: bytes, code: int = 0) -> Response:
            return Response(body, status_code=HTTP_STATUS[code // 1000], media_type="text/xml")

        def answer(code: int, **kwargs: Any) -> Response:
            return xml(response_xml(code, codes.describe(code), **kwargs), code)

        @api.get("/ispws/status")
        def status() -> Response:
            return answer(codes.SUCCESS)

        @api.get("/ispws/xsd")
        def xsd() -> Response:
            return Response(XSD_PATH.read_bytes(), media_type="text/xml")

        @api.post("/ispws/submit")
        async def submit(request: Request) -> Response:
            code = self._check_document(await request.body(), "report")
            if code:
                return answer(code)
            with self._lock:
                report_id = next(self._ids)
                self.reports[report_id] = _Report(report_id, (await request.body()).decode("utf-8"))
            return answer(codes.SUCCESS, report_id=report_id)

        @api.post("/ispws/upload")
        async def upload(request: Request) -> Response:
            form = await request.form()
            report_id, file = _int(form.get("id")), form.get("file")
            if report_id is None or file is None or isinstance(file, str):
                return answer(codes.INVALID_REQUEST)
            data = await file.read()
            with self._lock:
                report, code = self._open_report(report_id)
                if report is None:
                    return answer(code, report_id=report_id)
                file_id = secrets.token_hex(16)
                md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
                report.files[file_id] = _File(file_id, file.filename or "file", md5, len(data))
                report.modified = time.monotonic()
            return answer(codes.SUCCESS, report_id=report_id, file_id=file_id, hash=md5)

        @api.post("/ispws/fileinfo")
        async def fileinfo(request: Request) -> Response:
            body = await request.body()
            code = self._check_document(body, "fileDetails")
            if code:
                return answer(code)
            root = etree.fromstring(body)
            report_id, file_id = int(root.findtext("reportId") or 0), root.findtext("fileId") or ""
            with self._lock:
                report, code = self._open_report(report_id)
                if report is None:
                    return answer(code, report_id=report_id)
                if file_id not in report.files:
                    return answer(codes.FILE_DOES_NOT_EXIST, report_id=report_id)
                report.files[file_id].details = body.decode("utf-8")
                report.modified = time.monotonic()
            return answer(codes.SUCCESS, report_id=report_id)

        @api.post("/ispws/finish")
        async def finish(request: Request) -> Response:
            report_id = _int((await request.form()).get("id"))
            if report_id is None:
                return answer(codes.INVALID_REQUEST)
            with self._lock:
                report, code = self._open_report(report_id)
                if report is None:
                    return answer(code, report_id=report_id)
                report.state = "finished"
                files = list(report.files)
            return xml(done_xml(report_id, files))

        @api.post("/ispws/retract")
        async def retract(request: Request) -> Response:
            report_id = _int((await request.form()).get("id"))
            if report_id is None:
                return answer(codes.INVALID_REQUEST)
            with self._lock:
                report, code = self._open_report(report_id)
                if report is None:
                    return answer(code, report_id=report_id)
                report.state = "retracted"
            return answer(codes.SUCCESS, report_id=report_id)

        @api.get("/_standin/reports")
        def listing() -> JSONResponse:
            with self._lock:
                self._expire()
                return JSONResponse(
                    {
                        "reports": [
                            {
                                "report_id": r.report_id, "state": r.state, "xml": r.xml,
                                "files": [asdict(f) for f in r.files.values()],
                            }
                            for r in self.reports.values()
                        ],
                        "calls": self.calls,
                        "injected": self.injected,
                    }
                )

        @api.put("/_standin/faults")
        async def put_faults(request: Request) -> JSONResponse:
            data = await request.json()
            options: dict[str, Any] = {k: tuple(v) if k == "endpoints" else v for k, v in data.items()}
            try:
                faults = Faults(**options)
            except (TypeError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            self.set_faults(faults)
            return JSONResponse(asdict(faults))

        return self._guard(api)

    def _check_document(self, body: bytes, root: str) -> int:
        try:
            element = validate(body)
        except DocumentError as exc:
            return codes.MALFORMED_XML if str(exc).startswith("malformed") else codes.VALIDATION_FAILED
        return codes.SUCCESS if element.tag == root else codes.VALIDATION_FAILED

    def _open_report(self, report_id: int) -> tuple[_Report | None, int]:
        """The open report ``report_id`` (lock held), or ``None`` and the 5xxx code saying why not."""
        self._expire()
        report = self.reports.get(report_id)
        if report is None or report.state == "expired":
            return None, codes.REPORT_DOES_NOT_EXIST
        if report.state == "retracted":
            return None, codes.REPORT_ALREADY_RETRACTED
        if report.state == "finished":
            return None, codes.REPORT_ALREADY_FINISHED
        return report, codes.SUCCESS

    def _expire(self) -> None:
        now = time.monotonic()
        for report in self.reports.values():
            if report.state == "open" and now - report.modified > self.settings.open_ttl_s:
                report.state = "expired"

    # -- auth and faults, around the app ----------------------------------------------
    def _guard(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or not scope["path"].startswith("/ispws/"):
                await app(scope, receive, send)
                return
            endpoint = scope["path"].removeprefix("/ispws/").strip("/")
            if not self._authorised(scope):
                body = response_xml(codes.AUTHENTICATION_REQUIRED, codes.describe(codes.AUTHENTICATION_REQUIRED))
                await _respond(send, 401, body, [(b"www-authenticate", b'Basic realm="CyberTipline"')])
                return
            with self._lock:
                if endpoint in self.calls:
                    self.calls[endpoint] += 1
                fault = self._draw(endpoint)
            if fault == "slow":
                await asyncio.sleep(self.faults.slow_s)
            elif fault == "error":
                body = response_xml(codes.SERVER_ERROR, "Server error (injected)")
                await _respond(send, 500, body)
                return
            elif fault == "drop":
                await _drop(send)
            elif fault == "lose":
                await app(scope, receive, _swallow)
                await _drop(send)
            await app(scope, receive, send)

        return guarded

    def _authorised(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        if not header.lower().startswith(b"basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, self.settings.username) and secrets.compare_digest(
            password, self.settings.password
        )

    def _draw(self, endpoint: str) -> str | None:
        faults = self.faults
        if endpoint not in faults.endpoints:
            return None
        draw = self._rng.random()
        for name in ("drop", "lose", "error", "slow"):
            rate = getattr(faults, name)
            if draw < rate:
                self.injected[name] += 1
                return name
            draw -= rate
        return None


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/xml"), (b"content-length", str(len(body)).encode()), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _swallow(message: Message) -> None:
    """An ASGI ``send`` that discards the app's answer (the answer is lost)."""


async def _drop(send: Send) -> None:
    """Start an answer, send part of it, and fail: the server closes the connection mid-answer."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]})
    await send({"type": "http.response.body", "body": b"<", "more_body": True})
    raise _DropConnection("connection dropped (injected)")


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


@contextmanager
def running_standin(
    settings: StandinSettings | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[tuple[str, CyberTiplineStandin]]:
    """Run a stand-in in a background thread; yields its base URL (``http://HOST:PORT/ispws``) and itself.

    ``port=0`` picks a free port. The server stops when the block ends.
    """
    import uvicorn

    standin = CyberTiplineStandin(settings)
    _quiet_drops()
    config = uvicorn.Config(
        standin.app, host=host, port=port, log_level="critical", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="cybertip-standin", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the CyberTipline stand-in did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}/ispws", standin
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve(settings: StandinSettings, *, host: str = "127.0.0.1", port: int = 8731) -> None:
    """Run a stand-in in the foreground until interrupted (what ``firebreak ncmec standin`` does)."""
    import uvicorn

    _quiet_drops()
    uvicorn.run(CyberTiplineStandin(settings).app, host=host, port=port, log_level="warning", lifespan="off")
