"""Fixtures for the NCMEC reporting tests: a running stand-in with test-mode settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from firebreak.act.ncmec.cases import EscalatedCase
from firebreak.act.ncmec.settings import NcmecSettings, resolve_settings
from firebreak.act.ncmec.standin import (
    CyberTiplineStandin,
    StandinSettings,
    running_standin,
)
from tests.act.ncmec.helpers import make_case


@pytest.fixture
def case_factory() -> Callable[..., EscalatedCase]:
    """The :func:`make_case` factory."""
    return make_case


@pytest.fixture
def standin() -> Iterator[tuple[NcmecSettings, CyberTiplineStandin]]:
    """A stand-in on a free loopback port, with test-mode settings pointing at it."""
    with running_standin(StandinSettings(open_ttl_s=3600)) as (url, server):
        yield resolve_settings("test", url), server


