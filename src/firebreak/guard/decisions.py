"""The guard's decision log: refusals counted per reason, and recorded one by one when asked.

A :class:`DecisionLog` is the only mutable thing about guarding: a fitted
:class:`~firebreak.guard.policy.Guard` never changes when used, and
``guard.logged(log)`` returns a guard that writes its refusals here.
"""

from __future__ import annotations

import numpy as np
import polars as pl

#: reason code -> name; code 0 means allowed.
REASONS: tuple[str, ...] = (
    "allowed",
    "flagged_seller",
    "flagged_buyer",
    "flagged_network",
    "risk_above_threshold",
    "under_review",
    "minor_protection",
    "flagged_seed",
    "search_lexicon_term",
    "search_discovered_term",
    "search_hashtag_hidden",
)
CODE = {name: i for i, name in enumerate(REASONS)}
DECISIONS = pl.Schema({"surface": pl.String, "viewer": pl.Int64, "account": pl.Int64, "reason": pl.String})


class DecisionLog:
    """Counts of refusals per reason; with ``record=True`` also every refusal (surface, viewer, account, reason).

    Viewers and accounts are dense indices (``-1`` for a viewer outside the platform or a search).

    >>> log = DecisionLog(record=True)
    >>> log.add(np.array([1, 1, 6], np.int8), np.array([0, 0, 2]), np.array([5, 7, 9]), "recommendations")
    >>> log.counts()
    {'flagged_seller': 2, 'minor_protection': 1}
    >>> log.decisions().height
    3
    """

    def __init__(self, *, record: bool = False) -> None:
        self.record = record
        self._counts = np.zeros(len(REASONS), dtype=np.int64)
        self._frames: list[pl.DataFrame] = []

    def add(self, code: np.ndarray, viewers: np.ndarray | None, accounts: np.ndarray, surface: str) -> None:
        """Count refusals with reason ``code`` (and record them with their viewer, account and surface)."""
        self._counts += np.bincount(code.astype(np.intp), minlength=len(REASONS))[: len(REASONS)]
        if not self.record or viewers is None:
            return
        hit = code > 0
        if hit.any():
            self._frames.append(
                pl.DataFrame(
                    {
                        "surface": surface,
                        "viewer": np.asarray(viewers, dtype=np.int64)[hit],
                        "account": np.asarray(accounts, dtype=np.int64)[hit],
                        "reason": np.asarray(REASONS)[code[hit]],
                    }
                )
            )

    def counts(self) -> dict[str, int]:
        """Refusals so far per reason (reasons with none are left out)."""
        return {REASONS[i]: int(c) for i, c in enumerate(self._counts) if i > 0 and c > 0}

    def decisions(self) -> pl.DataFrame:
        """Every refusal recorded so far (:data:`DECISIONS`); empty unless ``record=True``."""
        return pl.concat(self._frames) if self._frames else pl.DataFrame(schema=DECISIONS)
