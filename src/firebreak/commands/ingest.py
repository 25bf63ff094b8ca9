"""CLI: ``firebreak ingest SNAPSHOT --out WORKDIR [--db URL]``."""

from __future__ import annotations

from pathlib import Path

import typer

from firebreak.commands.errors import friendly_errors


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` command to ``app``."""
    app.command("ingest")(ingest)


@friendly_errors
def ingest(
    snapshot: Path = typer.Argument(..., help="Snapshot directory (jsonl, jsonl.gz, csv or parquet tables)."),
    out: Path = typer.Option(..., "--out", "-o", help="Work directory for the canonical copy and quarantine."),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Store URL (sqlite:///PATH or postgresql://...); default FIREBREAK_DB or WORKDIR/firebreak.db.",
    ),
) -> None:
    """Validate SNAPSHOT, write a canonical Parquet copy to WORKDIR and queue its reports in the store.

    Rows that break the snapshot format go to WORKDIR/quarantine.jsonl with their reason;
    the summary gives, per table, rows in = kept + quarantined. The copy is written
    atomically with a manifest. Re-running on the same snapshot changes nothing.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from firebreak.atomic import check_writable
    from firebreak.ingestion import CANONICAL_DIR
    from firebreak.ingestion import ingest as run_ingest
    from firebreak.snapshot.schema import SCHEMAS
    from firebreak.store import resolve_db_url

    check_writable(out)  # before any output: a bad --out or --db is one line, nothing else
    check_writable(out / CANONICAL_DIR)
    resolve_db_url(db, out)

    console = Console()
    steps = len(SCHEMAS) + 2
    with Progress(
        SpinnerColumn(), TextColumn("{task.description:<16}"), BarColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        task = progress.add_task("ingest", total=steps)

        def step(name: str) -> None:
            progress.update(task, advance=1, description=name)

        result = run_ingest(snapshot, out, db_url=db, progress=step)
        progress.update(task, completed=steps)

    table = Table(title=f"ingested {snapshot}", title_justify="left")
    table.add_column("table")
    table.add_column("rows in", justify="right")
    table.add_column("kept", justify="right")
    table.add_column("quarantined", justify="right")
    for name, rows in result.counts.items():
        bad = result.quarantined.get(name, 0)
        table.add_row(name, f"{result.rows_in.get(name, rows + bad):,}", f"{rows:,}", f"{bad:,}")
    console.print(table)
    console.print(f"quarantined {result.quarantined_total:,} rows -> {result.quarantine_path}")
    console.print(f"canonical copy -> {result.canonical}")
    console.print(
        f"reports: {result.reports_new:,} new, {result.reports_total:,} in store {result.db_url}"
    )
    if not result.files_changed and result.reports_new == 0:
        console.print("nothing changed (already ingested)")
