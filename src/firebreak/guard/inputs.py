"""The oracle: a perfect scan built from ground-truth labels, for testing the guard's mechanism."""

from __future__ import annotations

import polars as pl

from firebreak.results import TERMS, ScanResults


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
