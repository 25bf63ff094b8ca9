"""Every benchmark still runs: its ``--quick`` mode (small sizes) exits 0 and prints figures.

The figures themselves are for people (README); this only guards the scripts against
rotting as the code they measure changes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks() -> None:
    assert len(BENCHMARKS) >= 7


#: benchmarks whose quick mode runs under another marker (Spark's takes minutes on 2 cores: `make test-spark`).
ELSEWHERE = {"bench_spark": pytest.mark.spark}


@pytest.mark.parametrize(
    "script", [pytest.param(b, marks=ELSEWHERE.get(b.stem, ())) for b in BENCHMARKS], ids=lambda p: p.stem
)
def test_quick_run_succeeds(script: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip(), "a benchmark prints its figures"
