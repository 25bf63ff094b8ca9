"""Seller and buyer scoring: alternating, degree-normalised label propagation on the follow graph.

The researchers' method, as arithmetic over the whole platform. Each account
collects **units** of evidence; two units make a role, so no single weak cue
(one follow, one ambiguous term, a burst of reports) is ever enough alone.

* **Buyer units**: sellers followed, credited only in proportion to what else
  the account follows: its share of seller follows is compared with the share
  among accounts that follow about as many accounts (log2 degree bins), so a
  bot that follows thousands earns nothing for the sellers among them, while an
  ordinary account's one seller follow counts one unit; sellers messaged (1.5
  each); other interactions with sellers (0.5, same proportion test);
  coded-term searches (detector weights), ambiguous or newly discovered terms
  searched (0.5 each; never searches in news or advocacy wording). At least one
  unit must come from a relationship (following or messaging a seller): looking
  and searching alone is what journalists and advocates do, and an account whose
  own writing quotes coded terms only in news or advocacy wording (a reporting
  account) earns nothing for looking or searching at all: only its follows and
  messages count.
* **Seller units**: the account's own content (detector weights, capped;
  ambiguous hits and reports never above half a unit each), its **audience**
  (how far the share of buyers among its followers exceeds the platform's rate,
  up to an audience "mostly of buyers", and how unlikely that count is by
  chance; an ordinary audience counts *against* its own words, which is what
  clears journalists quoting hashtags), an off-platform destination mostly used
  by other sellers, a disabled seller's audience inherited (ban evasion), a
  tie bonus for following sellers while having a buyer audience, and **seller
  peers**: being followed by several sellers that have evidence of their own
  (sellers of a network follow each other), credited by how unlikely that many
  is by chance for an account with as many followers. Content must be
  corroborated (audience, seller peers, destination, evasion or a media hash match),
  and an audience of buyers corroborates only beside own words or a follow tie
  with sellers (buyers follow ordinary accounts too: a niche account can draw
  mostly buyers without selling). An account whose seller units all come from
  its place among sellers, and that searches the codes and qualifies as a buyer,
  is a buyer: best customers sit among sellers too.

* **Watchers are not buyers** (counter-evidence, each with its own evidence row):
  a seller the account **reported** (any reason) is not counted among the sellers
  it follows or views (reporting a seller is evidence against being its buyer);
  a **report history** (several accounts reported for child safety) and **news or
  advocacy wording** of its own each scale its remaining follow units down; a
  **research pattern** (following many sellers in several seller groups, messaging
  none, with a report, a report history or news/advocacy wording beside it; or reporting
  at least half of the 2+ sellers it follows, messaging none) cancels
  its follow, view and search units; **trusted flaggers** (an operator's registry
  of vetted organisations) are never given a role.
* **Discovered terms** (found by term discovery, not reviewed): an account's own
  uses count as content and its searches as search units, at the discovery's
  weights (capped well below a reviewed lexicon term's).

Sellers and buyers define each other, so the updates alternate (each a few
sparse matrix-vector products) until the roles stop changing. Audiences count
only buyers **anchored** on sellers that have evidence of their own, never
buyers of sellers found by audience alone: propagation is two hops deep, so a
benign clique cannot talk itself into a network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.stats import poisson

from firebreak.graph.csr import Graph
from firebreak.graph.spmv import matvec


@dataclass(frozen=True, slots=True)
class RoleParams:
    """Knobs of the role scoring (defaults are policy, not fitted to any simulator)."""

    units_to_flag: float = 2.0  # units needed for a role
    content_cap: float = 3.0  # own-content units are capped here
    ambiguous_cap: float = 0.5  # ambiguous hits alone can never flag
    report_cap: float = 0.5  # reports alone can never flag
    audience_min_buyers: float = 3.0  # followers a content-found seller needs to serve as the reference audience
    audience_reference_quantile: float = 0.25  # reference audience: this quantile of content-found sellers' buyer shares
    audience_reference_min: float = 0.5  # full audience credit never below "mostly buyers"
    audience_half: float = 1.0  # an audience this far (in log-enrichment) toward the typical seller's earns full credit
    audience_significance: float = 6.0  # -log10 p of the buyer-follower count at which the audience earns full credit
    audience_prior: float = 3.0  # pseudo-followers shrinking an audience share toward the platform rate
    audience_max: float = 2.0  # units for an audience like a typical content-found seller's
    audience_floor: float = -2.0  # most an ordinary audience can count against an account
    rate_prior_edges: float = 2000.0  # pseudo-edges shrinking a degree bin's seller-follow rate to the overall rate
    enrichment_zero: float = 3.0  # seller share of an account's follows at most this times chance earns nothing
    enrichment_full: float = 6.0  # ... and full credit from this many times chance
    indiscriminate_expected: float = 2.0  # accounts expected to hit this many sellers by following at random are judged against random following
    message_unit: float = 1.5  # per distinct seller messaged
    message_cap: float = 2.0
    interaction_unit: float = 0.5  # per distinct seller viewed / liked / commented on
    interaction_cap: float = 1.0
    search_cap: float = 1.5
    weak_search_unit: float = 0.5  # per distinct ambiguous (or newly discovered) term searched; buyer side only
    weak_search_cap: float = 1.0
    tie_units: float = 1.0  # seller units for following/messaging sellers when the audience is buyers too
    anchor_units: float = 1.0  # sellers with this much evidence of their own anchor buyers (audiences never chain)
    relationship_min: float = 1.0  # a buyer needs at least this many units from following or messaging sellers
    peer_units: float = 1.0  # followed by several anchored sellers, far beyond chance for the account's follower count
    peer_min_sellers: float = 2.0  # "several": one seller's follow is what a benign account also gets
    peer_significance: float = 6.0  # -log10 p of the anchored-seller follower count at which peers earn full credit
    destination_units: float = 2.0  # sharing a destination mostly used by sellers
    destination_seller_share: float = 0.5
    destination_max_sharers: int = 200  # destinations shared more widely are not specific
    evasion_units: float = 2.0  # for a follower-set jaccard of evasion_jaccard_full or more with a disabled seller
    evasion_jaccard_zero: float = 0.15
    evasion_jaccard_full: float = 0.35
    max_iter: int = 12
    audience_discredits_only_content: bool = True  # negative audience units never exceed the account's own-content units
    corroboration_min: float = 0.5  # audience units that corroborate own content (else a destination, evasion or media match must)
    audience_needs_tie: bool = True  # an audience corroborates only beside own words or a follow tie with sellers
    soft_audience: bool = True  # count partial buyers (fractions of a buyer) in audiences
    reported_not_followed: bool = True  # a seller the account reported is not counted among the sellers it follows or views
    history_min: float = 3.0  # accounts reported for child safety from which an account has a report history
    history_follow_factor: float = 0.5  # follow units of an account with a report history are scaled by this
    context_follow_factor: float = 0.5  # ... and of an account whose own words quote codes only in news/advocacy wording
    research_min_sellers: float = 5.0  # research pattern: follows at least this many sellers ...
    research_min_groups: int = 2  # ... in at least this many seller groups (connected parts of the sellers' follow graph) ...
    research_needs_cue: bool = True  # ... messages none, and has a report, report history or news/advocacy wording
    research_report_share: float = 0.5  # ... or: follows 2+ sellers, reported at least this share of them, messages none
    discovered_content_cap: float = 1.0  # most own-content units from discovered (unreviewed) terms
    discovered_search_cap: float = 1.0  # most search units from discovered terms searched


@dataclass(slots=True)
class AccountSignals:
    """Per-account detector evidence condensed into units (dense arrays of length n)."""

    content: np.ndarray
    ambiguous: np.ndarray
    search: np.ndarray
    reports: np.ndarray
    destination: np.ndarray  # dense destination code per account, -1 when none
    evasion: np.ndarray = field(default_factory=lambda: np.zeros(0))  # units inherited from disabled sellers
    media: np.ndarray = field(default_factory=lambda: np.zeros(0))  # hash-bank matches on the account's media
    weak_search: np.ndarray = field(default_factory=lambda: np.zeros(0))  # distinct ambiguous or newly found terms searched
    reporting: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 1.0: own writing quotes terms only in news/advocacy wording
    filed: sp.csr_matrix | None = None  # reporter x target: 1 where the account reported the target (any reason)
    history: np.ndarray = field(default_factory=lambda: np.zeros(0))  # accounts it reported for child safety
    trusted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # in the trusted-flagger registry
    discovered_content: np.ndarray = field(default_factory=lambda: np.zeros(0))  # discovered-term weights, own posts and bio
    discovered_search: np.ndarray = field(default_factory=lambda: np.zeros(0))  # discovered-term weights, searches

    @classmethod
    def zeros(cls, n: int) -> AccountSignals:
        """No signal at all for ``n`` accounts."""
        z = np.zeros(n)
        return cls(z.copy(), z.copy(), z.copy(), z.copy(), np.full(n, -1, dtype=np.int64), z.copy(), z.copy(), z.copy(), z.copy())


def _sized(values: np.ndarray, n: int, dtype: type = np.float64) -> np.ndarray:
    """``values`` if it has one entry per account, else zeros."""
    return values if values.shape[0] == n else np.zeros(n, dtype=dtype)


def seller_groups(follows: sp.csr_matrix, sellers: np.ndarray) -> np.ndarray:
    """Group number per account (``-1`` off ``sellers``): connected parts of the follow graph among the sellers.

    Sellers of one network follow each other, so a group approximates a network
    before networks are found.
    """
    from scipy.sparse.csgraph import connected_components

    idx = np.flatnonzero(sellers)
    group = np.full(sellers.shape[0], -1, dtype=np.int64)
    if idx.size == 0:
        return group
    _, labels = connected_components(follows[idx][:, idx], directed=True, connection="weak")
    group[idx] = labels
    return group


def groups_followed(follows: sp.csr_matrix, group: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Per account, how many distinct seller groups (:func:`seller_groups`) it follows a member of.

    ``rows`` (bool per account) limits the count to those accounts (others get 0): the
    product then touches only their follows.
    """
    n = group.shape[0]
    out = np.zeros(n)
    k = int(group.max(initial=-1)) + 1
    idx = np.arange(n) if rows is None else np.flatnonzero(rows)
    if k == 0 or idx.size == 0:
        return out
    has = group >= 0
    onehot = sp.csr_matrix((np.ones(int(has.sum())), (np.flatnonzero(has), group[has])), shape=(n, k))
    hit = (follows[idx] @ onehot).tocsr()
    out[idx] = np.diff(hit.indptr)
    return out


