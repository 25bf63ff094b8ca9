"""Helpers that build small in-memory snapshots from edge lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl
import pytest

from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import SCHEMAS


def frame(table: str, rows: dict[str, Sequence[object]]) -> pl.DataFrame:
    """A frame of ``table``'s canonical schema with the given columns (others null)."""
    schema = SCHEMAS[table]
    height = len(next(iter(rows.values()))) if rows else 0
    cols = {name: pl.Series(name, rows.get(name, [None] * height), dtype=dtype) for name, dtype in schema.items()}
    return pl.DataFrame(cols)


def make_snapshot(
    n: int,
    follows: Sequence[tuple[int, int]] = (),
    *,
    events: Sequence[tuple[int, str, int | None]] = (),
    links: dict[int, list[str]] | None = None,
    status: dict[int, str] | None = None,
    reports: Sequence[tuple[int | None, int]] = (),
) -> Snapshot:
    """Accounts ``a0..a{n-1}``; follows, events ``(actor, kind, target)``, child-safety reports ``(reporter, target)``."""
    links = links or {}
    status = status or {}
    accounts = frame(
        "accounts",
        {
            "id": [f"a{i}" for i in range(n)],
            "links": [links.get(i, []) for i in range(n)],
            "status": [status.get(i, "active") for i in range(n)],
        },
    )
    fol = frame("follows", {"src": [f"a{s}" for s, _ in follows], "dst": [f"a{d}" for _, d in follows]})
    ev = frame(
        "events",
        {
            "actor": [f"a{a}" for a, _, _ in events],
            "kind": [k for _, k, _ in events],
            "target": [None if t is None else f"a{t}" for _, _, t in events],
        },
    )
    rep = frame(
        "reports",
        {
            "id": [f"r{i}" for i in range(len(reports))],
            "reporter": [None if r is None else f"a{r}" for r, _ in reports],
            "target_kind": ["account"] * len(reports),
            "target": [f"a{t}" for _, t in reports],
            "reason": ["child_safety"] * len(reports),
        },
    )
    return Snapshot(accounts=accounts, follows=fol, events=ev, reports=rep)


@pytest.fixture
def snapshot_of() -> Callable[..., Snapshot]:
    """The :func:`make_snapshot` builder."""
    return make_snapshot


@pytest.fixture
def frame_of() -> Callable[..., pl.DataFrame]:
    """The :func:`frame` builder."""
    return frame


def toy_follows(
    rng, n_benign: int = 1500, sellers: int = 30, buyers: int = 200, benign_follows: int = 12, buyer_sellers: tuple[int, int] = (2, 6)
):
    """Edges of a small platform: sellers ``0..S-1``, buyers next, benign after; returns ``(n, src, dst)`` arrays.

    Buyers follow a few sellers and some benign accounts; benign accounts follow benign accounts.
    """
    import numpy as np

    n = sellers + buyers + n_benign
    benign0 = sellers + buyers
    k = rng.integers(buyer_sellers[0], buyer_sellers[1] + 1, size=buyers)
    b_src = np.repeat(np.arange(sellers, benign0), k)
    b_dst = np.concatenate([rng.choice(sellers, size=x, replace=False) for x in k])
    bb_src = np.repeat(np.arange(sellers, benign0), benign_follows)
    bb_dst = rng.integers(benign0, n, size=bb_src.size)
    m = rng.integers(5, 20, size=n_benign)
    n_src = np.repeat(np.arange(benign0, n), m)
    n_dst = rng.integers(benign0, n, size=n_src.size)
    return n, np.concatenate([b_src, bb_src, n_src]), np.concatenate([b_dst, bb_dst, n_dst])


@pytest.fixture
def toy() -> Callable[..., tuple]:
    """The :func:`toy_follows` builder."""
    return toy_follows
