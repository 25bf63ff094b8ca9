"""An HTTP client for the CyberTipline Reporting API (``httpx``, HTTP Basic auth).

One method per endpoint (``status``, ``submit``, ``upload``, ``fileinfo``,
``finish``, ``retract``); each makes exactly one request and either returns the
parsed :class:`~firebreak.act.ncmec.documents.Answer` (response code 0) or raises:

    NcmecError                 any failed call (code, description, endpoint)
    ├── TransientError         worth retrying: 1xxx server errors, timeouts, dropped connections
    │     .ambiguous           True when the request may have been processed (the answer was lost)
    └── PermanentError         2000 authentication, 3xxx, 4xxx, 5xxx: retrying cannot help

Retrying is the caller's decision (:func:`with_retries`), because whether a lost
answer may be re-sent depends on the step: a second ``submit`` opens a second
report, a second ``fileinfo`` only repeats the details.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Self, TypeVar

import httpx
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from firebreak.act.ncmec import codes
from firebreak.act.ncmec.documents import Answer, DocumentError, parse_answer
from firebreak.errors import FirebreakError

T = TypeVar("T")
XML = {"Content-Type": "text/xml; charset=utf-8"}


class NcmecError(FirebreakError):
    """A CyberTipline call failed; ``code`` is NCMEC's response code (or the nearest one)."""

    def __init__(self, endpoint: str, code: int, description: str) -> None:
        super().__init__(f"{endpoint}: response code {code} ({description})")
        self.endpoint = endpoint
        self.code = code
        self.description = description


class TransientError(NcmecError):
    """A failure that may pass: a 1xxx server error, a timeout or a dropped connection."""

    def __init__(self, endpoint: str, code: int, description: str, *, ambiguous: bool) -> None:
        super().__init__(endpoint, code, description)
        self.ambiguous = ambiguous


class PermanentError(NcmecError):
    """A definite refusal (2000, 3xxx, 4xxx, 5xxx): the same request will fail again."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry transient failures (exponential backoff with jitter)."""

    attempts: int = 6
    initial_s: float = 0.5
    maximum_s: float = 30.0


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    retry_ambiguous: bool = True,
    on_retry: Callable[[TransientError], None] | None = None,
) -> T:
    """Run ``call``, retrying :class:`TransientError` up to ``policy.attempts`` times in all.

    With ``retry_ambiguous=False`` a transient failure whose request may have
    been processed is raised at once. The last error is raised when attempts run out.
    """

    def retryable(exc: BaseException) -> bool:
        return isinstance(exc, TransientError) and (retry_ambiguous or not exc.ambiguous)

    def before_sleep(state: object) -> None:
        outcome = getattr(state, "outcome", None)
        exc = outcome.exception() if outcome is not None else None
        if on_retry is not None and isinstance(exc, TransientError):
            on_retry(exc)

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.initial_s, max=policy.maximum_s) + wait_random(0, policy.initial_s),
        retry=retry_if_exception(retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(call)


class CyberTiplineClient:
    """The Reporting API at ``base_url`` (e.g. ``https://exttest.cybertip.org/ispws``).

    ``username``/``password`` go in HTTP Basic auth on every request. Use as a
    context manager or call :meth:`close`.
    """

    def __init__(self, base_url: str, username: str, password: str, *, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(username, password),
            timeout=httpx.Timeout(timeout_s),
            # Plain-HTTP endpoints (the local stand-in) need no certificate store.
            verify=self.base_url.startswith("https://"),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def status(self) -> Answer:
        """``GET /status``: checks that the server answers and the credentials are accepted."""
        return self._call("status", "GET", "/status")

    def submit(self, report: bytes) -> Answer:
        """``POST /submit`` with a ``<report>`` document; the answer carries the new ``report_id``."""
        return self._call("submit", "POST", "/submit", content=report, headers=XML)

    def upload(self, report_id: int, filename: str, data: bytes) -> Answer:
        """``POST /upload`` (multipart ``id`` and ``file``); the answer carries ``file_id`` and the MD5 ``hash``."""
        return self._call(
            "upload", "POST", "/upload", data={"id": str(report_id)}, files={"file": (filename, data)}
        )

    def fileinfo(self, details: bytes) -> Answer:
        """``POST /fileinfo`` with a ``<fileDetails>`` document."""
        return self._call("fileinfo", "POST", "/fileinfo", content=details, headers=XML)

    def finish(self, report_id: int) -> Answer:
        """``POST /finish``: files the report with NCMEC (irreversible); answers ``reportDoneResponse``."""
        return self._call("finish", "POST", "/finish", data={"id": str(report_id)})

    def retract(self, report_id: int) -> Answer:
        """``POST /retract``: cancels a report that is not finished."""
        return self._call("retract", "POST", "/retract", data={"id": str(report_id)})

    def _call(self, endpoint: str, method: str, path: str, **kwargs: object) -> Answer:
        try:
            response = self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(endpoint, codes.SERVER_ERROR, f"not sent: {exc!r}", ambiguous=False) from None
        except httpx.TransportError as exc:
            raise TransientError(endpoint, codes.SERVER_ERROR, f"answer lost: {exc!r}", ambiguous=True) from None
        return _answer(endpoint, response)


def _answer(endpoint: str, response: httpx.Response) -> Answer:
    try:
        answer = parse_answer(response.content)
    except DocumentError as exc:
        if response.status_code == 401:
            raise PermanentError(endpoint, codes.AUTHENTICATION_REQUIRED, "HTTP 401") from None
        if response.status_code >= 500:
            raise TransientError(
                endpoint, codes.SERVER_ERROR, f"HTTP {response.status_code} without an answer", ambiguous=True
            ) from None
        raise PermanentError(
            endpoint, codes.INVALID_REQUEST, f"HTTP {response.status_code}, unreadable answer: {exc}"
        ) from None
    if answer.code == codes.SUCCESS:
        return answer
    description = answer.description or codes.describe(answer.code)
    if codes.is_retryable(answer.code):
        raise TransientError(endpoint, answer.code, description, ambiguous=False)
    raise PermanentError(endpoint, answer.code, description)
