"""The scan on Apache Spark: the same stages, the edge-scale work distributed.

:func:`scan_spark` reads a snapshot's canonical Parquet tables from any
Hadoop-compatible path and runs the stages of :mod:`firebreak.scan.stages` with
the edge-scale work on Spark DataFrames: detection per co-partitioned account
bucket (``applyInArrow`` calling :func:`~firebreak.detect.signals.detect_signals`),
degrees, every sparse matrix-vector product of the role iterations and of the
personalised PageRank (joins of edge lists with per-account value columns), and
the ban-evasion candidates (Spark ML ``MinHashLSH``). Per-account vectors and the
decisions on them are the local engine's own NumPy code on the driver, so the
flags are the same; the small flagged subgraph is collected for Leiden.
"""

from __future__ import annotations

from firebreak.spark.engine import scan_spark
from firebreak.spark.session import spark_session

__all__ = ["scan_spark", "spark_session"]
