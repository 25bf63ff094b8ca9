"""One call for the demo and for scripts: escalate cases and report them, returning their report ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from firebreak.act.ncmec.cases import EscalatedCase
from firebreak.act.ncmec.client import CyberTiplineClient, RetryPolicy
from firebreak.act.ncmec.documents import Reporter
from firebreak.act.ncmec.ledger import Ledger
from firebreak.act.ncmec.media import MediaSource
from firebreak.act.ncmec.settings import NcmecSettings
from firebreak.act.ncmec.worker import RunSummary, Worker
from firebreak.store import open_store

DEFAULT_WORKER = "ncmec-worker"


def report_cases(
    cases: Iterable[EscalatedCase],
    *,
    db_url: str,
    settings: NcmecSettings,
    media: MediaSource,
    reporter: Reporter,
    worker: str = DEFAULT_WORKER,
    retry: RetryPolicy | None = None,
    actor: str = "reviewer",
) -> dict[str, int]:
    """Escalate ``cases`` into the store at ``db_url`` and report every pending case.

    Cases already escalated are not escalated twice, and a case already reported
    is not reported again. Returns ``{case_id: report_id}`` for the given cases
    that end with a finished report (cases returned to a lead or deferred by
    transient failures are absent; ``firebreak ncmec status`` shows why).
    """
    chosen = list(cases)
    with open_store(db_url) as store:
        ledger = Ledger(store, worker)
        for case in chosen:
            ledger.escalate(case, actor=case.escalated_by or actor)
        submit_pending(ledger, settings, media, reporter, retry=retry)
        finished = ledger.cases("finished")
    ids = {c.case_id for c in chosen}
    return {
        case_id: int(report_id)
        for case_id, report_id in finished.select("case_id", "report_id").iter_rows()
        if case_id in ids
    }


def submit_pending(
    ledger: Ledger,
    settings: NcmecSettings,
    media: MediaSource,
    reporter: Reporter,
    *,
    retry: RetryPolicy | None = None,
    timeout_s: float = 30.0,
    limit: int | None = None,
    hook: Callable[[str], None] | None = None,
) -> RunSummary:
    """Report every case ``ledger``'s worker may claim (resuming any it left half-way)."""
    with CyberTiplineClient(settings.base_url, settings.username, settings.password, timeout_s=timeout_s) as client:
        worker = Worker(ledger, client, media, reporter, retry=retry or RetryPolicy(), hook=hook)
        return worker.run(limit)


def report_on_standin(
    cases: Iterable[EscalatedCase],
    *,
    db_url: str,
    media: MediaSource | None = None,
    reporter: Reporter | None = None,
) -> dict[str, int]:
    """Report ``cases`` to a stand-in started in this process for the call (what the demo uses).

    Files come from ``media`` (default: generated benign squares). Returns
    ``{case_id: report_id}`` as :func:`report_cases` does.
    """
    from firebreak.act.ncmec.media import GeneratedSquares
    from firebreak.act.ncmec.settings import TEST_PASSWORD, TEST_USERNAME
    from firebreak.act.ncmec.standin import running_standin

    with running_standin() as (url, _server):
        settings = NcmecSettings("test", url, TEST_USERNAME, TEST_PASSWORD)
        return report_cases(
            cases,
            db_url=db_url,
            settings=settings,
            media=media or GeneratedSquares(),
            reporter=reporter or Reporter(email="reports@example.org", esp_service="Firebreak demo platform"),
        )
