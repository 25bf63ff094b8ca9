import numpy as np
import pytest

from firebreak.graph.csr import Graph, adjacency
from firebreak.graph.ids import IdMap
from firebreak.graph.roles import AccountSignals, RoleParams, destination_units, score_roles, seller_peers


def graph_from(n, src, dst, msg_src=(), msg_dst=()):
    ids = IdMap.from_ids([f"a{i}" for i in range(n)])
    follows = adjacency(np.asarray(src), np.asarray(dst), n, binary=True)
    messages = adjacency(np.asarray(msg_src, dtype=np.int64), np.asarray(msg_dst, dtype=np.int64), n)
    return Graph(ids=ids, follows=follows, interactions=4.0 * messages, messages=messages)


def base_case(toy, seed=0, **kw):
    rng = np.random.default_rng(seed)
    n, src, dst = toy(rng, **kw)
    return rng, n, src, dst


def test_content_sellers_find_buyers_and_silent_sellers(toy) -> None:
    rng, n, src, dst = base_case(toy)
    # sellers of a network follow each other: each silent seller follows two sellers with terms
    tie_src = np.repeat(np.arange(20, 30), 2)
    tie_dst = rng.integers(0, 20, tie_src.size)
    g = graph_from(n, np.concatenate([src, tie_src]), np.concatenate([dst, tie_dst]))
    sig = AccountSignals.zeros(n)
    sig.content[:20] = 2.0  # two thirds of the sellers have terms, a third are silent
    r = score_roles(g, sig)
    assert r.seller[:30].all(), "silent sellers are found through their audience of buyers"
    assert r.buyer[30:230].mean() >= 0.95
    assert not r.seller[30:].any() and not r.buyer[230:].any()
    assert r.components["audience"][20:30].min() > 0
    risk = r.risk(RoleParams().units_to_flag)
    assert np.all(risk[r.seller | r.buyer] >= 0.5) and np.all(risk[~(r.seller | r.buyer)] < 0.5)


@pytest.mark.parametrize("targeted", [False, True])
def test_follow_for_follow_bot_is_not_a_buyer(toy, targeted) -> None:
    rng, n, src, dst = base_case(toy)
    bot = n  # a new account following 1,200 accounts, sellers among them by chance (or all of them)
    if targeted:
        targets = np.concatenate([np.arange(30), rng.choice(np.arange(230, n), 1170, replace=False)])
    else:
        targets = rng.choice(np.concatenate([np.arange(30), np.arange(230, n)]), 1200, replace=False)
    g = graph_from(n + 1, np.concatenate([src, np.full(targets.size, bot)]), np.concatenate([dst, targets]))
    sig = AccountSignals.zeros(n + 1)
    sig.content[:30] = 2.0
    r = score_roles(g, sig)
    assert r.components["sellers_followed"][bot] >= (30 if targeted else 10)
    assert not r.buyer[bot] and r.buyer_units[bot] < 1.0


def test_single_follow_is_not_enough_but_follow_plus_search_or_message_is(toy) -> None:
    rng, n, src, dst = base_case(toy)
    lone, searcher, messenger = n, n + 1, n + 2
    extra_src = [lone, searcher, messenger]
    extra_dst = [0, 0, 0]
    g = graph_from(n + 3, np.concatenate([src, extra_src]), np.concatenate([dst, extra_dst]), msg_src=[messenger], msg_dst=[0])
    sig = AccountSignals.zeros(n + 3)
    sig.content[:30] = 2.0
    sig.search[searcher] = 1.0
    r = score_roles(g, sig)
    assert not r.buyer[lone] and r.buyer_units[lone] == pytest.approx(1.0)
    assert r.buyer[searcher] and r.buyer[messenger]


def test_search_alone_is_not_a_buyer() -> None:
    g = graph_from(5, [0, 1], [1, 2])
    sig = AccountSignals.zeros(5)
    sig.search[3] = 5.0
    r = score_roles(g, sig)
    assert not r.buyer[3]


def test_content_with_ordinary_audience_is_not_a_seller(toy) -> None:
    """A journalist quoting the hashtags, followed by hundreds of ordinary accounts."""
    rng, n, src, dst = base_case(toy)
    journalist = 240
    fans = rng.choice(np.arange(250, n), 300, replace=False)
    g = graph_from(n, np.concatenate([src, fans]), np.concatenate([dst, np.full(fans.size, journalist)]))
    sig = AccountSignals.zeros(n)
    sig.content[:30] = 2.0
    sig.content[journalist] = 3.0
    r = score_roles(g, sig)
    assert not r.seller[journalist]
    assert r.components["audience"][journalist] < 0


def test_ambiguous_hits_and_reports_alone_never_flag() -> None:
    g = graph_from(4, [0, 1], [1, 2])
    sig = AccountSignals.zeros(4)
    sig.ambiguous[:] = 10.0
    sig.reports[:] = 10.0
    r = score_roles(g, sig)
    assert not r.seller.any()
    assert r.seller_units.max() <= RoleParams().ambiguous_cap + RoleParams().report_cap + 1e-9


