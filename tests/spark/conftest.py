"""One Spark session (``local[2]``, two shuffle partitions, no UI) for every Spark test in the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("pyspark", reason="the spark extra is not installed")


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    from firebreak.spark import spark_session

    session = spark_session("local[2]", app_name="firebreak-tests")
    yield session
    session.stop()
