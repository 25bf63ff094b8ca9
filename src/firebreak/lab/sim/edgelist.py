"""Reading a real edge list (``--base-graph FILE``) into dense integer edges.

Reads an edge list with Polars: whitespace- or comma-separated pairs, ``#``
comment lines, an optional ``id_1,id_2``-style header. SNAP files say in a
comment whether the graph is directed; files without one (ego-Facebook, MUSAE)
are undirected, so each pair becomes follows both ways. Communities come from
Leiden (igraph + leidenalg) on the undirected graph; the simulator then plants
networks, confounders and text on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from firebreak.errors import FirebreakError


@dataclass(frozen=True)
class EdgeList:
    """A real graph: ``n`` nodes (dense 0..n-1), directed edges ``src -> dst`` as loaded,
    ``node_ids`` the original id of each dense node, ``directed`` as read."""

    n: int
    src: np.ndarray
    dst: np.ndarray
    node_ids: list[str]
    directed: bool


def _is_directed(path: Path) -> bool:
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            low = line.lower()
            if "undirected" in low:
                return False
            if "directed" in low:
                return True
    return False


def load_edge_list(path: str | Path, directed: bool | None = None) -> EdgeList:
    """Read an edge list file into dense integer edges.

    ``directed=None`` reads direction from a SNAP ``# Directed graph`` comment
    (undirected when none). Raises :class:`FirebreakError` when the file is missing
    or holds no pair of ids on some data line.
    """
    path = Path(path)
    if not path.is_file():
        raise FirebreakError(f"base graph {path}: no such file")
    if directed is None:
        directed = _is_directed(path)
    lines = pl.read_csv(
        path, has_header=False, new_columns=["line"], separator="\x1f", comment_prefix="#", quote_char=None, schema_overrides={"line": pl.String}
    )
    pairs = lines.select(pl.col("line").str.strip_chars().str.extract_groups(r"^(\S+?)[\s,]+(\S+)$").alias("g")).unnest("g")
    pairs.columns = ["a", "b"]
    if pairs.height > 1 and pairs.row(0) != (None, None):
        first_alpha = any(ch.isalpha() for ch in "".join(v or "" for v in pairs.row(0)))
        second_alpha = any(ch.isalpha() for ch in "".join(v or "" for v in pairs.row(1)))
        if first_alpha and not second_alpha:  # a header such as "id_1,id_2"
            pairs = pairs.slice(1)
    bad = pairs.with_row_index().filter(pl.col("a").is_null())
    if bad.height:
        raise FirebreakError(f"base graph {path}: data line {bad['index'][0] + 1} is not a pair of node ids")
    nodes = pl.concat([pairs["a"], pairs["b"]]).unique(maintain_order=True)
    index = pl.DataFrame({"node": nodes, "i": np.arange(len(nodes), dtype=np.int64)})
    src = pairs.join(index, left_on="a", right_on="node", how="left")["i"].to_numpy()
    dst = pairs.join(index, left_on="b", right_on="node", how="left")["i"].to_numpy()
    if len(nodes) == 0:
        raise FirebreakError(f"base graph {path}: no edges")
    return EdgeList(len(nodes), src, dst, nodes.to_list(), directed)
