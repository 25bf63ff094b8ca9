"""CLI: ``firebreak terms promote`` / ``firebreak terms reject`` (the reviewer file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from firebreak.commands.errors import friendly_errors

terms_app = typer.Typer(help="Review discovered terms: promote them to the lexicon or reject them.", no_args_is_help=True)

FileOpt = Annotated[Path, typer.Option("--file", help="The review file (TOML) to update; load it with --lexicon FILE.")]
ReviewerOpt = Annotated[str | None, typer.Option("--reviewer", help="Who decided (stored with the term).")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why (stored with the term).")]


def _record(term: str, decision: str, file: Path, reviewer: str | None, note: str | None) -> None:
    from firebreak.detect.lexicon import load_lexicon
    from firebreak.detect.review import record_review

    entries = record_review(file, term, decision, reviewer=reviewer, note=note)
    load_lexicon(file)  # the written file must load
    print(f"{decision} {term!r} in {file} ({len(entries['promoted'])} promoted, {len(entries['rejected'])} rejected)")


@terms_app.command("promote")
@friendly_errors
def promote(term: Annotated[str, typer.Argument(help="The discovered term (with or without #).")], file: FileOpt = Path("reviewed-terms.toml"), reviewer: ReviewerOpt = None, note: NoteOpt = None) -> None:
    """Promote TERM: the lexicon loading FILE gets it as a term (family reviewer-promoted, source "reviewer promotion")."""
    _record(term, "promoted", file, reviewer, note)


@terms_app.command("reject")
@friendly_errors
def reject(term: Annotated[str, typer.Argument(help="The discovered term (with or without #).")], file: FileOpt = Path("reviewed-terms.toml"), reviewer: ReviewerOpt = None, note: NoteOpt = None) -> None:
    """Reject TERM: discovery with a lexicon loading FILE never reports it again."""
    _record(term, "rejected", file, reviewer, note)


def register(app: typer.Typer) -> None:
    """Add the ``terms`` group to app."""
    app.add_typer(terms_app, name="terms")
