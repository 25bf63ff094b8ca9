"""Reading what the guard and the audit consume: scan results and ground-truth labels.

``scores.jsonl``, ``networks.jsonl`` and ``terms.jsonl`` follow the spec's
"Scan results" section; ``labels.jsonl`` rows are ``account, role, network``
(plus ``camouflage``, ``confounder``). Missing optional files are empty frames;
an unreadable file is a :class:`~firebreak.errors.FirebreakError` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from firebreak.errors import FirebreakError

SCORES = {"account": pl.String, "risk": pl.Float64, "role": pl.String, "network": pl.String}
NETWORKS = {"id": pl.String, "members": pl.List(pl.String)}
TERMS = {"term": pl.String, "known": pl.Boolean}
LABELS = {"account": pl.String, "role": pl.String, "network": pl.String}


@dataclass(frozen=True, slots=True)
class ScanResults:
    """The scan's three outputs as frames (``scores`` may carry an ``evidence`` list column)."""

    scores: pl.DataFrame
    networks: pl.DataFrame
    terms: pl.DataFrame


def _read_jsonl(path: Path, columns: dict[str, pl.DataType]) -> pl.DataFrame:
    if not path.exists():
        return pl.DataFrame(schema=columns)
    if path.stat().st_size == 0:
        return pl.DataFrame(schema=columns)
    try:
        frame = pl.read_ndjson(path, infer_schema_length=None)
    except Exception as exc:  # polars raises several kinds for malformed JSON
        raise FirebreakError(f"{path}: not readable as JSON lines ({str(exc).splitlines()[0]})") from None
    missing = [c for c in columns if c not in frame.columns]
    required = [c for c in missing if c in ("account", "id", "term")]
    if required:
        raise FirebreakError(f"{path}: missing field {required[0]!r}")
    frame = frame.with_columns([pl.lit(None, dtype=columns[c]).alias(c) for c in missing])
    return frame.with_columns([pl.col(c).cast(t) for c, t in columns.items()])


def read_scan(directory: Path | str) -> ScanResults:
    """Read ``scores.jsonl``, ``networks.jsonl`` and ``terms.jsonl`` from a scan output directory."""
    d = Path(directory)
    if not d.is_dir():
        raise FirebreakError(f"{d}: scan results directory not found")
    if not (d / "scores.jsonl").exists():
        raise FirebreakError(f"{d}: no scores.jsonl (run `firebreak scan` first)")
    return ScanResults(
        scores=_read_jsonl(d / "scores.jsonl", SCORES),
        networks=_read_jsonl(d / "networks.jsonl", NETWORKS),
        terms=_read_jsonl(d / "terms.jsonl", TERMS),
    )


def read_labels(path: Path | str) -> pl.DataFrame:
    """Read a ``labels.jsonl`` file (columns ``account, role, network`` at least)."""
    p = Path(path)
    if not p.exists():
        raise FirebreakError(f"{p}: labels file not found")
    return _read_jsonl(p, LABELS)


def scores_from_labels(labels: pl.DataFrame) -> ScanResults:
    """A perfect scan substitute: every seller and buyer in ``labels`` flagged with risk 1 (the oracle)."""
    bad = labels.filter(pl.col("role").is_in(["seller", "buyer"]))
    scores = bad.select(
        pl.col("account"),
        pl.lit(1.0).alias("risk"),
        pl.col("role"),
        pl.col("network").cast(pl.String),
    )
    networks = (
        bad.filter(pl.col("network").is_not_null())
        .group_by("network")
        .agg(pl.col("account").alias("members"))
        .rename({"network": "id"})
        .sort("id")
    )
    return ScanResults(scores=scores, networks=networks, terms=pl.DataFrame(schema=TERMS))