@dataclass(slots=True)
class RoleScores:
    """Result of :func:`score_roles`: units per account and per component, and the roles."""

    seller: np.ndarray  # bool
    buyer: np.ndarray  # bool
    seller_units: np.ndarray
    buyer_units: np.ndarray
    components: dict[str, np.ndarray]
    iterations: int
    rates: dict[str, float]

    def risk(self, units_to_flag: float, steepness: float = 2.0) -> np.ndarray:
        """Risk in [0, 1]: a logistic of the stronger role's units, 0.5 exactly at ``units_to_flag``."""
        units = np.maximum(self.seller_units, self.buyer_units)
        return np.asarray(1.0 / (1.0 + np.exp(-steepness * (units - units_to_flag))))


def _poisson_credit(k: np.ndarray, expected: np.ndarray, full_at: float) -> np.ndarray:
    """Credit in [0, 1] per account: -log10 P(X >= k | Poisson(expected)) / full_at, clipped."""
    credit = np.zeros_like(k, dtype=np.float64)
    pos = k > 0
    if pos.any():
        p = poisson.sf(np.ceil(k[pos]) - 1, np.maximum(expected[pos], 1e-12))
        credit[pos] = np.clip(-np.log10(np.maximum(p, 1e-300)) / full_at, 0.0, 1.0)
    return credit


