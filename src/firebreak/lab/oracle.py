"""The oracle: a perfect scan built from ground-truth labels, for testing the guard's mechanism."""

from __future__ import annotations

from typing import Any

import polars as pl

from firebreak.guard.audit import run_audit
from firebreak.scan.result import NETWORKS, SCORES, TERMS, ScanResult, empty
from firebreak.snapshot.model import Snapshot


def scores_from_labels(labels: pl.DataFrame) -> ScanResult:
    """A perfect scan substitute: every seller and buyer in ``labels`` flagged with risk 1 (the oracle)."""
    bad = labels.filter(pl.col("role").is_in(["seller", "buyer"]))
    scores = bad.select(
        pl.col("account"),
        pl.lit(1.0).alias("risk"),
        pl.col("role"),
        pl.col("network").cast(pl.String),
        pl.lit([], dtype=SCORES["evidence"]).alias("evidence"),
    )
    networks = (
        bad.filter(pl.col("network").is_not_null())
        .group_by("network")
        .agg(pl.col("account").alias("members"))
        .rename({"network": "id"})
        .sort("id")
    )
    networks = pl.concat([empty(NETWORKS), networks], how="diagonal_relaxed").cast(NETWORKS)
    return ScanResult(scores=scores.cast(SCORES), networks=networks, terms=empty(TERMS))


def audit_with_labels(snapshot: Snapshot, labels: pl.DataFrame, scan: ScanResult | None = None, **options: Any) -> dict[str, Any]:
    """The audit measured against ``labels``, with an oracle guard fed by them beside the scan's guard.

    ``options`` go to :func:`firebreak.guard.audit.run_audit` (steps, k, accounts, seed, out...).
    """
    return run_audit(snapshot, scan, truth=labels, oracle=scores_from_labels(labels), **options)
