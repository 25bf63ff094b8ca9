"""A small synthetic platform for the guard's tests: benign communities plus one abusive network.

Sellers post a placeholder coded hashtag; buyers follow several sellers and a few
benign accounts; some benign accounts are minors. No real content anywhere.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import SCHEMAS

CODED_TAG = "zqxcodedterm"


def toy_platform(
    *, benign: int = 240, communities: int = 4, sellers: int = 12, buyers: int = 60, seed: int = 0
) -> tuple[Snapshot, pl.DataFrame]:
    """``(snapshot, labels)``: benign accounts ``b*``, sellers ``s*``, buyers ``u*`` in network ``n1``."""
    rng = np.random.default_rng(seed)
    b_ids = [f"b{i}" for i in range(benign)]
    s_ids = [f"s{i}" for i in range(sellers)]
    u_ids = [f"u{i}" for i in range(buyers)]
    ids = b_ids + s_ids + u_ids
    comm = np.arange(benign) % communities
    src: list[str] = []
    dst: list[str] = []
    for i in range(benign):
        same = np.flatnonzero(comm == comm[i])
        pick = rng.choice(same[same != i], size=8, replace=False)
        other = rng.choice(benign, size=1)
        for j in np.concatenate([pick, other]):
            if j != i:
                src.append(b_ids[i])
                dst.append(b_ids[j])
    for i in range(buyers):
        for j in rng.choice(sellers, size=int(rng.integers(3, 7)), replace=False):
            src.append(u_ids[i])
            dst.append(s_ids[j])
        for j in rng.choice(benign, size=3, replace=False):
            src.append(u_ids[i])
            dst.append(b_ids[j])
    for i in range(sellers):
        for j in rng.choice(buyers, size=4, replace=False):
            src.append(s_ids[i])
            dst.append(u_ids[j])
    follows = pl.DataFrame({"src": src, "dst": dst}).unique(maintain_order=True)
    follows = follows.with_columns(pl.lit(None, dtype=SCHEMAS["follows"]["created_at"]).alias("created_at"))
    age = np.where(np.arange(len(ids)) % 10 == 3, "minor", "adult")
    age[benign:] = "adult"
    accounts = pl.DataFrame(
        {
            "id": ids,
            "handle": [f"user_{x}" for x in ids],
            "display_name": [f"User {x}" for x in ids],
            "bio": [""] * len(ids),
            "created_at": [None] * len(ids),
            "age_group": age.tolist(),
            "links": [[] for _ in ids],
            "status": ["active"] * len(ids),
        },
        schema=SCHEMAS["accounts"],
    )
    posts = pl.DataFrame(
        {
            "id": [f"p{x}" for x in s_ids] + [f"p{x}" for x in b_ids[:40]],
            "author": s_ids + b_ids[:40],
            "created_at": [None] * (sellers + 40),
            "text": ["[menu item]"] * sellers + ["lunch"] * 40,
            "hashtags": [[CODED_TAG, "newyear"]] * sellers + [["food", "newyear"]] * 40,
            "media": [[] for _ in range(sellers + 40)],
            "links": [[] for _ in range(sellers + 40)],
        },
        schema=SCHEMAS["posts"],
    )
    views = pl.DataFrame(
        {
            "actor": u_ids[:30],
            "kind": ["view"] * 30,
            "target": [s_ids[i % sellers] for i in range(30)],
            "query": [None] * 30,
            "created_at": [None] * 30,
        },
        schema=SCHEMAS["events"],
    )
    labels = pl.DataFrame(
        {
            "account": ids,
            "role": ["benign"] * benign + ["seller"] * sellers + ["buyer"] * buyers,
            "network": [None] * benign + ["n1"] * (sellers + buyers),
        },
        schema=SCHEMAS["labels"],
    )
    snap = Snapshot(accounts=accounts, follows=follows, posts=posts, events=views, labels=labels)
    return snap, labels
