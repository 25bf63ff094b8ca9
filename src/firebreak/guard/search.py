"""Reference hashtag and account search, ranked by use and popularity, with an optional guard.

The engine itself is ordinary: it lower-cases the query, strips a leading
``#``, and matches it as a substring of hashtags, handles and display names.
Hashtags rank by how many posts use them, posts and accounts by followers.
With a :class:`~firebreak.guard.policy.Guard`, a coded query returns only the
help notice (no results, no bypass), hidden hashtags never appear, and refused
accounts and their posts are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator

from firebreak.guard.platform import Platform
from firebreak.guard.policy import Guard


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What a search shows: hashtags, accounts (dense indices), posts (ids and author indices), or a notice.

    When ``blocked`` is True every list is empty and ``notice`` holds the help-resources text.
    """

    query: str
    hashtags: list[str] = field(default_factory=list)
    accounts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    posts: list[str] = field(default_factory=list)
    post_authors: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    blocked: bool = False
    reason: str | None = None
    notice: str | None = None

    @property
    def shown_accounts(self) -> np.ndarray:
        """Every account a result exposes: accounts returned plus the authors of posts returned."""
        return np.concatenate([self.accounts, self.post_authors])


class SearchIndex(BaseEstimator):
    """Hashtag and account search over a :class:`Platform`.

    Parameters
    ----------
    hashtags, accounts, posts: how many of each a search returns.
    """

    def __init__(self, hashtags: int = 10, accounts: int = 20, posts: int = 20) -> None:
        self.hashtags = hashtags
        self.accounts = accounts
        self.posts = posts

    def fit(self, platform: Platform) -> SearchIndex:
        """Index the platform's hashtags (from ``hashtags``, else ``#words`` in the text) and accounts."""
        posts = platform.posts.with_columns(
            pl.when(pl.col("hashtags").list.len() > 0)
            .then(pl.col("hashtags"))
            .otherwise(pl.col("text").fill_null("").str.extract_all(r"#(\w+)"))
            .alias("tags")
        )
        tags = (
            posts.select("id", "author_idx", "tags")
            .explode("tags")
            .filter(pl.col("tags").is_not_null())
            .with_columns(pl.col("tags").str.strip_chars_start("#").str.to_lowercase().alias("tag"))
            .filter(pl.col("tag").str.len_chars() > 0)
            .unique(["id", "tag"])
        )
        followers = platform.accounts.select(pl.col("idx").alias("author_idx"), pl.col("followers"))
        self.post_tags_ = tags.select("id", "author_idx", "tag").join(followers, on="author_idx", how="left")
        self.tag_stats_ = tags.group_by("tag").agg(pl.len().alias("uses")).sort(["uses", "tag"], descending=[True, False])
        self.accounts_ = platform.accounts.select("idx", "handle_l", "name_l", "followers")
        return self

    def search(
        self,
        query: str,
        *,
        guard: Guard | None = None,
        viewer: int = -1,
        viewer_minor: bool = False,
        viewer_buyer_like: bool = False,
    ) -> SearchResult:
        """Run one search as ``viewer`` (a dense index, ``-1`` for an outside account)."""
        if guard is not None:
            decision = guard.check_query(query)
            if decision.blocked:
                return SearchResult(query, blocked=True, reason=decision.reason, notice=decision.notice)
        q = query.strip().lstrip("#").casefold()
        if not q:
            return SearchResult(query)
        tags = self.tag_stats_.filter(pl.col("tag").str.contains(q, literal=True))
        tags = tags.with_columns((pl.col("tag") == q).alias("exact")).sort(
            ["exact", "uses", "tag"], descending=[True, True, False]
        )
        tag_list = tags.get_column("tag").head(200).to_list()
        if guard is not None and tag_list:
            hidden = guard.hidden_terms(tag_list)
            tag_list = [t for t, h in zip(tag_list, hidden, strict=True) if not h]
        tag_list = tag_list[: self.hashtags]
        posts = (
            self.post_tags_.filter(pl.col("tag").is_in(tag_list))
            .group_by("id")
            .agg(pl.col("author_idx").first(), pl.col("followers").first())
            .sort(["followers", "id"], descending=[True, False])
        )
        acc = self.accounts_.filter(
            pl.col("handle_l").str.contains(q, literal=True) | pl.col("name_l").str.contains(q, literal=True)
        ).select("idx", "followers")
        authors = posts.select(pl.col("author_idx").alias("idx"), "followers")
        acc = pl.concat([acc, authors]).unique("idx").sort(["followers", "idx"], descending=[True, False])
        acc_idx = acc.get_column("idx").to_numpy().astype(np.int64)
        post_ids = posts.get_column("id").to_numpy()
        post_auth = posts.get_column("author_idx").to_numpy().astype(np.int64)
        if guard is not None:
            flags = {"viewer_minor": viewer_minor, "viewer_buyer_like": viewer_buyer_like}
            keep_a = guard.allowed(
                np.full(acc_idx.size, viewer), acc_idx, surface="search", **_flags(flags, acc_idx.size)
            )
            acc_idx = acc_idx[keep_a]
            keep_p = guard.allowed(
                np.full(post_auth.size, viewer), post_auth, surface="search", **_flags(flags, post_auth.size)
            )
            post_ids, post_auth = post_ids[keep_p], post_auth[keep_p]
        return SearchResult(
            query,
            hashtags=tag_list,
            accounts=acc_idx[: self.accounts],
            posts=[str(p) for p in post_ids[: self.posts]],
            post_authors=post_auth[: self.posts],
        )


def _flags(flags: dict[str, bool], size: int) -> dict[str, np.ndarray]:
    return {k: np.full(size, v, dtype=bool) for k, v in flags.items()}
