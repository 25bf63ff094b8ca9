"""Match post media against hash banks: PDQ within each bank's distance, MD5 exactly.

Each media item (one element of a post's ``media`` list) is matched once per
unique hash: PDQ through the bank's index (items with quality below 50 are
skipped, as the reference skips them), MD5 through a join. A media item that
matches any *negative* bank (by PDQ or MD5) has all its positive matches
suppressed. What remains becomes evidence rows.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from firebreak.detect.media.banks import HashBank
from firebreak.detect.media.hamming import QUALITY_THRESHOLD, codes_to_hex, hex_to_codes
from firebreak.evidence import Signal
from firebreak.exprs import fmt
from firebreak.snapshot.schema import MEDIA

SIGNAL_PDQ = Signal.MEDIA_PDQ.value
SIGNAL_MD5 = Signal.MEDIA_MD5.value

MATCH_SCHEMA = pl.Schema(
    {
        "post": pl.String,
        "account": pl.String,
        "signal": pl.String,
        "detail": pl.String,
        "weight": pl.Float64,
        "distance": pl.Int64,
        "bank": pl.String,
        "hash": pl.String,
        "media_hash": pl.String,
    }
)
_HIT_COLUMNS = ["item", "post", "account", "signal", "bank_id", "distance", "hash", "media_hash"]


def media_items(posts: pl.DataFrame) -> pl.DataFrame:
    """One row per media item: ``item, post, account, pdq, quality, md5`` (hashes lower-cased)."""
    schema = {"item": pl.UInt32, "post": pl.String, "account": pl.String, "pdq": pl.String, "quality": pl.Int64, "md5": pl.String}
    if "media" not in posts.columns or posts.height == 0:
        return pl.DataFrame(schema=schema)
    media = pl.col("media") if posts.schema["media"] == MEDIA else pl.col("media").cast(MEDIA)
    items = (
        posts.select(pl.col("id").cast(pl.String).alias("post"), pl.col("author").cast(pl.String).alias("account"), media)
        .explode("media")
        .drop_nulls("media")
        .with_row_index("item")
        .unnest("media")
    )
    for name, dtype in (("pdq", pl.String), ("quality", pl.Int64), ("md5", pl.String)):
        if name not in items.columns:
            items = items.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return items.select(
        "item",
        "post",
        "account",
        pl.col("pdq").cast(pl.String).str.strip_chars().str.to_lowercase(),
        pl.col("quality").cast(pl.Int64, strict=False),
        pl.col("md5").cast(pl.String).str.strip_chars().str.to_lowercase(),
    )


def _pdq_hits(items: pl.DataFrame, bank: HashBank) -> pl.DataFrame:
    usable = items.filter(
        pl.col("pdq").str.contains(r"^[0-9a-f]{64}$").fill_null(False)
        & (pl.col("quality").is_null() | (pl.col("quality") >= QUALITY_THRESHOLD))
    )
    if usable.height == 0 or bank.pdq.shape[0] == 0:
        return pl.DataFrame(schema=dict.fromkeys(_HIT_COLUMNS, pl.String)).cast({"item": pl.UInt32, "bank_id": pl.Int16, "distance": pl.Int64})
    unique = usable["pdq"].unique()
    q, ids, dist = bank.index.search(hex_to_codes(unique), bank.max_distance)
    hits = pl.DataFrame(
        {
            "media_hash": unique.gather(q),
            "bank_id": pl.Series(np.asarray(bank.pdq_bank)[ids], dtype=pl.Int16),
            "hash": codes_to_hex(np.asarray(bank.pdq)[ids]),
            "distance": pl.Series(dist, dtype=pl.Int64),
        }
    )
    return usable.join(hits, left_on="pdq", right_on="media_hash").select(
        "item", "post", "account", pl.lit(SIGNAL_PDQ).alias("signal"), "bank_id", "distance", "hash", pl.col("pdq").alias("media_hash")
    )


def _md5_hits(items: pl.DataFrame, bank: HashBank) -> pl.DataFrame:
    usable = items.filter(pl.col("md5").is_not_null())
    return usable.join(bank.md5, on="md5").select(
        "item",
        "post",
        "account",
        pl.lit(SIGNAL_MD5).alias("signal"),
        "bank_id",
        pl.lit(0, dtype=pl.Int64).alias("distance"),
        pl.col("md5").alias("hash"),
        pl.col("md5").alias("media_hash"),
    )


def match_posts(posts: pl.DataFrame, bank: HashBank) -> pl.DataFrame:
    """Evidence rows for posts whose media match a positive bank and no negative bank.

    ``posts`` has the canonical ``posts`` columns (at least ``id``, ``author``,
    ``media``: list of ``{pdq, quality, md5}``). Returns one row per (post,
    signal, bank, matched hash), the closest match kept, with columns ``post,
    account, signal ("media:pdq" | "media:md5"), detail, weight, distance,
    bank, hash`` (the bank's hash) ``, media_hash`` (the post's hash).
    """
    items = media_items(posts)
    if items.height == 0 or len(bank) == 0:
        return pl.DataFrame(schema=MATCH_SCHEMA)
    hits = pl.concat([_pdq_hits(items, bank), _md5_hits(items, bank)], how="vertical_relaxed")
    hits = hits.join(bank.config_frame(), on="bank_id").filter(pl.col("distance") <= pl.col("bank_distance"))
    suppressed = hits.filter(pl.col("negative")).select("item").unique()
    positive = hits.filter(~pl.col("negative")).join(suppressed, on="item", how="anti")
    detail = (
        pl.when(pl.col("signal") == SIGNAL_PDQ)
        .then(fmt("bank {}: PDQ {} at distance {}", "bank", "hash", "distance"))
        .otherwise(fmt("bank {}: MD5 {} exact match", "bank", "hash"))
    )
    return (
        positive.sort(["post", "signal", "bank", "hash", "distance"])
        .unique(["post", "signal", "bank", "hash"], keep="first", maintain_order=True)
        .select(
            "post",
            "account",
            "signal",
            detail.alias("detail"),
            "weight",
            "distance",
            "bank",
            "hash",
            "media_hash",
        )
        .cast(MATCH_SCHEMA)
    )
