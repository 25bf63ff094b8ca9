"""Sparse matrix times dense vector on every core: SciPy's CSR product on row blocks, in threads.

SciPy multiplies a CSR matrix by a vector on one core (and releases the GIL while it
does). The rows of a CSR matrix, cut into blocks of about equal numbers of entries,
are CSR arrays themselves (their row pointers rebased, their entries views of the
whole one's), so SciPy's kernel runs on the blocks side by side in a thread pool,
each producing its own rows of the result. Each row's sum is the same code over the same entries in the same
order, so the result is ``matrix @ x`` bit for bit (the tests check it).

Matrices with fewer than :data:`MIN_ENTRIES` entries, anything but SciPy CSR
matrices (the Spark engine's edge lists) and single-core machines take ``matrix @ x``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple, cast

import numpy as np
import scipy.sparse as sp

#: below this many stored entries a product is one call (a thread hand-off costs more than it saves).
MIN_ENTRIES = 1 << 20

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def workers() -> int:
    """Cores this process may run on (the CPU affinity where the platform reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return os.cpu_count() or 1


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix="firebreak-spmv")
        return _pool


def _forget_pool() -> None:
    """In a forked child the parent's pool threads do not exist: the child starts its own."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


class RowBlock(NamedTuple):
    """Rows ``first`` to ``end`` of a CSR matrix: their row pointers (from 0) and views of its entries."""

    first: int
    end: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


def row_blocks(matrix: sp.csr_matrix, parts: int) -> list[RowBlock]:
    """``parts`` consecutive row ranges of ``matrix`` with about equal entries (fewer if rows run out).

    ``indices`` and ``data`` are views of the matrix's arrays (no copy: SciPy's constructor would
    copy a view much smaller than its base, so the blocks stay plain arrays).
    """
    n_rows = matrix.shape[0]
    cuts = np.searchsorted(matrix.indptr, np.linspace(0, matrix.nnz, parts + 1)[1:-1], side="left")
    bounds = sorted({0, n_rows, *(int(c) for c in cuts)})
    blocks = []
    for r0, r1 in zip(bounds, bounds[1:], strict=False):
        start, end = int(matrix.indptr[r0]), int(matrix.indptr[r1])
        indptr = matrix.indptr[r0 : r1 + 1] - matrix.indptr[r0]
        blocks.append(RowBlock(r0, r1, indptr, matrix.indices[start:end], matrix.data[start:end]))
    return blocks


def _kernel() -> Callable[..., None] | None:
    """SciPy's CSR product kernel ``csr_matvec(n_row, n_col, indptr, indices, data, x, y)`` (``y += A @ x``)."""
    try:
        from scipy.sparse._sparsetools import csr_matvec
    except ImportError:  # pragma: no cover - older/newer SciPy layouts
        return None
    return cast("Callable[..., None]", csr_matvec)


def _kernel_fits(matrix: Any) -> bool:
    """Whether SciPy's kernel can run on ``matrix`` as it is: CSR, float64 values, one index type."""
    return (
        isinstance(matrix, sp.csr_matrix | sp.csr_array)
        and matrix.dtype == np.float64
        and matrix.indptr.dtype == matrix.indices.dtype
        and _kernel() is not None
    )


def _parts(matrix: sp.csr_matrix) -> int:
    """Row blocks worth cutting: one per core for a large matrix, else one."""
    return workers() if matrix.nnz >= MIN_ENTRIES else 1


def _run(blocks: list[RowBlock], n_col: int, x: np.ndarray, out: np.ndarray) -> None:
    """``out[b.first:b.end] += b @ x`` for every block: one inline, several in the pool."""
    kernel = _kernel()
    assert kernel is not None

    def one(b: RowBlock) -> None:
        kernel(b.end - b.first, n_col, b.indptr, b.indices, b.data, x, out[b.first : b.end])

    if len(blocks) == 1:
        one(blocks[0])
        return
    for _ in _executor().map(one, blocks):
        pass


def matvec(matrix: Any, x: np.ndarray) -> np.ndarray:
    """``matrix @ x``, on every core when ``matrix`` is a large float64 SciPy CSR matrix and ``x`` a float64 vector."""
    x = np.asarray(x)
    if not (_kernel_fits(matrix) and x.dtype == np.float64 and x.ndim == 1) or _parts(matrix) < 2:
        return np.asarray(matrix @ x)
    out = np.zeros(matrix.shape[0])
    _run(row_blocks(matrix, _parts(matrix)), matrix.shape[1], np.ascontiguousarray(x), out)
    return out


class MatvecAdd:
    """``out += matrix @ x`` without allocating, for a CSR matrix multiplied again and again (PageRank).

    The row blocks are cut once (one per core for a large matrix, else one); each call runs SciPy's
    CSR kernel on every block, each adding into its own slice of ``out``. A matrix the kernel cannot
    take (not float64 CSR) gets ``out += matrix @ x``.
    """

    def __init__(self, matrix: sp.csr_matrix) -> None:
        self.matrix = matrix
        self.blocks = row_blocks(matrix, _parts(matrix)) if _kernel_fits(matrix) else []

    def __call__(self, x: np.ndarray, out: np.ndarray) -> None:
        """Add ``matrix @ x`` to ``out`` in place (``x`` and ``out``: float64, contiguous)."""
        if not self.blocks or x.dtype != np.float64 or out.dtype != np.float64 or not out.flags.c_contiguous:
            out += self.matrix @ x
            return
        _run(self.blocks, self.matrix.shape[1], np.ascontiguousarray(x), out)
