"""CLI: ``firebreak demo``, the main job on an embedded default platform.

Simulates a default platform, ingests it, scans it, evaluates the scan
against the simulator's ground truth and replays the test-account audit,
printing what each step did.
"""

from __future__ import annotations

from pathlib import Path

import typer

from firebreak.commands.errors import friendly_errors


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""

    @app.command()
    @friendly_errors
    def demo(
        out: Path = typer.Option(Path("out/demo"), help="Working folder for the demo's files."),
        seed: int = typer.Option(7, help="Simulator seed."),
        accounts: int = typer.Option(20_000, help="Accounts on the simulated platform."),
        preset: str = typer.Option("default", help="Simulator preset: default, hard, large or invented."),
    ) -> None:
        """Simulate a default platform, then run the pipeline on it."""
        from firebreak.lab.demo import run_demo

        run_demo(out, seed=seed, accounts=accounts, preset=preset)
