"""The network picture for a case page: members and shared destinations laid out as SVG coordinates.

Members are circles coloured by role and sized by how much evidence they carry;
off-platform destinations are squares linked to the members that share them;
follows among members are thin lines. The layout is igraph's Fruchterman-Reingold
from a seeded start, so a case draws the same way every time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import igraph as ig
import numpy as np

from firebreak.api.services import CaseDetail

COLOURS = {"seller": "#c0392b", "buyer": "#e67e22", "none": "#7f8c8d", "destination": "#6c3483"}
WIDTH, HEIGHT, PAD = 640, 460, 24


@dataclass(frozen=True, slots=True)
class Node:
    """A drawn node: ``kind`` is a role or ``destination``."""

    id: str
    kind: str
    x: float
    y: float
    r: float
    colour: str
    state: str


@dataclass(frozen=True, slots=True)
class Edge:
    """A drawn line: ``kind`` is ``follow`` or ``shares``."""

    x1: float
    y1: float
    x2: float
    y2: float
    kind: str


def layout(case: CaseDetail, seed: int = 7) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges of ``case``'s picture in a ``WIDTH`` x ``HEIGHT`` box."""
    names = [m.account for m in case.members] + list(case.destinations)
    index = {name: i for i, name in enumerate(names)}
    pairs = [(index[a], index[b]) for a, b in case.follows if a in index and b in index]
    shares = [(index[a], index[d]) for a, ds in case.shares.items() for d in ds if a in index and d in index]
    g = ig.Graph(n=len(names), edges=pairs + shares)
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1, 1, size=(len(names), 2)).tolist()
    coords = np.asarray(g.layout_fruchterman_reingold(seed=start, niter=300).coords, dtype=float) if names else np.zeros((0, 2))
    if len(names):
        lo, hi = coords.min(axis=0), coords.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        coords = (coords - lo) / span * [WIDTH - 2 * PAD, HEIGHT - 2 * PAD] + PAD
    nodes = [
        Node(m.account, m.role, float(coords[i, 0]), float(coords[i, 1]), 4.0 + 1.6 * math.sqrt(m.evidence),
             COLOURS.get(m.role, COLOURS["none"]), m.state)
        for i, m in enumerate(case.members)
    ]
    offset = len(case.members)
    nodes += [
        Node(d, "destination", float(coords[offset + j, 0]), float(coords[offset + j, 1]), 7.0, COLOURS["destination"], "")
        for j, d in enumerate(case.destinations)
    ]
    xy = coords.tolist()
    edges = [Edge(xy[a][0], xy[a][1], xy[b][0], xy[b][1], "follow") for a, b in pairs]
    edges += [Edge(xy[a][0], xy[a][1], xy[b][0], xy[b][1], "shares") for a, b in shares]
    return nodes, edges
