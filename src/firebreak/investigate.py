"""The researchers' manual method as a library call: map the network around seed accounts.

:func:`map_seeds` expands seed accounts into followers and followees, unique
followers across the set, overlaps between seeds, shared off-platform
destinations and the accounts most connected to the set;
:func:`write_seed_map` writes it as ``map.json``, ``map.png`` and ``map.html``.
The CLI's ``firebreak map`` and any API call the same two functions.
"""

from __future__ import annotations

import json
from pathlib import Path

from firebreak.detect.profile import destinations
from firebreak.errors import SeedsError
from firebreak.graph.csr import build_graph
from firebreak.graph.expand import SeedMap, expand_seeds
from firebreak.graph.picture import render_html, render_png
from firebreak.snapshot.model import Snapshot


def map_seeds(snapshot: Snapshot, seeds: list[str], *, top: int = 50, max_overlaps: int | None = None) -> SeedMap:
    """The :class:`~firebreak.graph.expand.SeedMap` of ``seeds`` on ``snapshot``.

    ``top``: how many most-connected accounts to list; ``max_overlaps``: cap on the
    overlapping seed pairs listed (``None``: all). Raises :class:`~firebreak.errors.SeedsError`
    when no seed is an account of the snapshot.
    """
    graph = build_graph(snapshot)
    pairs = destinations(snapshot).select("account", "destination").drop_nulls().unique()
    try:
        return expand_seeds(graph, seeds, pairs, top=top, max_overlaps=max_overlaps)
    except ValueError as exc:
        raise SeedsError(str(exc)) from None


def write_seed_map(seed_map: SeedMap, out: Path) -> dict[str, Path]:
    """Write ``map.json``, ``map.png`` and ``map.html`` under ``out``; returns their paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "map.json", "png": out / "map.png", "html": out / "map.html"}
    paths["json"].write_text(json.dumps(seed_map.to_dict(), indent=2), encoding="utf-8")
    render_png(seed_map, paths["png"])
    render_html(seed_map, paths["png"], paths["html"])
    return paths
