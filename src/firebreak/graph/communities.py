"""Networks: Leiden communities (igraph's implementation, or leidenalg) on the abusive subgraph.

The subgraph holds the flagged accounts; its edges are follows (either
direction), weighted interactions and shared off-platform destinations.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def abusive_subgraph(
    undirected: sp.csr_matrix, members: np.ndarray, destination: np.ndarray | None = None, destination_weight: float = 1.0
) -> tuple[np.ndarray, sp.coo_matrix]:
    """``(idx, upper)``: member indices and the upper triangle of their weighted symmetric adjacency."""
    idx = np.flatnonzero(members)
    sub = undirected[idx][:, idx].tocsr()
    if destination is not None and idx.size:
        codes = destination[idx]
        has = codes >= 0
        if has.any():
            _, dense = np.unique(codes[has], return_inverse=True)
            inc = sp.csr_matrix((np.ones(int(has.sum())), (np.flatnonzero(has), dense)), shape=(idx.size, dense.max() + 1))
            sub = sub + destination_weight * (inc @ inc.T)
    upper = sp.triu(sub, k=1).tocoo()
    return idx, upper


def leiden_labels(
    n: int,
    upper: sp.coo_matrix,
    *,
    seed: int = 0,
    resolution: float = 1.0,
    n_iterations: int = 2,
    method: str = "igraph",
) -> np.ndarray:
    """Community label per vertex of a weighted undirected graph given by its upper triangle (modularity, Leiden).

    ``method="igraph"`` runs igraph's own C implementation (``community_leiden``);
    ``"leidenalg"`` runs the reference package (RB configuration model). Both
    reach the same modularity here; igraph's is about 15x faster on the scan's
    subgraphs (``benchmarks/bench_scan.py``). Deterministic for a ``seed``.
    """
    import random

    import igraph as ig

    if n == 0:
        return np.zeros(0, dtype=np.int64)
    g = ig.Graph(n=n, edges=np.column_stack([upper.row, upper.col]), directed=False)
    weights = np.asarray(upper.data, dtype=np.float64)
    if method == "leidenalg":
        import leidenalg

        part = leidenalg.find_partition(
            g,
            leidenalg.RBConfigurationVertexPartition,
            weights=weights.tolist(),
            resolution_parameter=resolution,
            seed=seed,
            n_iterations=n_iterations,
        )
        return np.asarray(part.membership, dtype=np.int64)
    if method != "igraph":
        raise ValueError(f"unknown Leiden method {method!r}: choose igraph or leidenalg")
    g.es["weight"] = weights
    ig.set_random_number_generator(random.Random(seed))
    try:
        part = g.community_leiden(
            objective_function="modularity", weights="weight", resolution=resolution, n_iterations=n_iterations
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(part.membership, dtype=np.int64)


def find_communities(
    undirected: sp.csr_matrix,
    members: np.ndarray,
    destination: np.ndarray | None = None,
    *,
    hubs: sp.csr_matrix | None = None,
    hub_weight: float = 0.5,
    seed: int = 0,
) -> np.ndarray:
    """Community label per account (``-1`` for accounts outside ``members``), communities numbered by size.

    ``hubs`` (accounts x k, optional) ties accounts to shared things, such as a
    network's own coded terms: each column becomes one extra vertex joined to
    the members that use it (linear in the uses, unlike a clique per term).

    >>> import numpy as np, scipy.sparse as sp
    >>> two_triangles = np.kron(np.eye(2), np.ones((3, 3)) - np.eye(3))
    >>> find_communities(sp.csr_matrix(two_triangles), np.array([True] * 5 + [False])).tolist()
    [0, 0, 0, 1, 1, -1]
    """
    n = undirected.shape[0]
    idx, upper = abusive_subgraph(undirected, members, destination)
    labels = np.full(n, -1, dtype=np.int64)
    if idx.size == 0:
        return labels
    total = idx.size
    if hubs is not None and hubs.shape[1]:
        inc = hubs[idx].tocoo()
        used = np.unique(inc.col)
        remap = np.full(hubs.shape[1], -1, dtype=np.int64)
        remap[used] = np.arange(used.size) + idx.size
        total = idx.size + used.size
        upper = sp.coo_matrix(
            (np.r_[upper.data, np.full(inc.nnz, hub_weight)], (np.r_[upper.row, inc.row], np.r_[upper.col, remap[inc.col]])),
            shape=(total, total),
        )
    local = leiden_labels(total, upper, seed=seed)[: idx.size]
    _, local = np.unique(local, return_inverse=True)
    sizes = np.bincount(local)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    labels[idx] = rank[local]
    return labels
