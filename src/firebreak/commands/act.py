"""CLI for the act half: reports, cases, decisions, takedowns, appeals, queue, recidivism,
canaries, ``check`` and ``metrics``. Thin: every command calls :mod:`firebreak.act`."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from firebreak.commands.errors import friendly_errors
from firebreak.errors import ActError

DB_HELP = "Store URL (sqlite:///PATH or postgresql://...); default FIREBREAK_DB or ./firebreak.db."
ACTOR_HELP = "Who is acting (recorded in the audit log)."

reports_app = typer.Typer(help="Submit and look up user reports.", no_args_is_help=True)
cases_app = typer.Typer(help="Network cases: open from a scan, list, show, decide, take down.", no_args_is_help=True)
appeals_app = typer.Typer(help="Appeals against enforcement: file, list, decide.", no_args_is_help=True)
queue_app = typer.Typer(help="The leased work queue: list items, retry dead letters, run the worker.",
                        no_args_is_help=True)
canary_app = typer.Typer(help="Canary reports that must reach a case before their deadline.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the act commands to ``app``."""
    app.add_typer(reports_app, name="reports")
    app.add_typer(cases_app, name="cases")
    app.add_typer(appeals_app, name="appeals")
    app.add_typer(queue_app, name="queue")
    app.add_typer(canary_app, name="canary")
    app.command("recidivism")(recidivism_cmd)
    app.command("check")(check_cmd)
    app.command("metrics")(metrics_cmd)


def _store(db: str | None) -> Any:
    from firebreak.store import open_store, resolve_db_url

    return open_store(resolve_db_url(db, None))


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


