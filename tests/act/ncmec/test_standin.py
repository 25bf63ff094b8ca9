"""The stand-in's contract, exercised through the real client over loopback HTTP."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from lxml import etree

from firebreak.act.ncmec import codes
from firebreak.act.ncmec.client import (
    CyberTiplineClient,
    PermanentError,
    RetryPolicy,
    TransientError,
    with_retries,
)
from firebreak.act.ncmec.documents import FileHashes, file_details_xml, report_xml
from firebreak.act.ncmec.settings import NcmecSettings
from firebreak.act.ncmec.standin import CyberTiplineStandin, Faults
from tests.act.ncmec.helpers import REPORTER, holdings, make_case

Standin = tuple[NcmecSettings, CyberTiplineStandin]


def _client(settings: NcmecSettings, password: str | None = None) -> CyberTiplineClient:
    return CyberTiplineClient(settings.base_url, settings.username, password or settings.password, timeout_s=5)


def test_status_needs_basic_auth(standin: Standin) -> None:
    settings, _ = standin
    with _client(settings) as client:
        assert client.status().code == codes.SUCCESS
    with _client(settings, password="wrong") as client, pytest.raises(PermanentError) as info:
        client.status()
    assert info.value.code == codes.AUTHENTICATION_REQUIRED
    bare = httpx.get(f"{settings.base_url}/status")
    assert bare.status_code == 401 and "Basic" in bare.headers["www-authenticate"]


def test_the_whole_report_lifecycle(standin: Standin) -> None:
    settings, _ = standin
    case = make_case(1)
    data = b"\x89PNG benign placeholder bytes"
    with _client(settings) as client:
        report_id = client.submit(report_xml(case, REPORTER)).report_id
        assert report_id is not None
        uploaded = client.upload(report_id, "post0.png", data)
        assert uploaded.hash == hashlib.md5(data).hexdigest()
        assert uploaded.file_id
        details = file_details_xml(report_id, uploaded.file_id, case.files[0], FileHashes(md5=uploaded.hash))
        assert client.fileinfo(details).code == codes.SUCCESS
        done = client.finish(report_id)
        assert done.report_id == report_id and done.file_ids == (uploaded.file_id,)
        with pytest.raises(PermanentError) as again:
            client.finish(report_id)
        assert again.value.code == codes.REPORT_ALREADY_FINISHED
        with pytest.raises(PermanentError) as late:
            client.retract(report_id)
        assert late.value.code == codes.REPORT_ALREADY_FINISHED
    listing = holdings(settings)["reports"]
    assert [(r["report_id"], r["state"]) for r in listing] == [(report_id, "finished")]  # type: ignore[index]


def test_out_of_order_report_is_refused_with_4100(standin: Standin) -> None:
    settings, _ = standin
    root = etree.fromstring(report_xml(make_case(2), REPORTER))
    summary = root.find("incidentSummary")
    assert summary is not None
    root.remove(summary)
    root.append(summary)
    with _client(settings) as client, pytest.raises(PermanentError) as info:
        client.submit(etree.tostring(root))
    assert info.value.code == codes.VALIDATION_FAILED
    with _client(settings) as client, pytest.raises(PermanentError) as malformed:
        client.submit(b"<report><oops></report>")
    assert malformed.value.code == codes.MALFORMED_XML


def test_unknown_retracted_and_missing_things_get_5xxx(standin: Standin) -> None:
    settings, _ = standin
    with _client(settings) as client:
        with pytest.raises(PermanentError) as unknown:
            client.upload(999, "x.png", b"x")
        assert unknown.value.code == codes.REPORT_DOES_NOT_EXIST
        report_id = client.submit(report_xml(make_case(3), REPORTER)).report_id
        assert report_id is not None
        with pytest.raises(PermanentError) as no_file:
            client.fileinfo(file_details_xml(report_id, "nofile", make_case(3).files[0], FileHashes(md5="0" * 32)))
        assert no_file.value.code == codes.FILE_DOES_NOT_EXIST
        assert client.retract(report_id).code == codes.SUCCESS
        with pytest.raises(PermanentError) as twice:
            client.retract(report_id)
        assert twice.value.code == codes.REPORT_ALREADY_RETRACTED
        with pytest.raises(PermanentError) as after:
            client.finish(report_id)
        assert after.value.code == codes.REPORT_ALREADY_RETRACTED


@pytest.mark.parametrize(
    ("fault", "ambiguous", "handled"),
    [("error", False, False), ("drop", True, False), ("lose", True, True)],
)
def test_injected_faults_are_transient(standin: Standin, fault: str, ambiguous: bool, handled: bool) -> None:
    settings, server = standin
    server.set_faults(Faults(**{fault: 1.0}, endpoints=("submit",)))  # type: ignore[arg-type]
    with _client(settings) as client, pytest.raises(TransientError) as info:
        client.submit(report_xml(make_case(4), REPORTER))
    assert info.value.ambiguous is ambiguous
    assert len(holdings(settings)["reports"]) == int(handled)  # type: ignore[arg-type]


def test_slow_answers_time_out_and_retries_get_through(standin: Standin) -> None:
    settings, server = standin
    server.set_faults(Faults(slow=1.0, slow_s=0.5, endpoints=("status",)))
    with CyberTiplineClient(settings.base_url, settings.username, settings.password, timeout_s=0.1) as client:
        with pytest.raises(TransientError) as info:
            client.status()
        assert info.value.ambiguous
    server.set_faults(Faults(error=0.5, endpoints=("status",), seed=3))
    seen: list[int] = []
    with _client(settings) as client:
        answer = with_retries(
            client.status, RetryPolicy(attempts=20, initial_s=0.001, maximum_s=0.01), on_retry=lambda e: seen.append(e.code)
        )
    assert answer.code == codes.SUCCESS
    assert seen and set(seen) == {codes.SERVER_ERROR}
    assert server.injected["error"] == len(seen)
