"""A readable picture of a mapped network: PNG (matplotlib) and a self-contained HTML page.

Nodes are the seeds (red) and the accounts most connected to them (blue, sized
by how many seeds they touch); edges are follows among them. The layout is
igraph's Fruchterman-Reingold.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import polars as pl

from firebreak.graph.expand import SeedMap


def _layout(nodes: list[str], edges: pl.DataFrame, seed: int = 0) -> np.ndarray:
    import igraph as ig

    pos = {a: i for i, a in enumerate(nodes)}
    pairs = [(pos[s], pos[d]) for s, d in edges.select("src", "dst").iter_rows()] if edges.height else []
    g = ig.Graph(n=len(nodes), edges=pairs, directed=True)
    rng = np.random.default_rng(seed)
    layout = g.layout_fruchterman_reingold(seed=rng.random((len(nodes), 2)).tolist(), niter=500)
    return np.asarray(layout.coords, dtype=float).reshape(len(nodes), 2)


def render_png(seed_map: SeedMap, path: str | Path, *, title: str = "Seed network") -> Path:
    """Draw the seeds and their most connected accounts to ``path`` (PNG); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    seeds = seed_map.seeds.get_column("account").to_list()
    others = [a for a in seed_map.connected.get_column("account").to_list() if a not in set(seeds)]
    nodes = seeds + others
    xy = _layout(nodes, seed_map.edges)
    pos = {a: i for i, a in enumerate(nodes)}
    fig, ax = plt.subplots(figsize=(10, 8), dpi=110)
    if seed_map.edges.height:
        s = np.array([pos[a] for a in seed_map.edges.get_column("src").to_list()])
        d = np.array([pos[a] for a in seed_map.edges.get_column("dst").to_list()])
        ax.add_collection(LineCollection(list(np.stack([xy[s], xy[d]], axis=1)), colors="#999999", linewidths=0.4, alpha=0.5))
    touch = seed_map.connected.select("account", (pl.col("follows_seeds") + pl.col("followed_by_seeds")).alias("t"))
    t = dict(zip(touch.get_column("account").to_list(), touch.get_column("t").to_list(), strict=True))
    k = len(seeds)
    ax.scatter(xy[k:, 0], xy[k:, 1], s=[12 + 6 * t.get(a, 0) for a in others], c="#3b6fb6", alpha=0.75, label="most connected")
    ax.scatter(xy[:k, 0], xy[:k, 1], s=90, c="#c0392b", edgecolors="black", linewidths=0.6, label="seeds")
    for i, a in enumerate(seeds[:30]):
        ax.annotate(a, xy[i], fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_title(f"{title}: {k} seeds, {seed_map.unique_followers:,} unique followers ({seed_map.total_followers:,} counted per seed)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_axis_off()
    out = Path(path)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def _table(frame: pl.DataFrame, limit: int = 50) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(', '.join(v) if isinstance(v, list) else str(v))}</td>" for v in row) + "</tr>"
        for row in frame.head(limit).iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def render_html(seed_map: SeedMap, png: str | Path, path: str | Path, *, title: str = "Seed network") -> Path:
    """A self-contained HTML page (PNG inlined) with the picture and the map's tables; returns the path."""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:12px}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{seed_map.seeds.height} seeds; <b>{seed_map.unique_followers:,} unique followers</b>
({seed_map.total_followers:,} if counted per seed); {seed_map.overlaps.height} seed pairs share followers;
{seed_map.shared_destinations.height} off-platform destinations shared by two or more seeds.
{('Unknown seeds: ' + html.escape(', '.join(seed_map.missing))) if seed_map.missing else ''}</p>
<img alt="network picture" src="data:image/png;base64,{data}" style="max-width:100%">
<h2>Seeds</h2>{_table(seed_map.seeds)}
<h2>Seeds sharing followers</h2>{_table(seed_map.overlaps)}
<h2>Shared destinations</h2>{_table(seed_map.shared_destinations)}
<h2>Most connected accounts</h2>{_table(seed_map.connected)}
</body></html>"""
    out = Path(path)
    out.write_text(body, encoding="utf-8")
    return out
