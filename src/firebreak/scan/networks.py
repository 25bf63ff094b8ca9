"""The networks table: one row per network the scan found, in the spec's ``networks.jsonl`` shape."""

from __future__ import annotations

import numpy as np
import polars as pl

from firebreak.evidence import EVIDENCE_ITEM, Signal
from firebreak.exprs import fmt
from firebreak.graph.csr import Graph
from firebreak.graph.expand import unique_followers_per_group
from firebreak.graph.roles import RoleScores
from firebreak.scan.result import NETWORKS, empty


def _item(signal: Signal, detail: pl.Expr, weight: pl.Expr) -> pl.Expr:
    """One evidence item (:data:`~firebreak.evidence.EVIDENCE_ITEM`) per network row."""
    fields = {"signal": pl.lit(signal.value), "detail": detail, "weight": weight.cast(pl.Float64)}
    return pl.struct(
        [fields.get(f.name, pl.lit(None)).cast(f.dtype).alias(f.name) for f in EVIDENCE_ITEM.fields]
    ).cast(EVIDENCE_ITEM)


def network_table(
    graph: Graph,
    roles: RoleScores,
    net_of: np.ndarray,
    k: int,
    risk: np.ndarray,
    destination: np.ndarray,
    dest_table: pl.DataFrame,
) -> pl.DataFrame:
    """One row per network (:data:`~firebreak.scan.result.NETWORKS`): members, sellers, buyers, unique followers
    of its sellers, mean seller risk, the destinations two or more members share, and its evidence.

    ``net_of``: network number per account (``-1`` for none), ``k`` networks; ``destination``:
    each account's destination code, ``dest_table`` the codes' keys.
    """
    if k == 0:
        return empty(NETWORKS)
    unique = unique_followers_per_group(graph.followers, net_of, roles.seller, k)
    idx = np.flatnonzero(net_of >= 0)
    members = pl.DataFrame({
        "net": net_of[idx],
        "account": graph.ids.decode(idx),
        "seller": roles.seller[idx],
        "buyer": roles.buyer[idx],
        "risk": risk[idx],
        "dest": destination[idx],
    })
    names = dest_table.rename({"code": "dest"})
    dests = (
        members.filter(pl.col("dest") >= 0)
        .group_by("net", "dest").agg(pl.len().alias("users"))
        .filter(pl.col("users") >= 2)
        .join(names, on="dest")
        .sort(["net", "users", "destination"], descending=[False, True, False])
        .group_by("net").agg(pl.col("destination").alias("destinations"), pl.col("users").sum().alias("dest_users"))
    )
    nets = (
        members.group_by("net").agg(
            pl.col("account").sort().alias("members"),
            pl.col("seller").sum().cast(pl.Int64).alias("sellers"),
            pl.col("buyer").sum().cast(pl.Int64).alias("buyers"),
            pl.col("risk").filter(pl.col("seller")).mean().alias("risk"),
        )
        .join(pl.DataFrame({"net": np.arange(k), "unique_followers": unique}), on="net")
        .join(dests, on="net", how="left")
        .with_columns(pl.col("destinations").fill_null(pl.lit([], dtype=pl.List(pl.String))), pl.col("dest_users").fill_null(0))
        .sort("net")
    )
    nets = nets.with_columns(
        fmt("net-{}", pl.col("net").cast(pl.String).str.zfill(3)).alias("id"),
        pl.col("risk").fill_null(0.5).round(4),
        pl.concat_list(
            _item(Signal.NETWORK_SELLERS, fmt("{} flagged sellers with {} unique followers", "sellers", "unique_followers"), pl.col("sellers")),
            _item(Signal.NETWORK_BUYERS, fmt("{} flagged buyers bound to them by follows and interactions", "buyers"), pl.col("buyers")),
            _item(Signal.NETWORK_SHARED_DESTINATIONS, fmt("{} members share {} off-platform destinations", "dest_users", pl.col("destinations").list.len()), pl.col("destinations").list.len()),
        ).alias("evidence"),
    )
    return nets.select(list(NETWORKS)).cast(NETWORKS)
