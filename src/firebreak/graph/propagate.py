"""Risk propagation over the graph: personalised PageRank as sparse matrix-vector products.

The transition matrix is degree-normalised (each account spreads its mass
evenly over its out-edges); mass that reaches an account with no out-edges
returns to the seed distribution, so the total mass is conserved exactly
(up to float rounding) at every iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from firebreak.graph.spmv import MatvecAdd


@dataclass(frozen=True, slots=True)
class PropagationResult:
    """Scores (summing to 1), iterations run, and the final L1 change."""

    scores: np.ndarray
    iterations: int
    delta: float


def transition_transpose(adjacency: sp.spmatrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """``(P^T, dangling)`` where ``P = D^-1 A`` is row-stochastic; ``dangling`` marks rows with no out-weight.

    ``P^T`` is returned in CSR so one iteration is a single CSR SpMV.
    """
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    out = np.asarray(a.sum(axis=1)).ravel()
    dangling = out <= 0
    inv = np.zeros_like(out)
    inv[~dangling] = 1.0 / out[~dangling]
    # scale row i by inv[i] without building a diagonal matrix
    scaled = a.copy()
    scaled.data *= np.repeat(inv, np.diff(a.indptr))
    return scaled.T.tocsr(), dangling


def transition_from_transpose(reverse: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """:func:`transition_transpose` of ``reverse.T``, built without transposing: ``reverse`` is ``A^T`` in CSR.

    ``P^T = A^T D^-1`` scales each column ``i`` of ``reverse`` by ``1 / out-weight(i)`` (its column
    sum) in place: the caller hands ``reverse`` over. One matrix instead of the three copies a
    transpose takes; the values are the same products as :func:`transition_transpose`'s (bit for bit
    when the out-weights are exact sums, as counts and multiples of 0.5 are).
    """
    reverse.sum_duplicates()
    n = reverse.shape[1]
    out = np.bincount(reverse.indices, weights=reverse.data, minlength=n).astype(np.float64, copy=False)
    dangling = out <= 0
    inv = np.zeros_like(out)
    inv[~dangling] = 1.0 / out[~dangling]
    step = 1 << 22  # in slices: no edge-sized temporary
    for at in range(0, reverse.nnz, step):
        reverse.data[at : at + step] *= inv[reverse.indices[at : at + step]]
    return reverse, dangling


def personalized_pagerank(
    adjacency: sp.spmatrix | tuple[sp.csr_matrix, np.ndarray],
    seeds: np.ndarray,
    *,
    alpha: float = 0.85,
    tol: float = 1e-9,
    max_iter: int = 100,
    overwrite: bool = False,
) -> PropagationResult:
    """Personalised PageRank of ``seeds`` (non-negative weights per account) over ``adjacency``.

    ``adjacency`` is a square sparse matrix (row = source) or a precomputed
    :func:`transition_transpose` pair. Returns a probability vector: the
    stationary visit rate of a walk that follows edges with probability
    ``alpha`` and restarts at the seeds otherwise. Raises ``ValueError`` for
    seeds without positive mass. With ``overwrite``, a precomputed pair's
    matrix is scaled by ``alpha`` in place instead of copied (the caller is done with it).

    >>> import numpy as np, scipy.sparse as sp
    >>> path = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    >>> r = personalized_pagerank(path, np.array([1.0, 0.0, 0.0]), alpha=0.5)
    >>> np.round(r.scores, 3).tolist(), round(float(r.scores.sum()), 6)
    ([0.583, 0.333, 0.083], 1.0)
    """
    pt, dangling = adjacency if isinstance(adjacency, tuple) else transition_transpose(adjacency)
    seeds = np.asarray(seeds, dtype=np.float64)
    total = seeds.sum()
    if seeds.shape != (pt.shape[0],) or total <= 0 or np.any(seeds < 0):
        raise ValueError("seeds must be a non-negative vector with positive mass, one entry per account")
    restart = seeds / total
    dangling_idx = np.flatnonzero(dangling)
    # alpha folded into the matrix once, so an iteration is one fused SpMV-accumulate plus an axpy
    if overwrite and isinstance(adjacency, tuple):
        pt.data *= alpha
        scaled = pt
    else:
        scaled = sp.csr_matrix((pt.data * alpha, pt.indices, pt.indptr), shape=pt.shape)
    add_product = MatvecAdd(scaled)
    x = restart.copy()
    y = np.empty_like(x)
    diff = np.empty_like(x)
    delta = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported after the loop
        lost = x[dangling_idx].sum()
        np.multiply(restart, alpha * lost + (1.0 - alpha), out=y)
        add_product(x, y)
        np.subtract(y, x, out=diff)
        delta = float(np.abs(diff, out=diff).sum())
        x, y = y, x
        if delta < tol:
            break
    return PropagationResult(scores=x, iterations=it, delta=delta)
