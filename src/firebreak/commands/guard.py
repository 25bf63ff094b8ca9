"""CLI: ``firebreak audit``, the test-account audit of recommendations and search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from firebreak.commands.errors import friendly_errors


def register(app: typer.Typer) -> None:
    """Add ``audit`` to ``app``."""

    @app.command()
    @friendly_errors
    def audit(
        snapshot: Path = typer.Argument(..., help="Snapshot directory (or an ingest WORKDIR)."),
        scan: Path | None = typer.Option(
            None, "--scan", help="Scan results directory (scores.jsonl, networks.jsonl, terms.jsonl) feeding the guard."
        ),
        labels: Path | None = typer.Option(
            None, "--labels", help="Ground-truth labels (default: SNAPSHOT's labels.*, if any)."
        ),
        out: Path = typer.Option(Path("out/audit"), "--out", help="Where audit.json and exposure.png go."),
        steps: int = typer.Option(5, "--steps", min=1, help="Rounds of following the top-k suggestions."),
        k: int = typer.Option(10, "--k", min=1, help="Suggestions shown (and followed) per round."),
        accounts: int = typer.Option(20, "--accounts", min=1, help="Test accounts, each starting from one seller."),
        mode: str = typer.Option("view", "--mode", help="How a test account starts: 'view' or 'follow' one seller."),
        seed: int = typer.Option(0, "--seed", help="Seed for choosing sellers, probes and held-out follows."),
        under_review: Path | None = typer.Option(
            None, "--under-review", help="File of account ids under review (one per line), held back by the guard."
        ),
        db: str | None = typer.Option(
            None, "--db", help="Store URL: accounts whose enforcement state is under_review are held back too."
        ),
        risk_threshold: float = typer.Option(0.5, "--risk-threshold", help="Risk at which the guard blocks an account."),
        recall_users: int = typer.Option(2000, "--recall-users", help="Benign users sampled for recall@k."),
        probe_terms: int = typer.Option(60, "--probe-terms", help="Coded terms probed in search (each in 8 spellings)."),
    ) -> None:
        """Replay the researchers' test-account experiment, unguarded and guarded, and measure benign recall.

        Exposure is measured against labels when there are any (--labels, or labels.* in SNAPSHOT),
        which also adds a guard fed by the labels (an oracle); without labels it is measured
        against the scan's own flags, and --scan is required.
        """
        from rich.console import Console

        from firebreak.atomic import check_writable
        from firebreak.errors import FirebreakError
        from firebreak.guard.audit import run_audit
        from firebreak.guard.report import print_exposure_table
        from firebreak.labels import find_labels, read_labels
        from firebreak.scan.result import ScanResult
        from firebreak.snapshot import load_snapshot
        from firebreak.snapshot.quarantine import write_quarantine
        from firebreak.tables import read_account_ids

        console = Console(stderr=True)
        check_writable(out)
        if mode not in ("view", "follow"):
            raise FirebreakError(f"--mode must be 'view' or 'follow', not {mode!r}")
        labels_path = labels if labels is not None else find_labels(snapshot)
        label_frame = read_labels(labels_path) if labels_path is not None else None
        results = ScanResult.read(scan) if scan is not None else None
        if label_frame is None and results is None:
            raise FirebreakError(f"{snapshot}: no labels to audit against: give --scan (and --labels if you have them)")
        review: list[str] = read_account_ids(under_review, "under-review file", allow_empty=True) if under_review is not None else []
        if db is not None:
            from firebreak.store import open_store, resolve_db_url

            with open_store(resolve_db_url(db, None)) as store:
                review += store.enforcements(state="under_review").get_column("account").to_list()
        with console.status("reading the snapshot"):
            read = load_snapshot(snapshot)
            snap = read.snapshot
        if write_quarantine(read.quarantine, out) is not None:
            console.print(f"[yellow]{read.quarantine.height:,} rows quarantined[/yellow] -> {out / 'quarantine.jsonl'}")
        if results is None:
            console.print("[yellow]no --scan given: the guard is fed by the labels (oracle)[/yellow]")
        if label_frame is None:
            console.print("[yellow]no labels: exposure is measured against the scan's own flags[/yellow]")
        options: dict[str, Any] = {
            "steps": steps,
            "k": k,
            "accounts": accounts,
            "mode": mode,
            "seed": seed,
            "under_review": review,
            "recall_users": recall_users,
            "probe_terms": probe_terms,
            "guard_params": {"risk_threshold": risk_threshold},
            "out": out,
        }
        with console.status("auditing") as status:
            if label_frame is not None:
                from firebreak.lab.oracle import audit_with_labels

                result = audit_with_labels(snap, label_frame, results, progress=lambda msg: status.update(msg), **options)
            else:
                result = run_audit(snap, results, progress=lambda msg: status.update(msg), **options)
        print_exposure_table(result, Console())
        Console().print(f"wrote {out / 'audit.json'} and {out / 'exposure.png'}")
