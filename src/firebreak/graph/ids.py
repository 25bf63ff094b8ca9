"""Dense integer ids for opaque account ids, built once per snapshot.

Every graph structure (CSR matrices, score vectors) indexes accounts by a dense
``int64`` in ``[0, n)``. :class:`IdMap` turns id columns into those integers
through a :class:`~firebreak.hash_index.HashIndex` of the ids, built once per map
(never a Python dict lookup per row), and back. It gives the integers a Polars cast
to an ``Enum`` of the ids would, with far fewer cache misses and without the cast's
cost of mapping every category on each call (a second or so with a million ids,
however short the column); the Enum cast remains for the (unseen) case of two ids
sharing a hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from firebreak.hash_index import HashIndex


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
    _index: dict[str, HashIndex | None] = field(default_factory=dict, repr=False, compare=False)

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
        if (index := self.hash_index()) is not None:
            found: np.ndarray = index.lookup(values).astype(dtype, copy=False)
            if missing != -1:
                found[found < 0] = missing
            return found
        # an Enum whose categories are the ids in index order: its physical codes are the dense indices
        physical = pl.Int32 if dtype == np.int32 else pl.Int64
        codes = values.cast(pl.String).cast(self.enum, strict=False).to_physical().cast(physical)
        return codes.fill_null(missing).to_numpy().astype(dtype, copy=False)

    def hash_index(self) -> HashIndex | None:
        """The ids' :class:`~firebreak.hash_index.HashIndex` (built on first use; ``None`` if two ids share a hash)."""
        if "ids" not in self._index:
            self._index["ids"] = HashIndex.build(self.ids)
        return self._index["ids"]

    def encode_frame(self, frame: pl.DataFrame, column: str, name: str) -> pl.DataFrame:
        """``frame`` plus an ``Int64`` column ``name``: the dense index of ``column`` (null if unknown)."""
        mapping = self.frame.rename({"id": column, "idx": name})
        return frame.join(mapping, on=column, how="left", maintain_order="left")

    def decode(self, idx: np.ndarray | list[int]) -> pl.Series:
        """Account ids for dense indices."""
        return self.ids.gather(np.asarray(idx, dtype=np.int64))
