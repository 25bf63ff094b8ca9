"""Known outcomes per account (``labels.jsonl``): ground truth in the lab, past decisions in production.

A labels file has ``account, role`` (``seller``, ``buyer`` or anything else for
benign) and optionally ``network``, plus the simulator's ``camouflage`` and
``confounder``. The evaluation, the audit's oracle and the learned scorer read
it through :func:`read_labels`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from firebreak.errors import LabelsError
from firebreak.tables import ENCODINGS, read_table

LABELS = pl.Schema({
    "account": pl.String(),
    "role": pl.String(),
    "network": pl.String(),
    "camouflage": pl.String(),
    "confounder": pl.String(),
})


def find_labels(directory: Path) -> Path | None:
    """The ``labels.*`` file of a snapshot directory (or of an ingest WORKDIR's ``snapshot/``), if any."""
    for folder in (directory, directory / "snapshot"):
        for ext in ENCODINGS:
            if (folder / f"labels.{ext}").is_file():
                return folder / f"labels.{ext}"
    return None


def read_labels(path: Path | str) -> pl.DataFrame:
    """Labels from a file (jsonl, jsonl.gz, csv or parquet) or a snapshot directory's ``labels.*``.

    Returns the :data:`LABELS` columns (``network``, ``camouflage`` and ``confounder``
    null when absent). Raises :class:`~firebreak.errors.LabelsError` when there is no
    labels file or it is malformed.
    """
    p = Path(path)
    if p.is_dir():
        found = find_labels(p)
        if found is None:
            raise LabelsError(f"{p}: no labels file (labels.jsonl, .jsonl.gz, .csv or .parquet)")
        p = found
    elif not p.exists():
        raise LabelsError(f"{p}: labels file not found")
    return read_table(p, LABELS, ("account", "role"), LabelsError, keep_extra=False)
