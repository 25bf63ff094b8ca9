"""Ban evasion on Spark: candidate pairs from Spark ML ``MinHashLSH``, verified with the exact weighted Jaccard.

As :func:`firebreak.graph.evasion.find_evasion`: the disabled sellers' followers
make the universe; active accounts with at least ``min_shared`` followers in it
are hashed on their followers within it; a candidate pair (one shared MinHash
in any of ``num_hash_tables`` tables, Spark's OR-amplified LSH) is kept when the
exact weighted Jaccard of the two full follower sets
(:func:`~firebreak.graph.evasion.verify_pairs`) and the shared weight reach the minimums.
"""

from __future__ import annotations

import numpy as np
from pyspark.ml.feature import MinHashLSH
from pyspark.ml.linalg import SparseVector, VectorUDT
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from firebreak.graph.evasion import EvasionMatch, verify_pairs, weights_from_out_degree
from firebreak.graph.ids import IdMap
from firebreak.spark.graph import SparkEdges, neighbourhood
from firebreak.spark.matrix import vector_frame


def _empty() -> EvasionMatch:
    return EvasionMatch(*(np.zeros(0, dtype=t) for t in (np.int64, np.int64, np.float64, np.int64)))


def _sets(edges: DataFrame, n: int) -> DataFrame:
    """``acct, v``: each account's followers (``f``) as a binary sparse vector of size ``n``."""

    def to_vector(followers: list[int]) -> SparseVector:
        idx = sorted(set(followers))
        return SparseVector(n, idx, [1.0] * len(idx))

    vec = F.udf(to_vector, VectorUDT())
    return edges.groupBy("acct").agg(F.collect_list("f").alias("fs")).select("acct", vec("fs").alias("v"))


def find_evasion_spark(
    ids: IdMap,
    edges: SparkEdges,
    disabled_sellers: np.ndarray,
    candidates: np.ndarray,
    *,
    min_jaccard: float = 0.15,
    min_shared: float = 4.0,
    num_hash_tables: int = 24,
    seed: int = 0,
) -> EvasionMatch:
    """Accounts among ``candidates`` whose followers overlap a disabled seller's (dense indices in, verified pairs out)."""
    n = edges.n
    disabled_sellers = np.asarray(disabled_sellers, dtype=np.int64)
    candidates = np.setdiff1d(np.asarray(candidates, dtype=np.int64), disabled_sellers)
    if disabled_sellers.size == 0 or candidates.size == 0:
        return _empty()
    f = edges.follows.frame  # row follows col
    is_old = np.zeros(n)
    is_old[disabled_sellers] = 1.0
    is_new = np.zeros(n)
    is_new[candidates] = 1.0
    old_edges = f.join(vector_frame(f, is_old).select("col"), "col").select(F.col("col").alias("acct"), F.col("row").alias("f"))
    universe = old_edges.select(F.col("f").alias("row")).distinct()
    new_edges = (
        f.join(vector_frame(f, is_new).select("col"), "col")
        .join(universe, "row")
        .select(F.col("col").alias("acct"), F.col("row").alias("f"))
    )
    enough = new_edges.groupBy("acct").agg(F.count(F.lit(1)).alias("k")).where(F.col("k") >= min_shared).select("acct")
    olds, news = _sets(old_edges, n), _sets(new_edges.join(enough, "acct"), n)
    model = MinHashLSH(inputCol="v", outputCol="h", numHashTables=num_hash_tables, seed=seed).fit(olds)
    pairs = (
        model.approxSimilarityJoin(olds, news, 1.0, distCol="d")
        .select(F.col("datasetA.acct").alias("old"), F.col("datasetB.acct").alias("new"))
        .orderBy("old", "new")
        .toArrow()
    )
    if pairs.num_rows == 0:
        return _empty()
    old = pairs.column("old").to_numpy().astype(np.int64)
    new = pairs.column("new").to_numpy().astype(np.int64)
    members = np.zeros(n, dtype=bool)
    members[old] = True
    members[new] = True
    local = neighbourhood(ids, edges, members, follows_only=True)
    weights = weights_from_out_degree(local.out_degree)
    return verify_pairs(local.followers, old, new, weights, min_jaccard=min_jaccard, min_shared=min_shared)