def _binned_rate(k: np.ndarray, d: np.ndarray, reference: np.ndarray, prior_edges: float, floor: np.ndarray | float = 0.0) -> np.ndarray:
    """Per account, the seller share of the edges of ``reference`` accounts with a similar degree (log2 bins).

    A bot following thousands of accounts is compared with other accounts that
    follow thousands; an ordinary account with ordinary ones. Sparse bins are
    shrunk toward the overall rate with ``prior_edges`` pseudo-edges. The rate
    is never below ``floor`` (per account, or one number).
    """
    bins = np.floor(np.log2(d + 1.0)).astype(np.int64)
    nb = int(bins.max(initial=0)) + 1
    ks = np.bincount(bins[reference], weights=k[reference], minlength=nb)
    ds = np.bincount(bins[reference], weights=d[reference], minlength=nb)
    overall = max(ks.sum() / max(ds.sum(), 1.0), 1e-6)
    rate = (ks + prior_edges * overall) / (ds + prior_edges)
    return np.asarray(np.maximum(np.maximum(rate[bins], floor), 1e-6))


def _enrichment_gate(k: np.ndarray, d: np.ndarray, rate: np.ndarray | float, zero: float, full: float) -> np.ndarray:
    """0 when the share ``k / d`` is at most ``zero`` times ``rate``, 1 from ``full`` times, log-linear between."""
    share = np.divide(k, d, out=np.zeros_like(k, dtype=np.float64), where=d > 0)
    ratio = np.log(np.maximum(share, 1e-300) / rate)
    return np.asarray(np.clip((ratio - np.log(zero)) / (np.log(full) - np.log(zero)), 0.0, 1.0))


