"""A PDQ index that finds every hash within a Hamming distance, fast, at 10M hashes.

Multi-index hashing (Norouzi et al., the technique behind faiss's
``IndexBinaryMultiHash`` and threatexchange's ``PDQMultiHashIndex``): the
256 bits are cut into ``m`` disjoint ``b``-bit substrings, one hash table per
substring. If two hashes are within distance ``T``, then by the pigeonhole
principle some substring ``i`` differs in at most ``r_i`` bits whenever
``sum(r_i + 1) >= T + 1``; probing every key within ``r_i`` flips in each table
therefore finds *every* match (recall 1.0), and candidates are then checked by
exact distance.

Why not faiss's own ``IndexBinaryMultiHash``: it keeps each table as an
``unordered_map<int64, vector<int64>>`` (at 10M hashes and 16 tables that is
more than 2 GiB, rebuilt entry by entry on reload) and deduplicates candidates
through a hash set per query. Here each table is two flat arrays in CSR form
(``offsets[2**b + 1]`` and ``int32`` ids sorted by key), built with one sort,
saved as ``.npy`` files and reloaded by memory-mapping; queries run in batches
as NumPy gathers, XOR and ``bitwise_count``. ``b`` is chosen from the number of
hashes by a cost model (probes + candidates per query).

Real banks are not uniformly random: many bits are nearly always 0 or 1 across
the bank, so a substring made of such bits has a few huge buckets and every
query probing them drags in a large share of the bank. Before cutting, the bits
are therefore permuted so that each table gets about the same total entropy
(greedy: bits by decreasing entropy, each to the table with the least so far);
Hamming distance does not change under a permutation, so exactness does not
either. The permutation is saved with the index and applied to queries. Agreement with the
brute-force reference (:func:`~firebreak.detect.media.hamming.brute_force_range_search`)
is a tested property.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from firebreak.detect.media.hamming import (
    DEFAULT_DISTANCE,
    PDQ_BITS,
    PDQ_BYTES,
    Matches,
    as_words,
    brute_force_range_search,
)
from firebreak.errors import BankError

INDEX_FORMAT = "firebreak-pdq-mih"
INDEX_VERSION = 2
#: versions :meth:`PDQIndex.load` reads (version 1: no saved permutation, identity)
_READABLE_VERSIONS = (1, 2)
_ENTROPY_SAMPLE = 1 << 16
_ROWS_PER_CHUNK = 1 << 20


@lru_cache(maxsize=64)
def flip_masks(bits: int, radius: int) -> np.ndarray:
    """All ``uint32`` masks of at most ``radius`` set bits among ``bits`` bits."""
    masks = [0]
    for k in range(1, radius + 1):
        masks.extend(sum(1 << p for p in combo) for combo in combinations(range(bits), k))
    out = np.array(masks, dtype=np.uint32)
    out.setflags(write=False)
    return out


def radii(tables: int, threshold: int) -> list[int]:
    """Per-table search radii with ``sum(r + 1) == threshold + 1`` (``-1``: skip the table)."""
    total = threshold + 1
    base, extra = divmod(total, tables)
    return [base - 1 + (1 if i < extra else 0) for i in range(tables)]


def _probes(bits: int, radius: int) -> int:
    return sum(math.comb(bits, k) for k in range(radius + 1))


#: measured: checking one candidate costs about as much as this many table probes.
_CANDIDATE_COST = 8.0
_CANDIDATES_PER_STEP = 1 << 21


def estimated_cost(n: int, bits: int, threshold: int = DEFAULT_DISTANCE) -> float:
    """Expected cost per query (in table probes) for random hashes: probes + weighted candidates."""
    tables = PDQ_BITS // bits
    probes = sum(_probes(bits, r) for r in radii(tables, threshold) if r >= 0)
    return probes * (1.0 + _CANDIDATE_COST * n / float(1 << bits))


def choose_bits(n: int, threshold: int = DEFAULT_DISTANCE) -> int:
    """Substring length minimising :func:`estimated_cost`, with ``2**b`` at most ``16 * n`` and b <= 24."""
    limit = max(8, min(24, int(math.floor(math.log2(max(n, 16)))) + 4))
    return min(range(8, limit + 1), key=lambda b: (estimated_cost(n, b, threshold), b))


def _table_keys(words: np.ndarray, table: int, bits: int) -> np.ndarray:
    """Key of ``table`` for each row: bits ``[table*b, (table+1)*b)`` of the uint64 words."""
    start = table * bits
    w, o = divmod(start, 64)
    mask = np.uint64((1 << bits) - 1)
    col = words[:, w]
    if o + bits <= 64:
        key = (col >> np.uint64(64 - o - bits)) & mask
    else:
        key = ((col << np.uint64(o + bits - 64)) | (words[:, w + 1] >> np.uint64(128 - o - bits))) & mask
    return key.astype(np.uint32)


def bit_probabilities(words: np.ndarray) -> np.ndarray:
    """Share of rows with each bit set, ``float64[256]`` by bit position (see :func:`balanced_permutation`).

    Position ``p`` is bit ``63 - p % 64`` of word ``p // 64`` of the ``uint64[N, 4]``
    view, the order :func:`_table_keys` cuts substrings in. At most 65,536
    evenly spaced rows are read.
    """
    n = words.shape[0]
    if n == 0:
        return np.full(PDQ_BITS, 0.5)
    rows = words[np.linspace(0, n - 1, num=min(n, _ENTROPY_SAMPLE)).astype(np.int64)]
    shifts = np.arange(63, -1, -1, dtype=np.uint64)
    bits = (rows[:, :, None] >> shifts[None, None, :]) & np.uint64(1)
    return np.asarray(bits.reshape(rows.shape[0], PDQ_BITS).mean(axis=0, dtype=np.float64))


def balanced_permutation(probabilities: np.ndarray, bits: int) -> np.ndarray:
    """Bit order giving each ``bits``-bit table about the same entropy (``int16[256]``).

    ``probabilities`` is each position's set-probability. Entry ``k`` of the
    result is the original position placed at position ``k``; table ``t`` reads
    positions ``[t*bits, (t+1)*bits)``. Bits are taken by decreasing binary
    entropy, each into the table with the lowest entropy so far that has room;
    the lowest-entropy bits fill the tail no table reads (when ``bits`` does not
    divide 256).
    """
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1 - 1e-12)
    entropy = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    order = np.argsort(-entropy, kind="stable")
    tables = PDQ_BITS // bits
    total = np.zeros(tables)
    slots: list[list[int]] = [[] for _ in range(tables)]
    tail: list[int] = []
    for pos in order.tolist():  # 256 bits, once per build
        open_tables = [t for t in range(tables) if len(slots[t]) < bits]
        if not open_tables:
            tail.append(pos)
            continue
        t = min(open_tables, key=lambda k: (total[k], k))
        slots[t].append(pos)
        total[t] += entropy[pos]
    return np.array([pos for table in slots for pos in table] + tail, dtype=np.int16)


def _useful_permutation(probabilities: np.ndarray, bits: int) -> np.ndarray | None:
    """:func:`balanced_permutation`, or ``None`` when the bits in order are already as balanced (random banks)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1 - 1e-12)
    entropy = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    perm = balanced_permutation(p, bits)
    used = (PDQ_BITS // bits) * bits
    in_order = entropy[:used].reshape(-1, bits).sum(axis=1).min()
    balanced = entropy[perm[:used]].reshape(-1, bits).sum(axis=1).min()
    return None if in_order >= balanced - 0.05 * bits else perm


def _permuted_keys(words: np.ndarray, perm: np.ndarray | None, table: int, bits: int) -> np.ndarray:
    """Key of ``table`` for each row after permuting bit positions by ``perm`` (``None``: identity)."""
    if perm is None:
        return _table_keys(words, table, bits)
    key = np.zeros(words.shape[0], dtype=np.uint64)
    one = np.uint64(1)
    for j, pos in enumerate(perm[table * bits : (table + 1) * bits].tolist()):
        w, o = divmod(pos, 64)
        key |= ((words[:, w] >> np.uint64(63 - o)) & one) << np.uint64(bits - 1 - j)
    return key.astype(np.uint32)


class PDQIndex:
    """Exact range search over PDQ codes (``uint8[N, 32]``); ids are row numbers.

    Build with :meth:`build`, query with :meth:`search`, persist with
    :meth:`save` / :meth:`load` (memory-mapped, so reloading 10M hashes takes
    well under a second).
    """

    def __init__(
        self, codes: np.ndarray, ids: np.ndarray, offsets: np.ndarray, bits: int, perm: np.ndarray | None = None
    ) -> None:
        self.codes = codes
        self.perm = None if perm is None or np.array_equal(perm, np.arange(PDQ_BITS)) else np.asarray(perm, np.int16)
        self.ids = ids
        self.offsets = offsets
        self.bits = bits
        self.tables = ids.shape[0]
        self._words = as_words(codes) if codes.flags.c_contiguous else as_words(np.ascontiguousarray(codes))

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @classmethod
    def build(cls, codes: np.ndarray, *, bits: int | None = None, balance: bool = True) -> PDQIndex:
        """Index ``uint8[N, 32]`` codes (``bits``: substring length, default chosen from N).

        ``balance`` permutes bits so tables carry equal entropy
        (:func:`balanced_permutation`); ``False`` cuts the bits in order.
        """
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, PDQ_BYTES)
        n = codes.shape[0]
        bits = bits or choose_bits(n)
        if not 1 <= bits <= 24:
            raise ValueError("bits must be in 1..24 (each table holds 2**bits + 1 offsets)")
        tables = PDQ_BITS // bits
        words = as_words(codes)
        offset_dtype = np.int32 if n < np.iinfo(np.int32).max else np.int64
        ids = np.empty((tables, n), dtype=np.int32 if n < np.iinfo(np.int32).max else np.int64)
        offsets = np.empty((tables, (1 << bits) + 1), dtype=offset_dtype)
        perm = _useful_permutation(bit_probabilities(words), bits) if balance else None
        keys = np.empty(n, dtype=np.uint32)
        for t in range(tables):
            for s in range(0, n, _ROWS_PER_CHUNK):
                keys[s : s + _ROWS_PER_CHUNK] = _permuted_keys(words[s : s + _ROWS_PER_CHUNK], perm, t, bits)
            offsets[t, 0] = 0
            np.cumsum(np.bincount(keys, minlength=1 << bits), out=offsets[t, 1:])
            ids[t] = pl.Series(keys).arg_sort().to_numpy()  # Polars' parallel sort beats np.argsort here
        return cls(codes, ids, offsets, bits, perm)

    def search(self, queries: np.ndarray, threshold: int = DEFAULT_DISTANCE, *, batch: int = 1024) -> Matches:
        """Every (query, id) pair within ``threshold`` bits, exactly as brute force finds them.

        ``queries`` is ``uint8[Q, 32]``. Returns ``(query_row, id, distance)``
        sorted by query row, then id. Falls back to brute force when the
        threshold is so large that probing would cost more than scanning.
        """
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, PDQ_BYTES)
        n = len(self)
        if n == 0 or queries.shape[0] == 0 or threshold < 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
        if estimated_cost(n, self.bits, threshold) >= _CANDIDATE_COST * n:
            return brute_force_range_search(self.codes, queries, threshold)
        found_q, found_i, found_d = [], [], []
        for start in range(0, queries.shape[0], batch):
            q, i, d = self._search_batch(queries[start : start + batch], threshold)
            found_q.append(q + start)
            found_i.append(i)
            found_d.append(d)
        return np.concatenate(found_q), np.concatenate(found_i), np.concatenate(found_d)

    def _search_batch(self, queries: np.ndarray, threshold: int) -> Matches:
        n = len(self)
        qwords = as_words(queries)
        found_q: list[np.ndarray] = []
        found_i: list[np.ndarray] = []
        found_d: list[np.ndarray] = []
        for t, r in enumerate(radii(self.tables, threshold)):
            if r < 0:
                continue
            masks = flip_masks(self.bits, r)
            probe = (_permuted_keys(qwords, self.perm, t, self.bits)[:, None] ^ masks[None, :]).ravel()
            offsets = self.offsets[t]
            starts = np.take(offsets, probe).astype(np.int64)
            counts = np.take(offsets, probe + np.uint32(1)) - starts
            hit = counts > 0
            starts, counts = starts[hit], counts[hit]
            owner = np.nonzero(hit)[0] // masks.shape[0]
            total = int(counts.sum())
            if total == 0:
                continue
            # candidates are checked in slices of about _CANDIDATES_PER_STEP: on skewed banks one
            # table can yield tens of millions for a batch
            ends = np.cumsum(counts)
            a = 0
            while a < counts.shape[0]:
                done = int(ends[a - 1]) if a else 0
                b = max(a + 1, int(np.searchsorted(ends, done + _CANDIDATES_PER_STEP, side="right")))
                c, st, ow = counts[a:b], starts[a:b], owner[a:b]
                e = ends[a:b] - done
                pos = np.arange(int(e[-1]), dtype=np.int64) - np.repeat(e - c - st, c)
                ci = np.take(self.ids[t], pos).astype(np.int64)
                cq = np.repeat(ow, c).astype(np.int64)
                diff = np.take(self._words, ci, axis=0) ^ np.take(qwords, cq, axis=0)
                dist = np.bitwise_count(diff).sum(axis=1, dtype=np.int32)
                keep = dist <= threshold
                found_q.append(cq[keep])
                found_i.append(ci[keep])
                found_d.append(dist[keep])
                a = b
        if not found_i:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
        pair, first = np.unique(np.concatenate(found_q) * n + np.concatenate(found_i), return_index=True)
        return pair // n, pair % n, np.concatenate(found_d)[first]

    def save(self, directory: str | Path) -> Path:
        """Write the index as ``.npy`` arrays plus ``index.json`` under ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / "codes.npy", np.ascontiguousarray(self.codes))
        np.save(out / "ids.npy", np.ascontiguousarray(self.ids))
        np.save(out / "offsets.npy", np.ascontiguousarray(self.offsets))
        np.save(out / "perm.npy", np.arange(PDQ_BITS, dtype=np.int16) if self.perm is None else self.perm)
        meta = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "bits": self.bits, "tables": self.tables, "n": len(self)}
        (out / "index.json").write_text(json.dumps(meta) + "\n", encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path, *, mmap: bool = True) -> PDQIndex:
        """Reload an index written by :meth:`save` (memory-mapped unless ``mmap=False``)."""
        src = Path(directory)
        try:
            meta = json.loads((src / "index.json").read_text(encoding="utf-8"))
            if meta.get("format") != INDEX_FORMAT or meta.get("version") not in _READABLE_VERSIONS:
                raise BankError(f"{src}: not a firebreak PDQ index (format {meta.get('format')!r})")
            mode: Literal["r"] | None = "r" if mmap else None
            codes = np.load(src / "codes.npy", mmap_mode=mode)
            ids = np.load(src / "ids.npy", mmap_mode=mode)
            offsets = np.load(src / "offsets.npy", mmap_mode=mode)
            perm = np.load(src / "perm.npy") if meta["version"] >= 2 else None
        except (OSError, ValueError, KeyError) as exc:
            raise BankError(f"{src}: cannot read the saved PDQ index ({exc.__class__.__name__}: {exc})") from None
        if codes.shape != (meta["n"], PDQ_BYTES) or ids.shape != (meta["tables"], meta["n"]):
            raise BankError(f"{src}: saved PDQ index arrays do not match index.json")
        if perm is not None and not np.array_equal(np.sort(perm), np.arange(PDQ_BITS)):
            raise BankError(f"{src}: saved PDQ index bit permutation is not a permutation of 0..255")
        return cls(codes, ids, offsets, int(meta["bits"]), perm)
