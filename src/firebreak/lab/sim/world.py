"""The simulator's working state: who every account is, and the frames built so far.

All generators write into one :class:`World`. Accounts are dense integers here
(``0..n-1``); posts, events and reports refer to accounts by integer and to
posts by author until the simulator assigns opaque ids at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from firebreak.lab.sim.config import CAMOUFLAGES, CONFOUNDERS, SimConfig
from firebreak.lab.sim.population import Population

ROLE_BENIGN, ROLE_SELLER, ROLE_BUYER = 0, 1, 2
ROLE_NAMES = ("benign", "seller", "buyer")

#: internal frame layouts (integers for accounts, seconds for times).
ACCOUNT_COLS = {
    "idx": pl.Int64,
    "handle": pl.String,
    "display_name": pl.String,
    "bio": pl.String,
    "links": pl.List(pl.String),
}
FOLLOW_COLS = {"src": pl.Int32, "dst": pl.Int32, "t": pl.Int64}
POST_COLS = {
    "author": pl.Int64,
    "t": pl.Int64,
    "text": pl.String,
    "hashtags": pl.List(pl.String),
    "pdq": pl.String,
    "quality": pl.Int64,
    "md5": pl.String,
    "links": pl.List(pl.String),
}
EVENT_COLS = {
    "actor": pl.Int64,
    "kind": pl.String,
    "target": pl.Int64,  # an account, or (target_post) the author whose post is meant
    "target_post": pl.Boolean,
    "query": pl.String,
    "t": pl.Int64,
}
REPORT_COLS = {
    "reporter": pl.Int64,
    "target": pl.Int64,
    "target_post": pl.Boolean,
    "reason": pl.String,
    "text": pl.String,
    "t": pl.Int64,
}


def frame(cols: Mapping[str, Any], data: Mapping[str, Any]) -> pl.DataFrame:
    """A frame with exactly the columns of ``cols`` (missing ones null), cast to their types."""
    n = max((len(v) for v in data.values() if not np.isscalar(v) and v is not None), default=0)
    out = {}
    for name, dtype in cols.items():
        v = data.get(name)
        if v is None or np.isscalar(v):
            out[name] = pl.Series(name, [v] * n, dtype=dtype) if v is not None else pl.Series(name, [None] * n, dtype=dtype)
        else:
            out[name] = pl.Series(name, v).cast(dtype) if not isinstance(v, pl.Series) else v.alias(name).cast(dtype)
    return pl.DataFrame(out)


def epoch(ts: str) -> int:
    """RFC 3339 text to Unix seconds."""
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp())


@dataclass
class World:
    """Everything generated so far for one platform."""

    cfg: SimConfig
    rng: np.random.Generator
    pop: Population
    start: int
    end: int
    n: int = 0
    role: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    network: np.ndarray = field(default_factory=lambda: np.empty(0, np.int16))
    camouflage: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    confounder: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    disabled: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    community: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    age: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    created: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    profiles: list[pl.DataFrame] = field(default_factory=list)
    follows: list[pl.DataFrame] = field(default_factory=list)
    posts: list[pl.DataFrame] = field(default_factory=list)
    events: list[pl.DataFrame] = field(default_factory=list)
    reports: list[pl.DataFrame] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)
    banned_at: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    bank_pdq: np.ndarray = field(default_factory=lambda: np.empty((0, 32), np.uint8))
    bank_md5: np.ndarray = field(default_factory=lambda: np.empty((0, 16), np.uint8))

    @classmethod
    def start_from(cls, cfg: SimConfig, rng: np.random.Generator, pop: Population) -> World:
        """A world holding only the benign population ``pop``."""
        start, end = epoch(cfg.start), epoch(cfg.end)
        w = cls(cfg=cfg, rng=rng, pop=pop, start=start, end=end)
        w.add_accounts(pop.n, community=pop.community, age=pop.age)
        w.created[:] = rng.integers(start - 3 * 365 * 86_400, end - 30 * 86_400, pop.n)
        w.add_follows(pop.src, pop.dst)
        pop.src = pop.dst = np.empty(0, np.int64)  # the world holds the edges now
        return w

    def add_accounts(
        self,
        k: int,
        *,
        community: np.ndarray | None = None,
        age: np.ndarray | int | None = None,
        role: int = ROLE_BENIGN,
        created: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append ``k`` accounts; returns their indices."""
        idx = np.arange(self.n, self.n + k, dtype=np.int64)
        if community is None:
            community = self.rng.integers(0, self.pop.communities, k)
        if age is None:
            age = 1
        if created is None:
            created = self.rng.integers(self.start - 3 * 365 * 86_400, self.end - 30 * 86_400, k)  # as the population
        self.role = np.append(self.role, np.full(k, role, np.int8))
        self.network = np.append(self.network, np.full(k, -1, np.int16))
        self.camouflage = np.append(self.camouflage, np.full(k, -1, np.int8))
        self.confounder = np.append(self.confounder, np.full(k, -1, np.int8))
        self.disabled = np.append(self.disabled, np.zeros(k, bool))
        self.community = np.append(self.community, np.broadcast_to(community, k).astype(np.int32))
        self.age = np.append(self.age, np.broadcast_to(age, k).astype(np.int8))
        self.created = np.append(self.created, np.broadcast_to(created, k).astype(np.int64))
        self.banned_at = np.append(self.banned_at, np.full(k, self.end, np.int64))
        self.n += k
        return idx

    def free_benign(self, k: int, *, mask: np.ndarray | None = None) -> np.ndarray:
        """``k`` random benign population accounts not yet given a special part (and in ``mask``)."""
        ok = (self.role[: self.pop.n] == ROLE_BENIGN) & (self.confounder[: self.pop.n] < 0)
        if mask is not None:
            ok &= mask[: self.pop.n]
        pool = np.flatnonzero(ok)
        return np.sort(self.rng.choice(pool, size=min(k, len(pool)), replace=False))

    def set_confounder(self, idx: np.ndarray, kind: str) -> None:
        """Mark ``idx`` as benign confounders of ``kind``."""
        self.confounder[idx] = CONFOUNDERS.index(kind)

    def set_camouflage(self, idx: np.ndarray, kind: str) -> None:
        """Mark sellers ``idx`` with camouflage ``kind``."""
        self.camouflage[idx] = CAMOUFLAGES.index(kind)

    def times_after(self, lo: np.ndarray | int, k: int | None = None) -> np.ndarray:
        """Uniform times between ``lo`` (per row) and the snapshot's end."""
        lo = np.asarray(lo, dtype=np.int64)
        k = len(lo) if k is None else k
        lo = np.broadcast_to(np.minimum(lo, self.end - 3_600), k)
        return np.asarray(lo + (self.rng.random(k) * (self.end - lo)).astype(np.int64))

    def add_follows(self, src: np.ndarray, dst: np.ndarray, t: np.ndarray | None = None) -> None:
        """Add follow edges. Without ``t``, times fall after both accounts exist and
        before either is banned; pairs where that is impossible are left out."""
        src = np.asarray(src, np.int64)
        dst = np.asarray(dst, np.int64)
        if t is None:
            lo = np.maximum(self.created[src], self.created[dst])
            t = self.times_after(lo)
            hi = np.minimum(self.banned_at[src], self.banned_at[dst])  # no follow after a ban
            late = t > hi
            t[late] = hi[late] - (self.rng.random(int(late.sum())) * np.maximum(hi[late] - lo[late], 1)).astype(np.int64)
            possible = lo <= hi  # an account made after another's ban never follows it
            src, dst, t = src[possible], dst[possible], t[possible]
        self.follows.append(pl.DataFrame({"src": src.astype(np.int32), "dst": dst.astype(np.int32), "t": np.asarray(t, np.int64)}))

    def add(self, table: str, data: Mapping[str, Any] | pl.DataFrame) -> None:
        """Append rows to ``table`` (``profiles``, ``posts``, ``events``, ``reports``)."""
        if isinstance(data, pl.DataFrame):
            data = data.to_dict()
        tables: dict[str, Mapping[str, Any]] = {"profiles": ACCOUNT_COLS, "posts": POST_COLS, "events": EVENT_COLS, "reports": REPORT_COLS}
        cols = tables[table]
        getattr(self, table).append(frame(cols, data))

    def indices(self, role: int | None = None, confounder: str | None = None) -> np.ndarray:
        """Indices of accounts with ``role`` and/or confounder kind ``confounder``."""
        ok = np.ones(self.n, bool)
        if role is not None:
            ok &= self.role == role
        if confounder is not None:
            ok &= self.confounder == CONFOUNDERS.index(confounder)
        return np.flatnonzero(ok)
