"""Watchers are not buyers: reports, report history, news wording, the research pattern and trusted flaggers."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from firebreak.graph.csr import Graph, adjacency
from firebreak.graph.ids import IdMap
from firebreak.graph.roles import AccountSignals, groups_followed, score_roles, seller_groups

GROUPS = 5  # sellers 0..29 in five groups of six that follow each other (five networks)


def _platform(toy, watcher_follows, *, messages=()):
    """The toy platform (30 sellers, 200 buyers, benign after) plus account ``w`` following ``watcher_follows``."""
    rng = np.random.default_rng(3)
    n, src, dst = toy(rng)
    w = n
    ring_src = np.arange(30)
    ring_dst = (ring_src // 6) * 6 + (ring_src % 6 + 1) % 6
    f_src = np.concatenate([src, ring_src, np.full(len(watcher_follows), w)])
    f_dst = np.concatenate([dst, ring_dst, np.asarray(watcher_follows, dtype=np.int64)])
    m_src = np.full(len(messages), w, dtype=np.int64)
    msgs = adjacency(m_src, np.asarray(messages, dtype=np.int64), n + 1)
    g = Graph(ids=IdMap.from_ids([f"a{i}" for i in range(n + 1)]), follows=adjacency(f_src, f_dst, n + 1, binary=True), interactions=4.0 * msgs, messages=msgs)
    sig = AccountSignals.zeros(n + 1)
    sig.content[:30] = 2.0
    return g, sig, w


def _filed(n: int, reporter: int, targets) -> sp.csr_matrix:
    t = np.asarray(targets, dtype=np.int64)
    return sp.csr_matrix((np.ones(t.size), (np.full(t.size, reporter), t)), shape=(n, n))


def _spread(per_group: int) -> list[int]:
    return [g * 6 + i for g in range(GROUPS) for i in range(per_group)]


def test_researcher_following_20_sellers_across_5_networks_and_reporting_is_not_a_buyer(toy) -> None:
    follows = _spread(4)  # 20 sellers, 4 in each of the 5 groups
    g, sig, w = _platform(toy, follows)
    assert score_roles(g, sig).buyer[w], "the same follows with no report are a buyer's"
    sig.filed = _filed(g.n, w, follows[::4])  # reports 5 of the 20
    r = score_roles(g, sig)
    assert not r.buyer[w] and not r.seller[w]
    assert r.components["research"][w] == 1.0
    assert r.components["seller_groups"][w] == GROUPS
    assert r.components["research_units"][w] > 2.0  # what it would have counted, shown as counter-evidence
    assert r.buyer[30:230].mean() >= 0.95, "the real buyers stay buyers"


def test_research_pattern_needs_no_messages(toy) -> None:
    follows = _spread(4)
    g, sig, w = _platform(toy, follows, messages=[0])
    sig.filed = _filed(g.n, w, follows[::4])
    r = score_roles(g, sig)
    assert r.components["research"][w] == 0.0
    assert r.buyer[w], "messaging a seller is a buyer's signal: following 15 unreported sellers and messaging one is buying"


def test_report_history_or_news_wording_is_a_research_cue(toy) -> None:
    follows = _spread(2)  # 10 sellers in 5 groups, none reported
    for cue in ("history", "reporting"):
        g, sig, w = _platform(toy, follows)
        sig.history = np.zeros(g.n)
        if cue == "history":
            sig.history[w] = 5.0
        else:
            sig.reporting[w] = 1.0
        r = score_roles(g, sig)
        assert not r.buyer[w] and r.components["research"][w] == 1.0, cue


def test_reporting_the_sellers_it_follows_clears_an_advocate(toy) -> None:
    g, sig, w = _platform(toy, [0, 7, 13])
    assert score_roles(g, sig).buyer[w]
    sig.filed = _filed(g.n, w, [0, 7, 13])
    r = score_roles(g, sig)
    assert not r.buyer[w]
    assert r.components["sellers_reported"][w] == 3 and r.components["reported_units"][w] > 0


def test_a_real_buyer_who_reported_one_seller_is_still_a_buyer(toy) -> None:
    g, sig, w = _platform(toy, [0, 1, 2, 3], messages=[1])
    sig.filed = _filed(g.n, w, [2])
    r = score_roles(g, sig)
    assert r.buyer[w]
    assert r.components["sellers_reported"][w] == 1 and r.components["sellers_followed"][w] == 3


def test_a_report_history_discounts_follows(toy) -> None:
    g, sig, w = _platform(toy, [0, 1, 2])
    assert score_roles(g, sig).buyer[w]
    sig.history = np.zeros(g.n)
    sig.history[w] = 4.0
    r = score_roles(g, sig)
    assert not r.buyer[w] and r.components["discounted_units"][w] > 0


def test_a_trusted_flagger_is_never_a_buyer_nor_a_seller(toy) -> None:
    g, sig, w = _platform(toy, _spread(4), messages=[0, 6])
    assert score_roles(g, sig).buyer[w]
    sig.trusted = np.zeros(g.n, dtype=bool)
    sig.trusted[w] = True
    sig.content[w] = 3.0
    r = score_roles(g, sig)
    assert not r.buyer[w] and not r.seller[w]
    sig.trusted[3] = True  # a trusted account is never a seller, whatever its content and audience
    r = score_roles(g, sig)
    assert not r.seller[3] and r.seller[np.r_[0:3, 4:30]].all()


def test_seller_groups_are_the_networks(toy) -> None:
    g, _, _ = _platform(toy, [])
    sellers = np.zeros(g.n, dtype=bool)
    sellers[:30] = True
    group = seller_groups(g.follows, sellers)
    assert len(np.unique(group[:30])) == GROUPS and (group[30:] == -1).all()
    k = groups_followed(g.follows, group)
    assert k.max() <= GROUPS


def test_reporting_most_of_the_sellers_it_follows_is_a_reporters_habit(toy) -> None:
    g, sig, w = _platform(toy, [0, 1, 2])
    sig.filed = _filed(g.n, w, [0, 1])
    r = score_roles(g, sig)
    assert not r.buyer[w] and r.components["research"][w] == 1.0
    g, sig, w = _platform(toy, [0, 1, 2, 3])
    sig.filed = _filed(g.n, w, [0])
    r = score_roles(g, sig)
    assert r.buyer[w] and r.components["research"][w] == 0.0, "one seller reported of four followed: still a buyer"


def test_groups_followed_for_some_rows_matches_all_rows(toy) -> None:
    g, _, w = _platform(toy, _spread(3))
    sellers = np.zeros(g.n, dtype=bool)
    sellers[:30] = True
    group = seller_groups(g.follows, sellers)
    every = groups_followed(g.follows, group)
    rows = np.zeros(g.n, dtype=bool)
    rows[[w, 31, 40]] = True
    some = groups_followed(g.follows, group, rows)
    assert np.array_equal(some[rows], every[rows]) and (some[~rows] == 0).all()
    assert every[w] == GROUPS
