"""The README documents every command the CLI has (Datasette's habit: undocumented = failing)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from firebreak.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _command_paths(group: object, prefix: str = "firebreak") -> list[str]:
    """``firebreak <group> <command>`` for every leaf command under ``group``."""
    paths: list[str] = []
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        path = f"{prefix} {name}"
        if getattr(command, "commands", None):
            paths.extend(_command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_every_command_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    commands = _command_paths(typer.main.get_command(app))
    assert len(commands) >= 10
    missing = [c for c in commands if f"`{c}" not in text]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_command_has_help_text() -> None:
    group = typer.main.get_command(app)
    undocumented = [
        name
        for name, command in group.commands.items()
        for sub in ([command] + list(getattr(command, "commands", {}).values()))
        if not (sub.help or "").strip()
    ]
    assert not undocumented
