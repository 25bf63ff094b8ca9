"""The Spark engine gives the local engine's flags: same flagged accounts, same roles, same networks up to renaming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from firebreak.detect.media import HashBank
from firebreak.lab.sim import generate, preset
from firebreak.scan import ScanResult, scan
from firebreak.snapshot.write import write_snapshot
from tests.shared_data import shared_path

pytestmark = pytest.mark.spark

BASE_GRAPH = shared_path("data", "graphs", "facebook_combined.txt")
CASES = {
    "default": dict(name="default", seed=5, accounts=2000),
    "hard": dict(name="hard", seed=6, accounts=2000),
    "base-graph": dict(name="default", seed=7, base_graph=str(BASE_GRAPH)),
}


def test_spark_matrix_products_equal_scipy(spark) -> None:
    from firebreak.spark.matrix import SparkMatrix

    rng = np.random.default_rng(4)
    n = 300
    rows, cols = rng.integers(0, n, 2000), rng.integers(0, n, 2000)
    local = sp.csr_matrix((rng.random(2000), (rows, cols)), shape=(n, n))
    local.sum_duplicates()
    coo = local.tocoo()
    frame = spark.createDataFrame(pl.DataFrame({"row": coo.row.astype(np.int64), "col": coo.col.astype(np.int64), "value": coo.data}).to_arrow())
    matrix = SparkMatrix(frame, n)
    x = np.where(rng.random(n) < 0.1, rng.random(n), 0.0)
    assert np.allclose(matrix @ x, local @ x, rtol=1e-12, atol=0)
    assert np.allclose(matrix.T @ x, local.T @ x, rtol=1e-12, atol=0)
    assert np.array_equal(matrix.indptr, local.indptr) and matrix.nnz == local.nnz
    assert np.allclose(matrix.astype(bool) @ x, local.astype(bool) @ x)
    again = matrix @ x  # remembered: the same values, and a copy the caller may change
    again[:] = -1.0
    assert np.allclose(matrix @ x, local @ x) and not np.any(matrix @ np.zeros(n))


def _roles(result: ScanResult) -> dict[str, str]:
    flagged = result.scores.filter(pl.col("role") != "none")
    return dict(zip(flagged["account"].to_list(), flagged["role"].to_list(), strict=True))


def _networks(result: ScanResult) -> set[frozenset[str]]:
    return {frozenset(members) for members in result.networks.get_column("members").to_list()}


@pytest.mark.parametrize("case", list(CASES))
def test_spark_engine_flags_what_the_local_engine_flags(case: str, spark, tmp_path: Path) -> None:
    from firebreak.spark import scan_spark

    if case == "base-graph" and not BASE_GRAPH.exists():
        pytest.fail(f"the real base graph is missing at {BASE_GRAPH}")
    out = generate(preset(**CASES[case]))
    bank = HashBank.from_hashes(out.bank, name="sim")
    local = scan(out.snapshot, bank)
    write_snapshot(out.snapshot, tmp_path / "snapshot", encoding="parquet")
    distributed = scan_spark(spark, str(tmp_path), bank)  # a WORKDIR: the tables are under snapshot/

    a, b = _roles(local), _roles(distributed)
    assert a, "the platform has flagged accounts to compare"
    jaccard = len(a.keys() & b.keys()) / len(a.keys() | b.keys())
    assert jaccard >= 0.99, (case, jaccard, sorted(a.keys() ^ b.keys())[:10])
    assert {k: a[k] for k in a.keys() & b.keys()} == {k: b[k] for k in a.keys() & b.keys()}
    assert _networks(local) == _networks(distributed)
    assert distributed.stats["follows"] == local.stats["follows"]
    # the same evidence: every flagged account carries the same signals
    signals = lambda r: {
        row["account"]: sorted(e["signal"] for e in row["evidence"]) for row in r.scores.filter(pl.col("role") != "none").iter_rows(named=True)
    }
    sa, sb = signals(local), signals(distributed)
    same = [k for k in a.keys() & b.keys() if sa[k] == sb[k]]
    assert len(same) >= 0.99 * len(a.keys() & b.keys())


def test_cli_scan_on_spark_writes_the_result_files(spark, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from firebreak.cli import app

    out = generate(preset("default", seed=9, accounts=1200))
    write_snapshot(out.snapshot, tmp_path / "in", encoding="parquet")
    run = CliRunner().invoke(app, ["scan", str(tmp_path / "in"), "--engine", "spark", "--master", "local[2]", "--out", str(tmp_path / "out")])
    assert run.exit_code == 0, run.output
    result = ScanResult.read(tmp_path / "out")
    assert result.scores.filter(pl.col("role") == "seller").height > 0
    assert (tmp_path / "out" / "networks.jsonl").exists() and (tmp_path / "out" / "terms.jsonl").exists()


def test_cli_rejects_an_unknown_engine(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from firebreak.cli import app

    run = CliRunner().invoke(app, ["scan", str(tmp_path), "--engine", "flink", "--out", str(tmp_path / "out")])
    assert run.exit_code == 2 and "error:" in run.output and "flink" in run.output


def test_missing_snapshot_is_a_clear_error(spark, tmp_path: Path) -> None:
    from firebreak.errors import SnapshotError
    from firebreak.spark import scan_spark

    with pytest.raises(SnapshotError, match="no accounts.parquet"):
        scan_spark(spark, str(tmp_path / "nothing"))
