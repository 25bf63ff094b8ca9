"""The in-memory snapshot: one typed Polars frame per table."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from firebreak.snapshot.schema import empty


@dataclass(slots=True)
class Snapshot:
    """A platform snapshot as canonical frames (see :mod:`firebreak.snapshot.schema`).

    ``labels`` is ground truth for evaluation only and is never read by detection.
    Optional tables that the snapshot lacks are empty frames, never ``None``.
    """

    accounts: pl.DataFrame
    follows: pl.DataFrame = field(default_factory=lambda: empty("follows"))
    posts: pl.DataFrame = field(default_factory=lambda: empty("posts"))
    events: pl.DataFrame = field(default_factory=lambda: empty("events"))
    reports: pl.DataFrame = field(default_factory=lambda: empty("reports"))
    labels: pl.DataFrame = field(default_factory=lambda: empty("labels"))
    manifest: dict[str, object] = field(default_factory=dict)

    def table(self, name: str) -> pl.DataFrame:
        """The frame for table ``name`` (``"accounts"``, ``"follows"``, ...)."""
        frame: pl.DataFrame = getattr(self, name)
        return frame
