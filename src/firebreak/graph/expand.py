"""Seed expansion, as the researchers did by hand: from a few accounts to their network.

For a set of seed accounts: each seed's followers and followees, the number of
**unique** followers across the whole set (the "112 sellers had 22,000
followers" figure, counted without double counting), pairwise shared-follower
counts between seeds (one sparse product), off-platform destinations that two
or more seeds share, and the accounts most connected to the set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.graph.csr import Graph


@dataclass(slots=True)
class SeedMap:
    """What :func:`expand_seeds` found; ``to_dict`` gives its JSON form."""

    seeds: pl.DataFrame  # account, followers, followees, seed_followers, seed_followees
    unique_followers: int
    total_followers: int
    overlaps: pl.DataFrame  # a, b, shared_followers, jaccard
    shared_destinations: pl.DataFrame  # destination, seeds (list)
    connected: pl.DataFrame  # account, follows_seeds, followed_by_seeds, interactions, score
    missing: list[str] = field(default_factory=list)
    edges: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"src": pl.String, "dst": pl.String}))
    overlapping_pairs: int = 0  # seed pairs sharing a follower, before any cap on the list

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return {
            "seeds": self.seeds.to_dicts(),
            "unique_followers": self.unique_followers,
            "total_followers": self.total_followers,
            "overlapping_pairs": self.overlapping_pairs,
            "overlaps_listed": self.overlaps.height,
            "overlaps": self.overlaps.to_dicts(),
            "shared_destinations": self.shared_destinations.to_dicts(),
            "most_connected": self.connected.to_dicts(),
            "missing_seeds": self.missing,
        }


def _indicator(idx: np.ndarray, n: int) -> np.ndarray:
    v = np.zeros(n)
    v[idx] = 1.0
    return v


def expand_seeds(
    graph: Graph,
    seed_ids: list[str],
    destinations: pl.DataFrame | None = None,
    *,
    top: int = 50,
    max_overlaps: int | None = None,
) -> SeedMap:
    """Map the network around ``seed_ids`` (account ids; unknown ones are listed in ``missing``).

    ``destinations`` is an ``account, destination`` frame (e.g. from
    :func:`firebreak.detect.profile.destinations`). ``top`` bounds the most
    connected accounts returned, ``max_overlaps`` the seed pairs listed (most shared
    followers first; ``None`` lists all); ``overlapping_pairs`` counts them all.
    Raises ``ValueError`` when no seed is a known account.
    """
    n = graph.n
    enc = graph.ids.encode(pl.Series(seed_ids, dtype=pl.String))
    missing = [s for s, e in zip(seed_ids, enc.tolist(), strict=True) if e < 0]
    idx = np.unique(enc[enc >= 0])
    if idx.size == 0:
        raise ValueError("none of the seeds is an account of this snapshot")
    fol, fee = graph.followers, graph.follows
    mask = _indicator(idx, n)
    seed_rows = fol[idx]
    union = np.asarray(seed_rows.sum(axis=0)).ravel()
    seeds = pl.DataFrame({
        "account": graph.ids.decode(idx),
        "followers": np.diff(seed_rows.indptr).astype(np.int64),
        "followees": np.diff(fee[idx].indptr).astype(np.int64),
        "seed_followers": (seed_rows @ mask).astype(np.int64),
        "seed_followees": (fee[idx] @ mask).astype(np.int64),
    }).sort("followers", descending=True)
    # pairwise shared followers: (k x n) @ (n x k)
    shared = sp.triu(seed_rows @ seed_rows.T, k=1).tocoo()
    deg = np.diff(seed_rows.indptr)
    if shared.nnz:
        union_ab = deg[shared.row] + deg[shared.col] - shared.data
        overlaps = pl.DataFrame({
            "a": graph.ids.decode(idx[shared.row]),
            "b": graph.ids.decode(idx[shared.col]),
            "shared_followers": shared.data.astype(np.int64),
            "jaccard": np.round(shared.data / np.maximum(union_ab, 1), 4),
        }).sort(["shared_followers", "a", "b"], descending=[True, False, False])
        if max_overlaps is not None:
            overlaps = overlaps.head(max_overlaps)
    else:
        overlaps = pl.DataFrame(schema={"a": pl.String, "b": pl.String, "shared_followers": pl.Int64, "jaccard": pl.Float64})
    if destinations is not None and destinations.height:
        seed_set = pl.Series("account", graph.ids.decode(idx))
        shared_dest = (
            destinations.filter(pl.col("account").is_in(seed_set.implode()))
            .group_by("destination")
            .agg(pl.col("account").unique().sort().alias("seeds"))
            .filter(pl.col("seeds").list.len() >= 2)
            .sort([pl.col("seeds").list.len(), pl.col("destination")], descending=[True, False])
        )
    else:
        shared_dest = pl.DataFrame(schema={"destination": pl.String, "seeds": pl.List(pl.String)})
    follows_seeds = fee @ mask
    followed_by = fol @ mask
    inter = graph.interactions
    interactions = inter @ mask + inter.T @ mask
    score = follows_seeds + followed_by + 0.25 * interactions
    score[idx] = 0.0
    order = np.argsort(-score, kind="stable")[:top]
    order = order[score[order] > 0]
    connected = pl.DataFrame({
        "account": graph.ids.decode(order),
        "follows_seeds": follows_seeds[order].astype(np.int64),
        "followed_by_seeds": followed_by[order].astype(np.int64),
        "interactions": np.round(interactions[order], 2),
        "score": np.round(score[order], 2),
    })
    # edges among seeds and the most connected accounts, for the picture
    keep = np.concatenate([idx, order])
    sub = fee[keep][:, keep].tocoo()
    edges = pl.DataFrame({"src": graph.ids.decode(keep[sub.row]), "dst": graph.ids.decode(keep[sub.col])})
    return SeedMap(
        seeds=seeds,
        unique_followers=int((union > 0).sum()),
        total_followers=int(deg.sum()),
        overlaps=overlaps,
        shared_destinations=shared_dest,
        connected=connected,
        missing=missing,
        edges=edges,
        overlapping_pairs=int(shared.nnz),
    )


def unique_followers_per_group(followers: sp.csr_matrix, group: np.ndarray, members: np.ndarray, k: int) -> np.ndarray:
    """Distinct followers of each group's members, in one sparse product.

    ``followers``: the n x n matrix whose row ``j`` lists ``j``'s followers;
    ``group``: a group number per account (``-1`` for none), ``0 <= group < k``;
    ``members``: which accounts of a group count (a network's sellers).
    Returns ``k`` counts; a follower of two members of one group counts once.

    >>> import numpy as np, scipy.sparse as sp
    >>> f = sp.csr_matrix(np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]]))  # 0 is followed by 1 and 2; 1 by 2
    >>> unique_followers_per_group(f, np.array([0, 0, -1]), np.array([True, True, False]), 1).tolist()
    [2]
    """
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.flatnonzero((group >= 0) & members)
    inc = sp.csr_matrix((np.ones(idx.size), (group[idx], idx)), shape=(k, followers.shape[0]))
    reach = (inc @ followers).tocsr()
    return np.asarray(np.diff(reach.indptr).astype(np.int64))
