"""CLI: ``firebreak scan`` (scores, networks, terms), ``firebreak map`` (seed expansion) and ``firebreak evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from firebreak.commands.errors import friendly_errors

SCAN_STAGES = ("graph", "detect", "reports", "roles", "evasion", "terms", "propagate", "networks", "evidence")


def _load(snapshot: Path, out: Path | None = None):  # noqa: ANN202 - returns a ReadResult
    """Read ``snapshot``; with ``out``, write its quarantined rows to ``OUT/quarantine.jsonl``."""
    from rich.console import Console

    from firebreak.snapshot import load_snapshot
    from firebreak.snapshot.quarantine import write_quarantine

    result = load_snapshot(snapshot)
    quarantined = result.quarantine.height
    if quarantined:
        where = f" -> {out / 'quarantine.jsonl'}" if out is not None else ""
        Console(stderr=True).print(f"[yellow]{quarantined:,} rows quarantined[/yellow] while reading {snapshot}{where}")
    if out is not None:
        write_quarantine(result.quarantine, out)
    return result


def _read_seeds(path: Path) -> list[str]:
    from firebreak.errors import SnapshotError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: cannot read seeds file: {exc}") from None
    seeds = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not seeds:
        raise SnapshotError(f"{path}: no seed account ids (one id per line, '#' comments allowed)")
    return seeds


def register(app: typer.Typer) -> None:
    """Add ``scan``, ``map`` and ``evaluate`` to ``app``."""

    @app.command()
    @friendly_errors
    def scan(
        snapshot: Annotated[Path, typer.Argument(help="Snapshot directory (or ingest WORKDIR).")],
        out: Annotated[Path, typer.Option("--out", help="Folder for scores.jsonl, networks.jsonl, terms.jsonl.")],
        hashes: Annotated[Path | None, typer.Option("--hashes", help="Hash bank (file or folder) for media matching.")] = None,
        seed: Annotated[int, typer.Option(help="Seed for Leiden and MinHash.")] = 0,
    ) -> None:
        """Scan a snapshot: signals + graph -> scores, networks and terms (the spec's "Scan results")."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from firebreak.atomic import check_writable
        from firebreak.scan import scan as run_scan

        console = Console(stderr=True)
        check_writable(out)
        bank = None
        if hashes is not None:
            from firebreak.detect.media import load_bank

            bank = load_bank(hashes)
        read = _load(snapshot)
        snap = read.snapshot
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("scan", total=len(SCAN_STAGES))
            seen: list[str] = []

            def step(name: str) -> None:
                if seen:
                    bar.advance(task)
                seen.append(name)
                bar.update(task, description=f"scan: {name}")

            result = run_scan(snap, bank, progress=step, seed=seed)
            bar.update(task, completed=len(SCAN_STAGES), description="scan: done")
        inputs = {"snapshot": snapshot, **({"hashes": hashes} if hashes is not None else {})}
        paths = result.write(out, inputs=inputs, parameters={"seed": seed}, quarantine=read.quarantine)
        st = result.stats
        console.print(
            f"{st['sellers']:,} sellers, {st['buyers']:,} buyers, {st['networks']:,} networks, "
            f"{result.terms.height:,} terms ({result.terms.filter(~result.terms['known']).height:,} new) -> {paths['scores'].parent}"
        )

    @app.command("map")
    @friendly_errors
    def map_seeds(
        snapshot: Annotated[Path, typer.Argument(help="Snapshot directory (or ingest WORKDIR).")],
        seeds: Annotated[Path, typer.Option("--seeds", help="File of seed account ids, one per line.")],
        out: Annotated[Path, typer.Option("--out", help="Folder for map.json, map.png and map.html.")],
        top: Annotated[int, typer.Option(help="How many most-connected accounts to list and draw.")] = 50,
    ) -> None:
        """Expand seed accounts into their network: followers, unique followers, overlaps, shared destinations."""
        import json

        from rich.console import Console

        from firebreak.atomic import check_writable
        from firebreak.errors import SnapshotError
        from firebreak.graph.csr import build_graph
        from firebreak.graph.expand import expand_seeds
        from firebreak.graph.picture import render_html, render_png
        from firebreak.graph.signals import account_destinations

        console = Console(stderr=True)
        check_writable(out)
        seed_ids = _read_seeds(seeds)
        snap = _load(snapshot, out).snapshot
        with console.status("building the graph"):
            graph = build_graph(snap)
        try:
            seed_map = expand_seeds(graph, seed_ids, account_destinations(snap), top=top)
        except ValueError as exc:
            raise SnapshotError(f"{seeds}: {exc}") from None
        out.mkdir(parents=True, exist_ok=True)
        (out / "map.json").write_text(json.dumps(seed_map.to_dict(), indent=2), encoding="utf-8")
        with console.status("drawing"):
            png = render_png(seed_map, out / "map.png")
            render_html(seed_map, png, out / "map.html")
        if seed_map.missing:
            console.print(f"[yellow]{len(seed_map.missing)} seeds are not accounts of this snapshot[/yellow]: {', '.join(seed_map.missing[:5])}")
        console.print(
            f"{seed_map.seeds.height} seeds, {seed_map.unique_followers:,} unique followers "
            f"({seed_map.total_followers:,} counted per seed), {seed_map.overlaps.height} overlapping pairs, "
            f"{seed_map.shared_destinations.height} shared destinations -> {out}/map.json, map.png, map.html"
        )

    @app.command()
    @friendly_errors
    def evaluate(
        snapshot: Annotated[Path, typer.Argument(help="Snapshot directory with labels.jsonl (and truth.json).")],
        results: Annotated[Path, typer.Argument(help="Folder written by `firebreak scan`.")],
    ) -> None:
        """Score scan results against the snapshot's labels; prints a table and writes RESULTS/evaluation.json."""
        import json

        from rich.console import Console
        from rich.table import Table

        from firebreak.evaluate import evaluate as run_evaluate
        from firebreak.evaluate import summary_rows

        figures = run_evaluate(snapshot, results)
        (results / "evaluation.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
        table = Table(title=f"Evaluation of {results} against {snapshot}")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for metric, value in summary_rows(figures):
            table.add_row(metric, value)
        Console().print(table)
