"""Helpers shared by the simulator's tests."""

from __future__ import annotations

import polars as pl

from firebreak.lab.sim import SimOutput


def with_labels(out: SimOutput, table: str, on: str) -> pl.DataFrame:
    """``table`` joined with the labels of the account in column ``on``."""
    return out.snapshot.table(table).join(out.labels, left_on=on, right_on="account", how="left")


def followers(out: SimOutput) -> dict[str, set[str]]:
    """Account -> set of its followers."""
    grouped = out.snapshot.follows.group_by("dst").agg(pl.col("src"))
    return {d: set(s) for d, s in grouped.iter_rows()}
