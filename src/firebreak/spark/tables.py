"""Snapshot tables from canonical Parquet on any Hadoop-compatible path, and their driver-side parts.

The input is the folder of ``<table>.parquet`` files that ``firebreak ingest``
writes under ``WORKDIR/snapshot/`` (a local folder, ``hdfs://``, ``s3a://``, ...);
a WORKDIR itself is accepted too. Absent optional tables are empty frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from firebreak.errors import SnapshotError
from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import SCHEMAS, empty

#: the tables the scan reads (labels are never read by detection).
TABLES = ("accounts", "follows", "posts", "events", "reports")


@dataclass(frozen=True, slots=True)
class SparkTables:
    """One Spark frame per snapshot table (canonical columns) and the folder they came from."""

    accounts: DataFrame
    follows: DataFrame
    posts: DataFrame
    events: DataFrame
    reports: DataFrame
    path: str


def _read(spark: SparkSession, folder: str, table: str) -> DataFrame | None:
    try:
        return spark.read.parquet(f"{folder.rstrip('/')}/{table}.parquet")
    except AnalysisException:
        return None


def _empty(spark: SparkSession, table: str) -> DataFrame:
    return spark.createDataFrame(empty(table).to_arrow())


def read_tables(spark: SparkSession, path: str) -> SparkTables:
    """The snapshot at ``path`` (a folder of ``<table>.parquet``, or an ingest WORKDIR) as Spark frames.

    Raises :class:`~firebreak.errors.SnapshotError` when there is no ``accounts.parquet``.
    """
    folder = path.rstrip("/")
    accounts = _read(spark, folder, "accounts")
    if accounts is None:
        folder = f"{folder}/snapshot"
        accounts = _read(spark, folder, "accounts")
    if accounts is None:
        raise SnapshotError(f"no accounts.parquet under {path} or {path}/snapshot (run `firebreak ingest` to make the canonical Parquet copy)")
    frames = {"accounts": accounts}
    for table in TABLES[1:]:
        frames[table] = _read(spark, folder, table) or _empty(spark, table)
    return SparkTables(path=folder, **frames)


def conform(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """``frame`` with exactly ``table``'s canonical columns and dtypes (missing columns null)."""
    schema = SCHEMAS[table]
    return frame.select(
        [(pl.col(c) if c in frame.columns else pl.lit(None)).cast(dtype).alias(c) for c, dtype in schema.items()]
    )


def to_polars(frame: DataFrame, table: str) -> pl.DataFrame:
    """A Spark frame of ``table``'s rows collected to the driver as a canonical Polars frame."""
    collected = pl.from_arrow(frame.toArrow())
    assert isinstance(collected, pl.DataFrame)
    return conform(collected, table)


def driver_snapshot(tables: SparkTables) -> Snapshot:
    """The account-scale tables the driver's stages read: accounts, posts' texts (no media), searches and reports.

    Follows and the other events (the edge-scale tables) stay on Spark.
    """
    posts = tables.posts.select("id", "author", "created_at", "text", "hashtags", "links")
    searches = tables.events.filter(F.col("kind") == "search")
    return Snapshot(
        accounts=to_polars(tables.accounts, "accounts"),
        posts=to_polars(posts, "posts"),
        events=to_polars(searches, "events"),
        reports=to_polars(tables.reports, "reports"),
    )
