"""CLI: ``hash`` (PDQ of images) and ``bank import`` / ``bank info`` (hash banks)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from firebreak.commands.errors import friendly_errors

_SHOW_REJECTED = 20


def _print_bank(bank: object) -> None:
    """Print one line per bank, then the import summary."""
    info = bank.info()  # type: ignore[attr-defined]
    print("bank\tnegative\tdistance\tweight\tpdq\tmd5")
    for row in info.iter_rows():
        name, negative, distance, weight, pdq, md5 = row
        print(f"{name}\t{str(negative).lower()}\t{distance}\t{weight:g}\t{pdq}\t{md5}")
    print(bank.report.summary())  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""

    @app.command("hash")
    @friendly_errors
    def hash_images(
        images: Annotated[list[Path], typer.Argument(help="Image files (any format Pillow reads).")],
    ) -> None:
        """Print `<64-hex PDQ> <quality> <path>` for each image (quality below 50 is not matched).

        An unreadable image prints one `error:` line to stderr; the others are
        still hashed and the exit status is 2.
        """
        from PIL import Image, UnidentifiedImageError

        from firebreak.detect.media.hashing import pdq_from_file

        failed = 0
        for path in images:
            try:
                result = pdq_from_file(path)
            except UnidentifiedImageError:
                print(f"error: {path}: not an image Pillow can read", file=sys.stderr)
                failed += 1
            except (OSError, ValueError, Image.DecompressionBombError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
                print(f"error: {path}: {reason}", file=sys.stderr)
                failed += 1
            else:
                print(f"{result.hash} {result.quality} {path}", flush=True)
        if failed:
            raise typer.Exit(code=2)

    bank_app = typer.Typer(help="Hash banks: import PDQ / MD5 lists, inspect them.", no_args_is_help=True)
    app.add_typer(bank_app, name="bank")

    @bank_app.command("import")
    @friendly_errors
    def bank_import(
        source: Annotated[Path, typer.Argument(help="A bank file or a folder of bank files (+ optional banks.toml).")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the saved bank (reloads fast).")],
        distance: Annotated[
            int | None, typer.Option(help="PDQ distance for banks banks.toml does not configure (default 31).")
        ] = None,
    ) -> None:
        """Parse bank files, report malformed lines, build the PDQ index and save it to OUT."""
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from firebreak.atomic import check_writable
        from firebreak.detect.media.banks import load_bank

        check_writable(out)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True, console=Console(stderr=True)) as progress:
            task = progress.add_task(f"reading {source}", total=None)
            bank = load_bank(source, distance=distance)
            progress.update(task, description=f"indexing {bank.pdq.shape[0]:,} PDQ hashes")
            _ = bank.index
            progress.update(task, description=f"saving to {out}")
            bank.save(out)
        rejected = bank.report.rejected
        for row in rejected.head(_SHOW_REJECTED).iter_rows(named=True):
            print(f"rejected: {row['file']}:{row['line']}: {row['reason']}", file=sys.stderr)
        if rejected.height > _SHOW_REJECTED:
            print(f"rejected: ... and {rejected.height - _SHOW_REJECTED} more", file=sys.stderr)
        _print_bank(bank)
        print(f"saved to {out}")

    @bank_app.command("info")
    @friendly_errors
    def bank_info(
        path: Annotated[Path, typer.Argument(help="A bank file, a folder of bank files, or a saved bank.")],
    ) -> None:
        """Print each bank's settings and entry counts, and what the import rejected."""
        from firebreak.detect.media.banks import load_bank

        _print_bank(load_bank(path))
