"""Dense integer ids for opaque account ids, built once per snapshot.

Every graph structure (CSR matrices, score vectors) indexes accounts by a dense
``int64`` in ``[0, n)``. :class:`IdMap` turns id columns into those integers
with one Polars cast to an ``Enum`` of the ids (never a Python dict lookup per
row) and back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True, slots=True)
class IdMap:
    """Account id <-> dense index.

    ``ids`` holds the account ids in index order; ``frame`` is the same as a
    two-column ``(id, idx)`` frame used for joins; ``enum`` the Polars ``Enum``
    of the ids, whose physical codes are the dense indices.

    >>> ids = IdMap.from_ids(["a", "b", "c"])
    >>> ids.encode(["c", "deleted", "a"]).tolist(), ids.decode([1]).to_list()
    ([2, -1, 0], ['b'])
    """

    ids: pl.Series
    frame: pl.DataFrame
    enum: pl.Enum

    @classmethod
    def from_ids(cls, ids: pl.Series | list[str]) -> IdMap:
        """Build the map from account ids (duplicates keep their first position)."""
        series = pl.Series("id", ids, dtype=pl.String).unique(maintain_order=True)
        frame = pl.DataFrame({"id": series, "idx": np.arange(series.len(), dtype=np.int64)})
        return cls(ids=series, frame=frame, enum=pl.Enum(series))

    @property
    def n(self) -> int:
        """Number of accounts."""
        return self.ids.len()

    def encode(self, column: pl.Series | list[str], *, missing: int = -1, dtype: type = np.int64) -> np.ndarray:
        """Dense indices for a column of ids, in order; unknown ids become ``missing``.

        ``dtype`` is ``np.int64`` or ``np.int32`` (half the memory, for edge lists).
        """
        values = column if isinstance(column, pl.Series) else pl.Series("id", column, dtype=pl.String)
        # an Enum whose categories are the ids in index order: its physical codes are the dense indices
        physical = pl.Int32 if dtype == np.int32 else pl.Int64
        codes = values.cast(pl.String).cast(self.enum, strict=False).to_physical().cast(physical)
        return codes.fill_null(missing).to_numpy().astype(dtype, copy=False)

    def encode_frame(self, frame: pl.DataFrame, column: str, name: str) -> pl.DataFrame:
        """``frame`` plus an ``Int64`` column ``name``: the dense index of ``column`` (null if unknown)."""
        mapping = self.frame.rename({"id": column, "idx": name})
        return frame.join(mapping, on=column, how="left", maintain_order="left")

    def decode(self, idx: np.ndarray | list[int]) -> pl.Series:
        """Account ids for dense indices."""
        return self.ids.gather(np.asarray(idx, dtype=np.int64))
