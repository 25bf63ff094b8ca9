"""Every dependency in pyproject.toml is bounded above, and the installed versions satisfy the bounds.

A new major (for Polars, minor) release cannot then break a fresh install
unnoticed: CI runs this against what ``make test`` installed.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _requirements(group: str) -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    # "firebreak[bench]" in the test extra is this project's own extra, not a dependency
    return [req for req in map(Requirement, specs) if req.name != "firebreak"]


@pytest.mark.parametrize("group", ["runtime", "bench", "test"])
def test_every_dependency_has_an_upper_bound(group: str) -> None:
    unbounded = [
        str(req)
        for req in _requirements(group)
        if not any(spec.operator in ("<", "<=", "==", "~=", "===") for spec in req.specifier)
    ]
    assert unbounded == []


@pytest.mark.parametrize("group", ["runtime", "bench", "test"])
def test_installed_versions_satisfy_the_bounds(group: str) -> None:
    wrong = []
    for req in _requirements(group):
        installed = importlib.metadata.version(req.name)
        if not req.specifier.contains(installed, prereleases=True):
            wrong.append(f"{req.name} {installed} not in {req.specifier}")
    assert wrong == []


def test_polars_is_bounded_to_one_minor_series() -> None:
    (polars,) = [req for req in _requirements("runtime") if req.name == "polars"]
    uppers = [spec.version for spec in polars.specifier if spec.operator == "<"]
    assert uppers and uppers[0].count(".") == 1 and not uppers[0].endswith(".0")
