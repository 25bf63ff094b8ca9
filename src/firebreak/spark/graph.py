"""The snapshot's graph on Spark: dense ids, follow / interaction / message edge lists, and local neighbourhoods.

The edge lists are :class:`~firebreak.spark.matrix.SparkMatrix` frames with the
same entries as :func:`firebreak.graph.csr.build_graph`'s CSR matrices (self-loops
and unknown accounts dropped, duplicates summed, follows binary). A
:class:`SparkGraph` is a :class:`~firebreak.graph.csr.Graph` whose matrices are
those frames, for the role scoring; :func:`neighbourhood` collects the edges that
touch a (small) set of accounts into a local CSR :class:`~firebreak.graph.csr.Graph`
that keeps the whole platform's degrees, for the stages that read rows of a few accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from firebreak.graph.csr import INTERACTION_WEIGHTS, Graph, adjacency
from firebreak.graph.ids import IdMap
from firebreak.spark.matrix import SparkMatrix, vector_frame
from firebreak.spark.tables import SparkTables


@dataclass(frozen=True, slots=True)
class SparkEdges:
    """Edge lists (``row`` = source account, ``col`` = target, dense indices) of one snapshot."""

    follows: SparkMatrix
    followers: SparkMatrix  # the transpose of follows (cached in its own row order)
    interactions: SparkMatrix
    messages: SparkMatrix
    n: int


def id_frame(tables: SparkTables, ids: IdMap) -> DataFrame:
    """The id map as a Spark frame ``id, idx`` (built from Arrow)."""
    return tables.accounts.sparkSession.createDataFrame(ids.frame.to_arrow())


def build_edges(tables: SparkTables, ids: IdMap) -> SparkEdges:
    """Follow, interaction and message edge lists of ``tables`` (as :func:`~firebreak.graph.csr.build_graph` builds them)."""
    idx = id_frame(tables, ids)
    src = idx.select(F.col("id").alias("_s"), F.col("idx").alias("row"))
    dst = idx.select(F.col("id").alias("_d"), F.col("idx").alias("col"))
    follows = (
        tables.follows.select(F.col("src").alias("_s"), F.col("dst").alias("_d"))
        .join(src, "_s")
        .join(dst, "_d")
        .where(F.col("row") != F.col("col"))
        .select("row", "col")
        .distinct()
        .withColumn("value", F.lit(1.0))
    )
    kinds = list(INTERACTION_WEIGHTS)
    weight = F.coalesce(*[F.when(F.col("kind") == k, F.lit(w)) for k, w in INTERACTION_WEIGHTS.items()])
    authors = tables.posts.select(F.col("id").alias("target"), F.col("author"))
    events = (
        tables.events.where(F.col("kind").isin(kinds) & F.col("target").isNotNull())
        .select("actor", "kind", "target")
        .join(authors, "target", "left")
    )
    target_idx = idx.select(F.col("id").alias("target"), F.col("idx").alias("_acc"))
    author_idx = idx.select(F.col("id").alias("author"), F.col("idx").alias("_auth"))
    edges = (
        events.join(idx.select(F.col("id").alias("actor"), F.col("idx").alias("row")), "actor")
        .join(target_idx, "target", "left")
        .join(author_idx, "author", "left")
        .select("row", F.coalesce("_acc", "_auth").alias("col"), "kind", weight.alias("w"))
        .where(F.col("col").isNotNull() & (F.col("row") != F.col("col")))
    )
    interactions = edges.groupBy("row", "col").agg(F.sum("w").alias("value"))
    messages = edges.where(F.col("kind") == "message").groupBy("row", "col").agg(F.count(F.lit(1)).cast("double").alias("value"))
    follow_matrix = SparkMatrix(follows, ids.n)
    return SparkEdges(follow_matrix, follow_matrix.T, SparkMatrix(interactions, ids.n), SparkMatrix(messages, ids.n), ids.n)


def spark_graph(ids: IdMap, edges: SparkEdges) -> Graph:
    """A :class:`~firebreak.graph.csr.Graph` whose matrices are the Spark edge lists (for the role scoring)."""
    return Graph(ids=ids, follows=edges.follows, interactions=edges.interactions, messages=edges.messages, _followers=edges.followers)


@dataclass(slots=True)
class NeighbourhoodGraph(Graph):
    """A local :class:`~firebreak.graph.csr.Graph` holding only the edges that touch some accounts,
    with the whole platform's follow degrees."""

    full_out_degree: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    full_in_degree: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def out_degree(self) -> np.ndarray:
        """Number of accounts each account follows (whole platform)."""
        return self.full_out_degree

    @property
    def in_degree(self) -> np.ndarray:
        """Number of followers of each account (whole platform)."""
        return self.full_in_degree


def _touching(matrix: SparkMatrix, members: DataFrame) -> pl.DataFrame:
    """Entries of ``matrix`` whose row or column is a member, collected."""
    f = matrix.frame
    by_row = f.join(members.select(F.col("col").alias("row")), "row")
    by_col = f.join(members, "col")
    table = by_row.select("row", "col", "value").unionByName(by_col.select("row", "col", "value")).distinct().toArrow()
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out


def neighbourhood(ids: IdMap, edges: SparkEdges, members: np.ndarray, *, follows_only: bool = False) -> NeighbourhoodGraph:
    """A local graph with every edge that has an endpoint where ``members`` (bool per account) holds.

    Rows of member accounts in ``follows``, ``interactions``, ``messages`` and
    ``followers`` are exactly the platform's; degrees are the platform's.
    ``follows_only`` leaves the interaction and message matrices empty.
    """
    n = ids.n
    mem = vector_frame(edges.follows.frame, members.astype(np.float64)).select("col")

    def local(matrix: SparkMatrix, *, binary: bool = False, skip: bool = False) -> object:
        if skip:
            return adjacency(np.zeros(0, np.int64), np.zeros(0, np.int64), n)
        e = _touching(matrix, mem)
        return adjacency(e["row"].to_numpy(), e["col"].to_numpy(), n, e["value"].to_numpy(), binary=binary)

    return NeighbourhoodGraph(
        ids=ids,
        follows=local(edges.follows, binary=True),
        interactions=local(edges.interactions, skip=follows_only),
        messages=local(edges.messages, skip=follows_only),
        full_out_degree=edges.follows.row_lengths,
        full_in_degree=edges.followers.row_lengths,
    )


__all__ = ["NeighbourhoodGraph", "SparkEdges", "build_edges", "id_frame", "neighbourhood", "spark_graph"]
