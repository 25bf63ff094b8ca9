"""CLI: ``firebreak ncmec standin | escalate | submit | status`` (NCMEC CyberTipline reports)."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from firebreak.commands.errors import friendly_errors

#: test-only: ``STEP[.sent]:N`` kills the worker with SIGKILL at the Nth such point (test environment only).
KILL_HOOK_ENV = "FIREBREAK_NCMEC_TEST_KILL"

app = typer.Typer(help="Report escalated cases to NCMEC's CyberTipline, exactly once.", no_args_is_help=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store URL (sqlite:///PATH or postgresql://...); default FIREBREAK_DB or ./firebreak.db."),
]


def register(root: typer.Typer) -> None:
    """Add the ``ncmec`` command group to ``root``."""
    root.add_typer(app, name="ncmec")


@app.command("standin")
@friendly_errors
def standin(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8731,
    open_ttl: Annotated[
        float,
        typer.Option("--open-ttl", envvar="FIREBREAK_STANDIN_OPEN_TTL", help="Seconds an unchanged open report lives."),
    ] = 3600.0,
    fault_slow: Annotated[
        float, typer.Option("--fault-slow", envvar="FIREBREAK_STANDIN_FAULT_SLOW", help="Share of answers delayed.")
    ] = 0.0,
    slow_seconds: Annotated[
        float, typer.Option("--slow-seconds", envvar="FIREBREAK_STANDIN_SLOW_SECONDS", help="Delay of a slow answer.")
    ] = 0.2,
    fault_error: Annotated[
        float,
        typer.Option("--fault-error", envvar="FIREBREAK_STANDIN_FAULT_ERROR", help="Share answered with a 1000 server error."),
    ] = 0.0,
    fault_drop: Annotated[
        float,
        typer.Option("--fault-drop", envvar="FIREBREAK_STANDIN_FAULT_DROP", help="Share dropped before being handled."),
    ] = 0.0,
    fault_lose: Annotated[
        float,
        typer.Option("--fault-lose", envvar="FIREBREAK_STANDIN_FAULT_LOSE", help="Share handled, then dropped (answer lost)."),
    ] = 0.0,
    fault_endpoints: Annotated[
        str,
        typer.Option(
            "--fault-endpoints", envvar="FIREBREAK_STANDIN_FAULT_ENDPOINTS", help="Comma-separated endpoints faults apply to."
        ),
    ] = "status,submit,upload,fileinfo,finish,retract",
    fault_seed: Annotated[
        int | None, typer.Option("--fault-seed", envvar="FIREBREAK_STANDIN_FAULT_SEED", help="Seed for fault draws.")
    ] = None,
) -> None:
    """Run a local stand-in for the CyberTipline Reporting API at http://HOST:PORT/ispws.

    It accepts the credentials in FIREBREAK_NCMEC_USERNAME / FIREBREAK_NCMEC_PASSWORD
    (default firebreak-test / firebreak-test) and validates every document against the
    same schema the reporter builds with. GET /_standin/reports lists what it holds.
    """
    from firebreak.act.ncmec.settings import (
        ENV_PASSWORD,
        ENV_USERNAME,
        TEST_PASSWORD,
        TEST_USERNAME,
    )
    from firebreak.act.ncmec.standin import Faults, StandinSettings, serve
    from firebreak.errors import FirebreakError

    try:
        faults = Faults(
            slow=fault_slow, slow_s=slow_seconds, error=fault_error, drop=fault_drop, lose=fault_lose,
            endpoints=tuple(e.strip() for e in fault_endpoints.split(",") if e.strip()), seed=fault_seed,
        )
    except ValueError as exc:
        raise FirebreakError(str(exc)) from None
    settings = StandinSettings(
        username=os.environ.get(ENV_USERNAME) or TEST_USERNAME,
        password=os.environ.get(ENV_PASSWORD) or TEST_PASSWORD,
        open_ttl_s=open_ttl,
        faults=faults,
    )
    print(f"CyberTipline stand-in on http://{host}:{port}/ispws", flush=True)
    serve(settings, host=host, port=port)


@app.command("escalate")
@friendly_errors
def escalate(
    cases: Annotated[Path, typer.Argument(help="JSON Lines file, one escalated case per line.")],
    db: DbOption = None,
    actor: Annotated[str, typer.Option("--actor", help="Who escalated (for the audit log).")] = "reviewer",
) -> None:
    """Record escalated cases (one JSON object per line) as pending NCMEC reports; known case ids are skipped."""
    from firebreak.act.ncmec.cases import CaseError, EscalatedCase
    from firebreak.act.ncmec.ledger import Ledger
    from firebreak.store import open_store, resolve_db_url

    try:
        lines = cases.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CaseError(f"cannot read {cases}: {exc.strerror}") from None
    parsed = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            parsed.append(EscalatedCase.from_json(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise CaseError(f"{cases}:{number}: not JSON: {exc.msg}") from None
        except CaseError as exc:
            raise CaseError(f"{cases}:{number}: {exc}") from None
    with open_store(resolve_db_url(db, None)) as store:
        ledger = Ledger(store, actor)
        new = sum(ledger.escalate(case, actor=actor) for case in parsed)
    print(f"escalated {new} new case(s), {len(parsed) - new} already known")


@app.command("submit")
@friendly_errors
def submit(
    db: DbOption = None,
    environment: Annotated[
        str | None,
        typer.Option("--environment", help="test (default), exttest or production; default FIREBREAK_NCMEC_ENV."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Test-mode endpoint; default FIREBREAK_NCMEC_URL or the local stand-in.")
    ] = None,
    media: Annotated[
        Path | None, typer.Option("--media", help="Folder holding the files named by the cases' file references.")
    ] = None,
    generated_media: Annotated[
        bool, typer.Option("--generated-media", help="Use generated benign squares for every file (test mode only).")
    ] = False,
    worker: Annotated[str, typer.Option("--worker", help="This worker's name (a restart with the same name resumes).")] = "ncmec-worker",
    reporter_email: Annotated[
        str | None,
        typer.Option("--reporter-email", envvar="FIREBREAK_NCMEC_REPORTER_EMAIL", help="Reporting person's email."),
    ] = None,
    esp_service: Annotated[
        str | None, typer.Option("--esp-service", envvar="FIREBREAK_NCMEC_ESP_SERVICE", help="The platform's name.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Report at most this many cases.")] = None,
    attempts: Annotated[int, typer.Option("--attempts", help="Tries per request for transient failures.")] = 6,
    backoff: Annotated[float, typer.Option("--backoff", help="First backoff in seconds (doubles, with jitter).")] = 0.5,
    max_backoff: Annotated[float, typer.Option("--max-backoff", help="Longest backoff in seconds.")] = 30.0,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 30.0,
    lease: Annotated[float, typer.Option("--lease", help="Seconds a claimed case stays this worker's.")] = 300.0,
) -> None:
    """Report every pending escalated case, resuming any report a stopped worker left half-way.

    Prints one line per case (finished with its report id, returned to a lead with
    the reason, or deferred by a transient failure) and exits 1 if any case did not finish.
    """
    from datetime import timedelta

    from firebreak.act.ncmec.client import RetryPolicy
    from firebreak.act.ncmec.documents import Reporter
    from firebreak.act.ncmec.ledger import Ledger
    from firebreak.act.ncmec.media import DirectoryMedia, GeneratedSquares, MediaSource
    from firebreak.act.ncmec.service import submit_pending
    from firebreak.act.ncmec.settings import SettingsError, resolve_settings
    from firebreak.store import open_store, resolve_db_url

    settings = resolve_settings(environment, url)
    test = settings.environment == "test"
    if generated_media and not test:
        raise SettingsError("--generated-media is for the test environment only")
    if (media is None) == (not generated_media):
        raise SettingsError("give exactly one of --media DIR and --generated-media")
    source: MediaSource = GeneratedSquares() if generated_media else DirectoryMedia(media)  # type: ignore[arg-type]
    if not test and not (reporter_email and esp_service):
        raise SettingsError(f"the {settings.environment} environment needs --reporter-email and --esp-service")
    reporter = Reporter(
        email=reporter_email or "reports@example.org", esp_service=esp_service or "Firebreak test platform"
    )
    policy = RetryPolicy(attempts=attempts, initial_s=backoff, maximum_s=max_backoff)
    with open_store(resolve_db_url(db, None)) as store:
        ledger = Ledger(store, worker, lease=timedelta(seconds=lease))
        hook = _kill_hook(os.environ.get(KILL_HOOK_ENV)) if test else None
        summary = submit_pending(ledger, settings, source, reporter, retry=policy, timeout_s=timeout, limit=limit, hook=hook)
    for case_id, report_id in summary.finished.items():
        print(f"{case_id}\tfinished\t{report_id}")
    for case_id, reason in summary.returned.items():
        print(f"{case_id}\treturned\t{reason}")
    for case_id, reason in summary.deferred.items():
        print(f"{case_id}\tdeferred\t{reason}")
    if summary.returned or summary.deferred:
        raise typer.Exit(code=1)


def _kill_hook(spec: str | None) -> Callable[[str], None] | None:
    """``STEP[.sent]:N``: a hook that SIGKILLs this process at the Nth time it reaches that point."""
    if not spec:
        return None
    point, _, count = spec.partition(":")
    remaining = [int(count or "1")]

    def hook(step: str) -> None:
        if step == point:
            remaining[0] -= 1
            if remaining[0] <= 0:
                sys.stdout.flush()
                os.kill(os.getpid(), signal.SIGKILL)

    return hook


@app.command("status")
@friendly_errors
def status(
    db: DbOption = None,
    state: Annotated[
        str | None, typer.Option("--state", help="Only cases in this state (pending, working, finished, returned).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per case instead of a table.")] = False,
) -> None:
    """List escalated cases: state, report id, attempts, last error, submissions."""
    from firebreak.act.ncmec.ledger import Ledger
    from firebreak.store import open_store, resolve_db_url
    from firebreak.store.schema import NCMEC_CASE_STATES

    if state is not None and state not in NCMEC_CASE_STATES:
        raise typer.BadParameter(f"expected one of {', '.join(NCMEC_CASE_STATES)}", param_hint="--state")
    with open_store(resolve_db_url(db, None)) as store:
        frame = Ledger(store, "status").cases(state)
    if as_json:
        for row in frame.with_columns(frame["updated_at"].dt.to_string()).iter_rows(named=True):
            print(json.dumps(row))
        return
    print("case\tnetwork\tstate\treport_id\tattempts\tsubmissions\tlast_error")
    for row in frame.iter_rows(named=True):
        report = "" if row["report_id"] is None else row["report_id"]
        print(
            f"{row['case_id']}\t{row['network_id']}\t{row['state']}\t{report}\t{row['attempts']}"
            f"\t{row['submissions']}\t{row['last_error'] or ''}"
        )
    counts = frame.group_by("state").len().sort("state")
    print("totals: " + ", ".join(f"{s} {n}" for s, n in counts.iter_rows()) if frame.height else "no escalated cases")
