"""The report and file-details documents: golden files, schema order, required fields, round trips."""

from __future__ import annotations

import os
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from firebreak.act.ncmec import codes
from firebreak.act.ncmec.cases import Account, CaseError, CaseFile, EscalatedCase
from firebreak.act.ncmec.documents import (
    DocumentError,
    FileHashes,
    done_xml,
    file_details_xml,
    parse_answer,
    report_xml,
    response_xml,
    validate,
)
from firebreak.act.ncmec.media import GeneratedSquares, file_hashes
from tests.act.ncmec.helpers import REPORTER, make_case

GOLDEN = Path(__file__).resolve().parent / "golden"
REGEN = os.environ.get("FIREBREAK_REGEN_GOLDEN") == "1"


def _golden(name: str, produced: bytes) -> None:
    path = GOLDEN / name
    if REGEN:
        path.write_bytes(produced)
    assert path.is_file(), f"{path} missing: run with FIREBREAK_REGEN_GOLDEN=1"
    assert produced.decode() == path.read_text(encoding="utf-8")


def test_report_matches_golden_file() -> None:
    _golden("report.xml", report_xml(make_case(1, victim=True), REPORTER))


def test_file_details_match_golden_file() -> None:
    case = make_case(1)
    hashes = FileHashes(md5="592ce4dca98211617f235db2037f6ab2", pdq="18a3e75c" * 8)
    xml = file_details_xml(10000001, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", case.files[0], hashes)
    _golden("file_details.xml", xml)


def test_report_follows_the_schema_sequence() -> None:
    root = etree.fromstring(report_xml(make_case(2, victim=True), REPORTER))
    assert [child.tag for child in root] == [
        "incidentSummary", "internetDetails", "reporter", "personOrUserReported", "victim", "additionalInfo",
    ]
    user = root.find("personOrUserReported")
    assert user is not None
    assert user.findtext("espIdentifier") == "acct201"
    assert [a.findtext("espIdentifier") for a in user.iterfind("associatedAccount")] == ["acct210", "acct211"]
    assert "case case-2, network n2" in (root.findtext("additionalInfo") or "")
    assert "coded term family 'menu'" in (root.findtext("additionalInfo") or "")


def test_victim_is_left_out_when_unknown() -> None:
    root = etree.fromstring(report_xml(make_case(3), REPORTER))
    assert root.find("victim") is None


def test_out_of_order_document_is_rejected() -> None:
    root = etree.fromstring(report_xml(make_case(4), REPORTER))
    reporter = root.find("reporter")
    assert reporter is not None
    root.remove(reporter)
    root.insert(0, reporter)  # reporter before incidentSummary
    with pytest.raises(DocumentError, match="reporter.*not expected"):
        validate(etree.tostring(root))


def test_missing_required_field_is_rejected() -> None:
    root = etree.fromstring(report_xml(make_case(5), REPORTER))
    summary = root.find("incidentSummary")
    assert summary is not None
    summary.remove(summary.find("incidentDateTime"))  # type: ignore[arg-type]
    with pytest.raises(DocumentError, match="incidentDateTime"):
        validate(etree.tostring(root))


def test_malformed_xml_is_reported_as_such() -> None:
    with pytest.raises(DocumentError, match="^malformed XML"):
        validate(b"<report><incidentSummary></report>")


def test_file_hashes_are_md5_and_pdq_of_the_original() -> None:
    data = GeneratedSquares().read("x/1.png")
    hashes = file_hashes(data)
    import hashlib

    assert hashes.md5 == hashlib.md5(data).hexdigest()
    assert hashes.pdq is not None and len(hashes.pdq) == 64
    assert file_hashes(b"not an image").pdq is None


def test_answers_parse() -> None:
    answer = parse_answer(response_xml(0, "Success", report_id=7, file_id="f", hash="ab"))
    assert (answer.code, answer.report_id, answer.file_id, answer.hash) == (0, 7, "f", "ab")
    assert parse_answer(done_xml(7, ["a", "b"])).file_ids == ("a", "b")
    assert parse_answer(response_xml(4100, "Validation failed")).code == codes.VALIDATION_FAILED


def test_retryable_codes_are_the_server_errors() -> None:
    retryable = {c for c in codes.DESCRIPTIONS if c and codes.is_retryable(c)}
    assert retryable == {1000, 1100, 1110, 1111, 1210, 1300}
    assert not any(codes.is_retryable(c) for c in (2000, 3000, 3100, 4000, 4100, 4110, 5001, 5102))


def test_case_fields_are_checked() -> None:
    with pytest.raises(CaseError, match="case_id"):
        EscalatedCase("", "n1", Account("a"), datetime(2023, 1, 1, tzinfo=UTC))
    with pytest.raises(CaseError, match="appears twice"):
        EscalatedCase("c", "n1", Account("a"), datetime(2023, 1, 1, tzinfo=UTC), files=(CaseFile("f"), CaseFile("f")))
    with pytest.raises(CaseError, match="missing field 'reported'"):
        EscalatedCase.from_json({"case_id": "c", "network_id": "n", "incident_at": "2023-01-01T00:00:00+00:00"})


# XML 1.0 text without control characters; the schema refuses blank values, so each has a letter.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).map(lambda s: f"x{s}")
NAMES = st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=1, max_size=20)


@given(
    evidence=st.lists(TEXT, max_size=5),
    screen=NAMES,
    associated=st.lists(NAMES, max_size=4, unique=True),
    hours=st.integers(0, 10**5),
)
def test_any_case_builds_a_valid_report_and_round_trips(
    evidence: list[str], screen: str, associated: list[str], hours: int
) -> None:
    case = EscalatedCase(
        case_id="c-prop",
        network_id="n-prop",
        reported=Account("acct", screen, f"https://example.social/{screen}"),
        associated=tuple(Account(f"id_{a}", a) for a in associated),
        evidence=tuple(evidence),
        incident_at=datetime.fromtimestamp(1_600_000_000 + 3600 * hours, UTC),
        files=(CaseFile("f.png"),),
    )
    root = validate(report_xml(case, REPORTER))
    text = root.findtext("additionalInfo") or ""
    assert all(line.strip() in text for line in evidence)
    assert EscalatedCase.from_json(case.to_json()) == case
    details = validate(file_details_xml(1, "fid", case.files[0], FileHashes(md5="0" * 32)))
    assert details.findtext("fileViewedByEsp") == "true"
