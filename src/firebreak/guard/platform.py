"""The platform as the recommender and search see it: dense ids, follow and view matrices.

:class:`Platform` is built once from a :class:`~firebreak.snapshot.model.Snapshot`
with Polars joins (ids mapped to dense integers by
:class:`firebreak.graph.ids.IdMap`); everything downstream is arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.graph.csr import event_edges
from firebreak.graph.ids import IdMap
from firebreak.guard.matrices import adjacency
from firebreak.snapshot.model import Snapshot


@dataclass(slots=True)
class Platform:
    """Arrays over accounts ``0..n-1`` (the order of ``ids``).

    ``follows``: ``n x n`` 0/1 CSR, ``follows[i, j] = 1`` when i follows j.
    ``views``: ``n x n`` CSR of profile-view counts (post views count for the author).
    ``minor``/``active``: boolean per account (``age_group == "minor"``, status not disabled).
    ``accounts``: the accounts frame plus ``idx`` and ``followers`` (for search).
    ``posts``: posts with ``author_idx`` (for hashtag search).
    """

    ids: IdMap
    follows: sp.csr_matrix
    views: sp.csr_matrix
    minor: np.ndarray
    active: np.ndarray
    accounts: pl.DataFrame
    posts: pl.DataFrame

    @property
    def n(self) -> int:
        """Number of accounts."""
        return self.ids.n

    @property
    def followers(self) -> np.ndarray:
        """Follower count per account."""
        return np.diff(self.follows.tocsc().indptr)

    def encode(self, accounts: pl.Series | list[str]) -> np.ndarray:
        """Dense indices for account ids (``-1`` for unknown ids)."""
        return self.ids.encode(accounts)

    def with_follows(self, follows: sp.csr_matrix) -> Platform:
        """A copy sharing everything but the follow matrix (used for held-out evaluation)."""
        return Platform(self.ids, follows, self.views, self.minor, self.active, self.accounts, self.posts)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> Platform:
        """Map a snapshot's ids to dense integers and build the follow and view matrices.

        Follows or events naming unknown accounts are ignored here (the snapshot
        reader has already quarantined them).
        """
        acc = snapshot.accounts
        ids = IdMap.from_ids(acc.get_column("id"))
        n = ids.n
        f = snapshot.follows
        follows = adjacency(n, ids.encode(f.get_column("src")), ids.encode(f.get_column("dst")))
        follows.data[:] = 1.0
        views = _view_matrix(snapshot, ids)
        acc = acc.unique("id", keep="first", maintain_order=True)
        minor = (acc.get_column("age_group").fill_null("unknown") == "minor").to_numpy()
        active = (acc.get_column("status").fill_null("active") != "disabled").to_numpy()
        followers = np.diff(follows.tocsc().indptr)
        accounts = acc.select(
            pl.col("id"),
            pl.Series("idx", np.arange(n, dtype=np.int64)),
            pl.col("handle").fill_null("").str.to_lowercase().alias("handle_l"),
            pl.col("display_name").fill_null("").str.to_lowercase().alias("name_l"),
            pl.Series("followers", followers.astype(np.int64)),
        )
        posts = snapshot.posts
        posts = ids.encode_frame(posts.select("id", "author", "text", "hashtags"), "author", "author_idx")
        posts = posts.filter(pl.col("author_idx").is_not_null())
        return cls(ids, follows, views, minor, active, accounts, posts)


def _view_matrix(snapshot: Snapshot, ids: IdMap) -> sp.csr_matrix:
    """View counts ``actor -> viewed account`` (a post view counts for its author), from the scan's event edges."""
    views = event_edges(snapshot, ids).filter(pl.col("kind") == "view")
    return adjacency(ids.n, views.get_column("src").to_numpy(), views.get_column("dst").to_numpy())
