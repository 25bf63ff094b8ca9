"""The examples in the public graph, detect and evidence docstrings run, and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "firebreak.evidence",
    "firebreak.graph.communities",
    "firebreak.graph.csr",
    "firebreak.graph.evasion",
    "firebreak.graph.expand",
    "firebreak.graph.ids",
    "firebreak.graph.propagate",
    "firebreak.detect.normalize",
    "firebreak.detect.lexicon",
    "firebreak.detect.profile",
    "firebreak.guard.decisions",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