# -- reports -----------------------------------------------------------------------
@reports_app.command("submit")
@friendly_errors
def reports_submit(
    file: Path = typer.Argument(..., help="JSON object, JSON array or JSON Lines file of reports; - for stdin."),
    source: str = typer.Option(..., "--source", help="Who sent the reports (part of each report's key)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Store and queue reports (all or nothing); prints how many were new. Safe to repeat."""
    from firebreak.act.intake import submit_reports

    text = sys.stdin.read() if str(file) == "-" else _read(file)
    payloads = _parse_reports(text, str(file))
    with _store(db) as store:
        result = submit_reports(store, source, payloads)
    print(f"{len(result.new)} new, {len(result.existing)} already stored (source {source})")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ActError(f"cannot read {path}: {exc}") from None


def _parse_reports(text: str, where: str) -> list[Any]:
    stripped = text.strip()
    if not stripped:
        raise ActError(f"{where}: no reports")
    if stripped[0] in "[{":
        try:
            value = json.loads(stripped)
            return value if isinstance(value, list) else [value]
        except json.JSONDecodeError:
            if stripped[0] == "[":
                raise ActError(f"{where}: not valid JSON") from None
    out = []
    for n, line in enumerate(stripped.splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ActError(f"{where} line {n}: not valid JSON ({exc.msg})") from None
    return out


@reports_app.command("show")
@friendly_errors
def reports_show(
    report_id: str = typer.Argument(..., help="The report's id."),
    source: str = typer.Option(..., "--source", help="Who sent the report."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Print one stored report and its state as JSON."""
    from firebreak.act.intake import get_report

    with _store(db) as store:
        record = get_report(store, source, report_id)
    if record is None:
        raise ActError(f"no report {report_id!r} from source {source!r}")
    _print_json(record.to_dict())


# -- cases ---------------------------------------------------------------------------
@cases_app.command("open")
@friendly_errors
def cases_open(
    scan_dir: Path = typer.Argument(..., help="Scan results folder (scores.jsonl, networks.jsonl)."),
    scan_id: str | None = typer.Option(None, "--scan-id", help="Evidence version to record; default the folder name."),
    snapshot: Path | None = typer.Option(
        None, "--snapshot", help="The scanned snapshot: its follows and interactions among members become each "
        "case's network picture."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Open or update one case per network (and standalone flagged account) of a scan."""
    from firebreak.act.cases import open_cases, snapshot_edges

    scores, networks = _read_scan(scan_dir)
    edges = None
    if snapshot is not None:
        from firebreak.snapshot import load_snapshot

        snap = load_snapshot(snapshot).snapshot
        edges = snapshot_edges(snap.follows, snap.events, snap.posts)
    with _store(db) as store:
        sync = open_cases(store, scores, networks, scan_id or scan_dir.resolve().name, edges=edges)
    print(f"opened {len(sync.opened)}, updated {len(sync.updated)}, reopened {len(sync.reopened)}, "
          f"merged {len(sync.merged)}; {sync.members_added} members added, {sync.edges_added} edges added")


def _read_scan(scan_dir: Path) -> tuple[Any, Any]:
    import polars as pl

    paths = {name: scan_dir / f"{name}.jsonl" for name in ("scores", "networks")}
    for path in paths.values():
        if not path.is_file():
            raise ActError(f"{scan_dir} has no {path.name}: give a scan results folder (firebreak scan --out)")
    try:
        return pl.read_ndjson(paths["scores"]), pl.read_ndjson(paths["networks"])
    except pl.exceptions.PolarsError as exc:
        raise ActError(f"cannot read scan results in {scan_dir}: {str(exc).splitlines()[0]}") from None


@cases_app.command("list")
@friendly_errors
def cases_list(
    state: str = typer.Option("open", "--state", help="open, closed, merged or all."),
    limit: int = typer.Option(50, "--limit", help="At most this many cases."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List cases, minors first, then by risk."""
    from rich.console import Console
    from rich.table import Table

    from firebreak.act.cases import list_cases

    with _store(db) as store:
        found = list_cases(store, state=None if state == "all" else state, limit=limit)
    table = Table("id", "kind", "state", "network", "members", "risk", "minors", "outcome", "evidence version")
    for c in found:
        table.add_row(str(c.id), c.kind, c.state, c.network or "", str(c.members), f"{c.risk:.2f}",
                      "yes" if c.minors else "", c.outcome or "", c.evidence_version)
    Console().print(table)


@cases_app.command("show")
@friendly_errors
def cases_show(
    case_id: int = typer.Argument(..., help="The case id."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Print a case as JSON: members with evidence, reports, actions and history."""
    from dataclasses import asdict

    from firebreak.act.cases import get_case

    with _store(db) as store:
        detail = get_case(store, case_id)
    _print_json(asdict(detail))


@cases_app.command("decide")
@friendly_errors
def cases_decide(
    case_id: int = typer.Argument(..., help="The case id."),
    choices: list[str] = typer.Argument(..., help="ACCOUNT=ACTION pairs (disable, restrict, warn, dismiss, escalate)."),
    actor: str = typer.Option(..., "--actor", help=ACTOR_HELP),
    reason: str = typer.Option(..., "--reason", help="Why (recorded with every action)."),
    keep_open: bool = typer.Option(False, "--keep-open", help="Leave the case open after this decision."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key (default: case, evidence and choices)."),
    policy: Path | None = typer.Option(None, "--policy", help="Policy TOML file (default: the shipped policy)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Decide chosen members of a case under the policy (one transaction, audited)."""
    from firebreak.act.decisions import decide
    from firebreak.act.policy import load_policy

    parsed: dict[str, str] = {}
    for item in choices:
        account, sep, action = item.partition("=")
        if not sep or not account or not action:
            raise ActError(f"bad choice {item!r}: write ACCOUNT=ACTION")
        parsed[account] = action
    with _store(db) as store:
        d = decide(store, case_id, parsed, actor=actor, reason=reason, key=key, close=not keep_open,
                   policy=load_policy(policy))
    _print_decision(d)


def _print_decision(d: Any) -> None:
    if d.replayed:
        print(f"decision {d.id} (key {d.key}) was already applied; nothing changed")
    for a in d.actions:
        print(f"{a.account}: {a.action} ({a.rule}) {a.from_state} -> {a.to_state}")
    print(f"decision {d.id} on case {d.case_id}: {len(d.actions)} action(s), evidence {d.evidence_version}")


@cases_app.command("takedown")
@friendly_errors
def cases_takedown(
    case_id: int = typer.Argument(..., help="The network case id."),
    actor: str = typer.Option(..., "--actor", help=ACTOR_HELP),
    reason: str = typer.Option(..., "--reason", help="Why (recorded with every action)."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key (default: case and evidence version)."),
    policy: Path | None = typer.Option(None, "--policy", help="Policy TOML file (default: the shipped policy)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Take a whole network down under the policy, in one transaction with its audit log."""
    from firebreak.act.decisions import take_down
    from firebreak.act.policy import load_policy

    with _store(db) as store:
        d = take_down(store, case_id, actor=actor, reason=reason, key=key, policy=load_policy(policy))
    _print_decision(d)


# -- appeals ---------------------------------------------------------------------------
@appeals_app.command("file")
@friendly_errors
def appeals_file(
    account: str = typer.Argument(..., help="The enforced account."),
    statement: str = typer.Option(..., "--statement", help="The account holder's statement."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """File an appeal (queued for a lead)."""
    from firebreak.act.decisions import file_appeal

    with _store(db) as store:
        appeal = file_appeal(store, account, statement)
    print(f"appeal {appeal.id} filed for {appeal.account} (case {appeal.case_id})")


@appeals_app.command("list")
@friendly_errors
def appeals_list(
    state: str = typer.Option("open", "--state", help="open, upheld, restored or all."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List appeals, oldest first."""
    from firebreak.act.decisions import list_appeals

    with _store(db) as store:
        for a in list_appeals(store, state=None if state == "all" else state):
            print(f"{a.id}\t{a.account}\tcase {a.case_id}\t{a.state}\t{a.statement}")


@appeals_app.command("decide")
@friendly_errors
def appeals_decide(
    appeal_id: int = typer.Argument(..., help="The appeal id."),
    restore: bool = typer.Option(..., "--restore/--uphold", help="Restore the account, or uphold the enforcement."),
    actor: str = typer.Option(..., "--actor", help=ACTOR_HELP),
    note: str = typer.Option(..., "--note", help="Why (recorded in the audit log)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Decide an appeal: restore the account (state none, strikes cleared) or uphold."""
    from firebreak.act.decisions import decide_appeal

    with _store(db) as store:
        a = decide_appeal(store, appeal_id, restore=restore, actor=actor, note=note)
    print(f"appeal {a.id}: {a.state}")


# -- queue -------------------------------------------------------------------------------
@queue_app.command("list")
@friendly_errors
def queue_list(
    state: str | None = typer.Option(None, "--state", help="ready, leased, done or dead (default: all)."),
    kind: str | None = typer.Option(None, "--kind", help="report, case or appeal (default: all)."),
    limit: int = typer.Option(50, "--limit", help="At most this many items."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List work items in claim order."""
    from firebreak.act.queue import items

    with _store(db) as store:
        for it in items(store, kind=kind, states=None if state is None else [state], limit=limit):
            subject = it.subject.replace("\x1f", "/")
            print(f"{it.id}\t{it.kind}\t{subject}\t{it.state}\tattempts {it.attempts}/{it.max_attempts}"
                  f"\t{it.last_error or ''}")


@queue_app.command("retry")
@friendly_errors
def queue_retry(
    item_id: int = typer.Argument(..., help="A dead-lettered work item's id."),
    actor: str = typer.Option(..., "--actor", help=ACTOR_HELP),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Put a dead-lettered item back in the queue (attempts reset, audited)."""
    from firebreak.act.queue import retry_dead

    with _store(db) as store:
        retry_dead(store, item_id, actor=actor)
    print(f"work item {item_id} is ready again")


@queue_app.command("work")
@friendly_errors
def queue_work(
    once: bool = typer.Option(False, "--once", help="Stop when no report is waiting."),
    worker: str = typer.Option("worker", "--worker", help="This worker's name (lease owner)."),
    lease_s: float = typer.Option(60.0, "--lease", help="Lease length in seconds."),
    canary_every_s: float | None = typer.Option(None, "--canary-every", help="Send a canary every N seconds."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Route queued reports into cases (stored snapshot reports included) until stopped."""
    from firebreak.act.worker import work

    every = None if canary_every_s is None else timedelta(seconds=canary_every_s)
    with _store(db) as store:
        stats = work(store, worker=worker, once=once, lease=timedelta(seconds=lease_s), canary_every=every)
    print(f"routed {stats.routed}, failed {stats.failed}, canaries sent {stats.canaries_sent}")


# -- canary, recidivism, check, metrics -----------------------------------------------------
@canary_app.command("send")
@friendly_errors
def canary_send(
    deadline_s: float = typer.Option(300.0, "--deadline", help="Seconds it has to reach a case."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Send a canary report through intake; `firebreak check` fails if it is not processed in time."""
    from firebreak.act.canary import send_canary

    with _store(db) as store:
        c = send_canary(store, deadline=timedelta(seconds=deadline_s))
    print(f"canary {c.id} sent, due by {c.deadline_at:%Y-%m-%d %H:%M:%S} UTC")


@friendly_errors
def recidivism_cmd(
    snapshot: Path = typer.Argument(..., help="Snapshot folder (or ingest WORKDIR) of the new scan."),
    scan_id: str | None = typer.Option(None, "--scan-id", help="Evidence version to record; default the folder name."),
    min_jaccard: float = typer.Option(0.15, "--min-jaccard", help="Least weighted follower Jaccard for a match."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Match new accounts against disabled accounts' audiences and destinations; reopen their cases."""
    from firebreak.act.recidivism import check_recidivism
    from firebreak.detect.profile import destinations
    from firebreak.snapshot import load_snapshot

    snap = load_snapshot(snapshot).snapshot
    with _store(db) as store:
        found = check_recidivism(store, snap.follows, scan_id or snapshot.resolve().name,
                                 destinations=destinations(snap).select("account", "destination").unique(), min_jaccard=min_jaccard)
    for m in found:
        print(f"{m.account} -> case {m.case_id}: {m.detail}")
    print(f"{len(found)} re-created account(s) linked; their cases are reopened")


@friendly_errors
def check_cmd(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Exit 1 with a loud message if a canary is overdue or work items are dead-lettered."""
    from firebreak.act.metrics import check

    with _store(db) as store:
        result = check(store)
    if result.ok:
        print("ok: canaries on time, no dead letters")
        return
    for problem in result.problems:
        print(f"ALERT: {problem}", file=sys.stderr)
    raise typer.Exit(code=1)


@friendly_errors
def metrics_cmd(
    prometheus: bool = typer.Option(False, "--prometheus", help="Print the Prometheus text format instead."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Print proactive rate, time to action, queue state, dead letters and overdue canaries."""
    from firebreak.act.metrics import compute_metrics, prometheus_text

    with _store(db) as store:
        m = compute_metrics(store)
        if prometheus:
            print(prometheus_text(store, m), end="")
            return
    for name, value in m.rows():
        print(f"{name:<36}{value}")
