"""Firebreak: find and dismantle networks that sell child sexual exploitation
material, and keep a platform's recommendations from connecting them.

Stages (each a plain function from typed inputs to typed outputs):

    read_snapshot / ingest -> detect_signals -> scan (firebreak.scan.stages) -> Guard / run_audit

The public names below are the supported API; they are imported on first use
so that ``import firebreak`` (and the CLI's start-up) stays light. Every flag's
evidence follows one contract, :mod:`firebreak.evidence`. The simulator, the
evaluation against labels and the demo are the lab (:mod:`firebreak.lab`), which
the product never imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "Snapshot": "firebreak.snapshot",
    "read_snapshot": "firebreak.snapshot",
    "load_snapshot": "firebreak.snapshot",
    "write_snapshot": "firebreak.snapshot",
    "ingest": "firebreak.ingestion",
    "load_lexicon": "firebreak.detect.lexicon",
    "detect_signals": "firebreak.detect.signals",
    "load_bank": "firebreak.detect.media",
    "scan": "firebreak.scan",
    "ScanParams": "firebreak.scan",
    "ScanResult": "firebreak.scan",
    "read_scan": "firebreak.scan",
    "read_labels": "firebreak.labels",
    "Guard": "firebreak.guard",
    "run_audit": "firebreak.guard.audit",
    "open_store": "firebreak.store",
    "Signal": "firebreak.evidence",
    "EVIDENCE": "firebreak.evidence",
    "FirebreakError": "firebreak.errors",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    """Import a public name from the module that defines it, on first use."""
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'firebreak' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
