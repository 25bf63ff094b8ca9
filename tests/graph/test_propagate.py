import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.graph.propagate import personalized_pagerank, transition_transpose

graphs = st.integers(2, 30).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.1, 5.0)), max_size=120),
        st.lists(st.floats(0.0, 3.0), min_size=n, max_size=n).filter(lambda s: sum(s) > 0),
        st.floats(0.05, 0.95),
    )
)


def _matrix(n, edges):
    if not edges:
        return sp.csr_matrix((n, n))
    s, d, w = zip(*edges)
    return sp.csr_matrix((w, (s, d)), shape=(n, n))


@settings(max_examples=80, deadline=None)
@given(graphs)
def test_mass_conserved_and_matches_dense_solution(case) -> None:
    n, edges, seeds, alpha = case
    a = _matrix(n, edges)
    res = personalized_pagerank(a, np.array(seeds), alpha=alpha, tol=1e-13, max_iter=2000)
    assert res.scores.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(res.scores >= 0)
    # closed form: x = (1-alpha) r + alpha (P^T x + dangling mass * r)
    pt, dangling = transition_transpose(a)
    r = np.array(seeds) / sum(seeds)
    m = alpha * (pt.toarray() + np.outer(r, dangling.astype(float)))
    exact = np.linalg.solve(np.eye(n) - m, (1 - alpha) * r)
    assert np.allclose(res.scores, exact, atol=1e-7)


def test_every_iteration_conserves_mass() -> None:
    rng = np.random.default_rng(1)
    a = sp.random(200, 200, density=0.02, random_state=2, format="csr")
    seeds = rng.random(200)
    for it in (1, 2, 5, 17):
        res = personalized_pagerank(a, seeds, max_iter=it, tol=0.0)
        assert res.iterations == it
        assert res.scores.sum() == pytest.approx(1.0, abs=1e-12)


def test_mass_flows_from_seed_along_edges() -> None:
    # 0 -> 1 -> 2, 3 isolated
    a = _matrix(4, [(0, 1, 1.0), (1, 2, 1.0)])
    res = personalized_pagerank(a, np.array([1.0, 0, 0, 0]), alpha=0.8)
    s = res.scores
    assert s[0] > s[1] > s[2] > 0 and s[3] == 0


def test_bad_seeds_rejected() -> None:
    a = _matrix(3, [(0, 1, 1.0)])
    with pytest.raises(ValueError):
        personalized_pagerank(a, np.zeros(3))
    with pytest.raises(ValueError):
        personalized_pagerank(a, np.array([1.0, -1.0, 1.0]))


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 30).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from([0.5, 1.0, 2.0, 4.0])), max_size=120),
        )
    )
)
def test_transition_from_the_transpose_is_the_transposed_transition_bit_for_bit(case) -> None:
    """Counts and multiples of 0.5 (the scan's weights) sum exactly: the in-place build gives the same numbers."""
    from firebreak.graph.propagate import transition_from_transpose

    n, edges = case
    a = _matrix(n, edges)
    pt, dangling = transition_transpose(a)
    mine, mine_dangling = transition_from_transpose(a.T.tocsr())
    assert np.array_equal(dangling, mine_dangling)
    assert (pt != mine).nnz == 0
    seeds = np.ones(n)
    expected = personalized_pagerank((pt, dangling), seeds, alpha=0.5).scores
    got = personalized_pagerank((mine, mine_dangling), seeds, alpha=0.5, overwrite=True).scores
    assert np.array_equal(expected, got)
