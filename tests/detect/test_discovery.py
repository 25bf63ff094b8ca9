"""Term discovery: invented tags that travel with known terms rank first, known: false."""

from __future__ import annotations

import polars as pl

from firebreak.detect.discovery import discover_terms
from firebreak.detect.lexicon import load_lexicon
from firebreak.detect.terms import discover_terms as reexported
from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import empty


def test_novel_tag_found_with_lift() -> None:
    sellers = [f"s{i}" for i in range(5)]
    benign = [f"b{i}" for i in range(50)]
    acc = pl.DataFrame({"id": sellers + benign, "bio": [""] * 55})
    posts = pl.DataFrame(
        {
            "id": [f"p{i}" for i in range(55)],
            "author": sellers + benign,
            "text": [""] * 55,
            "hashtags": [["pedobait", "zorblax", "tbt"]] * 5 + [["tbt", "summer"]] * 50,
        }
    )
    events = pl.DataFrame({"actor": ["b0", "b0"], "kind": ["search", "search"], "query": ["#mnsfw", "#vrummix"]})
    cat = lambda t, df: pl.concat([empty(t), df], how="diagonal_relaxed")
    s = Snapshot(accounts=cat("accounts", acc), posts=cat("posts", posts), events=cat("events", events))
    d = discover_terms(s, sellers, load_lexicon(), min_support=3)
    assert d.columns == ["term", "known", "accounts", "lift", "evidence"]
    top = d.row(0, named=True)
    assert top["term"] == "zorblax" and top["known"] is False and top["accounts"] == 5 and top["lift"] > 5
    assert "tbt" not in set(d["term"])  # everyone uses it: no lift
    assert d.filter(pl.col("term") == "pedobait")["known"].to_list() == [True]
    assert reexported is discover_terms
    assert "vrummix" not in set(d["term"])  # one searcher: below minimum support
