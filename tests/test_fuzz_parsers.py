"""The coverage-guided fuzzer (``benchmarks/fuzz_parsers.py``) runs its short mode without a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "fuzz_parsers.py"
CORPUS = SCRIPT.parent / "fuzz_corpus"


def test_the_corpus_has_seeds_for_every_target() -> None:
    targets = {path.read_bytes()[0] for path in CORPUS.iterdir() if path.is_file() and path.stat().st_size}
    assert targets >= set(range(8))


def test_short_fuzzing_run_finds_no_crash(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], check=False, capture_output=True, text=True, timeout=240, cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # its scratch files, new inputs and any crash-* land here
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "Done " in output and "runs in" in output
    runs = int(output.split("Done ")[1].split(" runs")[0])
    assert runs > 50, "the fuzzer barely ran"
    assert not list(tmp_path.rglob("crash-*"))
