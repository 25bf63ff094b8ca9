import numpy as np
import pytest

from firebreak.graph.csr import adjacency, Graph
from firebreak.graph.ids import IdMap
from firebreak.graph.roles import AccountSignals, RoleParams, destination_units, score_roles


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
    g = graph_from(n, src, dst)
    sig = AccountSignals.zeros(n)
    sig.content[:20] = 2.0  # two thirds of the sellers have terms, a third are silent
    r = score_roles(g, sig)
    assert r.seller[:30].all(), "silent sellers are found through their audience of buyers"
    assert r.buyer[30:230].mean() >= 0.95
    assert not r.seller[30:].any() and not r.buyer[230:].any()
    assert r.components["audience"][20:30].min() > 0
    assert np.all((r.risk()[r.seller | r.buyer]) >= 0.5) and np.all(r.risk()[~(r.seller | r.buyer)] < 0.5)


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
