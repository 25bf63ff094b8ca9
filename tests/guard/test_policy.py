import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from firebreak.graph.ids import IdMap
from firebreak.guard.decisions import REASONS, DecisionLog
from firebreak.guard.matrices import indicator
from firebreak.guard.policy import Guard
from firebreak.guard.recommender import CoFollowRecommender

IDS = IdMap.from_ids([f"a{i}" for i in range(10)])
MINOR = np.array([False, False, False, False, False, False, False, True, True, False])


def _scores(rows: list[tuple[str, float, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"account": pl.String, "risk": pl.Float64, "role": pl.String, "network": pl.String}, orient="row"
    )


def _guard(**params) -> Guard:
    scores = _scores(
        [
            ("a0", 0.9, "seller", "n1"),
            ("a1", 0.8, "buyer", "n1"),
            ("a2", 0.7, "none", None),  # risk above the threshold, no role
            ("a3", 0.3, "none", None),  # suspicious, below the block threshold: buyer-like only
            ("a4", 0.1, "none", None),  # harmless
        ]
    )
    networks = pl.DataFrame({"id": ["n1"], "members": [["a0", "a1", "a5"]]})
    return Guard(block_search_terms=False, **params).fit(
        IDS, scores, networks=networks, minor=MINOR, under_review=["a6"]
    ).logged(DecisionLog())


def _allowed(g: Guard, viewer: int, candidates) -> np.ndarray:
    c = np.asarray(candidates)
    return g.allowed(np.full(c.size, viewer), c)


def test_params_only_in_constructor_fitted_state_ends_in_underscore():
    g = Guard(risk_threshold=0.7)
    assert g.get_params()["risk_threshold"] == 0.7
    assert not [k for k in vars(g) if k.endswith("_")]
    assert clone(g).get_params() == g.get_params()
    fitted = _guard()
    assert {"reason_", "blocked_", "buyer_like_", "minor_"} <= {k for k in vars(fitted) if k.endswith("_")}


def test_flagged_roles_networks_risk_and_review_are_never_allowed():
    g = _guard()
    ok = _allowed(g, 9, np.arange(10))
    assert ok.tolist() == [False, False, False, True, True, False, False, True, True, True]
    assert REASONS[g.reason_[0]] == "flagged_seller"
    assert REASONS[g.reason_[1]] == "flagged_buyer"
    assert REASONS[g.reason_[2]] == "risk_above_threshold"
    assert REASONS[g.reason_[5]] == "flagged_network"
    assert REASONS[g.reason_[6]] == "under_review"
    assert g.log_.counts() == {
        "flagged_seller": 1,
        "flagged_buyer": 1,
        "risk_above_threshold": 1,
        "flagged_network": 1,
        "under_review": 1,
    }


def test_thresholds_and_switches_are_parameters():
    assert _allowed(_guard(risk_threshold=0.95), 9, [2])[0]
    assert _allowed(_guard(hold_under_review=False), 9, [6])[0]
    assert not _allowed(_guard(risk_threshold=0.25), 9, [3])[0]


def test_buyer_like_viewer_is_never_shown_minors():
    g = _guard()
    assert _allowed(g, 9, [7, 8]).all()  # an ordinary adult sees minors' accounts
    assert not _allowed(g, 3, [7, 8]).any()  # a suspicious adult does not
    assert _allowed(g, 3, [4, 9]).all()  # ...but still sees adults
    assert g.log_.counts()["minor_protection"] == 2


def test_minors_are_never_shown_buyer_like_accounts():
    g = _guard()
    assert not _allowed(g, 7, [3])[0]
    assert _allowed(g, 7, [4, 8, 9]).all()
    # a viewer outside the platform declared a minor gets the same protection
    assert not g.allowed(np.array([-1]), np.array([3]), viewer_minor=np.array([True]))[0]
    assert g.allowed(np.array([-1]), np.array([3]))[0]


def test_minor_protection_can_be_switched_off():
    g = _guard(protect_minors=False)
    assert _allowed(g, 3, [7, 8]).all()


def test_filter_csr_and_filter_ranked_agree_with_allowed():
    g = _guard()
    cand = np.array([[0, 4, 7, 9], [4, 8, 2, -1]])
    ranked = g.filter_ranked(np.array([3, 7]), cand)
    assert ranked.tolist() == [[-1, 4, -1, 9], [4, 8, -1, -1]]
    m = sp.csr_matrix((np.ones(7, np.float32), ([0, 0, 0, 0, 1, 1, 1], [0, 4, 7, 9, 4, 8, 2])), shape=(2, 10))
    kept = g.filter_csr(np.array([3, 7]), m).toarray() > 0
    assert np.flatnonzero(kept[0]).tolist() == [4, 9]
    assert np.flatnonzero(kept[1]).tolist() == [4, 8]


def test_flagged_seeds_do_not_generate_suggestions():
    g = _guard()
    seeds = indicator(2, 10, np.array([[0, 4], [9, -1]]))
    masked = g.mask_seeds(seeds).toarray()
    assert masked[0].tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert g.log_.counts()["flagged_seed"] == 1
    assert _guard(suppress_flagged_seeds=False).mask_seeds(seeds).nnz == 3


def test_guarded_recommender_never_returns_refused_accounts(toy, abusive):
    """Flags = ground truth: every viewer, every slot is clean; the minors rule holds for every pair."""
    _, labels, p = toy
    from firebreak.lab.oracle import scores_from_labels

    o = scores_from_labels(labels)
    g = Guard(block_search_terms=False).fit(p.ids, o.scores, networks=o.networks, minor=p.minor)
    rec = CoFollowRecommender().fit(p.follows, p.views, p.active)
    users = np.arange(p.n)
    r = rec.recommend(p.follows, k=10, viewers=users, guard=g)
    shown = r.idx[r.idx >= 0]
    assert shown.size > 0.9 * r.idx.size
    assert not abusive[shown].any()
    # unguarded, buyers are shown sellers: the guard is doing the work
    u = rec.recommend(p.follows, k=10, viewers=users)
    assert abusive[u.idx[u.idx >= 0]].mean() > 0.05


def test_guarded_recommender_keeps_minors_away_from_suspicious_adults(toy):
    _, _, p = toy
    # mark three benign adults as suspicious (risk between the two thresholds)
    adults = np.flatnonzero(~p.minor)[:3]
    scores = _scores([(p.ids.decode([a])[0], 0.3, "none", None) for a in adults])
    g = Guard(block_search_terms=False).fit(p.ids, scores, minor=p.minor)
    rec = CoFollowRecommender().fit(p.follows, p.views, p.active)
    r = rec.recommend(p.follows[adults], k=30, viewers=adults, guard=g)
    assert not p.minor[r.idx[r.idx >= 0]].any()
    plain = rec.recommend(p.follows[adults], k=30, viewers=adults)
    assert p.minor[plain.idx[plain.idx >= 0]].any()
    minors = np.flatnonzero(p.minor)
    rm = rec.recommend(p.follows[minors], k=30, viewers=minors, guard=g)
    assert not np.isin(rm.idx, adults).any()


@pytest.mark.parametrize("evidence_signal", ["graph:follows_sellers", "graph:interacts_sellers", "search:coded_term"])
def test_buyerish_evidence_makes_an_account_buyer_like(evidence_signal):
    scores = pl.DataFrame(
        {
            "account": ["a4"],
            "risk": [0.05],
            "role": ["none"],
            "network": [None],
            "evidence": [[{"signal": evidence_signal, "detail": "x", "weight": 0.1}]],
        },
        schema_overrides={"network": pl.String},
    )
    g = Guard(block_search_terms=False).fit(IDS, scores, minor=MINOR)
    assert g.buyer_like_[4] and not g.blocked_[4]
    assert not _allowed(g, 4, [7])[0]


def test_an_audience_of_buyers_does_not_make_an_account_buyer_like():
    """``graph:buyer_audience`` describes who follows an account, not what it seeks."""
    scores = pl.DataFrame(
        {
            "account": ["a4"],
            "risk": [0.05],
            "role": ["none"],
            "network": [None],
            "evidence": [[{"signal": "graph:buyer_audience", "detail": "x", "weight": 0.1}]],
        },
        schema_overrides={"network": pl.String},
    )
    g = Guard(block_search_terms=False).fit(IDS, scores, minor=MINOR)
    assert not g.buyer_like_[4]


def test_csr_fast_path_agrees_with_the_pairwise_rule():
    g = _guard()
    rng = np.random.default_rng(5)
    for seed in range(20):
        m = sp.random(12, 10, density=0.5, format="csr", random_state=seed, dtype=np.float32)
        viewers = rng.integers(-1, 10, 12)
        minor = rng.random(12) < 0.2
        from firebreak.guard.matrices import row_ids

        rows = row_ids(m)
        fast = g.refused(rows, m.indices, viewers, viewer_minor=minor, indptr=m.indptr)
        slow = g.refused(rows, m.indices, viewers, viewer_minor=minor)
        pairwise = ~g.allowed(viewers[rows], m.indices, viewer_minor=minor[rows])
        assert (fast == slow).all() and (fast == pairwise).all()


def test_using_a_guard_never_changes_its_fitted_state():
    """Refusals go to the log handed to ``logged``; the fitted guard itself stays as fitted."""
    fitted = _guard().__class__(block_search_terms=False).fit(IDS, _scores([("a0", 0.9, "seller", None)]), minor=MINOR)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(fitted).items()}
    log = DecisionLog(record=True)
    assert not _allowed(fitted.logged(log), 9, [0])[0]
    assert not _allowed(fitted, 9, [0])[0]
    assert log.counts() == {"flagged_seller": 1} and log.decisions().height == 1
    assert fitted.log_ is None
    for k, v in vars(fitted).items():
        assert np.array_equal(v, before[k]) if isinstance(v, np.ndarray) else v is before[k], k


@given(
    viewer=st.integers(-1, 9),
    candidates=st.lists(st.integers(-1, 9), max_size=30),
    protect=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_refusals_for_one_viewer_agree_with_refused(viewer: int, candidates: list[int], protect: bool) -> None:
    g, reference = _guard(protect_minors=protect), _guard(protect_minors=protect)
    cand = np.asarray(candidates, dtype=np.int64)
    codes = g.refusals_for(viewer, cand, surface="suggested")
    known = cand >= 0
    bad = np.zeros(cand.size, dtype=bool)
    bad[known] = reference.refused(np.zeros(int(known.sum()), dtype=np.int64), cand[known], np.array([viewer]))
    assert ((codes > 0) == bad).all()
    expected = np.where(g.reason_[np.where(known, cand, 0)] == 0, REASONS.index("minor_protection"), g.reason_[np.where(known, cand, 0)])
    assert (codes[bad] == expected[bad]).all()
    assert g.log_ is not None and reference.log_ is not None and g.log_.counts() == reference.log_.counts()
