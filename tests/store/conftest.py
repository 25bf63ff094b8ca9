"""Fixtures for the store's tests: an open store on each backend and report frames."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from firebreak.snapshot.schema import REPORTS
from firebreak.store import Store, open_store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    with open_store(db_url) as opened:
        yield opened


def make_reports(ids: list[str], *, reason: str = "spam") -> pl.DataFrame:
    """A canonical reports frame with one report per id, each on its own target."""
    n = len(ids)
    start = datetime(2023, 6, 7, 12, tzinfo=UTC)
    return pl.DataFrame(
        {
            "id": ids,
            "reporter": [f"acct{i}" for i in range(n)],
            "target_kind": ["account"] * n,
            "target": [f"target_{i}" for i in ids],
            "reason": [reason] * n,
            "text": [f"report text {i}" for i in ids],
            "created_at": [start + timedelta(minutes=i) for i in range(n)],
        },
        schema=REPORTS,
    )


@pytest.fixture
def reports_frame() -> Callable[..., pl.DataFrame]:
    """The :func:`make_reports` factory."""
    return make_reports
