"""The packaged lexicon term files (``*.toml``), and term discovery.

The TOML files here are data: :func:`firebreak.detect.lexicon.load_lexicon`
reads every one of them, plus operator files. ``discover_terms`` lives in
:mod:`firebreak.detect.discovery` and is re-exported here for callers that
use ``firebreak.detect.terms.discover_terms``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["discover_terms"]


def __getattr__(name: str) -> Any:
    if name == "discover_terms":
        from firebreak.detect.discovery import discover_terms

        return discover_terms
    raise AttributeError(name)
