"""NCMEC CyberTipline reports, built to the public Reporting API and submitted exactly once.

    cases      EscalatedCase, Account, CaseFile, Victim: what one report says (frozen dataclasses)
    media      MediaSource (read(ref) -> bytes), DirectoryMedia, GeneratedSquares, file_hashes (MD5, PDQ)
    documents  report_xml, file_details_xml (lxml, in the schema's order), validate, parse_answer
    codes      the documented response codes; is_retryable (only 1xxx)
    client     CyberTiplineClient (httpx, Basic auth), TransientError / PermanentError, with_retries (tenacity)
    ledger     Ledger: every step in the store before and after it is sent, with audit entries
    worker     Worker: submit -> upload + fileinfo per file -> finish, resuming from the ledger
    standin    CyberTiplineStandin, running_standin, Faults: a local server for the same contract
    settings   resolve_settings: test mode by default, production only explicitly, credentials from env
    service    report_cases, submit_pending, report_on_standin: one call for the demo and scripts

Typical use::

    from firebreak.act.ncmec import report_cases, resolve_settings, GeneratedSquares, Reporter

    ids = report_cases(cases, db_url=url, settings=resolve_settings(), media=GeneratedSquares(),
                       reporter=Reporter(email="reports@example.org", esp_service="Example"))

Sources for the API's shape (element names, the order of each ``xs:sequence``,
endpoints, response documents and codes). NCMEC's own documentation is at
``https://report.cybertip.org/ispws/documentation/`` (production) and
``https://exttest.cybertip.org/ispws/documentation/`` (test); it was read here
through these open clients:

- ``ncmec-cybertip`` on PyPI (github.com/Nachtalb/ncmec-cybertip):
  ``src/ncmec_cybertip/report.py`` (report, incidentSummary, internetDetails,
  reporter, personOrUserReported with associatedAccount, victim),
  ``files.py`` (fileDetails, originalFileHash with ``hashType``),
  ``responses.py`` (reportResponse, reportDoneResponse), ``enums.py``
  (response codes 0 ... 5102, incident types), ``client.py`` (the seven endpoints,
  multipart ``/upload``, form ``id`` for ``/finish`` and ``/retract``, Basic auth,
  the production and exttest URLs), README (unfinished reports are deleted 24
  hours after opening or one hour after the last change).
- ROOST Coop (github.com/roostorg/coop), ``server/services/ncmecService/ncmecReporting.ts``:
  "key insertion order must match the NCMEC XSD sequence ... NCMEC rejects
  out-of-order submissions with responseCode=4100"; the submit -> upload ->
  fileinfo -> finish flow; ``toOriginalFileHashes.test.ts``: MD5 and PDQ sent as
  ``originalFileHash`` with ``hashType`` ``MD5`` / ``PDQ``.
- Civitai's client (``src/server/http/ncmec/ncmec.caller.ts``): the same endpoints over
  XML with Basic auth from environment variables.
- CyberTipline-Tools (github.com/Johannes-Andersen/CyberTipline-Tools),
  ``src/types/transactions/UploadFile.ts``: the upload answer carries the file id
  and the MD5 of the received file.

Meta's python-threatexchange / HMA talk to NCMEC's hash-sharing API, a different
service; nothing here is taken from them. The schema in ``cybertip.xsd`` is the
subset Firebreak sends, written from those sources, not NCMEC's file.
"""

from firebreak.act.ncmec.cases import (
    Account,
    CaseError,
    CaseFile,
    EscalatedCase,
    Victim,
)
from firebreak.act.ncmec.client import (
    CyberTiplineClient,
    NcmecError,
    PermanentError,
    RetryPolicy,
    TransientError,
)
from firebreak.act.ncmec.documents import (
    DocumentError,
    Reporter,
    file_details_xml,
    report_xml,
    validate,
)
from firebreak.act.ncmec.ledger import Ledger
from firebreak.act.ncmec.media import (
    DirectoryMedia,
    GeneratedSquares,
    MediaError,
    MediaSource,
)
from firebreak.act.ncmec.service import report_cases, report_on_standin, submit_pending
from firebreak.act.ncmec.settings import NcmecSettings, SettingsError, resolve_settings
from firebreak.act.ncmec.standin import (
    CyberTiplineStandin,
    Faults,
    StandinSettings,
    running_standin,
)
from firebreak.act.ncmec.worker import RunSummary, Worker

__all__ = [
    "Account",
    "CaseError",
    "CaseFile",
    "CyberTiplineClient",
    "CyberTiplineStandin",
    "DirectoryMedia",
    "DocumentError",
    "EscalatedCase",
    "Faults",
    "GeneratedSquares",
    "Ledger",
    "MediaError",
    "MediaSource",
    "NcmecError",
    "NcmecSettings",
    "PermanentError",
    "Reporter",
    "RetryPolicy",
    "RunSummary",
    "SettingsError",
    "StandinSettings",
    "TransientError",
    "Victim",
    "Worker",
    "file_details_xml",
    "report_cases",
    "report_on_standin",
    "report_xml",
    "resolve_settings",
    "running_standin",
    "submit_pending",
    "validate",
]
