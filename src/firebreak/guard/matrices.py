"""Sparse-matrix helpers for the recommender and the guard: building, normalising, row top-k.

Everything here works on SciPy CSR matrices and NumPy arrays, a batch of rows
at a time; no Python loop runs over accounts or edges.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from firebreak.graph.csr import adjacency as graph_adjacency

FLOAT = np.float32


def adjacency(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray | None = None) -> sp.csr_matrix:
    """An ``n x n`` float32 CSR matrix with ``M[src, dst] = weight`` (duplicates summed; 1 when ``weight`` is None).

    :func:`firebreak.graph.csr.adjacency` in the recommender's float32: negative
    indices (unknown ids) and self-loops are dropped.
    """
    return graph_adjacency(src, dst, n, weight, dtype=FLOAT)


def binary(m: sp.spmatrix) -> sp.csr_matrix:
    """``m`` with every stored nonzero set to 1 (CSR, float32)."""
    out = sp.csr_matrix(m, dtype=FLOAT, copy=True)
    out.eliminate_zeros()
    out.data[:] = 1.0
    return out


def bipartite_normalised(a: sp.csr_matrix) -> sp.csr_matrix:
    """``D_out^-1/2 A D_in^-1/2``: each edge divided by sqrt(out-degree of src * in-degree of dst).

    The cosine-style normalisation of item-item collaborative filtering: popular
    accounts and accounts that follow thousands weigh less.
    """
    out_deg = np.asarray(a.sum(axis=1)).ravel()
    in_deg = np.asarray(a.sum(axis=0)).ravel()
    r = np.zeros_like(out_deg, dtype=np.float64)
    c = np.zeros_like(in_deg, dtype=np.float64)
    np.divide(1.0, np.sqrt(out_deg), out=r, where=out_deg > 0)
    np.divide(1.0, np.sqrt(in_deg), out=c, where=in_deg > 0)
    m = sp.csr_matrix(a, dtype=FLOAT, copy=True)
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    m.data *= (r[rows] * c[m.indices]).astype(FLOAT)
    return m


def row_scale(m: sp.csr_matrix, how: str = "max") -> sp.csr_matrix:
    """A copy of ``m`` with each row divided by its largest value (``how="max"``) or its sum (``"sum"``).

    Rows of zeros stay zero. Works on unsorted indices (no sort is triggered).
    """
    m = sp.csr_matrix(m, dtype=FLOAT, copy=True)
    if m.nnz == 0:
        return m
    counts = np.diff(m.indptr)
    nonempty = counts > 0
    starts = m.indptr[:-1][nonempty]
    agg = np.maximum.reduceat if how == "max" else np.add.reduceat
    per_row = np.zeros(m.shape[0], dtype=np.float64)
    per_row[nonempty] = agg(m.data.astype(np.float64), starts)
    scale = np.zeros_like(per_row)
    np.divide(1.0, per_row, out=scale, where=per_row > 0)
    m.data *= np.repeat(scale, counts).astype(FLOAT)
    return m


def row_normalise(m: sp.csr_matrix) -> sp.csr_matrix:
    """``m`` with each row divided by its largest value (rows of zeros stay zero)."""
    return row_scale(m, "max")


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def pair_mask(rows: np.ndarray, cols: np.ndarray, pairs: sp.csr_matrix) -> np.ndarray:
    """Boolean per ``(rows[i], cols[i])``: True where ``pairs`` (CSR) stores that position.

    ``pairs`` is small (what a batch of users follows); the candidates are many.
    A hashed byte table of the pairs rules most candidates out with one gather;
    only the few that pass are checked exactly with a binary search.
    """
    if pairs.nnz == 0 or rows.size == 0:
        return np.zeros(rows.size, dtype=bool)
    n = np.int64(pairs.shape[1])
    p = pairs.tocsr()
    pkeys = np.sort(row_ids(p).astype(np.int64) * n + p.indices)
    bits = int(min(24, max(12, np.ceil(np.log2(pkeys.size)) + 4)))
    shift = np.uint64(64 - bits)
    table = np.zeros(1 << bits, dtype=bool)
    table[(pkeys.view(np.uint64) * _GOLDEN) >> shift] = True
    keys = rows.astype(np.int64) * n + cols
    maybe = np.flatnonzero(table[(keys.view(np.uint64) * _GOLDEN) >> shift])
    out = np.zeros(rows.size, dtype=bool)
    if maybe.size:
        k = keys[maybe]
        pos = np.minimum(np.searchsorted(pkeys, k), pkeys.size - 1)
        out[maybe] = pkeys[pos] == k
    return out


def row_ids(m: sp.csr_matrix) -> np.ndarray:
    """The row index of every stored entry of CSR ``m`` (aligned with ``m.indices``)."""
    return np.repeat(np.arange(m.shape[0], dtype=np.int32), np.diff(m.indptr))


def drop_entries(m: sp.csr_matrix, drop: np.ndarray) -> sp.csr_matrix:
    """CSR ``m`` without the stored entries where boolean ``drop`` (aligned with ``m.data``) is True."""
    if not drop.any():
        return m
    keep = ~drop
    counts = np.bincount(row_ids(m)[keep], minlength=m.shape[0])
    indptr = np.concatenate(([0], np.cumsum(counts)))
    return sp.csr_matrix((m.data[keep], m.indices[keep], indptr), shape=m.shape)


def drop_pairs(m: sp.csr_matrix, pairs: sp.csr_matrix) -> sp.csr_matrix:
    """CSR ``m`` without the entries whose position is stored in ``pairs`` (same shape)."""
    if pairs.nnz == 0 or m.nnz == 0:
        return m
    return drop_entries(m, pair_mask(row_ids(m), m.indices, pairs))


def topk_rows(m: sp.csr_matrix, k: int, *, budget: int = 1 << 23) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest stored entries of every row of CSR ``m``.

    Returns ``(idx, score)``, both ``(rows, k)``, best first; rows with fewer than
    ``k`` entries are padded with index ``-1`` and score ``-inf``. Rows are padded
    into dense blocks grouped by power-of-two length (at most ``budget`` cells a
    block) and ranked with ``np.argpartition``, so the work is linear in the
    number of stored entries.
    """
    m = sp.csr_matrix(m)
    b = m.shape[0]
    idx = np.full((b, k), -1, dtype=np.int64)
    score = np.full((b, k), -np.inf, dtype=FLOAT)
    if k <= 0 or m.nnz == 0:
        return idx, score
    counts = np.diff(m.indptr).astype(np.int64)
    bucket = np.zeros(b, dtype=np.int64)
    nz = counts > 0
    bucket[nz] = np.ceil(np.log2(counts[nz])).astype(np.int64)
    for bk in np.unique(bucket[nz]):
        rows_all = np.flatnonzero(nz & (bucket == bk))
        width = int(counts[rows_all].max())
        per_block = max(1, budget // max(width, 1))
        for start in range(0, rows_all.size, per_block):
            rows = rows_all[start : start + per_block]
            w = counts[rows]
            starts = m.indptr[rows].astype(np.int64)
            total = int(w.sum())
            local_row = np.repeat(np.arange(rows.size), w)
            offsets = np.repeat(np.cumsum(w) - w, w)
            col = np.arange(total, dtype=np.int64) - offsets
            src = np.repeat(starts, w) + col
            pad = np.full((rows.size, width), -np.inf, dtype=FLOAT)
            pad[local_row, col] = m.data[src]
            if width > k:
                part = np.argpartition(-pad, k - 1, axis=1)[:, :k]
            else:
                part = np.broadcast_to(np.arange(width), (rows.size, width))
            vals = np.take_along_axis(pad, part, axis=1)
            order = np.argsort(-vals, axis=1, kind="stable")
            part = np.take_along_axis(part, order, axis=1)
            vals = np.take_along_axis(vals, order, axis=1)
            valid = part < w[:, None]
            cols = np.where(valid, m.indices[np.minimum(starts[:, None] + part, m.indices.size - 1)], -1)
            take = min(k, width)
            idx[rows, :take] = cols[:, :take]
            score[rows, :take] = np.where(valid, vals, -np.inf)[:, :take]
    return idx, score


def prune_rows(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """CSR ``m`` keeping only the ``k`` largest entries of each row."""
    counts = np.diff(m.indptr)
    if counts.size == 0 or counts.max(initial=0) <= k:
        return m
    idx, score = topk_rows(m, k)
    ok = idx >= 0
    rows = np.broadcast_to(np.arange(m.shape[0])[:, None], idx.shape)[ok]
    return sp.csr_matrix((score[ok], (rows, idx[ok])), shape=m.shape, dtype=FLOAT)


def indicator(rows: int, n: int, idx: np.ndarray) -> sp.csr_matrix:
    """A ``rows x n`` 0/1 CSR matrix with a 1 at ``(r, idx[r, j])`` for every ``idx >= 0``."""
    idx = np.asarray(idx, dtype=np.int64).reshape(rows, -1)
    ok = idx >= 0
    r = np.broadcast_to(np.arange(rows)[:, None], idx.shape)[ok]
    m = sp.csr_matrix((np.ones(int(ok.sum()), dtype=FLOAT), (r, idx[ok])), shape=(rows, n))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m
