"""Fixtures for the guard's tests: a toy platform with one abusive network."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from firebreak.guard.platform import Platform

from .toy import toy_platform


@pytest.fixture(scope="session")
def toy() -> tuple:
    """``(snapshot, labels, platform)`` of the toy platform."""
    snap, labels = toy_platform()
    return snap, labels, Platform.from_snapshot(snap)


@pytest.fixture(scope="session")
def abusive(toy) -> np.ndarray:
    """Ground-truth abusive mask of the toy platform."""
    _, labels, platform = toy
    bad = labels.filter(pl.col("role").is_in(["seller", "buyer"])).get_column("account")
    mask = np.zeros(platform.n, dtype=bool)
    mask[platform.encode(bad)] = True
    return mask
