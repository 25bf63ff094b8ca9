"""Shared data for the NCMEC reporting tests: synthetic escalated cases, the reporter, fast retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from firebreak.act.ncmec.cases import Account, CaseFile, EscalatedCase, Victim
from firebreak.act.ncmec.client import RetryPolicy
from firebreak.act.ncmec.documents import Reporter
from firebreak.act.ncmec.settings import NcmecSettings

REPORTER = Reporter(
    email="reports@example.org",
    esp_service="Example Social",
    first_name="Trust",
    last_name="Safety",
    legal_url="https://example.org/legal",
)
#: fast backoff for tests: many tries, milliseconds apart.
FAST = RetryPolicy(attempts=12, initial_s=0.005, maximum_s=0.05)


def make_case(index: int, *, files: int = 2, victim: bool = False) -> EscalatedCase:
    """A synthetic escalated case: coded placeholders and example.social URLs only."""
    seller = Account(f"acct{index}01", f"menu_seller_{index}", f"https://example.social/menu_seller_{index}", "seller")
    buyers = tuple(
        Account(f"acct{index}1{b}", f"buyer_{index}_{b}", f"https://example.social/buyer_{index}_{b}", "buyer")
        for b in range(2)
    )
    return EscalatedCase(
        case_id=f"case-{index}",
        network_id=f"n{index}",
        reported=seller,
        associated=buyers,
        incident_at=datetime(2023, 6, 7, 12, tzinfo=UTC) + timedelta(hours=index),
        evidence=(
            "profile text uses coded term family 'menu' (lexicon v3)",
            "links to off-platform destination link.example/x1",
            "12 of 14 followers are flagged buyers",
        ),
        files=tuple(
            CaseFile(
                f"{seller.id}/post{f}.png",
                name=f"post{f}.png",
                uploaded_at=datetime(2023, 6, 6, 8, tzinfo=UTC),
                location=f"https://cdn.example.social/{seller.id}/post{f}.png",
            )
            for f in range(files)
        ),
        victim=Victim(age=15) if victim else None,
        escalated_by="reviewer-7",
    )


def holdings(settings: NcmecSettings) -> dict[str, object]:
    """What the stand-in at ``settings`` holds (its ``/_standin/reports`` listing)."""
    base = settings.base_url.removesuffix("/ispws")
    data: dict[str, object] = httpx.get(f"{base}/_standin/reports", timeout=10).json()
    return data


def case_of(report_xml: str) -> str:
    """The case id a report names in its ``additionalInfo`` (``Firebreak case ID, network ...``)."""
    from lxml import etree

    text = etree.fromstring(report_xml.encode()).findtext("additionalInfo") or ""
    return text.split("Firebreak case ", 1)[1].split(",", 1)[0]


def check_exactly_once(settings: NcmecSettings, store: object, case_ids: list[str]) -> dict[str, int]:
    """Assert the trial's invariants and return ``{case_id: report_id}``.

    Each case has exactly one finished report on the stand-in, the one the store
    names; every report the store knows is finished, retracted or expired (none
    left open); a report still open on the stand-in is one whose ``/submit``
    answer was lost (the store holds an ``unknown`` submission for each), and
    such reports are never finished. Every finished report carries each of the
    case's files once, with details.
    """
    from sqlalchemy import select

    from firebreak.act.ncmec.ledger import Ledger
    from firebreak.store.schema import ncmec_submissions

    listing = holdings(settings)
    reports = listing["reports"]
    assert isinstance(reports, list)
    finished: dict[str, list[dict[str, object]]] = {}
    for report in reports:
        if report["state"] == "finished":
            finished.setdefault(case_of(str(report["xml"])), []).append(report)
    assert sorted(finished) == sorted(case_ids), f"finished reports per case: {finished.keys()}"
    assert all(len(v) == 1 for v in finished.values()), {k: len(v) for k, v in finished.items() if len(v) != 1}
    ledger = Ledger(store, "check")  # type: ignore[arg-type]
    cases = ledger.cases()
    ids = dict(cases.select("case_id", "report_id").iter_rows())
    states = dict(cases.select("case_id", "state").iter_rows())
    for case_id, (report,) in finished.items():
        assert states[case_id] == "finished"
        assert ids[case_id] == report["report_id"]
        files = report["files"]
        assert isinstance(files, list)
        assert all(f["details"] for f in files)
        assert len(files) == len({f["md5"] for f in files})
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        subs = conn.execute(select(ncmec_submissions.c.state, ncmec_submissions.c.report_id)).all()
    known = {r for _, r in subs if r is not None}
    server_state = {r["report_id"]: r["state"] for r in reports}
    assert all(server_state[r] in ("finished", "retracted", "expired") for r in known), [
        (r, server_state[r]) for r in known if server_state[r] == "open"
    ]
    orphans = [r for r in reports if r["report_id"] not in known]
    assert all(r["state"] != "finished" for r in orphans)
    unknown = sum(1 for state, _ in subs if state == "unknown")
    assert sum(1 for r in orphans if r["state"] == "open") <= unknown
    assert not any(state in ("submitting", "open", "finishing", "retracting") for state, _ in subs)
    return {case_id: int(ids[case_id]) for case_id in case_ids}


def worker_process(db_url: str, base_url: str, kill_at: str | None, worker: str = "w1") -> None:
    """A reporting worker's whole life, for a child process: report every pending case.

    With ``kill_at`` (``STEP`` or ``STEP.sent``) the process SIGKILLs itself the first time it
    reaches that point, like a machine losing power mid-request.
    """
    import os
    import signal

    from firebreak.act.ncmec.client import RetryPolicy
    from firebreak.act.ncmec.ledger import Ledger
    from firebreak.act.ncmec.media import GeneratedSquares
    from firebreak.act.ncmec.service import submit_pending
    from firebreak.store import open_store

    def hook(step: str) -> None:
        if step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    settings = NcmecSettings("test", base_url, "firebreak-test", "firebreak-test")
    with open_store(db_url) as store:
        ledger = Ledger(store, worker)
        submit_pending(ledger, settings, GeneratedSquares(), REPORTER, retry=RetryPolicy(4, 0.001, 0.01), timeout_s=5, hook=hook)
