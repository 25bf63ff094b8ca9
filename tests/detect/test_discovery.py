"""Term discovery: invented tags that travel with known terms rank first, known: false;
iterated rounds; concentration without a partner term; the stoplist and the statistical
guard keep advocacy and general hashtags out; weights stay below reviewed terms; a
reviewer's promotions and rejections."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from firebreak.detect.discovery import DISCOVERY_SCHEMA, discover_terms, stoplist
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
    assert d.columns == list(DISCOVERY_SCHEMA)
    top = d.row(0, named=True)
    assert top["term"] == "zorblax" and top["known"] is False and top["accounts"] == 5 and top["lift"] > 5
    assert "tbt" not in set(d["term"])  # everyone uses it: no lift
    assert d.filter(pl.col("term") == "pedobait")["known"].to_list() == [True]
    assert reexported is discover_terms
    assert "vrummix" not in set(d["term"])  # one searcher: below minimum support


def _platform(flag_tags: list[list[str]], other_tags: list[list[str]], searches: list[tuple[str, str]] = ()) -> tuple[Snapshot, list[str]]:
    flagged = [f"s{i}" for i in range(len(flag_tags))]
    others = [f"b{i}" for i in range(len(other_tags))]
    ids = flagged + others
    acc = pl.DataFrame({"id": ids, "bio": [""] * len(ids)})
    posts = pl.DataFrame({"id": [f"p{i}" for i in range(len(ids))], "author": ids, "text": [""] * len(ids), "hashtags": flag_tags + other_tags})
    ev = pl.DataFrame({"actor": [a for a, _ in searches], "kind": ["search"] * len(searches), "query": [q for _, q in searches]}, schema={"actor": pl.String, "kind": pl.String, "query": pl.String})
    cat = lambda t, df: pl.concat([empty(t), df], how="diagonal_relaxed")
    return Snapshot(accounts=cat("accounts", acc), posts=cat("posts", posts), events=cat("events", ev)), flagged


def test_rounds_iterate_from_discovered_terms() -> None:
    # round 1: "alphaq" sits next to a lexicon term; round 2: "betaq" only next to "alphaq"
    flag = [["mnsfw", "alphaq"]] * 4 + [["alphaq", "betaq"]] * 4
    s, flagged = _platform(flag, [["tbt"]] * 80)
    d = discover_terms(s, flagged, load_lexicon())
    rows = {r["term"]: r for r in d.iter_rows(named=True)}
    assert rows["alphaq"]["round"] == 1 and rows["betaq"]["round"] == 2
    assert rows["betaq"]["method"] == "co-occurrence"


def test_invented_words_found_without_any_lexicon_term() -> None:
    flag = [["vorpulax", "selfie"]] * 6 + [["vorpulax"]] * 2
    other = [["selfie"]] * 100 + [["vorpulax"]] * 1 + [["love", "childsafety"]] * 50
    s, flagged = _platform(flag, other)
    d = discover_terms(s, flagged, load_lexicon())
    assert d.filter(~pl.col("known")).get_column("term").to_list() == ["vorpulax"]
    row = d.row(0, named=True)
    assert row["method"] == "concentration" and row["round"] is None and row["p_value"] < 0.01


def test_advocacy_and_general_hashtags_never_come_out() -> None:
    # a platform where watchers were flagged too: advocacy tags concentrate in flagged accounts
    safety = ["childsafety", "protectkids", "trustandsafety", "endchildabuse", "love", "photography"]
    flag = [["mnsfw", *safety]] * 10
    s, flagged = _platform(flag, [["tbt"]] * 200)
    d = discover_terms(s, flagged, load_lexicon())
    assert not set(d.get_column("term").to_list()) & set(safety)
    assert {"childsafety", "protectkids", "trustandsafety", "endchildabuse", "love", "photography"} <= set(stoplist())
    # without the stoplist, the statistical guard alone still drops a general tag everyone uses
    flag2 = [["mnsfw", "photography"]] * 10
    s2, flagged2 = _platform(flag2, [["photography"]] * 300)
    d2 = discover_terms(s2, flagged2, load_lexicon(), use_stoplist=False)
    assert "photography" not in set(d2.get_column("term").to_list())


def test_weight_below_reviewed_terms_and_says_so() -> None:
    flag = [["mnsfw", "zeblonix"]] * 30
    s, flagged = _platform(flag, [["tbt"]] * 300)
    lex = load_lexicon()
    d = discover_terms(s, flagged, lex).filter(~pl.col("known"))
    weakest = min(t.weight for t in lex.terms if not t.ambiguous)
    assert d.height == 1 and 0 < d.item(0, "weight") < weakest
    assert "below every reviewed lexicon term" in d.item(0, "evidence") and "not reviewed" in d.item(0, "evidence")


def test_reviewer_file_promotes_and_rejects(tmp_path: Path) -> None:
    flag = [["mnsfw", "zeblonix", "quorvatz"]] * 8
    s, flagged = _platform(flag, [["tbt"]] * 100)
    review = tmp_path / "review.toml"
    review.write_text('version = "r1"\n[[promoted]]\nterm = "zeblonix"\n[[rejected]]\nterm = "#QUORVATZ"\n', encoding="utf-8")
    lex = load_lexicon(review)
    t = next(t for t in lex.terms if t.text == "zeblonix")
    assert t.source.startswith("reviewer promotion") and not t.ambiguous
    assert [h.term for h in lex.match("new #z3bl0nix drop")] == ["zeblonix"]
    d = discover_terms(s, flagged, lex)
    assert "quorvatz" not in set(d.get_column("term").to_list())  # rejected: never discovered again
    assert d.filter(pl.col("term") == "zeblonix").get_column("known").to_list() == [True]
