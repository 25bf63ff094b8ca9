"""Writing detection results: ``signals.jsonl``, ``signals.parquet`` and ``destinations.parquet``."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from firebreak.evidence import EVIDENCE


def write_detection(evidence: pl.DataFrame, destinations: pl.DataFrame, out: Path) -> dict[str, Path]:
    """Write per-account evidence and destinations under ``out``; returns the paths by name.

    ``signals.jsonl`` has one line per account, ``{"account", "evidence": [...]}`` with
    every field of the evidence contract; ``signals.parquet`` the evidence rows;
    ``destinations.parquet`` the normalised destinations (``account, destination, kind, source``).
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = {"jsonl": out / "signals.jsonl", "parquet": out / "signals.parquet", "destinations": out / "destinations.parquet"}
    evidence.write_parquet(paths["parquet"])
    destinations.write_parquet(paths["destinations"])
    items = [c for c in EVIDENCE if c != "account"]
    evidence.group_by("account", maintain_order=True).agg(pl.struct(items).alias("evidence")).write_ndjson(paths["jsonl"])
    return paths
