"""Small simulated platforms shared by the simulator's tests (generated once per session)."""

from __future__ import annotations

import pytest

from firebreak.lab.sim import SimOutput, generate, preset


@pytest.fixture(scope="session")
def small() -> SimOutput:
    """A 4,000-account default platform."""
    return generate(preset("default", seed=11, accounts=4_000))


@pytest.fixture(scope="session")
def hard() -> SimOutput:
    """A 4,000-account hard platform."""
    return generate(preset("hard", seed=12, accounts=4_000))