def _distinct_targets(matrix: sp.csr_matrix) -> np.ndarray:
    return np.asarray(np.diff(matrix.indptr).astype(np.float64))


def destination_units(destination: np.ndarray, seller: np.ndarray, p: RoleParams) -> np.ndarray:
    """Units for sharing an off-platform destination that is mostly used by *other* sellers."""
    units = np.zeros(destination.shape[0])
    has = destination >= 0
    if not has.any():
        return units
    codes = destination[has]
    size = np.bincount(codes)
    sellers_at = np.bincount(codes, weights=seller[has].astype(np.float64), minlength=size.shape[0])
    others = size[codes] - 1
    other_sellers = sellers_at[codes] - seller[has]
    share = np.divide(other_sellers, others, out=np.zeros_like(other_sellers, dtype=np.float64), where=others > 0)
    ok = (other_sellers >= 1) & (share >= p.destination_seller_share) & (size[codes] <= p.destination_max_sharers)
    units[np.flatnonzero(has)[ok]] = p.destination_units
    return units


def seller_peers(
    followers: sp.csr_matrix, anchor: np.ndarray, out_deg: np.ndarray, in_deg: np.ndarray, p: RoleParams, times: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per account: anchored sellers among its followers, how many chance would give it, and the peer units.

    Chance is the share of all follows that anchored sellers make, times the
    account's follower count (a popular account collects a seller's cover
    follow now and then); credit is the Poisson surprise of the count, and
    nothing below ``peer_min_sellers``. ``times(matrix, x)``, if given, computes the product
    (:func:`score_roles` passes its remembered products).
    """
    k = followers @ anchor.astype(np.float64) if times is None else times(followers, anchor)
    rate = max(float(out_deg[anchor].sum()) / max(float(out_deg.sum()), 1.0), 1e-9)
    expected = in_deg * rate
    credit = np.where(k >= p.peer_min_sellers, _poisson_credit(k, expected, p.peer_significance), 0.0)
    return k, expected, credit * p.peer_units


class _Products:
    """``matrix @ x`` remembered within one :func:`score_roles` call.

    The iterations multiply the same matrices by the same seller sets again and again (anchors
    settle before roles do; the last iteration repeats the one before), so a product already
    computed is handed back instead (read-only: nothing may change a remembered result). A
    vector is recognised by its sum and then compared in full; ``size`` products are kept.
    """

    def __init__(self, size: int = 12) -> None:
        self.size = size
        self.entries: list[tuple[int, float, np.ndarray, np.ndarray]] = []

    def __call__(self, matrix: Any, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        key, total = id(matrix), float(x.sum())
        for k, (mid, s, seen, y) in enumerate(self.entries):
            if mid == key and s == total and np.array_equal(seen, x):
                self.entries.insert(0, self.entries.pop(k))
                return y
        y = matvec(matrix, x)
        y.flags.writeable = False
        self.entries.insert(0, (key, total, x.copy(), y))
        del self.entries[self.size :]
        return y


def _audience(followers: Any, anchor: np.ndarray, b: np.ndarray, b_loo: np.ndarray, times: _Products) -> np.ndarray:
    """Buyers among each account's followers: ``followers @ b``, and ``followers @ b_loo`` on the ``anchor`` rows.

    On a SciPy CSR matrix the anchors' rows alone are multiplied by ``b_loo`` (a few thousand
    rows, not a second product over every follow); the numbers are the same either way.
    """
    everyone = times(followers, b)
    if getattr(followers, "format", None) != "csr":  # e.g. the Spark engine's matrices: products only
        return np.asarray(np.where(anchor, times(followers, b_loo), everyone))
    c = everyone.copy()
    rows = np.flatnonzero(anchor)
    if rows.size:
        c[rows] = followers[rows] @ b_loo
    return c


def score_roles(graph: Graph, signals: AccountSignals, params: RoleParams | None = None) -> RoleScores:
    """Seller and buyer roles for every account of ``graph`` from detector ``signals``.

    Returns a :class:`RoleScores`; ``components`` holds each evidence family's
    units per account (for evidence text), ``rates`` the platform rates used.
    """
    p = params or RoleParams()
    n = graph.n
    times = _Products()
    follows, followers = graph.follows, graph.followers
    out_deg = graph.out_degree.astype(np.float64)
    in_deg = graph.in_degree.astype(np.float64)
    msgs = graph.messages
    inter = graph.interactions
    inter_deg = _distinct_targets(inter)
    evasion = signals.evasion if signals.evasion.shape[0] == n else np.zeros(n)

    discovered = np.minimum(_sized(signals.discovered_content, n), p.discovered_content_cap)
    content = np.minimum(signals.content + discovered, p.content_cap)
    ambiguous = np.minimum(signals.ambiguous, p.ambiguous_cap)
    reports = np.minimum(signals.reports, p.report_cap)
    weak = signals.weak_search if signals.weak_search.shape[0] == n else np.zeros(n)
    found_search = np.minimum(_sized(signals.discovered_search, n), p.discovered_search_cap)
    search = np.minimum(signals.search + np.minimum(weak * p.weak_search_unit, p.weak_search_cap) + found_search, p.search_cap)
    reporting = (signals.reporting > 0) if signals.reporting.shape[0] == n else np.zeros(n, dtype=bool)
    looking = np.where(reporting, 0.0, 1.0)  # a reporting account's views and searches are its work
    search = search * looking
    media = signals.media if signals.media.shape[0] == n else np.zeros(n)
    trusted = _sized(signals.trusted, n, bool).astype(bool)
    history = _sized(signals.history, n)
    has_history = history >= p.history_min
    follow_factor = np.where(has_history, p.history_follow_factor, 1.0) * np.where(reporting, p.context_follow_factor, 1.0)
    filed = signals.filed if signals.filed is not None and signals.filed.shape == (n, n) and p.reported_not_followed else None
    # a seller followed (viewed) and reported: the relationship is reporting, not buying
    follows_reported = follows.multiply(filed).tocsr() if filed is not None else None
    inter_reported = inter.astype(bool).multiply(filed).tocsr() if filed is not None and inter.nnz else None
    own = content + ambiguous + reports + np.minimum(media, p.content_cap)
    seller = ((own + evasion) >= p.units_to_flag) & ~trusted
    content_sellers = seller.copy()
    anchor = seller.copy()
    buyer = np.zeros(n, dtype=bool)
    bool_msgs = msgs.astype(bool) if msgs.nnz else None
    bool_inter = inter.astype(bool) if inter.nnz else None

    def buyer_side(sellers: np.ndarray, reference: np.ndarray) -> dict[str, np.ndarray]:
        """Buyer units of every account toward ``sellers`` (rates measured on ``reference`` accounts)."""
        hard = sellers.astype(np.float64)
        k_all = times(follows, hard)
        reported = times(follows_reported, hard) if follows_reported is not None else np.zeros(n)
        k = k_all - reported
        # Ordinary accounts follow within their interests, so their peers of the same degree set
        # the chance rate. An account expected to hit several sellers even by following accounts
        # at random (a follow-everything bot) is judged against random following: the sellers'
        # share of all accounts. Its seller follows must beat that to count.
        uniform = float(hard.mean()) if n else 0.0
        floor = np.where(out_deg * uniform >= p.indiscriminate_expected, uniform, 0.0)
        null_rate = _binned_rate(k, out_deg, reference, p.rate_prior_edges, floor)
        gate = _enrichment_gate(k, out_deg, null_rate, p.enrichment_zero, p.enrichment_full)
        follow_raw = k * gate
        msg_sellers = times(bool_msgs, hard) if bool_msgs is not None else np.zeros(n)
        message_units = np.minimum(msg_sellers * p.message_unit, p.message_cap)
        int_reported = times(inter_reported, hard) if inter_reported is not None else np.zeros(n)
        int_sellers = np.maximum(times(bool_inter, hard) - msg_sellers - int_reported, 0.0) if bool_inter is not None else np.zeros(n)
        int_rate = _binned_rate(int_sellers, inter_deg, reference, p.rate_prior_edges)
        int_credit = _enrichment_gate(int_sellers, inter_deg, int_rate, p.enrichment_zero, p.enrichment_full)
        interaction_raw = np.minimum(int_sellers * int_credit * p.interaction_unit, p.interaction_cap) * looking
        # research pattern: many sellers in several groups, none messaged, beside a watcher's cue
        wide = k_all >= p.research_min_sellers
        n_groups = groups_followed(follows, seller_groups(follows, sellers), wide) if wide.any() else np.zeros(n)
        cue = (reported > 0) | (int_reported > 0) | has_history | reporting | (not p.research_needs_cue)
        many = (k_all >= p.research_min_sellers) & (n_groups >= p.research_min_groups) & cue
        # reporting most of the sellers it follows is a reporter's habit: a buyer would lose its sellers
        reports_most = (k_all >= 2) & (reported >= p.research_report_share * k_all)
        research = (many | reports_most) & (msg_sellers == 0)
        research = research & ~trusted
        cleared = research | trusted  # a trusted flagger's watching is its work: nothing counts toward buying
        follow_units = np.where(cleared, 0.0, follow_raw * follow_factor)
        interaction_units = np.where(cleared, 0.0, interaction_raw)
        searching = np.where(cleared, 0.0, search)
        return {
            "units": follow_units + message_units + interaction_units + searching,
            "relationship": follow_units + message_units,
            "follows_sellers": follow_units,
            "sellers_followed": k,
            "sellers_reported": reported + int_reported,
            "sellers_followed_reported": reported,
            "reported_units": reported * _enrichment_gate(k_all, out_deg, null_rate, p.enrichment_zero, p.enrichment_full) + np.minimum(int_reported * p.interaction_unit, p.interaction_cap) * looking,
            "discounted_units": np.where(cleared, 0.0, follow_raw - follow_raw * follow_factor),
            "research": research.astype(np.float64),
            "research_units": np.where(research, follow_raw * follow_factor + interaction_raw + search, 0.0),
            "seller_groups": n_groups,
            "follow_null_rate": null_rate,
            "messages_sellers": message_units,
            "sellers_messaged": msg_sellers,
            "interacts_sellers": interaction_units,
            "sellers_interacted": int_sellers,
        }

    comp: dict[str, np.ndarray] = {}
    rates: dict[str, float] = {}
    it = 0
    for it in range(1, p.max_iter + 1):  # noqa: B007 - the count is reported after the loop
        reference = ~buyer & ~seller
        # --- buyers anchored on sellers that have evidence of their own (never on audience alone)
        anchored = buyer_side(anchor, reference)
        units_a = np.where(seller, 0.0, anchored["units"])
        # a seller's own contribution to its followers' buyer units is not its audience (leave-one-out)
        per_seller = np.divide(anchored["follows_sellers"], anchored["sellers_followed"], out=np.zeros(n), where=anchored["sellers_followed"] > 0)
        loo = units_a - per_seller - np.minimum(anchored["messages_sellers"], p.message_unit)
        b = np.clip(units_a / p.units_to_flag, 0.0, 1.0)
        b_loo = np.clip(loo / p.units_to_flag, 0.0, 1.0)
        if not p.soft_audience:
            b, b_loo = (b >= 1.0).astype(np.float64), (b_loo >= 1.0).astype(np.float64)
        c = _audience(followers, anchor, b, b_loo, times)
        others = ~seller
        base = max(c[others].sum() / max(in_deg[others].sum(), 1.0), 1e-6)
        share = (c + p.audience_prior * base) / (in_deg + p.audience_prior)
        ref_pool = content_sellers & (in_deg >= p.audience_min_buyers)
        typical = float(np.quantile(share[ref_pool], p.audience_reference_quantile)) if ref_pool.sum() >= 3 else min(1.0, base * 10.0)
        typical = max(typical, p.audience_reference_min, base * 2.0)
        enrich = np.log(share / base) / np.log(typical / base)
        significance = _poisson_credit(c, in_deg * base, p.audience_significance)
        positive = np.minimum(np.minimum(enrich / p.audience_half, 1.0), significance)
        audience_units = np.where(enrich > 0, positive, np.maximum(enrich, p.audience_floor / p.audience_max)) * p.audience_max
        dest_units = destination_units(signals.destination, seller, p)
        peer_k, peer_expected, peer_units = seller_peers(followers, anchor, out_deg, in_deg, p, times)
        # following sellers binds an account to the network; with an audience of buyers that is a seller's profile
        tie = np.where(audience_units > 0, np.minimum(anchored["relationship"] / p.units_to_flag, 1.0) * p.tie_units, 0.0)
        evidence = own + dest_units + evasion
        # an ordinary audience discredits an account's own words, not a destination or audience it shares with sellers
        against = np.maximum(np.minimum(audience_units, 0.0), -own) if p.audience_discredits_only_content else np.minimum(audience_units, 0.0)
        seller_units = evidence + np.maximum(audience_units, 0.0) + against + tie + peer_units
        # a buyer audience says an account attracts buyers; that it sells needs a tie to the sellers too
        # (following them, being followed by them) or words of its own: buyers also follow ordinary accounts
        audience_ok = (audience_units >= p.corroboration_min) & ((own > 0) | (tie > 0) | (peer_units > 0) | (not p.audience_needs_tie))
        corroborated = audience_ok | (peer_units >= p.corroboration_min) | (dest_units > 0) | (evasion > 0) | (media > 0)
        # a place among sellers (audience, tie, peers) is shared by sellers and their best customers;
        # searching for the codes is how buyers find sellers: with no seller evidence of its own, an
        # account that searches them and qualifies as a buyer is one
        searching_buyer = (evidence <= 0) & (search > 0) & (anchored["units"] >= p.units_to_flag) & (anchored["relationship"] >= p.relationship_min)
        new_seller = (seller_units >= p.units_to_flag) & corroborated & ~searching_buyer & ~trusted
        new_anchor = new_seller & (evidence >= p.anchor_units)
        # --- every buyer, toward every seller
        full = buyer_side(new_seller, ~buyer & ~new_seller)
        new_buyer = (full["units"] >= p.units_to_flag) & (full["relationship"] >= p.relationship_min) & ~new_seller & ~trusted
        comp = {
            "content": content,
            "ambiguous": ambiguous,
            "reports": reports,
            "media": media,
            "audience": audience_units,
            "buyer_followers": c,
            "destination": dest_units,
            "evasion": evasion,
            "tie": tie,
            "peers": peer_units,
            "seller_followers": peer_k,
            "peer_expected": peer_expected,
            "search": search,
            "weak_search": weak,
            "reporting": reporting.astype(np.float64),
            "history": history,
            "trusted": trusted.astype(np.float64),
            "discovered_content": discovered,
            "discovered_search": found_search,
            **{k: v for k, v in full.items() if k not in ("units", "relationship")},
        }
        buyer_units = full["units"]
        rates = {
            "seller_rate": float(new_seller.mean()) if n else 0.0,
            "follow_null_rate": float(np.median(full["follow_null_rate"][out_deg > 0])) if (out_deg > 0).any() else 0.0,
            "buyer_follower_rate": base,
            "typical_seller_audience": typical,
        }
        stable = np.array_equal(new_seller, seller) and np.array_equal(new_buyer, buyer) and np.array_equal(new_anchor, anchor)
        seller, buyer, anchor = new_seller, new_buyer, new_anchor
        if stable:
            break
    return RoleScores(
        seller=seller,
        buyer=buyer,
        seller_units=seller_units,
        buyer_units=np.where(seller, 0.0, buyer_units),
        components=comp,
        iterations=it,
        rates=rates,
    )
