"""A Spark session configured for the scan (Arrow transfers on, small shuffles for small platforms)."""

from __future__ import annotations

import os
import sys
from typing import Any

from pyspark.sql import SparkSession


def spark_session(
    master: str | None = "local[2]",
    *,
    app_name: str = "firebreak-scan",
    shuffle_partitions: int | None = None,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """A (possibly existing) :class:`SparkSession` for ``master`` (``None``: the one ``spark-submit`` gives).

    ``shuffle_partitions`` sets ``spark.sql.shuffle.partitions`` (default: Spark's
    own, or 2 for a ``local`` master); ``conf`` adds any other settings. Python
    workers run this interpreter unless ``PYSPARK_PYTHON`` says otherwise.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder: Any = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    settings = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.autoBroadcastJoinThreshold": str(64 * 1024 * 1024),
        "spark.ui.showConsoleProgress": "false",
    }
    if master and master.startswith("local"):
        # one machine: few shuffle partitions, no UI, no adaptive re-planning (its overhead dominates small jobs)
        settings["spark.sql.shuffle.partitions"] = "2"
        settings["spark.ui.enabled"] = "false"
        settings["spark.sql.adaptive.enabled"] = "false"
    if shuffle_partitions is not None:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
