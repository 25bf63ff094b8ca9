import networkx as nx
import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.graph.communities import find_communities


def sym(n, edges):
    if not edges:
        return sp.csr_matrix((n, n))
    s, d = zip(*edges)
    a = sp.csr_matrix((np.ones(len(s)), (s, d)), shape=(n, n))
    return (a + a.T).tocsr()


def test_two_cliques_joined_by_one_edge_are_two_networks() -> None:
    a = [(i, j) for i in range(8) for j in range(i + 1, 8)]
    b = [(i, j) for i in range(8, 16) for j in range(i + 1, 16)]
    labels = find_communities(sym(20, a + b + [(0, 8)]), np.r_[np.ones(16, bool), np.zeros(4, bool)])
    assert len(set(labels[:8])) == 1 and len(set(labels[8:16])) == 1 and labels[0] != labels[8]
    assert np.all(labels[16:] == -1)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 30).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))))
def test_communities_never_span_two_components(case) -> None:
    n, edges = case
    edges = [(s, d) for s, d in edges if s != d]
    labels = find_communities(sym(n, edges), np.ones(n, bool))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    comp_of = {v: i for i, comp in enumerate(nx.connected_components(g)) for v in comp}
    for lab in set(labels.tolist()):
        members = np.flatnonzero(labels == lab)
        assert len({comp_of[v] for v in members.tolist()}) == 1
    # numbered by size, largest first
    sizes = np.bincount(labels)
    assert np.all(np.diff(sizes) <= 0)


def test_leiden_methods_agree_and_are_deterministic() -> None:
    from firebreak.graph.communities import abusive_subgraph, leiden_labels

    rng = np.random.default_rng(3)
    blocks = [(i, j) for b in range(4) for i in range(b * 10, b * 10 + 10) for j in range(i + 1, b * 10 + 10) if rng.random() < 0.6]
    bridges = [(0, 10), (10, 20), (20, 30)]
    idx, upper = abusive_subgraph(sym(40, blocks + bridges), np.ones(40, bool))
    a = leiden_labels(idx.size, upper, seed=1)
    b = leiden_labels(idx.size, upper, seed=1)
    c = leiden_labels(idx.size, upper, seed=1, method="leidenalg")
    assert np.array_equal(a, b)
    assert len(set(a.tolist())) == len(set(c.tolist())) == 4
    import pytest

    with pytest.raises(ValueError, match="unknown Leiden method"):
        leiden_labels(idx.size, upper, method="louvain")
