"""Detection on Spark: each account's texts in one bucket, the detectors run per bucket (``applyInArrow``).

Accounts, their posts (by author) and their searches (by actor) are hashed to
the same bucket, so every account's evidence (corroboration included, which
looks at one account at a time) is computed from all of its own texts by the
very function the local engine runs, :func:`~firebreak.detect.signals.detect_signals`.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from firebreak.detect.lexicon import Lexicon
from firebreak.detect.media.banks import HashBank
from firebreak.detect.profile import DEST_SCHEMA, destinations
from firebreak.detect.signals import detect_signals
from firebreak.evidence import EVIDENCE, evidence_frame
from firebreak.snapshot.model import Snapshot
from firebreak.spark.tables import SparkTables, conform

#: the rows a bucket returns: evidence rows (``part = "evidence"``) and destination rows (``"destination"``).
OUTPUT_DDL = (
    "part string, account string, signal string, detail string, weight double, source string, term string, "
    "ambiguous boolean, context string, counterpart string, hash string, ref string, span array<bigint>, "
    "destination string, kind string, dest_source string"
)
_ARROW_TYPES = {"string": pa.string(), "double": pa.float64(), "boolean": pa.bool_(), "array<bigint>": pa.list_(pa.int64())}
#: :data:`OUTPUT_DDL` as an Arrow schema (what each bucket's table is cast to).
OUTPUT_SCHEMA = pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in (c.split(" ", 1) for c in OUTPUT_DDL.split(", "))])
_TABLE_COLUMNS = {"accounts": "id", "posts": "author", "events": "actor"}


def _bucketed(tables: SparkTables, buckets: int) -> DataFrame:
    """One frame: every account, post and search as a struct in its table's column, with the account's bucket."""
    searches = tables.events.where(F.col("kind") == "search")
    parts = []
    for table, frame in (("accounts", tables.accounts), ("posts", tables.posts), ("events", searches)):
        key = _TABLE_COLUMNS[table]
        parts.append(frame.select(F.pmod(F.xxhash64(key), F.lit(buckets)).alias("bucket"), F.struct(*frame.columns).alias(table)))
    out = parts[0]
    for part in parts[1:]:
        out = out.unionByName(part, allowMissingColumns=True)
    return out


def _unpack(batch: pl.DataFrame, table: str) -> pl.DataFrame:
    rows = batch.select(table).filter(pl.col(table).is_not_null()).unnest(table)
    return conform(rows, table)


def bucket_detector(bank: HashBank | None, lexicon: Lexicon) -> Callable[[pa.Table], pa.Table]:
    """The function run on each bucket: Arrow rows in, evidence and destination rows (:data:`OUTPUT_DDL`) out."""

    def run(table: pa.Table) -> pa.Table:
        batch = pl.from_arrow(table)
        assert isinstance(batch, pl.DataFrame)
        snap = Snapshot(accounts=_unpack(batch, "accounts"), posts=_unpack(batch, "posts"), events=_unpack(batch, "events"))
        dests = destinations(snap)
        ev = detect_signals(snap, bank=bank, lexicon=lexicon, dests=dests).with_columns(pl.col("signal").cast(pl.String))
        out = pl.concat(
            [
                ev.with_columns(part=pl.lit("evidence")),
                dests.rename({"source": "dest_source"}).with_columns(part=pl.lit("destination")),
            ],
            how="diagonal_relaxed",
        )
        rows = out.select([(pl.col(c) if c in out.columns else pl.lit(None)).alias(c) for c in OUTPUT_SCHEMA.names])
        return rows.to_arrow().cast(OUTPUT_SCHEMA)

    return run


def detect_spark(tables: SparkTables, bank: HashBank | None, lexicon: Lexicon, buckets: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Evidence (:data:`~firebreak.evidence.EVIDENCE`, sorted as the local detector sorts it) and
    destinations (``account, destination, kind, source``) for every account, computed in ``buckets`` groups."""
    rows = _bucketed(tables, buckets).groupBy("bucket").applyInArrow(bucket_detector(bank, lexicon), OUTPUT_DDL)
    collected = pl.from_arrow(rows.toArrow())
    assert isinstance(collected, pl.DataFrame)
    ev = evidence_frame(collected.filter(pl.col("part") == "evidence").select(list(EVIDENCE)))
    ev = ev.sort([pl.col("account"), pl.col("weight"), pl.col("signal").cast(pl.String), pl.col("detail")], descending=[False, True, False, False])
    dests = (
        collected.filter(pl.col("part") == "destination")
        .select("account", "destination", "kind", pl.col("dest_source").alias("source"))
        .cast(DEST_SCHEMA)
        .sort(["account", "destination", "source"])
    )
    return ev, dests
