"""The benign population: interest communities, ages and a heavy-tailed follow graph.

Accounts are dense integers ``0..n-1`` here; the simulator maps them to opaque
string ids at the very end. Followees are drawn in proportion to a Pareto
popularity (preferential choice), mostly inside the follower's community, so
follower counts are heavy-tailed and the graph is clustered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firebreak.lab.sim.config import SimConfig

MINOR, ADULT, UNKNOWN = 0, 1, 2
AGE_NAMES = ("minor", "adult", "unknown")
_CHUNK = 5_000_000


@dataclass
class Population:
    """A benign population of ``n`` accounts and its follow edges ``src -> dst``.

    ``community[i]`` is account i's interest community, ``teen[c]`` marks teen
    communities, ``age[i]`` is ``MINOR``/``ADULT``/``UNKNOWN``, ``weight[i]`` its
    popularity (followees are drawn in proportion to it).
    """

    n: int
    community: np.ndarray
    teen: np.ndarray
    age: np.ndarray
    weight: np.ndarray
    src: np.ndarray
    dst: np.ndarray

    def __post_init__(self) -> None:
        order = np.argsort(self.community, kind="stable")
        self._order = order
        self._cum = np.cumsum(self.weight[order], dtype=np.float64)
        comm_sorted = self.community[order]
        c = np.arange(len(self.teen))
        self._start = np.searchsorted(comm_sorted, c, side="left")
        self._end = np.searchsorted(comm_sorted, c, side="right")

    @property
    def communities(self) -> int:
        """How many communities there are."""
        return len(self.teen)

    def members(self, communities: np.ndarray) -> np.ndarray:
        """Indices of the accounts whose community is in ``communities``."""
        return np.flatnonzero(np.isin(self.community, communities))

    def sample_followees(self, rng: np.random.Generator, comm: np.ndarray, intra: float) -> np.ndarray:
        """One followee per entry of ``comm``: popularity-weighted, inside community ``comm[k]``
        with probability ``intra`` (or when the whole draw is global, anywhere)."""
        k = len(comm)
        u = rng.random(k)
        local = (rng.random(k) < intra) & (self._end[comm] > self._start[comm])
        start = np.where(local, self._start[comm], 0)
        end = np.where(local, self._end[comm], self.n)
        lo = np.where(start > 0, self._cum[np.maximum(start - 1, 0)], 0.0)
        hi = self._cum[end - 1]
        pos = np.searchsorted(self._cum, lo + u * (hi - lo), side="right")
        pos = np.clip(pos, start, end - 1)
        return np.asarray(self._order[pos])


def dedupe_edges(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges without self-loops or repeats, sorted by (src, dst)."""
    keep = src != dst
    key = src[keep].astype(np.int64) * n + dst[keep]
    key.sort()  # a plain sort: NumPy's hash-based np.unique is far slower on tens of millions
    if len(key):
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    return key // n, key % n


def assign_ages(rng: np.random.Generator, community: np.ndarray, teen: np.ndarray, cfg: SimConfig) -> np.ndarray:
    """Declared age group per account: minors concentrated in teen communities."""
    in_teen = teen[community]
    p_minor = np.where(in_teen, cfg.minor_share_teen, cfg.minor_share_other)
    u = rng.random(len(community))
    age = np.where(u < p_minor, MINOR, ADULT).astype(np.int8)
    age[rng.random(len(community)) < cfg.unknown_age_share] = UNKNOWN
    return age


def teen_flags(rng: np.random.Generator, communities: int, share: float) -> np.ndarray:
    """Which communities are teen communities (at least one)."""
    teen = np.zeros(communities, dtype=bool)
    k = max(1, round(communities * share))
    teen[rng.choice(communities, size=k, replace=False)] = True
    return teen


def popularity(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    """Pareto popularity weights (heavy-tailed, minimum 1)."""
    return 1.0 + rng.pareto(alpha, n)


def build_population(cfg: SimConfig, n: int, rng: np.random.Generator) -> Population:
    """A synthetic benign population of ``n`` accounts with follows generated from ``cfg``.

    Out-degrees are log-normal with mean ``cfg.mean_follows``; each follow lands in the
    follower's community with probability ``cfg.intra_community``; followees are
    chosen by popularity. Generated in chunks to bound memory at large sizes.
    """
    c = max(1, min(cfg.communities, n))
    sizes = rng.lognormal(0.0, 0.8, c)
    community = np.concatenate([np.arange(c), rng.choice(c, size=n - c, p=sizes / sizes.sum())])
    # accounts sorted by community: intra-community draws then touch one slice of the
    # popularity table (cache-friendly); opaque ids are shuffled at the end anyway
    community = np.sort(community).astype(np.int32)
    teen = teen_flags(rng, c, cfg.teen_community_share)
    age = assign_ages(rng, community, teen, cfg)
    weight = popularity(rng, n, cfg.popularity_alpha)
    pop = Population(n, community, teen, age, weight, np.empty(0, np.int64), np.empty(0, np.int64))

    sigma = 1.0
    mu = np.log(cfg.mean_follows) - sigma**2 / 2
    degree = np.minimum(np.floor(rng.lognormal(mu, sigma, n)).astype(np.int64), max(1, n // 5), dtype=np.int64)
    degree = np.minimum(degree, 5_000)
    srcs, dsts = [], []
    step = max(1, int(_CHUNK / max(1.0, cfg.mean_follows)))
    for lo in range(0, n, step):  # a handful of chunks, to bound memory
        hi = min(n, lo + step)
        s = np.repeat(np.arange(lo, hi, dtype=np.int64), degree[lo:hi])
        srcs.append(s)
        dsts.append(pop.sample_followees(rng, community[s], cfg.intra_community))
    src = np.concatenate(srcs) if srcs else np.empty(0, np.int64)
    dst = np.concatenate(dsts) if dsts else np.empty(0, np.int64)
    pop.src, pop.dst = dedupe_edges(src, dst, n)
    return pop