def test_shared_destination_with_sellers_flags_a_silent_seller(toy) -> None:
    rng, n, src, dst = base_case(toy)
    silent = n  # no followers, no terms: only the destination
    g = graph_from(n + 1, src, dst)
    sig = AccountSignals.zeros(n + 1)
    sig.content[:30] = 2.0
    sig.destination[[0, 1, 2, silent]] = 7
    sig.destination[[300, 301]] = 8  # two benign accounts sharing a link among themselves
    r = score_roles(g, sig)
    assert r.seller[silent] and r.components["destination"][silent] > 0
    assert not r.seller[300] and not r.seller[301]


def test_destination_units_need_mostly_sellers() -> None:
    p = RoleParams()
    dest = np.array([1, 1, 1, 1, 2, 2, -1])
    seller = np.array([True, False, False, False, True, False, False])
    u = destination_units(dest, seller, p)
    assert u[1] == 0  # 1 of 3 other sharers is a seller
    assert u[5] == p.destination_units  # the only other sharer is a seller
    assert u[4] == 0 and u[6] == 0


def _audience_case(toy, extra_src=(), extra_dst=()):
    """The toy platform plus account ``n`` followed by 40 of the buyers (an audience made mostly of buyers)."""
    rng, n, src, dst = base_case(toy)
    target = n
    fans = rng.choice(np.arange(30, 230), 40, replace=False)
    g = graph_from(
        n + 1,
        np.concatenate([src, fans, np.asarray(extra_src, dtype=np.int64)]),
        np.concatenate([dst, np.full(fans.size, target), np.asarray(extra_dst, dtype=np.int64)]),
    )
    sig = AccountSignals.zeros(n + 1)
    sig.content[:30] = 2.0
    return g, sig, target


def test_buyer_audience_without_a_tie_to_sellers_is_not_a_seller(toy) -> None:
    """Buyers follow ordinary accounts too: an audience of buyers alone says an account attracts them, not that it sells."""
    g, sig, target = _audience_case(toy)
    r = score_roles(g, sig)
    assert r.components["audience"][target] >= RoleParams().corroboration_min
    assert not r.seller[target]
    assert score_roles(g, sig, RoleParams(audience_needs_tie=False)).seller[target]


def test_buyer_audience_with_a_follow_tie_to_sellers_is_a_seller(toy) -> None:
    n = base_case(toy)[1]
    g, sig, target = _audience_case(toy, extra_src=[n, n], extra_dst=[0, 1])
    r = score_roles(g, sig)
    assert r.seller[target] and r.components["tie"][target] > 0


def test_seller_peers_find_a_silent_seller_with_a_thin_audience(toy) -> None:
    """Followed by four sellers with terms (sellers follow each other) and four buyers: a silent seller."""
    rng, n, src, dst = base_case(toy)
    silent, popular = n, n + 1
    fans = rng.choice(np.arange(250, n), 400, replace=False)  # a popular benign account: 400 fans, 2 sellers
    e_src = [0, 1, 2, 3, 30, 31, 32, 33, silent, *fans.tolist(), 4, 5]
    e_dst = [silent] * 8 + [0] + [popular] * 400 + [popular, popular]
    g = graph_from(n + 2, np.concatenate([src, e_src]), np.concatenate([dst, e_dst]))
    sig = AccountSignals.zeros(n + 2)
    sig.content[:30] = 2.0
    r = score_roles(g, sig)
    assert r.components["seller_followers"][silent] == 4 and r.components["peers"][silent] > 0
    assert r.seller[silent]
    # two sellers among 400 followers are far likelier by chance than four among eight
    assert r.components["seller_followers"][popular] == 2
    assert r.components["peers"][popular] < r.components["peers"][silent] / 2
    assert not r.seller[popular]
    # without the peers the thin audience is not enough
    assert not score_roles(g, sig, RoleParams(peer_units=0.0)).seller[silent]


def test_seller_peers_count_only_anchored_sellers_and_need_several() -> None:
    p = RoleParams()
    # 0..3 anchored sellers follow 10; 4 (not anchored) follows 11 with 0; 0 alone follows 12
    src = np.array([0, 1, 2, 3, 4, 0, 0])
    dst = np.array([10, 10, 10, 10, 11, 11, 12])
    n = 200
    g = graph_from(n, src, dst)
    anchor = np.zeros(n, dtype=bool)
    anchor[:4] = True
    k, expected, units = seller_peers(g.followers, anchor, g.out_degree.astype(float), g.in_degree.astype(float), p)
    assert k[10] == 4 and units[10] > 0
    assert k[11] == 1 and units[11] == 0  # the second follower is no anchor: one seller is not "several"
    assert k[12] == 1 and units[12] == 0
    assert np.all(units <= p.peer_units) and np.all(expected >= 0)


