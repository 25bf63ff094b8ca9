"""Position of each of many strings among a fixed set of keys, by 64-bit hashes in flat tables.

Encoding 50M follow targets against 1M account ids is a lookup per row in a
table of 1M keys. Polars' ``Enum`` cast, its joins and Arrow's ``index_in`` all
probe a hash table whose entries point to the keys' strings, so a query in
random order (a follow's target, unlike its source, is in no particular order)
misses the cache two or three times; that was most of the graph stage. Here the
keys are reduced to their 64-bit Polars hashes once, and each query needs only its
own hash (computed in one sequential pass over the strings) and two reads of
flat integer arrays:

* table ``k`` maps a slot, ``(hash * M_k) >> (64 - bits)`` with an odd multiplier
  ``M_k``, to the key index whose hash landed there first; each table has twice
  as many slots as keys, and the keys that lost their slot go to the next table
  (about a fifth, then a fiftieth, ...; a handful of tables hold every key);
* a query takes the candidate of its slot in each table in turn until the
  candidate's hash equals its own, and a second hash of the query (another seed)
  must equal the key's too: a string outside the keys is matched only if two
  independent 64-bit hashes both collide with the same key's.

:meth:`HashIndex.build` returns ``None`` when two distinct keys share a hash
(callers then use the Enum cast), so a key is never shadowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

#: odd 64-bit multipliers, one per table (the golden-ratio constant and the mixers of xxHash, MurmurHash3 and splitmix64).
MULTIPLIERS = (
    0x9E3779B97F4A7C15,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0xD6E8FEB86659FD93,
    0xFF51AFD7ED558CCD,
    0xC4CEB9FE1A85EC53,
    0x94D049BB133111EB,
    0xBF58476D1CE4E5B9,
)
#: the seeds of the two hashes (the slot's, and the check's).
SEEDS = (0, 0x5EED)
#: queries hashed and looked up at a time (bounds the temporary arrays to a few tens of MB).
CHUNK = 1 << 22


def string_hashes(values: pl.Series, seed: int) -> np.ndarray:
    """Polars' 64-bit hash of each string of ``values`` with ``seed`` (``uint64``; a null has a hash of its own)."""
    return values.cast(pl.String).hash(seed=seed).to_numpy()


@dataclass(frozen=True, slots=True)
class HashIndex:
    """Key index by hash: ``tables[k]`` maps a slot to a key index (``-1``: empty), with ``multipliers[k]``."""

    hashes: np.ndarray  # uint64 per key (seed SEEDS[0])
    checks: np.ndarray  # uint64 per key (seed SEEDS[1])
    tables: tuple[np.ndarray, ...]
    multipliers: tuple[np.uint64, ...]
    shift: np.uint64

    @classmethod
    def build(cls, keys: pl.Series) -> HashIndex | None:
        """The index of distinct ``keys`` (position ``i`` answers ``i``); ``None`` when two keys share a
        hash, or the tables' multipliers run out before every key has a slot."""
        hashes = string_hashes(keys, SEEDS[0])
        n = hashes.size
        if n >= np.iinfo(np.int32).max or np.unique(hashes).size != n:
            return None
        bits = max(4, (max(n, 1) - 1).bit_length() + 1)
        shift = np.uint64(64 - bits)
        waiting = np.arange(n, dtype=np.int32)
        tables: list[np.ndarray] = []
        multipliers: list[np.uint64] = []
        for m in MULTIPLIERS:
            if not waiting.size:
                break
            mult = np.uint64(m)
            slot = ((hashes[waiting] * mult) >> shift).astype(np.intp)
            _, first = np.unique(slot, return_index=True)  # the first key of each slot takes it
            table = np.full(1 << bits, -1, dtype=np.int32)
            table[slot[first]] = waiting[first]
            tables.append(table)
            multipliers.append(mult)
            placed = np.zeros(waiting.size, dtype=bool)
            placed[first] = True
            waiting = waiting[~placed]
        if waiting.size:
            return None
        return cls(hashes, string_hashes(keys, SEEDS[1]), tuple(tables), tuple(multipliers), shift)

    def lookup_hashes(self, queries: np.ndarray) -> np.ndarray:
        """Key index (``int32``, ``-1`` where none) whose first hash equals each of ``queries`` (``uint64``)."""
        if not self.tables:
            return np.full(queries.size, -1, dtype=np.int32)
        found = self.tables[0][((queries * self.multipliers[0]) >> self.shift).astype(np.intp)]
        # an empty slot (-1) reads the last key's hash: the mask discards it
        todo = np.flatnonzero((found < 0) | (self.hashes[found] != queries))
        found[todo] = -1
        rest = queries[todo]
        for table, mult in zip(self.tables[1:], self.multipliers[1:], strict=True):
            if not todo.size:
                break
            cand = table[((rest * mult) >> self.shift).astype(np.intp)]
            hit = (cand >= 0) & (self.hashes[cand] == rest)
            found[todo[hit]] = cand[hit]
            todo, rest = todo[~hit], rest[~hit]
        return found

    def lookup(self, values: pl.Series) -> np.ndarray:
        """Key index (``int32``, ``-1`` for strings outside the keys and for nulls) of each of ``values``."""
        values = values.cast(pl.String)
        out = np.empty(values.len(), dtype=np.int32)
        for start in range(0, values.len(), CHUNK):
            chunk = values.slice(start, CHUNK)
            found = self.lookup_hashes(string_hashes(chunk, SEEDS[0]))
            hit = np.flatnonzero(found >= 0)
            if hit.size:
                checks = string_hashes(chunk, SEEDS[1])[hit]
                found[hit[self.checks[found[hit]] != checks]] = -1
            if chunk.null_count():
                found[chunk.is_null().to_numpy()] = -1
            out[start : start + chunk.len()] = found
        return out
