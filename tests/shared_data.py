"""Where the project's shared read-only material (``shared/``: PDQ vectors, public graphs, texts) lies for the tests."""

from __future__ import annotations

from pathlib import Path

#: the work root's copy, then a ``shared/`` folder beside this checkout or one of its parents.
_BASES = (Path("/work/shared"), *(parent / "shared" for parent in Path(__file__).resolve().parents))


def shared_path(*parts: str) -> Path:
    """``shared/<parts>`` in the first place that has it (the work root's path if none does: callers skip on it)."""
    relative = Path(*parts)
    for base in _BASES:
        if (base / relative).exists():
            return base / relative
    return _BASES[0] / relative
