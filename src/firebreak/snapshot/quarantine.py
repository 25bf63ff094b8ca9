"""Writing the rows a read quarantined to ``quarantine.jsonl``, for every command that reads a snapshot."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from firebreak.atomic import write_file_atomic

QUARANTINE_FILE = "quarantine.jsonl"


def write_quarantine(quarantine: pl.DataFrame, out_dir: str | Path) -> Path | None:
    """Write ``quarantine`` (columns ``table, file, line, reason, row``) to ``OUT_DIR/quarantine.jsonl``.

    Parameters
    ----------
    quarantine
        A read's quarantine (``ReadResult.quarantine``).
    out_dir
        The command's output folder (created if needed).

    Returns
    -------
    Path | None
        The file written (atomically: temporary file, fsync, rename), or ``None`` when
        no row was quarantined; a ``quarantine.jsonl`` left there by an earlier run is
        then removed, so the folder never shows another run's rejects.
    """
    out = Path(out_dir)
    path = out / QUARANTINE_FILE
    if quarantine.height == 0:
        path.unlink(missing_ok=True)
        return None
    out.mkdir(parents=True, exist_ok=True)
    write_file_atomic(path, quarantine.write_ndjson().encode("utf-8"))
    return path


__all__ = ["QUARANTINE_FILE", "write_quarantine"]
