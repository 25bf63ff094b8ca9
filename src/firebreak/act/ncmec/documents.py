"""CyberTipline XML documents: the report, each file's details, and the server's answers.

Documents are built with lxml, element by element in the order of the schema's
``xs:sequence`` (NCMEC rejects an out-of-order document with code 4100), and
validated against ``cybertip.xsd`` before anything is sent. The same schema
validates what the stand-in server receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from lxml import etree

from firebreak.act.ncmec.cases import Account, CaseFile, EscalatedCase
from firebreak.errors import FirebreakError

XSD_PATH = Path(__file__).resolve().parent / "cybertip.xsd"


class DocumentError(FirebreakError):
    """An XML document breaks the CyberTipline schema (the message names the element)."""


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who reports: the ESP (platform) and its reporting contact.

    ``email`` is the reporting person's address (``reporter/reportingPerson``);
    ``esp_service`` names the platform in ``espService``/``platform``.
    """

    email: str
    esp_service: str
    first_name: str | None = None
    last_name: str | None = None
    legal_url: str | None = None
    terms_of_service: str | None = None


@dataclass(frozen=True, slots=True)
class FileHashes:
    """The original file's hashes as the ESP computed them (MD5 hex, PDQ hex or ``None``)."""

    md5: str
    pdq: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A parsed ``reportResponse`` or ``reportDoneResponse``."""

    code: int
    description: str
    report_id: int | None = None
    file_id: str | None = None
    hash: str | None = None
    file_ids: tuple[str, ...] = ()


@cache
def schema() -> etree.XMLSchema:
    """The CyberTipline schema (parsed once)."""
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def _time(value: datetime) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    child = etree.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child


def _opt(parent: etree._Element, tag: str, text: str | None) -> None:
    if text is not None and text.strip():
        _add(parent, tag, text)


def _network_line(case: EscalatedCase) -> str:
    return f"Firebreak case {case.case_id}, network {case.network_id}"


def _associated(parent: etree._Element, account: Account, case: EscalatedCase, reporter: Reporter) -> None:
    node = _add(parent, "associatedAccount", accountType="Other")
    _add(node, "espService", reporter.esp_service)
    _add(node, "espIdentifier", account.id)
    _opt(node, "profileUrl", account.profile_url)
    _opt(node, "screenName", account.screen_name)
    _add(node, "groupIdentifier", case.network_id)
    role = f", role {account.role}" if account.role else ""
    _add(node, "additionalInfo", f"Member of the same network ({case.network_id}{role})")


def report_xml(case: EscalatedCase, reporter: Reporter) -> bytes:
    """The ``<report>`` document for ``case`` (UTF-8 bytes with an XML declaration).

    Order: ``incidentSummary`` (incident type, platform, date), ``internetDetails``
    (the profile pages as a web-page incident), ``reporter``, ``personOrUserReported``
    (ESP identifier, screen name, profile URL, the network's other accounts as
    ``associatedAccount``), ``victim`` when known, ``additionalInfo`` (case, network
    and the evidence summary). Raises :class:`DocumentError` if the result breaks the schema.
    """
    root = etree.Element("report")
    summary = _add(root, "incidentSummary")
    _add(summary, "incidentType", case.incident_type)
    _add(summary, "platform", reporter.esp_service)
    _add(summary, "incidentDateTime", _time(case.incident_at))

    urls = [a.profile_url for a in (case.reported, *case.associated) if a.profile_url]
    if urls:
        web = _add(_add(root, "internetDetails"), "webPageIncident")
        for url in urls:
            _add(web, "url", url)
        _add(web, "additionalInfo", f"Profile pages of the reported network {case.network_id}")

    rep = _add(root, "reporter")
    person = _add(rep, "reportingPerson")
    _opt(person, "firstName", reporter.first_name)
    _opt(person, "lastName", reporter.last_name)
    _add(person, "email", reporter.email)
    _opt(rep, "termsOfService", reporter.terms_of_service)
    _opt(rep, "legalURL", reporter.legal_url)

    user = _add(root, "personOrUserReported")
    _add(user, "espIdentifier", case.reported.id)
    _add(user, "espService", reporter.esp_service)
    _opt(user, "screenName", case.reported.screen_name)
    _opt(user, "profileUrl", case.reported.profile_url)
    _add(user, "groupIdentifier", case.network_id)
    for account in case.associated:
        _associated(user, account, case, reporter)
    if case.reported.role:
        _add(user, "additionalInfo", f"Role in the network: {case.reported.role}")

    if case.victim is not None:
        victim = _add(root, "victim")
        victim_person = _add(victim, "victimPerson")
        if case.victim.age is not None:
            _add(victim_person, "age", str(case.victim.age))
        _opt(victim, "espIdentifier", case.victim.id)
        if case.victim.id:
            _add(victim, "espService", reporter.esp_service)
        _opt(victim, "screenName", case.victim.screen_name)
        _opt(victim, "profileUrl", case.victim.profile_url)

    lines = [_network_line(case)]
    if case.escalated_by:
        lines.append(f"Escalated by reviewer {case.escalated_by}")
    lines += ["Evidence:", *(f"- {line}" for line in case.evidence)]
    _add(root, "additionalInfo", "\n".join(lines))
    return _checked(root)


def file_details_xml(report_id: int, file_id: str, file: CaseFile, hashes: FileHashes) -> bytes:
    """The ``<fileDetails>`` document for one uploaded file.

    Carries the original file's name, upload time and location when known, the
    ESP's flags (``fileViewedByEsp``, ``publiclyAvailable``), ``fileRelevance``
    ``Reported``, and the original file's hashes (``originalFileHash`` with
    ``hashType`` MD5 and PDQ, as ROOST Coop sends them).
    """
    root = etree.Element("fileDetails")
    _add(root, "reportId", str(report_id))
    _add(root, "fileId", file_id)
    _opt(root, "originalFileName", file.name)
    if file.uploaded_at is not None:
        _add(root, "uploadedToEspTimestamp", _time(file.uploaded_at))
    _opt(root, "locationOfFile", file.location)
    _add(root, "fileViewedByEsp", _bool(file.viewed_by_esp))
    _add(root, "publiclyAvailable", _bool(file.publicly_available))
    _add(root, "fileRelevance", "Reported")
    _add(root, "originalFileHash", hashes.md5, hashType="MD5")
    if hashes.pdq:
        _add(root, "originalFileHash", hashes.pdq, hashType="PDQ")
    return _checked(root)


def _checked(root: etree._Element) -> bytes:
    validate(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def validate(document: etree._Element | bytes) -> etree._Element:
    """Check ``document`` (an element or XML bytes) against the schema and return its root element.

    Raises :class:`DocumentError` with the first violation (line and message) for a
    malformed, out-of-order or incomplete document.
    """
    if isinstance(document, bytes):
        try:
            root = etree.fromstring(document, parser=_parser())
        except etree.XMLSyntaxError as exc:
            raise DocumentError(f"malformed XML: {exc}") from None
    else:
        root = document
    try:
        schema().assertValid(root)
    except etree.DocumentInvalid as exc:
        message = str(exc).removesuffix(", line 0")  # documents built in memory have no lines
        raise DocumentError(message) from None
    return root


@cache
def _parser() -> etree.XMLParser:
    # No network, no entities: documents come from outside.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_answer(body: bytes) -> Answer:
    """Parse a ``reportResponse`` / ``reportDoneResponse`` body; raises :class:`DocumentError`."""
    root = validate(body)

    def text(tag: str) -> str | None:
        node = root.find(tag)
        return node.text if node is not None and node.text is not None else None

    code = int(text("responseCode") or "0")
    report_id = text("reportId")
    return Answer(
        code=code,
        description=text("responseDescription") or "",
        report_id=int(report_id) if report_id else None,
        file_id=text("fileId"),
        hash=text("hash"),
        file_ids=tuple(n.text or "" for n in root.iterfind("files/fileId")),
    )


def response_xml(
    code: int,
    description: str,
    *,
    report_id: int | None = None,
    file_id: str | None = None,
    hash: str | None = None,
) -> bytes:
    """A ``reportResponse`` document (what the server sends for every call but ``/finish``)."""
    root = etree.Element("reportResponse")
    _add(root, "responseCode", str(code))
    _add(root, "responseDescription", description)
    if report_id is not None:
        _add(root, "reportId", str(report_id))
    if file_id is not None:
        _add(root, "fileId", file_id)
    if hash is not None:
        _add(root, "hash", hash)
    return _checked(root)


def done_xml(report_id: int, file_ids: list[str]) -> bytes:
    """A ``reportDoneResponse`` document (the answer to a successful ``/finish``)."""
    root = etree.Element("reportDoneResponse")
    _add(root, "responseCode", "0")
    _add(root, "reportId", str(report_id))
    files = _add(root, "files")
    for file_id in file_ids:
        _add(files, "fileId", file_id)
    return _checked(root)
