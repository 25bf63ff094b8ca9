import networkx as nx
import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components

from firebreak.graph.csr import INTERACTION_WEIGHTS, build_graph

edges_strategy = st.integers(2, 25).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80))
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=edges_strategy)
def test_follow_csr_matches_edge_set_and_networkx_components(case, snapshot_of) -> None:
    n, edges = case
    g = build_graph(snapshot_of(n, edges))
    expected = {(s, d) for s, d in edges if s != d}
    coo = g.follows.tocoo()
    assert set(zip(coo.row.tolist(), coo.col.tolist())) == expected
    assert np.all(g.follows.data == 1.0)
    assert g.out_degree.sum() == g.in_degree.sum() == len(expected)
    nxg = nx.Graph()
    nxg.add_nodes_from(range(n))
    nxg.add_edges_from(expected)
    k, labels = connected_components(g.undirected(), directed=False)
    assert k == nx.number_connected_components(nxg)
    for comp in nx.connected_components(nxg):
        assert len({labels[v] for v in comp}) == 1


def test_interactions_weighted_by_kind_and_searches_ignored(snapshot_of) -> None:
    snap = snapshot_of(
        3,
        events=[(0, "message", 1), (0, "view", 1), (0, "like", 2), (1, "comment", 2), (2, "search", None), (2, "message", 2)],
    )
    g = build_graph(snap)
    w = g.interactions.toarray()
    assert w[0, 1] == INTERACTION_WEIGHTS["message"] + INTERACTION_WEIGHTS["view"]
    assert w[0, 2] == INTERACTION_WEIGHTS["like"]
    assert w[1, 2] == INTERACTION_WEIGHTS["comment"]
    assert w[2].sum() == 0  # searches are not edges, self-messages dropped
    assert g.messages.toarray()[0, 1] == 1
    assert INTERACTION_WEIGHTS["message"] > INTERACTION_WEIGHTS["comment"] > INTERACTION_WEIGHTS["like"] > INTERACTION_WEIGHTS["view"]


def test_post_targets_count_for_author(snapshot_of, frame_of) -> None:
    frame = frame_of
    snap = snapshot_of(3, events=[(0, "like", None)])
    snap.events = frame("events", {"actor": ["a0", "a1"], "kind": ["like", "comment"], "target": ["p1", "p1"]})
    snap.posts = frame("posts", {"id": ["p1"], "author": ["a2"]})
    g = build_graph(snap)
    assert g.interactions[0, 2] == INTERACTION_WEIGHTS["like"]
    assert g.interactions[1, 2] == INTERACTION_WEIGHTS["comment"]
    assert isinstance(g.followers, sp.csr_matrix)
    assert g.followers[2, 0] == 0 and g.followers.shape == (3, 3)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 20).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(-1, n - 1), st.integers(-1, n - 1)), max_size=80))))
def test_adjacency_same_for_int32_and_int64_edges_and_followers_share_the_ones(case) -> None:
    from firebreak.graph.csr import Graph, adjacency
    from firebreak.graph.ids import IdMap

    n, edges = case
    src = np.array([s for s, _ in edges], dtype=np.int64)
    dst = np.array([d for _, d in edges], dtype=np.int64)
    wide = adjacency(src, dst, n, binary=True)
    narrow = adjacency(src.astype(np.int32), dst.astype(np.int32), n, binary=True)
    assert wide.dtype == narrow.dtype == np.float64
    assert (wide != narrow).nnz == 0
    assert set(np.unique(narrow.data)) <= {1.0}
    dense = np.zeros((n, n))
    for s, d in edges:
        if s >= 0 and d >= 0 and s != d:
            dense[s, d] = 1.0
    assert np.array_equal(narrow.toarray(), dense)
    graph = Graph(IdMap.from_ids([str(i) for i in range(n)]), narrow, sp.csr_matrix((n, n)), sp.csr_matrix((n, n)))
    assert np.array_equal(graph.followers.toarray(), dense.T)
    if narrow.nnz:
        assert graph.followers.data is graph.follows.data and not graph.follows.data.flags.writeable
