"""CLI: ``firebreak simulate``, a synthetic platform written as a snapshot directory."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from firebreak.commands.errors import friendly_errors


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to ``app``."""

    @app.command()
    @friendly_errors
    def simulate(
        out: Path = typer.Option(..., "--out", help="Directory to write the snapshot, labels, hash bank and truth into."),
        seed: int = typer.Option(0, help="Random seed: the same seed gives the same files, byte for byte."),
        accounts: int | None = typer.Option(None, help="Accounts on the platform (default: the preset's size)."),
        preset: str = typer.Option("default", help="default (20k accounts), hard (more camouflage), large (1M accounts), invented (one network of invented words only)."),
        base_graph: Path | None = typer.Option(None, "--base-graph", help="Real edge list to use as the benign follow graph."),
        encoding: str = typer.Option("jsonl", help="Snapshot encoding: jsonl, jsonl.gz, csv or parquet."),
    ) -> None:
        """Generate a synthetic platform with planted abusive networks and confounders."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Table

        from firebreak.errors import FirebreakError
        from firebreak.lab.sim import STEPS
        from firebreak.lab.sim import simulate as run

        console = Console(stderr=True)
        started = time.perf_counter()
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=console,
        ) as bar:
            task = bar.add_task("simulating", total=len(STEPS) + 1)

            def tick(step: str) -> None:
                bar.update(task, advance=1, description=step)

            try:
                result = run(
                    out, seed=seed, accounts=accounts, preset=preset, base_graph=base_graph, encoding=encoding, progress=tick
                )
            except ValueError as exc:
                raise FirebreakError(str(exc)) from None
            bar.update(task, advance=1, description="written")
        snap, labels = result.snapshot, result.labels
        table = Table(title=f"simulated platform in {out} ({time.perf_counter() - started:.1f}s)")
        table.add_column("what")
        table.add_column("count", justify="right")
        for name in ("accounts", "follows", "posts", "events", "reports"):
            table.add_row(name, f"{snap.table(name).height:,}")
        roles = dict(labels.group_by("role").len().iter_rows())
        for role in ("seller", "buyer", "benign"):
            table.add_row(role if role == "benign" else f"{role}s", f"{roles.get(role, 0):,}")
        cams = labels.filter(labels["camouflage"].is_not_null()).group_by("camouflage").len().sort("camouflage")
        table.add_row("sellers by camouflage", ", ".join(f"{c} {n}" for c, n in cams.iter_rows()))
        conf = labels.filter(labels["confounder"].is_not_null()).group_by("confounder").len().sort("confounder")
        table.add_row("confounders", ", ".join(f"{c} {n}" for c, n in conf.iter_rows()))
        table.add_row("networks", str(len(result.truth["networks"])))
        table.add_row("novel terms", str(len(result.truth["novel_terms"])))
        table.add_row("hash bank entries", f"{len(result.bank):,}")
        Console().print(table)
