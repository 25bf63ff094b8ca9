"""The reference recommender: "suggested for you" and "because you viewed X", from co-following.

A deliberately ordinary design, close to what large platforms publish (item-item
cosine on follower sets, friends-of-friends, co-viewing; a popularity fallback
for cold starts), tuned only for benign recall, so that the harm the 2023
researchers found (view one seller, get recommended the network) shows up on
its own when a network's buyers co-follow its sellers.

Scores for a batch of users are sparse products:

* co-follow: ``seeds . Anᵀ`` gives co-followers (accounts who follow what the
  user follows or viewed), pruned to the strongest ``cofollowers`` per user,
  then ``. An`` gives what they follow. ``An = D_out^-1/2 A D_in^-1/2``.
* friends of friends: ``seeds . An`` (what the accounts you follow follow).
* co-viewed: ``views . Vnᵀ . Vn`` (what the viewers of what you viewed also viewed).

Each source is scaled to a row maximum of 1 and mixed with its weight; the user,
accounts already followed or viewed, and disabled accounts are excluded; an
optional :class:`~firebreak.guard.policy.Guard` removes what it refuses before
the top-k; rows short of ``k`` are filled from the most followed accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from firebreak.guard.matrices import (
    FLOAT,
    binary,
    bipartite_normalised,
    drop_entries,
    pair_mask,
    prune_rows,
    row_ids,
    row_scale,
    topk_rows,
)
from firebreak.guard.policy import Guard


@dataclass(frozen=True, slots=True)
class Recommendations:
    """Top-k suggestions for a batch: ``idx`` and ``score`` are ``(users, k)``, best first, ``-1`` = none."""

    idx: np.ndarray
    score: np.ndarray


class CoFollowRecommender(BaseEstimator):
    """Account suggestions from co-following, friends-of-friends and co-viewing.

    Parameters
    ----------
    cofollow_weight, fof_weight, coview_weight: weights of the three sources.
    view_weight: weight of a recently viewed account in the user's seeds (a followed one weighs 1).
    cofollowers: co-followers kept per user (the strongest), bounding the work per request.
    fallback: how many of the most-followed accounts fill rows short of k.
    """

    def __init__(
        self,
        cofollow_weight: float = 1.0,
        fof_weight: float = 0.03,
        coview_weight: float = 0.5,
        view_weight: float = 1.0,
        cofollowers: int = 500,
        fallback: int = 200,
    ) -> None:
        self.cofollow_weight = cofollow_weight
        self.fof_weight = fof_weight
        self.coview_weight = coview_weight
        self.view_weight = view_weight
        self.cofollowers = cofollowers
        self.fallback = fallback

    def fit(
        self, follows: sp.spmatrix, views: sp.spmatrix | None = None, active: np.ndarray | None = None
    ) -> CoFollowRecommender:
        """Learn from the ``n x n`` follow matrix (and optional profile-view counts and active mask)."""
        a = binary(follows)
        n = a.shape[0]
        self.n_ = n
        self.an_ = bipartite_normalised(a)
        self.ant_ = self.an_.T.tocsr()
        if views is not None and views.nnz and self.coview_weight > 0:
            self.vn_ = bipartite_normalised(binary(views))
            self.vnt_ = self.vn_.T.tocsr()
            # one product serves both graphs: [walkers on A | walkers on V] @ [An ; Vn]
            self.hop_ = sp.vstack([self.an_, self.vn_]).tocsr()
        else:
            self.vn_ = self.vnt_ = None
            self.hop_ = self.an_
        self.active_ = np.ones(n, dtype=bool) if active is None else np.asarray(active, dtype=bool)
        followers = np.diff(a.tocsc().indptr)
        ranked = np.argsort(-followers, kind="stable")
        self.popular_ = ranked[self.active_[ranked]][: self.fallback]
        return self

    def candidates(
        self,
        follows: sp.csr_matrix,
        views: sp.csr_matrix | None = None,
        *,
        viewers: np.ndarray | None = None,
        guard: Guard | None = None,
        guard_flags: dict[str, np.ndarray] | None = None,
    ) -> sp.csr_matrix:
        """Scored candidates, one row per user, before the top-k.

        ``follows``/``views``: ``(users, n)`` rows of what each user follows and recently viewed.
        ``viewers``: each user's own index (``-1`` for an account outside the platform).
        The walk: a user's mass sits on its seeds (``fof_weight``) and on its
        strongest co-followers (``cofollow_weight``) and co-viewers
        (``coview_weight``), each share normalised to sum 1, then takes one step
        along the normalised follow (or view) graph.
        """
        b = follows.shape[0]
        viewers = np.full(b, -1, dtype=np.int64) if viewers is None else np.asarray(viewers, dtype=np.int64)
        f = binary(follows)
        v = sp.csr_matrix((b, self.n_), dtype=FLOAT) if views is None else binary(views)
        seeds = (f + self.view_weight * v).tocsr()
        view_seeds = v
        if guard is not None:
            seeds = guard.mask_seeds(seeds, viewers)
            view_seeds = guard.mask_seeds(view_seeds, viewers)
        walkers = self.fof_weight * row_scale(seeds, "sum")
        if self.cofollow_weight > 0:
            co = prune_rows((seeds @ self.ant_).tocsr(), self.cofollowers)
            walkers = walkers + self.cofollow_weight * row_scale(co, "sum")
        if self.vn_ is not None:
            cv = prune_rows((view_seeds @ self.vnt_).tocsr(), self.cofollowers)
            walkers = sp.hstack([walkers, self.coview_weight * row_scale(cv, "sum")], format="csr")
        score = (walkers @ self.hop_).tocsr()
        rows = row_ids(score)
        cols = score.indices
        drop = ~self.active_[cols] | (cols == viewers[rows]) | pair_mask(rows, cols, (f + v).tocsr())
        if guard is not None:
            flags = guard_flags or {}
            drop |= guard.refused(
                rows, cols, viewers, indptr=score.indptr,
                viewer_minor=flags.get("viewer_minor"), viewer_buyer_like=flags.get("viewer_buyer_like"),
            )
        return drop_entries(score, drop)

    def recommend(
        self,
        follows: sp.csr_matrix,
        views: sp.csr_matrix | None = None,
        *,
        k: int = 10,
        viewers: np.ndarray | None = None,
        guard: Guard | None = None,
        guard_flags: dict[str, np.ndarray] | None = None,
    ) -> Recommendations:
        """Top-``k`` suggestions for a batch of users (see :meth:`candidates` for the inputs).

        With ``guard``, refused accounts are removed before ranking, so every row
        still gets ``k`` suggestions where enough allowed candidates exist.
        """
        b = follows.shape[0]
        viewers = np.full(b, -1, dtype=np.int64) if viewers is None else np.asarray(viewers, dtype=np.int64)
        score = self.candidates(follows, views, viewers=viewers, guard=guard, guard_flags=guard_flags)
        idx, val = topk_rows(score, k)
        need = (idx < 0).sum(axis=1)
        if need.any() and self.popular_.size:
            idx, val = self._fill(idx, val, need, follows, views, viewers, guard, guard_flags)
        return Recommendations(idx, val)

    def _fill(
        self,
        idx: np.ndarray,
        val: np.ndarray,
        need: np.ndarray,
        follows: sp.csr_matrix,
        views: sp.csr_matrix | None,
        viewers: np.ndarray,
        guard: Guard | None,
        guard_flags: dict[str, np.ndarray] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fill empty slots with the most-followed accounts the user does not follow, has not been shown."""
        rows = np.flatnonzero(need)
        pop = self.popular_
        cand = np.broadcast_to(pop, (rows.size, pop.size))
        ok = ~(cand[:, :, None] == idx[rows][:, None, :]).any(axis=2)
        seen = sp.csr_matrix(follows, dtype=FLOAT)[rows]
        if views is not None:
            seen = seen + sp.csr_matrix(views, dtype=FLOAT)[rows]
        ok &= ~(seen[:, pop].toarray() > 0)
        ok &= cand != viewers[rows][:, None]
        if guard is not None:
            flags = {k: np.asarray(v)[rows] for k, v in (guard_flags or {}).items()}
            ok &= guard.filter_ranked(viewers[rows], np.where(ok, cand, -1), surface="fallback", **flags) >= 0
        rank = np.cumsum(ok, axis=1)
        take = ok & (rank <= need[rows][:, None])
        r_local, c = np.nonzero(take)
        have = idx.shape[1] - need[rows]
        slot = have[r_local] + rank[r_local, c] - 1
        idx = idx.copy()
        val = val.copy()
        idx[rows[r_local], slot] = cand[r_local, c]
        val[rows[r_local], slot] = 0.0
        return idx, val
