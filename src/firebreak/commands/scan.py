"""CLI: ``firebreak scan`` (scores, networks, terms), ``firebreak map`` (seed expansion) and ``firebreak evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from firebreak.commands.errors import friendly_errors

if TYPE_CHECKING:
    import polars as pl

    from firebreak.detect.media.banks import HashBank
    from firebreak.snapshot.read import ReadResult


def _load(snapshot: Path, out: Path | None = None) -> ReadResult:
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


def _registry(path: Path | None, db: str | None) -> pl.DataFrame | None:
    """The trusted flaggers of ``path`` and of the store at ``db`` together (``None`` when neither is given)."""
    if path is None and db is None:
        return None
    import polars as pl

    from firebreak.scan.trusted import TRUSTED_FLAGGERS, read_trusted_flaggers

    frames = [read_trusted_flaggers(path)] if path is not None else []
    if db is not None:
        from firebreak.store import normalize_db_url, open_store

        with open_store(normalize_db_url(db)) as store:
            frames.append(store.trusted_flaggers().select(list(TRUSTED_FLAGGERS)).cast(TRUSTED_FLAGGERS))
    return pl.concat(frames).unique("account", keep="first", maintain_order=True)


def _scan_on_spark(path: str, out: Path, bank: HashBank | None, seed: int, master: str | None) -> None:
    """``firebreak scan --engine spark``: the Parquet snapshot at ``path`` scanned on Spark, results written to ``out``."""
    import os

    from rich.console import Console

    from firebreak.scan import ScanParams
    from firebreak.spark import scan_spark, spark_session

    console = Console(stderr=True)
    under_submit = "SPARK_ENV_LOADED" in os.environ or "PYSPARK_GATEWAY_PORT" in os.environ
    spark = spark_session(master or (None if under_submit else "local[2]"))
    result = scan_spark(spark, path, bank, params=ScanParams(seed=seed), progress=lambda name: console.print(f"scan (spark): {name}"))
    paths = result.write(out)
    st = result.stats
    console.print(f"{st['sellers']:,} sellers, {st['buyers']:,} buyers, {st['networks']:,} networks on Spark -> {paths['scores'].parent}")


def register(app: typer.Typer) -> None:
    """Add ``scan``, ``map`` and ``evaluate`` to ``app``."""

    @app.command()
    @friendly_errors
    def scan(
        snapshot: Annotated[Path, typer.Argument(help="Snapshot directory (or ingest WORKDIR).")],
        out: Annotated[Path, typer.Option("--out", help="Folder for scores.jsonl, networks.jsonl, terms.jsonl.")],
        hashes: Annotated[Path | None, typer.Option("--hashes", help="Hash bank (file or folder) for media matching.")] = None,
        seed: Annotated[int, typer.Option(help="Seed for Leiden and MinHash.")] = 0,
        trusted_flaggers: Annotated[
            Path | None, typer.Option("--trusted-flaggers", help="Trusted-flagger registry (CSV or TOML: account, organisation, since).")
        ] = None,
        db: Annotated[
            str | None, typer.Option("--db", help="Also load the trusted flaggers registered in this store (sqlite:///PATH or postgresql://...).")
        ] = None,
        engine: Annotated[str, typer.Option("--engine", help="local (one machine) or spark (the canonical Parquet tables on Spark).")] = "local",
        master: Annotated[
            str | None, typer.Option("--master", help="Spark master URL for --engine spark (default local[2]; omit under spark-submit).")
        ] = None,
    ) -> None:
        """Scan a snapshot: signals + graph -> scores, networks and terms (the spec's "Scan results")."""
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from firebreak.atomic import check_writable
        from firebreak.scan import STAGES, ScanParams
        from firebreak.scan import scan as run_scan

        console = Console(stderr=True)
        check_writable(out)
        bank = None
        if hashes is not None:
            from firebreak.detect.media import load_bank

            bank = load_bank(hashes)
        if engine not in ("local", "spark"):
            from firebreak.errors import FirebreakError

            raise FirebreakError(f"--engine must be local or spark, not {engine!r}")
        if engine == "spark":
            _scan_on_spark(str(snapshot), out, bank, seed, master)
            return
        registry = _registry(trusted_flaggers, db)
        read = _load(snapshot)
        snap = read.snapshot
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("scan", total=len(STAGES))
            seen: list[str] = []

            def step(name: str) -> None:
                if seen:
                    bar.advance(task)
                seen.append(name)
                bar.update(task, description=f"scan: {name}")

            result = run_scan(snap, bank, params=ScanParams(seed=seed), progress=step, trusted=registry, release=True)
            bar.update(task, completed=len(STAGES), description="scan: done")
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
        max_overlaps: Annotated[
            int | None, typer.Option("--max-overlaps", help="List at most this many overlapping seed pairs (default: all).")
        ] = None,
    ) -> None:
        """Expand seed accounts into their network: followers, unique followers, overlaps, shared destinations."""
        from rich.console import Console

        from firebreak.atomic import check_writable
        from firebreak.investigate import map_seeds, write_seed_map
        from firebreak.tables import read_account_ids

        console = Console(stderr=True)
        check_writable(out)
        seed_ids = read_account_ids(seeds, "seeds file")
        snap = _load(snapshot, out).snapshot
        with console.status("mapping the seeds"):
            seed_map = map_seeds(snap, seed_ids, top=top, max_overlaps=max_overlaps)
        with console.status("drawing"):
            write_seed_map(seed_map, out)
        if seed_map.missing:
            console.print(f"[yellow]{len(seed_map.missing)} seeds are not accounts of this snapshot[/yellow]: {', '.join(seed_map.missing[:5])}")
        listed = seed_map.overlaps.height
        capped = f" (top {listed} listed)" if listed < seed_map.overlapping_pairs else ""
        console.print(
            f"{seed_map.seeds.height} seeds, {seed_map.unique_followers:,} unique followers "
            f"({seed_map.total_followers:,} counted per seed), {seed_map.overlapping_pairs} overlapping pairs{capped}, "
            f"{seed_map.shared_destinations.height} shared destinations -> {out}/map.json, map.png, map.html"
        )

    @app.command()
    @friendly_errors
    def evaluate(
        snapshot: Annotated[Path, typer.Argument(help="Snapshot directory (or ingest WORKDIR) with labels.jsonl (and truth.json).")],
        results: Annotated[Path, typer.Argument(help="Folder written by `firebreak scan`.")],
    ) -> None:
        """Score scan results against the snapshot's labels; prints a table and writes RESULTS/evaluation.json."""
        import json

        from rich.console import Console
        from rich.table import Table

        from firebreak.lab.evaluate import evaluate as run_evaluate
        from firebreak.lab.evaluate import summary_rows

        figures = run_evaluate(snapshot, results)
        (results / "evaluation.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
        table = Table(title=f"Evaluation of {results} against {snapshot}")
        table.add_column("metric")
        table.add_column("value", justify="right")
        for metric, value in summary_rows(figures):
            table.add_row(metric, value)
        Console().print(table)
