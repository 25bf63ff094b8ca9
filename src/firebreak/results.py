"""Reading the files stages hand each other: scan results and ground-truth labels.

``scores.jsonl``, ``networks.jsonl`` and ``terms.jsonl`` follow the spec's
"Scan results" section; labels are ``account, role, network`` plus the
simulator's optional ``camouflage`` and ``confounder``. The guard, the audit
and the evaluation all read them through here. Missing optional files are
empty frames; anything unreadable is a one-line
:class:`~firebreak.errors.SnapshotError` naming the file.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from firebreak.atomic import verify_results
from firebreak.errors import SnapshotError

SCORES = {"account": pl.String, "risk": pl.Float64, "role": pl.String, "network": pl.String}
NETWORKS = {"id": pl.String, "members": pl.List(pl.String)}
TERMS = {"term": pl.String, "known": pl.Boolean}
LABELS = {"account": pl.String, "role": pl.String, "network": pl.String, "camouflage": pl.String, "confounder": pl.String}
LABEL_ENCODINGS = ("jsonl", "jsonl.gz", "csv", "parquet")


@dataclass(frozen=True, slots=True)
class ScanResults:
    """The scan's three outputs as frames (``scores`` may carry an ``evidence`` list column)."""

    scores: pl.DataFrame
    networks: pl.DataFrame
    terms: pl.DataFrame


def _read(path: Path) -> pl.DataFrame:
    name = path.name
    if name.endswith(".parquet"):
        return pl.read_parquet(path)
    if name.endswith(".csv"):
        return pl.read_csv(path, infer_schema_length=0)
    if name.endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            return pl.read_ndjson(fh.read(), infer_schema_length=None)
    return pl.read_ndjson(path, infer_schema_length=None)


def _table(path: Path, columns: dict[str, pl.DataType], required: tuple[str, ...]) -> pl.DataFrame:
    """``path`` with ``columns`` cast to their types (absent optional ones null); empty if the file is absent or empty."""
    if not path.exists() or path.stat().st_size == 0:
        return pl.DataFrame(schema=columns)
    try:
        frame = _read(path)
    except Exception as exc:  # noqa: BLE001 - Polars raises several kinds for a malformed file
        raise SnapshotError(f"{path}: not readable ({str(exc).splitlines()[0]})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SnapshotError(f"{path}: missing field {missing[0]!r}")
    return frame.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in columns.items() if c not in frame.columns]
    ).with_columns([pl.col(c).cast(t) for c, t in columns.items()])


def read_scan(directory: Path | str) -> ScanResults:
    """Read ``scores.jsonl``, ``networks.jsonl`` and ``terms.jsonl`` from a scan output directory.

    The folder must carry a complete ``manifest.json`` whose checksums match
    (:func:`firebreak.atomic.verify_results`), else :class:`~firebreak.errors.ResultsError`.
    """
    d = Path(directory)
    if not d.is_dir():
        raise SnapshotError(f"{d}: scan results directory not found")
    if not (d / "scores.jsonl").exists():
        raise SnapshotError(f"{d}: no scores.jsonl (run `firebreak scan` first)")
    verify_results(d)  # only a complete folder, as `firebreak scan` swapped it in (ResultsError otherwise)
    return ScanResults(
        scores=_table(d / "scores.jsonl", SCORES, ("account",)),
        networks=_table(d / "networks.jsonl", NETWORKS, ("id",)),
        terms=_table(d / "terms.jsonl", TERMS, ("term",)),
    )


def read_labels(path: Path | str) -> pl.DataFrame:
    """Labels from a file (jsonl, jsonl.gz, csv or parquet) or a snapshot directory's ``labels.*``.

    Returns :data:`LABELS` columns (``camouflage`` and ``confounder`` null when absent).
    """
    p = Path(path)
    if p.is_dir():
        found = [p / f"labels.{ext}" for ext in LABEL_ENCODINGS if (p / f"labels.{ext}").exists()]
        if not found:
            raise SnapshotError(f"{p}: no labels file (labels.jsonl, .jsonl.gz, .csv or .parquet) to evaluate against")
        p = found[0]
    elif not p.exists():
        raise SnapshotError(f"{p}: labels file not found")
    return _table(p, LABELS, ("account", "role")).select(list(LABELS))
