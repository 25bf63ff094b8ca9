"""The demo pipeline: simulate -> ingest -> scan -> evaluate -> audit -> act -> NCMEC reports.

:func:`run_demo` is what ``firebreak demo`` (and ``make demo``) runs: every
stage on an embedded default platform, each writing its files under one
folder, each printing what it did.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@contextmanager
def _stage(console: Console, name: str) -> Iterator[Callable[[str], None]]:
    """Show a spinner for stage ``name``; yields ``say(step)`` to update it; prints the time."""
    started = time.perf_counter()
    with console.status(f"[bold]{name}[/bold]") as status:
        yield lambda step: status.update(f"[bold]{name}[/bold]: {step}")
    console.print(f"[green]✓[/green] {name} [dim]({time.perf_counter() - started:.1f} s)[/dim]")


def run_demo(out: Path, *, seed: int, accounts: int, preset: str = "default") -> dict[str, Any]:
    """Run every stage on a simulated platform under ``out``; returns the evaluation and audit.

    Layout: ``out/snapshot`` (simulated platform, labels, hash bank), ``out/work``
    (ingest's canonical copy, quarantine and the SQLite store), ``out/scan``
    (``scores.jsonl``, ``networks.jsonl``, ``terms.jsonl``, ``evaluation.json``),
    ``out/audit`` (``audit.json`` and the exposure plot).
    """
    from firebreak.act.ncmec.escalation import escalated_cases
    from firebreak.act.ncmec.service import report_on_standin
    from firebreak.detect.media import load_bank
    from firebreak.guard.report import print_exposure_table
    from firebreak.ingestion import ingest
    from firebreak.lab.evaluate import evaluate_frames, read_truth, summary_rows
    from firebreak.lab.oracle import audit_with_labels
    from firebreak.lab.reviewer import run_act_demo
    from firebreak.lab.sim import simulate
    from firebreak.labels import read_labels
    from firebreak.scan import ScanParams, scan
    from firebreak.scan.trusted import read_trusted_flaggers
    from firebreak.snapshot import load_snapshot
    from firebreak.store import open_store

    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    snap_dir, work, scan_dir, audit_dir = (out / n for n in ("snapshot", "work", "scan", "audit"))
    console.print(f"[bold]Firebreak demo[/bold]: {preset} platform, {accounts:,} accounts, seed {seed} -> {out}")

    with _stage(console, "simulate") as say:
        sim = simulate(snap_dir, seed=seed, accounts=accounts, preset=preset, progress=say)
    snap = sim.snapshot
    console.print(
        f"  {snap.accounts.height:,} accounts, {snap.follows.height:,} follows, {snap.posts.height:,} posts, "
        f"{snap.events.height:,} events, {snap.reports.height:,} reports, {len(sim.bank):,} bank hashes"
    )

    with _stage(console, "ingest") as say:
        ingested = ingest(snap_dir, work, progress=say)
    console.print(
        f"  {sum(ingested.counts.values()):,} rows kept, {ingested.quarantined_total:,} quarantined, "
        f"{ingested.reports_new:,} new reports queued ({ingested.reports_total:,} in {ingested.db_url})"
    )

    with _stage(console, "scan") as say:
        snapshot = load_snapshot(work).snapshot
        # the operator's trusted-flagger registry (vetted watchers), as `firebreak scan --trusted-flaggers` loads it
        registry = read_trusted_flaggers(snap_dir / "trusted_flaggers.csv") if (snap_dir / "trusted_flaggers.csv").is_file() else None
        result = scan(
            snapshot, load_bank(snap_dir / "hashbank.txt"), params=ScanParams(seed=seed), progress=say, trusted=registry
        )
        result.write(scan_dir, inputs={"snapshot": work}, parameters={"seed": seed})
    st = result.stats
    console.print(f"  {st['sellers']:,} sellers, {st['buyers']:,} buyers, {st['networks']:,} networks flagged")

    with _stage(console, "evaluate"):
        labels = read_labels(snap_dir)
        evaluation = evaluate_frames(labels, result.scores, result.networks, result.terms, read_truth(snap_dir))
        (scan_dir / "evaluation.json").write_text(json.dumps(evaluation, indent=2) + "\n", encoding="utf-8")
    table = Table("metric", "value", title="Scan against the simulator's ground truth")
    for metric, value in summary_rows(evaluation):
        table.add_row(metric, value)
    console.print(table)

    with _stage(console, "audit") as say:
        audit = audit_with_labels(snapshot, labels, result, seed=seed, out=audit_dir, progress=say)
    print_exposure_table(audit, console)

    with _stage(console, "act: cases, scripted takedowns, recidivism"), open_store(ingested.db_url) as store:
        acted = run_act_demo(store, result.scores, result.networks, labels, snapshot.follows,
                             scan_id=f"demo-seed-{seed}", seed=seed)
        escalated = escalated_cases(store)
    table = Table("what", "value", title="Acting on the scan (scripted reviewer from the labels)")
    for what, value in acted.rows():
        table.add_row(what, value)
    console.print(table)

    with _stage(console, "NCMEC reports on the local stand-in"):
        reports = report_on_standin(escalated, db_url=ingested.db_url)
    console.print(
        f"  {len(escalated):,} escalated cases -> {len(reports):,} finished CyberTipline reports: "
        + ", ".join(f"{case} #{rid}" for case, rid in sorted(reports.items())[:6])
        + (" ..." if len(reports) > 6 else "")
    )
    console.print(f"Files: {snap_dir}, {work}, {scan_dir}, {audit_dir}")
    return {"evaluation": evaluation, "audit": audit, "act": acted, "ncmec_reports": reports}
