"""Fixtures for the act tests: an open store on each backend, scan-like frames."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from firebreak.store import Store, open_store

EVIDENCE = pl.List(pl.Struct({"signal": pl.String, "detail": pl.String, "weight": pl.Float64}))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    with open_store(db_url) as opened:
        yield opened


def ev(signal: str, weight: float, detail: str = "synthetic") -> list[dict[str, Any]]:
    """One-item evidence list."""
    return [{"signal": signal, "detail": detail, "weight": weight}]


def scan_frames(networks: dict[str, list[tuple[str, str, float]]], alone: list[tuple[str, str]] = ()) -> tuple[pl.DataFrame, pl.DataFrame]:  # type: ignore[assignment]
    """``scores`` and ``networks`` frames: ``networks`` maps id -> [(account, role, evidence weight)],
    ``alone`` lists standalone flagged (account, role)."""
    rows = []
    for net, members in networks.items():
        for account, role, weight in members:
            rows.append({"account": account, "risk": 0.8 if role == "seller" else 0.5, "role": role, "network": net,
                         "evidence": ev("graph:follows_sellers" if role != "seller" else "lexicon:coded_term", weight)})
    for account, role in alone:
        rows.append({"account": account, "risk": 0.7, "role": role, "network": None,
                     "evidence": ev("lexicon:coded_term", 1.0)})
    scores = pl.DataFrame(rows, schema={"account": pl.String, "risk": pl.Float64, "role": pl.String,
                                        "network": pl.String, "evidence": EVIDENCE})
    nets = pl.DataFrame(
        [
            {"id": net, "members": sorted(a for a, _, _ in members),
             "sellers": sum(r == "seller" for _, r, _ in members), "buyers": sum(r == "buyer" for _, r, _ in members),
             "unique_followers": 10 * len(members), "risk": 0.8, "evidence": ev("network:sellers", 1.0),
             "destinations": [f"t.me/{net}"]}
            for net, members in networks.items()
        ],
        schema={"id": pl.String, "members": pl.List(pl.String), "sellers": pl.Int64, "buyers": pl.Int64,
                "unique_followers": pl.Int64, "risk": pl.Float64, "evidence": EVIDENCE,
                "destinations": pl.List(pl.String)},
    )
    return scores, nets


def report(report_id: str, target: str, reason: str = "spam", **extra: Any) -> dict[str, Any]:
    """A valid report payload."""
    return {"id": report_id, "target": target, "reason": reason, "created_at": "2026-11-30T12:00:00Z", **extra}