def _journalist_graph(toy, follows_sellers):
    """The toy platform plus account ``n`` that follows ``follows_sellers`` sellers and views sellers 5 and 6."""
    rng, n, src, dst = base_case(toy)
    j = n
    ids = IdMap.from_ids([f"a{i}" for i in range(n + 1)])
    f_src = np.concatenate([src, np.full(len(follows_sellers), j)])
    f_dst = np.concatenate([dst, np.asarray(follows_sellers, dtype=np.int64)])
    follows = adjacency(f_src, f_dst, n + 1, binary=True)
    views = adjacency(np.array([j, j]), np.array([5, 6]), n + 1)
    empty = adjacency(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), n + 1)
    g = Graph(ids=ids, follows=follows, interactions=views, messages=empty)
    sig = AccountSignals.zeros(n + 1)
    sig.content[:30] = 2.0
    sig.search[j] = 0.3
    sig.weak_search[j] = 2.0
    return g, sig, j


def test_reporting_account_earns_nothing_for_looking_and_searching(toy) -> None:
    """A journalist who follows one seller, opens two sellers' profiles and searches the terms it writes about."""
    g, sig, j = _journalist_graph(toy, [0])
    assert score_roles(g, sig).buyer[j], "the same behaviour without news wording is a buyer's"
    sig.reporting[j] = 1.0
    r = score_roles(g, sig)
    assert not r.buyer[j]
    assert r.components["interacts_sellers"][j] == 0 and r.components["follows_sellers"][j] > 0
    assert r.buyer_units[j] == pytest.approx(r.components["follows_sellers"][j])


def test_reporting_account_is_still_a_buyer_by_its_relationships(toy) -> None:
    """News or advocacy wording halves follow units (counter-evidence): enough sellers followed still make a buyer."""
    g, sig, j = _journalist_graph(toy, [0, 1, 2, 3])
    sig.reporting[j] = 1.0
    r = score_roles(g, sig)
    assert r.buyer[j]
    assert r.components["discounted_units"][j] == pytest.approx(r.components["follows_sellers"][j])
    g3, sig3, j3 = _journalist_graph(toy, [0, 1, 2])
    assert score_roles(g3, sig3).buyer[j3], "three sellers followed without news wording is a buyer"
    sig3.reporting[j3] = 1.0
    assert not score_roles(g3, sig3).buyer[j3], "... and with it, half of that is not enough"


def test_a_searching_customer_among_sellers_is_a_buyer_not_a_seller(toy) -> None:
    """Follows three sellers, is followed back by three and by ten buyers: a seller's place, but it searches the codes."""
    rng, n, src, dst = base_case(toy)
    x = n
    fans = rng.choice(np.arange(30, 230), 10, replace=False)
    e_src = [x, x, x, 3, 4, 5, *fans.tolist()]
    e_dst = [0, 1, 2, x, x, x, *[x] * fans.size]
    g = graph_from(n + 1, np.concatenate([src, e_src]), np.concatenate([dst, e_dst]))
    sig = AccountSignals.zeros(n + 1)
    sig.content[:30] = 2.0
    r = score_roles(g, sig)
    assert r.seller[x], "without a buyer's search, its place among sellers makes it one"
    sig.search[x] = 0.5
    r = score_roles(g, sig)
    assert not r.seller[x] and r.buyer[x]
    sig.content[x] = 1.0  # seller evidence of its own keeps it a seller
    assert score_roles(g, sig).seller[x]


def test_follow_everything_bots_among_heavy_ordinary_followers_are_not_buyers(toy) -> None:
    """Ordinary heavy followers follow only within their interests (no sellers), so their
    degree bin's seller rate is near zero; bots that follow as many accounts at random hit
    sellers at the sellers' share of accounts. That is chance, not buying."""
    rng, n, src, dst = base_case(toy, n_benign=6000, sellers=60, buyers=300)
    heavy = np.arange(n, n + 200)  # ordinary accounts following 1,200 benign accounts each
    bots = np.arange(n + 200, n + 240)  # bots following 1,200 accounts drawn from everyone
    per = 1200
    extra_src = np.concatenate([np.repeat(heavy, per), np.repeat(bots, per)])
    extra_dst = np.concatenate(
        [rng.choice(np.arange(360, n), per, replace=False) for _ in heavy] + [rng.choice(n, per, replace=False) for _ in bots]
    )
    total = n + 240
    g = graph_from(total, np.concatenate([src, extra_src]), np.concatenate([dst, extra_dst]))
    sig = AccountSignals.zeros(total)
    sig.content[:60] = 2.0
    r = score_roles(g, sig)
    assert r.components["sellers_followed"][bots].mean() > 5  # each follows several sellers by chance
    assert r.components["sellers_followed"][heavy].max() == 0
    assert not r.buyer[bots].any()
    assert r.buyer[60:360].mean() >= 0.9  # real buyers (a few sellers among few follows) are still found
