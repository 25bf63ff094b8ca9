"""A sparse matrix held as a Spark edge list; ``matrix @ vector`` is a join and a grouped sum.

The role scoring (:func:`firebreak.graph.roles.score_roles`) only multiplies its
matrices by per-account vectors, reads their row lengths (``indptr``) and
their count of entries, so a :class:`SparkMatrix` stands in for a SciPy CSR matrix
there: the vector's non-zero entries become a frame ``col, x`` (broadcast when
small), joined to the edge list on ``col`` and summed per ``row``; the result
comes back to the driver as one value per account.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.storagelevel import StorageLevel

#: products remembered per matrix (the role iterations multiply by the same seller sets again and again).
MEMO_SIZE = 8
#: vectors with at most this many non-zero entries are broadcast to the edge list's partitions
#: (Spark setting ``spark.firebreak.broadcastRows`` overrides it: set it above the account count on a cluster).
BROADCAST_ROWS = 4_000_000


def vector_frame(frame: DataFrame, values: np.ndarray, name: str = "x", key: str = "col") -> DataFrame:
    """The non-zero entries of ``values`` as a Spark frame ``key, name`` (built from Arrow, broadcast when small)."""
    nz = np.flatnonzero(values)
    table = pa.table({key: pa.array(nz.astype(np.int64)), name: pa.array(np.asarray(values, dtype=np.float64)[nz])})
    session = frame.sparkSession
    vec = session.createDataFrame(table)
    limit = int(session.conf.get("spark.firebreak.broadcastRows", str(BROADCAST_ROWS)) or BROADCAST_ROWS)
    return F.broadcast(vec) if nz.size <= limit else vec


def collect_vector(frame: DataFrame, n: int, key: str, value: str) -> np.ndarray:
    """A length-``n`` NumPy vector from a frame ``key, value`` (absent keys are 0)."""
    table = frame.select(key, value).toArrow()
    out = np.zeros(n)
    if table.num_rows:
        out[table.column(key).to_numpy()] = table.column(value).to_numpy()
    return out


class SparkMatrix:
    """An ``n x n`` sparse matrix as a Spark frame ``row, col, value`` (one row per distinct entry, cached).

    Parameters
    ----------
    frame
        Distinct ``(row, col)`` entries with their ``value`` (``long, long, double``).
    n
        Matrix size (number of accounts).
    cache
        Range-partition the frame by row and persist it (memory, spilling to disk); views need not.
    """

    def __init__(self, frame: DataFrame, n: int, *, cache: bool = True) -> None:
        # range-partitioned by row: a product's partial sums collapse within each partition,
        # so its shuffle is about one value per account, not one per edge
        self.frame = frame.repartitionByRange("row").persist(StorageLevel.MEMORY_AND_DISK) if cache else frame
        self.shape = (n, n)
        self._row_lengths: np.ndarray | None = None
        self._memo: OrderedDict[bytes, np.ndarray] = OrderedDict()

    @property
    def n(self) -> int:
        """Number of rows (and columns)."""
        return self.shape[0]

    @property
    def row_lengths(self) -> np.ndarray:
        """Entries per row (one grouped count, computed once)."""
        if self._row_lengths is None:
            counts = self.frame.groupBy("row").agg(F.count(F.lit(1)).cast("double").alias("k"))
            self._row_lengths = collect_vector(counts, self.n, "row", "k").astype(np.int64)
        return self._row_lengths

    @property
    def indptr(self) -> np.ndarray:
        """CSR row pointers (``diff`` gives :attr:`row_lengths`), as SciPy's CSR matrices have them."""
        return np.concatenate([[0], np.cumsum(self.row_lengths)])

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return int(self.row_lengths.sum())

    @property
    def T(self) -> SparkMatrix:
        """The transpose (rows and columns swapped), partitioned and cached in its own row order."""
        return SparkMatrix(self.frame.select(F.col("col").alias("row"), F.col("row").alias("col"), "value"), self.n)

    def astype(self, dtype: Any) -> SparkMatrix:
        """This matrix with every value 1.0 when ``dtype`` is ``bool`` (SciPy's boolean pattern), else itself."""
        if dtype is bool:
            return SparkMatrix(self.frame.withColumn("value", F.lit(1.0)), self.n)
        return self

    def multiply(self, other: Any) -> SparkMatrix:
        """The elementwise product with a small SciPy sparse matrix ``other`` (such as the
        reporter x target matrix of filed reports), as SciPy's ``multiply``: its entries go to
        the executors as a broadcast frame and are joined on ``(row, col)``."""
        coo = other.tocoo()
        table = pa.table(
            {
                "row": pa.array(coo.row.astype(np.int64)),
                "col": pa.array(coo.col.astype(np.int64)),
                "other": pa.array(np.asarray(coo.data, dtype=np.float64)),
            }
        )
        mask = F.broadcast(self.frame.sparkSession.createDataFrame(table).groupBy("row", "col").agg(F.sum("other").alias("other")))
        joined = self.frame.join(mask, on=["row", "col"]).select("row", "col", (F.col("value") * F.col("other")).alias("value"))
        return SparkMatrix(joined.where(F.col("value") != 0), self.n)

    def __getitem__(self, rows: np.ndarray) -> sp.csr_matrix:
        """Rows ``rows`` (account indices) as a SciPy CSR matrix on the driver, in that order:
        for the small row sets the role scoring slices (sellers, accounts following many)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.ndim != 1:
            raise TypeError("a SparkMatrix is sliced by a 1-D array of row indices")
        session = self.frame.sparkSession
        order = session.createDataFrame(pa.table({"row": pa.array(rows), "pos": pa.array(np.arange(len(rows), dtype=np.int64))}))
        table = self.frame.join(F.broadcast(order), on="row").select("pos", "col", "value").toArrow()
        pos = table.column("pos").to_numpy().astype(np.int64)
        col = table.column("col").to_numpy().astype(np.int64)
        val = table.column("value").to_numpy().astype(np.float64)
        return sp.csr_matrix((val, (pos, col)), shape=(len(rows), self.n))

    def tocsr(self) -> SparkMatrix:
        """Itself (the role scoring asks SciPy results for CSR form)."""
        return self

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        """``self @ x`` for a dense length-``n`` vector: join on the column, sum per row (the last few products remembered)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if not np.any(x):
            return np.zeros(self.n)
        key = hashlib.blake2b(x.tobytes(), digest_size=16).digest()
        if key in self._memo:
            self._memo.move_to_end(key)
            return self._memo[key].copy()
        vec = vector_frame(self.frame, x)
        product = self.frame.join(vec, on="col").groupBy("row").agg(F.sum(F.col("value") * F.col("x")).alias("y"))
        y = collect_vector(product, self.n, "row", "y")
        self._memo[key] = y
        if len(self._memo) > MEMO_SIZE:
            self._memo.popitem(last=False)
        return y.copy()

    def unpersist(self) -> None:
        """Drop the cached edge list."""
        self.frame.unpersist()
