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


def _leaf_commands(group: object, prefix: str = "firebreak") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        path = f"{prefix} {name}"
        if getattr(command, "commands", None):
            out.extend(_leaf_commands(command, path))
        else:
            out.append((path, command))
    return out


def _section(text: str, command: str) -> str:
    """The README's entry for ``command``: from its bullet to the next command's bullet or heading."""
    start = text.find(f"**`{command}")
    if start < 0:
        start = text.find(f"`{command}")
    if start < 0:
        return ""
    ends = [i for i in (text.find("\n- **`firebreak ", start + 1), text.find("\n#", start + 1)) if i > 0]
    return text[start : min(ends) if ends else len(text)]


def test_every_option_of_every_command_is_documented_in_its_readme_entry() -> None:
    text = README.read_text(encoding="utf-8")
    missing = []
    for path, command in _leaf_commands(typer.main.get_command(app)):
        section = _section(text, path)
        for param in command.params:  # type: ignore[attr-defined]
            longs = [o for o in param.opts if o.startswith("--")]
            if param.param_type_name != "option" or not longs or longs[0] == "--help":
                continue
            if not any(o in section for o in (*longs, *param.secondary_opts)):
                missing.append(f"{path} {longs[0]}")
    assert not missing, f"options missing from their command's README entry: {missing}"
