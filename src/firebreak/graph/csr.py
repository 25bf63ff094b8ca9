"""CSR adjacency of a snapshot: the follow graph and weighted interaction edges.

Rows are sources, columns targets, both dense account indices (:mod:`.ids`).
``follows[i, j] == 1`` when ``i`` follows ``j``; ``interactions[i, j]`` sums
the weights of ``i``'s views, likes, comments and messages aimed at ``j`` (an
event aimed at a post counts for the post's author). Searches are not edges.
Everything is built with Polars joins and SciPy's COO -> CSR conversion.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.graph.ids import IdMap
from firebreak.snapshot.model import Snapshot

#: follows tables at least this long have their two columns encoded on two threads.
THREADED_MIN_ROWS = 1 << 16
#: weight of one interaction by kind: a message says far more than a view.
INTERACTION_WEIGHTS: dict[str, float] = {"message": 4.0, "comment": 2.0, "like": 1.0, "view": 0.5}


def adjacency(
    src: np.ndarray, dst: np.ndarray, n: int, weights: np.ndarray | None = None, *, binary: bool = False, dtype: type = np.float64
) -> sp.csr_matrix:
    """An ``n x n`` CSR matrix from edge arrays; duplicates summed (or set to 1 if ``binary``), self-loops and negative indices dropped.

    ``dtype`` is the values' type (the recommender keeps float32 to halve its memory).

    >>> import numpy as np
    >>> adjacency(np.array([0, 0, 1, 2]), np.array([1, 1, 2, 2]), 3).toarray().tolist()
    [[0.0, 2.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    """
    index_dtype = np.int32 if n < np.iinfo(np.int32).max else np.int64
    # int32 edge lists stay int32 (no int64 copies of 50M-edge arrays); anything else is int64 first
    src = np.asarray(src) if np.asarray(src).dtype in (np.int32, np.int64) else np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst) if np.asarray(dst).dtype in (np.int32, np.int64) else np.asarray(dst, dtype=np.int64)
    keep = (src >= 0) & (dst >= 0) & (src != dst)
    every = bool(keep.all())
    # a binary matrix is built with one-byte values and given its ones at the end (an eighth of the memory)
    build = np.int8 if binary else dtype
    data = np.ones(int(keep.sum()), dtype=build) if weights is None or binary else np.asarray(weights, dtype=dtype)[keep]
    rows = (src if every else src[keep]).astype(index_dtype, copy=False)
    cols = (dst if every else dst[keep]).astype(index_dtype, copy=False)
    del keep
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(n, n), dtype=build)
    del data, rows, cols
    matrix.sum_duplicates()
    if binary:
        matrix = sp.csr_matrix((np.ones(matrix.nnz, dtype=dtype), matrix.indices, matrix.indptr), shape=(n, n))
    return matrix


@dataclass(slots=True)
class Graph:
    """The snapshot's graph: id map, follow CSR, weighted interaction CSR, message-count CSR."""

    ids: IdMap
    follows: sp.csr_matrix
    interactions: sp.csr_matrix
    messages: sp.csr_matrix
    _followers: sp.csr_matrix | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        """Number of accounts."""
        return self.ids.n

    @property
    def followers(self) -> sp.csr_matrix:
        """Transpose of ``follows`` in CSR: row ``j`` lists ``j``'s followers (built once).

        When every follow weighs 1 (:func:`build_graph`'s), both matrices share one
        read-only array of ones as their values: half a gigabyte less at 50M follows.
        """
        if self._followers is None:
            transposed = self.follows.T.tocsr()
            values = self.follows.data
            if values.size and values.dtype == transposed.data.dtype and bool((values == 1.0).all()):
                values.flags.writeable = False
                transposed.data = values
            self._followers = transposed
        return self._followers

    @property
    def out_degree(self) -> np.ndarray:
        """Number of accounts each account follows."""
        return np.diff(self.follows.indptr)

    @property
    def in_degree(self) -> np.ndarray:
        """Number of followers of each account."""
        return np.diff(self.followers.indptr)

    def undirected(self, weight_interactions: float = 1.0) -> sp.csr_matrix:
        """Symmetric weighted adjacency: follows (either way) plus scaled interactions."""
        combined = self.follows + weight_interactions * self.interactions
        return (combined + combined.T).tocsr()


def event_edges(snapshot: Snapshot, ids: IdMap) -> pl.DataFrame:
    """Interaction edges as a frame ``src, dst, kind, weight`` (dense indices), post targets mapped to authors."""
    events = snapshot.events.filter(pl.col("kind").is_in(list(INTERACTION_WEIGHTS)) & pl.col("target").is_not_null())
    authors = snapshot.posts.select(pl.col("id").alias("target"), pl.col("author"))
    events = events.select("actor", "kind", "target").join(authors, on="target", how="left", maintain_order="left")
    acc = ids.frame
    frame = (
        events.join(acc.rename({"id": "actor", "idx": "src"}), on="actor", how="left")
        .join(acc.rename({"id": "target", "idx": "dst_account"}), on="target", how="left")
        .join(acc.rename({"id": "author", "idx": "dst_author"}), on="author", how="left")
        .select(
            "src",
            pl.coalesce("dst_account", "dst_author").alias("dst"),
            "kind",
            pl.col("kind").replace_strict(INTERACTION_WEIGHTS, return_dtype=pl.Float64).alias("weight"),
        )
        .drop_nulls(["src", "dst"])
    )
    return frame


def follow_edges(follows: pl.DataFrame, ids: IdMap) -> tuple[np.ndarray, np.ndarray]:
    """``(src, dst)`` dense indices of a follows frame (``-1`` for unknown accounts), int32 below 2^31 accounts.

    The two columns are encoded on two threads (the hashing and the table reads release the GIL).
    """
    index = np.int32 if ids.n < np.iinfo(np.int32).max else np.int64
    if follows.height < THREADED_MIN_ROWS:
        return ids.encode(follows.get_column("src"), dtype=index), ids.encode(follows.get_column("dst"), dtype=index)
    ids.hash_index()  # built once, before both threads read it
    with ThreadPoolExecutor(max_workers=2) as pool:
        src, dst = pool.map(lambda name: ids.encode(follows.get_column(name), dtype=index), ("src", "dst"))
    return src, dst


def build_graph(snapshot: Snapshot, ids: IdMap | None = None, follows: tuple[np.ndarray, np.ndarray] | None = None) -> Graph:
    """The :class:`Graph` of a snapshot. Follows/events naming unknown accounts are ignored (the reader quarantines them).

    ``follows``: the follow edges already encoded (:func:`follow_edges`, with the same ``ids``),
    so a caller can drop the snapshot's follows table before the matrices are built.
    """
    ids = ids or IdMap.from_ids(snapshot.accounts.get_column("id"))
    n = ids.n
    src, dst = follows if follows is not None else follow_edges(snapshot.follows, ids)
    del follows
    edges = event_edges(snapshot, ids)
    e_src = edges.get_column("src").to_numpy()
    e_dst = edges.get_column("dst").to_numpy()
    interactions = adjacency(e_src, e_dst, n, edges.get_column("weight").to_numpy())
    is_msg = (edges.get_column("kind") == "message").to_numpy()
    messages = adjacency(e_src[is_msg], e_dst[is_msg], n)
    del edges, e_src, e_dst, is_msg
    follow_csr = adjacency(src, dst, n, binary=True)
    return Graph(ids=ids, follows=follow_csr, interactions=interactions, messages=messages)


def induced_adjacency(graph: Graph, members: np.ndarray) -> sp.csr_matrix:
    """Symmetric follow + interaction adjacency among the accounts where ``members`` holds (n x n).

    Only the members' rows and columns are touched; everything else is zero.
    """
    idx = np.flatnonzero(members)
    sel = sp.csr_matrix((np.ones(idx.size), (idx, idx)), shape=(graph.n, graph.n))
    core = (sel @ graph.follows @ sel + sel @ graph.interactions @ sel).tocsr()
    return (core + core.T).tocsr()
