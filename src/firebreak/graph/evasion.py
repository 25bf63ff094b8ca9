"""Ban evasion: new accounts whose audience is a disabled seller's audience, found with MinHash + LSH.

Signatures are computed in NumPy over the follower lists (SplitMix64-mixed ids,
multiply-shift hashing, one ``minimum.reduceat`` per permutation), restricted to the followers
of the disabled sellers (only they can make an overlap). LSH banding proposes
candidate pairs with a Polars join on band keys (never all pairs); each
candidate is then verified with the exact Jaccard of the two follower sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

_MASK32 = np.uint64(0xFFFFFFFF)


@dataclass(frozen=True, slots=True)
class EvasionMatch:
    """Verified pairs: ``new`` account, the disabled ``old`` one, exact follower ``jaccard`` and ``shared`` count."""

    new: np.ndarray
    old: np.ndarray
    jaccard: np.ndarray
    shared: np.ndarray  # weighted count of shared followers


def follower_weights(followers: sp.csr_matrix, hub_factor: float = 10.0) -> np.ndarray:
    """Weight of each account as a follower: 1, or ``M / out-degree`` above ``M`` = ``hub_factor`` x the median out-degree."""
    return weights_from_out_degree(np.bincount(followers.indices, minlength=followers.shape[1]), hub_factor)


def weights_from_out_degree(out_degree: np.ndarray, hub_factor: float = 10.0) -> np.ndarray:
    """:func:`follower_weights` from each account's out-degree (accounts followed)."""
    out_deg = np.asarray(out_degree, dtype=np.float64)
    active = out_deg[out_deg > 0]
    m = hub_factor * (float(np.median(active)) if active.size else 1.0)
    return np.minimum(1.0, m / np.maximum(out_deg, 1.0))


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: well-mixed 64-bit values from (small, consecutive) integers."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def minhash_signatures(sets: sp.csr_matrix, num_perm: int = 64, seed: int = 0) -> np.ndarray:
    """MinHash signature per row of a binary CSR matrix (row = a set of column ids): ``(rows, num_perm)`` uint32.

    Empty rows get the all-ones signature (``2**32 - 1``) so they match nothing real.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    rows = sets.shape[0]
    sig = np.full((rows, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    lengths = np.diff(sets.indptr)
    nonempty = np.flatnonzero(lengths > 0)
    if nonempty.size == 0:
        return sig
    x = _splitmix64(sets.indices.astype(np.uint64))
    starts = sets.indptr[:-1][nonempty]
    with np.errstate(over="ignore"):
        for i in range(num_perm):  # loop over permutations, each one vectorised over every element
            h = ((a[i] * x + b[i]) >> np.uint64(32)).astype(np.uint32)
            sig[nonempty, i] = np.minimum.reduceat(h, starts)
    return sig


def lsh_candidates(query_sig: np.ndarray, index_sig: np.ndarray, bands: int) -> pl.DataFrame:
    """Pairs ``(q, i)`` of row numbers whose signatures agree on every row of at least one band."""
    num_perm = query_sig.shape[1]
    r = num_perm // bands
    mult = (np.random.default_rng(12345).integers(1, 2**63, size=r, dtype=np.uint64) | np.uint64(1))

    def keys(sig: np.ndarray) -> pl.DataFrame:
        parts = []
        with np.errstate(over="ignore"):
            for band in range(bands):
                block = sig[:, band * r : (band + 1) * r].astype(np.uint64)
                key = (block * mult).sum(axis=1, dtype=np.uint64)
                parts.append(pl.DataFrame({"band": np.full(sig.shape[0], band, np.int32), "key": key, "row": np.arange(sig.shape[0], dtype=np.int64)}))
        return pl.concat(parts) if parts else pl.DataFrame(schema={"band": pl.Int32, "key": pl.UInt64, "row": pl.Int64})

    q = keys(query_sig).rename({"row": "q"})
    i = keys(index_sig).rename({"row": "i"})
    return q.join(i, on=["band", "key"], how="inner").select("q", "i").unique()


def find_evasion(
    followers: sp.csr_matrix,
    disabled_sellers: np.ndarray,
    candidates: np.ndarray,
    *,
    min_jaccard: float = 0.15,
    min_shared: float = 4.0,
    num_perm: int = 128,
    bands: int = 64,
    seed: int = 0,
    weights: np.ndarray | None = None,
) -> EvasionMatch:
    """Accounts among ``candidates`` whose followers overlap a disabled seller's (dense indices in, pairs out).

    ``followers`` is the follower CSR (row ``j`` = accounts following ``j``).
    Candidate pairs come from LSH on signatures restricted to the disabled
    sellers' followers; a pair is kept when the exact Jaccard of the full
    follower sets is at least ``min_jaccard`` and they share ``min_shared``;
    both are weighted by :func:`follower_weights` (``weights`` overrides), so
    follow-everything bots sharing two audiences do not make them one.

    >>> import numpy as np, scipy.sparse as sp
    >>> fans = range(2, 10)  # the same eight followers follow seller 0 (disabled) and account 1 (new)
    >>> rows, cols = [0] * 8 + [1] * 8 + [10, 11], [*fans, *fans, 2, 3]
    >>> followers = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(12, 12))
    >>> m = find_evasion(followers, np.array([0]), np.arange(1, 12))
    >>> m.new.tolist(), m.old.tolist(), m.jaccard.round(2).tolist()
    ([1], [0], [1.0])
    """
    empty = EvasionMatch(*(np.zeros(0, dtype=t) for t in (np.int64, np.int64, np.float64, np.int64)))
    disabled_sellers = np.asarray(disabled_sellers, dtype=np.int64)
    candidates = np.asarray(candidates, dtype=np.int64)
    if disabled_sellers.size == 0 or candidates.size == 0:
        return empty
    n = followers.shape[1]
    old_sets = followers[disabled_sellers]
    universe = np.zeros(n, dtype=np.float64)
    universe[np.unique(old_sets.indices)] = 1.0
    # candidates with at least min_shared followers in the universe are worth hashing
    in_universe = (followers @ universe)[candidates]  # one product, not a copy of almost every row
    candidates = candidates[in_universe >= min_shared]
    candidates = candidates[~np.isin(candidates, disabled_sellers)]
    if candidates.size == 0:
        return empty
    restrict = sp.diags(universe, format="csr")
    new_sets = (followers[candidates] @ restrict).tocsr()
    new_sets.eliminate_zeros()
    pairs = lsh_candidates(
        minhash_signatures(old_sets, num_perm, seed), minhash_signatures(new_sets, num_perm, seed), bands
    )
    if pairs.height == 0:
        return empty
    q = pairs.get_column("q").to_numpy()
    i = pairs.get_column("i").to_numpy()
    w = follower_weights(followers) if weights is None else weights
    return verify_pairs(followers, disabled_sellers[q], candidates[i], w, min_jaccard=min_jaccard, min_shared=min_shared)


def verify_pairs(
    followers: sp.csr_matrix, old: np.ndarray, new: np.ndarray, weights: np.ndarray, *, min_jaccard: float = 0.15, min_shared: float = 4.0
) -> EvasionMatch:
    """The candidate pairs ``(old[k], new[k])`` whose weighted follower Jaccard and shared weight reach the minimums.

    ``followers`` needs exact rows for the accounts in ``old`` and ``new`` only.
    """
    a, b = followers[old], followers[new]
    w = weights
    shared = np.asarray(a.multiply(b) @ w).ravel()
    size_a = np.asarray(a @ w).ravel()
    size_b = np.asarray(b @ w).ravel()
    union = size_a + size_b - shared
    jac = np.divide(shared, union, out=np.zeros_like(shared, dtype=np.float64), where=union > 0)
    keep = (jac >= min_jaccard) & (shared >= min_shared)
    return EvasionMatch(new=new[keep], old=old[keep], jaccard=jac[keep], shared=np.round(shared[keep], 2))
