"""Real graphs under the simulated platform (``--base-graph``)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.errors import FirebreakError
from firebreak.lab.sim import generate, preset
from firebreak.lab.sim.basegraph import load_edge_list
from tests.shared_data import shared_path

GRAPHS = shared_path("data", "graphs")
needs_data = pytest.mark.skipif(not GRAPHS.is_dir(), reason="shared/data/graphs not present")


@needs_data
@pytest.mark.parametrize(
    ("name", "nodes", "edges", "directed"),
    [
        ("facebook_combined.txt", 4_039, 88_234, False),
        ("wiki-Vote.txt", 7_115, 103_689, True),
        ("musae_facebook_edges.csv", 22_470, 171_002, False),
    ],
)
def test_real_edge_lists_load_with_their_published_sizes(name, nodes, edges, directed):
    g = load_edge_list(GRAPHS / name)
    assert (g.n, len(g.src), g.directed) == (nodes, edges, directed)


def test_small_edge_lists_and_errors(tmp_path):
    (tmp_path / "g.csv").write_text("id_1,id_2\n1,2\n2,3\n3,1\n")
    g = load_edge_list(tmp_path / "g.csv")
    assert g.n == 3 and len(g.src) == 3 and not g.directed and g.node_ids == ["1", "2", "3"]
    (tmp_path / "d.txt").write_text("# Directed graph: test\n# FromNodeId\tToNodeId\n5\t6\n6\t7\n")
    assert load_edge_list(tmp_path / "d.txt").directed
    (tmp_path / "bad.txt").write_text("1 2\nnot-a-pair\n")
    with pytest.raises(FirebreakError, match="line 2"):
        load_edge_list(tmp_path / "bad.txt")
    with pytest.raises(FirebreakError, match="no such file"):
        load_edge_list(tmp_path / "missing.txt")


@needs_data
def test_base_graph_mode_keeps_every_real_edge_and_plants_networks():
    path = GRAPHS / "facebook_combined.txt"
    out = generate(preset("default", seed=2, base_graph=str(path)))
    g = load_edge_list(path)
    mapping = out.truth["base_graph"]["accounts"]
    ids = np.array([mapping[n] for n in g.node_ids], dtype=object)
    real = pl.DataFrame({"src": ids[g.src].tolist(), "dst": ids[g.dst].tolist()})
    both_ways = pl.concat([real, real.select(src="dst", dst="src")])
    follows = out.snapshot.follows.select("src", "dst")
    assert both_ways.join(follows, on=["src", "dst"], how="anti").height == 0
    labels = out.labels
    real_accounts = labels.filter(pl.col("account").is_in(list(mapping.values())))
    assert (real_accounts["role"] == "benign").all()
    assert labels.filter(pl.col("role") == "seller").height > 0 and labels.filter(pl.col("role") == "buyer").height > 0
    assert out.snapshot.accounts.height < 1.3 * g.n  # sized to the real graph


@settings(max_examples=40, deadline=None)
@given(
    edges=st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=60),
    style=st.sampled_from(["space", "tab", "csv"]),
)
def test_edge_list_parser_round_trips(tmp_path_factory, edges, style):
    path = tmp_path_factory.mktemp("g") / f"g.{'csv' if style == 'csv' else 'txt'}"
    sep = {"space": " ", "tab": "\t", "csv": ","}[style]
    head = "id_1,id_2\n" if style == "csv" else "# Undirected graph: generated\n"
    path.write_text(head + "".join(f"{a}{sep}{b}\n" for a, b in edges))
    g = load_edge_list(path)
    ids = np.array(g.node_ids)
    assert list(zip(ids[g.src].tolist(), ids[g.dst].tolist(), strict=True)) == [(str(a), str(b)) for a, b in edges]
    assert not g.directed and g.n == len({x for e in edges for x in e})
