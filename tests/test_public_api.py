"""The curated public API: pinned, and every name resolves to the object its module defines."""

from __future__ import annotations

import subprocess
import sys

import firebreak

PINNED = {
    "__version__", "Snapshot", "read_snapshot", "load_snapshot", "write_snapshot", "ingest", "load_lexicon",
    "detect_signals", "load_bank", "scan", "ScanParams", "ScanResult", "read_scan", "read_labels", "Guard",
    "run_audit", "open_store", "Signal", "EVIDENCE", "FirebreakError",
}


def test_public_api_is_pinned() -> None:
    assert set(firebreak.__all__) == PINNED


def test_every_public_name_resolves() -> None:
    from firebreak.ingestion import ingest
    from firebreak.scan import ScanResult

    for name in firebreak.__all__:
        assert getattr(firebreak, name) is not None, name
    assert firebreak.ScanResult is ScanResult and firebreak.ingest is ingest


def test_import_is_light() -> None:
    code = "import sys, firebreak; print('polars' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
