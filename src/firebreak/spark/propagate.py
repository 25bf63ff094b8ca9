"""Personalised PageRank on Spark: each iteration one join of the transition edge list with the current vector.

The same iteration as :func:`firebreak.graph.propagate.personalized_pagerank`
over ``followers + interactions.T``: the transition matrix is degree-normalised,
mass at accounts with no out-edges returns to the seeds. The vector lives on the
driver (one value per account) and goes to Spark each iteration as a column, so
no lineage grows across iterations and nothing needs checkpointing.
"""

from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F

from firebreak.spark.graph import SparkEdges
from firebreak.spark.matrix import SparkMatrix, collect_vector


def transition(edges: SparkEdges) -> tuple[SparkMatrix, np.ndarray]:
    """``(P^T, dangling)``: ``P^T[i, j]`` is account ``j``'s share of its walk mass sent to ``i``
    (a follower of ``j`` or an account that interacted with ``j``), and the accounts with no out-weight."""
    a = (
        edges.follows.frame.unionByName(edges.interactions.frame)
        .groupBy("row", "col")
        .agg(F.sum("value").alias("value"))
    )
    out = a.groupBy("col").agg(F.sum("value").alias("s"))
    pt = SparkMatrix(a.join(out, "col").select("row", "col", (F.col("value") / F.col("s")).alias("value")), edges.n)
    weight = collect_vector(out, edges.n, "col", "s")
    return pt, weight <= 0


def pagerank_spark(edges: SparkEdges, seeds: np.ndarray, *, alpha: float, tol: float, max_iter: int) -> np.ndarray:
    """Personalised PageRank scores (summing to 1) of ``seeds`` (non-negative, positive mass)."""
    pt, dangling = transition(edges)
    restart = np.asarray(seeds, dtype=np.float64) / float(np.sum(seeds))
    dangling_idx = np.flatnonzero(dangling)
    x = restart.copy()
    try:
        for _ in range(max_iter):
            lost = x[dangling_idx].sum()
            y = restart * (alpha * lost + (1.0 - alpha)) + alpha * (pt @ x)
            delta = float(np.abs(y - x).sum())
            x = y
            if delta < tol:
                break
    finally:
        pt.unpersist()
    return x
