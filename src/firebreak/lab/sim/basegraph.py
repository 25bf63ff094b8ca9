"""A benign population whose follows are a real graph's edges (``--base-graph FILE``).

Communities come from Leiden (igraph + leidenalg) on the undirected graph; the
simulator then plants networks, confounders and text on it.
"""

from __future__ import annotations

import numpy as np

from firebreak.lab.sim.config import SimConfig
from firebreak.lab.sim.edgelist import EdgeList, load_edge_list
from firebreak.lab.sim.population import Population, assign_ages, dedupe_edges, teen_flags

__all__ = ["EdgeList", "load_edge_list", "population_from_graph"]


def population_from_graph(cfg: SimConfig, graph: EdgeList, rng: np.random.Generator) -> Population:
    """A benign :class:`Population` whose follows are exactly ``graph``'s edges
    (both ways when undirected) and whose communities are its Leiden communities."""
    import igraph as ig
    import leidenalg

    src, dst = graph.src, graph.dst
    if not graph.directed:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    src, dst = dedupe_edges(src, dst, graph.n)
    g = ig.Graph(n=graph.n, edges=np.column_stack([graph.src, graph.dst]).tolist(), directed=False).simplify()
    part = leidenalg.find_partition(g, leidenalg.ModularityVertexPartition, seed=int(rng.integers(0, 2**31 - 1)))
    community = np.asarray(part.membership, dtype=np.int32)
    c = int(community.max()) + 1
    teen = teen_flags(rng, c, cfg.teen_community_share)
    age = assign_ages(rng, community, teen, cfg)
    weight = 1.0 + np.bincount(dst, minlength=graph.n).astype(np.float64)
    return Population(graph.n, community, teen, age, weight, src.astype(np.int64), dst.astype(np.int64))
